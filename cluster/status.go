package cluster

import (
	"context"
	"time"

	"github.com/hashicorp/raft"
)

// Status is a node's view of the cluster, for `GET /api/nodes`.
type Status struct {
	NodeID       string        `json:"node_id"`
	ClusterID    string        `json:"cluster_id"`
	LeaderID     string        `json:"leader_id"`
	LeaderAddr   string        `json:"leader_addr"`
	IsLeader     bool          `json:"is_leader"`
	Term         uint64        `json:"term"`
	FencingToken uint64        `json:"fencing_token"` // the current leader's fence
	RaftState    string        `json:"raft_state"`    // Leader, Follower, Candidate, or None (no Raft seat)
	Index        uint64        `json:"index"`         // Raft index of the metadata shown
	Voters       []string      `json:"voters"`
	Members      []Member      `json:"members"`
	Services     []Service     `json:"services"`
	Config       ClusterConfig `json:"config"`
}

// Status returns this node's view of the cluster. On the leader, members'
// phi and last heartbeat are live; elsewhere they are as last committed.
func (n *Node) Status() Status {
	v := n.View()
	st := Status{
		NodeID: n.id, ClusterID: v.Config.ClusterID, LeaderID: v.Leader.ID, Term: v.Leader.Term,
		FencingToken: v.Leader.Fence, Index: v.Index, Voters: v.Voters(),
		Members: n.Members(), Services: v.Services, Config: v.Config, RaftState: "None",
	}
	if m, ok := v.Member(v.Leader.ID); ok {
		st.LeaderAddr = m.InternalAddr
	}
	if n.raft != nil {
		if me, ok := v.Member(n.id); ok && (me.Voter || me.Standby) {
			st.RaftState = n.raft.State().String()
			st.Term = max(st.Term, n.raft.CurrentTerm())
		}
		st.IsLeader = n.IsLeader()
	}
	return st
}

// Members returns the members, with live phi and last heartbeat when this
// node leads.
func (n *Node) Members() []Member {
	v := n.View()
	ms := append([]Member(nil), v.Members...)
	if _, _, det := n.lead.get(); det != nil && n.raft.State() == raft.Leader {
		now := n.now()
		live := map[string]int{}
		for i, m := range ms {
			live[m.ID] = i
			if m.ID == n.id {
				ms[i].LastHeartbeat, ms[i].Phi = now, 0
			}
		}
		for _, s := range det.Snapshot(now) {
			if i, ok := live[s.Node]; ok && ms[i].Status != StatusLeft {
				ms[i].Phi, ms[i].LastHeartbeat = s.Phi, s.LastHeartbeat
			}
		}
	}
	return ms
}

// Leader returns the current leader as this node knows it, and whether
// there is one.
func (n *Node) Leader() (Member, bool) {
	v := n.View()
	return v.Member(v.Leader.ID)
}

// ClusterConfig returns the cluster-wide configuration fixed at init.
func (n *Node) ClusterConfig() ClusterConfig { return n.View().Config }

// CheckFence accepts a fencing token presented for resource (a lock name,
// or "leader" for leader actions) if no newer token has been seen for it
// and it is not older than the committed leader's fence. Receivers call it
// on every fenced request (see FenceOf).
func (n *Node) CheckFence(resource string, token uint64) error {
	if resource == "leader" {
		return n.fences.Check(resource, token)
	}
	return n.fencesLocks.Check(resource, token)
}

// RegisterService adds or updates a service registry entry (through the
// leader).
func (n *Node) RegisterService(ctx context.Context, s Service) error {
	if s.ID == "" {
		s.ID = ServiceID(s.Type, s.NodeID, s.Port)
	}
	_, err := n.apply(ctx, opServicePut, s)
	return err
}

// DeregisterService removes a service registry entry.
func (n *Node) DeregisterService(ctx context.Context, id string) error {
	_, err := n.apply(ctx, opServiceDelete, serviceDeleteCmd{ID: id})
	return err
}

// AcquireLock takes the lease name for owner for ttl. It returns the lock,
// whose Token is the fencing token to present to every resource the lock
// protects. A holder must stop acting once ttl has passed on its own clock
// since it sent the request, unless it renewed. Acquiring a lock one
// already holds renews it with the same token.
func (n *Node) AcquireLock(ctx context.Context, name, owner string, ttl time.Duration) (Lock, error) {
	r, err := n.apply(ctx, opLockAcquire, lockCmd{Name: name, Owner: owner, TTL: ttl})
	if err != nil {
		return lockOf(r), err
	}
	n.lockGranted(lockOf(r))
	return lockOf(r), nil
}

// lockGranted tells Deps.LockGranted about a grant.
func (n *Node) lockGranted(l Lock) {
	if n.deps.LockGranted != nil && l.Token != 0 {
		n.deps.LockGranted(l)
	}
}

// RenewLock extends a held lease by ttl from now. It fails with
// ErrLockNotHeld if the lease expired or was taken.
func (n *Node) RenewLock(ctx context.Context, name, owner string, token uint64, ttl time.Duration) (Lock, error) {
	r, err := n.apply(ctx, opLockRenew, lockCmd{Name: name, Owner: owner, Token: token, TTL: ttl})
	return lockOf(r), err
}

// ReleaseLock frees a held lease.
func (n *Node) ReleaseLock(ctx context.Context, name, owner string, token uint64) error {
	_, err := n.apply(ctx, opLockRelease, lockCmd{Name: name, Owner: owner, Token: token})
	return err
}

func lockOf(r result) Lock {
	if r.Lock == nil {
		return Lock{}
	}
	return *r.Lock
}
