package system

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	ds "github.com/distrisearch/distrisearch"
	"github.com/distrisearch/distrisearch/client"
)

// TestKillNodeDuringUploadsAndSearches: three node processes, RF 3. While
// a client uploads through node 2 and searches through nodes 2 and 3
// without pause, node 1 — which shares osprey.txt — is killed with
// SIGKILL. Every acknowledged upload downloads byte-identical through
// node 3, osprey.txt too (from its replicas' chunks), and no search fails
// or comes back partial. Node 1 restarts: the hints kept for it drain and
// every partition's Merkle root agrees on the three nodes.
func TestKillNodeDuringUploadsAndSearches(t *testing.T) {
	nodes, ids := startCluster(t)
	ctx := context.Background()
	c2, c3 := nodes[1].client(), nodes[2].client()
	var osprey ds.Hit
	for _, c := range []*client.Client{c2, c3} {
		waitFor(t, 30*time.Second, "osprey.txt replicated", func() (bool, string) {
			res, err := c.Search(ctx, ds.SearchRequest{Query: "osprey", Limit: 5})
			if err != nil || res.Total != 1 {
				return false, fmt.Sprintf("%+v %v", res.Partitions, err)
			}
			osprey = res.Hits[0]
			return true, ""
		})
	}
	// The replicated record carries the chunks of the file's bytes once
	// node 1's replicator wrote it; wait until the data plane is quiet.
	waitFor(t, 30*time.Second, "node 1's outbox empty", func() (bool, string) {
		st, err := nodes[0].client().ClusterStatus(ctx)
		if err != nil || st.Data == nil {
			return false, fmt.Sprint(err)
		}
		return st.Data.Outbox.Pending == 0, fmt.Sprint(st.Data.Outbox)
	})

	type upload struct {
		id   string
		data []byte
	}
	var (
		mu       sync.Mutex
		acked    []upload
		failures []string
		searches int
		stop     = make(chan struct{})
		wg       sync.WaitGroup
	)
	wg.Add(3)
	go func() {
		defer wg.Done()
		for i := 0; ; i++ {
			select {
			case <-stop:
				return
			default:
			}
			data := fmt.Appendf(nil, "shag colony %d %s", i, bytes.Repeat([]byte("cormorant "), 100+i))
			rec, err := c2.Upload(ctx, fmt.Sprintf("shag-%d.txt", i), bytes.NewReader(data), int64(len(data)), "quorum", nil)
			if err == nil {
				mu.Lock()
				acked = append(acked, upload{rec.FileID, data})
				mu.Unlock()
			}
		}
	}()
	for i, c := range []*client.Client{c2, c3} {
		go func() {
			defer wg.Done()
			for {
				select {
				case <-stop:
					return
				default:
				}
				res, err := c.Search(ctx, ds.SearchRequest{Query: "osprey", Limit: 5})
				mu.Lock()
				searches++
				if err != nil || res.Partial || res.Total != 1 {
					failures = append(failures, fmt.Sprintf("node %d: total %d %+v %v", i+2, res.Total, res.Partitions, err))
				}
				mu.Unlock()
			}
		}()
	}
	time.Sleep(time.Second)
	nodes[0].kill()
	killed := time.Now()
	time.Sleep(3 * time.Second)
	close(stop)
	wg.Wait()
	if len(failures) > 0 {
		t.Fatalf("%d of %d searches failed or were partial after node 1 was killed; first: %s", len(failures), searches, failures[0])
	}
	if len(acked) < 3 {
		t.Fatalf("only %d uploads acknowledged", len(acked))
	}
	t.Logf("%d uploads acknowledged, %d searches, none failed", len(acked), searches)
	check := func(c *client.Client, id string, want []byte) {
		t.Helper()
		rc, _, _, err := c.Download(ctx, id, 0, "")
		if err != nil {
			t.Fatalf("download %s: %v", id, err)
		}
		got, err := io.ReadAll(rc)
		rc.Close()
		if err != nil || !bytes.Equal(got, want) {
			t.Fatalf("download %s: %d bytes (%v), want %d identical", id, len(got), err, len(want))
		}
	}
	for _, u := range acked {
		check(c3, u.id, u.data)
	}
	check(c2, osprey.FileID, []byte("the osprey hunts fish"))

	// Node 1 returns with its data directory and no join flags.
	nodes[0].start()
	restart := time.Now()
	waitFor(t, 60*time.Second, "hints drained and every Merkle root equal", func() (bool, string) {
		roots := map[int]string{}
		for i, p := range nodes {
			c, err := p.connect(ctx)
			if err != nil {
				return false, err.Error()
			}
			st, err := c.ClusterStatus(ctx)
			if err != nil || st.Data == nil {
				return false, fmt.Sprint(err)
			}
			if n := st.Data.HintsPending[ids[0]]; n > 0 {
				return false, fmt.Sprintf("node %d holds %d hints for node 1", i+1, n)
			}
			for _, part := range st.Data.Partitions {
				if r, ok := roots[part.Partition]; ok && r != part.MerkleRoot {
					return false, fmt.Sprintf("partition %d differs on node %d", part.Partition, i+1)
				}
				roots[part.Partition] = part.MerkleRoot
			}
		}
		return true, ""
	})
	t.Logf("node 1 down %s; after its restart, hints drained and all roots equal in %s",
		restart.Sub(killed).Round(time.Millisecond), time.Since(restart).Round(time.Millisecond))
	c1 := nodes[0].client()
	for _, u := range acked {
		check(c1, u.id, u.data)
	}
}

