package api

import (
	"context"
	"crypto/rand"
	"sync"
	"testing"
	"time"

	ds "github.com/distrisearch/distrisearch"
	"github.com/distrisearch/distrisearch/audit"
	"github.com/distrisearch/distrisearch/auth/ratelimit"
	"github.com/distrisearch/distrisearch/auth/token"
)

// testKeys is the key set the package's tests sign with.
var testKeys = sync.OnceValues(func() (*token.KeySet, error) {
	k, err := token.GenerateEd25519(rand.Reader)
	if err != nil {
		return nil, err
	}
	return token.NewKeySet(k)
})

// testTokens is one issuer and verifier shared by the package's tests.
var testTokens = sync.OnceValues(func() (*token.Tokens, error) {
	ks, err := testKeys()
	if err != nil {
		return nil, err
	}
	return token.New(token.DefaultConfig(), ks, token.Options{Now: time.Now, Revoked: revoked.has})
})

// revoked is the revocation set the fake accounts feed.
var revoked = &revocations{m: map[string]bool{}}

type revocations struct {
	mu sync.Mutex
	m  map[string]bool
}

func (r *revocations) has(jti string) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.m[jti]
}

func (r *revocations) add(jti string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.m[jti] = true
}

func tokenFor(t testing.TB, id, name string, roles ...string) string {
	return tokenWithGroups(t, id, name, roles, nil)
}

func tokenWithGroups(t testing.TB, id, name string, roles, groups []string) string {
	t.Helper()
	tt, err := testTokens()
	if err != nil {
		t.Fatal(err)
	}
	s, _, err := tt.IssueWithGroups(id, name, roles, groups)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// testConfig completes cfg with fake accounts, the shared tokens and
// limits high enough that only the rate-limit tests meet them.
func testConfig(cfg Config) Config {
	tt, err := testTokens()
	if err != nil {
		panic(err)
	}
	if cfg.Accounts == nil {
		cfg.Accounts = &fakeAccounts{users: map[string]fakeUser{
			"alice": {User: User{ID: "alice-id", Username: "alice", Roles: []string{"user"}}, password: "alice-password"},
		}}
	}
	cfg.Tokens = tt
	if cfg.Limits == nil {
		big := ratelimit.PerMinute(1_000_000)
		cfg.Limits, _ = ratelimit.NewSet(ratelimit.Config{PerIP: big, PerUser: big, Login: big, MaxKeys: 1000})
	}
	return cfg
}

type fakeUser struct {
	User
	password string
}

// fakeAccounts is an in-memory user directory.
type fakeAccounts struct {
	mu    sync.Mutex
	users map[string]fakeUser
	kid   int
}

func (f *fakeAccounts) Authenticate(_ context.Context, username, password string) (User, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	u, ok := f.users[username]
	if !ok || u.password != password || u.Disabled {
		return User{}, ds.Errorf(ds.KindUnauthorized, "bad_credentials", "wrong username or password")
	}
	return u.User, nil
}

func (f *fakeAccounts) ListUsers(context.Context) ([]User, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []User
	for _, u := range f.users {
		out = append(out, u.User)
	}
	return out, nil
}

func (f *fakeAccounts) AddUser(_ context.Context, nu NewUser) (User, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if _, ok := f.users[nu.Username]; ok {
		return User{}, ds.Errorf(ds.KindConflict, "user_exists", "user %q exists", nu.Username)
	}
	u := User{ID: nu.Username + "-id", Username: nu.Username, Roles: nu.Roles, Groups: nu.Groups}
	f.users[nu.Username] = fakeUser{User: u, password: nu.Password}
	return u, nil
}

func (f *fakeAccounts) UpdateUser(_ context.Context, name string, ch UserChange) (User, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	u, ok := f.users[name]
	if !ok {
		return User{}, ds.Errorf(ds.KindNotFound, "user_not_found", "no user %q", name)
	}
	if ch.Password != nil {
		u.password = *ch.Password
	}
	if ch.Roles != nil {
		u.Roles = *ch.Roles
	}
	if ch.Groups != nil {
		u.Groups = *ch.Groups
	}
	if ch.Disabled != nil {
		u.Disabled = *ch.Disabled
	}
	f.users[name] = u
	return u.User, nil
}

func (f *fakeAccounts) RevokeToken(_ context.Context, jti string, _ time.Time) error {
	revoked.add(jti)
	return nil
}

func (f *fakeAccounts) RotateTokenKey(context.Context, time.Time) (string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.kid++
	return "k" + string(rune('0'+f.kid)), nil
}

// memAudit is an in-memory audit log.
type memAudit struct {
	mu      sync.Mutex
	entries []audit.Entry
}

func (m *memAudit) Append(_ context.Context, e audit.Entry) (audit.Entry, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	e.Seq = uint64(len(m.entries) + 1)
	m.entries = append(m.entries, e)
	return e, nil
}

func (m *memAudit) Query(_ context.Context, f audit.Filter) (audit.Page, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	var p audit.Page
	for i := len(m.entries) - 1; i >= 0; i-- {
		if f.Action == "" || m.entries[i].Action == f.Action {
			p.Entries = append(p.Entries, m.entries[i])
		}
	}
	return p, nil
}

func (m *memAudit) Verify(context.Context) (audit.Report, error) {
	return audit.Report{Entries: len(m.entries)}, nil
}

func (m *memAudit) actions() []audit.Action {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []audit.Action
	for _, e := range m.entries {
		out = append(out, e.Action)
	}
	return out
}
