package replica

import (
	"cmp"
	"fmt"
	"slices"
	"time"

	"github.com/distrisearch/distrisearch/replica/quorum"
)

// The decisions of two-phase commit that need no I/O: which replica
// prepares which entries, when the prepare phase has succeeded or failed,
// and what a participant does with the intents it holds.

// txnPlan says which replica prepares which entries of a transaction.
type txnPlan struct {
	parts     []int                   // touched partitions, increasing
	sets      map[int][]string        // partition → replica set
	replicas  []string                // every replica of a touched partition, sorted
	byReplica map[string][]WriteEntry // replica → entries of its partitions, by partition and key
}

// planTxn groups entries by partition and sends each replica the entries
// of every touched partition it holds.
func planTxn(entries []WriteEntry, replicaSet func(p int) []string) txnPlan {
	sorted := slices.Clone(entries)
	slices.SortFunc(sorted, func(a, b WriteEntry) int {
		if c := cmp.Compare(a.Partition, b.Partition); c != 0 {
			return c
		}
		return cmp.Compare(a.Envelope.Key, b.Envelope.Key)
	})
	pl := txnPlan{sets: map[int][]string{}, byReplica: map[string][]WriteEntry{}}
	for _, e := range sorted {
		set, seen := pl.sets[e.Partition]
		if !seen {
			set = replicaSet(e.Partition)
			pl.sets[e.Partition] = set
			pl.parts = append(pl.parts, e.Partition)
		}
		for _, r := range set {
			if _, ok := pl.byReplica[r]; !ok {
				pl.replicas = append(pl.replicas, r)
			}
			pl.byReplica[r] = append(pl.byReplica[r], e)
		}
	}
	slices.Sort(pl.replicas)
	return pl
}

// prepareTally decides the prepare phase from the replicas' answers. A
// replica's answer counts for every touched partition it holds (it
// prepares all its entries or none). The phase succeeds once every
// partition has W acknowledgements for the level, and fails as soon as
// one partition can no longer reach W. The first decision is final. Not
// safe for concurrent use.
type prepareTally struct {
	parts    []int
	trackers map[int]*quorum.Tracker
	of       map[string][]int // replica → its touched partitions
	left     int              // partitions not yet at W
	failed   int              // a partition that failed (valid when outcome is Failed)
	outcome  quorum.Outcome
}

func newPrepareTally(pl txnPlan, level quorum.Level) (*prepareTally, error) {
	t := &prepareTally{parts: pl.parts, trackers: map[int]*quorum.Tracker{}, of: map[string][]int{}, left: len(pl.parts)}
	if len(pl.parts) == 0 {
		return nil, fmt.Errorf("replica: a transaction without entries")
	}
	for _, p := range pl.parts {
		tr, err := quorum.ForWrite(level, pl.sets[p])
		if err != nil {
			return nil, fmt.Errorf("partition %d: %w", p, err)
		}
		t.trackers[p] = tr
		for _, r := range pl.sets[p] {
			t.of[r] = append(t.of[r], p)
		}
	}
	return t, nil
}

// ack records that replica r holds its intents durably.
func (t *prepareTally) ack(r string) quorum.Outcome {
	for _, p := range t.of[r] {
		before := t.trackers[p].Outcome()
		if o, _ := t.trackers[p].Ack(r); o == quorum.Succeeded && before == quorum.Pending {
			t.left--
		}
	}
	return t.decide()
}

// fail records that replica r refused, failed or was not asked.
func (t *prepareTally) fail(r string) quorum.Outcome {
	for _, p := range t.of[r] {
		if o, _ := t.trackers[p].Fail(r); o == quorum.Failed && t.outcome == quorum.Pending {
			t.outcome, t.failed = quorum.Failed, p
		}
	}
	return t.decide()
}

func (t *prepareTally) decide() quorum.Outcome {
	if t.outcome == quorum.Pending && t.left == 0 {
		t.outcome = quorum.Succeeded
	}
	return t.outcome
}

// shortfall describes the partition that failed, or the first one still
// short of W.
func (t *prepareTally) shortfall() string {
	p := t.failed
	if t.outcome != quorum.Failed {
		for _, q := range t.parts {
			if t.trackers[q].Outcome() != quorum.Succeeded {
				p = q
				break
			}
		}
	}
	tr := t.trackers[p]
	return fmt.Sprintf("partition %d: %d of %d required prepares", p, tr.Acks(), tr.Need())
}

// recovery is what a participant does with a transaction it holds intents
// for.
type recovery int

const (
	recoverWait    recovery = iota // wait: the coordinator may still decide
	recoverCommit                  // decided commit: apply the intents
	recoverAbort                   // decided abort: drop them
	recoverPropose                 // past the deadline, undecided: propose abort, act on the answer
)

// recoveryAction decides from the transaction's deadline and the decision
// found in the local copy of the decision log.
func recoveryAction(now, deadline time.Time, decided, committed bool) recovery {
	switch {
	case decided && committed:
		return recoverCommit
	case decided:
		return recoverAbort
	case now.Before(deadline):
		return recoverWait
	}
	return recoverPropose
}
