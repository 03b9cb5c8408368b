package cli

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/distrisearch/distrisearch/bench"
)

func runEval(ctx context.Context, args []string, command string, stdout, stderr io.Writer) error {
	o := bench.DefaultEvalOptions()
	fs := flag.NewFlagSet("eval", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&o.Data, "data", defaultCranfield(), "directory with cran.all.1400, cran.qry and cranqrel")
	fs.IntVar(&o.MaxDocs, "max-docs", 0, "index only the first documents (0: all)")
	fs.IntVar(&o.MaxQueries, "max-queries", 0, "run only the first queries (0: all)")
	fs.StringVar(&o.Format, "format", o.Format, "document files: txt (the .W text, title on the first line) or md (title as a # heading)")
	fs.IntVar(&o.Depth, "depth", o.Depth, "ranked results per query that the metrics see")
	fs.StringVar(&o.WorkDir, "work", "", "parent of the temporary work directory (default: the system's)")
	fs.BoolVar(&o.Keep, "keep", false, "keep the work directory")
	timeout := fs.Duration("timeout", 30*time.Minute, "give up after this long")
	doc := fs.String("doc", "docs/relevance.md", `report to update ("" : print only)`)
	verbose := fs.Bool("v", false, "show the node's warnings and errors")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected arguments: %s", strings.Join(fs.Args(), " "))
	}
	o.Target = bench.NodeLauncher{Logger: nodeLogger(*verbose, stderr)}
	o.Log = stderr
	ctx, cancel := context.WithTimeout(ctx, *timeout)
	defer cancel()

	rep, err := bench.RunEval(ctx, o)
	if err != nil {
		return err
	}
	rep.Revision = revision(ctx)
	return publish(stdout, stderr, rep, command, *doc, "Relevance")
}

// defaultCranfield is $DISTRISEARCH_CRANFIELD, else ../shared/data/cranfield
// (the collection next to the repository).
func defaultCranfield() string {
	if d := os.Getenv("DISTRISEARCH_CRANFIELD"); d != "" {
		return d
	}
	return "../shared/data/cranfield"
}
