package cluster

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/distrisearch/distrisearch"
	"github.com/hashicorp/raft"
	"golang.org/x/crypto/bcrypt"
)

// A cheap bcrypt hash (cost 4) for state tests: the state machine only
// checks that a hash parses.
func testHash(t *testing.T, pw string) []byte {
	t.Helper()
	h, err := bcrypt.GenerateFromPassword([]byte(pw), bcrypt.MinCost)
	if err != nil {
		t.Fatal(err)
	}
	return h
}

// newAuthApplier is newApplier with a first administrator and token key,
// as Init makes them.
func newAuthApplier(t *testing.T) (*applier, TokenKey) {
	t.Helper()
	k := testKey(t)
	a := &applier{t: t, s: newState(), now: t0}
	admin := &User{ID: "u-admin", Username: AdminUsername, PasswordHash: testHash(t, "admin-password"), Roles: []string{"admin"}}
	a.must(opInit, initCmd{Config: ClusterConfig{ClusterID: "c", Voters: 3}, FirstNode: Member{ID: "n1"}, Admin: admin, TokenKey: &k}, 0)
	a.fence = a.must(opLeader, leaderCmd{ID: "n1", Term: 1}, 0).Token
	return a, k
}

func testKey(t *testing.T) TokenKey {
	t.Helper()
	k, err := newTokenKey()
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func codeIs(t *testing.T, what string, err error, want *distrisearch.Error) {
	t.Helper()
	if !errors.Is(err, want) || distrisearch.CodeOf(err) != want.Code || distrisearch.KindOf(err) != want.Kind {
		t.Fatalf("%s: got %v (code %q), want code %q", what, err, distrisearch.CodeOf(err), want.Code)
	}
}

func TestUserAddAndDuplicate(t *testing.T) {
	a, _ := newAuthApplier(t)
	a.now = t0.Add(time.Minute)
	u := User{ID: "u1", Username: "alice", PasswordHash: testHash(t, "alice-password"), Roles: []string{"user", "guest", "user"}, Groups: []string{"eng", "ops", "eng"}}
	r := a.must(opUserAdd, userAddCmd{User: u}, 0)
	if r.User == nil || r.User.PasswordHash != nil || r.User.Username != "alice" {
		t.Fatalf("result user %+v", r.User)
	}
	got := a.s.Users["u1"]
	if strings.Join(got.Roles, ",") != "guest,user" || strings.Join(got.Groups, ",") != "eng,ops" {
		t.Fatalf("roles %v groups %v: want sorted, without duplicates", got.Roles, got.Groups)
	}
	if !got.CreatedAt.Equal(a.now) || !got.UpdatedAt.Equal(a.now) || len(got.PasswordHash) == 0 {
		t.Fatalf("stored user %+v", got)
	}

	dup := u
	dup.ID = "u2"
	codeIs(t, "same name", a.do(opUserAdd, userAddCmd{User: dup}, 0).err(), ErrUserExists)
	dup.Username = "ALICE"
	codeIs(t, "same name, other case", a.do(opUserAdd, userAddCmd{User: dup}, 0).err(), ErrUserExists)

	for _, tc := range []struct {
		name string
		edit func(*User)
		want *distrisearch.Error
	}{
		{"empty username", func(u *User) { u.Username = "" }, ErrBadUsername},
		{"username with space", func(u *User) { u.Username = "bob smith" }, ErrBadUsername},
		{"username starting with a dot", func(u *User) { u.Username = ".bob" }, ErrBadUsername},
		{"65-character username", func(u *User) { u.Username = strings.Repeat("b", 65) }, ErrBadUsername},
		{"unknown role", func(u *User) { u.Roles = []string{"root"} }, ErrBadRole},
		{"bad group", func(u *User) { u.Groups = []string{"a/b"} }, ErrBadGroup},
		{"no hash", func(u *User) { u.PasswordHash = nil }, ErrInvalid},
		{"not a bcrypt hash", func(u *User) { u.PasswordHash = []byte("plain") }, ErrInvalid},
		{"used id", func(u *User) { u.ID = "u1" }, ErrInvalid},
	} {
		bad := User{ID: "u3", Username: "bob", PasswordHash: u.PasswordHash, Roles: []string{"user"}}
		tc.edit(&bad)
		if err := a.do(opUserAdd, userAddCmd{User: bad}, 0).err(); !errors.Is(err, tc.want) {
			t.Errorf("%s: got %v, want %s", tc.name, err, tc.want.Code)
		}
	}
	if len(a.s.Users) != 2 {
		t.Fatalf("refused adds changed the users: %d", len(a.s.Users))
	}
	// The bounded edge: 64 characters and the allowed punctuation.
	ok := User{ID: "u4", Username: "b" + strings.Repeat("x", 55) + "._@-e.or", PasswordHash: u.PasswordHash, Roles: []string{}}
	a.must(opUserAdd, userAddCmd{User: ok}, 0)
}

func TestUserUpdateEachField(t *testing.T) {
	a, _ := newAuthApplier(t)
	a.must(opUserAdd, userAddCmd{User: User{ID: "u1", Username: "alice", PasswordHash: testHash(t, "old-password"), Roles: []string{"user"}}}, 0)
	created := a.s.Users["u1"].CreatedAt

	step := func(what string, cmd userUpdateCmd, check func(u *User) bool) {
		t.Helper()
		a.now = a.now.Add(time.Second)
		cmd.Username = "alice"
		r := a.must(opUserUpdate, cmd, 0)
		u := a.s.Users["u1"]
		if !check(u) || !u.UpdatedAt.Equal(a.now) || !u.CreatedAt.Equal(created) || r.User == nil || r.User.PasswordHash != nil {
			t.Fatalf("%s: %+v (result %+v)", what, u, r.User)
		}
	}
	step("password", userUpdateCmd{PasswordHash: testHash(t, "new-password")}, func(u *User) bool {
		return u.CheckPassword("new-password") && !u.CheckPassword("old-password") && strings.Join(u.Roles, ",") == "user"
	})
	step("roles", userUpdateCmd{Roles: &[]string{"guest", "admin"}}, func(u *User) bool {
		return strings.Join(u.Roles, ",") == "admin,guest" && u.CheckPassword("new-password")
	})
	step("groups", userUpdateCmd{Groups: &[]string{"ops", "eng"}}, func(u *User) bool {
		return strings.Join(u.Groups, ",") == "eng,ops" && strings.Join(u.Roles, ",") == "admin,guest"
	})
	yes, no := true, false
	step("disable", userUpdateCmd{Disabled: &yes}, func(u *User) bool { return u.Disabled && len(u.Groups) == 2 })
	step("enable", userUpdateCmd{Disabled: &no}, func(u *User) bool { return !u.Disabled })
	step("clear groups", userUpdateCmd{Groups: &[]string{}}, func(u *User) bool { return len(u.Groups) == 0 })

	codeIs(t, "unknown user", a.do(opUserUpdate, userUpdateCmd{Username: "nobody", Disabled: &yes}, 0).err(), ErrUserNotFound)
	codeIs(t, "bad role", a.do(opUserUpdate, userUpdateCmd{Username: "alice", Roles: &[]string{"god"}}, 0).err(), ErrBadRole)
	codeIs(t, "bad group", a.do(opUserUpdate, userUpdateCmd{Username: "alice", Groups: &[]string{""}}, 0).err(), ErrBadGroup)
	if err := a.do(opUserUpdate, userUpdateCmd{Username: "alice", PasswordHash: []byte("x")}, 0).err(); !errors.Is(err, ErrInvalid) {
		t.Fatalf("bad hash: %v", err)
	}
}

func TestLastAdminRefused(t *testing.T) {
	a, _ := newAuthApplier(t)
	yes, no := true, false
	codeIs(t, "remove the only admin's role", a.do(opUserUpdate, userUpdateCmd{Username: AdminUsername, Roles: &[]string{"user"}}, 0).err(), ErrLastAdmin)
	codeIs(t, "disable the only admin", a.do(opUserUpdate, userUpdateCmd{Username: AdminUsername, Disabled: &yes}, 0).err(), ErrLastAdmin)
	if u := a.s.Users["u-admin"]; u.Disabled || len(u.Roles) != 1 {
		t.Fatalf("refused change applied: %+v", u)
	}
	// A disabled administrator does not count.
	a.must(opUserAdd, userAddCmd{User: User{ID: "u2", Username: "root2", PasswordHash: testHash(t, "pw-pw-pw-pw"), Roles: []string{"admin"}, Disabled: true}}, 0)
	codeIs(t, "only other admin is disabled", a.do(opUserUpdate, userUpdateCmd{Username: AdminUsername, Disabled: &yes}, 0).err(), ErrLastAdmin)
	// Once it is enabled, either may go.
	a.must(opUserUpdate, userUpdateCmd{Username: "root2", Disabled: &no}, 0)
	a.must(opUserUpdate, userUpdateCmd{Username: AdminUsername, Disabled: &yes}, 0)
	codeIs(t, "now root2 is the last", a.do(opUserUpdate, userUpdateCmd{Username: "root2", Roles: &[]string{}}, 0).err(), ErrLastAdmin)
	// Changes that keep an administrator enabled pass.
	a.must(opUserUpdate, userUpdateCmd{Username: "root2", Roles: &[]string{"admin", "user"}, Groups: &[]string{"x"}}, 0)
}

func TestTokenKeyRotateRetirePrune(t *testing.T) {
	f := newFSM()
	a, k1 := newAuthApplier(t)
	f.st = a.s
	index := a.index
	apply := func(o op, data any) result {
		t.Helper()
		c, err := newCommand(o, data)
		if err != nil {
			t.Fatal(err)
		}
		c.Time = a.now.UnixNano()
		b, _ := json.Marshal(c)
		index++
		return f.Apply(&raft.Log{Type: raft.LogCommand, Index: index, Term: 1, Data: b}).(result)
	}
	v, _ := f.View()
	if v.CurrentTokenKey != k1.ID || len(v.TokenKeys) != 1 || !v.TokenKeys[0].CreatedAt.Equal(t0) {
		t.Fatalf("init key: %+v", v.TokenKeys)
	}
	// Nothing secret in View's own JSON.
	if b, _ := json.Marshal(v); bytes.Contains(b, []byte("private")) || bytes.Contains(b, []byte("token_keys")) {
		t.Fatalf("view JSON shows token keys: %s", b)
	}
	// The leader's repair does nothing when a key exists.
	if r := apply(opTokenKey, tokenKeyCmd{Key: testKey(t), IfNone: true}); r.err() != nil || len(f.st.TokenKeys) != 1 {
		t.Fatalf("IfNone added a key: %v", r.err())
	}

	k2 := testKey(t)
	retire := a.now.Add(time.Hour)
	codeIs(t, "rotate without a retire time", apply(opTokenKey, tokenKeyCmd{Key: k2}).err(), ErrBadRetireAt)
	if r := apply(opTokenKey, tokenKeyCmd{Key: k2, RetireAt: retire}); r.err() != nil {
		t.Fatal(r.err())
	}
	v, _ = f.View()
	old, ok1 := v.TokenKey(k1.ID)
	cur, ok2 := v.TokenKey(k2.ID)
	if v.CurrentTokenKey != k2.ID || !ok1 || !ok2 || !old.RetireAt.Equal(retire) || !cur.RetireAt.IsZero() {
		t.Fatalf("after rotation: current %s, keys %+v", v.CurrentTokenKey, v.TokenKeys)
	}
	if r := apply(opTokenKey, tokenKeyCmd{Key: k2, RetireAt: retire}); !errors.Is(r.err(), ErrInvalid) {
		t.Fatalf("reused key id: %v", r.err())
	}
	bad := testKey(t)
	bad.Public = bad.Public[:5]
	if r := apply(opTokenKey, tokenKeyCmd{Key: bad, RetireAt: retire}); !errors.Is(r.err(), ErrInvalid) {
		t.Fatalf("malformed key: %v", r.err())
	}

	// Still kept at its retire time, gone at the first apply after it.
	a.now = retire
	apply(opLockAcquire, lockCmd{Name: "x", Owner: "o", TTL: time.Second})
	if v, _ := f.View(); len(v.TokenKeys) != 2 {
		t.Fatalf("key pruned before its retire time passed: %d", len(v.TokenKeys))
	}
	a.now = retire.Add(time.Millisecond)
	apply(opLockAcquire, lockCmd{Name: "y", Owner: "o", TTL: time.Second})
	v, _ = f.View()
	if _, ok := v.TokenKey(k1.ID); ok || len(v.TokenKeys) != 1 || v.CurrentTokenKey != k2.ID {
		t.Fatalf("retired key not pruned: %+v", v.TokenKeys)
	}

	// The kept set is bounded.
	for i := 0; ; i++ {
		r := apply(opTokenKey, tokenKeyCmd{Key: testKey(t), RetireAt: a.now.Add(time.Hour)})
		if r.err() != nil {
			codeIs(t, "too many keys", r.err(), ErrTooManyKeys)
			if i != MaxTokenKeys-1 || len(f.st.TokenKeys) != MaxTokenKeys {
				t.Fatalf("refused after %d rotations with %d keys", i, len(f.st.TokenKeys))
			}
			break
		}
	}
}

func TestTokenRevocationPrune(t *testing.T) {
	a, _ := newAuthApplier(t)
	exp1, exp2 := t0.Add(time.Hour), t0.Add(2*time.Hour)
	a.must(opTokenRevoke, tokenRevokeCmd{JTI: "j1", Exp: exp1}, 0)
	a.must(opTokenRevoke, tokenRevokeCmd{JTI: "j2", Exp: exp2}, 0)
	a.must(opTokenRevoke, tokenRevokeCmd{JTI: "j1", Exp: t0.Add(time.Minute)}, 0) // keeps the later expiry
	if v := a.s.view(); len(v.Revoked) != 2 || !v.Revoked["j1"].Equal(exp1) {
		t.Fatalf("revoked %v", v.Revoked)
	}
	codeIs(t, "too far ahead", a.do(opTokenRevoke, tokenRevokeCmd{JTI: "j3", Exp: t0.Add(MaxRevocationAhead + 2*time.Minute)}, 0).err(), ErrBadRevocation)
	codeIs(t, "no jti", a.do(opTokenRevoke, tokenRevokeCmd{Exp: exp1}, 0).err(), ErrBadRevocation)
	codeIs(t, "no expiry", a.do(opTokenRevoke, tokenRevokeCmd{JTI: "j4"}, 0).err(), ErrBadRevocation)
	codeIs(t, "long jti", a.do(opTokenRevoke, tokenRevokeCmd{JTI: strings.Repeat("j", maxJTIBytes+1), Exp: exp1}, 0).err(), ErrBadRevocation)

	a.now = exp1.Add(RevocationGrace) // not past the grace yet
	a.must(opLockAcquire, lockCmd{Name: "x", Owner: "o", TTL: time.Second}, 0)
	if len(a.s.Revoked) != 2 {
		t.Fatal("revocation pruned within its grace")
	}
	a.now = exp1.Add(RevocationGrace + time.Millisecond)
	a.must(opLockAcquire, lockCmd{Name: "y", Owner: "o", TTL: time.Second}, 0)
	if _, ok := a.s.Revoked["j1"]; ok || len(a.s.Revoked) != 1 {
		t.Fatalf("expired revocation kept: %v", a.s.Revoked)
	}
	if a.s.touched&partRevoked == 0 {
		t.Fatal("pruning did not mark the view's revocations stale")
	}

	// After a restore the prune hint is unknown; pruning still happens.
	var st state
	b, _ := json.Marshal(a.s)
	if err := json.Unmarshal(b, &st); err != nil {
		t.Fatal(err)
	}
	a.s = &st
	a.now = exp2.Add(RevocationGrace + time.Second)
	a.must(opLockAcquire, lockCmd{Name: "z", Owner: "o", TTL: time.Second}, 0)
	if len(a.s.Revoked) != 0 {
		t.Fatalf("revocations after restore not pruned: %v", a.s.Revoked)
	}
}

func TestSnapshotHoldsUsersKeysRevocations(t *testing.T) {
	a, k := newAuthApplier(t)
	a.must(opUserAdd, userAddCmd{User: User{ID: "u1", Username: "alice", PasswordHash: testHash(t, "alice-password"), Roles: []string{"user"}, Groups: []string{"eng"}}}, 0)
	a.must(opTokenKey, tokenKeyCmd{Key: testKey(t), RetireAt: t0.Add(time.Hour)}, 0)
	a.must(opTokenRevoke, tokenRevokeCmd{JTI: "j1", Exp: t0.Add(time.Hour)}, 0)
	f, g := snapshotOf(t, a.s)
	u, ok := g.user("alice")
	if !ok || !u.CheckPassword("alice-password") || u.Groups[0] != "eng" {
		t.Fatalf("user after restore: %+v", u)
	}
	v1, _ := f.View()
	v2, _ := g.View()
	w1, _ := json.Marshal(wireOf(v1))
	w2, _ := json.Marshal(wireOf(v2))
	if !bytes.Equal(w1, w2) || len(v2.TokenKeys) != 2 || v2.Revoked["j1"].IsZero() {
		t.Fatalf("views differ:\n%s\n%s", w1, w2)
	}
	if old, ok := v2.TokenKey(k.ID); !ok || !bytes.Equal(old.Private, k.Private) {
		t.Fatal("the old key's private half did not survive the snapshot")
	}
	// The wire form members follow carries the keys; decoding it gives them back.
	var w viewWire
	if err := json.Unmarshal(w2, &w); err != nil || len(w.view().TokenKeys) != 2 || w.view().CurrentTokenKey != v2.CurrentTokenKey {
		t.Fatalf("wire view: %v %+v", err, w.view().TokenKeys)
	}
	if !bytes.Contains(w2, []byte(`"token_keys"`)) || bytes.Contains(w2, []byte("password_hash")) {
		t.Fatalf("wire view: %s", w2)
	}

	// A snapshot written before these fields existed still restores, and
	// the state works.
	oldSnap := `{"version":1,"state":{"index":3,"now":"2026-03-01T12:00:00Z","config":{"cluster_id":"c"},"members":{},"services":{},"locks":{},"tokens":{}}}`
	h := newFSM()
	if err := h.Restore(io.NopCloser(strings.NewReader(oldSnap))); err != nil {
		t.Fatal(err)
	}
	if v, _ := h.View(); v.CurrentTokenKey != "" || len(v.TokenKeys) != 0 || v.Revoked != nil {
		t.Fatalf("old snapshot view %+v", v)
	}
	c, _ := newCommand(opTokenRevoke, tokenRevokeCmd{JTI: "j", Exp: t0.Add(time.Hour)})
	c.Time = t0.UnixNano()
	b, _ := json.Marshal(c)
	if r := h.Apply(&raft.Log{Type: raft.LogCommand, Index: 4, Data: b}).(result); r.err() != nil {
		t.Fatal(r.err())
	}
	c, _ = newCommand(opTokenKey, tokenKeyCmd{Key: testKey(t), IfNone: true})
	c.Time = t0.UnixNano()
	b, _ = json.Marshal(c)
	if r := h.Apply(&raft.Log{Type: raft.LogCommand, Index: 5, Data: b}).(result); r.err() != nil {
		t.Fatal(r.err())
	}
	if v, _ := h.View(); v.CurrentTokenKey == "" || len(v.Revoked) != 1 {
		t.Fatalf("old cluster did not take a first key and a revocation: %+v", v)
	}
}

// The proposer refuses bad input before hashing or proposing, with the
// same codes; it needs no running node for that.
func TestUserInputRefusedOnProposer(t *testing.T) {
	cfg := DefaultConfig()
	cfg.DataDir, cfg.NodeID = t.TempDir(), "n1"
	n, err := New(cfg, Deps{Now: func() time.Time { return t0 }})
	if err != nil {
		t.Fatal(err)
	}
	ctx := t.Context()
	_, err = n.AddUser(ctx, "bad name", "password-1", nil, nil)
	codeIs(t, "username", err, ErrBadUsername)
	_, err = n.AddUser(ctx, "bob", "short", nil, nil)
	codeIs(t, "short password", err, ErrBadPassword)
	if _, err = n.AddUser(ctx, "bob", strings.Repeat("p", 73), nil, nil); !strings.Contains(distrisearch.MessageOf(err), "at most 72 bytes") {
		t.Fatalf("long password message: %q", distrisearch.MessageOf(err))
	}
	codeIs(t, "long password", err, ErrBadPassword)
	_, err = n.AddUser(ctx, "bob", "password-1", []string{"superuser"}, nil)
	codeIs(t, "role", err, ErrBadRole)
	_, err = n.AddUser(ctx, "bob", "password-1", nil, []string{"has space"})
	codeIs(t, "group", err, ErrBadGroup)
	p := "short"
	_, err = n.UpdateUser(ctx, "bob", UserChange{Password: &p})
	codeIs(t, "update password", err, ErrBadPassword)
	err = n.RevokeToken(ctx, "j", t0.Add(MaxRevocationAhead+time.Second))
	codeIs(t, "revocation too far ahead", err, ErrBadRevocation)
	if err := n.RevokeToken(ctx, "j", t0.Add(-time.Hour)); err != nil {
		t.Fatalf("revoking an expired token: %v", err)
	}
	_, err = n.RotateTokenKey(ctx, time.Time{})
	codeIs(t, "zero retire time", err, ErrBadRetireAt)
	_, err = n.RotateTokenKey(ctx, t0.Add(MaxRetireAhead+time.Hour))
	codeIs(t, "retire too far ahead", err, ErrBadRetireAt)
	if _, err := n.TokenKeys().SigningKey(); !errors.Is(err, ErrNoTokenKey) {
		t.Fatalf("signing key of an empty view: %v", err)
	}
}

// An unknown user must cost what a known one costs.
func TestDummyHashHasTheUsersCost(t *testing.T) {
	if c, err := bcrypt.Cost(dummyHash); err != nil || c != bcryptCost {
		t.Fatalf("dummy hash cost %d (%v), users' cost %d", c, err, bcryptCost)
	}
}

// TestTokenCutoffs: disabling a user or changing their password, roles or
// groups voids their older tokens (a cutoff in the view); re-enabling does
// not move it; cutoffs are dropped once every older token has expired, and
// they survive a snapshot.
func TestTokenCutoffs(t *testing.T) {
	a, _ := newAuthApplier(t)
	a.must(opUserAdd, userAddCmd{User: User{ID: "u1", Username: "alice", PasswordHash: testHash(t, "old-password"), Roles: []string{"user"}}}, 0)
	if len(a.s.view().TokenCutoffs) != 0 {
		t.Fatal("a new user has a cutoff")
	}
	yes, no := true, false
	for _, c := range []struct {
		what string
		cmd  userUpdateCmd
		cuts bool
	}{
		{"disable", userUpdateCmd{Disabled: &yes}, true},
		{"enable", userUpdateCmd{Disabled: &no}, false},
		{"password", userUpdateCmd{PasswordHash: testHash(t, "new-password")}, true},
		{"roles", userUpdateCmd{Roles: &[]string{"guest"}}, true},
		{"groups", userUpdateCmd{Groups: &[]string{"ops"}}, true},
	} {
		before := a.s.view().TokenCutoffs["u1"]
		a.now = a.now.Add(time.Second)
		c.cmd.Username = "alice"
		a.must(opUserUpdate, c.cmd, 0)
		got := a.s.view().TokenCutoffs["u1"]
		if c.cuts && !got.Equal(a.now) {
			t.Fatalf("%s: cutoff %v, want %v", c.what, got, a.now)
		}
		if !c.cuts && !got.Equal(before) {
			t.Fatalf("%s moved the cutoff from %v to %v", c.what, before, got)
		}
	}
	_, g := snapshotOf(t, a.s)
	if v, _ := g.View(); !v.TokenCutoffs["u1"].Equal(a.s.view().TokenCutoffs["u1"]) {
		t.Fatal("the cutoff did not survive a snapshot")
	}
	a.now = a.now.Add(CutoffKept + time.Minute)
	a.must(opUserAdd, userAddCmd{User: User{ID: "u2", Username: "bob", PasswordHash: testHash(t, "bob-password"), Roles: []string{"user"}}}, 0)
	if len(a.s.view().TokenCutoffs) != 0 {
		t.Fatalf("cutoffs kept past every token's life: %v", a.s.view().TokenCutoffs)
	}
}

// TestEmergencyRotationRetiresEveryOlderKey: a rotation whose retire time
// has passed retires all older keys, not only the last current one.
func TestEmergencyRotationRetiresEveryOlderKey(t *testing.T) {
	a, k1 := newAuthApplier(t)
	a.now = a.now.Add(time.Minute)
	k2, k3 := testKey(t), testKey(t)
	a.must(opTokenKey, tokenKeyCmd{Key: k2, RetireAt: a.now.Add(24 * time.Hour)}, 0)
	a.now = a.now.Add(time.Minute)
	a.must(opTokenKey, tokenKeyCmd{Key: k3, RetireAt: a.now}, 0)
	for _, id := range []string{k1.ID, k2.ID} {
		if k := a.s.TokenKeys[id]; k != nil && k.RetireAt.After(a.now) {
			t.Fatalf("key %s still verifies until %v after an emergency rotation at %v", id, k.RetireAt, a.now)
		}
	}
	if a.s.CurrentKey != k3.ID || !a.s.TokenKeys[k3.ID].RetireAt.IsZero() {
		t.Fatal("the new key is not current")
	}
}

// TestAuditHeads: a member's published audit head is kept until a newer
// one (a higher sequence number) arrives; an older one, a malformed one or
// one of an unknown node changes nothing.
func TestAuditHeads(t *testing.T) {
	a, _ := newAuthApplier(t)
	h := func(seq uint64, c byte) AuditHead {
		return AuditHead{Node: "n1", Seq: seq, Hash: strings.Repeat(string(c), 64)}
	}
	a.now = a.now.Add(time.Minute)
	a.must(opAuditHead, h(10, 'a'), 0)
	if got := a.s.view().AuditHeads["n1"]; got.Seq != 10 || !got.Written.Equal(a.now) {
		t.Fatalf("head %+v", got)
	}
	a.must(opAuditHead, h(5, 'b'), 0) // older: a restarted chain keeps the higher anchor
	if got := a.s.view().AuditHeads["n1"]; got.Seq != 10 || got.Hash[0] != 'a' {
		t.Fatalf("an older head replaced the newer: %+v", got)
	}
	a.must(opAuditHead, h(12, 'c'), 0)
	if got := a.s.view().AuditHeads["n1"]; got.Seq != 12 {
		t.Fatalf("a newer head was ignored: %+v", got)
	}
	for name, bad := range map[string]AuditHead{
		"unknown member": {Node: "n9", Seq: 1, Hash: strings.Repeat("a", 64)},
		"short hash":     {Node: "n1", Seq: 20, Hash: "abc"},
		"not hex":        {Node: "n1", Seq: 20, Hash: strings.Repeat("z", 64)},
		"seq 0":          {Node: "n1", Seq: 0, Hash: strings.Repeat("a", 64)},
	} {
		if err := a.do(opAuditHead, bad, 0).err(); !errors.Is(err, ErrInvalid) {
			t.Errorf("%s: %v", name, err)
		}
	}
	_, g := snapshotOf(t, a.s)
	if v, _ := g.View(); v.AuditHeads["n1"] != a.s.view().AuditHeads["n1"] {
		t.Fatal("audit heads did not survive a snapshot")
	}
}
