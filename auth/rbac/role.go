package rbac

// The built-in roles.
const (
	RoleGuest = "guest"
	RoleUser  = "user"
	RoleAdmin = "admin"
	RoleNode  = "node"
)

// roleGrants holds what each built-in role grants. It is never modified.
var roleGrants = map[string][]Permission{
	RoleGuest: {ReadFiles},
	RoleUser:  {"read:*", WriteFiles},
	RoleAdmin: {"*:*"},
	RoleNode:  {"internal:*"},
}

// Roles returns the names of the built-in roles.
func Roles() []string {
	return []string{RoleGuest, RoleUser, RoleAdmin, RoleNode}
}

// KnownRole reports whether name is a built-in role.
func KnownRole(name string) bool {
	_, ok := roleGrants[name]
	return ok
}

// Grants returns a copy of the permission patterns a role grants; nil for
// an unknown role.
func Grants(role string) []Permission {
	g, ok := roleGrants[role]
	if !ok {
		return nil
	}
	return append([]Permission(nil), g...)
}

// Allowed reports whether any of roles grants perm. Unknown roles grant
// nothing; a malformed perm is never allowed.
//
// Note that admin's "*:*" includes internal:*: an admin token may reach a
// node-to-node endpoint as far as this policy goes. The node-to-node
// listener must additionally require a node certificate (mutual TLS) and
// never accept a user token.
func Allowed(roles []string, perm Permission) bool {
	if !perm.Valid() {
		return false
	}
	for _, r := range roles {
		for _, g := range roleGrants[r] {
			if g.Grants(perm) {
				return true
			}
		}
	}
	return false
}
