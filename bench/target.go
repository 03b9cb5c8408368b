package bench

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"log/slog"
	"path/filepath"
	"time"

	"github.com/distrisearch/distrisearch/client"
	"github.com/distrisearch/distrisearch/node"
)

// Share is a folder a target shares, under a share name.
type Share struct {
	Name string
	Root string
}

// TargetInfo describes a target in reports.
type TargetInfo struct {
	Name        string // e.g. "node" or "cluster"
	Nodes       int    // processes (or in-process nodes) serving it
	Replication int    // copies of each file record (1 for a single node)
}

// Target is a running system under test, reached only through its public
// REST API.
type Target interface {
	Info() TargetInfo
	// SearchURL is the base URL searches go to: the node itself, or the
	// gateway of a cluster.
	SearchURL() string
	// NodeURLs are the base URLs of every node, whose /api/status tells
	// when their first walk is done.
	NodeURLs() []string
	// ClientOptions are what a client of the target needs, as a user has
	// it: the CA that signs the nodes' HTTPS certificates and a bearer
	// token.
	ClientOptions() client.Options
	// Close stops the target and releases what Launch created.
	Close() error
}

// Launcher starts a Target that shares one folder. Launch returns once the
// API answers; ingest is timed from the call to Launch. workDir is an empty
// directory the target may use for its data.
type Launcher interface {
	Launch(ctx context.Context, share Share, workDir string) (Target, error)
}

// NodeLauncher starts one in-process node (package node) on 127.0.0.1 with
// free ports: a cluster of one, its own coordinator, serving HTTPS with a
// certificate of its cluster CA. Launch logs in as the administrator, so
// the searches carry a token as a user's do; the rate limits are lifted,
// because the benchmark is one client sending thousands of queries.
type NodeLauncher struct {
	Logger *slog.Logger // nil: discard the node's logs
	// ScanInterval is the node's reconciliation walk interval; 0 keeps
	// the node's default.
	ScanInterval time.Duration
}

var _ Launcher = NodeLauncher{}

// Launch starts the node with its data in workDir/data.
func (l NodeLauncher) Launch(ctx context.Context, share Share, workDir string) (Target, error) {
	password, err := randomPassword()
	if err != nil {
		return nil, err
	}
	cfg := node.DefaultConfig()
	cfg.DataDir = filepath.Join(workDir, "data")
	cfg.HTTPAddr = "127.0.0.1:0"
	cfg.InternalAddr = "127.0.0.1:0"
	cfg.Shares = []node.ShareConfig{{Name: share.Name, Path: share.Root}}
	cfg.Logger = l.Logger
	cfg.AdminPassword = password
	cfg.RateLimits = node.RateLimits{PerIP: unlimited, PerUser: unlimited, Login: unlimited}
	if l.ScanInterval != 0 {
		cfg.ScanInterval = l.ScanInterval
	}
	n, err := node.New(cfg)
	if err != nil {
		return nil, fmt.Errorf("node config: %w", err)
	}
	if err := n.Start(ctx); err != nil {
		return nil, fmt.Errorf("start node: %w", err)
	}
	t := nodeTarget{n: n, opts: client.Options{CAFile: n.CAFile()}}
	c, err := client.NewWithOptions(n.URL(), t.opts)
	if err == nil {
		_, err = c.Login(ctx, adminUser, password)
	}
	if err != nil {
		_ = n.Close()
		return nil, fmt.Errorf("log in to the node: %w", err)
	}
	t.opts.Token = c.Token
	return t, nil
}

// adminUser is the first administrator of a new cluster.
const adminUser = "admin"

// unlimited is a rate limit (per minute) no benchmark reaches.
const unlimited = 1 << 30

// randomPassword returns a fresh administrator password.
func randomPassword() (string, error) {
	b := make([]byte, 18)
	if _, err := rand.Read(b); err != nil {
		return "", err
	}
	return base64.RawURLEncoding.EncodeToString(b), nil
}

// nodeTarget is a single node.
type nodeTarget struct {
	n    *node.Node
	opts client.Options
}

