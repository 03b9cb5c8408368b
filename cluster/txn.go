package cluster

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"sync"
	"time"

	"github.com/distrisearch/distrisearch"
)

// The transaction decision log: the outcome of each two-phase commit of
// the data plane (package replica), recorded through Raft so that the
// coordinator and every participant learn one outcome even when the
// coordinator crashes between the phases. The first decision recorded for
// an id wins; every later proposal for it, commit or abort, gets that
// decision back. A participant that waited too long proposes abort, the
// coordinator proposes commit: whichever Raft orders first is the outcome.

// TxnRetention is how long a decision is kept after it was recorded. The
// state machine forgets older decisions on later commands, by the leader
// time those carry, so every replica forgets the same ones. A participant
// that holds intents for longer (a node down for more than a day) can no
// longer learn its outcome: like the tombstone grace of the data plane, the
// retention must exceed the longest outage recovery is meant to cover.
const TxnRetention = 24 * time.Hour

// MaxTxnIDBytes bounds a transaction id: 1 to 64 bytes of A-Z a-z 0-9 -.
const MaxTxnIDBytes = 64

// ErrBadTxnID is returned for an invalid transaction id.
var ErrBadTxnID = &distrisearch.Error{Kind: distrisearch.KindInvalid, Code: "bad_txn_id",
	Message: "a transaction id has 1 to 64 characters: letters, digits and -"}

func init() {
	// Hooks into the tables of errors.go and rpc.go: a decision proposed on
	// a follower is forwarded to the leader, and its errors come back as
	// the same sentinels.
	errByCode[ErrBadTxnID.Code] = ErrBadTxnID
	forwardable[opTxnDecide] = true
}

// ValidTxnID reports whether id is a valid transaction id.
func ValidTxnID(id string) bool {
	if id == "" || len(id) > MaxTxnIDBytes {
		return false
	}
	for i := 0; i < len(id); i++ {
		switch c := id[i]; {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9', c == '-':
		default:
			return false
		}
	}
	return true
}

// TxnDecision is a recorded transaction outcome.
type TxnDecision struct {
	Committed bool      `json:"committed"`
	At        time.Time `json:"at"`    // the leader time of the entry that recorded it
	Index     uint64    `json:"index"` // that entry's Raft index
}

// txnDecideCmd proposes an outcome for transaction ID.
type txnDecideCmd struct {
	ID     string `json:"id"`
	Commit bool   `json:"commit"`
}

// DecideTxn proposes an outcome for transaction id (commit or abort) and
// returns the recorded one: the first decision Raft committed for id,
// which is this proposal's only if none came before. It may be called on
// any member (followers forward it to the leader) and any number of times:
// a repeated proposal changes nothing, so it is retried on an unknown
// outcome until ctx ends. Errors: ErrBadTxnID, or the cluster's
// availability errors (ErrNoLeader, ErrUnknownOutcome, ErrClosed), after
// which the outcome is whatever a later call returns.
func (n *Node) DecideTxn(ctx context.Context, id string, commit bool) (committed bool, err error) {
	if !ValidTxnID(id) {
		return false, ErrBadTxnID
	}
	c, err := newCommand(opTxnDecide, txnDecideCmd{ID: id, Commit: commit})
	if err != nil {
		return false, err
	}
	for {
		var r result
		err = n.leaderCall(ctx, func() error {
			var e error
			r, e = n.applyCommand(c)
			return e
		}, http.MethodPost, pathApply, c, &r, true)
		if err == nil {
			err = r.err()
		}
		if err == nil && r.Txn == nil {
			err = fmt.Errorf("%w: the answer carries no decision", ErrUnknownOutcome)
		}
		if err == nil {
			return r.Txn.Committed, nil
		}
		if !errors.Is(err, ErrUnknownOutcome) || !sleepCtx(ctx, n.cfg.RetryInterval) {
			return false, err
		}
	}
}

// TxnDecision returns the decision for transaction id in this node's Raft
// copy of the metadata (decided is false when there is none yet, or when
// this node has no Raft seat and so no copy). A decision found here is
// final; an absent one may exist on the leader: DecideTxn is the
// authoritative way to learn an outcome.
func (n *Node) TxnDecision(id string) (committed, decided bool) {
	v, _ := n.fsm.View()
	return v.TxnDecision(id)
}

