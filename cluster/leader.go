package cluster

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"sync"
	"time"

	"github.com/distrisearch/distrisearch/cluster/detect"
	"github.com/hashicorp/raft"
)

// leaderState is what a node knows while it leads.
type leaderState struct {
	mu       sync.Mutex // guards the fields below
	ready    bool       // leadership established: barrier passed, leader entry committed
	fence    uint64     // this leadership's fencing token
	term     uint64
	det      *detect.Detector
	liveness time.Time // last liveness commit

	kick   chan struct{} // asks the leader loop to reconcile voters now
	voters sync.Mutex    // serialises voter changes
}

func (l *leaderState) get() (ready bool, fence uint64, det *detect.Detector) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.ready, l.fence, l.det
}

// IsLeader reports whether this node leads and has established its
// leadership (its fencing token is committed).
func (n *Node) IsLeader() bool {
	_, err := n.LeaderFence()
	return err == nil
}

// LeaderFence returns this node's fencing token if it is the established
// leader; every action it takes on other nodes on the leader's behalf must
// carry it (see SetFence). It returns ErrNotLeader otherwise.
func (n *Node) LeaderFence() (uint64, error) {
	n.lead.mu.Lock()
	ready, fence, term := n.lead.ready, n.lead.fence, n.lead.term
	n.lead.mu.Unlock()
	// The term check closes the window in which Raft has deposed and
	// re-elected this node before the leader loop noticed: a new term needs
	// its own barrier and fence.
	if !ready || n.raft == nil || n.raft.State() != raft.Leader || n.raft.CurrentTerm() != term {
		return 0, ErrNotLeader
	}
	return fence, nil
}

// runLeadership follows Raft's leadership notifications and runs the
// leader loop while this node leads.
func (n *Node) runLeadership(ctx context.Context) {
	var cur *leaderRun
	end := func() {
		if cur != nil {
			cur.stop()
			<-cur.done
			cur = nil
		}
	}
	defer end()
	for {
		select {
		case <-ctx.Done():
			return
		case leader := <-n.raft.LeaderCh():
			if leader && cur == nil {
				cur = n.startLeading(ctx)
			} else if !leader {
				end()
			}
		}
	}
}

type leaderRun struct {
	stop context.CancelFunc
	done chan struct{}
}

func (n *Node) startLeading(ctx context.Context) *leaderRun {
	lctx, stop := context.WithCancel(ctx)
	run := &leaderRun{stop: stop, done: make(chan struct{})}
	go func() {
		defer close(run.done)
		n.leadLoop(lctx)
	}()
	return run
}

// leadLoop establishes leadership, then evaluates the failure detector,
// commits liveness and reconciles voters until leadership ends.
func (n *Node) leadLoop(ctx context.Context) {
	defer func() {
		n.lead.mu.Lock()
		n.lead.ready, n.lead.det = false, nil
		n.lead.mu.Unlock()
	}()
	for {
		err := n.establish(ctx)
		if err == nil {
			break
		}
		n.log.Warn("establishing leadership failed", "err", err)
		if n.raft.State() != raft.Leader || !sleepCtx(ctx, n.cfg.RetryInterval) {
			return
		}
	}
	voters := make(chan struct{})
	go func() {
		defer close(voters)
		n.voterLoop(ctx)
	}()
	defer func() { <-voters }()
	tick := time.NewTicker(n.cfg.CheckInterval)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
		if n.raft.State() != raft.Leader {
			return
		}
		n.evaluate(ctx)
		n.commitLiveness(ctx)
		if err := n.ensureTokenKey(); err != nil {
			n.log.Warn("add the first token key", "err", err)
		}
	}
}

