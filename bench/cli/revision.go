package cli

import (
	"context"
	"os/exec"
	"slices"
	"strings"
)

// revision describes the source the product was built from: the commit,
// and the top-level folders with uncommitted changes (docs/ aside, which
// the commands write), or "" outside a git work tree.
func revision(ctx context.Context) string {
	out, err := exec.CommandContext(ctx, "git", "rev-parse", "--short", "HEAD").Output()
	if err != nil {
		return ""
	}
	rev := strings.TrimSpace(string(out))
	out, err = exec.CommandContext(ctx, "git", "status", "--porcelain", "--untracked-files=no").Output()
	if err != nil {
		return rev
	}
	var dirty []string
	for _, line := range strings.Split(string(out), "\n") {
		if len(line) < 4 {
			continue
		}
		p := strings.TrimSpace(line[3:])
		if i := strings.LastIndex(p, " -> "); i >= 0 {
			p = p[i+4:]
		}
		top, _, _ := strings.Cut(p, "/")
		if top != "docs" && !slices.Contains(dirty, top) {
			dirty = append(dirty, top)
		}
	}
	if len(dirty) > 0 {
		slices.Sort(dirty)
		rev += " + uncommitted changes in " + strings.Join(dirty, ", ")
	}
	return rev
}
