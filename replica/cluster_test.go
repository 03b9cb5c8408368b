package replica_test

import (
	"context"
	"fmt"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/distrisearch/distrisearch"
	"github.com/distrisearch/distrisearch/cluster"
	"github.com/distrisearch/distrisearch/events"
	"github.com/distrisearch/distrisearch/internal/testcluster"
	"github.com/distrisearch/distrisearch/replica"
	"github.com/distrisearch/distrisearch/replica/kv"
	"github.com/distrisearch/distrisearch/replica/quorum"
	"github.com/distrisearch/distrisearch/replica/version"
	"github.com/distrisearch/distrisearch/transport"
)

// rnode is one test node's data plane.
type rnode struct {
	tn    *testcluster.Node
	id    string
	svc   *replica.Service
	store *kv.Store
}

// harness runs an in-process control-plane cluster and one replication
// service per node, on real loopback sockets with mutual TLS.
type harness struct {
	t     *testing.T
	c     *testcluster.Cluster
	cfg   replica.Config
	txn   replica.TxnConfig
	mu    sync.Mutex // guards nodes and events
	nodes []*rnode
	evs   []events.Event
}

// Publish records conflict events.
func (h *harness) Publish(ev events.Event) (events.Event, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.evs = append(h.evs, ev)
	return ev, nil
}

func testConfig() replica.Config {
	cfg := replica.DefaultConfig()
	cfg.RequestTimeout = 2 * time.Second
	cfg.BackgroundTimeout = 5 * time.Second
	cfg.HintInterval = 100 * time.Millisecond
	cfg.AntiEntropyInterval = time.Hour // tests that want it shorten it
	return cfg
}

func startHarness(t *testing.T, n int, cfg replica.Config) *harness {
	t.Helper()
	return startTxnHarness(t, n, cfg, replica.TxnConfig{})
}

// startTxnHarness is startHarness with transactions tuned by txn; every
// service records decisions through its cluster node.
func startTxnHarness(t *testing.T, n int, cfg replica.Config, txn replica.TxnConfig) *harness {
	t.Helper()
	h := &harness{t: t, cfg: cfg, txn: txn, c: testcluster.Start(t, n, testcluster.Options{})}
	h.nodes = make([]*rnode, n)
	for i := range n {
		h.attach(i)
	}
	t.Cleanup(func() {
		for i := range h.nodes {
			h.stopService(i)
		}
	})
	h.waitAllAlive()
	return h
}

// attach opens node i's store and starts its service on its current
// cluster.Node.
func (h *harness) attach(i int) {
	h.t.Helper()
	nd := h.c.Node(i)
	n := nd.Get()
	st, err := kv.Open(filepath.Join(nd.Dir, "replica.db"), kv.Options{Resolver: version.RecordResolver{}})
	if err != nil {
		h.t.Fatal(err)
	}
	// A data-plane client of its own: short breaker so a restarted peer is
	// reached again quickly.
	client := transport.NewClient(n.ClientTLS(transport.ProtoHTTP), transport.ClientOptions{
		Dial: nd.Gate.Dial, Timeout: 2 * time.Second, MaxAttempts: 2,
		InitialBackoff: 20 * time.Millisecond, BreakerOpenFor: 300 * time.Millisecond,
	})
	svc, err := replica.New(h.cfg, replica.Deps{
		Self: nd.ID(), View: n, Client: client, Store: st,
		Registerer: prometheus.NewRegistry(), Events: h,
		Decider: n, Txn: h.txn,
	})
	if err != nil {
		h.t.Fatal(err)
	}
	svc.Register(n)
	if err := svc.Start(context.Background()); err != nil {
		h.t.Fatal(err)
	}
	h.mu.Lock()
	h.nodes[i] = &rnode{tn: nd, id: nd.ID(), svc: svc, store: st}
	h.mu.Unlock()
}

func (h *harness) node(i int) *rnode {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.nodes[i]
}

func (h *harness) stopService(i int) {
	rn := h.node(i)
	if rn == nil || rn.svc == nil {
		return
	}
	rn.svc.Close()
	rn.store.Close()
	rn.svc = nil
}

