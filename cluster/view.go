package cluster

import (
	"context"

	"github.com/distrisearch/distrisearch/events"
	"slices"
)

// View returns the freshest metadata this node has: its Raft copy, or the
// copy it follows from the coordinators when that is newer. It is not
// linearizable; see ConsistentView.
func (n *Node) View() *View {
	v, _, _ := n.viewWait()
	return v
}

// viewWait returns the view and two channels, one of which is closed at the
// next change.
func (n *Node) viewWait() (*View, <-chan struct{}, <-chan struct{}) {
	fv, c1 := n.fsm.View()
	mv, c2 := n.mirror.get()
	if mv != nil && mv.Index > fv.Index {
		return mv, c1, c2
	}
	return fv, c1, c2
}

// ConsistentView returns the metadata as the leader holds it after
// confirming its leadership with a quorum: every write acknowledged before
// the call is in it.
func (n *Node) ConsistentView(ctx context.Context) (*View, error) {
	var v *View
	var w viewWire
	err := n.leaderCall(ctx, func() error {
		var e error
		v, e = n.consistentLocal(ctx)
		return e
	}, "GET", pathState+"?consistent=1", nil, &w, true)
	if err == nil && v == nil {
		v = w.view()
	}
	return v, err
}

// consistentLocal confirms this node's leadership with a quorum and
// returns its metadata. It gives up when ctx ends: a verification pending
// while Raft shuts down may never be answered.
func (n *Node) consistentLocal(ctx context.Context) (*View, error) {
	if !n.IsLeader() {
		return nil, ErrNotLeader
	}
	f := n.raft.VerifyLeader()
	verified := make(chan error, 1)
	go func() { verified <- f.Error() }()
	select {
	case err := <-verified:
		if err != nil {
			return nil, ErrNotLeader
		}
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	v, _ := n.fsm.View()
	return v, nil
}

// Watch delivers the current view, then each newer one, until ctx ends.
// Slow receivers get only the latest view (intermediate ones are skipped).
func (n *Node) Watch(ctx context.Context) <-chan *View {
	out := make(chan *View, 1)
	go func() {
		defer close(out)
		var last uint64
		first := true
		for {
			v, c1, c2 := n.viewWait()
			if first || v.Index > last {
				first, last = false, v.Index
				select {
				case <-out: // drop the undelivered older view
				default:
				}
				out <- v
			}
			select {
			case <-ctx.Done():
				return
			case <-c1:
			case <-c2:
			}
		}
	}()
	return out
}

// runEvents turns view changes into events for Deps.OnEvent and keeps the
// remembered voter addresses current.
func (n *Node) runEvents(ctx context.Context) {
	prev := n.View()
	for {
		v, c1, c2 := n.viewWait()
		if v.Index > prev.Index && prev.Index == 0 {
			prev = v // the first metadata this node sees is its baseline, not news
		}
		if v.Index > prev.Index {
			for _, ev := range diffViews(prev, v) {
				n.log.Info("cluster event", "type", ev.Type, "member", ev.NodeID, "index", ev.Index)
				n.publish(ev)
			}
			var voters []string
			for _, m := range v.Members {
				if m.Voter && m.Status != StatusLeft {
					voters = append(voters, m.InternalAddr)
				}
			}
			slices.Sort(voters)
			n.peers.replace(voters)
			prev = v
		}
		select {
		case <-ctx.Done():
			return
		case <-c1:
		case <-c2:
		}
	}
}

func (n *Node) publish(ev Event) {
	if n.deps.OnEvent != nil {
		n.deps.OnEvent(ev)
	}
	if n.deps.Events == nil {
		return
	}
	e, err := events.New(string(ev.Type), ev)
	if err == nil {
		e.Node = ev.NodeID
		_, err = n.deps.Events.Publish(e)
	}
	if err != nil {
		n.log.Warn("publish cluster event", "type", ev.Type, "err", err)
	}
}

// WaitReady waits until this node is registered with the cluster and knows
// a leader.
func (n *Node) WaitReady(ctx context.Context) error {
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-n.registered:
	}
	for {
		v, c1, c2 := n.viewWait()
		if v.Leader.ID != "" {
			return nil
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-c1:
		case <-c2:
		}
	}
}

func (n *Node) markRegistered() { n.regOnce.Do(func() { close(n.registered) }) }

func (n *Node) isRegistered() bool {
	select {
	case <-n.registered:
		return true
	default:
		return false
	}
}
