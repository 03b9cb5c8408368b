package replica

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/distrisearch/distrisearch/clock"
	"github.com/distrisearch/distrisearch/replica/quorum"
	"github.com/distrisearch/distrisearch/replica/version"
)

// fakeDecider is a Decider of function fields.
type fakeDecider struct {
	decide   func(ctx context.Context, id string, commit bool) (bool, error)
	decision func(id string) (committed, decided bool)
}

func (f fakeDecider) DecideTxn(ctx context.Context, id string, commit bool) (bool, error) {
	return f.decide(ctx, id, commit)
}
func (f fakeDecider) TxnDecision(id string) (bool, bool) { return f.decision(id) }

// firstWins returns a fakeDecider that records the first decision per id,
// and the log of proposals it received.
func firstWins() (fakeDecider, func() []string) {
	var mu sync.Mutex
	recorded := map[string]bool{}
	var log []string
	return fakeDecider{
			decide: func(_ context.Context, id string, commit bool) (bool, error) {
				mu.Lock()
				defer mu.Unlock()
				log = append(log, id)
				if c, ok := recorded[id]; ok {
					return c, nil
				}
				recorded[id] = commit
				return commit, nil
			},
			decision: func(id string) (bool, bool) {
				mu.Lock()
				defer mu.Unlock()
				c, ok := recorded[id]
				return c, ok
			},
		}, func() []string {
			mu.Lock()
			defer mu.Unlock()
			return append([]string(nil), log...)
		}
}

func txnEnv(key string) version.Envelope {
	c, _ := clock.FromMap(map[string]uint64{"b": 1})
	return version.Envelope{Key: key, Version: version.Version{Clock: c, Stamp: clock.Timestamp{Wall: 1}, Writer: "b"}, Value: []byte("v-" + key)}
}

func txnCall(t *testing.T, mux *http.ServeMux, path string, req any) (int, TxnResponse) {
	t.Helper()
	body, _ := json.Marshal(req)
	rec := post(t, mux, path, body)
	var resp TxnResponse
	if rec.Code == http.StatusOK {
		if err := json.Unmarshal(rec.Body.Bytes(), &resp); err != nil {
			t.Fatalf("%s: %s", path, rec.Body)
		}
	}
	return rec.Code, resp
}

// heldEntries returns n entries for distinct keys in partitions node "a"
// holds, named after prefix.
func heldEntries(l *Layout, prefix string, n int) []WriteEntry {
	var out []WriteEntry
	for i := 0; len(out) < n; i++ {
		k := prefix + "-" + itoa(i)
		if p := l.Table.PartitionOf(k); l.Table.Holds("a", p) {
			out = append(out, WriteEntry{Partition: p, Envelope: txnEnv(k)})
		}
	}
	return out
}

func (s *Service) intentsOf(t *testing.T, id string) int {
	t.Helper()
	_, ins, _, err := s.store.TxnIntents(id)
	if err != nil {
		t.Fatal(err)
	}
	return len(ins)
}

func (s *Service) applied(t *testing.T, en WriteEntry) bool {
	t.Helper()
	e, ok, err := s.store.Get(en.Partition, en.Envelope.Key)
	if err != nil {
		t.Fatal(err)
	}
	return ok && e.Equal(en.Envelope)
}

