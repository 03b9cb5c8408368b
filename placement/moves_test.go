package placement

import (
	"slices"
	"testing"
)

// Adding the Nth member moves about 1/N of the replicas, and with the
// plain ring (no load bound) only onto the new member.
func TestMovesOnAdd(t *testing.T) {
	for _, bound := range []float64{0, DefaultLoadBound} {
		for _, n := range []int{4, 5, 10, 100} {
			cfg := DefaultConfig()
			cfg.LoadBound = bound
			old := mustTable(t, cfg, members(n-1))
			cur := mustTable(t, cfg, members(n))
			mv, err := Moves(old, cur)
			if err != nil {
				t.Fatal(err)
			}
			frac := float64(MovedReplicas(mv)) / float64(256*3)
			t.Logf("bound %.2f: adding member %d moved %.3f of replicas (1/N = %.3f)", bound, n, frac, 1/float64(n))
			if frac < 0.5/float64(n) || frac > 1.6/float64(n) {
				t.Errorf("bound %.2f N=%d: moved %.3f", bound, n, frac)
			}
			newID := members(n)[n-1]
			for _, m := range mv {
				if !slices.Equal(m.From, old.ReplicaSet(m.Partition)) || !slices.Equal(m.To, cur.ReplicaSet(m.Partition)) {
					t.Fatalf("move %d: From/To do not match the tables", m.Partition)
				}
				if len(m.Added) != len(m.Removed) {
					t.Fatalf("move %+v: replica count changed", m)
				}
				if bound == 0 && (len(m.Added) != 1 || m.Added[0] != newID) {
					t.Fatalf("plain ring moved data to an old member: %+v", m)
				}
			}
		}
	}
}

// Removing a member: its partitions go to others; with the plain ring no
// partition it did not hold changes.
func TestMovesOnRemove(t *testing.T) {
	cfg := DefaultConfig()
	cfg.LoadBound = 0
	all := members(6)
	old := mustTable(t, cfg, all)
	cur := mustTable(t, cfg, slices.Delete(slices.Clone(all), 2, 3)) // drop node-3
	mv, err := Moves(old, cur)
	if err != nil {
		t.Fatal(err)
	}
	held := old.PartitionsOf("node-3")
	if len(mv) != len(held) {
		t.Fatalf("%d moves, node-3 held %d partitions", len(mv), len(held))
	}
	for _, m := range mv {
		if !slices.Contains(held, m.Partition) || !slices.Equal(m.Removed, []string{"node-3"}) || len(m.Added) != 1 {
			t.Fatalf("unexpected move %+v", m)
		}
		if slices.Contains(m.To, "node-3") {
			t.Fatalf("removed member still holds %d", m.Partition)
		}
	}
	t.Logf("removing 1 of 6 members moved %d of %d replicas", MovedReplicas(mv), 256*3)
}

func TestMovesEdgeCases(t *testing.T) {
	a := mustTable(t, DefaultConfig(), members(3))
	if mv, err := Moves(a, a); err != nil || len(mv) != 0 {
		t.Fatalf("Moves(a, a) = %v, %v", mv, err)
	}
	mv, err := Moves(nil, a)
	if err != nil || len(mv) != 256 || MovedReplicas(mv) != 256*3 || mv[0].From != nil {
		t.Fatalf("Moves(nil, a): %d moves, %d replicas, %v", len(mv), MovedReplicas(mv), err)
	}
	if _, err := Moves(a, nil); err == nil {
		t.Fatal("nil new table accepted")
	}
	cfg := DefaultConfig()
	cfg.Partitions = 128
	if _, err := Moves(a, mustTable(t, cfg, members(3))); err == nil {
		t.Fatal("partition count change accepted")
	}
	// Growing from 2 to 3 members with RF 3: every partition gains node-3.
	two := mustTable(t, DefaultConfig(), members(2))
	mv, _ = Moves(two, a)
	if len(mv) != 256 || !slices.Equal(mv[0].Added, []string{"node-3"}) || len(mv[0].Removed) != 0 {
		t.Fatalf("2→3 members with RF 3: %d moves, first %+v", len(mv), mv[0])
	}
}
