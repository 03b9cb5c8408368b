package cluster_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/distrisearch/distrisearch/cluster"
	"github.com/distrisearch/distrisearch/internal/testcluster"
)

func ctxT(t *testing.T, d time.Duration) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	t.Cleanup(cancel)
	return ctx
}

func member(n *cluster.Node, id string) cluster.Member {
	m, _ := n.View().Member(id)
	return m
}

func hasEvent(evs []cluster.Event, typ cluster.EventType, id string) bool {
	for _, e := range evs {
		if e.Type == typ && e.NodeID == id {
			return true
		}
	}
	return false
}

func TestThreeNodesElectALeader(t *testing.T) {
	c := testcluster.Start(t, 3, testcluster.Options{})
	leader := c.WaitLeader(5 * time.Second)
	c.Eventually(10*time.Second, "three voters in every view", func() bool {
		for _, nd := range c.Nodes() {
			st := nd.Get().Status()
			if len(st.Voters) != 3 || st.LeaderID != leader.ID() || len(st.Members) != 3 {
				return false
			}
		}
		return true
	})
	st := leader.Get().Status()
	if !st.IsLeader || st.FencingToken == 0 || st.Term == 0 || st.Config.PartitionCount != 16 || st.RaftState != "Leader" {
		t.Fatalf("leader status %+v", st)
	}
	for _, m := range st.Members {
		if m.Status != cluster.StatusAlive || m.Role != cluster.RoleHybrid || !m.Voter {
			t.Errorf("member %s: %s %s voter=%v", m.ID, m.Status, m.Role, m.Voter)
		}
	}
	if len(st.Services) != 3 {
		t.Errorf("services %+v", st.Services)
	}
	for _, nd := range c.Nodes() {
		if nd != leader && nd != c.Node(2) {
			c.Eventually(5*time.Second, "node_joined for node 2", func() bool {
				return hasEvent(nd.Events(), cluster.EventNodeJoined, c.Node(2).ID())
			})
		}
	}
}

func TestKillLeaderElectsNewLeaderAndRestartRejoins(t *testing.T) {
	c := testcluster.Start(t, 3, testcluster.Options{})
	first := c.WaitLeader(5 * time.Second)
	c.Eventually(10*time.Second, "three voters", func() bool { return len(first.Get().Status().Voters) == 3 })
	old, oldFence := leaderWithFence(t, c)
	old.Kill()
	nl, newFence := leaderWithFence(t, c, old)
	if newFence <= oldFence {
		t.Fatalf("new leader's fence %d not above the old %d", newFence, oldFence)
	}
	c.Eventually(5*time.Second, "status shows the new leader", func() bool {
		st := nl.Get().Status()
		return st.LeaderID == nl.ID() && st.FencingToken >= newFence
	})
	for _, nd := range c.Nodes() {
		if nd != old {
			c.Eventually(5*time.Second, "leader_elected event", func() bool { return hasEvent(nd.Events(), cluster.EventLeaderElected, nl.ID()) })
		}
	}
	c.Eventually(10*time.Second, "old leader DEAD", func() bool { return member(nl.Get(), old.ID()).Status == cluster.StatusDead })
	if err := old.Restart(); err != nil {
		t.Fatal(err)
	}
	c.Eventually(10*time.Second, "old leader ALIVE again", func() bool {
		return member(nl.Get(), old.ID()).Status == cluster.StatusAlive && member(old.Get(), old.ID()).Status == cluster.StatusAlive
	})
}

func TestKilledMemberSuspectDeadThenAlive(t *testing.T) {
	c := testcluster.Start(t, 3, testcluster.Options{})
	leader := c.WaitLeader(5 * time.Second)
	var victim *testcluster.Node
	for _, nd := range c.Nodes() {
		if nd != leader {
			victim = nd
		}
	}
	id := victim.ID()
	victim.Kill()
	c.Eventually(10*time.Second, "victim DEAD", func() bool { return member(leader.Get(), id).Status == cluster.StatusDead })
	// Events follow the view: they are published just after it changes.
	c.Eventually(5*time.Second, "node_suspect and node_dead events", func() bool {
		evs := leader.Events()
		return hasEvent(evs, cluster.EventNodeSuspect, id) && hasEvent(evs, cluster.EventNodeDead, id)
	})
	svc := cluster.ServiceID("internal", id, portOf(victim.Addr))
	for _, s := range leader.Get().View().Services {
		if s.ID == svc && s.Health != cluster.HealthDown {
			t.Fatalf("dead member's service is %s", s.Health)
		}
	}
	if err := victim.Restart(); err != nil {
		t.Fatal(err)
	}
	c.Eventually(10*time.Second, "victim ALIVE", func() bool { return member(leader.Get(), id).Status == cluster.StatusAlive })
	c.Eventually(5*time.Second, "node_alive event", func() bool { return hasEvent(leader.Events(), cluster.EventNodeAlive, id) })
}

