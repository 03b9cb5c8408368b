package rbac

import "strings"

// Permission is "verb:resource", e.g. "read:files". Either part may be the
// wildcard "*" in a role's grant; a required permission should name both
// parts exactly.
type Permission string

// Wildcard matches any verb or any resource.
const Wildcard = "*"

// The permissions the API needs.
const (
	ReadFiles    Permission = "read:files"
	WriteFiles   Permission = "write:files"
	ReadNodes    Permission = "read:nodes"
	ReadEvents   Permission = "read:events"
	ReadAudit    Permission = "read:audit"
	AdminAudit   Permission = "admin:audit" // the audit log is for admins only
	AdminUsers   Permission = "admin:users"
	AdminConfig  Permission = "admin:config"
	AdminNodes   Permission = "admin:nodes"
	InternalRepl Permission = "internal:replication"
	InternalRaft Permission = "internal:raft"
)

// Split returns the verb and resource of p. ok is false when p is not two
// non-empty parts separated by a single colon.
func (p Permission) Split() (verb, resource string, ok bool) {
	verb, resource, found := strings.Cut(string(p), ":")
	if !found || verb == "" || resource == "" || strings.Contains(resource, ":") {
		return "", "", false
	}
	return verb, resource, true
}

// Valid reports whether p is well formed.
func (p Permission) Valid() bool {
	_, _, ok := p.Split()
	return ok
}

// Grants reports whether the pattern p (which may contain wildcards)
// covers the required permission want. A malformed pattern or requirement
// grants nothing. A wildcard in want is taken literally: requiring "read:*"
// is only granted by a pattern whose resource is "*".
func (p Permission) Grants(want Permission) bool {
	pv, pr, ok := p.Split()
	if !ok {
		return false
	}
	wv, wr, ok := want.Split()
	if !ok {
		return false
	}
	return (pv == Wildcard || pv == wv) && (pr == Wildcard || pr == wr)
}
