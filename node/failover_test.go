package node

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"path/filepath"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	ds "github.com/distrisearch/distrisearch"
	"github.com/distrisearch/distrisearch/client"
)

// TestNodeDiesDuringUploadsAndSearches: three nodes, RF 3. While clients
// upload through nodes 1 and 2 and search through both without pause,
// node 3 stops. No acknowledged upload is lost (each is found and
// downloads byte-identical through the survivors), no search fails or is
// partial. Node 3 then restarts on its data directory: the hints the
// others kept for it drain and every partition's Merkle root agrees on
// all three nodes (the time it takes is logged).
func TestNodeDiesDuringUploadsAndSearches(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a three-node cluster")
	}
	s3 := t.TempDir()
	write(t, filepath.Join(s3, "albatross.txt"), "the wandering albatross glides for hours over the southern ocean")
	tc := startCluster(t, nil, nil, []ShareConfig{{Name: "docs", Path: s3}})
	n1, n2, n3 := tc.nodes[0], tc.nodes[1], tc.nodes[2]
	c1, c2 := tc.admins[0], tc.admins[1]
	ctx := context.Background()
	for _, c := range []*client.Client{c1, c2} {
		eventually(t, 20*time.Second, "node 3's file replicated", func() bool { return search(t, c, "albatross").Total == 1 })
	}

	type upload struct {
		rec  ds.Record
		data []byte
	}
	var (
		mu       sync.Mutex
		acked    []upload
		searches atomic.Int64
		failures []string
		stop     = make(chan struct{})
		wg       sync.WaitGroup
	)
	fail := func(format string, args ...any) {
		mu.Lock()
		defer mu.Unlock()
		failures = append(failures, fmt.Sprintf(format, args...))
	}
	for w, c := range []*client.Client{c1, c2} {
		wg.Add(2)
		go func() { // uploads, each acknowledged at QUORUM
			defer wg.Done()
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				data := fmt.Appendf(nil, "puffin census %d-%d: %s", w, i, bytes.Repeat([]byte("tern "), 200+i))
				rec, err := c.Upload(ctx, fmt.Sprintf("census-%d-%d.txt", w, i), bytes.NewReader(data), int64(len(data)), "quorum", nil)
				if err != nil {
					continue // not acknowledged: nothing is promised
				}
				mu.Lock()
				acked = append(acked, upload{rec, data})
				mu.Unlock()
			}
		}()
		go func() { // searches
			defer wg.Done()
			for {
				select {
				case <-stop:
					return
				default:
				}
				res, err := c.Search(ctx, ds.SearchRequest{Query: "albatross", Limit: 10})
				searches.Add(1)
				switch {
				case err != nil:
					fail("search through node %d: %v", w+1, err)
				case res.Partial || res.Total != 1:
					fail("search through node %d: total %d, partitions %+v", w+1, res.Total, res.Partitions)
				}
			}
		}()
	}
	time.Sleep(time.Second)
	cfg3 := n3.cfg
	cfg3.HTTPAddr, cfg3.InternalAddr = n3.listener.Addr().String(), n3.InternalAddr()
	if err := n3.Close(); err != nil {
		t.Fatal(err)
	}
	stopped := time.Now()
	time.Sleep(2 * time.Second)
	close(stop)
	wg.Wait()
	if len(failures) > 0 {
		t.Fatalf("%d of %d searches failed while node 3 stopped; first: %s", len(failures), searches.Load(), failures[0])
	}
	if len(acked) < 4 {
		t.Fatalf("only %d uploads acknowledged", len(acked))
	}
	t.Logf("%d uploads acknowledged, %d searches, none failed", len(acked), searches.Load())
	for _, u := range acked {
		for _, c := range []*client.Client{c1, c2} {
			var rec ds.Record
			eventually(t, 10*time.Second, "an acknowledged upload is found", func() bool {
				var err error
				rec, err = c.File(ctx, u.rec.FileID)
				return err == nil
			})
			rc, _, _, err := c.Download(ctx, rec.FileID, 0, "")
			if err != nil {
				t.Fatalf("download of %s: %v", rec.Path, err)
			}
			got, err := io.ReadAll(rc)
			rc.Close()
			if err != nil || !bytes.Equal(got, u.data) {
				t.Fatalf("download of %s: %d bytes (%v), not identical", rec.Path, len(got), err)
			}
		}
	}

	// Node 3 comes back: the hints for it drain and the replicas agree.
	restart := time.Now()
	back, err := New(cfg3)
	if err != nil {
		t.Fatal(err)
	}
	if err := back.Start(ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = back.Close() })
	eventually(t, 60*time.Second, "hints drained and every Merkle root equal", func() bool {
		for _, n := range []*Node{n1, n2} {
			if n.replicas.PendingHints()[back.ID()] > 0 {
				return false
			}
		}
		for p := range n1.cluster.View().Config.PartitionCount {
			r := n1.replicas.Tree(p).Root()
			if n2.replicas.Tree(p).Root() != r || back.replicas.Tree(p).Root() != r {
				return false
			}
		}
		return true
	})
	t.Logf("node 3 down for %s; after its restart, hints drained and all roots equal in %s", restart.Sub(stopped).Round(time.Millisecond), time.Since(restart).Round(time.Millisecond))
	c3 := login(t, back, "admin", testAdminPassword)
	for _, u := range acked {
		if _, err := c3.File(ctx, u.rec.FileID); err != nil {
			t.Fatalf("node 3 does not hold the upload %s made while it was down: %v", u.rec.Path, err)
		}
	}
}

