package cluster

import "time"

// EventType names a cluster event.
type EventType string

// Cluster events, published by every node as its view of the metadata
// changes.
const (
	EventNodeJoined    EventType = "node_joined"
	EventNodeLeft      EventType = "node_left"
	EventNodeSuspect   EventType = "node_suspect"
	EventNodeDead      EventType = "node_dead"
	EventNodeAlive     EventType = "node_alive"
	EventLeaderElected EventType = "leader_elected"
)

// Event is one change of the cluster metadata as a node observed it.
type Event struct {
	Type   EventType    `json:"type"`
	NodeID string       `json:"node_id"`
	Status MemberStatus `json:"status,omitempty"`
	Term   uint64       `json:"term,omitempty"`  // leader_elected
	Fence  uint64       `json:"fence,omitempty"` // leader_elected: the new leader's fencing token
	Index  uint64       `json:"index"`           // Raft index of the view that showed the change
	Time   time.Time    `json:"time"`            // the leader's time in that view
}

// diffViews returns the events that lead from old to cur, members in id
// order, the leader last. old may be nil (nothing is reported then).
func diffViews(old, cur *View) []Event {
	if old == nil || cur == nil || cur.Index <= old.Index {
		return nil
	}
	var evs []Event
	ev := func(t EventType, m Member) {
		evs = append(evs, Event{Type: t, NodeID: m.ID, Status: m.Status, Index: cur.Index, Time: cur.Time})
	}
	for _, m := range cur.Members {
		prev, ok := old.Member(m.ID)
		switch {
		case !ok || (prev.Status == StatusLeft && m.Status != StatusLeft):
			ev(EventNodeJoined, m)
		case prev.Status == m.Status:
		case m.Status == StatusSuspect:
			ev(EventNodeSuspect, m)
		case m.Status == StatusDead:
			ev(EventNodeDead, m)
		case m.Status == StatusLeft:
			ev(EventNodeLeft, m)
		case m.Status == StatusAlive:
			ev(EventNodeAlive, m)
		}
	}
	if cur.Leader.Fence != old.Leader.Fence && cur.Leader.ID != "" {
		evs = append(evs, Event{Type: EventLeaderElected, NodeID: cur.Leader.ID, Term: cur.Leader.Term,
			Fence: cur.Leader.Fence, Index: cur.Index, Time: cur.Time})
	}
	return evs
}
