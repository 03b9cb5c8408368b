package cluster_test

import (
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/distrisearch/distrisearch/cluster"
	"github.com/distrisearch/distrisearch/internal/testcluster"
)

// TestTxnDecisionsOnRaftCluster: on three voters and one member without a
// vote, the first decision proposed for a transaction is the one every
// proposer gets back, wherever it proposes; decisions reach every voter's
// copy and survive the loss of the leader.
func TestTxnDecisionsOnRaftCluster(t *testing.T) {
	c := testcluster.Start(t, 4, testcluster.Options{Voters: 3})
	ctx := ctxT(t, 90*time.Second)
	c.Eventually(20*time.Second, "three Raft voters", func() bool {
		l := c.Leader()
		return l != nil && len(l.Get().View().Voters()) == 3
	})
	leader := c.WaitLeader(15 * time.Second)
	var voterFollower *testcluster.Node
	for _, nd := range c.Nodes()[:3] {
		if nd != leader {
			voterFollower = nd
			break
		}
	}
	member := c.Node(3) // no Raft seat: its proposals are forwarded
	decide := func(nd *testcluster.Node, id string, commit bool) bool {
		t.Helper()
		got, err := nd.Get().DecideTxn(ctx, id, commit)
		if err != nil {
			t.Fatalf("node %d: decide %s %v: %v", nd.Index, id, commit, err)
		}
		return got
	}

	// A participant that timed out aborts first; the coordinator's later
	// commit gets the abort back — from any node, on any path.
	if decide(voterFollower, "t-abort", false) {
		t.Fatal("an abort proposal recorded a commit")
	}
	for _, nd := range []*testcluster.Node{leader, voterFollower, member} {
		if decide(nd, "t-abort", true) {
			t.Fatalf("node %d: the decision flipped to commit", nd.Index)
		}
	}
	if !decide(member, "t-commit", true) || !decide(leader, "t-commit", false) {
		t.Fatal("a commit recorded first did not stand")
	}
	if _, err := member.Get().DecideTxn(ctx, "bad id", true); !errors.Is(err, cluster.ErrBadTxnID) {
		t.Fatalf("bad id: %v", err)
	}

	// Concurrent proposers from every node: one outcome per transaction.
	const txns = 8
	answers := make([][]bool, txns)
	var mu sync.Mutex
	var wg sync.WaitGroup
	for i := range txns {
		for _, nd := range c.Nodes() {
			wg.Add(1)
			go func() {
				defer wg.Done()
				got, err := nd.Get().DecideTxn(ctx, fmt.Sprintf("c-%d", i), (i+nd.Index)%2 == 0)
				if err != nil {
					t.Errorf("node %d: %v", nd.Index, err)
					return
				}
				mu.Lock()
				answers[i] = append(answers[i], got)
				mu.Unlock()
			}()
		}
	}
	wg.Wait()
	want := map[string]bool{"t-abort": false, "t-commit": true}
	for i, as := range answers {
		for _, a := range as[1:] {
			if a != as[0] {
				t.Fatalf("c-%d: proposers got different outcomes %v", i, as)
			}
		}
		want[fmt.Sprintf("c-%d", i)] = as[0]
	}

	// Every voter's copy holds them (a member without a seat learns
	// outcomes through DecideTxn).
	c.Eventually(15*time.Second, "every voter holds every decision", func() bool {
		for _, nd := range c.Nodes()[:3] {
			for id, w := range want {
				if got, ok := nd.Get().TxnDecision(id); !ok || got != w {
					return false
				}
			}
		}
		return true
	})

	// The decisions outlive the leader that recorded them.
	leader.Kill()
	next := c.WaitLeader(15*time.Second, leader)
	for id, w := range want {
		if got := decide(next, id, !w); got != w {
			t.Fatalf("after failover %s flipped to %v", id, got)
		}
	}
	if got := decide(member, "t-abort", true); got {
		t.Fatal("after failover the abort flipped")
	}
}