// TestFiveNodesLoseOneThenTwo: five nodes, RF 3, so a search asks other
// nodes for most partitions. With one node stopped (not yet declared
// dead), every search through node 1 stays complete — the partitions it
// held are asked of their other replicas — and the stopped node's file
// still downloads. With a second node stopped, searches still answer, and
// name exactly the partitions that lost every replica (none with RF 3).
func TestFiveNodesLoseOneThenTwo(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a five-node cluster")
	}
	var shares [][]ShareConfig
	for i := range 5 {
		dir := t.TempDir()
		write(t, filepath.Join(dir, fmt.Sprintf("kittiwake-%d.txt", i+1)), fmt.Sprintf("kittiwake colony count %d on the cliffs", i+1))
		shares = append(shares, []ShareConfig{{Name: "docs", Path: dir}})
	}
	tc := startCluster(t, shares...)
	c1 := tc.admins[0]
	ctx := context.Background()
	parts := tc.nodes[0].cluster.View().Config.PartitionCount
	eventually(t, 30*time.Second, "every node's file replicated", func() bool { return search(t, c1, "kittiwake").Total == 5 })
	res := search(t, c1, "kittiwake")
	var remote int
	for _, h := range res.Hits {
		if h.NodeID != tc.nodes[0].ID() {
			remote++
		}
	}
	victim := tc.nodes[4]
	var victimFile string
	for _, h := range res.Hits {
		if h.NodeID == victim.ID() {
			victimFile = h.FileID
		}
	}
	if err := victim.Close(); err != nil {
		t.Fatal(err)
	}
	var searches, failed int
	for end := time.Now().Add(2 * time.Second); time.Now().Before(end); {
		res, err := c1.Search(ctx, ds.SearchRequest{Query: "kittiwake", Limit: 10})
		searches++
		if err != nil || res.Partial || res.Total != 5 || res.Partitions.Answered != parts {
			failed++
			t.Errorf("search with node 5 stopped: %+v %v", res.Partitions, err)
		}
	}
	t.Logf("node 5 stopped: %d searches through node 1, %d incomplete", searches, failed)
	rc, _, _, err := c1.Download(ctx, victimFile, 0, "")
	if err != nil {
		t.Fatalf("download of the stopped node's file: %v", err)
	}
	got, _ := io.ReadAll(rc)
	rc.Close()
	if string(got) != "kittiwake colony count 5 on the cliffs" {
		t.Fatalf("downloaded %q", got)
	}

	// A second node stops: the partitions with no replica left, if any,
	// are named; all others answer.
	second := tc.nodes[3]
	if err := second.Close(); err != nil {
		t.Fatal(err)
	}
	l, err := tc.nodes[0].layouts.Get(tc.nodes[0].cluster.View())
	if err != nil {
		t.Fatal(err)
	}
	var want []string
	for p := range parts {
		lost := true
		for _, id := range l.Table.ReplicaSet(p) {
			lost = lost && (id == victim.ID() || id == second.ID())
		}
		if lost {
			want = append(want, fmt.Sprintf("partition %d", p))
		}
	}
	for range 5 {
		res, err := c1.Search(ctx, ds.SearchRequest{Query: "kittiwake", Limit: 10})
		if err != nil || res.Partitions.Total != parts || res.Partitions.Answered != parts-len(want) ||
			fmt.Sprint(res.Partitions.Missing) != fmt.Sprint(want) || res.Partial != (len(want) > 0) || res.Total != 5 {
			t.Fatalf("search with two of five stopped: total %d, %+v, %v; want missing %v", res.Total, res.Partitions, err, want)
		}
	}
}

