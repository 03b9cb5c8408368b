package rbac

import (
	"errors"
	"fmt"
	"slices"
	"strings"
)

// Route is a net/http ServeMux pattern with a method: "GET /api/files/{id}".
type Route string

// Public marks a route that needs no permission (login, health). It is a
// declaration like any other, so forgetting one is still caught by Check.
const Public Permission = "public"

// Authenticated marks a route that any signed-in user may call whatever
// their roles (who am I, log out), but an anonymous caller may not.
const Authenticated Permission = "authenticated"

// Table maps each route to the permission it needs, or Public.
type Table map[Route]Permission

// Lookup returns the permission declared for route.
func (t Table) Lookup(route Route) (Permission, bool) {
	p, ok := t[route]
	return p, ok
}

// Check verifies that every route in routes has a valid declaration in
// table and that every declaration is for a route that exists. It reports
// all problems, sorted, in one error; nil means the table is complete.
func Check(table Table, routes []Route) error {
	var problems []string
	seen := make(map[Route]bool, len(routes))
	for _, r := range routes {
		seen[r] = true
		if !validRoute(r) {
			problems = append(problems, fmt.Sprintf("route %q: not \"METHOD /path\"", r))
		}
		p, ok := table[r]
		switch {
		case !ok:
			problems = append(problems, fmt.Sprintf("route %q: no permission declared", r))
		case p != Public && p != Authenticated && !p.Valid():
			problems = append(problems, fmt.Sprintf("route %q: malformed permission %q", r, p))
		}
	}
	for r := range table {
		if !seen[r] {
			problems = append(problems, fmt.Sprintf("route %q: declared but not served", r))
		}
	}
	if len(problems) == 0 {
		return nil
	}
	slices.Sort(problems)
	return errors.New("permission table: " + strings.Join(problems, "; "))
}

// validRoute reports whether r looks like "METHOD /path".
func validRoute(r Route) bool {
	method, path, ok := strings.Cut(string(r), " ")
	if !ok || method == "" || !strings.HasPrefix(path, "/") {
		return false
	}
	for _, c := range method {
		if c < 'A' || c > 'Z' {
			return false
		}
	}
	return true
}