// voterLoop reconciles the voter set while this node leads. It runs apart
// from failure detection, because promoting a member waits for it to catch
// up with the log.
func (n *Node) voterLoop(ctx context.Context) {
	tick := time.NewTicker(2 * n.cfg.CheckInterval)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		case <-n.lead.kick:
		}
		if err := n.reconcileVoters(ctx); err != nil && ctx.Err() == nil {
			n.log.Warn("voter reconciliation", "err", err)
		}
	}
}

// establish makes sure every earlier entry is applied (Barrier), commits
// the bootstrap entry on a new cluster, then commits a leader entry whose
// index is this leadership's fencing token, and starts the failure detector
// with its startup grace.
func (n *Node) establish(ctx context.Context) error {
	term := n.raft.CurrentTerm()
	if err := n.raft.Barrier(n.cfg.ApplyTimeout).Error(); err != nil {
		return fmt.Errorf("barrier: %w", err)
	}
	if v, _ := n.fsm.View(); v.Config.ClusterID == "" {
		if n.boot == nil {
			return errors.New("cluster metadata is empty and there is no bootstrap file")
		}
		first := n.selfMember()
		if _, err := n.proposeLocal(opInit, initCmd{Config: n.boot.Config, CACert: n.boot.CACert, CAKey: n.boot.CAKey, Token: n.boot.Token, FirstNode: first, Admin: n.boot.Admin, TokenKey: n.boot.TokenKey}, 0); err != nil {
			return fmt.Errorf("commit init: %w", err)
		}
	}
	if n.boot != nil {
		if err := os.Remove(clusterPath(n.cfg.DataDir, bootstrapFile)); err != nil && !errors.Is(err, os.ErrNotExist) {
			n.log.Warn("remove bootstrap file", "err", err)
		}
	}
	r, err := n.proposeLocal(opLeader, leaderCmd{ID: n.id, Term: term}, 0)
	if err != nil {
		return fmt.Errorf("commit leader entry: %w", err)
	}
	now := n.now()
	det, err := detect.New(n.cfg.Detector, now)
	if err != nil {
		return err
	}
	if n.raft.CurrentTerm() != term {
		return errors.New("term changed while establishing leadership")
	}
	v, _ := n.fsm.View()
	for _, m := range v.Members {
		if m.ID != n.id && m.Status != StatusLeft {
			det.Track(m.ID, now)
		}
	}
	n.lead.mu.Lock()
	n.lead.ready, n.lead.fence, n.lead.term, n.lead.det, n.lead.liveness = true, r.Token, term, det, now
	n.lead.mu.Unlock()
	n.log.Info("leadership established", "term", term, "fence", r.Token)
	return nil
}

// proposeLocal applies a command through this node's Raft, which must be
// the leader. Leader-only commands get fence (the caller's leadership
// token).
func (n *Node) proposeLocal(o op, data any, fence uint64) (result, error) {
	c, err := newCommand(o, data)
	if err != nil {
		return result{}, err
	}
	c.Fence = fence
	return n.applyCommand(c)
}

func (n *Node) applyCommand(c command) (result, error) {
	if r, ok := n.fsm.unchanged(c); ok {
		return r, nil // nothing to commit
	}
	c.Time = n.now().UnixNano()
	b, err := json.Marshal(c)
	if err != nil {
		return result{}, fmt.Errorf("encode command: %w", err)
	}
	f := n.raft.Apply(b, n.cfg.ApplyTimeout)
	if err := f.Error(); err != nil {
		return result{}, raftErr(err)
	}
	r, ok := f.Response().(result)
	if !ok {
		return result{}, fmt.Errorf("%w: unexpected apply response", ErrUnknownOutcome)
	}
	return r, r.err()
}

// raftErr maps Raft's errors to the package's: refused before the entry
// was appended (not leader, shut down, queue full) or outcome unknown.
func raftErr(err error) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, raft.ErrNotLeader), errors.Is(err, raft.ErrRaftShutdown), errors.Is(err, raft.ErrEnqueueTimeout):
		return fmt.Errorf("%w: %v", ErrNotLeader, err)
	}
	return fmt.Errorf("%w: %v", ErrUnknownOutcome, err)
}

