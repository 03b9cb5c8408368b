// Package rbac is DistriSearch's authorization policy, as pure functions:
// no I/O and no clock reads (internal/purity enforces it).
//
// A permission is "verb:resource" (read:files, write:files, internal:raft).
// Either side may be the wildcard "*". A role grants a set of permission
// patterns; a principal with several roles holds the union. The built-in
// roles follow the design:
//
//	guest  read:files
//	user   read:*, write:files
//	admin  *:*
//	node   internal:*
//
// Unknown roles grant nothing; malformed permissions are never allowed.
// Every public endpoint declares the permission it needs in a Table, and
// Check reports the routes that have none, so a test fails when an endpoint
// is added without a declaration. CanSee decides whether a principal may
// learn that a share (and anything in it) exists.
package rbac
