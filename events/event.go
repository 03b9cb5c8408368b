package events

import (
	"encoding/json"
	"fmt"
	"time"
)

// Event is one thing that happened in the cluster.
type Event struct {
	Type    string          `json:"type"`
	Lamport uint64          `json:"lamport"` // also the event id on this node
	Time    time.Time       `json:"time"`
	Node    string          `json:"node,omitempty"` // the node it happened on or to
	Data    json.RawMessage `json:"data,omitempty"` // shared by all subscribers: read-only
}

// Event types. Other types may be published; they get NORMAL priority
// unless configured.
const (
	TypeNodeJoined          = "node_joined"
	TypeNodeLeft            = "node_left"
	TypeNodeSuspect         = "node_suspect"
	TypeNodeDead            = "node_dead"
	TypeNodeAlive           = "node_alive"
	TypeLeaderElected       = "leader_elected"
	TypeFileIndexed         = "file_indexed"
	TypeFileDeleted         = "file_deleted"
	TypeReplicationRequired = "replication_required"
)

// New returns an event of type typ whose Data is data encoded as JSON.
func New(typ string, data any) (Event, error) {
	ev := Event{Type: typ}
	if data != nil {
		b, err := json.Marshal(data)
		if err != nil {
			return Event{}, fmt.Errorf("encode %s event: %w", typ, err)
		}
		ev.Data = b
	}
	return ev, nil
}

// Priority decides which events a slow subscriber loses first.
type Priority int

// The priorities, lowest first.
const (
	Low Priority = iota
	Normal
	High

	numPriorities = 3
)

// String returns the priority's name.
func (p Priority) String() string {
	switch p {
	case Low:
		return "LOW"
	case Normal:
		return "NORMAL"
	case High:
		return "HIGH"
	}
	return fmt.Sprintf("Priority(%d)", int(p))
}

// DefaultPriorities returns the priority of each known event type: changes
// of membership and leadership are HIGH, per-file events LOW, the rest
// NORMAL.
func DefaultPriorities() map[string]Priority {
	return map[string]Priority{
		TypeNodeJoined:          High,
		TypeNodeLeft:            High,
		TypeNodeSuspect:         High,
		TypeNodeDead:            High,
		TypeNodeAlive:           High,
		TypeLeaderElected:       High,
		TypeReplicationRequired: Normal,
		TypeFileIndexed:         Low,
		TypeFileDeleted:         Low,
	}
}
