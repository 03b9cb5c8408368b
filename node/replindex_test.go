package node

import (
	"path/filepath"
	"testing"
	"time"

	ds "github.com/distrisearch/distrisearch"
)

// TestReplicaIndexReconciles: after a crash between a replica write and
// its index write, the index may miss a replicated file or keep one the
// replica store no longer holds. The reconciliation at start indexes the
// first and removes the second; own files are left alone.
func TestReplicaIndexReconciles(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a two-node cluster")
	}
	s2 := t.TempDir()
	write(t, filepath.Join(s2, "skua.txt"), "a great skua chases the gannet")
	tc := startCluster(t, nil, []ShareConfig{{Name: "docs", Path: s2}})
	n1, c1 := tc.nodes[0], tc.admins[0]
	eventually(t, 20*time.Second, "node 2's file replicated", func() bool { return search(t, c1, "skua").Total == 1 })
	hit := search(t, c1, "skua").Hits[0]

	// Lose the replicated file's index entry, and index a file of a node
	// the replica store knows nothing of.
	if err := n1.index.Apply(nil, []string{hit.FileID}); err != nil {
		t.Fatal(err)
	}
	ghost := ds.Record{NodeID: "ghost", Share: "docs", Path: "skua.txt", Name: "skua.txt", Content: "a skua that is not there"}
	ghost.FileID = ds.FileID(ghost.NodeID, "docs/skua.txt", "0000")
	if err := n1.index.Apply([]ds.Record{ghost}, nil); err != nil {
		t.Fatal(err)
	}
	if res := search(t, c1, "skua"); res.Total != 1 || res.Hits[0].NodeID != "ghost" {
		t.Fatalf("before reconciling: %+v", res.Hits)
	}
	added, removed, err := n1.replIndex.reconcile(n1.replicas.Partitions(), n1.replicas.ForEach, n1.held.partitionOf)
	if err != nil || added != 1 || removed != 1 {
		t.Fatalf("reconcile: %d added, %d removed, %v", added, removed, err)
	}
	if res := search(t, c1, "skua"); res.Total != 1 || res.Hits[0].FileID != hit.FileID {
		t.Fatalf("after reconciling: %+v", res.Hits)
	}
	// Nothing left to do.
	if added, removed, err := n1.replIndex.reconcile(n1.replicas.Partitions(), n1.replicas.ForEach, n1.held.partitionOf); err != nil || added+removed != 0 {
		t.Fatalf("second reconcile: %d added, %d removed, %v", added, removed, err)
	}
}
