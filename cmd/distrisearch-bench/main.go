// Command distrisearch-bench measures DistriSearch against a bare bleve
// program on the same data and writes the figures into the docs.
//
//	distrisearch-bench ingest-search [flags]   # make bench: docs/BENCHMARKS.md
//	distrisearch-bench cluster [flags]         # make bench-cluster: docs/BENCHMARKS.md
//	distrisearch-bench eval [flags]            # make eval: docs/relevance.md
//
// Run it from the repository root (the report paths are relative), e.g.
// `go run ./cmd/distrisearch-bench ingest-search -max-files 2000 -doc ”`
// or, for a quick look at the cluster figures,
// `go run ./cmd/distrisearch-bench cluster -max-files 1000 -reps 5 -cran-max-docs 300 -doc ”`.
// The commands live in package bench/cli.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"github.com/distrisearch/distrisearch/bench/cli"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := cli.Run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	switch {
	case errors.Is(err, flag.ErrHelp):
		os.Exit(2)
	case err != nil:
		fmt.Fprintln(os.Stderr, "distrisearch-bench:", err)
		os.Exit(1)
	}
}
