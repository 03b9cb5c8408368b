package merkle

import (
	"crypto/sha256"
	"errors"
	"fmt"
	"math/rand/v2"
	"strings"
	"sync"
	"testing"
)

func ver(s string) Hash { return sha256.Sum256([]byte(s)) }

func newTree(t testing.TB, cfg Config) *Tree {
	t.Helper()
	tr, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return tr
}

func TestConfigValidate(t *testing.T) {
	tests := []struct {
		cfg  Config
		want string
	}{
		{DefaultConfig(), ""},
		{Config{FanoutBits: 1, Depth: 1}, ""},
		{Config{FanoutBits: 8, Depth: 2}, ""},
		{Config{FanoutBits: 0, Depth: 2}, "fanout"},
		{Config{FanoutBits: 9, Depth: 2}, "fanout"},
		{Config{FanoutBits: 4, Depth: 0}, "depth"},
		{Config{FanoutBits: 4, Depth: 6}, "exceeds"},
	}
	for _, tt := range tests {
		err := tt.cfg.Validate()
		if (tt.want == "") != (err == nil) || (err != nil && !strings.Contains(err.Error(), tt.want)) {
			t.Errorf("%+v: Validate = %v, want %q", tt.cfg, err, tt.want)
		}
	}
	if _, err := New(Config{}); err == nil {
		t.Fatal("New accepted a zero config")
	}
	if c := DefaultConfig(); c.Fanout() != 16 || c.Buckets() != 256 {
		t.Fatalf("default fanout %d buckets %d", c.Fanout(), c.Buckets())
	}
}

func TestPutDeleteRoot(t *testing.T) {
	tr := newTree(t, DefaultConfig())
	if !tr.Root().IsZero() {
		t.Fatal("empty tree has a non-zero root")
	}
	tr.Put("a", ver("1"))
	r1 := tr.Root()
	if r1.IsZero() || tr.Len() != 1 {
		t.Fatal("root unchanged after Put")
	}
	tr.Put("a", ver("1")) // same version: no change
	if tr.Root() != r1 || tr.Len() != 1 {
		t.Fatal("re-putting the same version changed the tree")
	}
	tr.Put("a", ver("2"))
	if tr.Root() == r1 {
		t.Fatal("new version did not change the root")
	}
	if v, ok := tr.Get("a"); !ok || v != ver("2") {
		t.Fatal("Get returned the wrong version")
	}
	tr.Put("b", ver("1"))
	if !tr.Delete("a") || tr.Delete("a") || tr.Len() != 1 {
		t.Fatal("Delete results wrong")
	}
	if !tr.Delete("b") || !tr.Root().IsZero() {
		t.Fatal("tree with all keys deleted has a non-zero root")
	}
	if _, ok := tr.Get("a"); ok {
		t.Fatal("deleted key still present")
	}
}

// The root depends on the contents only, not on the order of updates or
// on the history (incremental updates equal a fresh build).
func TestRootDependsOnContentsOnly(t *testing.T) {
	for _, cfg := range []Config{DefaultConfig(), {FanoutBits: 1, Depth: 1}, {FanoutBits: 2, Depth: 5}} {
		r := rand.New(rand.NewPCG(5, 6))
		keys := make([]string, 500)
		for i := range keys {
			keys[i] = fmt.Sprintf("node-1\x00share\x00file-%d", i)
		}
		a, b := newTree(t, cfg), newTree(t, cfg)
		for _, k := range keys {
			a.Put(k, ver("old"+k))
			a.Root() // force intermediate flushes
		}
		for _, k := range keys {
			a.Put(k, ver(k))
		}
		for i := range 50 {
			a.Put(fmt.Sprintf("gone-%d", i), ver("x"))
		}
		for i := range 50 {
			a.Delete(fmt.Sprintf("gone-%d", i))
		}
		r.Shuffle(len(keys), func(i, j int) { keys[i], keys[j] = keys[j], keys[i] })
		for _, k := range keys {
			b.Put(k, ver(k))
		}
		if a.Root() != b.Root() {
			t.Fatalf("%+v: same contents, different roots", cfg)
		}
		for l := 0; l <= cfg.Depth; l++ {
			for i := range 1 << (cfg.FanoutBits * l) {
				ha, _ := a.Hash(Path{l, i})
				hb, _ := b.Hash(Path{l, i})
				if ha != hb {
					t.Fatalf("%+v: node %d/%d differs", cfg, l, i)
				}
			}
		}
	}
}

func TestPathsAndBadPaths(t *testing.T) {
	cfg := DefaultConfig()
	tr := newTree(t, cfg)
	tr.Put("k", ver("v"))
	leaf := LeafPath(cfg, "k")
	if leaf.Level != 2 || leaf.Index != BucketOf(cfg, "k") {
		t.Fatalf("LeafPath = %v", leaf)
	}
	if got := RootPath.Child(cfg, 3).Child(cfg, 5); got != (Path{2, 3*16 + 5}) || got.String() != "2/53" {
		t.Fatalf("Child = %v", got)
	}
	entries, err := tr.Leaves([]Path{leaf})
	if err != nil || len(entries[0]) != 1 || entries[0][0].Key != "k" {
		t.Fatalf("Leaves = %v, %v", entries, err)
	}
	parent := Path{1, leaf.Index >> 4}
	ch, err := tr.Children([]Path{parent})
	if err != nil || len(ch[0]) != 16 || ch[0][leaf.Index&15].IsZero() {
		t.Fatalf("Children = %v, %v", ch, err)
	}
	bad := []Path{{-1, 0}, {3, 0}, {1, 16}, {1, -1}, {0, 1}}
	for _, p := range bad {
		if _, err := tr.Hash(p); !errors.Is(err, ErrBadPath) {
			t.Errorf("Hash(%v) err = %v", p, err)
		}
	}
	if _, err := tr.Children([]Path{leaf}); !errors.Is(err, ErrBadPath) {
		t.Errorf("Children of a leaf: %v", err)
	}
	if _, err := tr.Leaves([]Path{parent}); !errors.Is(err, ErrBadPath) {
		t.Errorf("Leaves of an inner node: %v", err)
	}
	if _, err := tr.Leaves([]Path{{2, 256}}); !errors.Is(err, ErrBadPath) {
		t.Errorf("Leaves out of range: %v", err)
	}
}

func TestConcurrentUse(t *testing.T) {
	tr := newTree(t, DefaultConfig())
	var wg sync.WaitGroup
	for g := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 300 {
				k := fmt.Sprintf("g%d-%d", g, i)
				tr.Put(k, ver(k))
				if i%10 == 0 {
					tr.Root()
					tr.Delete(k)
				}
			}
		}()
	}
	wg.Wait()
	if tr.Len() != 4*270 {
		t.Fatalf("Len = %d", tr.Len())
	}
}

func BenchmarkPut(b *testing.B) {
	tr, _ := New(DefaultConfig())
	i := 0
	for b.Loop() {
		k := fmt.Sprintf("key-%d", i%100000)
		tr.Put(k, ver(k))
		i++
	}
}

// BenchmarkPutRoot: one update then a root read on a 100k-key tree — the
// cost of keeping the root current under writes.
func BenchmarkPutRoot(b *testing.B) {
	tr, _ := New(DefaultConfig())
	for i := range 100_000 {
		tr.Put(fmt.Sprintf("key-%d", i), ver("v"))
	}
	tr.Root()
	i := 0
	for b.Loop() {
		tr.Put(fmt.Sprintf("key-%d", i%100000), ver(fmt.Sprint(i)))
		tr.Root()
		i++
	}
}
