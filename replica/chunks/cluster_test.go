package chunks

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"io"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/distrisearch/distrisearch/cluster"
	"github.com/distrisearch/distrisearch/internal/testcluster"
	"github.com/distrisearch/distrisearch/replica/quorum"
	"github.com/distrisearch/distrisearch/transport"
)

// countingDoer counts the chunk PUTs a node sends.
type countingDoer struct {
	Doer
	puts atomic.Int64
}

func (c *countingDoer) Do(req *http.Request, opts ...transport.CallOption) (*http.Response, error) {
	if req.Method == http.MethodPut {
		c.puts.Add(1)
	}
	return c.Doer.Do(req, opts...)
}

// cnode is one test node's chunk service.
type cnode struct {
	id     string
	svc    *Service
	store  *Store
	client *countingDoer
}

// harness runs an in-process control-plane cluster and one chunk service
// per node, on real loopback sockets with mutual TLS.
type harness struct {
	t     *testing.T
	c     *testcluster.Cluster
	cfg   Config
	mu    sync.Mutex // guards nodes
	nodes []*cnode
}

func testServiceConfig() Config {
	cfg := DefaultConfig()
	// Small chunks so a few hundred KiB make a multi-chunk file.
	cfg.Chunking = ChunkerConfig{MinSize: 8 << 10, AvgSize: 32 << 10, MaxSize: 128 << 10}
	cfg.RequestTimeout = 2 * time.Second
	cfg.BackgroundTimeout = 5 * time.Second
	cfg.Window = 4
	cfg.MissingBatch = 8
	return cfg
}

func startHarness(t *testing.T, n int) *harness {
	t.Helper()
	h := &harness{t: t, cfg: testServiceConfig(), c: testcluster.Start(t, n, testcluster.Options{})}
	h.nodes = make([]*cnode, n)
	for i := range n {
		h.attach(i)
	}
	t.Cleanup(func() {
		for i := range h.nodes {
			h.detach(i)
		}
	})
	h.waitAlive(n)
	return h
}

func (h *harness) attach(i int) {
	h.t.Helper()
	nd := h.c.Node(i)
	n := nd.Get()
	st, err := OpenStore(filepath.Join(nd.Dir, "chunks"), StoreOptions{})
	if err != nil {
		h.t.Fatal(err)
	}
	client := &countingDoer{Doer: transport.NewClient(n.ClientTLS(transport.ProtoHTTP), transport.ClientOptions{
		Dial: nd.Gate.Dial, Timeout: 2 * time.Second, MaxAttempts: 2,
		InitialBackoff: 20 * time.Millisecond, BreakerOpenFor: 300 * time.Millisecond,
	})}
	svc, err := New(h.cfg, Deps{Self: nd.ID(), View: n, Client: client, Store: st})
	if err != nil {
		h.t.Fatal(err)
	}
	svc.Register(n)
	h.mu.Lock()
	h.nodes[i] = &cnode{id: nd.ID(), svc: svc, store: st, client: client}
	h.mu.Unlock()
}

func (h *harness) node(i int) *cnode {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.nodes[i]
}

func (h *harness) detach(i int) {
	if cn := h.node(i); cn != nil && cn.svc != nil {
		cn.svc.Close()
		cn.svc = nil
	}
}

func (h *harness) status(i int, id string) cluster.MemberStatus {
	n := h.c.Node(i).Get()
	if n == nil {
		return ""
	}
	m, _ := n.View().Member(id)
	return m.Status
}

// waitAlive waits until the first n nodes see each other ALIVE.
func (h *harness) waitAlive(n int) {
	h.t.Helper()
	h.c.Eventually(20*time.Second, "every node ALIVE in every view", func() bool {
		for i := range n {
			for j := range n {
				if h.status(i, h.node(j).id) != cluster.StatusAlive {
					return false
				}
			}
		}
		return true
	})
}

func readAll(t *testing.T, s *Service, key string, m Manifest) []byte {
	t.Helper()
	r, err := s.Open(context.Background(), key, m)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	b, err := io.ReadAll(r)
	if err != nil {
		t.Fatalf("read through %s: %v", s.deps.Self, err)
	}
	return b
}

