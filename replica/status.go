package replica

import (
	"github.com/distrisearch/distrisearch/cluster"
)

// ReplicaState is one member of a replica set and its status in the view.
type ReplicaState struct {
	Node   string               `json:"node"`
	Status cluster.MemberStatus `json:"status"`
}

// PartitionStatus describes one partition this node holds.
type PartitionStatus struct {
	Partition       int            `json:"partition"`
	Replicas        []ReplicaState `json:"replicas"`
	UnderReplicated bool           `json:"under_replicated"` // a replica is not ALIVE, or fewer than RF members
	Keys            int            `json:"keys"`
	Root            string         `json:"merkle_root"`
}

// Status is this node's data-plane state, for GET /api/cluster.
type Status struct {
	Node                 string            `json:"node"`
	ViewIndex            uint64            `json:"view_index"`
	Partitions           []PartitionStatus `json:"partitions"`
	UnderReplicated      []int             `json:"under_replicated"` // of all partitions, not only held ones
	HintsPending         map[string]int    `json:"hints_pending"`
	HintsStored          uint64            `json:"hints_stored"`
	HintsReplayed        uint64            `json:"hints_replayed"`
	HintsDropped         uint64            `json:"hints_dropped"`
	ReadRepairs          uint64            `json:"read_repairs"`
	Conflicts            uint64            `json:"conflicts"`
	ConflictsOverwritten uint64            `json:"conflicts_overwritten"`
	AntiEntropy          AntiEntropyStatus `json:"anti_entropy"`
	// Rebalancing: partitions this node stores but no longer holds (to
	// hand over), and the partitions and keys handed over so far.
	Foreign             []int  `json:"foreign_partitions,omitempty"`
	PartitionsHandedOff uint64 `json:"partitions_handed_off"`
	KeysHandedOff       uint64 `json:"keys_handed_off"`
	// Txns counts two-phase commits and the intents held here.
	Txns TxnStatus `json:"txns"`
}

// Status reports the partitions this node holds with their replica sets,
// the cluster's under-replicated partitions, pending hints per target and
// anti-entropy progress, handoff and transaction counters.
func (s *Service) Status() (Status, error) {
	st := Status{
		Node:                 s.self,
		HintsPending:         s.store.PendingHints(),
		HintsStored:          s.stats.hintsStored.Load(),
		HintsReplayed:        s.stats.hintsReplayed.Load(),
		HintsDropped:         s.stats.hintsDropped.Load(),
		ReadRepairs:          s.stats.readRepairs.Load(),
		Conflicts:            s.stats.conflicts.Load(),
		ConflictsOverwritten: s.stats.overwritten.Load(),
		AntiEntropy:          s.AntiEntropy(),
		PartitionsHandedOff:  s.stats.handedOff.Load(),
		KeysHandedOff:        s.stats.keysMoved.Load(),
		Txns:                 s.TxnStatus(),
	}
	st.Foreign, _ = s.Foreign()
	l, err := s.layout()
	if err != nil {
		return st, err
	}
	st.ViewIndex = l.View.Index
	rf := l.View.Config.ReplicationFactor
	for p := range l.Table.Partitions() {
		set := l.Table.ReplicaSet(p)
		under := len(set) < rf
		var reps []ReplicaState
		for _, r := range set {
			status := l.Members[r].Status
			if status != cluster.StatusAlive {
				under = true
			}
			reps = append(reps, ReplicaState{Node: r, Status: status})
		}
		if under {
			st.UnderReplicated = append(st.UnderReplicated, p)
		}
		if l.Table.Holds(s.self, p) {
			t := s.store.Tree(p)
			st.Partitions = append(st.Partitions, PartitionStatus{Partition: p, Replicas: reps, UnderReplicated: under, Keys: t.Len(), Root: hexHash(t.Root())})
		}
	}
	return st, nil
}
