package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"slices"
	"strings"

	"github.com/distrisearch/distrisearch/api"
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

// shareAccess is one --share-access NAME=role:R,group:G flag.
type shareAccess struct {
	share         string
	roles, groups []string
}

// shareAccessFlags collects repeated --share-access flags.
type shareAccessFlags []shareAccess

func (s *shareAccessFlags) String() string { return fmt.Sprint(*s) }

func (s *shareAccessFlags) Set(v string) error {
	const want = "want NAME=role:ROLE,group:GROUP (one or more), e.g. finance=role:admin,group:finance"
	name, list, ok := strings.Cut(v, "=")
	if !ok || name == "" || list == "" {
		return errors.New(want)
	}
	a := shareAccess{share: name}
	for _, item := range strings.Split(list, ",") {
		kind, val, ok := strings.Cut(strings.TrimSpace(item), ":")
		if !ok || val == "" || strings.ContainsAny(val, " \t") {
			return fmt.Errorf("%q: %s", item, want)
		}
		switch kind {
		case "role":
			a.roles = append(a.roles, val)
		case "group":
			a.groups = append(a.groups, val)
		default:
			return fmt.Errorf("%q: %s", item, want)
		}
	}
	*s = append(*s, a)
	return nil
}

// apply sets the roles and groups of configured shares, and of the
// uploads share (api.UploadShare): the flags of one share replace what the
// configuration file said, and add up among themselves.
func (s shareAccessFlags) apply(cfg *node.Config) error {
	shares := cfg.Shares
	seen := map[string]bool{}
	for _, a := range s {
		if a.share == api.UploadShare {
			if !seen[a.share] {
				cfg.UploadRoles, cfg.UploadGroups = nil, nil
				seen[a.share] = true
			}
			cfg.UploadRoles = append(cfg.UploadRoles, a.roles...)
			cfg.UploadGroups = append(cfg.UploadGroups, a.groups...)
			continue
		}
		i := slices.IndexFunc(shares, func(sh node.ShareConfig) bool { return sh.Name == a.share })
		if i < 0 {
			names := make([]string, len(shares))
			for j, sh := range shares {
				names[j] = sh.Name
			}
			known := "none is configured"
			if len(names) > 0 {
				known = "configured: " + strings.Join(names, ", ")
			}
			return usageError{fmt.Sprintf("--share-access %s: no share named %q (%s; add it with --share %s=PATH or in the config file)", a.share, a.share, known, a.share)}
		}
		if !seen[a.share] {
			shares[i].Roles, shares[i].Groups = nil, nil
			seen[a.share] = true
		}
		shares[i].Roles = append(shares[i].Roles, a.roles...)
		shares[i].Groups = append(shares[i].Groups, a.groups...)
	}
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
	var access shareAccessFlags
	fs.Var(&access, "share-access", "restrict a configured share, or \"uploads\" (files uploaded through this node), to users with one of these roles or groups (and admins): NAME=role:R,group:G (repeatable)")
	maxUpload := fs.Int64("max-upload-bytes", def.MaxUploadBytes, "largest file one upload (POST /api/files) may send")
	tlsCert := fs.String("tls-cert", "", "PEM certificate (chain) of the public API (default: one signed by the cluster CA)")
	tlsKey := fs.String("tls-key", "", "PEM private key of --tls-cert")
	insecureHTTP := fs.Bool("insecure-http", false, "serve the public API as plain HTTP (only behind a TLS-terminating proxy, or for tests)")
	anonymous := fs.Bool("anonymous-search", false, "let requests without a token search and download from unrestricted shares (as the guest role)")
	ratePerIP := fs.Int("rate-per-ip", 0, "API requests per minute per client address (0: the default, 100)")
	ratePerUser := fs.Int("rate-per-user", 0, "API requests per minute per user (0: the default, 200)")
	rateLogin := fs.Int("rate-login", 0, "login attempts per minute per address and per username (0: the default, 10)")
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
		if err := access.apply(&cfg); err != nil {
			return cfg, err
		}
		if set["tls-cert"] || *configFile == "" {
			cfg.TLSCert = *tlsCert
		}
		if set["tls-key"] || *configFile == "" {
			cfg.TLSKey = *tlsKey
		}
		if (cfg.TLSCert == "") != (cfg.TLSKey == "") {
			return cfg, usageError{"--tls-cert and --tls-key go together"}
		}
		if set["max-upload-bytes"] || *configFile == "" {
			if *maxUpload <= 0 {
				return cfg, usageError{"--max-upload-bytes must be positive"}
			}
			cfg.MaxUploadBytes = *maxUpload
		}
		if set["insecure-http"] || *configFile == "" {
			cfg.InsecureHTTP = *insecureHTTP
		}
		if set["anonymous-search"] || *configFile == "" {
			cfg.AnonymousSearch = *anonymous
		}
		for _, r := range []struct {
			flag string
			val  int
			dst  *int
		}{
			{"rate-per-ip", *ratePerIP, &cfg.RateLimits.PerIP},
			{"rate-per-user", *ratePerUser, &cfg.RateLimits.PerUser},
			{"rate-login", *rateLogin, &cfg.RateLimits.Login},
		} {
			if r.val < 0 {
				return cfg, usageError{fmt.Sprintf("--%s must not be negative", r.flag)}
			}
			if set[r.flag] || *configFile == "" {
				*r.dst = r.val
			}
		}
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
		fmt.Fprintln(stderr, "usage: distrisearch node --data DIR --http-addr HOST:PORT --share NAME=PATH [--share ...] [--share-access NAME=role:R,group:G ...]\n\nThe API is served over HTTPS with a certificate of the cluster CA (DATA/tls/ca.crt), or --tls-cert/--tls-key.\nThe first administrator, user \"admin\", gets DISTRISEARCH_ADMIN_PASSWORD when this node creates the cluster, else a generated password shown once.")
		fs.PrintDefaults()
	}
	if err := parseNoArgs(fs, args); err != nil {
		return err
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
	if strings.HasPrefix(n.URL(), "https://") && cfg.TLSCert == "" {
		fmt.Fprintf(stdout, "clients trust the cluster CA: --ca %s (or DISTRISEARCH_CA)\n", n.CAFile())
	}
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
