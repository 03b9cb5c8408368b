package cli

import (
	"context"
	"fmt"
	"io"
	"os/exec"
	"slices"
	"strings"

	"github.com/distrisearch/distrisearch/bench"
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

// report is what both commands print and write into their doc.
type report interface {
	Markdown(command string) string
	UpdateDoc(doc, command string) string
}

// publish prints the report and, unless doc is "", rewrites its sections
// of the doc file (created with the given title if missing).
func publish(stdout, stderr io.Writer, rep report, command, doc, title string) error {
	fmt.Fprintln(stdout, rep.Markdown(command))
	if doc == "" {
		return nil
	}
	if err := bench.UpdateFile(doc, title, func(s string) string { return rep.UpdateDoc(s, command) }); err != nil {
		return err
	}
	fmt.Fprintf(stderr, "updated %s\n", doc)
	return nil
}
