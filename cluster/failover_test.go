package cluster_test

import (
	"os"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/distrisearch/distrisearch/cluster"
	"github.com/distrisearch/distrisearch/internal/testcluster"
)

// defaultTimings puts the production Raft and failure-detection settings
// back into a test node's configuration.
func defaultTimings(i int, c *cluster.Config) {
	d := cluster.DefaultConfig()
	c.HeartbeatTimeout, c.ElectionTimeout, c.LeaderLeaseTimeout = d.HeartbeatTimeout, d.ElectionTimeout, d.LeaderLeaseTimeout
	c.HeartbeatInterval, c.CheckInterval, c.Detector = d.HeartbeatInterval, d.CheckInterval, d.Detector
}

func envRuns(t *testing.T, name string) int {
	n, err := strconv.Atoi(os.Getenv(name))
	if err != nil || n <= 0 {
		t.Skipf("set %s=N to run this measurement", name)
	}
	return n
}

func percentiles(d []time.Duration) (p50, p99, worst time.Duration) {
	s := slices.Clone(d)
	slices.Sort(s)
	at := func(p float64) time.Duration { return s[min(len(s)-1, int(p*float64(len(s))))] }
	return at(0.50), at(0.99), s[len(s)-1]
}

// TestMeasureFailover kills the leader of a 3-node cluster running the
// default timings (election timeout 150–300 ms) DS_FAILOVER_RUNS times and
// reports how long the cluster was without an established leader: from the
// kill until another node has committed its leader entry (its fencing
// token). It asserts nothing about the durations.
//
//	DS_FAILOVER_RUNS=30 go test -run TestMeasureFailover -v ./cluster/
func TestMeasureFailover(t *testing.T) {
	runs := envRuns(t, "DS_FAILOVER_RUNS")
	c := testcluster.Start(t, 3, testcluster.Options{Tune: defaultTimings})
	var took []time.Duration
	for range runs {
		old, _ := leaderWithFence(t, c)
		c.Eventually(30*time.Second, "3 voters alive", func() bool {
			alive := 0
			for _, m := range old.Get().Members() {
				if m.Voter && m.Status == cluster.StatusAlive {
					alive++
				}
			}
			return alive == 3
		})
		start := time.Now()
		old.Kill()
		var elapsed time.Duration
		for elapsed == 0 {
			for _, nd := range c.Nodes() {
				if n := nd.Get(); n != nil && nd != old && n.IsLeader() {
					elapsed = time.Since(start)
				}
			}
			time.Sleep(time.Millisecond)
			if time.Since(start) > 30*time.Second {
				t.Fatal("no new leader after 30 s")
			}
		}
		took = append(took, elapsed)
		if err := old.Restart(); err != nil {
			t.Fatal(err)
		}
	}
	p50, p99, worst := percentiles(took)
	t.Logf("leader failover over %d kills: p50 %v, p99 %v, max %v", runs, p50.Round(time.Millisecond), p99.Round(time.Millisecond), worst.Round(time.Millisecond))
	t.Logf("all: %v", took)
}

// TestMeasureDetection kills a follower DS_DETECT_RUNS times with the
// default heartbeat interval (1 s) and detector (phi > 8, DEAD 1.5 s after
// SUSPECT) and reports when the leader committed SUSPECT and DEAD.
//
//	DS_DETECT_RUNS=10 go test -run TestMeasureDetection -v ./cluster/
func TestMeasureDetection(t *testing.T) {
	runs := envRuns(t, "DS_DETECT_RUNS")
	c := testcluster.Start(t, 3, testcluster.Options{Tune: defaultTimings})
	var suspect, dead []time.Duration
	for range runs {
		leader, _ := leaderWithFence(t, c)
		var victim *testcluster.Node
		for _, nd := range c.Nodes() {
			if nd != leader {
				victim = nd
			}
		}
		id := victim.ID()
		c.Eventually(30*time.Second, "victim alive and heard", func() bool {
			m := member(leader.Get(), id)
			return m.Status == cluster.StatusAlive
		})
		time.Sleep(3 * time.Second) // a few heartbeats, so the detector knows the rhythm
		start := time.Now()
		victim.Kill()
		var ts, td time.Duration
		for td == 0 {
			switch member(leader.Get(), id).Status {
			case cluster.StatusSuspect:
				if ts == 0 {
					ts = time.Since(start)
				}
			case cluster.StatusDead:
				if ts == 0 {
					ts = time.Since(start)
				}
				td = time.Since(start)
			}
			time.Sleep(5 * time.Millisecond)
			if time.Since(start) > 30*time.Second {
				t.Fatal("not DEAD after 30 s")
			}
		}
		suspect, dead = append(suspect, ts), append(dead, td)
		if err := victim.Restart(); err != nil {
			t.Fatal(err)
		}
	}
	s50, s99, smax := percentiles(suspect)
	d50, d99, dmax := percentiles(dead)
	t.Logf("killed member over %d runs: SUSPECT p50 %v p99 %v max %v; DEAD p50 %v p99 %v max %v", runs,
		s50.Round(time.Millisecond), s99.Round(time.Millisecond), smax.Round(time.Millisecond),
		d50.Round(time.Millisecond), d99.Round(time.Millisecond), dmax.Round(time.Millisecond))
}
