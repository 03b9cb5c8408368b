package cli

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"github.com/distrisearch/distrisearch/bench"
)

func runIngestSearch(ctx context.Context, args []string, command string, stdout, stderr io.Writer) error {
	o := bench.DefaultIngestOptions()
	fs := flag.NewFlagSet("ingest-search", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&o.Corpus, "corpus", "", "folder to index (default: $(go env GOROOT)/src)")
	fs.IntVar(&o.MaxFiles, "max-files", 0, "index at most this many files with text (0: all)")
	fs.IntVar(&o.Runs, "runs", o.Runs, "ingest runs on fresh indexes; the report shows medians")
	fs.IntVar(&o.BareBatch, "bare-batch", o.BareBatch, "documents per batch of the bare bleve baseline")
	fs.IntVar(&o.Warmup, "warmup", o.Warmup, "untimed runs of each query")
	fs.IntVar(&o.Reps, "reps", o.Reps, "timed runs of each query")
	fs.IntVar(&o.Verify, "verify", o.Verify, "files looked up one by one with path: after ingest (0: all, -1: none)")
	fs.BoolVar(&o.Breakdown, "breakdown", o.Breakdown, "also time the product's index and record store alone")
	fs.StringVar(&o.WorkDir, "work", "", "parent of the temporary work directory (default: the system's)")
	fs.BoolVar(&o.Keep, "keep", false, "keep the work directory")
	fs.StringVar(&o.CPUProfile, "cpuprofile", "", "write a CPU profile of one more pass of the API searches (no snippets, no facets) to this file")
	timeout := fs.Duration("timeout", time.Hour, "give up after this long")
	doc := fs.String("doc", "docs/BENCHMARKS.md", `report to update ("" : print only)`)
	verbose := fs.Bool("v", false, "show the node's warnings and errors")
	target := fs.String("target", "node", `"node", or "cluster": nodes in-process, the last sharing the corpus, searched through the first (the report is printed, not written, unless -doc is given)`)
	nodes := fs.Int("nodes", 3, "nodes of the cluster target")
	if err := fs.Parse(args); err != nil {
		return err
	}
	docSet := false
	fs.Visit(func(f *flag.Flag) { docSet = docSet || f.Name == "doc" })
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
	switch *target {
	case "node":
		o.Target = bench.NodeLauncher{Logger: nodeLogger(*verbose, stderr)}
	case "cluster":
		o.Target = bench.ClusterLauncher{Nodes: *nodes, Logger: nodeLogger(*verbose, stderr)}
		if !docSet {
			*doc = "" // docs/BENCHMARKS.md holds the single node's run
		}
	default:
		return fmt.Errorf("-target %q: want node or cluster", *target)
	}
	o.Log = stderr
	ctx, cancel := context.WithTimeout(ctx, *timeout)
	defer cancel()

	rep, err := bench.RunIngestSearch(ctx, o)
	if err != nil {
		return err
	}
	rep.Revision = revision(ctx)
	return publish(stdout, stderr, rep, command, *doc, "Benchmarks")
}

// goSrc returns the source tree of the Go toolchain: $(go env GOROOT)/src.
func goSrc() (string, error) {
	out, err := exec.Command("go", "env", "GOROOT").Output()
	root := strings.TrimSpace(string(out))
	if err != nil || root == "" {
		return "", fmt.Errorf("find the Go source tree with `go env GOROOT` (%v); name a corpus with -corpus", err)
	}
	return filepath.Join(root, "src"), nil
}