func (t nodeTarget) Info() TargetInfo              { return TargetInfo{Name: "node", Nodes: 1, Replication: 1} }
func (t nodeTarget) SearchURL() string             { return t.n.URL() }
func (t nodeTarget) NodeURLs() []string            { return []string{t.n.URL()} }
func (t nodeTarget) ClientOptions() client.Options { return t.opts }
func (t nodeTarget) Close() error                  { return t.n.Close() }

// ClusterLauncher starts an in-process cluster of Nodes nodes (default 3)
// on 127.0.0.1: the first creates the cluster, the others join it, the
// last one shares the folder, and searches go through the first, which
// shares nothing. Records are replicated to min(RF, Nodes) nodes, so with
// the default RF of 3 and 3 nodes the first holds a copy of every
// partition and answers from its own index once replication is done.
// GatewayCluster is the data-plane benchmark's cluster: every data node
// shares a part of the corpus and searches go through a gateway.
type ClusterLauncher struct {
	Nodes  int          // default 3
	Logger *slog.Logger // nil: discard the nodes' logs
}

var _ Launcher = ClusterLauncher{}

// Launch starts the nodes with their data under workDir.
func (l ClusterLauncher) Launch(ctx context.Context, share Share, workDir string) (Target, error) {
	count := l.Nodes
	if count == 0 {
		count = 3
	}
	if count < 2 {
		return nil, fmt.Errorf("a cluster target needs at least 2 nodes, not %d", count)
	}
	password, err := randomPassword()
	if err != nil {
		return nil, err
	}
	t := &clusterTarget{}
	for i := range count {
		cfg := node.DefaultConfig()
		cfg.DataDir = filepath.Join(workDir, fmt.Sprintf("node%d", i+1))
		cfg.HTTPAddr, cfg.InternalAddr = "127.0.0.1:0", "127.0.0.1:0"
		cfg.Logger = l.Logger
		cfg.AdminPassword = password
		cfg.RateLimits = node.RateLimits{PerIP: unlimited, PerUser: unlimited, Login: unlimited}
		if i > 0 {
			cfg.Join, cfg.Token = t.nodes[0].InternalAddr(), t.nodes[0].JoinToken()
		}
		if i == count-1 {
			cfg.Shares = []node.ShareConfig{{Name: share.Name, Path: share.Root}}
		}
		n, err := node.New(cfg)
		if err == nil {
			err = n.Start(ctx)
		}
		if err != nil {
			_ = t.Close()
			return nil, fmt.Errorf("start node %d: %w", i+1, err)
		}
		t.nodes = append(t.nodes, n)
	}
	t.opts = client.Options{CAFile: t.nodes[0].CAFile()}
	c, err := client.NewWithOptions(t.nodes[0].URL(), t.opts)
	if err == nil {
		_, err = c.Login(ctx, adminUser, password)
	}
	if err != nil {
		_ = t.Close()
		return nil, fmt.Errorf("log in to the gateway: %w", err)
	}
	t.opts.Token = c.Token
	return t, nil
}

// clusterTarget is an in-process cluster searched through its first node.
type clusterTarget struct {
	nodes []*node.Node
	opts  client.Options
}

func (t *clusterTarget) Info() TargetInfo {
	rf := 0
	if c := t.nodes[0].Cluster(); c != nil {
		rf = min(c.View().Config.ReplicationFactor, len(t.nodes))
	}
	return TargetInfo{Name: "cluster, searched through a node that shares no folder", Nodes: len(t.nodes), Replication: rf}
}
func (t *clusterTarget) SearchURL() string             { return t.nodes[0].URL() }
func (t *clusterTarget) ClientOptions() client.Options { return t.opts }
func (t *clusterTarget) NodeURLs() []string {
	urls := make([]string, len(t.nodes))
	for i, n := range t.nodes {
		urls[i] = n.URL()
	}
	return urls
}

// Close stops the nodes, the last first.
func (t *clusterTarget) Close() error {
	var errs []error
	for i := len(t.nodes) - 1; i >= 0; i-- {
		errs = append(errs, t.nodes[i].Close())
	}
	return errors.Join(errs...)
}
