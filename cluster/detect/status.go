package detect

import (
	"strconv"
	"time"
)

// Status is a node's liveness as the detector sees it.
type Status int

// The statuses. The zero value is Alive.
const (
	Alive Status = iota
	Suspect
	Dead
)

// String returns the status in upper case, as the API shows it.
func (s Status) String() string {
	switch s {
	case Alive:
		return "ALIVE"
	case Suspect:
		return "SUSPECT"
	case Dead:
		return "DEAD"
	}
	return "Status(" + strconv.Itoa(int(s)) + ")"
}

// Transition is one status change of one node.
type Transition struct {
	Node string
	From Status
	To   Status
	At   time.Time // the evaluation or heartbeat time that caused it
	Phi  float64   // φ at that time
}

// NodeState is a snapshot of one tracked node.
type NodeState struct {
	Node          string
	Status        Status
	Phi           float64
	Heard         bool      // at least one heartbeat arrived
	LastHeartbeat time.Time // or the time tracking began, if !Heard
	Samples       int       // intervals in the window, seeds included
}
