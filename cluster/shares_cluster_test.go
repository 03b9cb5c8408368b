package cluster_test

import (
	"errors"
	"net/http"
	"reflect"
	"testing"
	"time"

	"github.com/distrisearch/distrisearch/cluster"
	"github.com/distrisearch/distrisearch/internal/testcluster"
	"github.com/distrisearch/distrisearch/transport"
)

func TestSharesReplicatedAndUnchangedListsCommitNothing(t *testing.T) {
	c := testcluster.Start(t, 4, testcluster.Options{Voters: 3})
	ctx := ctxT(t, 90*time.Second)
	commits := func() int {
		t.Helper()
		for {
			l := c.WaitLeader(15 * time.Second)
			if n := l.Get(); n != nil {
				k, err := cluster.ShareCommits(n)
				if err != nil {
					t.Fatal(err)
				}
				return k
			}
		}
	}
	set := func(nd *testcluster.Node, shares []cluster.Share) {
		t.Helper()
		if err := retry(ctx, func() error { return nd.Get().SetShares(ctx, shares) }); err != nil {
			t.Fatalf("node %d: set shares: %v", nd.Index, err)
		}
	}
	seen := func(id string, want []cluster.Share) {
		t.Helper()
		c.Eventually(15*time.Second, "the shares of "+id+" on every running node", func() bool {
			for _, nd := range c.Nodes() {
				if n := nd.Get(); n != nil && !reflect.DeepEqual(n.View().SharesOf(id), want) {
					return false
				}
			}
			return true
		})
	}

	voter, follower := c.Node(1), c.Node(3) // node 3 has no vote: it follows the metadata
	set(voter, []cluster.Share{
		{Name: "docs", Roles: []string{"user", "admin"}, Groups: []string{"ops", "eng"}},
		{Name: "archive"},
	})
	set(follower, []cluster.Share{{Name: "media", Groups: []string{"family"}}})
	if k := commits(); k != 2 {
		t.Fatalf("%d share entries in the log, want 2", k)
	}
	docs := []cluster.Share{{Name: "archive"}, {Name: "docs", Roles: []string{"admin", "user"}, Groups: []string{"eng", "ops"}}}
	media := []cluster.Share{{Name: "media", Groups: []string{"family"}}}
	seen(voter.ID(), docs)
	seen(follower.ID(), media)

	// The same lists again, in another order: nothing is committed.
	set(voter, []cluster.Share{
		{Name: "archive", Roles: []string{}},
		{Name: "docs", Roles: []string{"admin", "user", "admin"}, Groups: []string{"eng", "ops"}},
	})
	set(follower, media)
	if k := commits(); k != 2 {
		t.Fatalf("an unchanged list was committed: %d share entries", k)
	}

	// A change is committed and replaces the list.
	set(voter, []cluster.Share{{Name: "docs", Roles: []string{"admin"}}})
	if k := commits(); k != 3 {
		t.Fatalf("%d share entries after a change, want 3", k)
	}
	seen(voter.ID(), []cluster.Share{{Name: "docs", Roles: []string{"admin"}}})

	// Invalid lists are refused before anything is sent.
	for _, bad := range [][]cluster.Share{
		{{Name: "a/b"}},
		{{Name: "x"}, {Name: "x"}},
		{{Name: "x", Groups: []string{""}}},
	} {
		if err := voter.Get().SetShares(ctx, bad); !errors.Is(err, cluster.ErrBadShare) {
			t.Fatalf("%+v: %v, want ErrBadShare", bad, err)
		}
	}
	if k := commits(); k != 3 {
		t.Fatalf("an invalid list was committed: %d share entries", k)
	}

	// A node that is down keeps its entry everywhere.
	follower.Kill()
	seen(follower.ID(), media)
	v, err := voter.Get().ConsistentView(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if got := v.SharesOf(follower.ID()); !reflect.DeepEqual(got, media) {
		t.Fatalf("the shares of a node that is down: %+v", got)
	}

	// Restarted, it reports the same list again: nothing is committed.
	if err := follower.Restart(); err != nil {
		t.Fatal(err)
	}
	c.WaitReady(follower)
	set(follower, []cluster.Share{{Name: "media", Groups: []string{"family", "family"}}})
	if k := commits(); k != 3 {
		t.Fatalf("a restart with the same list committed: %d share entries", k)
	}
	seen(follower.ID(), media)
}

func TestSharesOnlyByTheirNode(t *testing.T) {
	c := testcluster.Start(t, 2, testcluster.Options{Voters: 1})
	leader := c.WaitLeader(10 * time.Second)
	other := c.Node(0)
	if other == leader {
		other = c.Node(1)
	}
	ctx := ctxT(t, 30*time.Second)
	forward := func(node string) error {
		cmd := map[string]any{"v": 1, "op": "shares.set", "d": map[string]any{"node": node, "shares": []cluster.Share{{Name: "stolen"}}}}
		var out map[string]any
		return other.Get().Client().DoJSON(ctx, http.MethodPost, "https://"+leader.Addr+"/internal/v1/apply", cmd, &out)
	}
	var se *transport.StatusError
	if err := forward(leader.ID()); !errors.As(err, &se) || se.Status != http.StatusBadRequest {
		t.Fatalf("a node set another node's shares: %v", err)
	}
	if err := forward(other.ID()); err != nil {
		t.Fatalf("a node could not forward its own shares: %v", err)
	}
	c.Eventually(10*time.Second, "the forwarded list", func() bool {
		return len(leader.Get().View().SharesOf(other.ID())) == 1
	})
	if got := leader.Get().View().SharesOf(leader.ID()); got != nil {
		t.Fatalf("the leader's entry was written by another node: %+v", got)
	}
}
