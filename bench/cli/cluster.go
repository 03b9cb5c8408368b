package cli

import (
	"context"
	"flag"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/distrisearch/distrisearch/bench"
)

func runCluster(ctx context.Context, args []string, command string, stdout, stderr io.Writer) error {
	o := bench.DefaultClusterOptions()
	fs := flag.NewFlagSet("cluster", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&o.Corpus, "corpus", "", "folder to index (default: $(go env GOROOT)/src)")
	fs.IntVar(&o.MaxFiles, "max-files", 0, "index at most this many files with text (0: all)")
	fs.IntVar(&o.Nodes, "nodes", o.Nodes, "data nodes of the cluster, each sharing an equal part of the corpus (a gateway comes on top)")
	fs.IntVar(&o.Runs, "runs", o.Runs, "runs on fresh nodes; the report shows medians")
	fs.IntVar(&o.Warmup, "warmup", o.Warmup, "untimed runs of each query")
	fs.IntVar(&o.Reps, "reps", o.Reps, "timed runs of each query")
	fs.StringVar(&o.Cranfield, "cranfield", defaultCranfield(), `directory with cran.all.1400, cran.qry and cranqrel ("": skip the nDCG comparison)`)
	fs.IntVar(&o.CranMaxDocs, "cran-max-docs", 0, "index only the first Cranfield documents (0: all)")
	fs.IntVar(&o.CranMaxQueries, "cran-max-queries", 0, "run only the first Cranfield queries (0: all)")
	fs.StringVar(&o.WorkDir, "work", "", "parent of the temporary work directory (default: the system's)")
	fs.BoolVar(&o.Keep, "keep", false, "keep the work directory")
	fs.StringVar(&o.CPUProfile, "cpuprofile", "", "write a CPU profile of the first run's cluster ingest to this file")
	timeout := fs.Duration("timeout", 2*time.Hour, "give up after this long")
	doc := fs.String("doc", "docs/BENCHMARKS.md", `report to update ("" : print only)`)
	verbose := fs.Bool("v", false, "show the nodes' warnings and errors")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected arguments: %s", strings.Join(fs.Args(), " "))
	}
	if o.Corpus == "" {
		src, err := goSrc()
		if err != nil {
			return err
		}
		o.Corpus = src
	}
	o.NodeLogger = nodeLogger(*verbose, stderr)
	o.Log = stderr
	ctx, cancel := context.WithTimeout(ctx, *timeout)
	defer cancel()

	rep, err := bench.RunCluster(ctx, o)
	if err != nil {
		return err
	}
	rep.Revision = revision(ctx)
	return publish(stdout, stderr, rep, command, *doc, "Benchmarks")
}
