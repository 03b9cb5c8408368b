package node

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/distrisearch/distrisearch/replica/chunks"
)

// TestChunkGarbageCollection: a deleted upload's chunk leaves every
// replica at the next collection, a live file's stays and still
// downloads byte-identical, and a chunk written within the grace period
// whose record has not arrived (an upload in flight) is kept.
func TestChunkGarbageCollection(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a three-node cluster")
	}
	tc := startCluster(t, nil, nil, nil)
	c1 := tc.admins[0]
	ctx := context.Background()
	upload := func(name, body string) string {
		t.Helper()
		rec, err := c1.Upload(ctx, name, strings.NewReader(body), int64(len(body)), "strong", nil)
		if err != nil {
			t.Fatal(err)
		}
		return rec.FileID
	}
	keepBody := "the gannet dives from thirty metres " + strings.Repeat("plunge ", 40)
	dropBody := "the skua steals from other birds " + strings.Repeat("chase ", 40)
	keep := upload("gannet.txt", keepBody)
	drop := upload("skua.txt", dropBody)
	// Files this small are one chunk each: their sha256 names it.
	chunkPath := func(n *Node, body string) string {
		sum := sha256.Sum256([]byte(body))
		x := hex.EncodeToString(sum[:])
		return filepath.Join(n.cfg.DataDir, "chunks", "objects", x[:2], x)
	}
	held := func(n *Node, body string) bool {
		_, err := os.Stat(chunkPath(n, body))
		return err == nil
	}
	for i, n := range tc.nodes {
		if !held(n, keepBody) || !held(n, dropBody) {
			t.Fatalf("node %d does not hold both chunks after STRONG uploads", i+1)
		}
	}
	if err := c1.DeleteFile(ctx, drop); err != nil {
		t.Fatal(err)
	}
	time.Sleep(1500 * time.Millisecond) // both chunks are now older than the grace below
	inflight := "an upload whose record is still on its way"
	for i, n := range tc.nodes {
		if _, err := n.chunks.Store().Put(chunks.Sum([]byte(inflight)), []byte(inflight)); err != nil {
			t.Fatal(err)
		}
		eventually(t, 10*time.Second, "the skua's chunk collected", func() bool {
			if _, err := n.chunkGC.collect(ctx, time.Now().Add(-time.Second)); err != nil {
				t.Fatalf("node %d: %v", i+1, err)
			}
			return !held(n, dropBody)
		})
		if !held(n, keepBody) || !held(n, inflight) {
			t.Fatalf("node %d collected a live chunk (gannet %v) or one within its grace period (in flight %v)", i+1, held(n, keepBody), held(n, inflight))
		}
		st := n.chunkGC.Status()
		if st.Runs == 0 || st.RemovedChunks == 0 || st.LastError != "" {
			t.Fatalf("node %d status %+v", i+1, st)
		}
	}
	for _, c := range tc.admins {
		rc, _, _, err := c.Download(ctx, keep, 0, "")
		if err != nil {
			t.Fatal(err)
		}
		got, _ := io.ReadAll(rc)
		rc.Close()
		if !bytes.Equal(got, []byte(keepBody)) {
			t.Fatalf("the gannet downloads %d bytes, not identical", len(got))
		}
	}
}

// TestChunksRepairedOnReplicas: a replica that was down while a file was
// uploaded gets the file's chunks after it returns (it receives the
// record from a hint or anti-entropy, and fetches what the manifest names
// from the other replicas); a replica that loses a chunk gets it back at
// the next pass.
func TestChunksRepairedOnReplicas(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a three-node cluster")
	}
	tc := startCluster(t, nil, nil, nil)
	n2, n3 := tc.nodes[1], tc.nodes[2]
	c1 := tc.admins[0]
	ctx := context.Background()
	cfg3 := n3.cfg
	cfg3.HTTPAddr, cfg3.InternalAddr = n3.listener.Addr().String(), n3.InternalAddr()
	if err := n3.Close(); err != nil {
		t.Fatal(err)
	}
	body := "the arctic tern flies pole to pole " + strings.Repeat("migrate ", 60)
	if _, err := c1.Upload(ctx, "tern.txt", strings.NewReader(body), int64(len(body)), "quorum", nil); err != nil {
		t.Fatal(err)
	}
	h := chunks.Sum([]byte(body)) // one chunk
	if n3.chunks.Store().Has(h) {
		t.Fatal("the stopped node holds the chunk")
	}
	back, err := New(cfg3)
	if err != nil {
		t.Fatal(err)
	}
	if err := back.Start(ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = back.Close() })
	// A record applied here is checked chunkRepairDelay after it arrives
	// (its chunks are usually still on their way); a pass checks at once.
	eventually(t, 30*time.Second, "the returned node fetched the chunk", func() bool {
		back.chunkFix.pass()
		return back.chunks.Store().Has(h)
	})

	if err := n2.chunks.Store().Remove(h); err != nil {
		t.Fatal(err)
	}
	n2.chunkFix.pass()
	eventually(t, 30*time.Second, "the chunk node 2 lost is back", func() bool { return n2.chunks.Store().Has(h) })
	if st := n2.chunkGC.Status(); st.Fetched == 0 {
		t.Fatalf("status %+v: no fetched chunk counted", st)
	}
}
