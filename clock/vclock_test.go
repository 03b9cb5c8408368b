package clock

import (
	"math/rand/v2"
	"testing"
)

func vc(t testing.TB, m map[string]uint64) VClock {
	t.Helper()
	v, err := FromMap(m)
	if err != nil {
		t.Fatalf("FromMap(%v): %v", m, err)
	}
	return v
}

func TestCompare(t *testing.T) {
	tests := []struct {
		name string
		a, b map[string]uint64
		want Ordering
	}{
		{"both empty", nil, nil, Equal},
		{"equal", map[string]uint64{"a": 1, "b": 2}, map[string]uint64{"b": 2, "a": 1}, Equal},
		{"empty before", nil, map[string]uint64{"a": 1}, Before},
		{"after empty", map[string]uint64{"a": 1}, nil, After},
		{"one counter behind", map[string]uint64{"a": 1, "b": 2}, map[string]uint64{"a": 2, "b": 2}, Before},
		{"extra node after", map[string]uint64{"a": 1, "b": 1}, map[string]uint64{"a": 1}, After},
		{"disjoint nodes concurrent", map[string]uint64{"a": 1}, map[string]uint64{"b": 1}, Concurrent},
		{"crossed counters concurrent", map[string]uint64{"a": 2, "b": 1}, map[string]uint64{"a": 1, "b": 2}, Concurrent},
		{"zero counters ignored", map[string]uint64{"a": 1, "z": 0}, map[string]uint64{"a": 1}, Equal},
		{"tail greater on left", map[string]uint64{"a": 1, "c": 1}, map[string]uint64{"a": 1, "b": 1}, Concurrent},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a, b := vc(t, tt.a), vc(t, tt.b)
			if got := a.Compare(b); got != tt.want {
				t.Fatalf("Compare = %v, want %v", got, tt.want)
			}
			wantDesc := tt.want == After || tt.want == Equal
			if got := a.Descends(b); got != wantDesc {
				t.Fatalf("Descends = %v, want %v", got, wantDesc)
			}
		})
	}
}

func TestIncrementDoesNotMutate(t *testing.T) {
	a := VClock{}.Increment("n1").Increment("n2")
	b := a.Increment("n1")
	c := a.Increment("n0")
	if got := a.String(); got != `{"n1":1,"n2":1}` {
		t.Fatalf("a changed: %s", got)
	}
	if got := b.String(); got != `{"n1":2,"n2":1}` {
		t.Fatalf("b = %s", got)
	}
	if got := c.String(); got != `{"n0":1,"n1":1,"n2":1}` {
		t.Fatalf("c = %s", got)
	}
	if b.Compare(a) != After || a.Compare(b) != Before || b.Compare(c) != Concurrent {
		t.Fatalf("orderings wrong: b?a=%v a?b=%v b?c=%v", b.Compare(a), a.Compare(b), b.Compare(c))
	}
}

func TestMergeAndCopy(t *testing.T) {
	a := vc(t, map[string]uint64{"a": 3, "b": 1})
	b := vc(t, map[string]uint64{"b": 4, "c": 2})
	m := a.Merge(b)
	if got, want := m.String(), `{"a":3,"b":4,"c":2}`; got != want {
		t.Fatalf("Merge = %s, want %s", got, want)
	}
	if a.String() != `{"a":3,"b":1}` || b.String() != `{"b":4,"c":2}` {
		t.Fatalf("Merge mutated its operands: %s %s", a, b)
	}
	cp := m.Copy()
	if !cp.Equal(m) || cp.Get("b") != 4 || cp.Get("zz") != 0 || cp.Len() != 3 {
		t.Fatalf("Copy = %s", cp)
	}
	if got := m.Map(); len(got) != 3 || got["c"] != 2 {
		t.Fatalf("Map = %v", got)
	}
	if !(VClock{}).Merge(VClock{}).IsZero() {
		t.Fatal("merge of empty clocks is not empty")
	}
}

func TestFromMapRejectsBadIDs(t *testing.T) {
	long := string(make([]byte, MaxNodeIDLen+1))
	for _, m := range []map[string]uint64{{"": 1}, {long: 1}, {"\xff": 1}} {
		if _, err := FromMap(m); err == nil {
			t.Errorf("FromMap(%v) succeeded", m)
		}
	}
}

// randClock draws a clock over a small node alphabet so that clocks often
// share nodes and are often ordered.
func randClock(r *rand.Rand) VClock {
	nodes := []string{"a", "b", "c", "d", "e"}
	var v VClock
	for _, n := range nodes {
		if r.IntN(3) == 0 {
			continue
		}
		for range r.IntN(4) {
			v = v.Increment(n)
		}
	}
	return v
}

// Property tests with a fixed seed: merge forms a join semilattice and
// compare agrees with it.
func TestVClockProperties(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	counts := map[Ordering]int{}
	for i := range 5000 {
		a, b, c := randClock(r), randClock(r), randClock(r)
		ab, ba := a.Merge(b), b.Merge(a)
		if ab.Compare(ba) != Equal {
			t.Fatalf("#%d merge not commutative: %s vs %s", i, ab, ba)
		}
		if l, rr := ab.Merge(c), a.Merge(b.Merge(c)); l.Compare(rr) != Equal {
			t.Fatalf("#%d merge not associative: %s vs %s", i, l, rr)
		}
		if aa := a.Merge(a); aa.Compare(a) != Equal {
			t.Fatalf("#%d merge not idempotent: %s vs %s", i, aa, a)
		}
		if !ab.Descends(a) || !ab.Descends(b) {
			t.Fatalf("#%d merge(%s,%s)=%s does not descend both", i, a, b, ab)
		}
		x, y := a.Compare(b), b.Compare(a)
		counts[x]++
		want := map[Ordering]Ordering{Equal: Equal, Before: After, After: Before, Concurrent: Concurrent}[x]
		if y != want {
			t.Fatalf("#%d compare not antisymmetric: %s?%s=%v but reverse=%v", i, a, b, x, y)
		}
		if (x == Equal) != (a.String() == b.String()) {
			t.Fatalf("#%d Equal disagrees with canonical form: %s %s", i, a, b)
		}
		if a.Descends(b) && b.Descends(c) && !a.Descends(c) {
			t.Fatalf("#%d descends not transitive: %s %s %s", i, a, b, c)
		}
		if inc := a.Increment("b"); inc.Compare(a) != After {
			t.Fatalf("#%d increment not after: %s %s", i, inc, a)
		}
	}
	for _, o := range []Ordering{Equal, Before, After, Concurrent} {
		if counts[o] == 0 {
			t.Fatalf("generator never produced ordering %v: %v", o, counts)
		}
	}
}

func BenchmarkMerge(b *testing.B) {
	x := VClock{}.Increment("node-1").Increment("node-2").Increment("node-3")
	y := VClock{}.Increment("node-2").Increment("node-2").Increment("node-4")
	for b.Loop() {
		_ = x.Merge(y)
	}
}

func BenchmarkCompare(b *testing.B) {
	x := VClock{}.Increment("node-1").Increment("node-2").Increment("node-3")
	y := x.Increment("node-2")
	for b.Loop() {
		_ = x.Compare(y)
	}
}