// TxnDecision returns the decision recorded for transaction id at or before
// the view's index. Views a member follows from the coordinators (members
// without a Raft seat) carry no decisions, and a decision older than
// TxnRetention disappears from every view once the state machine forgot
// it.
func (v *View) TxnDecision(id string) (committed, decided bool) {
	if v == nil || v.txns == nil {
		return false, false
	}
	d, ok := v.txns.get(id)
	if !ok || d.Index > v.Index {
		return false, false
	}
	return d.Committed, true
}

// applyTxnDecide records p's outcome unless id already has one, and
// returns the recorded decision.
func (s *state) applyTxnDecide(index uint64, p txnDecideCmd) result {
	if !ValidTxnID(p.ID) {
		return failed(ErrBadTxnID, "")
	}
	if s.Txns == nil {
		s.Txns = &txnTable{}
	}
	d, ok := s.Txns.get(p.ID)
	if !ok {
		d = TxnDecision{Committed: p.Commit, At: s.Now, Index: index}
		s.Txns.add(p.ID, d)
	}
	return result{Txn: &d}
}

// pruneTxns forgets decisions recorded more than TxnRetention before the
// lease clock.
func (s *state) pruneTxns() {
	if s.Txns != nil {
		s.Txns.prune(s.Now.Add(-TxnRetention))
	}
}

// txnTable holds the decisions. The state changes it under the FSM's lock;
// views share it (instead of copying it at every command) and read it
// under its own lock, seeing only entries at or before their index.
type txnTable struct {
	mu sync.RWMutex // guards m and order
	m  map[string]TxnDecision
	// order lists the ids by recording index, oldest first: since the lease
	// clock never goes back, also by time, so pruning pops from the front.
	// It is derived from m (rebuilt after a restore).
	order []string
	head  int // order[:head] are gone
}

func (t *txnTable) get(id string) (TxnDecision, bool) {
	t.mu.RLock()
	defer t.mu.RUnlock()
	d, ok := t.m[id]
	return d, ok
}

func (t *txnTable) add(id string, d TxnDecision) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.m == nil {
		t.m = map[string]TxnDecision{}
	}
	t.m[id] = d
	t.order = append(t.order, id)
}

// prune removes the decisions recorded before cutoff.
func (t *txnTable) prune(cutoff time.Time) {
	t.mu.Lock()
	defer t.mu.Unlock()
	for t.head < len(t.order) {
		id := t.order[t.head]
		if d, ok := t.m[id]; ok && !d.At.Before(cutoff) {
			break
		}
		delete(t.m, id)
		t.order[t.head] = ""
		t.head++
	}
	if t.head > 64 && t.head*2 > len(t.order) {
		t.order = slices.Clone(t.order[t.head:])
		t.head = 0
	}
}

// len returns the number of decisions kept.
func (t *txnTable) len() int {
	if t == nil {
		return 0
	}
	t.mu.RLock()
	defer t.mu.RUnlock()
	return len(t.m)
}

// MarshalJSON writes the decisions as an object keyed by id (snapshots).
func (t *txnTable) MarshalJSON() ([]byte, error) {
	t.mu.RLock()
	defer t.mu.RUnlock()
	if t.m == nil {
		return []byte("{}"), nil
	}
	return json.Marshal(t.m)
}

// UnmarshalJSON reads MarshalJSON's output and rebuilds the order.
func (t *txnTable) UnmarshalJSON(b []byte) error {
	var m map[string]TxnDecision
	if err := json.Unmarshal(b, &m); err != nil {
		return err
	}
	order := make([]string, 0, len(m))
	for id := range m {
		order = append(order, id)
	}
	slices.SortFunc(order, func(a, b string) int {
		if c := cmp.Compare(m[a].Index, m[b].Index); c != 0 {
			return c
		}
		return cmpStr(a, b)
	})
	t.mu.Lock()
	defer t.mu.Unlock()
	t.m, t.order, t.head = m, order, 0
	return nil
}
