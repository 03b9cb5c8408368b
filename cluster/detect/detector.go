package detect

import (
	"slices"
	"sync"
	"time"
)

// Detector tracks the heartbeats of a set of nodes and decides their
// status. It is safe for concurrent use.
type Detector struct {
	cfg        Config
	graceUntil time.Time

	mu    sync.Mutex // guards nodes and every *node in it
	nodes map[string]*node
}

type node struct {
	hist         *history
	last         time.Time // last heartbeat, or when tracking began if !heard
	heard        bool
	status       Status
	suspectSince time.Time
}

// New returns a detector that starts at start: nobody is suspected before
// start + cfg.StartupGrace.
func New(cfg Config, start time.Time) (*Detector, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	return &Detector{
		cfg:        cfg,
		graceUntil: start.Add(cfg.StartupGrace),
		nodes:      make(map[string]*node),
	}, nil
}

// Config returns the detector's configuration.
func (d *Detector) Config() Config { return d.cfg }

// Track starts expecting heartbeats from node as of at, e.g. when it
// joins the membership. Until its first heartbeat the node is treated as
// if it had sent one at at, with the first-heartbeat estimate as its
// interval. Tracking a known node does nothing.
func (d *Detector) Track(node string, at time.Time) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.track(node, at)
}

func (d *Detector) track(id string, at time.Time) *node {
	n, ok := d.nodes[id]
	if !ok {
		n = &node{hist: newHistory(d.cfg.MaxSampleSize, d.cfg.FirstHeartbeatEstimate), last: at}
		d.nodes[id] = n
	}
	return n
}

// Remove forgets node, e.g. when it leaves the membership.
func (d *Detector) Remove(node string) {
	d.mu.Lock()
	defer d.mu.Unlock()
	delete(d.nodes, node)
}

// Heartbeat records a heartbeat from node that arrived at at, tracking the
// node if it is new. A SUSPECT or DEAD node becomes ALIVE; the transition
// is returned with ok = true. A heartbeat not after the previous one is
// stale and ignored. An interval long enough to have made the node
// suspect (φ above the threshold) is not added to the window: it is an
// outage, not a sample of the node's rhythm, and would blunt detection for
// the next MaxSampleSize heartbeats.
func (d *Detector) Heartbeat(node string, at time.Time) (tr Transition, ok bool) {
	d.mu.Lock()
	defer d.mu.Unlock()
	n := d.track(node, at)
	if n.heard {
		if !at.After(n.last) {
			return Transition{}, false
		}
		if p := d.phi(n, at); p <= d.cfg.Threshold {
			n.hist.add(ms(at.Sub(n.last)))
		}
	}
	n.heard = true
	n.last = at
	if n.status != Alive {
		tr = Transition{Node: node, From: n.status, To: Alive, At: at, Phi: 0}
		n.status = Alive
		n.suspectSince = time.Time{}
		return tr, true
	}
	return Transition{}, false
}

// Phi returns φ for node at now: 0 for an unknown node or when now is not
// after its last heartbeat, growing without bound as the silence lasts.
func (d *Detector) Phi(node string, now time.Time) float64 {
	d.mu.Lock()
	defer d.mu.Unlock()
	n, ok := d.nodes[node]
	if !ok {
		return 0
	}
	return d.phi(n, now)
}

func (d *Detector) phi(n *node, now time.Time) float64 {
	elapsed := now.Sub(n.last)
	if elapsed <= 0 {
		return 0
	}
	mean := n.hist.mean + ms(d.cfg.AcceptableHeartbeatPause)
	std := max(n.hist.std, ms(d.cfg.MinStdDeviation))
	return phi(ms(elapsed), mean, std)
}

// Status returns node's status as of the last Evaluate or Heartbeat, and
// whether the node is tracked.
func (d *Detector) Status(node string) (Status, bool) {
	d.mu.Lock()
	defer d.mu.Unlock()
	n, ok := d.nodes[node]
	if !ok {
		return Alive, false
	}
	return n.status, true
}

// Evaluate advances every tracked node's status to now and returns the
// transitions, ordered by node id: ALIVE → SUSPECT when φ > Threshold
// (never before the startup grace ends), SUSPECT → DEAD once the node has
// been suspect for DeadAfter. Both may happen in one call. Call it
// periodically; detection is late by up to two calling intervals (one to
// notice the suspicion, one to notice DeadAfter has passed).
func (d *Detector) Evaluate(now time.Time) []Transition {
	d.mu.Lock()
	defer d.mu.Unlock()
	var out []Transition
	for _, id := range d.sortedIDs() {
		n := d.nodes[id]
		p := d.phi(n, now)
		if n.status == Alive && !now.Before(d.graceUntil) && p > d.cfg.Threshold {
			n.status = Suspect
			n.suspectSince = now
			out = append(out, Transition{Node: id, From: Alive, To: Suspect, At: now, Phi: p})
		}
		if n.status == Suspect && now.Sub(n.suspectSince) >= d.cfg.DeadAfter {
			n.status = Dead
			out = append(out, Transition{Node: id, From: Suspect, To: Dead, At: now, Phi: p})
		}
	}
	return out
}

// Snapshot returns the state of every tracked node at now, ordered by
// node id. It changes nothing.
func (d *Detector) Snapshot(now time.Time) []NodeState {
	d.mu.Lock()
	defer d.mu.Unlock()
	ids := d.sortedIDs()
	out := make([]NodeState, 0, len(ids))
	for _, id := range ids {
		n := d.nodes[id]
		out = append(out, NodeState{
			Node:          id,
			Status:        n.status,
			Phi:           d.phi(n, now),
			Heard:         n.heard,
			LastHeartbeat: n.last,
			Samples:       n.hist.n,
		})
	}
	return out
}

func (d *Detector) sortedIDs() []string {
	ids := make([]string, 0, len(d.nodes))
	for id := range d.nodes {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	return ids
}