// TestTxnParticipantHandlers: a prepare stores intents all or nothing and
// applies none; commit applies and removes them, abort removes them, both
// idempotent; a late prepare of a resolved transaction leaves nothing.
func TestTxnParticipantHandlers(t *testing.T) {
	s, mux, l := newUnit(t)
	dec, _ := firstWins()
	s.deps.Decider = dec
	ens := heldEntries(l, "k", 3)
	other, op := keyIn(l, false)
	prep := func(id string, entries ...WriteEntry) TxnResponse {
		t.Helper()
		code, r := txnCall(t, mux, PathTxnPrepare, TxnPrepareRequest{Txn: id, TimeoutMS: 60_000, ViewIndex: 7, Entries: entries})
		if code != http.StatusOK {
			t.Fatalf("prepare %s: status %d", id, code)
		}
		return r
	}

	// All or nothing: one refused entry refuses the request.
	if r := prep("t1", ens[0], WriteEntry{Partition: op, Envelope: txnEnv(other)}); r.Code != CodeNotReplica {
		t.Fatalf("not a replica: %+v", r)
	}
	if r := prep("t1", ens[0], WriteEntry{Partition: (ens[1].Partition + 1) % 8, Envelope: ens[1].Envelope}); r.Code != CodeInvalid {
		t.Fatalf("key outside its partition: %+v", r)
	}
	if s.intentsOf(t, "t1") != 0 {
		t.Fatal("a refused prepare left intents")
	}
	for name, req := range map[string]TxnPrepareRequest{
		"bad id":       {Txn: "a/b", TimeoutMS: 1000, Entries: ens[:1]},
		"no timeout":   {Txn: "t1", Entries: ens[:1]},
		"long timeout": {Txn: "t1", TimeoutMS: 2 * MaxTxnTimeout.Milliseconds(), Entries: ens[:1]},
		"no entries":   {Txn: "t1", TimeoutMS: 1000},
		"too many":     {Txn: "t1", TimeoutMS: 1000, Entries: make([]WriteEntry, 5)},
	} {
		if code, _ := txnCall(t, mux, PathTxnPrepare, req); code != http.StatusBadRequest {
			t.Errorf("%s: status %d", name, code)
		}
	}

	// Prepared: durable, not applied. Two requests add up.
	if r := prep("t1", ens[0]); r.Code != CodeOK {
		t.Fatalf("prepare: %+v", r)
	}
	if r := prep("t1", ens[1]); r.Code != CodeOK {
		t.Fatalf("prepare, second batch: %+v", r)
	}
	if s.applied(t, ens[0]) || s.intentsOf(t, "t1") != 2 {
		t.Fatal("prepare applied its entries or did not hold them")
	}
	if st := s.TxnStatus(); st.Prepared != 1 || st.PendingTxns != 1 || st.PendingIntents != 2 {
		t.Fatalf("status after prepare: %+v", st)
	}
	for range 2 {
		if _, r := txnCall(t, mux, PathTxnCommit, TxnRequest{Txn: "t1"}); r.Code != CodeOK {
			t.Fatalf("commit: %+v", r)
		}
	}
	if !s.applied(t, ens[0]) || !s.applied(t, ens[1]) || s.intentsOf(t, "t1") != 0 {
		t.Fatal("commit did not apply and remove the intents")
	}
	if r := prep("t1", ens[0]); r.Code != CodeDecided || s.intentsOf(t, "t1") != 0 {
		t.Fatalf("a late prepare of a committed transaction: %+v", r)
	}

	// Abort drops the intents; so does a second abort, and aborting an
	// unknown transaction is fine.
	if r := prep("t2", ens[2]); r.Code != CodeOK {
		t.Fatalf("prepare t2: %+v", r)
	}
	for _, id := range []string{"t2", "t2", "never-prepared"} {
		if _, r := txnCall(t, mux, PathTxnAbort, TxnRequest{Txn: id}); r.Code != CodeOK {
			t.Fatalf("abort %s: %+v", id, r)
		}
	}
	if s.applied(t, ens[2]) || s.intentsOf(t, "t2") != 0 {
		t.Fatal("abort applied or kept the intents")
	}
	// A transaction the decision log already decided is not prepared.
	dec.decide(t.Context(), "t3", false)
	if r := prep("t3", ens[2]); r.Code != CodeDecided || s.intentsOf(t, "t3") != 0 {
		t.Fatalf("prepare of a decided transaction: %+v", r)
	}
	if st := s.TxnStatus(); st.Committed != 1 || st.Aborted != 1 || st.PendingTxns != 0 || st.Recovered != 0 {
		t.Fatalf("status: %+v", st)
	}
}