// TestStalledReplicaIsHedged: a gateway, which holds no data, in front of
// three RF-3 nodes asks one of them (the smallest id, all holding every
// partition) for every partition. That node is frozen with SIGSTOP: it
// accepts connections and answers nothing, the failure a per-node deadline
// alone would turn into a 5 s wait. Searches through the gateway stay
// complete and none fails, and the gateway's metrics show why: after the
// hedge delay it asked the other replicas, and they won.
func TestStalledReplicaIsHedged(t *testing.T) {
	if testing.Short() {
		t.Skip("multi-process test")
	}
	nodes, ids := startCluster(t)
	ctx := context.Background()
	gw := startProc(t, "gw", filepath.Join(t.TempDir(), "gw"), "--role", "gateway",
		"--join", nodes[0].internal, "--token", nodes[0].sess.joinToken)
	gw.sess = nodes[0].sess
	c := gw.client()
	search := func() (ds.SearchResult, error) {
		sctx, cancel := context.WithTimeout(ctx, 30*time.Second)
		defer cancel()
		return c.Search(sctx, ds.SearchRequest{Query: "osprey", Limit: 5})
	}
	waitFor(t, 30*time.Second, "osprey.txt found through the gateway", func() (bool, string) {
		res, err := search()
		return err == nil && res.Total == 1 && !res.Partial, fmt.Sprintf("%d %+v %v", res.Total, res.Partitions, err)
	})
	// Every data node holds every partition and searches its own index:
	// once each finds the file, whichever replica a hedge asks has it.
	for i, p := range nodes {
		pc := p.client()
		waitFor(t, 30*time.Second, fmt.Sprintf("osprey.txt indexed on node %d", i+1), func() (bool, string) {
			res, err := pc.Search(ctx, ds.SearchRequest{Query: "osprey", Limit: 5})
			return err == nil && res.Total == 1, fmt.Sprintf("%d %v", res.Total, err)
		})
	}
	for range 20 { // the gateway learns how fast the nodes answer
		if _, err := search(); err != nil {
			t.Fatal(err)
		}
	}
	asked := 0
	for i := range ids {
		if ids[i] < ids[asked] {
			asked = i
		}
	}
	before := hedgesWon(t, c)
	nodes[asked].signal(syscall.SIGSTOP)
	defer nodes[asked].signal(syscall.SIGCONT)
	var slowest time.Duration
	for i := range 10 {
		start := time.Now()
		res, err := search()
		if err != nil || res.Partial || res.Total != 1 {
			t.Fatalf("search %d with node %s frozen: total %d, %+v, %v", i, ids[asked], res.Total, res.Partitions, err)
		}
		slowest = max(slowest, time.Since(start))
	}
	t.Logf("10 searches with the asked node frozen, all complete; the slowest took %s", slowest.Round(time.Millisecond))
	if won := hedgesWon(t, c); won <= before {
		t.Fatalf("no hedged request won with node %s frozen (%v before, %v after)", ids[asked], before, won)
	}
}

// hedgesWon reads distrisearch_search_hedged_requests_total{outcome="won"}.
func hedgesWon(t *testing.T, c *client.Client) float64 {
	t.Helper()
	text, err := c.Metrics(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	for line := range strings.Lines(text) {
		if v, ok := strings.CutPrefix(line, `distrisearch_search_hedged_requests_total{outcome="won"} `); ok {
			f, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
			if err != nil {
				t.Fatal(err)
			}
			return f
		}
	}
	t.Fatal("no distrisearch_search_hedged_requests_total in the gateway's metrics")
	return 0
}
