package replica

import (
	"context"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/distrisearch/distrisearch/cluster"
	"github.com/distrisearch/distrisearch/replica/kv"
)

// The participant's side of two-phase commit: prepare (store intents),
// commit (apply them through applyLocal, like any replicated write, so
// Deps.Applied and the indexes see them), abort (drop them), and the
// recovery loop that resolves intents whose coordinator went quiet.

// TxnStatus counts this node's transactions.
type TxnStatus struct {
	// As a participant: transactions whose intents this node stored,
	// applied (committed) and dropped (aborted); Recovered is how many of
	// those it resolved by itself from the decision log, without the
	// coordinator's message.
	Prepared  uint64 `json:"prepared"`
	Committed uint64 `json:"committed"`
	Aborted   uint64 `json:"aborted"`
	Recovered uint64 `json:"recovered"`
	// Held now: transactions with intents on this node, and their intents.
	PendingTxns    int `json:"pending_txns"`
	PendingIntents int `json:"pending_intents"`
	// As a coordinator: Atomic calls by outcome.
	CoordinatedCommitted uint64 `json:"coordinated_committed"`
	CoordinatedAborted   uint64 `json:"coordinated_aborted"`
	CoordinatedUnknown   uint64 `json:"coordinated_unknown"`
}

// TxnStatus reports the transaction counters and the intents held.
func (s *Service) TxnStatus() TxnStatus {
	txns, intents := s.pendingIntents()
	t := s.txn
	return TxnStatus{
		Prepared: t.prepared.Load(), Committed: t.committed.Load(), Aborted: t.aborted.Load(), Recovered: t.recovered.Load(),
		PendingTxns: txns, PendingIntents: intents,
		CoordinatedCommitted: t.coordCommitted.Load(), CoordinatedAborted: t.coordAborted.Load(), CoordinatedUnknown: t.coordUnknown.Load(),
	}
}

func (s *Service) pendingIntents() (txns, intents int) {
	held, err := s.store.PendingTxns()
	if err != nil {
		s.log.Warn("list transactions", "err", err)
	}
	for _, m := range held {
		intents += m.Intents
	}
	return len(held), intents
}

func (s *Service) handleTxnPrepare(w http.ResponseWriter, r *http.Request) {
	var req TxnPrepareRequest
	if !s.decode(w, r, &req) {
		return
	}
	timeout := time.Duration(req.TimeoutMS) * time.Millisecond
	switch {
	case !cluster.ValidTxnID(req.Txn):
		http.Error(w, "bad transaction id", http.StatusBadRequest)
		return
	case timeout <= 0 || timeout > MaxTxnTimeout:
		http.Error(w, "timeout_ms: 1.."+strconv.FormatInt(MaxTxnTimeout.Milliseconds(), 10), http.StatusBadRequest)
		return
	case len(req.Entries) == 0 || len(req.Entries) > s.cfg.MaxBatch:
		http.Error(w, "entries: 1.."+strconv.Itoa(s.cfg.MaxBatch)+" per request", http.StatusBadRequest)
		return
	}
	l, err := s.layout()
	if err != nil {
		http.Error(w, err.Error(), http.StatusServiceUnavailable)
		return
	}
	code, msg := s.prepareLocal(s.deps.PeerID(r), req.Txn, timeout, l, req.Entries)
	writeJSON(w, TxnResponse{Code: code, Error: msg})
}

// prepareLocal stores entries as intents of transaction id, all or none,
// and answers CodeOK once they are fsynced.
func (s *Service) prepareLocal(coordinator, id string, timeout time.Duration, l *Layout, entries []WriteEntry) (code, msg string) {
	intents := make([]kv.Intent, len(entries))
	for i, en := range entries {
		e := en.Envelope
		switch {
		case e.Validate() != nil || len(e.Value) > s.cfg.MaxValueBytes:
			return CodeInvalid, "invalid envelope for " + strconv.Quote(e.Key)
		case l.Table.PartitionOf(e.Key) != en.Partition:
			return CodeInvalid, "key " + strconv.Quote(e.Key) + " is not in partition " + strconv.Itoa(en.Partition)
		case !l.Table.Holds(s.self, en.Partition):
			return CodeNotReplica, "partition " + strconv.Itoa(en.Partition) + " not held at view " + strconv.FormatUint(l.View.Index, 10)
		}
		intents[i] = kv.Intent{Partition: en.Partition, Envelope: e}
	}
	unlock := s.txn.lock(id)
	defer unlock()
	if s.txn.isDone(id) {
		return CodeDecided, "transaction " + id + " is already resolved here"
	}
	if s.deps.Decider != nil {
		if _, decided := s.deps.Decider.TxnDecision(id); decided {
			return CodeDecided, "transaction " + id + " is already decided"
		}
	}
	now := s.deps.Now()
	created, err := s.store.Prepare(kv.TxnMeta{ID: id, Coordinator: coordinator, Prepared: now, Deadline: now.Add(timeout)}, intents)
	if err != nil {
		s.log.Error("transaction prepare", "txn", id, "err", err)
		return CodeInternal, "store failed"
	}
	if created {
		s.txn.prepared.Add(1)
		s.txn.participant.WithLabelValues("prepared").Inc()
	}
	return CodeOK, ""
}

