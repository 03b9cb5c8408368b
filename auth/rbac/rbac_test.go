package rbac

import (
	"strings"
	"testing"
)

func TestAllowedMatrix(t *testing.T) {
	perms := []Permission{ReadFiles, WriteFiles, ReadNodes, ReadEvents, ReadAudit,
		AdminUsers, AdminConfig, InternalRepl, InternalRaft, "write:users", "delete:files"}
	// want[role] lists the permissions granted; all others are denied.
	want := map[string]map[Permission]bool{
		RoleGuest: {ReadFiles: true},
		RoleUser:  {ReadFiles: true, WriteFiles: true, ReadNodes: true, ReadEvents: true, ReadAudit: true},
		RoleAdmin: {ReadFiles: true, WriteFiles: true, ReadNodes: true, ReadEvents: true, ReadAudit: true,
			AdminUsers: true, AdminConfig: true, InternalRepl: true, InternalRaft: true, "write:users": true, "delete:files": true},
		RoleNode: {InternalRepl: true, InternalRaft: true},
		"":       {},
		"root":   {},
		"ADMIN":  {},
		"*":      {},
		"admin ": {},
	}
	for role, granted := range want {
		for _, p := range perms {
			if got := Allowed([]string{role}, p); got != granted[p] {
				t.Errorf("Allowed([%q], %q) = %v, want %v", role, p, got, granted[p])
			}
		}
	}
}

func TestAllowedUnion(t *testing.T) {
	if !Allowed([]string{RoleGuest, RoleNode}, InternalRaft) {
		t.Error("guest+node should have internal:raft")
	}
	if !Allowed([]string{"unknown", RoleUser}, WriteFiles) {
		t.Error("unknown role must not hide user's grants")
	}
	if Allowed(nil, ReadFiles) || Allowed([]string{}, ReadFiles) {
		t.Error("no roles must grant nothing")
	}
}

func TestMalformedPermissionsNeverAllowed(t *testing.T) {
	for _, p := range []Permission{"", ":", "read", "read:", ":files", "read:files:x", "*", "a:b:c", "public"} {
		if Allowed([]string{RoleAdmin}, p) {
			t.Errorf("admin allowed malformed %q", p)
		}
	}
}

func TestGrants(t *testing.T) {
	cases := []struct {
		pattern, want Permission
		ok            bool
	}{
		{"*:*", "read:files", true},
		{"read:*", "read:files", true},
		{"read:*", "write:files", false},
		{"*:files", "write:files", true},
		{"*:files", "write:nodes", false},
		{"read:files", "read:*", false}, // wildcard in a requirement is literal
		{"read:*", "read:*", true},
		{"bad", "read:files", false},
		{"*:*", "bad", false},
	}
	for _, c := range cases {
		if got := c.pattern.Grants(c.want); got != c.ok {
			t.Errorf("%q.Grants(%q) = %v, want %v", c.pattern, c.want, got, c.ok)
		}
	}
}

func TestGrantsCopy(t *testing.T) {
	g := Grants(RoleGuest)
	g[0] = "*:*"
	if Allowed([]string{RoleGuest}, AdminUsers) {
		t.Fatal("mutating Grants' result changed the policy")
	}
	if Grants("nope") != nil || KnownRole("nope") || !KnownRole(RoleNode) || len(Roles()) != 4 {
		t.Fatal("role introspection wrong")
	}
}

func TestCheck(t *testing.T) {
	table := Table{
		"POST /api/auth/login":         Public,
		"GET /api/search":              ReadFiles,
		"GET /api/files/{id}/download": ReadFiles,
		"POST /api/replication/write":  InternalRepl,
		"DELETE /api/users/{name}":     AdminUsers,
		"GET /api/stale":               ReadNodes,
		"PUT /api/bad":                 "nonsense",
	}
	routes := []Route{"POST /api/auth/login", "GET /api/search", "GET /api/files/{id}/download",
		"POST /api/replication/write", "DELETE /api/users/{name}", "PUT /api/bad", "GET /api/nodes", "api/broken"}
	err := Check(table, routes)
	if err == nil {
		t.Fatal("Check accepted an incomplete table")
	}
	msg := err.Error()
	for _, want := range []string{
		`"GET /api/nodes": no permission declared`,
		`"GET /api/stale": declared but not served`,
		`"PUT /api/bad": malformed permission`,
		`"api/broken": not "METHOD /path"`,
	} {
		if !strings.Contains(msg, want) {
			t.Errorf("error %q lacks %q", msg, want)
		}
	}
	if strings.Contains(msg, "/api/search") {
		t.Errorf("complaint about a declared route: %s", msg)
	}

	good := Table{"GET /api/search": ReadFiles, "POST /api/auth/login": Public, "GET /api/auth/me": Authenticated}
	if err := Check(good, []Route{"GET /api/search", "POST /api/auth/login", "GET /api/auth/me"}); err != nil {
		t.Fatalf("complete table rejected: %v", err)
	}
	if p, ok := good.Lookup("GET /api/search"); !ok || p != ReadFiles {
		t.Fatal("Lookup")
	}
}

func TestCanSee(t *testing.T) {
	finance := ACL{Groups: []string{"finance"}}
	admins := ACL{Roles: []string{RoleAdmin}}
	users := ACL{Roles: []string{RoleUser}, Groups: []string{"ops"}}
	cases := []struct {
		name   string
		roles  []string
		groups []string
		acl    ACL
		want   bool
	}{
		{"open share, guest", []string{RoleGuest}, nil, ACL{}, true},
		{"open share, user", []string{RoleUser}, nil, ACL{}, true},
		{"open share, node only", []string{RoleNode}, nil, ACL{}, false},
		{"open share, no roles", nil, nil, ACL{}, false},
		{"group share, member", []string{RoleUser}, []string{"finance"}, finance, true},
		{"group share, non-member", []string{RoleUser}, []string{"sales"}, finance, false},
		{"group share, member without read", []string{RoleNode}, []string{"finance"}, finance, false},
		{"group share, admin", []string{RoleAdmin}, nil, finance, true},
		{"role share, admin", []string{RoleAdmin}, nil, admins, true},
		{"role share, user", []string{RoleUser}, nil, admins, false},
		{"role or group, by role", []string{RoleUser}, nil, users, true},
		{"role or group, guest in group", []string{RoleGuest}, []string{"ops"}, users, true},
		{"role or group, guest outside", []string{RoleGuest}, []string{"dev"}, users, false},
		{"empty group name never matches", []string{RoleUser}, []string{""}, ACL{Groups: []string{""}}, false},
	}
	for _, c := range cases {
		if got := CanSee(c.roles, c.groups, c.acl); got != c.want {
			t.Errorf("%s: CanSee = %v, want %v", c.name, got, c.want)
		}
	}
}
