package replica

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/distrisearch/distrisearch/replica/quorum"
	"github.com/distrisearch/distrisearch/replica/version"
)

// Two-phase commit of writes to several partitions (see DESIGN.md,
// "Transactions (2PC)"). This file is the coordinator; txn_participant.go
// the participants; txn_plan.go the decisions that need no I/O.

// Errors of atomic operations.
var (
	// ErrNoDecider: the service has no Deps.Decider to record decisions.
	ErrNoDecider = errors.New("replica: atomic operations need a transaction decider (Deps.Decider)")
	// ErrTxnAborted: the transaction aborted; none of its writes is applied
	// anywhere, and every intent it left is dropped. Retrying is safe.
	ErrTxnAborted = errors.New("replica: transaction aborted")
	// ErrTxnOutcomeUnknown: the coordinator could not learn whether its
	// commit was recorded. The participants resolve the transaction by
	// themselves — all of it or none of it.
	ErrTxnOutcomeUnknown = errors.New("replica: transaction outcome unknown")
)

// Bounds of TxnConfig.Timeout; MaxTxnTimeout also bounds the timeout a
// prepare may ask for.
const (
	MinTxnTimeout = 10 * time.Millisecond
	MaxTxnTimeout = time.Hour
)

// TxnConfig tunes transactions.
type TxnConfig struct {
	// Timeout is how long a participant holds prepared intents without an
	// outcome before it asks the decision log itself, proposing abort. The
	// coordinator stops waiting for prepares after half of it, so that it
	// normally decides first.
	Timeout time.Duration
	// RecoveryInterval is how often a participant looks up the outcomes of
	// the transactions it holds intents for.
	RecoveryInterval time.Duration
	// MaxOps bounds the writes of one transaction.
	MaxOps int
}

// DefaultTxnConfig returns the production defaults.
func DefaultTxnConfig() TxnConfig {
	return TxnConfig{Timeout: 30 * time.Second, RecoveryInterval: time.Second, MaxOps: 4096}
}

// withDefaults fills zero fields from DefaultTxnConfig.
func (c TxnConfig) withDefaults() TxnConfig {
	d := DefaultTxnConfig()
	if c.Timeout == 0 {
		c.Timeout = d.Timeout
	}
	if c.RecoveryInterval == 0 {
		c.RecoveryInterval = d.RecoveryInterval
	}
	if c.MaxOps == 0 {
		c.MaxOps = d.MaxOps
	}
	return c
}

// Validate reports whether c (after defaults) is usable.
func (c TxnConfig) Validate() error {
	c = c.withDefaults()
	switch {
	case c.Timeout < MinTxnTimeout || c.Timeout > MaxTxnTimeout:
		return fmt.Errorf("replica config: transaction timeout %v outside %v..%v", c.Timeout, MinTxnTimeout, MaxTxnTimeout)
	case c.RecoveryInterval < 0:
		return errors.New("replica config: transaction recovery interval must be positive")
	case c.MaxOps < 0:
		return errors.New("replica config: transaction max ops must be positive")
	}
	return nil
}

// Op is one write of an atomic operation: Value stored under Key, or a
// tombstone for Key when Delete is set.
type Op struct {
	Key    string
	Value  []byte
	Delete bool
}

// PutOp returns an Op storing value under key.
func PutOp(key string, value []byte) Op { return Op{Key: key, Value: value} }

// DeleteOp returns an Op deleting key.
func DeleteOp(key string) Op { return Op{Key: key, Delete: true} }

// txnState is the service's transaction machinery.
type txnState struct {
	cfg TxnConfig

	locksMu sync.Mutex                   // guards locks
	locks   map[string]*txnLock          // per transaction: one resolution at a time
	doneMu  sync.Mutex                   // guards done
	done    map[string]time.Time         // transactions resolved here recently → when
	hook    func(stage, id string) error // tests: runs between the coordinator's phases

	// Participant counters (this node's intents) and coordinator outcomes.
	prepared, committed, aborted, recovered    atomic.Uint64
	coordCommitted, coordAborted, coordUnknown atomic.Uint64

	participant *prometheus.CounterVec // outcome: prepared, committed, aborted
	coordinated *prometheus.CounterVec // outcome: committed, aborted, unknown
}

type txnLock struct {
	mu   sync.Mutex
	refs int // guarded by txnState.locksMu
}

