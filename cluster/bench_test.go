package cluster_test

import (
	"context"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/distrisearch/distrisearch/cluster"
	"github.com/distrisearch/distrisearch/internal/testcluster"
)

func benchCluster(b *testing.B) (leader, follower *cluster.Node) {
	c := testcluster.Start(b, 3, testcluster.Options{Tune: defaultTimings})
	l := c.WaitLeader(10 * time.Second)
	c.Eventually(15*time.Second, "3 voters", func() bool { return len(l.Get().Status().Voters) == 3 })
	for _, nd := range c.Nodes() {
		if nd != l {
			return l.Get(), nd.Get()
		}
	}
	return nil, nil
}

// BenchmarkLockAcquire measures sequential lock grants (one Raft commit
// each) made on the leader and made on a follower (forwarded over mutual
// TLS), and parallel grants from 32 clients on the follower.
//
//	go test -run XXX -bench LockAcquire -benchtime 2000x ./cluster/
func BenchmarkLockAcquire(b *testing.B) {
	leader, follower := benchCluster(b)
	ctx := context.Background()
	var seq atomic.Int64
	acquire := func(n *cluster.Node) {
		name := "bench-" + strconv.FormatInt(seq.Add(1), 10)
		if _, err := n.AcquireLock(ctx, name, "bench", time.Minute); err != nil {
			b.Fatal(err)
		}
	}
	b.Run("leader", func(b *testing.B) {
		for b.Loop() {
			acquire(leader)
		}
	})
	b.Run("forwarded", func(b *testing.B) {
		for b.Loop() {
			acquire(follower)
		}
	})
	b.Run("forwarded-32-clients", func(b *testing.B) {
		b.SetParallelism(32)
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				acquire(follower)
			}
		})
	})
}

// BenchmarkConsistentView measures linearizable metadata reads from a
// follower: forwarded to the leader, which confirms its leadership with a
// quorum before answering.
func BenchmarkConsistentView(b *testing.B) {
	_, follower := benchCluster(b)
	ctx := context.Background()
	for b.Loop() {
		if _, err := follower.ConsistentView(ctx); err != nil {
			b.Fatal(err)
		}
	}
}
