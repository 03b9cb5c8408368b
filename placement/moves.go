package placement

import (
	"errors"
	"fmt"
	"slices"
)

// Move is one partition whose replica set changed between two tables.
type Move struct {
	Partition int
	From      []string // old replica set, primary first (nil if none)
	To        []string // new replica set, primary first
	Added     []string // in To, not in From: they must fetch the partition; sorted
	Removed   []string // in From, not in To: they drop it once the added hold it; sorted
}

// Moves lists the partitions whose replica sets differ between old and
// new, in partition order. A change of order alone (a new primary over the
// same members) moves no data and is not listed. A nil old table stands
// for a cluster without placement: every partition is added. Both tables
// must have the same partition count.
func Moves(old, new *Table) ([]Move, error) {
	if new == nil {
		return nil, errors.New("placement: moves: new table is nil")
	}
	if old != nil && old.cfg.Partitions != new.cfg.Partitions {
		return nil, fmt.Errorf("placement: moves: partition count changed from %d to %d", old.cfg.Partitions, new.cfg.Partitions)
	}
	var out []Move
	for p := range new.cfg.Partitions {
		var from []string
		if old != nil {
			from = old.ReplicaSet(p)
		}
		to := new.ReplicaSet(p)
		added, removed := diff(from, to), diff(to, from)
		if len(added) == 0 && len(removed) == 0 {
			continue
		}
		out = append(out, Move{Partition: p, From: from, To: to, Added: added, Removed: removed})
	}
	return out, nil
}

// diff returns the members of b not in a, sorted.
func diff(a, b []string) []string {
	var out []string
	for _, x := range b {
		if !slices.Contains(a, x) {
			out = append(out, x)
		}
	}
	slices.Sort(out)
	return out
}

// MovedReplicas counts the replicas that must be copied to a new holder.
func MovedReplicas(moves []Move) int {
	n := 0
	for _, m := range moves {
		n += len(m.Added)
	}
	return n
}
