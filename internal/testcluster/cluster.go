package testcluster

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/distrisearch/distrisearch/cluster"
	"github.com/distrisearch/distrisearch/transport/pki"
)

// TestConfig returns a cluster.Config with timings fit for tests on a busy
// machine under the race detector: Raft timeouts of 400 ms (the defaults'
// 150 ms make leadership flap when the test binary is starved of CPU),
// heartbeats every 100 ms, a detector that suspects after a few hundred
// milliseconds of silence. Failover measurements use DefaultConfig.
func TestConfig() cluster.Config {
	c := cluster.DefaultConfig()
	c.HeartbeatTimeout = 400 * time.Millisecond
	c.ElectionTimeout = 400 * time.Millisecond
	c.LeaderLeaseTimeout = 300 * time.Millisecond
	c.HeartbeatInterval = 100 * time.Millisecond
	c.CheckInterval = 50 * time.Millisecond
	c.Detector.FirstHeartbeatEstimate = 100 * time.Millisecond
	c.Detector.MinStdDeviation = 50 * time.Millisecond
	c.Detector.AcceptableHeartbeatPause = 150 * time.Millisecond
	c.Detector.DeadAfter = 300 * time.Millisecond
	c.Detector.StartupGrace = 600 * time.Millisecond
	c.LivenessCommitInterval = time.Second
	c.VoterReplaceAfter = 500 * time.Millisecond
	c.ApplyTimeout = 2 * time.Second
	c.WatchWait = 2 * time.Second
	c.RetryInterval = 50 * time.Millisecond
	c.RaftLogLevel = "off"
	return c
}

// Options configure a test cluster.
type Options struct {
	Voters   int                            // desired Raft voters (default 3)
	Standbys int                            // warm standbys (default 0)
	Tune     func(i int, c *cluster.Config) // adjusts node i's config
	Setup    func(i int, n *cluster.Node)   // runs before each (re)start of node i, e.g. to add internal routes
	Logger   *slog.Logger                   // default: discard, or stderr when DS_TEST_LOG=1
}

// Cluster is a set of in-process nodes.
type Cluster struct {
	t     testing.TB
	opts  Options
	root  string
	Token string  // join token from init
	CA    *pki.CA // the cluster CA, to mint certificates in security tests
	mu    sync.Mutex
	nodes []*Node
}

// Node is one member of a test cluster. Its *cluster.Node changes when it
// is restarted and is nil while it is killed.
type Node struct {
	Index int
	Dir   string
	Addr  string
	Gate  *Gate

	c      *Cluster
	mu     sync.Mutex // guards n and events
	n      *cluster.Node
	events []cluster.Event
}

// Start creates a cluster with init on node 0 and joins n-1 more nodes
// through it. It waits until every node is registered.
func Start(t testing.TB, n int, opts Options) *Cluster {
	t.Helper()
	if opts.Voters == 0 {
		opts.Voters = 3
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
		if os.Getenv("DS_TEST_LOG") == "1" {
			opts.Logger = slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
		}
	}
	c := &Cluster{t: t, opts: opts, root: t.TempDir()}
	t.Cleanup(c.Close)
	first := c.newNode()
	res, err := cluster.Init(first.Dir, cluster.InitOptions{Voters: opts.Voters, Standbys: opts.Standbys, PartitionCount: 16})
	if err != nil {
		t.Fatalf("init: %v", err)
	}
	c.Token = res.JoinToken
	if c.CA, err = readCA(first.Dir); err != nil {
		t.Fatalf("read ca: %v", err)
	}
	if err := first.start("", ""); err != nil {
		t.Fatalf("start node 0: %v", err)
	}
	c.WaitReady(first)
	for i := 1; i < n; i++ {
		c.Add()
	}
	return c
}

func (c *Cluster) newNode() *Node {
	c.mu.Lock()
	defer c.mu.Unlock()
	i := len(c.nodes)
	nd := &Node{Index: i, Dir: filepath.Join(c.root, fmt.Sprintf("n%d", i)), Gate: NewGate(), c: c}
	c.nodes = append(c.nodes, nd)
	return nd
}

// readCA reads the CA that Init left for the first start (the cluster keeps
// it in its metadata afterwards).
func readCA(dir string) (*pki.CA, error) {
	raw, err := os.ReadFile(filepath.Join(dir, "cluster", "bootstrap.json")) // #nosec G304 -- test helper: dir is the node's directory under the test's t.TempDir()
	if err != nil {
		return nil, err
	}
	var b struct {
		CACert []byte `json:"ca_cert"`
		CAKey  []byte `json:"ca_key"`
	}
	if err := json.Unmarshal(raw, &b); err != nil {
		return nil, err
	}
	return pki.ParseCA(b.CACert, b.CAKey)
}

// Add joins one more node through the current leader (or node 0) and waits
// until it is registered.
func (c *Cluster) Add() *Node {
	c.t.Helper()
	seed := c.nodes[0].Addr
	if l := c.Leader(); l != nil {
		seed = l.Addr
	}
	nd := c.newNode()
	if err := nd.start(seed, c.Token); err != nil {
		c.t.Fatalf("start node %d: %v", nd.Index, err)
	}
	c.WaitReady(nd)
	return nd
}