func newTxnState(cfg TxnConfig, reg prometheus.Registerer, s *Service) (*txnState, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	t := &txnState{cfg: cfg.withDefaults(), locks: map[string]*txnLock{}, done: map[string]time.Time{},
		participant: prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: "distrisearch", Subsystem: "replica", Name: "txn_participant_total",
			Help: "Transactions this node took part in, by step: prepared (intents stored), committed (applied), aborted (dropped)."}, []string{"outcome"}),
		coordinated: prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: "distrisearch", Subsystem: "replica", Name: "txn_coordinated_total",
			Help: "Atomic operations this node coordinated, by outcome: committed, aborted, unknown."}, []string{"outcome"}),
	}
	if reg == nil {
		return t, nil
	}
	pending := prometheus.NewGaugeFunc(prometheus.GaugeOpts{Namespace: "distrisearch", Subsystem: "replica", Name: "txn_intents_pending",
		Help: "Prepared writes held on this node for transactions without a known outcome."}, func() float64 {
		_, n := s.pendingIntents()
		return float64(n)
	})
	for _, c := range []prometheus.Collector{t.participant, t.coordinated, pending} {
		if err := reg.Register(c); err != nil {
			return nil, err
		}
	}
	return t, nil
}

// lock serialises the resolution of transaction id on this node.
func (t *txnState) lock(id string) (unlock func()) {
	t.locksMu.Lock()
	l := t.locks[id]
	if l == nil {
		l = &txnLock{}
		t.locks[id] = l
	}
	l.refs++
	t.locksMu.Unlock()
	l.mu.Lock()
	return func() {
		l.mu.Unlock()
		t.locksMu.Lock()
		if l.refs--; l.refs == 0 {
			delete(t.locks, id)
		}
		t.locksMu.Unlock()
	}
}

// markDone remembers that id was resolved here, so that a late prepare of
// it (a retry that arrives after the commit or abort) leaves no intents.
func (t *txnState) markDone(id string, now time.Time) {
	t.doneMu.Lock()
	t.done[id] = now
	t.doneMu.Unlock()
}

func (t *txnState) isDone(id string) bool {
	t.doneMu.Lock()
	defer t.doneMu.Unlock()
	_, ok := t.done[id]
	return ok
}

// forget drops what markDone remembered before cutoff.
func (t *txnState) forget(cutoff time.Time) {
	t.doneMu.Lock()
	defer t.doneMu.Unlock()
	for id, at := range t.done {
		if at.Before(cutoff) {
			delete(t.done, id)
		}
	}
}

func (t *txnState) coordOutcome(outcome string) {
	switch outcome {
	case "committed":
		t.coordCommitted.Add(1)
	case "aborted":
		t.coordAborted.Add(1)
	default:
		t.coordUnknown.Add(1)
	}
	t.coordinated.WithLabelValues(outcome).Inc()
}

// newTxnID returns a random transaction id (32 hex digits).
func newTxnID() string {
	var b [16]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails
	return hex.EncodeToString(b[:])
}

// decision is what the coordinator tells the participants after the
// decision phase.
type decision int

const (
	decisionNone   decision = iota // outcome unknown (or the coordinator "crashed"): send nothing
	decisionCommit                 // recorded commit: commit, hints for those that did not prepare
	decisionAbort                  // abort: drop the intents
)

// Atomic applies ops (puts and deletes of distinct keys, in any
// partitions) all or nothing, by two-phase commit:
//
//  1. prepare: every replica of every touched partition receives its
//     entries as intents (in parallel; a replica not ALIVE receives
//     nothing) and fsyncs them before it answers;
//  2. once W replicas of every partition (W for level) hold them, the
//     commit decision is recorded through Raft (Deps.Decider);
//  3. the participants apply their intents, told by this node in the
//     background; replicas that did not prepare get hints.
//
// It returns nil only when the commit is recorded and W replicas of every
// partition hold the intents durably: the writes then reach every replica
// even if this node crashes now, since a participant that hears nothing
// looks the outcome up itself. Errors: ErrTxnAborted (wrapping the cause,
// e.g. ErrQuorumUnavailable or ctx's error) when none of ops will be
// applied anywhere; ErrTxnOutcomeUnknown when the decision could not be
// recorded or read back (all or none of ops will be applied; the
// participants decide after TxnConfig.Timeout); ErrNoDecider, ErrClosed,
// or an error about ops when nothing was sent. Concurrent writes of the same
// keys are resolved by their versions as usual: a transaction is atomic,
// not isolated.
func (s *Service) Atomic(ctx context.Context, ops []Op, level quorum.Level) error {
	if s.closed.Load() {
		return ErrClosed
	}
	if s.deps.Decider == nil {
		return ErrNoDecider
	}
	if err := s.checkOps(ops); err != nil {
		return err
	}
	l, err := s.layout()
	if err != nil {
		return err
	}
	entries := make([]WriteEntry, len(ops))
	for i, op := range ops {
		p := l.Table.PartitionOf(op.Key)
		e, err := s.newEnvelope(l, p, op.Key, op.Value, op.Delete)
		if err != nil {
			return err
		}
		entries[i] = WriteEntry{Partition: p, Envelope: e}
	}
	plan := planTxn(entries, l.Table.ReplicaSet)
	tally, err := newPrepareTally(plan, level)
	if err != nil {
		return err
	}
	id := newTxnID()
	return s.runTxn(ctx, l, id, plan, tally)
}