// TestAddNodeRebalances: a fourth node joins a three-node cluster holding
// shared files and uploads. Partitions move: the newcomer receives its
// share of the records (reported as a fraction of all replicas: about
// 1/4), the former replicas hand over and drop what they no longer hold,
// every replica set agrees (Merkle roots), and every file is still found
// and downloads byte-identical through the new node — uploads included.
func TestAddNodeRebalances(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a four-node cluster")
	}
	var shares [][]ShareConfig
	for i := range 3 {
		dir := t.TempDir()
		for j := range 20 {
			write(t, filepath.Join(dir, fmt.Sprintf("gannet-%d-%02d.txt", i+1, j)), fmt.Sprintf("gannet nest %d-%d on the stack", i+1, j))
		}
		shares = append(shares, []ShareConfig{{Name: "docs", Path: dir}})
	}
	tc := startCluster(t, shares...)
	c1 := tc.admins[0]
	ctx := context.Background()
	want := map[string][]byte{}
	for i := range 10 {
		data := fmt.Appendf(nil, "gannet upload %d %s", i, bytes.Repeat([]byte("plunge "), 50))
		rec, err := c1.Upload(ctx, fmt.Sprintf("gannet-upload-%d.txt", i), bytes.NewReader(data), int64(len(data)), "quorum", nil)
		if err != nil {
			t.Fatal(err)
		}
		want[rec.FileID] = data
	}
	eventually(t, 30*time.Second, "every file replicated", func() bool { return search(t, c1, "gannet").Total == 70 })

	cfg := DefaultConfig()
	cfg.DataDir, cfg.HTTPAddr, cfg.InternalAddr = t.TempDir(), "127.0.0.1:0", "127.0.0.1:0"
	cfg.Join, cfg.Token = tc.nodes[0].InternalAddr(), tc.nodes[0].JoinToken()
	start := time.Now()
	n4, c4 := startWith(t, cfg)
	all := append(slices.Clone(tc.nodes), n4)
	parts := n4.cluster.View().Config.PartitionCount
	eventually(t, 60*time.Second, "partitions moved and every replica set in agreement", func() bool {
		l, err := n4.layouts.Get(n4.cluster.View())
		if err != nil || len(l.Table.Members()) != 4 {
			return false
		}
		for _, n := range all {
			if f, err := n.data.Foreign(); err != nil || len(f) > 0 {
				return false
			}
		}
		byID := map[string]*Node{}
		for _, n := range all {
			byID[n.ID()] = n
		}
		for p := range parts {
			set := l.Table.ReplicaSet(p)
			root := byID[set[0]].replicas.Tree(p).Root()
			for _, id := range set[1:] {
				if byID[id].replicas.Tree(p).Root() != root {
					return false
				}
			}
		}
		return true
	})
	var total, onNew int
	for _, n := range all {
		for _, p := range n.replicas.Partitions() {
			k := n.replicas.Tree(p).Len()
			total += k
			if n == n4 {
				onNew += k
			}
		}
	}
	t.Logf("the 4th node joined and partitions settled in %s; it holds %d of %d replicas of keys (%.2f; 1/4 expected)",
		time.Since(start).Round(time.Millisecond), onNew, total, float64(onNew)/float64(total))
	if onNew == 0 || float64(onNew)/float64(total) > 0.45 {
		t.Fatalf("the new node holds %d of %d key replicas", onNew, total)
	}
	if res := search(t, c4, "gannet"); res.Total != 70 || res.Partial {
		t.Fatalf("through the new node: %d hits, %+v", res.Total, res.Partitions)
	}
	for id, data := range want {
		rc, _, _, err := c4.Download(ctx, id, 0, "")
		if err != nil {
			t.Fatalf("download through the new node: %v", err)
		}
		got, _ := io.ReadAll(rc)
		rc.Close()
		if !bytes.Equal(got, data) {
			t.Fatalf("download through the new node: %d bytes, not identical", len(got))
		}
	}
}
