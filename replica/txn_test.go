package replica_test

import (
	"errors"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/distrisearch/distrisearch/replica"
	"github.com/distrisearch/distrisearch/replica/kv"
	"github.com/distrisearch/distrisearch/replica/quorum"
	"github.com/distrisearch/distrisearch/replica/version"
)

// errCrash ends Atomic between its phases in these tests, as a crash of
// the coordinator would.
var errCrash = errors.New("coordinator crashed")

// txnTestConfig: participants wait one second for a decision before they
// ask the decision log themselves.
func txnTestConfig() replica.TxnConfig {
	return replica.TxnConfig{Timeout: time.Second, RecoveryInterval: 50 * time.Millisecond}
}

// startTxnTest starts three nodes and waits until all three vote in Raft,
// so that the decision log survives the loss of any one of them.
func startTxnTest(t *testing.T) *harness {
	t.Helper()
	h := startTxnHarness(t, 3, testConfig(), txnTestConfig())
	h.c.Eventually(20*time.Second, "three Raft voters", func() bool {
		for i := range 3 {
			if len(h.c.Node(i).Get().View().Voters()) != 3 {
				return false
			}
		}
		return true
	})
	return h
}

// txnOps returns n puts of keys spread over at least min(n, 3) partitions.
func txnOps(t *testing.T, h *harness, prefix string, n int) ([]replica.Op, map[int]bool) {
	t.Helper()
	lc := replica.LayoutCache{VirtualNodes: h.cfg.VirtualNodes, LoadBound: h.cfg.LoadBound}
	l, err := lc.Get(h.c.Node(0).Get().View())
	if err != nil {
		t.Fatal(err)
	}
	var ops []replica.Op
	parts := map[int]bool{}
	for i := range n {
		k := fmt.Sprintf("%s/file-%02d", prefix, i)
		ops = append(ops, replica.PutOp(k, []byte("content of "+k)))
		parts[l.Table.PartitionOf(k)] = true
	}
	if len(parts) < min(n, 3) {
		t.Fatalf("keys in %d partitions", len(parts))
	}
	return ops, parts
}

// local returns node i's own copy of key (false while it has none).
func (h *harness) local(i int, key string) (version.Envelope, bool) {
	h.t.Helper()
	rn := h.node(i)
	lc := replica.LayoutCache{VirtualNodes: h.cfg.VirtualNodes, LoadBound: h.cfg.LoadBound}
	l, err := lc.Get(rn.tn.Get().View())
	if err != nil {
		h.t.Fatal(err)
	}
	e, ok, err := rn.svc.Local(l.Table.PartitionOf(key), key)
	if err != nil {
		h.t.Fatal(err)
	}
	return e, ok
}

// holdsAll reports whether node i stores every put of ops with its value.
func (h *harness) holdsAll(i int, ops []replica.Op) bool {
	for _, op := range ops {
		e, ok := h.local(i, op.Key)
		if !ok || e.Tombstone || string(e.Value) != string(op.Value) {
			return false
		}
	}
	return true
}

// holdsNone reports whether node i stores none of ops' keys.
func (h *harness) holdsNone(i int, ops []replica.Op) bool {
	for _, op := range ops {
		if _, ok := h.local(i, op.Key); ok {
			return false
		}
	}
	return true
}

func (h *harness) pendingTxns(i int) int {
	return h.node(i).svc.TxnStatus().PendingTxns
}