// checkOps validates ops before anything is sent.
func (s *Service) checkOps(ops []Op) error {
	if len(ops) == 0 || len(ops) > s.txn.cfg.MaxOps {
		return fmt.Errorf("replica: a transaction has 1 to %d operations (%d given)", s.txn.cfg.MaxOps, len(ops))
	}
	seen := make(map[string]bool, len(ops))
	for _, op := range ops {
		if op.Key == "" || len(op.Key) > version.MaxKeyLen {
			return version.ErrBadKey
		}
		if seen[op.Key] {
			return fmt.Errorf("replica: key %q appears twice in one transaction", op.Key)
		}
		seen[op.Key] = true
		if len(op.Value) > s.cfg.MaxValueBytes {
			return fmt.Errorf("replica: value of %d bytes for %q exceeds %d", len(op.Value), op.Key, s.cfg.MaxValueBytes)
		}
	}
	return nil
}

// newEnvelope builds the envelope of a new write of key in partition p, as
// write does: over this node's copy when it holds the partition.
func (s *Service) newEnvelope(l *Layout, p int, key string, value []byte, tombstone bool) (version.Envelope, error) {
	var base version.Version
	if l.Table.Holds(s.self, p) {
		if cur, ok, err := s.store.Get(p, key); err == nil && ok {
			base = cur.Version
		}
	}
	v, err := s.nextVersion(base)
	if err != nil {
		return version.Envelope{}, err
	}
	e := version.Envelope{Key: key, Version: v, Value: value}
	if tombstone {
		e.Value, e.Tombstone, e.DeletedAt = nil, true, v.Stamp.Time()
	}
	return e, e.Validate()
}

type prepAnswer struct {
	replica string
	err     error
}

// runTxn runs the phases of transaction id.
func (s *Service) runTxn(ctx context.Context, l *Layout, id string, plan txnPlan, tally *prepareTally) error {
	cfg := s.txn.cfg
	answers := make(chan prepAnswer, len(plan.replicas))
	decided := make(chan struct{})
	var outcome decision // written before decided is closed
	defer close(decided)
	for _, r := range plan.replicas {
		s.background(func(bctx context.Context) {
			err := s.prepareOn(bctx, l, r, id, plan.byReplica[r])
			answers <- prepAnswer{replica: r, err: err}
			select {
			case <-decided:
			case <-s.ctx.Done():
				return
			}
			s.finishOn(l, r, id, outcome, err, plan.byReplica[r])
		})
	}

	// Phase 1: wait for W prepares per partition, at most half the
	// participants' timeout, so that this node normally decides first.
	phase := time.NewTimer(cfg.Timeout / 2)
	defer phase.Stop()
	state := quorum.Pending
	for state == quorum.Pending {
		select {
		case a := <-answers:
			if a.err != nil {
				s.log.Debug("transaction prepare failed", "txn", id, "replica", a.replica, "err", a.err)
				state = tally.fail(a.replica)
			} else {
				state = tally.ack(a.replica)
			}
		case <-phase.C:
			outcome = decisionAbort
			s.txn.coordOutcome("aborted")
			return fmt.Errorf("%w: %w: txn %s: %s after %v", ErrTxnAborted, ErrQuorumUnavailable, id, tally.shortfall(), cfg.Timeout/2)
		case <-ctx.Done():
			outcome = decisionAbort
			s.txn.coordOutcome("aborted")
			return fmt.Errorf("%w: txn %s: %s: %w", ErrTxnAborted, id, tally.shortfall(), ctx.Err())
		case <-s.ctx.Done():
			// Nothing more is sent; no commit was proposed, so the
			// participants abort after their timeout.
			s.txn.coordOutcome("aborted")
			return fmt.Errorf("%w: txn %s: %w", ErrTxnAborted, id, ErrClosed)
		}
	}
	if state == quorum.Failed {
		// Presumed abort: nobody proposes commit for id, so a participant
		// that misses the abort learns it from the decision log.
		outcome = decisionAbort
		s.txn.coordOutcome("aborted")
		return fmt.Errorf("%w: %w: txn %s: %s", ErrTxnAborted, ErrQuorumUnavailable, id, tally.shortfall())
	}
	if err := s.txnHook("prepared", id); err != nil {
		return err
	}

	// Phase 2: record the decision. A participant that timed out may have
	// recorded abort first; the log returns whichever came first.
	dctx, cancel := context.WithTimeout(ctx, cfg.Timeout)
	committed, err := s.deps.Decider.DecideTxn(dctx, id, true)
	cancel()
	if err != nil {
		s.txn.coordOutcome("unknown")
		return fmt.Errorf("%w: txn %s: %w", ErrTxnOutcomeUnknown, id, err)
	}
	if !committed {
		outcome = decisionAbort
		s.txn.coordOutcome("aborted")
		return fmt.Errorf("%w: txn %s: a participant recorded abort first (the prepare phase outlasted its timeout)", ErrTxnAborted, id)
	}
	if err := s.txnHook("decided", id); err != nil {
		return err
	}
	outcome = decisionCommit
	s.txn.coordOutcome("committed")
	return nil
}

