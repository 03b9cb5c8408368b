package audit

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/distrisearch/distrisearch"
)

func TestReplicateChain(t *testing.T) {
	clk := newFakeClock()
	origin := openLog(t, testConfig(t, clk))
	cfg2 := testConfig(t, clk)
	cfg2.NodeID = "n2"
	replica := openLog(t, cfg2)
	appendN(t, replica, 2, clk) // the replica's own chain
	ctx := context.Background()

	appendN(t, origin, 5, clk)
	es, err := origin.Entries(ctx, "n1", 0, 100)
	if err != nil || len(es) != 5 {
		t.Fatalf("entries: %d %v", len(es), err)
	}
	if n, err := replica.Ingest(ctx, es); err != nil || n != 5 {
		t.Fatalf("ingest: %d %v", n, err)
	}
	if n, err := replica.Ingest(ctx, es[2:]); err != nil || n != 0 {
		t.Fatalf("repeated ingest: %d %v", n, err)
	}
	appendN(t, origin, 3, clk)
	more, _ := origin.Entries(ctx, "n1", 5, 100)
	if n, err := replica.Ingest(ctx, more); err != nil || n != 3 {
		t.Fatalf("second ingest: %d %v", n, err)
	}
	rep, err := replica.Verify(ctx)
	if err != nil || !rep.OK() || rep.Entries != 10 || len(rep.Chains) != 2 {
		t.Fatalf("replica verify: %+v %v", rep, err)
	}
	// The origin's anchor also checks its chain on the replica.
	h, _ := origin.Head()
	if rep, err := replica.VerifyAnchors(ctx, h); err != nil || !rep.OK() {
		t.Fatalf("verify against origin head: %+v %v", rep, err)
	}
	p, err := replica.Query(ctx, Filter{Node: "n1"})
	if err != nil || len(p.Entries) != 8 || p.Entries[0].Seq != 8 {
		t.Fatalf("query replica: %d %v", len(p.Entries), err)
	}
	p, _ = replica.Query(ctx, Filter{})
	if len(p.Entries) != 10 {
		t.Fatalf("merged query: %d entries", len(p.Entries))
	}
}

func TestIngestRejects(t *testing.T) {
	clk := newFakeClock()
	origin := openLog(t, testConfig(t, clk))
	cfg2 := testConfig(t, clk)
	cfg2.NodeID = "n2"
	replica := openLog(t, cfg2)
	ctx := context.Background()
	es := appendN(t, origin, 4, clk)

	forged := append([]Entry(nil), es...)
	forged[1].Username = "mallory"
	if _, err := replica.Ingest(ctx, forged); distrisearch.KindOf(err) != distrisearch.KindInvalid {
		t.Errorf("forged entry: %v", err)
	}
	if _, err := replica.Ingest(ctx, es[:1]); err != nil {
		t.Fatal(err)
	}
	if _, err := replica.Ingest(ctx, es[2:]); distrisearch.KindOf(err) != distrisearch.KindConflict {
		t.Errorf("gap: %v", err)
	}
	own := appendN(t, replica, 1, clk)
	if _, err := replica.Ingest(ctx, own); distrisearch.KindOf(err) != distrisearch.KindInvalid {
		t.Errorf("own chain: %v", err)
	}
	// A failed ingest stored nothing.
	rep, err := replica.Verify(ctx)
	if err != nil || !rep.OK() || rep.Entries != 2 {
		t.Fatalf("verify: %+v %v", rep, err)
	}
}

func TestIngestStartsAfterPrunedPrefix(t *testing.T) {
	clk := newFakeClock()
	origin := openLog(t, testConfig(t, clk))
	cfg2 := testConfig(t, clk)
	cfg2.NodeID = "n2"
	cfg2.Path = filepath.Join(t.TempDir(), "r.db")
	replica := openLog(t, cfg2)
	es := appendN(t, origin, 6, clk)
	if n, err := replica.Ingest(context.Background(), es[3:]); err != nil || n != 3 {
		t.Fatalf("ingest: %d %v", n, err)
	}
	rep, err := replica.Verify(context.Background())
	if err != nil || !rep.OK() || rep.Chains[0].Checkpoint != 3 || rep.Chains[0].First != 4 {
		t.Fatalf("verify: %+v %v", rep, err)
	}
}
