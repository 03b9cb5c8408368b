package cluster_test

import (
	"testing"
	"time"

	"github.com/distrisearch/distrisearch/cluster"
	"github.com/distrisearch/distrisearch/internal/testcluster"
)

func TestOnlyThreeVoteOthersFollowMetadata(t *testing.T) {
	c := testcluster.Start(t, 5, testcluster.Options{})
	leader := c.WaitLeader(5 * time.Second)
	c.Eventually(15*time.Second, "3 voters and 2 followers of metadata", func() bool {
		st := leader.Get().Status()
		return len(st.Voters) == 3 && len(st.Members) == 5
	})
	var followers []*testcluster.Node
	voters := leader.Get().Status().Voters
	for _, nd := range c.Nodes() {
		if !containsStr(voters, nd.ID()) {
			followers = append(followers, nd)
		}
	}
	if len(followers) != 2 {
		t.Fatalf("followers %d", len(followers))
	}
	// Raft itself has exactly three servers, all voters.
	for _, f := range followers {
		if st := f.Get().Status(); st.RaftState != "None" {
			t.Fatalf("non-voter %d runs raft: %s", f.Index, st.RaftState)
		}
	}
	// A write on the leader reaches the followers through the metadata stream.
	ctx := ctxT(t, 10*time.Second)
	l, err := leader.Get().AcquireLock(ctx, "watched", "me", time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range followers {
		c.Eventually(5*time.Second, "follower sees the lock", func() bool {
			got, ok := f.Get().View().Lock("watched", time.Time{})
			return ok && got.Token == l.Token
		})
	}
	// A follower's own write is forwarded and comes back to it.
	f := followers[0].Get()
	w := f.Watch(ctx)
	if _, err := f.AcquireLock(ctx, "from-follower", "f", time.Minute); err != nil {
		t.Fatal(err)
	}
	for v := range w {
		if _, ok := v.Lock("from-follower", time.Time{}); ok {
			break
		}
	}
}

func TestDeadVoterIsReplaced(t *testing.T) {
	c := testcluster.Start(t, 4, testcluster.Options{})
	leader := c.WaitLeader(5 * time.Second)
	c.Eventually(15*time.Second, "3 voters", func() bool { return len(leader.Get().Status().Voters) == 3 })
	var victim, spare *testcluster.Node
	voters := leader.Get().Status().Voters
	for _, nd := range c.Nodes() {
		switch {
		case nd == leader:
		case containsStr(voters, nd.ID()) && victim == nil:
			victim = nd
		case !containsStr(voters, nd.ID()):
			spare = nd
		}
	}
	victim.Kill()
	c.Eventually(20*time.Second, "spare promoted, victim removed", func() bool {
		l := c.Leader()
		if l == nil {
			return false
		}
		st := l.Get().Status()
		return len(st.Voters) == 3 && containsStr(st.Voters, spare.ID()) && !containsStr(st.Voters, victim.ID())
	})
	if st := spare.Get().Status(); st.RaftState != "Follower" && st.RaftState != "Leader" {
		t.Fatalf("promoted node's raft state %s", st.RaftState)
	}
	// The replaced voter comes back as a member without a vote.
	if err := victim.Restart(); err != nil {
		t.Fatal(err)
	}
	c.Eventually(10*time.Second, "victim alive again without a vote", func() bool {
		m := member(c.WaitLeader(5*time.Second).Get(), victim.ID())
		return m.Status == cluster.StatusAlive && !m.Voter
	})
}

func TestLeaveAndRejoin(t *testing.T) {
	c := testcluster.Start(t, 4, testcluster.Options{})
	leader := c.WaitLeader(5 * time.Second)
	c.Eventually(15*time.Second, "3 voters", func() bool { return len(leader.Get().Status().Voters) == 3 })
	ctx := ctxT(t, 20*time.Second)
	// The leader itself leaves: it hands over leadership first.
	id := leader.ID()
	if err := leader.Get().Leave(ctx); err != nil {
		t.Fatal(err)
	}
	leader.Kill() // already closed by Leave; forget it
	nl := c.WaitLeader(10 * time.Second)
	c.Eventually(15*time.Second, "LEFT and replaced", func() bool {
		st := nl.Get().Status()
		m := member(nl.Get(), id)
		return m.Status == cluster.StatusLeft && !m.Voter && len(st.Voters) == 3 && !containsStr(st.Voters, id)
	})
	c.Eventually(5*time.Second, "node_left event", func() bool { return hasEvent(nl.Events(), cluster.EventNodeLeft, id) })
	// Restarting with the same data directory rejoins without a token.
	if err := leader.Restart(); err != nil {
		t.Fatal(err)
	}
	c.Eventually(10*time.Second, "rejoined", func() bool {
		return member(c.WaitLeader(5*time.Second).Get(), id).Status == cluster.StatusAlive
	})
	c.Eventually(5*time.Second, "node_joined event on rejoin", func() bool { return hasEvent(nl.Events(), cluster.EventNodeJoined, id) })
}

func containsStr(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func TestWarmStandbyTakesOver(t *testing.T) {
	c := testcluster.Start(t, 5, testcluster.Options{Standbys: 1})
	leader := c.WaitLeader(5 * time.Second)
	var standby string
	c.Eventually(15*time.Second, "3 voters and 1 standby", func() bool {
		st := leader.Get().Status()
		standby = ""
		for _, m := range st.Members {
			if m.Standby {
				standby = m.ID
			}
		}
		return len(st.Voters) == 3 && standby != ""
	})
	for _, nd := range c.Nodes() {
		if nd.ID() == standby {
			c.Eventually(5*time.Second, "standby follows raft", func() bool { return nd.Get().Status().RaftState == "Follower" })
		}
	}
	var victim *testcluster.Node
	for _, nd := range c.Nodes() {
		if nd != leader && containsStr(leader.Get().Status().Voters, nd.ID()) {
			victim = nd
		}
	}
	victim.Kill()
	c.Eventually(20*time.Second, "standby promoted, a new standby chosen", func() bool {
		l := c.Leader()
		if l == nil {
			return false
		}
		st := l.Get().Status()
		if len(st.Voters) != 3 || !containsStr(st.Voters, standby) || containsStr(st.Voters, victim.ID()) {
			return false
		}
		for _, m := range st.Members {
			if m.Standby && m.ID != standby && m.ID != victim.ID() {
				return true
			}
		}
		return false
	})
}

func TestVoterRestartedOnAnotherAddress(t *testing.T) {
	c := testcluster.Start(t, 3, testcluster.Options{Tune: func(i int, cfg *cluster.Config) {
		cfg.VoterReplaceAfter = time.Hour // keep the seat: the point is the address change
	}})
	leader := c.WaitLeader(5 * time.Second)
	c.Eventually(15*time.Second, "3 voters", func() bool { return len(leader.Get().Status().Voters) == 3 })
	var moved *testcluster.Node
	for _, nd := range c.Nodes() {
		if nd != leader {
			moved = nd
		}
	}
	oldAddr := moved.Addr
	moved.Kill()
	if err := moved.RestartElsewhere(); err != nil {
		t.Fatal(err)
	}
	if moved.Addr == oldAddr {
		t.Skip("the kernel gave the same port back")
	}
	ctx := ctxT(t, 20*time.Second)
	if err := retry(ctx, func() error { _, err := leader.Get().AcquireLock(ctx, "after-move", "x", time.Minute); return err }); err != nil {
		t.Fatal(err)
	}
	c.Eventually(15*time.Second, "moved voter replicates again at its new address", func() bool {
		n := moved.Get()
		_, ok := n.View().Lock("after-move", time.Time{})
		return ok && member(n, moved.ID()).InternalAddr == moved.Addr && n.Status().RaftState == "Follower"
	})
}