func (s *Service) txnHook(stage, id string) error {
	if s.txn.hook == nil {
		return nil
	}
	return s.txn.hook(stage, id)
}

// prepareOn stores entries as intents of id on replica r, in batches; nil
// only when r holds all of them durably.
func (s *Service) prepareOn(ctx context.Context, l *Layout, r, id string, entries []WriteEntry) error {
	if r == s.self {
		code, msg := s.prepareLocal(s.self, id, s.txn.cfg.Timeout, l, entries)
		return codeErr(r, code, msg)
	}
	if !l.Alive(r) {
		return errNotAlive
	}
	for _, b := range s.batches(entries) {
		var resp TxnResponse
		req := TxnPrepareRequest{Txn: id, TimeoutMS: s.txn.cfg.Timeout.Milliseconds(), ViewIndex: l.View.Index, Entries: b}
		if err := s.call(ctx, l.Members[r], http.MethodPost, PathTxnPrepare, req, &resp); err != nil {
			return err
		}
		if err := codeErr(r, resp.Code, resp.Error); err != nil {
			return err
		}
	}
	return nil
}

func codeErr(r, code, msg string) error {
	if code == CodeOK {
		return nil
	}
	return fmt.Errorf("replica %s: %s: %s", r, code, msg)
}

// finishOn carries the outcome to replica r, whose prepare answered
// prepErr. After a commit, r commits its intents (retried until
// BackgroundTimeout), or, if it did not prepare, gets hints of the
// committed writes (it may still hold intents of a prepare whose answer
// was lost; it resolves them itself). After an abort r drops its intents
// (one attempt). Whatever is not delivered r's own recovery resolves.
func (s *Service) finishOn(l *Layout, r, id string, d decision, prepErr error, entries []WriteEntry) {
	if d == decisionNone {
		return
	}
	commit := d == decisionCommit
	if r == s.self {
		if commit && prepErr != nil {
			for _, e := range entries { // this node's own copy: no hint to itself
				if _, err := s.applyLocal(e.Partition, e.Envelope); err != nil {
					s.log.Warn("transaction: apply own write", "txn", id, "key", e.Envelope.Key, "err", err)
				}
			}
		}
		if err := s.resolveLocal(id, commit, false); err != nil {
			s.log.Warn("transaction: resolve own intents", "txn", id, "commit", commit, "err", err)
		}
		return
	}
	switch {
	case commit && prepErr != nil:
		for _, e := range entries {
			s.hint(r, e.Partition, e.Envelope)
		}
		return
	case errors.Is(prepErr, errNotAlive):
		return // asked nothing, holds nothing
	}
	path := PathTxnAbort
	if commit {
		path = PathTxnCommit
	}
	ctx, cancel := context.WithTimeout(s.ctx, s.cfg.BackgroundTimeout)
	defer cancel()
	for attempt := 0; ; attempt++ {
		var resp TxnResponse
		err := s.call(ctx, l.Members[r], http.MethodPost, path, TxnRequest{Txn: id}, &resp)
		if err == nil {
			err = codeErr(r, resp.Code, resp.Error)
		}
		if err == nil || !commit {
			return // an abort is best effort: the participant presumes it
		}
		s.log.Debug("transaction commit not delivered", "txn", id, "replica", r, "attempt", attempt, "err", err)
		t := time.NewTimer(min(time.Duration(attempt+1)*100*time.Millisecond, time.Second))
		select {
		case <-ctx.Done():
			t.Stop()
			return // r commits by itself once it sees the decision
		case <-t.C:
		}
	}
}