// WaitReady waits until nd is registered and knows a leader.
func (c *Cluster) WaitReady(nd *Node) {
	c.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if err := nd.Get().WaitReady(ctx); err != nil {
		c.t.Fatalf("node %d not ready: %v", nd.Index, err)
	}
}

func (nd *Node) start(seed, token string) error {
	cfg := TestConfig()
	cfg.DataDir = nd.Dir
	if nd.Addr != "" {
		cfg.BindAddr = nd.Addr
	}
	cfg.JoinAddr, cfg.JoinToken = seed, token
	if os.Getenv("DS_TEST_LOG") == "1" {
		cfg.RaftLogLevel = "info"
	}
	if nd.c.opts.Tune != nil {
		nd.c.opts.Tune(nd.Index, &cfg)
	}
	var ln net.Listener
	var err error
	for range 50 { // a restarted node reuses its port; it may take a moment to free
		if ln, err = net.Listen("tcp", cfg.BindAddr); err == nil {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	if err != nil {
		return err
	}
	nd.Addr = ln.Addr().String()
	n, err := cluster.New(cfg, cluster.Deps{
		Logger:   nd.c.opts.Logger.With("test_node", nd.Index),
		OnEvent:  nd.record,
		Listener: nd.Gate.Listener(ln),
		Dial:     nd.Gate.Dial,
	})
	if err != nil {
		ln.Close()
		return err
	}
	if nd.c.opts.Setup != nil {
		nd.c.opts.Setup(nd.Index, n)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := n.Start(ctx); err != nil {
		return err
	}
	nd.mu.Lock()
	nd.n = n
	nd.mu.Unlock()
	return nil
}

func (nd *Node) record(ev cluster.Event) {
	nd.mu.Lock()
	nd.events = append(nd.events, ev)
	nd.mu.Unlock()
}

// Events returns the events this node has published so far.
func (nd *Node) Events() []cluster.Event {
	nd.mu.Lock()
	defer nd.mu.Unlock()
	return append([]cluster.Event(nil), nd.events...)
}

// Get returns the running cluster.Node, or nil if the node is killed.
func (nd *Node) Get() *cluster.Node {
	nd.mu.Lock()
	defer nd.mu.Unlock()
	return nd.n
}

// ID returns the node id (from its data directory).
func (nd *Node) ID() string {
	id, _ := cluster.LoadOrCreateNodeID(nd.Dir)
	return id
}

// Kill closes the node without leaving the cluster.
func (nd *Node) Kill() {
	nd.mu.Lock()
	n := nd.n
	nd.n = nil
	nd.mu.Unlock()
	if n != nil {
		n.Close()
	}
}

// Restart starts a killed node again with its data directory and address.
func (nd *Node) Restart() error {
	nd.Gate.Resume()
	return nd.start("", "")
}

// RestartElsewhere starts a killed node again with its data directory on a
// new port, as after a move to another address.
func (nd *Node) RestartElsewhere() error {
	nd.Gate.Resume()
	nd.Addr = ""
	return nd.start("", "")
}

// Pause cuts the node off the network; Resume reconnects it.
func (nd *Node) Pause()  { nd.Gate.Pause() }
func (nd *Node) Resume() { nd.Gate.Resume() }

// Nodes returns all nodes, killed ones included.
func (c *Cluster) Nodes() []*Node {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]*Node(nil), c.nodes...)
}

// Node returns node i.
func (c *Cluster) Node(i int) *Node { return c.Nodes()[i] }

// Leader returns the node that currently leads (and is not paused), or nil.
func (c *Cluster) Leader() *Node {
	for _, nd := range c.Nodes() {
		if n := nd.Get(); n != nil && !nd.Gate.Paused() && n.IsLeader() {
			return nd
		}
	}
	return nil
}

// WaitLeader waits up to timeout for a leader other than the excluded
// nodes and returns it.
func (c *Cluster) WaitLeader(timeout time.Duration, exclude ...*Node) *Node {
	c.t.Helper()
	deadline := time.Now().Add(timeout)
	for time.Now().Before(deadline) {
		for _, nd := range c.Nodes() {
			n := nd.Get()
			if n == nil || nd.Gate.Paused() || contains(exclude, nd) {
				continue
			}
			if n.IsLeader() {
				return nd
			}
		}
		time.Sleep(5 * time.Millisecond)
	}
	c.t.Fatalf("no leader within %s", timeout)
	return nil
}

// Eventually polls cond every 10 ms until it holds or timeout passes.
func (c *Cluster) Eventually(timeout time.Duration, what string, cond func() bool) {
	c.t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			c.t.Fatalf("timed out after %s waiting for %s", timeout, what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func contains(list []*Node, nd *Node) bool {
	for _, x := range list {
		if x == nd {
			return true
		}
	}
	return false
}

// Close stops every node.
func (c *Cluster) Close() {
	var wg sync.WaitGroup
	for _, nd := range c.Nodes() {
		wg.Add(1)
		go func() {
			defer wg.Done()
			nd.Kill()
		}()
	}
	wg.Wait()
}
