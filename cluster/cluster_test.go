package cluster_test

import (
	"context"
	"testing"
	"time"

	"github.com/distrisearch/distrisearch/cluster"
	"github.com/distrisearch/distrisearch/internal/testcluster"
)

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
	if !st.IsLeader || st.FencingToken == 0 || st.Term == 0 || st.Config.PartitionCount != 16 {
		t.Fatalf("leader status %+v", st)
	}
	for _, m := range st.Members {
		if m.Status != cluster.StatusAlive || m.Role != cluster.RoleHybrid {
			t.Errorf("member %s: %s %s", m.ID, m.Status, m.Role)
		}
	}
	if len(st.Services) != 3 {
		t.Errorf("services %+v", st.Services)
	}
	_ = context.Background()
}
