// Package cli is the command line of distrisearch-bench: it parses the
// flags of each command, runs the benchmark from package bench, prints the
// report and updates the report file. It lives apart from package main so
// the tests run the commands exactly as a user does.
package cli

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"strings"
)

const usage = `usage: distrisearch-bench COMMAND [flags]

Commands:
  ingest-search  time until a corpus is searchable and search latency, product against bare bleve
  cluster        a cluster (3 data nodes, RF 3, a gateway) against one node: ingest, replication
                 efficiency, search latency through the gateway, ranking agreement and Cranfield nDCG@10
  eval           nDCG@10 and MAP on the Cranfield collection, product against bare bleve

Run "distrisearch-bench COMMAND -h" for the flags of a command.
`

// Run runs the command in args (without the program name). It returns
// flag.ErrHelp after printing the usage when args hold no command or ask
// for help.
func Run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return flag.ErrHelp
	}
	command := "go run ./cmd/distrisearch-bench " + shellJoin(args)
	switch args[0] {
	case "ingest-search":
		return runIngestSearch(ctx, args[1:], command, stdout, stderr)
	case "cluster":
		return runCluster(ctx, args[1:], command, stdout, stderr)
	case "eval":
		return runEval(ctx, args[1:], command, stdout, stderr)
	case "-h", "-help", "--help", "help":
		fmt.Fprint(stdout, usage)
		return nil
	default:
		fmt.Fprint(stderr, usage)
		return fmt.Errorf("unknown command %q", args[0])
	}
}

// nodeLogger returns the logger of the measured nodes: warnings and errors
// on stderr with -v, nothing otherwise.
func nodeLogger(verbose bool, stderr io.Writer) *slog.Logger {
	if !verbose {
		return slog.New(slog.DiscardHandler)
	}
	return slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
}

// shellJoin joins args into a command line a POSIX shell reads back as the
// same words.
func shellJoin(args []string) string {
	out := make([]string, len(args))
	for i, a := range args {
		if a != "" && !strings.ContainsFunc(a, func(r rune) bool {
			return !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("-_./=:,+@%", r))
		}) {
			out[i] = a
			continue
		}
		out[i] = "'" + strings.ReplaceAll(a, "'", `'\''`) + "'"
	}
	return strings.Join(out, " ")
}