// checkRanges serves the file through http.ServeContent with Range
// requests and random seeks.
func checkRanges(t *testing.T, s *Service, key string, m Manifest, want []byte) {
	t.Helper()
	r, err := s.Open(context.Background(), key, m)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	n := len(want)
	for _, rg := range []struct {
		header   string
		from, to int // inclusive
	}{
		{"bytes=0-0", 0, 0},
		{"bytes=1000-99999", 1000, 99999},
		{"bytes=" + strconv.Itoa(n/2) + "-", n / 2, n - 1},
		{"bytes=-5000", n - 5000, n - 1},
	} {
		req := httptest.NewRequest(http.MethodGet, "/f", nil)
		req.Header.Set("Range", rg.header)
		rec := httptest.NewRecorder()
		http.ServeContent(rec, req, "f", time.Time{}, r)
		if rec.Code != http.StatusPartialContent || !bytes.Equal(rec.Body.Bytes(), want[rg.from:rg.to+1]) {
			t.Fatalf("range %s through %s: status %d, %d bytes", rg.header, s.deps.Self, rec.Code, rec.Body.Len())
		}
	}
	rnd := rand.New(rand.NewPCG(1, 2))
	buf := make([]byte, 70_000)
	for range 20 {
		off := rnd.IntN(n)
		if _, err := r.Seek(int64(off), io.SeekStart); err != nil {
			t.Fatal(err)
		}
		k, err := io.ReadFull(r, buf[:min(len(buf), n-off)])
		if err != nil || !bytes.Equal(buf[:k], want[off:off+k]) {
			t.Fatalf("seek %d: %v", off, err)
		}
	}
}

func TestClusterPutAndRead(t *testing.T) {
	h := startHarness(t, 3)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	const key = "rec\x00shared/report.bin"
	data := randBytes(30, 900_000) // ~25 chunks at 32 KiB average

	// One node down: QUORUM (2 of 3) acknowledges, STRONG cannot.
	down := 2
	h.c.Node(down).Kill()
	h.detach(down)
	gw := h.node(0)
	start := time.Now()
	m, err := gw.svc.PutStream(ctx, key, bytes.NewReader(data), quorum.Quorum)
	if err != nil {
		t.Fatalf("QUORUM put with one node down: %v", err)
	}
	t.Logf("QUORUM put of %d bytes in %d chunks with one node down: %v", m.Size, len(m.Chunks), time.Since(start))
	if m.Size != int64(len(data)) || m.SHA256 != sha256.Sum256(data) || len(m.Chunks) < 10 {
		t.Fatalf("manifest: size %d, %d chunks", m.Size, len(m.Chunks))
	}
	for _, i := range []int{0, 1} {
		if miss := h.node(i).store.Missing(m.Hashes()); len(miss) != 0 {
			t.Fatalf("node %d acknowledged but lacks %d chunks", i, len(miss))
		}
	}
	// Dedup over the wire: the same content again sends no chunk.
	puts := gw.client.puts.Load()
	m2, err := gw.svc.PutStream(ctx, key, bytes.NewReader(data), quorum.Quorum)
	if err != nil || m2.SHA256 != m.SHA256 {
		t.Fatalf("second put: %v", err)
	}
	if d := gw.client.puts.Load() - puts; d != 0 {
		t.Fatalf("second upload of the same content sent %d chunk PUTs", d)
	}
	// (After the dedup check: a failed STRONG put keeps sending to the
	// live replica in the background.)
	if _, err := gw.svc.PutStream(ctx, "other", bytes.NewReader(data[:1000]), quorum.Strong); !errors.Is(err, ErrQuorumUnavailable) {
		t.Fatalf("STRONG put with a node down: %v", err)
	}

	// The node that was down holds nothing, and serves the file anyway.
	if err := h.c.Node(down).Restart(); err != nil {
		t.Fatal(err)
	}
	h.c.WaitReady(h.c.Node(down))
	h.attach(down)
	h.waitAlive(3)
	if got := h.node(down).store.Stats().Chunks; got != 0 {
		t.Fatalf("restarted node holds %d chunks", got)
	}
	checkRanges(t, h.node(down).svc, key, m, data)
	for i := range 3 {
		if got := readAll(t, h.node(i).svc, key, m); !bytes.Equal(got, data) {
			t.Fatalf("read through node %d: %d bytes, not identical", i, len(got))
		}
		checkRanges(t, h.node(i).svc, key, m, data)
	}

	// Repair: a replica that lost chunks fetches them from another.
	lost := m.Hashes()[:5]
	for _, hs := range lost {
		if err := h.node(down).store.Remove(hs); err != nil {
			t.Fatal(err)
		}
	}
	n, err := h.node(down).svc.Repair(ctx, key, m)
	if err != nil || n != len(lost) {
		t.Fatalf("repair fetched %d chunks (want %d): %v", n, len(lost), err)
	}
	if miss := h.node(down).store.Missing(m.Hashes()); len(miss) != 0 {
		t.Fatalf("after repair %d chunks missing", len(miss))
	}
}