func TestWritesOnFollowersAreForwarded(t *testing.T) {
	c := testcluster.Start(t, 4, testcluster.Options{})
	leader := c.WaitLeader(5 * time.Second)
	ctx := ctxT(t, 20*time.Second)
	for _, nd := range c.Nodes() {
		if nd == leader {
			continue
		}
		n := nd.Get()
		var l cluster.Lock
		err := retry(ctx, func() (err error) {
			l, err = n.AcquireLock(ctx, "lock-"+nd.ID(), "owner-"+nd.ID(), time.Minute)
			return err
		})
		if err != nil {
			t.Fatalf("node %d acquire: %v", nd.Index, err)
		}
		if l.Token == 0 || l.Owner != "owner-"+nd.ID() {
			t.Fatalf("lock %+v", l)
		}
		svc := cluster.Service{Type: "test", NodeID: nd.ID(), Host: "127.0.0.1", Port: 9000 + nd.Index}
		if err := retry(ctx, func() error { return n.RegisterService(ctx, svc) }); err != nil {
			t.Fatalf("node %d register service: %v", nd.Index, err)
		}
		var v *cluster.View
		err = retry(ctx, func() (err error) {
			v, err = n.ConsistentView(ctx)
			return err
		})
		if err != nil {
			t.Fatalf("consistent view from node %d: %v", nd.Index, err)
		}
		if _, ok := v.Lock("lock-"+nd.ID(), v.Time); !ok {
			t.Fatalf("lock from node %d not in the leader's view", nd.Index)
		}
	}
}

func TestLocksLeaseAndFencing(t *testing.T) {
	c := testcluster.Start(t, 3, testcluster.Options{})
	c.WaitLeader(5 * time.Second)
	a, b := c.Node(1).Get(), c.Node(2).Get()
	ctx := ctxT(t, 30*time.Second)
	const ttl = 2 * time.Second
	var la, lb cluster.Lock
	if err := retry(ctx, func() (err error) { la, err = a.AcquireLock(ctx, "res", "alice", ttl); return err }); err != nil {
		t.Fatal(err)
	}
	err := retry(ctx, func() error { _, err := b.AcquireLock(ctx, "res", "bob", ttl); return err })
	if !errors.Is(err, cluster.ErrLockHeld) {
		t.Fatalf("bob acquired a held lock: %v", err)
	}
	if err := retry(ctx, func() error { _, err := a.RenewLock(ctx, "res", "alice", la.Token, ttl); return err }); err != nil {
		t.Fatalf("renew: %v", err)
	}
	// The lease runs out; bob gets the lock with a larger token.
	c.Eventually(10*time.Second, "lease expiry", func() bool {
		lb, err = b.AcquireLock(ctx, "res", "bob", time.Minute)
		return err == nil
	})
	if lb.Token <= la.Token {
		t.Fatalf("new token %d not above %d", lb.Token, la.Token)
	}
	err = retry(ctx, func() error { _, err := a.RenewLock(ctx, "res", "alice", la.Token, ttl); return err })
	if !errors.Is(err, cluster.ErrLockNotHeld) {
		t.Fatalf("expired holder renewed: %v", err)
	}
	if err := retry(ctx, func() error { return a.ReleaseLock(ctx, "res", "alice", la.Token) }); !errors.Is(err, cluster.ErrLockNotHeld) {
		t.Fatalf("expired holder released: %v", err)
	}
	// A resource guarded by the fencing token refuses alice once bob wrote.
	res := c.Node(0).Get()
	if err := res.CheckFence("res", la.Token); err != nil {
		t.Fatal(err)
	}
	if err := res.CheckFence("res", lb.Token); err != nil {
		t.Fatal(err)
	}
	if err := res.CheckFence("res", la.Token); !errors.Is(err, cluster.ErrStaleFence) {
		t.Fatalf("stale token accepted: %v", err)
	}
	if err := retry(ctx, func() error { return b.ReleaseLock(ctx, "res", "bob", lb.Token) }); err != nil {
		t.Fatal(err)
	}
}

func portOf(addr string) int {
	for i := len(addr) - 1; i >= 0; i-- {
		if addr[i] == ':' {
			p := 0
			for _, ch := range addr[i+1:] {
				p = p*10 + int(ch-'0')
			}
			return p
		}
	}
	return 0
}