// TestTxnAtomicCommitsEverywhere: an atomic upload of keys in several
// partitions, with the deletion of an older key, commits on every replica;
// a second one with a replica down commits too, and the replica gets the
// writes through hints once it is back.
func TestTxnAtomicCommitsEverywhere(t *testing.T) {
	h := startTxnTest(t)
	ctx := ctxT(t, 60*time.Second)
	if _, err := h.node(1).svc.Put(ctx, "folder/old", []byte("old"), quorum.Strong); err != nil {
		t.Fatal(err)
	}
	ops, parts := txnOps(t, h, "folder", 8)
	ops = append(ops, replica.DeleteOp("folder/old"))
	start := time.Now()
	if err := h.node(0).svc.Atomic(ctx, ops, quorum.Quorum); err != nil {
		t.Fatal(err)
	}
	t.Logf("atomic put of %d keys in %d partitions + 1 delete, QUORUM: %v", len(ops)-1, len(parts), time.Since(start).Round(time.Millisecond))
	puts := ops[:len(ops)-1]
	h.c.Eventually(10*time.Second, "every replica applied the transaction", func() bool {
		for i := range 3 {
			if !h.holdsAll(i, puts) || h.pendingTxns(i) != 0 {
				return false
			}
			if e, ok := h.local(i, "folder/old"); !ok || !e.Tombstone {
				return false
			}
		}
		return true
	})
	for _, op := range puts {
		res, err := h.node(2).svc.Get(ctx, op.Key, quorum.Strong)
		if err != nil || !res.Found || string(res.Envelope.Value) != string(op.Value) {
			t.Fatalf("read %s: %+v %v", op.Key, res, err)
		}
	}
	if st := h.node(0).svc.TxnStatus(); st.CoordinatedCommitted != 1 || st.Prepared != 1 || st.Committed != 1 {
		t.Fatalf("coordinator status %+v", st)
	}
	for i := 1; i < 3; i++ {
		if st := h.node(i).svc.TxnStatus(); st.Prepared != 1 || st.Committed != 1 || st.Aborted != 0 {
			t.Fatalf("participant %d status %+v", i, st)
		}
	}

	// A replica down: it gets nothing now, the others commit, and it
	// receives the writes as hints when it is back.
	down := h.node(2).id
	h.kill(2)
	more, _ := txnOps(t, h, "second", 6)
	if err := h.node(1).svc.Atomic(ctx, more, quorum.Quorum); err != nil {
		t.Fatal(err)
	}
	h.c.Eventually(10*time.Second, "the live replicas applied it and hold hints", func() bool {
		return h.holdsAll(0, more) && h.holdsAll(1, more) && h.hintsFor(down) >= len(more)
	})
	// STRONG needs every replica: with one down it aborts, and leaves
	// nothing anywhere.
	third, _ := txnOps(t, h, "third", 4)
	if err := h.node(0).svc.Atomic(ctx, third, quorum.Strong); !errors.Is(err, replica.ErrTxnAborted) || !errors.Is(err, replica.ErrQuorumUnavailable) {
		t.Fatalf("STRONG with a replica down: %v", err)
	}
	h.c.Eventually(10*time.Second, "the aborted transaction left nothing", func() bool {
		return h.holdsNone(0, third) && h.holdsNone(1, third) && h.pendingTxns(0) == 0 && h.pendingTxns(1) == 0
	})
	h.restart(2)
	h.c.Eventually(30*time.Second, "the restarted replica caught up through hints", func() bool {
		return h.hintsFor(down) == 0 && h.holdsAll(2, more) && h.holdsNone(2, third)
	})
}

// TestTxnCoordinatorCrashBeforeDecision: the coordinator dies after every
// prepare was acknowledged and before it decided. The participants wait
// out the timeout, record abort, drop their intents: no key is visible
// anywhere, the decision cannot become commit, and the coordinator drops
// its own intents when it comes back.
func TestTxnCoordinatorCrashBeforeDecision(t *testing.T) {
	h := startTxnTest(t)
	ctx := ctxT(t, 60*time.Second)
	ops, _ := txnOps(t, h, "upload", 6)
	var id string
	replica.SetTxnHook(h.node(0).svc, func(stage, txn string) error {
		if stage != "prepared" {
			return nil
		}
		id = txn
		h.kill(0)
		return errCrash
	})
	if err := h.node(0).svc.Atomic(ctx, ops, quorum.Strong); !errors.Is(err, errCrash) {
		t.Fatalf("atomic: %v", err)
	}
	start := time.Now()
	h.c.Eventually(20*time.Second, "the participants aborted", func() bool {
		return h.pendingTxns(1) == 0 && h.pendingTxns(2) == 0
	})
	t.Logf("participants resolved the abandoned transaction %v after the crash (timeout %v)", time.Since(start).Round(time.Millisecond), txnTestConfig().Timeout)
	h.c.Eventually(10*time.Second, "the abort in both participants' copies of the decision log", func() bool {
		for i := 1; i < 3; i++ {
			if committed, decided := h.c.Node(i).Get().TxnDecision(id); !decided || committed {
				return false
			}
		}
		return true
	})
	for i := 1; i < 3; i++ {
		if !h.holdsNone(i, ops) {
			t.Fatalf("node %d applied an aborted transaction", i)
		}
		if st := h.node(i).svc.TxnStatus(); st.Aborted != 1 || st.Recovered != 1 {
			t.Fatalf("node %d status %+v", i, st)
		}
	}
	for _, op := range ops {
		if res, err := h.node(1).svc.Get(ctx, op.Key, quorum.Quorum); err != nil || res.Found {
			t.Fatalf("read %s: %+v %v", op.Key, res, err)
		}
	}
	// A late commit cannot flip it.
	if committed, err := h.c.Node(1).Get().DecideTxn(ctx, id, true); err != nil || committed {
		t.Fatalf("a commit after the abort: %v %v", committed, err)
	}
	h.restart(0)
	h.c.Eventually(20*time.Second, "the restarted coordinator dropped its intents", func() bool {
		return h.pendingTxns(0) == 0
	})
	if !h.holdsNone(0, ops) {
		t.Fatal("the restarted coordinator applied an aborted transaction")
	}
}