// kill stops node i like a crashed process: control plane, service, store.
func (h *harness) kill(i int) {
	h.c.Node(i).Kill()
	h.stopService(i)
}

func (h *harness) restart(i int) {
	h.t.Helper()
	if err := h.c.Node(i).Restart(); err != nil {
		h.t.Fatal(err)
	}
	h.c.WaitReady(h.c.Node(i))
	h.attach(i)
}

// statusIn returns node id's status in node i's view.
func (h *harness) statusIn(i int, id string) cluster.MemberStatus {
	n := h.c.Node(i).Get()
	if n == nil {
		return ""
	}
	m, _ := n.View().Member(id)
	return m.Status
}

func (h *harness) waitAllAlive() {
	h.t.Helper()
	h.c.Eventually(20*time.Second, "every node ALIVE in every view", func() bool {
		for i := range h.nodes {
			for _, rn := range h.nodes {
				if h.statusIn(i, rn.id) != cluster.StatusAlive {
					return false
				}
			}
		}
		return true
	})
}

// rootsEqual reports whether every running node holds the same tree for
// every partition.
func (h *harness) rootsEqual(partitions int) bool {
	for p := range partitions {
		var first string
		for i, rn := range h.nodes {
			r := fmt.Sprintf("%x", rn.store.Tree(p).Root())
			if i == 0 {
				first = r
			} else if r != first {
				return false
			}
		}
	}
	return true
}

func (h *harness) partitions() int {
	return h.c.Node(0).Get().View().Config.PartitionCount
}

func (h *harness) hintsFor(id string) int {
	n := 0
	for _, rn := range h.nodes {
		if rn.svc != nil {
			n += rn.store.PendingHints()[id]
		}
	}
	return n
}

func ctxT(t *testing.T, d time.Duration) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	t.Cleanup(cancel)
	return ctx
}