func TestClusterCorruptReplica(t *testing.T) {
	h := startHarness(t, 3)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	const key = "rec\x00corrupt.bin"
	data := randBytes(31, 400_000)
	m, err := h.node(0).svc.PutStream(ctx, key, bytes.NewReader(data), quorum.Strong)
	if err != nil {
		t.Fatal(err)
	}
	empty, err := h.node(1).svc.PutStream(ctx, "rec\x00empty", bytes.NewReader(nil), quorum.Quorum)
	if err != nil || empty.Size != 0 || len(empty.Chunks) != 0 || empty.Validate() != nil {
		t.Fatalf("empty file: %+v %v", empty, err)
	}
	if got := readAll(t, h.node(2).svc, "rec\x00empty", empty); len(got) != 0 {
		t.Fatalf("empty file read %d bytes", len(got))
	}
	victim := m.Chunks[len(m.Chunks)/2].Hash
	corrupt := func(i int) {
		p := h.node(i).store.objectPath(victim)
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		b[0] ^= 0xff
		if err := os.WriteFile(p, b, 0o600); err != nil {
			t.Fatal(err)
		}
	}

	// A local corrupt chunk: detected, quarantined, served from a replica,
	// and repaired locally.
	corrupt(0)
	if got := readAll(t, h.node(0).svc, key, m); !bytes.Equal(got, data) {
		t.Fatal("read through the node with a corrupt chunk is not identical")
	}
	if st := h.node(0).store.Stats(); st.Quarantined != 1 {
		t.Fatalf("quarantined %d", st.Quarantined)
	}
	if _, err := h.node(0).store.Get(victim); err != nil {
		t.Fatalf("corrupt chunk not repaired on read: %v", err)
	}

	// A remote corrupt chunk: the reader lacks the chunk, the first replica
	// it asks has it corrupt, the next one serves it.
	l, err := h.node(2).svc.layout()
	if err != nil {
		t.Fatal(err)
	}
	_, members := l.Replicas(key)
	first := -1
	for _, mb := range members {
		if mb.ID != h.node(2).id {
			for i := range 3 {
				if h.node(i).id == mb.ID {
					first = i
				}
			}
			break
		}
	}
	if err := h.node(2).store.Remove(victim); err != nil {
		t.Fatal(err)
	}
	corrupt(first)
	if got := readAll(t, h.node(2).svc, key, m); !bytes.Equal(got, data) {
		t.Fatal("read past a remote corrupt chunk is not identical")
	}
	if st := h.node(first).store.Stats(); st.Quarantined < 1 {
		t.Fatalf("remote replica did not quarantine: %+v", st)
	}
}

// TestClusterPutHeld: bytes that a member already keeps (a file of its
// share) are sent only to the other replicas, and that member counts as
// an acknowledgement, so QUORUM needs one other replica; readers then find
// every chunk on the others.
func TestClusterPutHeld(t *testing.T) {
	h := startHarness(t, 3)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	const key = "origin\x00docs\x00big.bin"
	data := randBytes(31, 300_000)
	origin := h.node(0)
	down := 2
	h.c.Node(down).Kill()
	h.detach(down)
	m, err := origin.svc.PutStreamHeld(ctx, key, bytes.NewReader(data), quorum.Quorum, origin.svc.deps.Self)
	if err != nil {
		t.Fatalf("QUORUM held put with one other replica up: %v", err)
	}
	if got := origin.store.Stats().Chunks; got != 0 {
		t.Fatalf("the holder stored %d chunks of bytes it already has", got)
	}
	if miss := h.node(1).store.Missing(m.Hashes()); len(miss) != 0 {
		t.Fatalf("the other live replica lacks %d chunks", len(miss))
	}
	if got := readAll(t, h.node(1).svc, key, m); !bytes.Equal(got, data) {
		t.Fatal("read through the other replica is not identical")
	}
	// STRONG needs the replica that is down.
	if _, err := origin.svc.PutStreamHeld(ctx, key, bytes.NewReader(data), quorum.Strong, origin.svc.deps.Self); !errors.Is(err, ErrQuorumUnavailable) {
		t.Fatalf("STRONG held put with a replica down: %v", err)
	}
}