// TestTxnCoordinatorCrashAfterDecision: the coordinator dies right after
// the commit was recorded, before telling anyone. The participants commit
// by themselves; the coordinator commits its own intents after a restart.
func TestTxnCoordinatorCrashAfterDecision(t *testing.T) {
	h := startTxnTest(t)
	ctx := ctxT(t, 60*time.Second)
	ops, parts := txnOps(t, h, "batch", 6)
	replica.SetTxnHook(h.node(0).svc, func(stage, _ string) error {
		if stage != "decided" {
			return nil
		}
		h.kill(0)
		return errCrash
	})
	if err := h.node(0).svc.Atomic(ctx, ops, quorum.Strong); !errors.Is(err, errCrash) {
		t.Fatalf("atomic: %v", err)
	}
	start := time.Now()
	h.c.Eventually(20*time.Second, "the participants committed by themselves", func() bool {
		return h.holdsAll(1, ops) && h.holdsAll(2, ops) && h.pendingTxns(1) == 0 && h.pendingTxns(2) == 0
	})
	t.Logf("participants committed %d keys in %d partitions %v after the coordinator died", len(ops), len(parts), time.Since(start).Round(time.Millisecond))
	for i := 1; i < 3; i++ {
		if st := h.node(i).svc.TxnStatus(); st.Committed != 1 || st.Recovered != 1 {
			t.Fatalf("node %d status %+v", i, st)
		}
	}
	h.restart(0)
	h.c.Eventually(20*time.Second, "the restarted coordinator committed its own intents", func() bool {
		return h.pendingTxns(0) == 0 && h.holdsAll(0, ops)
	})
}

// TestTxnParticipantRestartKeepsIntents: a participant killed while it
// holds prepared intents finds them on disk after the restart and
// resolves them from the decision log.
func TestTxnParticipantRestartKeepsIntents(t *testing.T) {
	h := startTxnTest(t)
	ctx := ctxT(t, 60*time.Second)
	ops, _ := txnOps(t, h, "docs", 6)
	var id string
	replica.SetTxnHook(h.node(0).svc, func(stage, txn string) error {
		if stage == "prepared" { // STRONG: node 2 holds its intents by now
			id = txn
			h.kill(2)
		}
		return nil
	})
	if err := h.node(0).svc.Atomic(ctx, ops, quorum.Strong); err != nil {
		t.Fatalf("atomic: %v", err)
	}
	st, err := kv.Open(filepath.Join(h.node(2).tn.Dir, "replica.db"), kv.Options{})
	if err != nil {
		t.Fatal(err)
	}
	held, err := st.PendingTxns()
	st.Close()
	if err != nil || len(held) != 1 || held[0].ID != id || held[0].Intents != len(ops) {
		t.Fatalf("intents on the stopped participant: %+v %v", held, err)
	}
	h.c.Eventually(10*time.Second, "the live replicas committed", func() bool {
		return h.holdsAll(0, ops) && h.holdsAll(1, ops)
	})
	h.restart(2)
	h.c.Eventually(20*time.Second, "the restarted participant committed its intents", func() bool {
		return h.pendingTxns(2) == 0 && h.holdsAll(2, ops)
	})
}
