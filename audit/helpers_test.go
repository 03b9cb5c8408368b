package audit

import (
	"context"
	"path/filepath"
	"sync"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"
)

// fakeClock is a settable clock.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func newFakeClock() *fakeClock {
	return &fakeClock{t: time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)}
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

func testConfig(t testing.TB, clk *fakeClock) Config {
	cfg := DefaultConfig()
	cfg.Path = filepath.Join(t.TempDir(), "audit.db")
	cfg.NodeID = "n1"
	cfg.NoSync = true // durability is tested by reopening, not by power loss
	cfg.AnchorEvery = 1
	cfg.Now = clk.Now
	return cfg
}

func openLog(t testing.TB, cfg Config) *Log {
	t.Helper()
	l, err := Open(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	return l
}

func appendN(t testing.TB, l *Log, n int, clk *fakeClock) []Entry {
	t.Helper()
	out := make([]Entry, 0, n)
	for i := 0; i < n; i++ {
		e, err := l.Append(context.Background(), Entry{
			UserID: "u1", Username: "alice", Action: ActionDownload,
			Resource: "share/docs/file.txt", IPAddress: "127.0.0.1", Result: ResultSuccess,
		})
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, e)
		if clk != nil {
			clk.Advance(time.Second)
		}
	}
	return out
}

// rawUpdate edits the local chain's entries bucket directly, as an
// attacker with the file would.
func rawUpdate(t *testing.T, l *Log, fn func(entries, meta *bolt.Bucket) error) {
	t.Helper()
	err := l.db.Update(func(tx *bolt.Tx) error {
		entries, meta, _ := chainBuckets(tx.Bucket(bucketChains), l.node, false)
		return fn(entries, meta)
	})
	if err != nil {
		t.Fatal(err)
	}
}

func verifyBreak(t *testing.T, l *Log) *Break {
	t.Helper()
	rep, err := l.Verify(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return rep.FirstBreak()
}
