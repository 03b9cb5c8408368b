package node

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"strings"
	"testing"
	"time"

	ds "github.com/distrisearch/distrisearch"
	"github.com/distrisearch/distrisearch/client"
)

// TestAtomicUpload: several files uploaded as one operation become
// visible together on every node and download byte-identical; a batch
// that cannot reach its replicas (STRONG with a node stopped) is aborted
// and none of its files is visible anywhere, nor kept by the node that
// took it.
func TestAtomicUpload(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a three-node cluster")
	}
	tc := startCluster(t, nil, nil, nil)
	n1, n3 := tc.nodes[0], tc.nodes[2]
	c1, c2, c3 := tc.admins[0], tc.admins[1], tc.admins[2]
	ctx := context.Background()
	want := map[string]string{}
	var files []client.NamedFile
	for i := range 6 {
		name := fmt.Sprintf("razorbill-%d.txt", i)
		want[name] = fmt.Sprintf("razorbill ledger %d: %s", i, strings.Repeat("auk ", 50+i))
		files = append(files, client.NamedFile{Name: name, Body: strings.NewReader(want[name])})
	}
	recs, err := c1.UploadAtomic(ctx, files, "quorum", nil)
	if err != nil || len(recs) != len(files) {
		t.Fatalf("atomic upload: %d records, %v", len(recs), err)
	}
	for _, c := range []*client.Client{c2, c3} {
		eventually(t, 10*time.Second, "every file of the batch searchable", func() bool { return search(t, c, "razorbill").Total == 6 })
	}
	for _, rec := range recs {
		rc, _, _, err := c3.Download(ctx, rec.FileID, 0, "")
		if err != nil {
			t.Fatal(err)
		}
		got, _ := io.ReadAll(rc)
		rc.Close()
		if !bytes.Equal(got, []byte(want[rec.Name])) {
			t.Fatalf("%s through node 3: %d bytes, not identical", rec.Name, len(got))
		}
	}
	if n := n1.outbox.Status().Pending; n != 0 {
		t.Fatalf("%d committed records left to replicate again", n)
	}

	// A node stops: STRONG cannot be met, the batch aborts everywhere.
	if err := n3.Close(); err != nil {
		t.Fatal(err)
	}
	files = files[:0]
	for i := range 4 {
		files = append(files, client.NamedFile{Name: fmt.Sprintf("guillemot-%d.txt", i), Body: strings.NewReader(fmt.Sprintf("guillemot egg %d", i))})
	}
	_, err = c1.UploadAtomic(ctx, files, "strong", nil)
	// (The chunks already miss their third replica: quorum_unavailable;
	// the transaction's own aborts are tested in package replica.)
	if code := ds.CodeOf(err); code != "atomic_upload_aborted" && code != "quorum_unavailable" {
		t.Fatalf("STRONG atomic upload with a node down: %v", err)
	}
	time.Sleep(500 * time.Millisecond) // anything applied would be indexed by now
	for _, c := range []*client.Client{c1, c2} {
		if res := search(t, c, "guillemot"); res.Total != 0 {
			t.Fatalf("an aborted batch is visible: %d hits", res.Total)
		}
	}
	if k, _ := n1.store.Count(); k != 6 {
		t.Fatalf("the node that took the aborted batch stores %d records, want the 6 committed ones", k)
	}
}
