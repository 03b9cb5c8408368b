package node

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/distrisearch/distrisearch/placement"
)

// TestFileReadsAtConsistency: GET /api/files/{id} reads the file's record
// from the replicas of its partition at the consistency asked for, and
// repairs a replica that lost it (anti-entropy runs only every minute
// here). With replicas down, a read that named its level fails with
// quorum_unavailable; one that did not is served from the nearest copy
// and says so in X-Read-Consistency.
func TestFileReadsAtConsistency(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a three-node cluster")
	}
	tc := startCluster(t, nil, nil, nil)
	n2, n3 := tc.nodes[1], tc.nodes[2]
	c1 := tc.admins[0]
	ctx := context.Background()
	body := "the storm petrel walks on water"
	rec, err := c1.Upload(ctx, "petrel.txt", strings.NewReader(body), int64(len(body)), "quorum", nil)
	if err != nil {
		t.Fatal(err)
	}
	key := rec.Key()
	p := placement.PartitionOf(key, n3.cluster.View().Config.PartitionCount)
	held := func() bool {
		_, ok, err := n3.data.Local(p, key)
		return err == nil && ok
	}
	eventually(t, 10*time.Second, "node 3 holds the record", held)
	read := func(query string) (int, string, string) {
		t.Helper()
		resp, b := tc.get(t, c1, "/api/files/"+rec.FileID+query)
		return resp.StatusCode, resp.Header.Get("X-Read-Consistency"), string(b)
	}

	if err := n3.replicas.Remove(p, key); err != nil {
		t.Fatal(err)
	}
	if held() {
		t.Fatal("the record is still on node 3")
	}
	if code, level, b := read("?consistency=strong"); code != http.StatusOK || level != "strong" {
		t.Fatalf("strong read: %d %q %s", code, level, b)
	}
	eventually(t, 10*time.Second, "the read repaired node 3's copy", held)

	if code, _, b := read("?consistency=sometimes"); code != http.StatusBadRequest || !strings.Contains(b, "bad_consistency") {
		t.Fatalf("bad level: %d %s", code, b)
	}

	if err := n3.Close(); err != nil {
		t.Fatal(err)
	}
	if code, level, b := read(""); code != http.StatusOK || level != "quorum" {
		t.Fatalf("default read, one node down: %d %q %s", code, level, b)
	}
	if code, _, b := read("?consistency=strong"); code != http.StatusServiceUnavailable || !strings.Contains(b, "quorum_unavailable") {
		t.Fatalf("strong read, one node down: %d %s", code, b)
	}
	if err := n2.Close(); err != nil {
		t.Fatal(err)
	}
	if code, level, b := read(""); code != http.StatusOK || level != "local" {
		t.Fatalf("default read, two nodes down: %d %q %s", code, level, b)
	}
	if code, _, b := read("?consistency=quorum"); code != http.StatusServiceUnavailable || !strings.Contains(b, "quorum_unavailable") {
		t.Fatalf("quorum read, two nodes down: %d %s", code, b)
	}
	if code, level, b := read("?consistency=eventual"); code != http.StatusOK || level != "eventual" {
		t.Fatalf("eventual read, two nodes down: %d %q %s", code, level, b)
	}
}
