package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"

	"github.com/distrisearch/distrisearch/node"
)

// shareFlags collects repeated --share name=path flags.
type shareFlags []node.ShareConfig

func (s *shareFlags) String() string { return fmt.Sprint(*s) }

func (s *shareFlags) Set(v string) error {
	name, path, ok := strings.Cut(v, "=")
	if !ok || name == "" || path == "" {
		return fmt.Errorf("want NAME=PATH, e.g. docs=/srv/docs")
	}
	*s = append(*s, node.ShareConfig{Name: name, Path: path})
	return nil
}

// nodeFlags registers the flags that configure a node on fs and returns a
// function that builds the Config after parsing.
func nodeFlags(fs *flag.FlagSet, stderr io.Writer) func() (node.Config, error) {
	def := node.DefaultConfig()
	configFile := fs.String("config", "", "YAML configuration file (flags override it)")
	data := fs.String("data", def.DataDir, "data directory")
	httpAddr := fs.String("http-addr", def.HTTPAddr, "address of the public API (host:port)")
	interval := fs.Duration("scan-interval", def.ScanInterval, "time between full reconciliation walks of each share")
	role := fs.String("role", def.Role, "hybrid, worker, gateway or coordinator")
	internal := fs.String("internal-addr", def.InternalAddr, "address for other nodes: Raft and node-to-node API over mutual TLS (host:port)")
	advertise := fs.String("advertise-addr", "", "internal address other nodes dial, if not --internal-addr")
	join := fs.String("join", "", "on first start, join the cluster through this member's internal address")
	token := fs.String("token", os.Getenv("DISTRISEARCH_JOIN_TOKEN"), "join token from 'distrisearch init' (env DISTRISEARCH_JOIN_TOKEN)")
	var peers, hosts listFlag
	fs.Var(&peers, "peer", "another member's internal address to find the cluster by (repeatable)")
	fs.Var(&hosts, "host", "extra name or address for this node's certificate (repeatable)")
	logLevel := fs.String("log-level", "info", "debug, info, warn or error")
	logJSON := fs.Bool("log-json", false, "log JSON lines instead of text")
	var shares shareFlags
	fs.Var(&shares, "share", "share a folder as NAME=PATH (repeatable)")
	return func() (node.Config, error) {
		cfg := node.DefaultConfig()
		if *configFile != "" {
			if err := cfg.LoadFile(*configFile); err != nil {
				return cfg, err
			}
		}
		set := map[string]bool{}
		fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
		if set["data"] || *configFile == "" {
			cfg.DataDir = *data
		}
		if set["http-addr"] || *configFile == "" {
			cfg.HTTPAddr = *httpAddr
		}
		if set["scan-interval"] || *configFile == "" {
			cfg.ScanInterval = *interval
		}
		if set["role"] || *configFile == "" {
			cfg.Role = *role
		}
		if set["internal-addr"] || *configFile == "" {
			cfg.InternalAddr = *internal
		}
		if *advertise != "" {
			cfg.AdvertiseAddr = *advertise
		}
		if *join != "" {
			cfg.Join = *join
		}
		cfg.AdminPassword = os.Getenv("DISTRISEARCH_ADMIN_PASSWORD")
		if *token != "" {
			cfg.Token = *token
		}
		cfg.Peers = append(cfg.Peers, peers...)
		cfg.Hosts = append(cfg.Hosts, hosts...)
		cfg.Shares = append(cfg.Shares, shares...)
		var level slog.Level
		if err := level.UnmarshalText([]byte(*logLevel)); err != nil {
			return cfg, usageError{fmt.Sprintf("--log-level %q: want debug, info, warn or error", *logLevel)}
		}
		opts := &slog.HandlerOptions{Level: level}
		if *logJSON {
			cfg.Logger = slog.New(slog.NewJSONHandler(stderr, opts))
		} else {
			cfg.Logger = slog.New(slog.NewTextHandler(stderr, opts))
		}
		cfg.Version = version
		return cfg, nil
	}
}

// listFlag collects a repeatable string flag.
type listFlag []string

func (l *listFlag) String() string     { return strings.Join(*l, ",") }
func (l *listFlag) Set(v string) error { *l = append(*l, v); return nil }

func runNode(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("node", stderr)
	build := nodeFlags(fs, stderr)
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: distrisearch node --data DIR --http-addr HOST:PORT --share NAME=PATH [--share ...]")
		fs.PrintDefaults()
	}
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return usageError{fmt.Sprintf("unexpected argument %q", fs.Arg(0))}
	}
	cfg, err := build()
	if err != nil {
		return err
	}
	n, err := node.New(cfg)
	if err != nil {
		return usageError{err.Error()}
	}
	if err := n.Start(ctx); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "node %s serving %s (internal %s)\n", n.ID(), n.URL(), n.InternalAddr())
	if tok := n.JoinToken(); tok != "" {
		fmt.Fprintf(stdout, "created a new cluster; other nodes join with:\n  distrisearch node --join %s --token %s ...\n", n.InternalAddr(), tok)
		if pw := n.AdminPassword(); pw != "" {
			fmt.Fprintf(stdout, "administrator: user %q, password %s (shown once; keep it safe)\n", "admin", pw)
		}
	}
	<-ctx.Done()
	fmt.Fprintln(stdout, "stopping")
	return n.Close()
}
