package bench

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"path/filepath"
	"sync"
	"time"

	"github.com/distrisearch/distrisearch/client"
	"github.com/distrisearch/distrisearch/node"
)

// GatewayCluster is an in-process cluster on 127.0.0.1 as the data-plane
// benchmark runs it: a gateway (role gateway: it stores nothing, routes
// and merges) that created the cluster, and data nodes (role hybrid) that
// joined it, each sharing its own folder. Searches go through the
// gateway, which asks one replica of every partition (the first ALIVE one
// in placement order, so the work spreads over the data nodes) and merges
// with global BM25 statistics.
//
// Start it with StartGateway, then AddDataNodes; Close stops it.
type GatewayCluster struct {
	Logger *slog.Logger // nil: discard the nodes' logs

	gateway  *node.Node
	data     []*node.Node
	password string
	opts     client.Options
}

var _ Target = (*GatewayCluster)(nil)

// StartGateway creates the cluster: the gateway node, with its data in
// workDir/gateway, and the administrator's login through its API.
func (g *GatewayCluster) StartGateway(ctx context.Context, workDir string) error {
	password, err := randomPassword()
	if err != nil {
		return err
	}
	g.password = password
	cfg := benchNodeConfig(filepath.Join(workDir, "gateway"), g.Logger, password)
	cfg.Role = "gateway"
	n, err := node.New(cfg)
	if err == nil {
		err = n.Start(ctx)
	}
	if err != nil {
		return fmt.Errorf("start the gateway: %w", err)
	}
	g.gateway = n
	g.opts = client.Options{CAFile: n.CAFile()}
	c, err := client.NewWithOptions(n.URL(), g.opts)
	if err == nil {
		_, err = c.Login(ctx, adminUser, password)
	}
	if err != nil {
		return fmt.Errorf("log in to the gateway: %w", err)
	}
	g.opts.Token = c.Token
	return nil
}

// AddDataNodes starts one data node per share, all at once, each joining
// through the gateway, with its data in workDir/nodeN. Each node starts
// walking its share as soon as it has joined: the nodes join within a
// short time of each other, so nearly every record is written to the
// full replica set at once (the first few, written before the last node
// joined, reach it through the anti-entropy round that the placement
// change starts).
func (g *GatewayCluster) AddDataNodes(ctx context.Context, shares []Share, workDir string) error {
	if g.gateway == nil {
		return errors.New("bench: start the gateway first")
	}
	nodes := make([]*node.Node, len(shares))
	errs := make([]error, len(shares))
	var wg sync.WaitGroup
	for i, sh := range shares {
		cfg := benchNodeConfig(filepath.Join(workDir, fmt.Sprintf("node%d", len(g.data)+i+1)), g.Logger, g.password)
		cfg.Join, cfg.Token = g.gateway.InternalAddr(), g.gateway.JoinToken()
		cfg.Shares = []node.ShareConfig{{Name: sh.Name, Path: sh.Root}}
		wg.Add(1)
		go func() {
			defer wg.Done()
			n, err := node.New(cfg)
			if err == nil {
				err = n.Start(ctx)
			}
			if err != nil {
				errs[i] = fmt.Errorf("start data node %d: %w", i+1, err)
				return
			}
			nodes[i] = n
		}()
	}
	wg.Wait()
	for _, n := range nodes {
		if n != nil {
			g.data = append(g.data, n)
		}
	}
	return errors.Join(errs...)
}

// benchNodeConfig is the configuration every benchmark node shares: free
// ports on 127.0.0.1, the given administrator password (used by the node
// that creates the cluster), no rate limits.
func benchNodeConfig(dataDir string, logger *slog.Logger, password string) node.Config {
	cfg := node.DefaultConfig()
	cfg.DataDir = dataDir
	cfg.HTTPAddr, cfg.InternalAddr = "127.0.0.1:0", "127.0.0.1:0"
	cfg.Logger = logger
	cfg.AdminPassword = password
	cfg.RateLimits = node.RateLimits{PerIP: unlimited, PerUser: unlimited, Login: unlimited}
	return cfg
}

// Info describes the cluster: its data nodes and the copies of each
// record (the replication factor, at most the number of data nodes).
func (g *GatewayCluster) Info() TargetInfo {
	return TargetInfo{Name: "cluster, searched through a gateway", Nodes: len(g.data), Replication: g.Replication()}
}

