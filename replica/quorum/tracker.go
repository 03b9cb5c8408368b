package quorum

import (
	"errors"
	"fmt"
	"slices"
)

// Outcome is the state of an operation waiting for replicas.
type Outcome int

// The outcomes.
const (
	Pending   Outcome = iota // not decided yet
	Succeeded                // enough replicas acknowledged
	Failed                   // too many failed: the target can no longer be reached
)

// String returns the outcome's name.
func (o Outcome) String() string {
	switch o {
	case Pending:
		return "pending"
	case Succeeded:
		return "succeeded"
	case Failed:
		return "failed"
	}
	return fmt.Sprintf("Outcome(%d)", int(o))
}

// ErrUnknownReplica is returned for an answer from a replica the tracker
// was not told about.
var ErrUnknownReplica = errors.New("quorum: answer from a replica outside the set")

type answer uint8

const (
	waiting answer = iota
	acked
	failed
)

// Tracker counts the answers of a replica set to one operation and decides
// its outcome: Succeeded once need replicas acknowledged, Failed once so
// many failed that need can no longer be reached, Pending otherwise. Each
// replica counts once; an acknowledgement after a failure from the same
// replica replaces it (the write did land there), a failure after an
// acknowledgement is ignored. The first decision is final. A Tracker is
// not safe for concurrent use: one goroutine collects the answers.
type Tracker struct {
	need     int
	replicas []string
	answers  []answer
	acks     int
	fails    int
	outcome  Outcome
}

// NewTracker returns a tracker waiting for need acknowledgements from the
// given replicas (distinct, non-empty ids; 1 ≤ need ≤ len(replicas)).
func NewTracker(need int, replicas []string) (*Tracker, error) {
	if len(replicas) == 0 {
		return nil, errors.New("quorum: tracker needs at least one replica")
	}
	if need < 1 || need > len(replicas) {
		return nil, fmt.Errorf("quorum: need %d outside 1..%d", need, len(replicas))
	}
	for i, r := range replicas {
		if r == "" {
			return nil, errors.New("quorum: empty replica id")
		}
		if slices.Contains(replicas[:i], r) {
			return nil, fmt.Errorf("quorum: duplicate replica %q", r)
		}
	}
	return &Tracker{need: need, replicas: slices.Clone(replicas), answers: make([]answer, len(replicas))}, nil
}

// ForWrite returns a tracker for a write at level l to replicas.
func ForWrite(l Level, replicas []string) (*Tracker, error) {
	return NewTracker(W(len(replicas), l), replicas)
}

// ForRead returns a tracker for a read at level l from replicas.
func ForRead(l Level, replicas []string) (*Tracker, error) {
	return NewTracker(R(len(replicas), l), replicas)
}

// Ack records that replica acknowledged and returns the outcome.
func (t *Tracker) Ack(replica string) (Outcome, error) {
	i := slices.Index(t.replicas, replica)
	if i < 0 {
		return t.outcome, fmt.Errorf("%w: %q", ErrUnknownReplica, replica)
	}
	switch t.answers[i] {
	case acked:
		return t.outcome, nil
	case failed:
		t.fails--
	}
	t.answers[i] = acked
	t.acks++
	return t.decide(), nil
}

// Fail records that replica failed or timed out and returns the outcome.
func (t *Tracker) Fail(replica string) (Outcome, error) {
	i := slices.Index(t.replicas, replica)
	if i < 0 {
		return t.outcome, fmt.Errorf("%w: %q", ErrUnknownReplica, replica)
	}
	if t.answers[i] != waiting {
		return t.outcome, nil
	}
	t.answers[i] = failed
	t.fails++
	return t.decide(), nil
}

func (t *Tracker) decide() Outcome {
	if t.outcome != Pending {
		return t.outcome
	}
	switch {
	case t.acks >= t.need:
		t.outcome = Succeeded
	case len(t.replicas)-t.fails < t.need:
		t.outcome = Failed
	}
	return t.outcome
}

// Outcome returns the decision so far.
func (t *Tracker) Outcome() Outcome { return t.outcome }

// Need returns the number of acknowledgements required.
func (t *Tracker) Need() int { return t.need }

// Acks returns the number of replicas that acknowledged, late ones included.
func (t *Tracker) Acks() int { return t.acks }

// Failures returns the number of replicas that failed and never acknowledged.
func (t *Tracker) Failures() int { return t.fails }

// Acked returns the replicas that acknowledged, in replica-set order.
func (t *Tracker) Acked() []string { return t.with(acked) }

// FailedReplicas returns the replicas that failed and never acknowledged:
// candidates for hinted handoff or read repair.
func (t *Tracker) FailedReplicas() []string { return t.with(failed) }

// Outstanding returns the replicas that have not answered yet.
func (t *Tracker) Outstanding() []string { return t.with(waiting) }

func (t *Tracker) with(a answer) []string {
	var out []string
	for i, r := range t.replicas {
		if t.answers[i] == a {
			out = append(out, r)
		}
	}
	return out
}
