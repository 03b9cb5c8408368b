package cluster

import (
	"strings"
	"testing"
	"time"
)

func TestInitCreatesTheFirstAdmin(t *testing.T) {
	dir := t.TempDir()
	res, err := Init(dir, InitOptions{Voters: 1})
	if err != nil {
		t.Fatal(err)
	}
	if res.AdminUser != AdminUsername || len(res.AdminPassword) < 16 {
		t.Fatalf("generated admin credentials: %q / %q", res.AdminUser, res.AdminPassword)
	}
	b, err := readBootstrap(dir)
	if err != nil || b == nil || b.Admin == nil {
		t.Fatalf("bootstrap admin: %+v %v", b, err)
	}
	if strings.Contains(string(b.Admin.PasswordHash), res.AdminPassword) || !b.Admin.CheckPassword(res.AdminPassword) {
		t.Fatal("the bootstrap must hold a bcrypt hash that verifies the password, never the password")
	}
	if b.Admin.CheckPassword(res.AdminPassword+"x") || b.Admin.CheckPassword("") {
		t.Fatal("a wrong password verified")
	}

	// The first entry puts the admin in the replicated state, and snapshots keep it.
	s := newState()
	c, err := newCommand(opInit, initCmd{Config: b.Config, FirstNode: Member{ID: res.NodeID}, Admin: b.Admin})
	if err != nil {
		t.Fatal(err)
	}
	c.V, c.Time = commandVersion, time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC).UnixNano()
	if r := s.apply(1, 1, c); r.err() != nil {
		t.Fatal(r.err())
	}
	f := newFSM()
	f.st = s
	u, ok := f.user(AdminUsername)
	if !ok || !u.CheckPassword(res.AdminPassword) || len(u.Roles) != 1 || u.Roles[0] != "admin" {
		t.Fatalf("admin in state: %+v %v", u, ok)
	}
}

func TestInitAdminPasswordRules(t *testing.T) {
	if _, err := Init(t.TempDir(), InitOptions{Voters: 1, AdminPassword: strings.Repeat("p", MaxPasswordBytes+1)}); err == nil || !strings.Contains(err.Error(), "at most 72 bytes") {
		t.Fatalf("over-long password: %v", err)
	}
	if _, err := Init(t.TempDir(), InitOptions{Voters: 1, AdminPassword: "short"}); err == nil {
		t.Fatal("a 5-character password was accepted")
	}
	res, err := Init(t.TempDir(), InitOptions{Voters: 1, AdminPassword: "correct horse battery"})
	if err != nil || res.AdminPassword != "" {
		t.Fatalf("a given password must not be echoed: %q %v", res.AdminPassword, err)
	}
}
