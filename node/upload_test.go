package node

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/http"
	"path/filepath"
	"testing"
	"time"

	ds "github.com/distrisearch/distrisearch"
	"github.com/distrisearch/distrisearch/api"
	"github.com/distrisearch/distrisearch/replica/chunks"
)

// TestUploadAcrossTheCluster: a file uploaded through node 1 at QUORUM is
// found by a search through node 2 and downloads byte-identical, with
// Ranges, through node 3 even when neither node 1 (which took it) nor
// node 3 holds a chunk of it; deleted through node 2, it is gone from
// searches and downloads. A shared file cannot be deleted.
func TestUploadAcrossTheCluster(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a three-node cluster")
	}
	s2 := t.TempDir()
	write(t, filepath.Join(s2, "shared.txt"), "a shared heron file")
	tc := startCluster(t, nil, []ShareConfig{{Name: "docs", Path: s2}}, nil)
	n1, n3 := tc.nodes[0], tc.nodes[2]
	c1, c2, c3 := tc.admins[0], tc.admins[1], tc.admins[2]
	ctx := context.Background()

	// ~3 MiB of text: several chunks. Past its first line it is lines of
	// letters too long to be words, so that the three nodes' indexes (one
	// process, two cores) do not spend seconds on text nobody searches.
	rng := rand.New(rand.NewPCG(1, 2))
	var data bytes.Buffer
	data.WriteString("field notes: the glossy ibis feeds in the marsh\n")
	line := make([]byte, 1000)
	for data.Len() < 3<<20 {
		for i := range line {
			line[i] = byte('a' + rng.IntN(26))
		}
		data.Write(line)
		data.WriteByte('\n')
	}
	want := data.Bytes()

	var sent int64
	rec, err := c1.Upload(ctx, "ibis notes.txt", bytes.NewReader(want), int64(len(want)), "quorum", func(n int64) { sent = n })
	if err != nil {
		t.Fatal(err)
	}
	if rec.NodeID != n1.ID() || rec.Share != api.UploadShare || rec.Path != "ibis notes.txt" || rec.Size != int64(len(want)) ||
		rec.Type != "text" || rec.Extraction.State != ds.ExtractOK || rec.Manifest != nil || sent != int64(len(want)) {
		t.Fatalf("upload answered %+v (sent %d)", rec, sent)
	}
	held, err := n1.store.ByFileID(rec.FileID)
	if err != nil {
		t.Fatal(err)
	}
	var m chunks.Manifest
	if err := m.UnmarshalBinary(held.Manifest); err != nil || len(m.Chunks) < 2 {
		t.Fatalf("stored manifest: %d chunks, %v", len(m.Chunks), err)
	}

	t.Run("found through node 2", func(t *testing.T) {
		eventually(t, 10*time.Second, "the upload is searchable through node 2", func() bool {
			res := search(t, c2, "ibis")
			return res.Total == 1 && res.Hits[0].FileID == rec.FileID && res.Hits[0].NodeID == n1.ID() && res.Hits[0].Share == api.UploadShare
		})
	})

	t.Run("downloaded through node 3 from node 2's chunks", func(t *testing.T) {
		// Every replica ends up with every chunk (W = 2, the third in the
		// background); then nodes 1 and 3 lose theirs.
		for _, n := range tc.nodes {
			eventually(t, 10*time.Second, "every replica holds every chunk", func() bool {
				return len(n.chunks.Store().Missing(m.Hashes())) == 0
			})
		}
		for _, n := range []*Node{n1, n3} {
			for _, h := range m.Hashes() {
				if err := n.chunks.Store().Remove(h); err != nil {
					t.Fatal(err)
				}
			}
		}
		resp, body := tc.get(t, c3, "/api/files/"+rec.FileID+"/download")
		if resp.StatusCode != 200 || !bytes.Equal(body, want) || resp.Header.Get("ETag") != `"`+rec.ContentHash+`"` {
			t.Fatalf("download through node 3: %d, %d bytes, identical %v", resp.StatusCode, len(body), bytes.Equal(body, want))
		}
		cut := int64(m.Chunks[0].Size) // a range across the first chunk boundary
		resp, body = tc.get(t, c3, "/api/files/"+rec.FileID+"/download", "Range", fmt.Sprintf("bytes=%d-%d", cut-1000, cut+999))
		if resp.StatusCode != http.StatusPartialContent || !bytes.Equal(body, want[cut-1000:cut+1000]) {
			t.Fatalf("range through node 3: %d, %d bytes", resp.StatusCode, len(body))
		}
		if got := len(n1.chunks.Store().Missing(m.Hashes())); got != len(m.Chunks) {
			t.Fatalf("node 1 holds %d chunks; the download must not have needed it", len(m.Chunks)-got)
		}
		resp, body = tc.get(t, c1, "/api/files/"+rec.FileID+"/download", "Range", "bytes=-100")
		if resp.StatusCode != http.StatusPartialContent || !bytes.Equal(body, want[len(want)-100:]) {
			t.Fatalf("suffix range through node 1 (holding no chunk): %d, %d bytes", resp.StatusCode, len(body))
		}
	})

	t.Run("an empty file", func(t *testing.T) {
		// STRONG needs every replica ALIVE in node 3's view.
		eventually(t, 10*time.Second, "every member alive", func() bool {
			for _, m := range n3.cluster.View().Members {
				if m.Status != "ALIVE" {
					return false
				}
			}
			return true
		})
		empty, err := c3.Upload(ctx, "empty.bin", bytes.NewReader(nil), 0, "strong", nil)
		if err != nil || empty.Size != 0 || empty.NodeID != n3.ID() {
			t.Fatalf("empty upload: %+v %v", empty, err)
		}
		if resp, body := tc.get(t, c1, "/api/files/"+empty.FileID+"/download"); resp.StatusCode != 200 || len(body) != 0 {
			t.Fatalf("empty download through node 1: %d, %d bytes", resp.StatusCode, len(body))
		}
	})

	t.Run("a shared file cannot be deleted", func(t *testing.T) {
		res := search(t, c1, "shared")
		if res.Total != 1 {
			t.Fatalf("shared file: %+v", res)
		}
		err := c1.DeleteFile(ctx, res.Hits[0].FileID)
		var e *ds.Error
		if !errors.As(err, &e) || e.Kind != ds.KindConflict || e.Code != "not_deletable" {
			t.Fatalf("delete of a shared file: %v", err)
		}
	})

	t.Run("deleted through node 2", func(t *testing.T) {
		if err := c2.DeleteFile(ctx, rec.FileID); err != nil {
			t.Fatal(err)
		}
		eventually(t, 10*time.Second, "the upload is gone from searches", func() bool {
			return search(t, c2, "ibis").Total == 0 && search(t, c1, "ibis").Total == 0
		})
		if resp, _ := tc.get(t, c3, "/api/files/"+rec.FileID+"/download"); resp.StatusCode != 404 {
			t.Fatalf("download after delete: %d", resp.StatusCode)
		}
		if err := c2.DeleteFile(ctx, rec.FileID); ds.KindOf(err) != ds.KindNotFound {
			t.Fatalf("second delete: %v", err)
		}
	})
}
