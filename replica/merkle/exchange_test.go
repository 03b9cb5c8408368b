package merkle

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"testing"
)

func build(t testing.TB, cfg Config, m map[string]string) *Tree {
	t.Helper()
	tr := newTree(t, cfg)
	for k, v := range m {
		tr.Put(k, ver(v))
	}
	return tr
}

// bruteDiff is the reference: keys in one map only, or with different values.
func bruteDiff(local, remote map[string]string) []string {
	var out []string
	for k, v := range local {
		if rv, ok := remote[k]; !ok || rv != v {
			out = append(out, k)
		}
	}
	for k := range remote {
		if _, ok := local[k]; !ok {
			out = append(out, k)
		}
	}
	slices.Sort(out)
	return out
}

func keysOf(d []Difference) []string {
	var out []string
	for _, x := range d {
		out = append(out, x.Key)
	}
	return out
}

func TestReconcile(t *testing.T) {
	base := map[string]string{}
	for i := range 200 {
		base[fmt.Sprintf("k%d", i)] = "v1"
	}
	with := func(changes map[string]string, drop ...string) map[string]string {
		m := map[string]string{}
		for k, v := range base {
			m[k] = v
		}
		for k, v := range changes {
			m[k] = v
		}
		for _, k := range drop {
			delete(m, k)
		}
		return m
	}
	tests := []struct {
		name          string
		local, remote map[string]string
		roundTrips    int
	}{
		{"identical", base, base, 1},
		{"both empty", map[string]string{}, map[string]string{}, 1},
		{"one changed version", base, with(map[string]string{"k7": "v2"}), 4},
		{"only remote has a key", base, with(map[string]string{"new": "v1"}), 4},
		{"only local has a key", base, with(nil, "k9"), 4},
		{"mixed", with(map[string]string{"a": "1"}, "k1"), with(map[string]string{"k2": "v9", "b": "2"}, "k3"), 4},
		{"local empty", map[string]string{}, base, 4},
		{"remote empty", base, map[string]string{}, 4},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := DefaultConfig()
			local, remote := build(t, cfg, tt.local), build(t, cfg, tt.remote)
			diffs, st, err := Reconcile(context.Background(), local, TreePeer(remote))
			if err != nil {
				t.Fatal(err)
			}
			if got, want := keysOf(diffs), bruteDiff(tt.local, tt.remote); !slices.Equal(got, want) {
				t.Fatalf("differences %v, want %v", got, want)
			}
			for _, d := range diffs {
				lv, lok := tt.local[d.Key]
				rv, rok := tt.remote[d.Key]
				if d.InLocal != lok || d.InRemote != rok || (lok && d.Local != ver(lv)) || (rok && d.Remote != ver(rv)) {
					t.Fatalf("difference %+v does not describe both sides", d)
				}
			}
			if st.RoundTrips != tt.roundTrips {
				t.Fatalf("round trips %d, want %d", st.RoundTrips, tt.roundTrips)
			}
			leaves, err := Diff(local, remote)
			if err != nil || len(leaves) != st.LeavesCompared {
				t.Fatalf("Diff found %d leaves (%v), Reconcile compared %d", len(leaves), err, st.LeavesCompared)
			}
		})
	}
}

// Only differing buckets travel: with 100k keys per side and 10
// differences, the exchange receives the entries of at most 10 buckets.
func TestReconcileTransfersOnlyDifferingBuckets(t *testing.T) {
	for _, cfg := range []Config{DefaultConfig(), {FanoutBits: 4, Depth: 3}} {
		local, remote := newTree(t, cfg), newTree(t, cfg)
		for i := range 100_000 {
			k := fmt.Sprintf("key-%d", i)
			local.Put(k, ver(k))
			remote.Put(k, ver(k))
		}
		for i := range 10 {
			remote.Put(fmt.Sprintf("key-%d", i*9973), ver("changed"))
		}
		diffs, st, err := Reconcile(context.Background(), local, TreePeer(remote))
		if err != nil {
			t.Fatal(err)
		}
		if len(diffs) != 10 {
			t.Fatalf("%d differences, want 10", len(diffs))
		}
		perBucket := 100_000 / cfg.Buckets()
		t.Logf("%+v: 10 of 100k keys differ: %d round trips, %d hashes and %d entries received (a full listing is 100000 entries)",
			cfg, st.RoundTrips, st.HashesReceived, st.EntriesRecv)
		if st.LeavesCompared > 10 || st.EntriesRecv > 10*perBucket*3/2 {
			t.Fatalf("exchange too large: %+v", st)
		}
	}
}

// fakePeer answers with canned, possibly malformed, responses.
type fakePeer struct {
	root     Hash
	children func([]Path) [][]Hash
	leaves   func([]Path) [][]Entry
	err      error
}

func (f fakePeer) Root(context.Context) (Hash, error) { return f.root, f.err }
func (f fakePeer) Children(_ context.Context, p []Path) ([][]Hash, error) {
	return f.children(p), nil
}
func (f fakePeer) Leaves(_ context.Context, p []Path) ([][]Entry, error) { return f.leaves(p), nil }

