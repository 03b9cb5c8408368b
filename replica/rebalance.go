package replica

import (
	"context"
	"errors"
	"fmt"

	"github.com/distrisearch/distrisearch/replica/version"
)

// Rebalancing. When placement changes (a member joins, leaves or is
// removed), a partition's new replicas get its keys from the replicas it
// kept by anti-entropy, which runs at once on a placement change (see
// syncOnPlacementChange). A node that is no longer a replica of a
// partition it stores hands it over: it synchronises its copy with every
// current replica (Merkle exchange: only the keys they lack move), and
// drops it only once every one of them is ALIVE and has the same Merkle
// root — so the data always has a holder, and nothing is dropped while a
// new owner is down. Partitions are handed over one at a time.

// ErrStillReplica is returned by HandOff for a partition this node holds.
var ErrStillReplica = errors.New("replica: this node is a replica of the partition")

// errReplicaDown: a current replica is not ALIVE, so the partition stays.
var errReplicaDown = errors.New("a current replica is not ALIVE")

// Foreign returns the partitions this node stores but is not a replica of
// in the current placement: those it must hand over.
func (s *Service) Foreign() ([]int, error) {
	l, err := s.layout()
	if err != nil {
		return nil, err
	}
	var out []int
	for _, p := range s.store.Partitions() {
		if !l.Table.Holds(s.self, p) {
			out = append(out, p)
		}
	}
	return out, nil
}

// HandOff hands partition p, which this node stores but no longer holds,
// to its current replicas and then drops it. It returns the keys the
// replicas received. each, when set, is called once the replicas hold
// the partition and before it is dropped, with every envelope still
// stored (the caller hands over their contents and removes them from its
// index); an error keeps the partition for a later attempt.
func (s *Service) HandOff(ctx context.Context, p int, each func(version.Envelope) error) (int, error) {
	l, err := s.layout()
	if err != nil {
		return 0, err
	}
	if l.Table.Holds(s.self, p) {
		return 0, ErrStillReplica
	}
	set := l.Table.ReplicaSet(p)
	for _, r := range set {
		if !l.Alive(r) {
			return 0, fmt.Errorf("hand off partition %d: %s: %w", p, r, errReplicaDown)
		}
	}
	moved := 0
	for _, r := range set {
		keys, _, err := s.syncPartition(ctx, l, p, l.Members[r])
		moved += keys
		if err != nil {
			return moved, fmt.Errorf("hand off partition %d to %s: %w", p, r, err)
		}
	}
	for _, r := range set {
		differ, _, err := s.differingRoots(ctx, l.Members[r], []int{p})
		if err != nil {
			return moved, fmt.Errorf("hand off partition %d: root of %s: %w", p, r, err)
		}
		if len(differ) > 0 {
			return moved, fmt.Errorf("hand off partition %d: %s still differs", p, r)
		}
	}
	if each != nil {
		// Keys first, then each envelope outside the read transaction:
		// each may call other nodes.
		var keys []string
		if err := s.store.ForEach(p, func(e version.Envelope) error {
			keys = append(keys, e.Key)
			return nil
		}); err != nil {
			return moved, err
		}
		for _, k := range keys {
			e, ok, err := s.store.Get(p, k)
			if err != nil {
				return moved, err
			}
			if !ok {
				continue
			}
			if err := each(e); err != nil {
				return moved, err
			}
		}
	}
	if err := s.store.DropPartition(p); err != nil {
		return moved, err
	}
	s.stats.handedOff.Add(1)
	s.stats.keysMoved.Add(uint64(moved))
	s.log.Info("partition handed over", "partition", p, "keys_sent", moved, "replicas", set)
	return moved, nil
}
