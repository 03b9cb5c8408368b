package cluster_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/distrisearch/distrisearch/cluster"
	"github.com/distrisearch/distrisearch/internal/testcluster"
)

// transient reports errors a client retries: no leader at the moment, or an
// outcome it cannot know (the leader changed mid-request).
func transient(err error) bool {
	return errors.Is(err, cluster.ErrUnknownOutcome) || errors.Is(err, cluster.ErrNoLeader) || errors.Is(err, cluster.ErrNotLeader)
}

// retry calls f until it returns a non-transient result or ctx ends.
func retry(ctx context.Context, f func() error) error {
	for {
		err := f()
		if !transient(err) || ctx.Err() != nil {
			return err
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// leaderWithFence waits for a leader and returns it with its fencing token.
func leaderWithFence(t *testing.T, c *testcluster.Cluster, exclude ...*testcluster.Node) (*testcluster.Node, uint64) {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for time.Now().Before(deadline) {
		l := c.WaitLeader(10*time.Second, exclude...)
		if f, err := l.Get().LeaderFence(); err == nil {
			return l, f
		}
	}
	t.Fatal("no stable leader")
	return nil, 0
}
