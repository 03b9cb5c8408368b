package rbac

// ACL restricts who may see a share (or an upload). A principal may see it
// when it holds one of Roles or belongs to one of Groups. An empty ACL
// restricts nothing beyond read:files.
type ACL struct {
	Roles  []string `json:"roles,omitempty"`
	Groups []string `json:"groups,omitempty"`
}

// Empty reports whether the ACL restricts nothing.
func (a ACL) Empty() bool { return len(a.Roles) == 0 && len(a.Groups) == 0 }

// CanSee reports whether a principal with userRoles and userGroups may see
// a share with the given ACL: its existence, its files, their metadata,
// snippets, facet counts and contents. read:files is always required;
// admin sees every share. Search and download must both call it, and a
// "no" must look exactly like "does not exist" to the caller.
func CanSee(userRoles, userGroups []string, shareACL ACL) bool {
	if !Allowed(userRoles, ReadFiles) {
		return false
	}
	if shareACL.Empty() || Allowed(userRoles, "*:*") {
		return true
	}
	return intersects(userRoles, shareACL.Roles) || intersects(userGroups, shareACL.Groups)
}

func intersects(a, b []string) bool {
	for _, x := range a {
		if x == "" {
			continue
		}
		for _, y := range b {
			if x == y {
				return true
			}
		}
	}
	return false
}
