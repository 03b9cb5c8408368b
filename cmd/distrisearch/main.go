// Command distrisearch is DistriSearch in one binary: it runs a node, a demo
// cluster, and the command-line client.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"sort"
	"syscall"

	ds "github.com/distrisearch/distrisearch"
)

// version is set at build time with -ldflags "-X main.version=...".
var version = "dev"

type command struct {
	summary string
	run     func(ctx context.Context, args []string, stdout, stderr io.Writer) error
}

func commands() map[string]command {
	return map[string]command{
		"init":   {"create a cluster: CA, first node identity, join token", runInit},
		"node":   {"run a node that shares folders and serves the API", runNode},
		"nodes":  {"list the cluster's nodes, the leader and the service registry", runNodes},
		"events": {"print cluster events (-f to follow)", runEvents},
		"leave":  {"make a node leave the cluster gracefully", runLeave},
		"demo":   {"run a local demo on the built-in sample folder", runDemo},
		"search": {"search the cluster: distrisearch search QUERY", runSearch},
		"get":    {"download a file: distrisearch get FILE_ID -o PATH", runGet},
		"status": {"show a node's status and scan progress", runStatus},
		"version": {"print the version", func(_ context.Context, _ []string, out, _ io.Writer) error {
			_, err := fmt.Fprintln(out, version)
			return err
		}},
	}
}

func usage(w io.Writer) {
	fmt.Fprintln(w, "usage: distrisearch COMMAND [flags]\n\ncommands:")
	cmds := commands()
	names := make([]string, 0, len(cmds))
	for n := range cmds {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		fmt.Fprintf(w, "  %-8s %s\n", n, cmds[n].summary)
	}
	fmt.Fprintln(w, "\n'distrisearch COMMAND -h' shows a command's flags.")
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	os.Exit(run(ctx, os.Args[1:], os.Stdout, os.Stderr))
}

// run is main without the process: tests call it.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		usage(stdout)
		if len(args) == 0 {
			return 2
		}
		return 0
	}
	cmd, ok := commands()[args[0]]
	if !ok {
		fmt.Fprintf(stderr, "distrisearch: unknown command %q\n\n", args[0])
		usage(stderr)
		return 2
	}
	if err := cmd.run(ctx, args[1:], stdout, stderr); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		var usageErr usageError
		if errors.As(err, &usageErr) {
			fmt.Fprintf(stderr, "distrisearch %s: %v\n", args[0], err)
			return 2
		}
		fmt.Fprintf(stderr, "distrisearch %s: %s\n", args[0], describe(err))
		return 1
	}
	return 0
}

// usageError is a mistake in the command line.
type usageError struct{ msg string }

func (e usageError) Error() string { return e.msg }

func describe(err error) string {
	var e *ds.Error
	if errors.As(err, &e) {
		if e.Code != "" && e.Code != string(e.Kind) {
			return fmt.Sprintf("%s (%s)", e.Error(), e.Code)
		}
		return e.Error()
	}
	return err.Error()
}

// newFlags returns a FlagSet that reports errors instead of exiting.
func newFlags(name string, stderr io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet("distrisearch "+name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	return fs
}

// parseFlags parses args and turns flag errors into usage errors.
func parseFlags(fs *flag.FlagSet, args []string) error {
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return err
		}
		return usageError{err.Error()}
	}
	return nil
}

// parseInterleaved parses flags that may stand before, between or after
// positional arguments, and returns the positional ones.
func parseInterleaved(fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for {
		if err := parseFlags(fs, args); err != nil {
			return nil, err
		}
		if fs.NArg() == 0 {
			return pos, nil
		}
		pos = append(pos, fs.Arg(0))
		args = fs.Args()[1:]
	}
}

func defaultServer() string {
	if s := os.Getenv("DISTRISEARCH_SERVER"); s != "" {
		return s
	}
	return "http://127.0.0.1:8080"
}
