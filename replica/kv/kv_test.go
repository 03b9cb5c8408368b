package kv

import (
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/distrisearch/distrisearch/clock"
	"github.com/distrisearch/distrisearch/replica/merkle"
	"github.com/distrisearch/distrisearch/replica/version"
)

func open(t *testing.T, path string) *Store {
	t.Helper()
	s, err := Open(path, Options{Resolver: version.RecordResolver{}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func env(t testing.TB, key string, node string, counter uint64, wall int64, value string) version.Envelope {
	t.Helper()
	c, err := clock.FromMap(map[string]uint64{node: counter})
	if err != nil {
		t.Fatal(err)
	}
	return version.Envelope{Key: key, Version: version.Version{Clock: c, Stamp: clock.Timestamp{Wall: wall}, Writer: node}, Value: []byte(value)}
}

func tomb(t testing.TB, key, node string, counter uint64, at time.Time) version.Envelope {
	e := env(t, key, node, counter, at.UnixNano(), "")
	e.Value = nil
	e.Tombstone, e.DeletedAt = true, at.UTC()
	return e
}

func TestApplyResolves(t *testing.T) {
	s := open(t, filepath.Join(t.TempDir(), "r.db"))
	v2 := env(t, "k", "a", 2, 20, "two")
	if r, err := s.Apply(3, v2); err != nil || !r.Changed || r.Existed {
		t.Fatalf("first apply: %+v %v", r, err)
	}
	// An older write changes nothing.
	r, err := s.Apply(3, env(t, "k", "a", 1, 10, "one"))
	if err != nil || r.Changed || string(r.Stored.Value) != "two" {
		t.Fatalf("older apply: %+v %v", r, err)
	}
	// Replays are idempotent.
	if r, err := s.Apply(3, v2); err != nil || r.Changed {
		t.Fatalf("replay: %+v %v", r, err)
	}
	// A tombstone that descends the put wins, and an older put cannot
	// resurrect the key.
	del := tomb(t, "k", "a", 3, time.Unix(0, 30))
	if r, err := s.Apply(3, del); err != nil || !r.Changed || !r.Stored.Tombstone {
		t.Fatalf("delete: %+v %v", r, err)
	}
	if r, err := s.Apply(3, v2); err != nil || r.Changed || !r.Stored.Tombstone {
		t.Fatalf("resurrected by an older put: %+v %v", r, err)
	}
	got, ok, err := s.Get(3, "k")
	if err != nil || !ok || !got.Tombstone {
		t.Fatalf("get: %+v %v %v", got, ok, err)
	}
	if s.Tree(3).Len() != 1 {
		t.Fatalf("tree has %d keys", s.Tree(3).Len())
	}
	d, _ := got.Digest()
	if h, _ := s.Tree(3).Get("k"); h != merkle.Hash(d) {
		t.Fatal("tree digest differs from stored envelope")
	}
}

func TestConcurrentAppliesKeepTreeInStep(t *testing.T) {
	s := open(t, filepath.Join(t.TempDir(), "r.db"))
	var wg sync.WaitGroup
	for w := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 50 {
				e := env(t, fmt.Sprintf("k%d", i%10), fmt.Sprintf("w%d", w), uint64(i+1), int64(i*10+w), fmt.Sprintf("v%d-%d", w, i))
				if _, err := s.Apply(i%4, e); err != nil {
					t.Error(err)
					return
				}
			}
		}()
	}
	wg.Wait()
	checkTrees(t, s)
}

// checkTrees verifies every tree against a tree rebuilt from the bucket.
func checkTrees(t *testing.T, s *Store) {
	t.Helper()
	for _, p := range s.Partitions() {
		want, _ := merkle.New(s.MerkleConfig())
		err := s.ForEach(p, func(e version.Envelope) error {
			d, err := e.Digest()
			want.Put(e.Key, d)
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		if got := s.Tree(p); got.Root() != want.Root() || got.Len() != want.Len() {
			t.Fatalf("partition %d: tree (%d keys) differs from data (%d keys)", p, got.Len(), want.Len())
		}
	}
}

// TestCrashSafety copies the database file while the store is open, right
// after acknowledged writes, as a power cut would leave it, and opens the
// copy: every acknowledged write is there and the rebuilt trees equal the
// live ones.
func TestCrashSafety(t *testing.T) {
	dir := t.TempDir()
	s := open(t, filepath.Join(dir, "r.db"))
	for i := range 200 {
		if _, err := s.Apply(i%7, env(t, fmt.Sprintf("key-%03d", i), "n1", uint64(i+1), int64(i), fmt.Sprintf("value %d", i))); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.AddHint("n2", 3, env(t, "hinted", "n1", 1, 1, "h")); err != nil {
		t.Fatal(err)
	}
	raw, err := os.ReadFile(s.Path())
	if err != nil {
		t.Fatal(err)
	}
	crashed := filepath.Join(dir, "crashed.db")
	if err := os.WriteFile(crashed, raw, 0o600); err != nil {
		t.Fatal(err)
	}
	c := open(t, crashed)
	for _, p := range s.Partitions() {
		if c.Tree(p).Root() != s.Tree(p).Root() {
			t.Fatalf("partition %d: root differs after crash", p)
		}
	}
	for i := range 200 {
		e, ok, err := c.Get(i%7, fmt.Sprintf("key-%03d", i))
		if err != nil || !ok || string(e.Value) != fmt.Sprintf("value %d", i) {
			t.Fatalf("key %d lost: %v %v", i, ok, err)
		}
	}
	if n := c.PendingHints()["n2"]; n != 1 {
		t.Fatalf("hints after crash: %d", n)
	}
	checkTrees(t, c)
	// A clean close and reopen agrees too.
	path := s.Path()
	root := s.Tree(0).Root()
	s.Close()
	r := open(t, path)
	if r.Tree(0).Root() != root {
		t.Fatal("root differs after reopen")
	}
}

func TestHints(t *testing.T) {
	s := open(t, filepath.Join(t.TempDir(), "r.db"))
	for i := range 5 {
		if err := s.AddHint("b", i, env(t, fmt.Sprintf("k%d", i), "a", 1, 1, "v")); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.AddHint("c", 0, env(t, "x", "a", 1, 1, "v")); err != nil {
		t.Fatal(err)
	}
	if got := s.PendingHints(); got["b"] != 5 || got["c"] != 1 {
		t.Fatalf("pending %v", got)
	}
	hs, err := s.Hints("b", 3)
	if err != nil || len(hs) != 3 || hs[0].Envelope.Key != "k0" || hs[2].Partition != 2 {
		t.Fatalf("hints %+v %v", hs, err)
	}
	if err := s.DeleteHints("b", []uint64{hs[0].Seq, hs[1].Seq, hs[2].Seq}); err != nil {
		t.Fatal(err)
	}
	rest, _ := s.Hints("b", 10)
	if len(rest) != 2 || rest[0].Envelope.Key != "k3" {
		t.Fatalf("rest %+v", rest)
	}
	_ = s.DeleteHints("b", []uint64{rest[0].Seq, rest[1].Seq})
	if got := s.PendingHints(); got["b"] != 0 || len(got) != 1 {
		t.Fatalf("pending after drain %v", got)
	}
}

func TestCollectTombstones(t *testing.T) {
	s := open(t, filepath.Join(t.TempDir(), "r.db"))
	base := time.Unix(1_000_000, 0)
	_, _ = s.Apply(1, env(t, "live", "a", 1, 1, "v"))
	_, _ = s.Apply(1, tomb(t, "old", "a", 2, base))
	_, _ = s.Apply(1, tomb(t, "recent", "a", 2, base.Add(time.Hour)))
	n, err := s.CollectTombstones(base.Add(time.Minute))
	if err != nil || n != 1 {
		t.Fatalf("collected %d, %v", n, err)
	}
	if _, ok, _ := s.Get(1, "old"); ok {
		t.Fatal("old tombstone kept")
	}
	if _, ok, _ := s.Get(1, "recent"); !ok {
		t.Fatal("tombstone within grace collected")
	}
	checkTrees(t, s)
	if err := s.DropPartition(1); err != nil {
		t.Fatal(err)
	}
	if s.Tree(1).Len() != 0 || len(s.Partitions()) != 0 {
		t.Fatal("drop left data")
	}
}
