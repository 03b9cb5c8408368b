package cluster_test

import (
	"encoding/json"
	"errors"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/distrisearch/distrisearch"
	"github.com/distrisearch/distrisearch/auth/token"
	"github.com/distrisearch/distrisearch/cluster"
	"github.com/distrisearch/distrisearch/internal/testcluster"
	"github.com/distrisearch/distrisearch/transport"
)

// Users, logins, token keys and revocations on 3 voters and 1 member that
// follows the metadata without a vote, over real sockets and mutual TLS.
func TestUsersTokensAcrossMembers(t *testing.T) {
	c := testcluster.Start(t, 4, testcluster.Options{})
	leader := c.WaitLeader(5 * time.Second)
	c.Eventually(15*time.Second, "3 voters and 1 follower of metadata", func() bool {
		st := leader.Get().Status()
		return len(st.Voters) == 3 && len(st.Members) == 4
	})
	leader = c.WaitLeader(5 * time.Second)
	voters := leader.Get().Status().Voters
	var nonVoter, follower *testcluster.Node // follower: a voter that does not lead
	for _, nd := range c.Nodes() {
		switch {
		case !containsStr(voters, nd.ID()):
			nonVoter = nd
		case nd != leader && follower == nil:
			follower = nd
		}
	}
	if nonVoter == nil || follower == nil {
		t.Fatalf("roles: non-voter %v, follower %v", nonVoter, follower)
	}
	nv, fv := nonVoter.Get(), follower.Get()
	ctx := ctxT(t, 60*time.Second)

	// Users: added through the non-voter, seen and checked through the others.
	var alice cluster.User
	err := retry(ctx, func() (e error) {
		alice, e = nv.AddUser(ctx, "alice", "alice-password", []string{"user", "guest"}, []string{"eng"})
		return e
	})
	if err != nil {
		t.Fatal(err)
	}
	if alice.ID == "" || alice.PasswordHash != nil || !slices.Equal(alice.Roles, []string{"guest", "user"}) || alice.CreatedAt.IsZero() {
		t.Fatalf("added user %+v", alice)
	}
	_, err = fv.AddUser(ctx, "Alice", "another-password", nil, nil)
	wantCode(t, "duplicate user", err, cluster.ErrUserExists)

	u, err := nv.Authenticate(ctx, "alice", "alice-password")
	if err != nil || u.ID != alice.ID || u.PasswordHash != nil || !slices.Equal(u.Groups, []string{"eng"}) {
		t.Fatalf("login through the non-voter: %+v %v", u, err)
	}
	if u, err := fv.Authenticate(ctx, "alice", "alice-password"); err != nil || u.ID != alice.ID {
		t.Fatalf("login through a follower voter: %+v %v", u, err)
	}
	users, err := nv.ListUsers(ctx)
	if err != nil || len(users) != 2 || users[0].Username != cluster.AdminUsername || users[1].Username != "alice" || users[0].PasswordHash != nil || users[1].PasswordHash != nil {
		t.Fatalf("list through the non-voter: %+v %v", users, err)
	}
	// The non-voter's own metadata holds no password hash.
	if _, ok := nv.UserByName("alice"); ok {
		t.Fatal("a non-voter holds users")
	}

	// One answer for every failed login.
	yes := true
	if _, err := fv.AddUser(ctx, "carol", "carol-password", []string{"user"}, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := nv.UpdateUser(ctx, "carol", cluster.UserChange{Disabled: &yes}); err != nil {
		t.Fatal(err)
	}
	var msgs []string
	for _, m := range []*cluster.Node{nv, fv, leader.Get()} {
		for what, cred := range map[string][2]string{
			"unknown user":   {"mallory", "alice-password"},
			"wrong password": {"alice", "alice-passwore"},
			"disabled user":  {"carol", "carol-password"},
			"too long":       {"alice", string(make([]byte, 100))},
		} {
			_, err := m.Authenticate(ctx, cred[0], cred[1])
			wantCode(t, what, err, cluster.ErrBadCredentials)
			msgs = append(msgs, distrisearch.MessageOf(err))
		}
	}
	for _, m := range msgs {
		if m != "wrong username or password" {
			t.Fatalf("login failure messages differ: %q", msgs)
		}
	}
	_, err = fv.UpdateUser(ctx, cluster.AdminUsername, cluster.UserChange{Roles: &[]string{"user"}})
	wantCode(t, "demote the last admin", err, cluster.ErrLastAdmin)
	_, err = nv.UpdateUser(ctx, "nobody", cluster.UserChange{Disabled: &yes})
	wantCode(t, "update unknown", err, cluster.ErrUserNotFound)
	newPw := "alice-password-2"
	if _, err := nv.UpdateUser(ctx, "alice", cluster.UserChange{Password: &newPw}); err != nil {
		t.Fatal(err)
	}
	if _, err := fv.Authenticate(ctx, "alice", "alice-password"); !errors.Is(err, cluster.ErrBadCredentials) {
		t.Fatalf("old password still works: %v", err)
	}
	if _, err := fv.Authenticate(ctx, "alice", newPw); err != nil {
		t.Fatalf("new password: %v", err)
	}

	// Tokens: every member signs and verifies with the cluster's keys.
	tokens := map[*testcluster.Node]*token.Tokens{}
	for _, nd := range c.Nodes() {
		n := nd.Get()
		tk, err := token.New(token.DefaultConfig(), n.TokenKeys(), token.Options{Now: time.Now, Revoked: n.TokenRevoked})
		if err != nil {
			t.Fatalf("node %d: %v", nd.Index, err)
		}
		tokens[nd] = tk
	}
	raw, claims, err := tokens[nonVoter].Issue(u.ID, u.Username, u.Roles)
	if err != nil {
		t.Fatal(err)
	}
	verifyEverywhere := func(what, raw string, wantErr string) {
		t.Helper()
		for nd, tk := range tokens {
			_, err := tk.Verify(raw)
			if wantErr == "" && err != nil || wantErr != "" && distrisearch.CodeOf(err) != wantErr {
				t.Fatalf("%s on node %d: %v, want %q", what, nd.Index, err, wantErr)
			}
		}
	}
	verifyEverywhere("first token", raw, "")

	// Rotation through a follower: the new key signs everywhere, the old
	// one still verifies until it retires.
	oldKid := claims.KeyID
	var kid string
	if err := retry(ctx, func() (e error) { kid, e = fv.RotateTokenKey(ctx, time.Now().Add(time.Hour)); return e }); err != nil {
		t.Fatal(err)
	}
	c.Eventually(10*time.Second, "every member signs with the new key", func() bool {
		for _, nd := range c.Nodes() {
			if k, err := nd.Get().TokenKeys().SigningKey(); err != nil || k.ID != kid {
				return false
			}
		}
		return true
	})
	for _, nd := range c.Nodes() {
		if k, ok := nd.Get().TokenKeys().VerificationKey(oldKid); !ok || k.Private != nil || k.RetireAt.IsZero() {
			t.Fatalf("node %d: old key %+v %v", nd.Index, k, ok)
		}
	}
	verifyEverywhere("token signed by the old key", raw, "")
	raw2, claims2, err := tokens[follower].Issue(u.ID, u.Username, u.Roles)
	if err != nil || claims2.KeyID != kid || kid == oldKid {
		t.Fatalf("new token key %q, want %q: %v", claims2.KeyID, kid, err)
	}
	verifyEverywhere("token signed by the new key", raw2, "")

	// Revocation through the non-voter reaches every member.
	if err := retry(ctx, func() error { return nv.RevokeToken(ctx, claims.ID, claims.ExpiresAt) }); err != nil {
		t.Fatal(err)
	}
	c.Eventually(10*time.Second, "every member sees the revocation", func() bool {
		for _, nd := range c.Nodes() {
			if !nd.Get().TokenRevoked(claims.ID) {
				return false
			}
		}
		return true
	})
	verifyEverywhere("revoked token", raw, token.CodeRevoked)
	verifyEverywhere("other token", raw2, "")
	err = fv.RevokeToken(ctx, "far", time.Now().Add(49*time.Hour))
	wantCode(t, "revocation too far ahead", err, cluster.ErrBadRevocation)

	// An emergency rotation retires the previous key at once.
	if err := retry(ctx, func() (e error) { _, e = nv.RotateTokenKey(ctx, time.Now().Add(-time.Second)); return e }); err != nil {
		t.Fatal(err)
	}
	c.Eventually(10*time.Second, "every member refuses the retired key", func() bool {
		for _, nd := range c.Nodes() {
			if _, ok := nd.Get().TokenKeys().VerificationKey(kid); ok {
				return false
			}
		}
		return true
	})
	verifyEverywhere("token of a retired key", raw2, token.CodeBadSignature)

	// The state endpoint gives the token keys to members only; a valid
	// certificate of a node that is not a member gets the rest.
	state := func(cl *transport.Client) string {
		t.Helper()
		var body json.RawMessage
		if err := cl.DoJSON(ctx, http.MethodGet, "https://"+leader.Addr+"/internal/v1/state", nil, &body); err != nil {
			t.Fatal(err)
		}
		return string(body)
	}
	if b := state(nv.Client()); !strings.Contains(b, `"token_keys"`) || strings.Contains(b, "password_hash") {
		t.Fatalf("a member's state: %.300s", b)
	}
	outsider, err := c.CA.IssueNode("outsider", nil, time.Now(), time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	conf := transport.ClientConfig(outsider, transport.ProtoHTTP, nil)
	conf.RootCAs.AddCert(c.CA.Cert)
	if b := state(transport.NewClient(conf, transport.ClientOptions{MaxAttempts: 1})); strings.Contains(b, "token_keys") || strings.Contains(b, "private") || !strings.Contains(b, `"revoked"`) {
		t.Fatalf("an outsider's state: %.300s", b)
	}
}

func wantCode(t *testing.T, what string, err error, want *distrisearch.Error) {
	t.Helper()
	if !errors.Is(err, want) || distrisearch.CodeOf(err) != want.Code || distrisearch.KindOf(err) != want.Kind {
		t.Fatalf("%s: got %v (code %q), want code %q", what, err, distrisearch.CodeOf(err), want.Code)
	}
}

// A cluster created before token keys existed gets its first key from the
// leader.
func TestLeaderAddsTokenKeyToOldCluster(t *testing.T) {
	dir := t.TempDir()
	if _, err := cluster.Init(dir, cluster.InitOptions{Voters: 1}); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "cluster", "bootstrap.json")
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var b map[string]any
	if err := json.Unmarshal(raw, &b); err != nil || b["token_key"] == nil {
		t.Fatalf("bootstrap has no token key: %v", err)
	}
	delete(b, "token_key")
	raw, _ = json.Marshal(b)
	if err := os.WriteFile(path, raw, 0o600); err != nil {
		t.Fatal(err)
	}
	cfg := testcluster.TestConfig()
	cfg.DataDir = dir
	n, err := cluster.New(cfg, cluster.Deps{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { n.Close() })
	ctx := ctxT(t, 20*time.Second)
	if err := n.Start(ctx); err != nil {
		t.Fatal(err)
	}
	if err := n.WaitReady(ctx); err != nil {
		t.Fatal(err)
	}
	for n.View().CurrentTokenKey == "" {
		if ctx.Err() != nil {
			t.Fatal("the leader added no token key")
		}
		time.Sleep(10 * time.Millisecond)
	}
	if k, err := n.TokenKeys().SigningKey(); err != nil || !k.CanSign() || k.Alg != token.EdDSA {
		t.Fatalf("signing key %+v %v", k, err)
	}
}