// TestQuorumWritesSurviveStoppedNode: RF = 3, one node stopped. Every
// QUORUM write is acknowledged and readable, hints pile up for the stopped
// node; once it is back the hints drain and every Merkle root agrees.
func TestQuorumWritesSurviveStoppedNode(t *testing.T) {
	h := startHarness(t, 3, testConfig())
	ctx := ctxT(t, 60*time.Second)
	down := h.node(2).id
	h.kill(2)

	const n = 120
	acked := map[string]string{}
	var mu sync.Mutex
	var wg sync.WaitGroup
	start := time.Now()
	for w := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			coord := h.node(w % 2).svc
			for i := w; i < n; i += 4 {
				key, val := fmt.Sprintf("key-%03d", i), fmt.Sprintf("value-%d", i)
				if _, err := coord.Put(ctx, key, []byte(val), quorum.Quorum); err != nil {
					t.Errorf("put %s: %v", key, err)
					continue
				}
				mu.Lock()
				acked[key] = val
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	t.Logf("%d QUORUM writes with one of 3 nodes down in %v", len(acked), time.Since(start).Round(time.Millisecond))
	if len(acked) != n {
		t.Fatalf("%d of %d writes acknowledged", len(acked), n)
	}
	if got := h.hintsFor(down); got < n {
		t.Fatalf("hints pending for the stopped node: %d, want ≥ %d", got, n)
	}
	for key, val := range acked {
		res, err := h.node(1).svc.Get(ctx, key, quorum.Quorum)
		if err != nil || !res.Found || string(res.Envelope.Value) != val {
			t.Fatalf("acknowledged write %s not readable: %+v %v", key, res, err)
		}
	}
	h.c.Eventually(10*time.Second, "every partition under-replicated", func() bool {
		st, _ := h.node(0).svc.Status()
		return len(st.UnderReplicated) == h.partitions()
	})

	back := time.Now()
	h.restart(2)
	h.c.Eventually(30*time.Second, "hints drained and roots equal", func() bool {
		return h.hintsFor(down) == 0 && h.rootsEqual(h.partitions())
	})
	t.Logf("restarted node caught up (hints drained, %d Merkle roots equal) %v after restart began",
		h.partitions(), time.Since(back).Round(time.Millisecond))
	for key, val := range acked {
		res, err := h.node(2).svc.Get(ctx, key, quorum.Strong)
		if err != nil || string(res.Envelope.Value) != val {
			t.Fatalf("STRONG read of %s after recovery: %+v %v", key, res, err)
		}
	}
	var replayed uint64
	for i := range 2 {
		st, _ := h.node(i).svc.Status()
		replayed += st.HintsReplayed
		if len(st.HintsPending) != 0 || len(st.UnderReplicated) != 0 {
			t.Errorf("node %d after recovery: pending %v, under-replicated %v", i, st.HintsPending, st.UnderReplicated)
		}
	}
	if replayed < n {
		t.Errorf("hints replayed %d, want ≥ %d", replayed, n)
	}
}

// TestAntiEntropyRepairsLostData deletes one replica's copy of a partition
// and one key of another; anti-entropy restores both, exchanging only the
// keys that differ.
func TestAntiEntropyRepairsLostData(t *testing.T) {
	h := startHarness(t, 3, testConfig())
	ctx := ctxT(t, 60*time.Second)
	const n = 200
	for i := range n {
		if _, err := h.node(i%3).svc.Put(ctx, fmt.Sprintf("doc-%03d", i), []byte(fmt.Sprintf("body %d", i)), quorum.Strong); err != nil {
			t.Fatal(err)
		}
	}
	if !h.rootsEqual(h.partitions()) {
		t.Fatal("roots differ after STRONG writes")
	}
	victim := h.node(1)
	lost := victim.store.Tree(3).Len()
	if err := victim.store.DropPartition(3); err != nil {
		t.Fatal(err)
	}
	var removed string
	_ = victim.store.ForEach(5, func(e version.Envelope) error {
		if removed == "" {
			removed = e.Key
		}
		return nil
	})
	if err := victim.store.Remove(5, removed); err != nil {
		t.Fatal(err)
	}
	if h.rootsEqual(h.partitions()) {
		t.Fatal("roots equal after losing data")
	}
	before := victim.svc.AntiEntropy()
	start := time.Now()
	rd, err := victim.svc.RunAntiEntropy(ctx)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("anti-entropy round: %d comparisons, %d differed, %d keys exchanged in %v", rd.Compared, rd.Differed, rd.Keys, time.Since(start).Round(time.Millisecond))
	if !h.rootsEqual(h.partitions()) {
		t.Fatal("roots still differ after anti-entropy")
	}
	// The first peer restores the lost keys; the second then agrees.
	if want := lost + 1; rd.Keys != want {
		t.Errorf("keys exchanged %d, want %d (only the differing keys)", rd.Keys, want)
	}
	if _, ok, _ := victim.store.Get(5, removed); !ok {
		t.Fatal("removed key not restored")
	}
	ae := victim.svc.AntiEntropy()
	if ae.Rounds != before.Rounds+1 || ae.KeysExchanged != before.KeysExchanged+uint64(rd.Keys) || !ae.LastRun.After(before.LastRun) {
		t.Errorf("progress %+v", ae)
	}
}

func recordValue(t *testing.T, title string, tags []string, meta map[string]string) []byte {
	t.Helper()
	b, err := version.EncodeRecord(version.RecordValue{
		Record: distrisearch.Record{NodeID: "n1", Share: "docs", Path: "a.txt", Title: title, Meta: meta},
		Tags:   tags,
	})
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestConflictAcrossPartition cuts one node off, updates one record on
// both sides, heals: every replica ends with the same merged record, both
// sides' tags, and the overwrite is counted and published.
func TestConflictAcrossPartition(t *testing.T) {
	cfg := testConfig()
	cfg.AntiEntropyInterval = 200 * time.Millisecond
	h := startHarness(t, 3, cfg)
	ctx := ctxT(t, 60*time.Second)
	key := distrisearch.RecordKey("n1", "docs", "a.txt")
	if _, err := h.node(0).svc.Put(ctx, key, recordValue(t, "v0", []string{"base"}, nil), quorum.Strong); err != nil {
		t.Fatal(err)
	}
	island := h.node(2)
	island.tn.Pause()
	if _, err := h.node(0).svc.Put(ctx, key, recordValue(t, "left", []string{"base", "left"}, map[string]string{"side": "left"}), quorum.Quorum); err != nil {
		t.Fatalf("majority side write: %v", err)
	}
	if _, err := island.svc.Put(ctx, key, recordValue(t, "right", []string{"base", "right"}, map[string]string{"island": "yes"}), quorum.Eventual); err != nil {
		t.Fatalf("island write: %v", err)
	}
	if _, err := island.svc.Put(ctx, "other", []byte("x"), quorum.Quorum); err == nil {
		t.Fatal("QUORUM write succeeded on the isolated side")
	}
	island.tn.Resume()
	start := time.Now()
	h.c.Eventually(30*time.Second, "replicas converge", func() bool {
		return h.rootsEqual(h.partitions()) && h.hintsFor(h.node(0).id)+h.hintsFor(h.node(1).id)+h.hintsFor(island.id) == 0
	})
	t.Logf("converged %v after healing", time.Since(start).Round(time.Millisecond))
	var final version.Envelope
	for i := range 3 {
		// Right after healing a member may still be marked SUSPECT for a
		// moment; STRONG then waits for it to be ALIVE again.
		var res replica.Result
		var err error
		for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(100 * time.Millisecond) {
			if res, err = h.node(i).svc.Get(ctx, key, quorum.Strong); err == nil || time.Now().After(deadline) {
				break
			}
		}
		if err != nil || !res.Found {
			t.Fatalf("read on node %d: %+v %v", i, res, err)
		}
		if i > 0 && !res.Envelope.Equal(final) {
			t.Fatalf("node %d disagrees", i)
		}
		final = res.Envelope
	}
	rv, err := version.DecodeRecord(final.Value)
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"base", "left", "right"}; !slices.Equal(rv.Tags, want) {
		t.Errorf("tags %v, want %v", rv.Tags, want)
	}
	if rv.Record.Meta["side"] != "left" || rv.Record.Meta["island"] != "yes" {
		t.Errorf("meta %v, want both sides' keys", rv.Record.Meta)
	}
	wantTitle := "left"
	if final.Version.Writer == island.id {
		wantTitle = "right"
	}
	if rv.Record.Title != wantTitle {
		t.Errorf("title %q, want %q (last writer %s)", rv.Record.Title, wantTitle, final.Version.Writer)
	}
	var overwritten uint64
	for i := range 3 {
		st, _ := h.node(i).svc.Status()
		overwritten += st.ConflictsOverwritten
	}
	h.mu.Lock()
	nev := len(h.evs)
	h.mu.Unlock()
	t.Logf("overwrites counted: %d, conflict events: %d, final title %q by %s", overwritten, nev, rv.Record.Title, final.Version.Writer)
	if overwritten == 0 || nev == 0 {
		t.Fatal("the overwritten concurrent write was not counted or published")
	}
}

// TestDeleteIsNotResurrected deletes a key while a replica is down with an
// older copy; after it returns, reads find the tombstone.
func TestDeleteIsNotResurrected(t *testing.T) {
	cfg := testConfig()
	cfg.AntiEntropyInterval = 200 * time.Millisecond
	h := startHarness(t, 3, cfg)
	ctx := ctxT(t, 60*time.Second)
	if _, err := h.node(0).svc.Put(ctx, "k", []byte("v"), quorum.Strong); err != nil {
		t.Fatal(err)
	}
	h.kill(2)
	if _, err := h.node(1).svc.Delete(ctx, "k", quorum.Quorum); err != nil {
		t.Fatal(err)
	}
	h.restart(2)
	h.c.Eventually(30*time.Second, "roots equal", func() bool { return h.rootsEqual(h.partitions()) })
	for i := range 3 {
		res, err := h.node(i).svc.Get(ctx, "k", quorum.Strong)
		if err != nil || res.Found || !res.Envelope.Tombstone {
			t.Fatalf("node %d: deleted key came back: %+v %v", i, res, err)
		}
	}
}
