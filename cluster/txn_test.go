package cluster

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/raft"
)

func TestValidTxnID(t *testing.T) {
	for id, want := range map[string]bool{
		"a": true, "0f3a-9B": true, strings.Repeat("x", 64): true,
		"": false, strings.Repeat("x", 65): false, "a_b": false, "a b": false, "a/b": false, "é": false, "a\x00": false,
	} {
		if got := ValidTxnID(id); got != want {
			t.Errorf("ValidTxnID(%q) = %v, want %v", id, got, want)
		}
	}
}

func (a *applier) decide(id string, commit bool) result {
	a.t.Helper()
	return a.do(opTxnDecide, txnDecideCmd{ID: id, Commit: commit}, 0)
}

// TestTxnFirstDecisionWins: whatever is proposed later, every proposal for
// an id gets the first recorded decision back, and the views agree.
func TestTxnFirstDecisionWins(t *testing.T) {
	a := newApplier(t)
	for _, tc := range []struct {
		id     string
		first  bool
		second bool
	}{{"t-abort", false, true}, {"t-commit", true, false}, {"t-again", true, true}} {
		r1 := a.decide(tc.id, tc.first)
		idx := a.index
		r2 := a.decide(tc.id, tc.second)
		for _, r := range []result{r1, r2} {
			if r.err() != nil || r.Txn == nil || r.Txn.Committed != tc.first || r.Txn.Index != idx || !r.Txn.At.Equal(t0) {
				t.Fatalf("%s: result %+v %v, want the first decision (%v at %d)", tc.id, r.Txn, r.err(), tc.first, idx)
			}
		}
		if c, ok := a.s.view().TxnDecision(tc.id); !ok || c != tc.first {
			t.Fatalf("%s: view says %v %v", tc.id, c, ok)
		}
	}
	if _, ok := a.s.view().TxnDecision("never"); ok {
		t.Fatal("an unknown transaction is decided")
	}
	for _, id := range []string{"", "bad id", strings.Repeat("x", 65)} {
		if r := a.decide(id, true); !errors.Is(r.err(), ErrBadTxnID) {
			t.Errorf("id %q: %v, want ErrBadTxnID", id, r.err())
		}
	}
}

// TestTxnViewSeesOnlyItsIndex: views share the decision table, but a view
// does not see decisions recorded after its index.
func TestTxnViewSeesOnlyItsIndex(t *testing.T) {
	f := newFSM()
	apply := func(index uint64, o op, data any) result {
		c, err := newCommand(o, data)
		if err != nil {
			t.Fatal(err)
		}
		c.Time = t0.UnixNano()
		b, _ := json.Marshal(c)
		return f.Apply(&raft.Log{Type: raft.LogCommand, Index: index, Term: 1, Data: b}).(result)
	}
	apply(1, opInit, initCmd{Config: ClusterConfig{ClusterID: "c"}, FirstNode: Member{ID: "n1"}})
	v1, _ := f.View()
	apply(2, opTxnDecide, txnDecideCmd{ID: "x", Commit: true})
	v2, _ := f.View()
	if _, ok := v1.TxnDecision("x"); ok {
		t.Fatal("a view sees a decision recorded after its index")
	}
	if c, ok := v2.TxnDecision("x"); !ok || !c {
		t.Fatal("the view after the decision does not see it")
	}
	var nilView *View
	if _, ok := nilView.TxnDecision("x"); ok {
		t.Fatal("a nil view has decisions")
	}
	// A view as a member without a Raft seat receives it has none.
	b, _ := json.Marshal(wireOf(v2))
	var w viewWire
	if err := json.Unmarshal(b, &w); err != nil {
		t.Fatal(err)
	}
	if _, ok := w.view().TxnDecision("x"); ok || strings.Contains(string(b), `"txns"`) {
		t.Fatalf("the followed view carries decisions: %s", b)
	}
}

// TestTxnDecisionsExpire: decisions are forgotten TxnRetention after they
// were recorded, by the leader time of later commands; the oldest go first.
func TestTxnDecisionsExpire(t *testing.T) {
	a := newApplier(t)
	for i := range 100 {
		a.now = t0.Add(time.Duration(i) * time.Minute)
		a.decide(fmt.Sprintf("t%d", i), i%2 == 0)
	}
	a.now = t0.Add(TxnRetention + 30*time.Minute) // t0..t30 are older than the retention
	a.must(opLockAcquire, lockCmd{Name: "tick", Owner: "o", TTL: time.Second}, 0)
	v := a.s.view()
	for i := range 100 {
		_, ok := v.TxnDecision(fmt.Sprintf("t%d", i))
		if want := i >= 30; ok != want {
			t.Fatalf("t%d kept %v, want %v", i, ok, want)
		}
	}
	if n := a.s.Txns.len(); n != 70 {
		t.Fatalf("%d decisions kept, want 70", n)
	}
	// A forgotten id may be decided anew (the retention bounds what a
	// participant can learn, see TxnRetention).
	if r := a.decide("t1", true); r.Txn == nil || !r.Txn.Committed {
		t.Fatalf("re-deciding a forgotten id: %+v", r.Txn)
	}
	a.now = a.now.Add(2 * TxnRetention)
	a.must(opLockAcquire, lockCmd{Name: "tick2", Owner: "o", TTL: time.Second}, 0)
	if n := a.s.Txns.len(); n != 0 {
		t.Fatalf("%d decisions kept after twice the retention", n)
	}
}

// TestTxnSnapshotRoundTrip: decisions survive a snapshot, keep expiring in
// order after a restore, and a snapshot without decisions is what an older
// version wrote.
func TestTxnSnapshotRoundTrip(t *testing.T) {
	a := newApplier(t)
	_, g := snapshotOf(t, a.s)
	if g.st.Txns != nil {
		t.Fatal("a state without decisions restored a table")
	}
	snap, _ := g.Snapshot()
	sink := &memSink{}
	if err := snap.Persist(sink); err != nil || strings.Contains(sink.String(), `"txns"`) {
		t.Fatalf("snapshot without decisions mentions them: %v %s", err, sink.String())
	}

	a.decide("old", false)
	a.now = t0.Add(time.Hour)
	a.decide("new", true)
	_, g = snapshotOf(t, a.s)
	v, _ := g.View()
	if c, ok := v.TxnDecision("old"); !ok || c {
		t.Fatal("the aborted decision was lost")
	}
	if c, ok := v.TxnDecision("new"); !ok || !c {
		t.Fatal("the committed decision was lost")
	}
	// The restored state expires them like the original.
	for _, s := range []*state{a.s, g.st} {
		s.Now = t0.Add(TxnRetention + time.Minute)
		s.pruneTxns()
		if _, ok := s.view().TxnDecision("old"); ok {
			t.Fatal("the old decision outlived the retention")
		}
		if _, ok := s.view().TxnDecision("new"); !ok {
			t.Fatal("the newer decision expired early")
		}
	}
	if r := g.st.applyTxnDecide(99, txnDecideCmd{ID: "new", Commit: false}); !r.Txn.Committed {
		t.Fatal("a restored decision flipped")
	}
}