// TestTxnRecovery: a participant resolves held intents from the decision
// log: at once when a decision is recorded, otherwise after the deadline
// by proposing abort — and acts on the recorded outcome, whichever it is;
// without an answer it keeps them.
func TestTxnRecovery(t *testing.T) {
	s, _, l := newUnit(t)
	dec, proposals := firstWins()
	var mu sync.Mutex
	down := true
	s.deps.Decider = fakeDecider{
		decide: func(ctx context.Context, id string, commit bool) (bool, error) {
			mu.Lock()
			defer mu.Unlock()
			if down {
				return false, errors.New("no leader")
			}
			return dec.decide(ctx, id, commit)
		},
		decision: dec.decision,
	}
	t0 := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	now := t0
	s.deps.Now = func() time.Time { return now }
	ens := heldEntries(l, "r", 4)
	prepare := func(id string, en WriteEntry) {
		t.Helper()
		if code, msg := s.prepareLocal("b", id, time.Minute, l, []WriteEntry{en}); code != CodeOK {
			t.Fatalf("prepare %s: %s %s", id, code, msg)
		}
	}
	prepare("quiet", ens[0])       // the coordinator vanished before deciding
	prepare("committed", ens[1])   // the coordinator recorded commit, then vanished
	prepare("late-commit", ens[2]) // the coordinator records commit while the participant waits
	prepare("aborted", ens[3])     // a participant elsewhere recorded abort
	dec.decide(t.Context(), "committed", true)
	dec.decide(t.Context(), "aborted", false)

	ctx := t.Context()
	s.recoverTxns(ctx) // before the deadline: only the decided ones
	if !s.applied(t, ens[1]) || s.applied(t, ens[3]) || s.intentsOf(t, "committed")+s.intentsOf(t, "aborted") != 0 {
		t.Fatal("decided transactions not resolved at once")
	}
	if s.intentsOf(t, "quiet") != 1 || s.intentsOf(t, "late-commit") != 1 || len(proposals()) != 2 {
		t.Fatalf("undecided transactions resolved before their deadline (proposals %v)", proposals())
	}

	now = t0.Add(2 * time.Minute) // past the deadline, and the log is unreachable
	s.recoverTxns(ctx)
	if s.intentsOf(t, "quiet") != 1 || s.intentsOf(t, "late-commit") != 1 {
		t.Fatal("intents dropped without an answer from the decision log")
	}

	mu.Lock()
	down = false
	mu.Unlock()
	dec.decide(ctx, "late-commit", true) // recorded before the participant's abort proposal
	// The local copy lags: the participant does not see it and proposes
	// abort, and gets commit back.
	s.deps.Decider = fakeDecider{decide: s.deps.Decider.DecideTxn, decision: func(string) (bool, bool) { return false, false }}
	s.recoverTxns(ctx)
	if s.applied(t, ens[0]) || !s.applied(t, ens[2]) || s.intentsOf(t, "quiet")+s.intentsOf(t, "late-commit") != 0 {
		t.Fatal("past the deadline: quiet not aborted or late-commit not committed")
	}
	if c, ok := dec.decision("quiet"); !ok || c {
		t.Fatal("the participant did not record abort for the quiet transaction")
	}
	if st := s.TxnStatus(); st.Recovered != 4 || st.Committed != 2 || st.Aborted != 2 || st.PendingTxns != 0 {
		t.Fatalf("status: %+v", st)
	}
}

// TestAtomicRefusesBadInput: nothing is sent for an invalid operation
// list, nor without a decider.
func TestAtomicRefusesBadInput(t *testing.T) {
	s, _, _ := newUnit(t)
	if err := s.Atomic(t.Context(), []Op{PutOp("k", nil)}, quorum.Quorum); !errors.Is(err, ErrNoDecider) {
		t.Fatalf("without a decider: %v", err)
	}
	dec, proposals := firstWins()
	s.deps.Decider = dec
	big := make([]byte, s.cfg.MaxValueBytes+1)
	for name, ops := range map[string][]Op{
		"empty":     nil,
		"duplicate": {PutOp("k", nil), DeleteOp("k")},
		"no key":    {PutOp("", nil)},
		"too big":   {PutOp("k", big)},
		"too many":  make([]Op, s.txn.cfg.MaxOps+1),
	} {
		if err := s.Atomic(t.Context(), ops, quorum.Quorum); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	if len(proposals()) != 0 {
		t.Fatal("a refused operation reached the decision log")
	}
	if pending, _ := s.store.PendingTxns(); len(pending) != 0 {
		t.Fatal("a refused operation left intents")
	}
}
