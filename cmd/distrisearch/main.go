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

// commands returns the commands; those that read what a person types read
// it from stdin.
func commands(stdin io.Reader) map[string]command {
	withInput := func(f func(context.Context, []string, io.Reader, io.Writer, io.Writer) error) func(context.Context, []string, io.Writer, io.Writer) error {
		return func(ctx context.Context, args []string, stdout, stderr io.Writer) error {
			return f(ctx, args, stdin, stdout, stderr)
		}
	}
	return map[string]command{
		"init":   {"create a cluster: CA, first node identity, join token", runInit},
		"node":   {"run a node that shares folders and serves the API", runNode},
		"nodes":  {"list the cluster's nodes, the leader and the service registry", runNodes},
		"events": {"print cluster events (-f to follow)", runEvents},
		"leave":  {"make a node leave the cluster gracefully", runLeave},
		"demo":   {"run a local demo on the built-in sample folder", runDemo},
		"search": {"search the cluster: distrisearch search QUERY", runSearch},
		"get":    {"download a file: distrisearch get FILE_ID -o PATH", runGet},
		"put":    {"upload a file: distrisearch put FILE [--name N] [--folder DIR] [--consistency quorum]", runPut},
		"rm":     {"delete an uploaded file: distrisearch rm FILE_ID", runRm},
		"rmdir":  {"delete a folder of uploaded files: distrisearch rmdir FOLDER", runRmdir},
		"mvdir":  {"move a folder of uploaded files: distrisearch mvdir FROM TO", runMvdir},
		"status": {"show a node's status and scan progress", runStatus},
		"login":  {"log in to a server and save the session: distrisearch login --user NAME", withInput(runLogin)},
		"logout": {"end the saved session (the token is revoked cluster-wide)", runLogout},
		"whoami": {"show the user, roles and groups of the saved session", runWhoami},
		"user":   {"manage users (admin): user add|passwd|roles|groups|disable|enable|list", withInput(runUser)},
		"audit":  {"show the audit log (admin): who did what, when, from where; 'audit verify' checks its hash chains", runAudit},
		"keys":   {"rotate the token signing key (admin): distrisearch keys rotate", runKeys},
		"version": {"print the version", func(_ context.Context, _ []string, out, _ io.Writer) error {
			_, err := fmt.Fprintln(out, version)
			return err
		}},
	}
}

func usage(w io.Writer) {
	fmt.Fprintln(w, "usage: distrisearch COMMAND [flags]\n\ncommands:")
	cmds := commands(nil)
	names := make([]string, 0, len(cmds))
	for n := range cmds {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		fmt.Fprintf(w, "  %-8s %s\n", n, cmds[n].summary)
	}
	fmt.Fprint(w, `
'distrisearch COMMAND -h' shows a command's flags.

Commands that talk to a node take --server (env DISTRISEARCH_SERVER, default
https://127.0.0.1:8080) and --ca FILE (env DISTRISEARCH_CA), the cluster CA:
the first node's DATA/tls/ca.crt. 'distrisearch login' saves the session of
each server in the user configuration directory (distrisearch/credentials.json);
the other commands use it, or the token in DISTRISEARCH_TOKEN.
`)
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	os.Exit(run(ctx, os.Args[1:], os.Stdout, os.Stderr))
}

// run is main without the process: tests call it.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	return runIn(ctx, args, os.Stdin, stdout, stderr)
}

// runIn is run reading what a person types from stdin.
func runIn(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		usage(stdout)
		if len(args) == 0 {
			return 2
		}
		return 0
	}
	cmd, ok := commands(stdin)[args[0]]
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
		fmt.Fprintf(stderr, "distrisearch %s: %s\n", args[0], explain(args[0], err))
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

// parseNoArgs parses flags for a command that takes no positional
// arguments.
func parseNoArgs(fs *flag.FlagSet, args []string) error {
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return usageError{fmt.Sprintf("unexpected argument %q", fs.Arg(0))}
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