func (s *Service) handleTxnCommit(w http.ResponseWriter, r *http.Request) { s.handleTxnEnd(w, r, true) }
func (s *Service) handleTxnAbort(w http.ResponseWriter, r *http.Request)  { s.handleTxnEnd(w, r, false) }

// handleTxnEnd commits or aborts a transaction on the coordinator's word:
// the coordinator sends commit only after the decision log recorded it,
// and abort only when it will never propose commit.
func (s *Service) handleTxnEnd(w http.ResponseWriter, r *http.Request, commit bool) {
	var req TxnRequest
	if !s.decode(w, r, &req) {
		return
	}
	if !cluster.ValidTxnID(req.Txn) {
		http.Error(w, "bad transaction id", http.StatusBadRequest)
		return
	}
	if err := s.resolveLocal(req.Txn, commit, false); err != nil {
		s.log.Error("transaction resolve", "txn", req.Txn, "commit", commit, "err", err)
		writeJSON(w, TxnResponse{Code: CodeInternal, Error: "store failed"})
		return
	}
	writeJSON(w, TxnResponse{Code: CodeOK})
}

// resolveLocal commits (applies, then removes) or aborts (removes) the
// intents of transaction id held here. Resolving a transaction without
// intents here does nothing; resolving twice is harmless (applying is
// idempotent). recovered marks a resolution by the recovery loop.
func (s *Service) resolveLocal(id string, commit, recovered bool) error {
	unlock := s.txn.lock(id)
	defer unlock()
	meta, intents, ok, err := s.store.TxnIntents(id)
	if err != nil {
		return err
	}
	if ok && commit {
		if err := s.applyIntents(intents); err != nil {
			return err // the intents stay; the next attempt applies them again
		}
	}
	if ok {
		if err := s.store.RemoveTxn(id); err != nil {
			return err
		}
	}
	s.txn.markDone(id, s.deps.Now())
	if !ok {
		return nil
	}
	outcome := "aborted"
	if commit {
		outcome = "committed"
		s.txn.committed.Add(1)
	} else {
		s.txn.aborted.Add(1)
	}
	s.txn.participant.WithLabelValues(outcome).Inc()
	if recovered {
		s.txn.recovered.Add(1)
		s.log.Info("transaction resolved from the decision log", "txn", id, "outcome", outcome,
			"coordinator", meta.Coordinator, "intents", len(intents), "prepared", meta.Prepared)
	}
	return nil
}

// applyIntents applies intents through applyLocal, several at a time so
// that their fsyncs share bbolt batches.
func (s *Service) applyIntents(intents []kv.Intent) error {
	const workers = 8
	work := make(chan kv.Intent)
	var mu sync.Mutex
	var first error
	var wg sync.WaitGroup
	for range min(workers, len(intents)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for in := range work {
				if _, err := s.applyLocal(in.Partition, in.Envelope); err != nil {
					mu.Lock()
					if first == nil {
						first = err
					}
					mu.Unlock()
				}
			}
		}()
	}
	for _, in := range intents {
		work <- in
	}
	close(work)
	wg.Wait()
	return first
}

// recoverTxns resolves the transactions this node holds intents for whose
// outcome it can learn: decided in its copy of the decision log, or past
// their deadline — then it proposes abort, and acts on the recorded
// outcome, which is commit if the coordinator recorded commit first.
// Intents survive restarts, so this also finishes what a crash
// interrupted.
func (s *Service) recoverTxns(ctx context.Context) {
	now := s.deps.Now()
	s.txn.forget(now.Add(-2 * s.txn.cfg.Timeout))
	d := s.deps.Decider
	if d == nil {
		return
	}
	held, err := s.store.PendingTxns()
	if err != nil {
		s.log.Warn("list transactions", "err", err)
		return
	}
	for _, m := range held {
		committed, decided := d.TxnDecision(m.ID)
		switch recoveryAction(now, m.Deadline, decided, committed) {
		case recoverWait:
			continue
		case recoverPropose:
			if now.Sub(m.Prepared) > cluster.TxnRetention {
				s.log.Warn("transaction held longer than decisions are kept; its outcome may be forgotten, abort presumed",
					"txn", m.ID, "prepared", m.Prepared, "coordinator", m.Coordinator)
			}
			cctx, cancel := context.WithTimeout(ctx, s.cfg.RequestTimeout)
			committed, err = d.DecideTxn(cctx, m.ID, false)
			cancel()
			if err != nil {
				if ctx.Err() == nil {
					s.log.Debug("transaction: ask the decision log", "txn", m.ID, "err", err)
				}
				return // no leader now, most likely: the next round tries again
			}
		}
		if err := s.resolveLocal(m.ID, committed, true); err != nil {
			s.log.Warn("transaction: resolve intents", "txn", m.ID, "commit", committed, "err", err)
		}
	}
}
