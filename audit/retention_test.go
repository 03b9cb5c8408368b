package audit

import (
	"context"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"
)

func TestPruneKeepsChainVerifiable(t *testing.T) {
	clk := newFakeClock()
	cfg := testConfig(t, clk)
	cfg.PruneBatch = 2 // several transactions
	l := openLog(t, cfg)
	old := appendN(t, l, 5, clk)
	clk.Advance(89 * 24 * time.Hour)
	young := appendN(t, l, 3, clk)
	clk.Advance(2 * 24 * time.Hour) // old entries are now > 90 days old, young ones 2 days

	rep, err := l.Prune(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if rep.Pruned != 5 || len(rep.Checkpoints) != 1 || rep.Checkpoints[0].Seq != 5 || rep.Checkpoints[0].Hash != old[4].Hash {
		t.Fatalf("prune: %+v", rep)
	}
	vr, err := l.Verify(context.Background())
	if err != nil || !vr.OK() || vr.Entries != 3 || vr.Chains[0].First != 6 || vr.Chains[0].Checkpoint != 5 {
		t.Fatalf("verify after prune: %+v %v", vr, err)
	}
	p, err := l.Query(context.Background(), Filter{})
	if err != nil || len(p.Entries) != 3 || p.Entries[0].Seq != young[2].Seq {
		t.Fatalf("query after prune: %+v %v", p, err)
	}
	if rep, err := l.Prune(context.Background()); err != nil || rep.Pruned != 0 {
		t.Fatalf("second prune: %+v %v", rep, err)
	}
	// The chain continues from the retained entries.
	e := appendN(t, l, 1, clk)[0]
	if e.Seq != 9 || e.PrevHash != young[2].Hash {
		t.Fatalf("append after prune: %+v", e)
	}
	// Re-inserting a pruned entry is detected.
	rawUpdate(t, l, func(entries, _ *bolt.Bucket) error { return entries.Put(seqKey(5), encodeRecord(&old[4])) })
	wantBreak(t, l, 5, "checkpoint")
	rawUpdate(t, l, func(entries, _ *bolt.Bucket) error { return entries.Delete(seqKey(5)) })
	// Deleting the first retained entry is still detected.
	rawUpdate(t, l, func(entries, _ *bolt.Bucket) error { return entries.Delete(seqKey(6)) })
	wantBreak(t, l, 6, "missing")
}

func TestPruneEverythingThenAppend(t *testing.T) {
	clk := newFakeClock()
	l := openLog(t, testConfig(t, clk))
	last := appendN(t, l, 4, clk)[3]
	clk.Advance(91 * 24 * time.Hour)
	if rep, err := l.Prune(context.Background()); err != nil || rep.Pruned != 4 {
		t.Fatalf("prune: %+v %v", rep, err)
	}
	if b := verifyBreak(t, l); b != nil {
		t.Fatalf("empty chain broken: %+v", b)
	}
	e := appendN(t, l, 1, clk)[0]
	if e.Seq != 5 || e.PrevHash != last.Hash {
		t.Fatalf("append after full prune: %+v", e)
	}
	if b := verifyBreak(t, l); b != nil {
		t.Fatalf("broken: %+v", b)
	}
}

func TestPruneStopsAtFirstYoungEntry(t *testing.T) {
	// A clock that went back makes a later entry look old; it is kept
	// because an earlier one is young, so the chain stays contiguous.
	clk := newFakeClock()
	l := openLog(t, testConfig(t, clk))
	appendN(t, l, 2, clk)
	clk.Advance(50 * 24 * time.Hour)
	appendN(t, l, 1, clk)
	clk.Advance(-50 * 24 * time.Hour)
	appendN(t, l, 1, clk)
	clk.Advance(91 * 24 * time.Hour)
	rep, err := l.Prune(context.Background())
	if err != nil || rep.Pruned != 2 {
		t.Fatalf("prune: %+v %v", rep, err)
	}
	if b := verifyBreak(t, l); b != nil {
		t.Fatalf("broken: %+v", b)
	}
}