// Replication returns the copies each record has: the cluster's
// replication factor, bounded by the number of data nodes.
func (g *GatewayCluster) Replication() int {
	if g.gateway == nil || g.gateway.Cluster() == nil {
		return 0
	}
	return min(g.gateway.Cluster().View().Config.ReplicationFactor, len(g.data))
}

// Partitions returns the cluster's partition count.
func (g *GatewayCluster) Partitions() int {
	if g.gateway == nil || g.gateway.Cluster() == nil {
		return 0
	}
	return g.gateway.Cluster().View().Config.PartitionCount
}

// SearchURL is the gateway's API.
func (g *GatewayCluster) SearchURL() string { return g.gateway.URL() }

// DataURLs are the data nodes' APIs.
func (g *GatewayCluster) DataURLs() []string {
	urls := make([]string, len(g.data))
	for i, n := range g.data {
		urls[i] = n.URL()
	}
	return urls
}

// NodeURLs are the gateway's and the data nodes' APIs.
func (g *GatewayCluster) NodeURLs() []string {
	return append([]string{g.gateway.URL()}, g.DataURLs()...)
}

// ClientOptions trust the cluster CA and carry the administrator's token.
func (g *GatewayCluster) ClientOptions() client.Options { return g.opts }

// ReplicationPending returns the record changes the data nodes have not
// yet written to their replica sets, in total.
func (g *GatewayCluster) ReplicationPending() int64 {
	var n int64
	for _, d := range g.data {
		n += d.ReplicationPending()
	}
	return n
}

// Close stops the data nodes, all at once, then the gateway.
func (g *GatewayCluster) Close() error {
	errs := make([]error, len(g.data))
	var wg sync.WaitGroup
	for i, n := range g.data {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = n.Close()
		}()
	}
	wg.Wait()
	g.data = nil
	if g.gateway != nil {
		errs = append(errs, g.gateway.Close())
		g.gateway = nil
	}
	return errors.Join(errs...)
}

// replicationPending is a target whose nodes report their replication
// backlog.
type replicationPending interface {
	ReplicationPending() int64
}

// ReplicationPending returns the node's replication backlog.
func (t nodeTarget) ReplicationPending() int64 { return t.n.ReplicationPending() }

// WaitQuiet returns once t's nodes have written every record change to
// its replica set, as seen by polls over a few seconds (the backlog is
// reported at the end of each replication pass). It is not timed: the
// benchmark uses it so that one system's background work does not fall
// into the next measurement.
func WaitQuiet(ctx context.Context, t replicationPending, poll time.Duration) error {
	if poll <= 0 {
		poll = 100 * time.Millisecond
	}
	const calm = 10 // consecutive polls without a backlog
	tick := time.NewTicker(poll)
	defer tick.Stop()
	for still := 0; still < calm; {
		if t.ReplicationPending() == 0 {
			still++
		} else {
			still = 0
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("wait for replication: %w (%d changes pending)", ctx.Err(), t.ReplicationPending())
		case <-tick.C:
		}
	}
	return nil
}

// WaitCounts returns once a match-all search through every one of urls
// counts want files (each data node of a cluster where every node holds
// every partition: then every copy is indexed). It fails like
// WaitSearchable when a count passes want or stalls below it.
func WaitCounts(ctx context.Context, urls []string, copts client.Options, want uint64, o WaitOptions) error {
	o = o.withDefaults()
	var cs []*client.Client
	for _, u := range urls {
		c, err := client.NewWithOptions(u, copts)
		if err != nil {
			return err
		}
		cs = append(cs, c)
	}
	last := make([]uint64, len(cs))
	lastChange := time.Now()
	tick := time.NewTicker(o.Poll)
	defer tick.Stop()
	for {
		done := true
		for i, c := range cs {
			n, err := countAll(ctx, c)
			if err != nil {
				return err
			}
			switch {
			case n > want:
				return fmt.Errorf("%s: %d files searchable, more than the %d of the corpus", c.BaseURL(), n, want)
			case n != last[i]:
				last[i], lastChange = n, time.Now()
			}
			done = done && n == want
		}
		if done {
			return nil
		}
		if time.Since(lastChange) > o.Stall {
			return fmt.Errorf("stuck at %v of %d files searchable for %s", last, want, o.Stall)
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("wait for %d files on every node: %w (counts %v)", want, ctx.Err(), last)
		case <-tick.C:
		}
	}
}