func TestReconcileRejectsBadPeers(t *testing.T) {
	cfg := DefaultConfig()
	local := build(t, cfg, map[string]string{"a": "1"})
	good := build(t, cfg, map[string]string{"a": "2"})
	goodChildren := func(p []Path) [][]Hash { c, _ := good.Children(p); return c }
	leafA := LeafPath(cfg, "a")
	other := "b"
	for BucketOf(cfg, other) == leafA.Index {
		other += "b"
	}
	tests := []struct {
		name string
		peer fakePeer
	}{
		{"too few child lists", fakePeer{root: ver("x"), children: func([]Path) [][]Hash { return nil }}},
		{"short child list", fakePeer{root: ver("x"), children: func(p []Path) [][]Hash { return [][]Hash{make([]Hash, 3)} }}},
		{"too few leaves", fakePeer{root: ver("x"), children: goodChildren, leaves: func([]Path) [][]Entry { return nil }}},
		{"key in wrong bucket", fakePeer{root: ver("x"), children: goodChildren, leaves: func(p []Path) [][]Entry {
			return [][]Entry{{{Key: other, Version: ver("1")}}}
		}}},
		{"unsorted leaf", fakePeer{root: ver("x"), children: goodChildren, leaves: func(p []Path) [][]Entry {
			return [][]Entry{{{Key: "a"}, {Key: "a"}}}
		}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, _, err := Reconcile(context.Background(), local, tt.peer); !errors.Is(err, ErrBadResponse) {
				t.Fatalf("err = %v, want ErrBadResponse", err)
			}
		})
	}
	boom := errors.New("boom")
	if _, _, err := Reconcile(context.Background(), local, fakePeer{err: boom}); !errors.Is(err, boom) {
		t.Fatalf("peer error not wrapped: %v", err)
	}
}

func TestDiffEntriesAndCompareChildren(t *testing.T) {
	l := []Entry{{"a", ver("1")}, {"b", ver("1")}, {"d", ver("1")}}
	r := []Entry{{"b", ver("2")}, {"c", ver("1")}, {"d", ver("1")}, {"e", ver("1")}}
	got := keysOf(DiffEntries(l, r))
	if !slices.Equal(got, []string{"a", "b", "c", "e"}) {
		t.Fatalf("DiffEntries keys = %v", got)
	}
	if got := CompareChildren([]Hash{ver("1"), ver("2")}, []Hash{ver("1"), ver("3"), ver("4")}); !slices.Equal(got, []int{1, 2}) {
		t.Fatalf("CompareChildren = %v", got)
	}
	a, _ := New(DefaultConfig())
	b, _ := New(Config{FanoutBits: 2, Depth: 2})
	if _, err := Diff(a, b); err == nil {
		t.Fatal("Diff of different configs accepted")
	}
}

// FuzzDiff: for two random key sets, Reconcile finds exactly the keys in
// one set only or with different versions, and Diff the buckets of those
// keys.
func FuzzDiff(f *testing.F) {
	f.Add([]byte{1, 2, 3}, []byte{1, 2, 4}, uint8(0))
	f.Add([]byte{}, []byte{9, 9, 9, 9}, uint8(1))
	f.Add([]byte("same"), []byte("same"), uint8(2))
	configs := []Config{DefaultConfig(), {FanoutBits: 1, Depth: 1}, {FanoutBits: 2, Depth: 3}, {FanoutBits: 8, Depth: 1}}
	f.Fuzz(func(t *testing.T, a, b []byte, shape uint8) {
		cfg := configs[int(shape)%len(configs)]
		// Each pair of bytes is (key, version): keys collide often, so
		// sets overlap and versions differ.
		toMap := func(data []byte) map[string]string {
			m := map[string]string{}
			for i := 0; i+1 < len(data); i += 2 {
				m[fmt.Sprintf("key-%d", data[i]%97)] = fmt.Sprint(data[i+1] % 3)
			}
			return m
		}
		ma, mb := toMap(a), toMap(b)
		ta, tb := build(t, cfg, ma), build(t, cfg, mb)
		diffs, _, err := Reconcile(context.Background(), ta, TreePeer(tb))
		if err != nil {
			t.Fatal(err)
		}
		want := bruteDiff(ma, mb)
		if got := keysOf(diffs); !slices.Equal(got, want) {
			t.Fatalf("Reconcile found %v, want %v", got, want)
		}
		leaves, err := Diff(ta, tb)
		if err != nil {
			t.Fatal(err)
		}
		var wantLeaves []Path
		for _, k := range want {
			wantLeaves = append(wantLeaves, LeafPath(cfg, k))
		}
		slices.SortFunc(wantLeaves, func(x, y Path) int { return x.Index - y.Index })
		wantLeaves = slices.Compact(wantLeaves)
		if !slices.Equal(leaves, wantLeaves) {
			t.Fatalf("Diff leaves %v, want %v", leaves, wantLeaves)
		}
		if (len(want) == 0) != (ta.Root() == tb.Root()) {
			t.Fatalf("roots equal = %v with %d differences", ta.Root() == tb.Root(), len(want))
		}
	})
}

func BenchmarkReconcile10Of100k(b *testing.B) {
	cfg := DefaultConfig()
	local, remote := newTree(b, cfg), newTree(b, cfg)
	for i := range 100_000 {
		k := fmt.Sprintf("key-%d", i)
		local.Put(k, ver(k))
		remote.Put(k, ver(k))
	}
	for i := range 10 {
		remote.Put(fmt.Sprintf("key-%d", i*9973), ver("changed"))
	}
	ctx := context.Background()
	for b.Loop() {
		if _, _, err := Reconcile(ctx, local, TreePeer(remote)); err != nil {
			b.Fatal(err)
		}
	}
}