// proposeFenced applies a leader-only command with the current leadership's
// fence.
func (n *Node) proposeFenced(o op, data any) (result, error) {
	fence, err := n.LeaderFence()
	if err != nil {
		return result{}, err
	}
	return n.proposeLocal(o, data, fence)
}

// evaluate runs the failure detector and commits status changes. A member
// the metadata already shows DEAD is not demoted to SUSPECT by a new
// leader's fresh detector.
func (n *Node) evaluate(ctx context.Context) {
	_, _, det := n.lead.get()
	if det == nil {
		return
	}
	v := n.View()
	for _, tr := range det.Evaluate(n.now()) {
		m, ok := v.Member(tr.Node)
		if !ok || m.Status == StatusLeft || m.ID == n.id {
			continue
		}
		var to MemberStatus
		switch tr.To {
		case detect.Suspect:
			if m.Status != StatusAlive {
				continue
			}
			to = StatusSuspect
		case detect.Dead:
			if m.Status == StatusDead {
				continue
			}
			to = StatusDead
		default:
			if m.Status == StatusAlive {
				continue
			}
			to = StatusAlive
		}
		n.log.Info("member status", "member", m.ID, "from", m.Status, "to", to, "phi", tr.Phi)
		if _, err := n.proposeFenced(opStatus, statusCmd{ID: m.ID, Status: to, Phi: tr.Phi, LastHeartbeat: lastHeartbeat(det, m.ID, tr.At)}); err != nil {
			n.log.Warn("commit member status", "member", m.ID, "err", err)
			return
		}
	}
}

func lastHeartbeat(det *detect.Detector, id string, now time.Time) time.Time {
	for _, s := range det.Snapshot(now) {
		if s.Node == id {
			return s.LastHeartbeat
		}
	}
	return time.Time{}
}

// commitLiveness commits every member's phi and last heartbeat, at most
// every LivenessCommitInterval.
func (n *Node) commitLiveness(ctx context.Context) {
	if n.cfg.LivenessCommitInterval == 0 {
		return
	}
	now := n.now()
	n.lead.mu.Lock()
	det, due := n.lead.det, now.Sub(n.lead.liveness) >= n.cfg.LivenessCommitInterval
	if due {
		n.lead.liveness = now
	}
	n.lead.mu.Unlock()
	if det == nil || !due {
		return
	}
	var cmd livenessCmd
	for _, s := range det.Snapshot(now) {
		cmd.Entries = append(cmd.Entries, statusCmd{ID: s.Node, Phi: s.Phi, LastHeartbeat: s.LastHeartbeat})
	}
	cmd.Entries = append(cmd.Entries, statusCmd{ID: n.id, LastHeartbeat: now})
	if _, err := n.proposeFenced(opLiveness, cmd); err != nil {
		n.log.Debug("commit liveness", "err", err)
	}
}

// heartbeatFrom records a member's heartbeat on the leader and revives it
// in the metadata if it was SUSPECT or DEAD.
func (n *Node) heartbeatFrom(id string) (bool, error) {
	ready, _, det := n.lead.get()
	if !ready || det == nil {
		return false, ErrNotLeader
	}
	m, ok := n.View().Member(id)
	if !ok || m.Status == StatusLeft {
		return false, ErrUnknownMember
	}
	now := n.now()
	det.Heartbeat(id, now)
	if m.Status != StatusAlive {
		n.log.Info("member status", "member", id, "from", m.Status, "to", StatusAlive)
		if _, err := n.proposeFenced(opStatus, statusCmd{ID: id, Status: StatusAlive, LastHeartbeat: now}); err != nil {
			return false, err
		}
	}
	return true, nil
}

func (n *Node) kickLeader() {
	select {
	case n.lead.kick <- struct{}{}:
	default:
	}
}

func sleepCtx(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}
