package version

import (
	"bytes"
	"errors"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/distrisearch/distrisearch"
	"github.com/distrisearch/distrisearch/clock"
)

func vc(t testing.TB, m map[string]uint64) clock.VClock {
	t.Helper()
	c, err := clock.FromMap(m)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func ts(wall int64) clock.Timestamp { return clock.Timestamp{Wall: wall} }

func TestCompare(t *testing.T) {
	a := Version{Clock: vc(t, map[string]uint64{"a": 1}), Stamp: ts(10), Writer: "a"}
	ab := Version{Clock: vc(t, map[string]uint64{"a": 1, "b": 1}), Stamp: ts(20), Writer: "b"}
	b := Version{Clock: vc(t, map[string]uint64{"b": 1}), Stamp: ts(15), Writer: "b"}
	sameClock := Version{Clock: a.Clock, Stamp: ts(11), Writer: "a"}
	for _, tc := range []struct {
		name string
		x, y Version
		want clock.Ordering
	}{
		{"equal", a, a, clock.Equal},
		{"before", a, ab, clock.Before},
		{"after", ab, a, clock.After},
		{"concurrent", a, b, clock.Concurrent},
		{"same clock, other stamp", a, sameClock, clock.Concurrent},
		{"zero before all", Version{}, a, clock.Before},
	} {
		if got := tc.x.Compare(tc.y); got != tc.want {
			t.Errorf("%s: got %v, want %v", tc.name, got, tc.want)
		}
	}
}

func TestCounterAndNext(t *testing.T) {
	base := Version{Clock: vc(t, map[string]uint64{"n1": 5_000_000_000_000})}
	// A timestamp far behind the base's counter still advances it.
	c := Counter(base.Clock, "n1", ts(1000), 0)
	if c != 5_000_000_000_001 {
		t.Fatalf("counter = %d", c)
	}
	// Two writes within one microsecond: the floor keeps them ordered.
	c1 := Counter(clock.VClock{}, "n2", clock.Timestamp{Wall: 1_000_500}, 0)
	c2 := Counter(clock.VClock{}, "n2", clock.Timestamp{Wall: 1_000_700}, c1)
	if c2 <= c1 {
		t.Fatalf("counters not increasing: %d then %d", c1, c2)
	}
	v1, err := Next(Version{}, "n2", ts(1_000_500), c1)
	if err != nil {
		t.Fatal(err)
	}
	v2, err := Next(Version{}, "n2", ts(1_000_700), c2)
	if err != nil {
		t.Fatal(err)
	}
	// Blind writes by one node are ordered, not concurrent.
	if got := v1.Compare(v2); got != clock.Before {
		t.Fatalf("blind writes by one node: %v", got)
	}
	if _, err := Next(v2, "n2", ts(1), c2); err == nil {
		t.Fatal("Next accepted a counter that does not advance")
	}
}

func put(t testing.TB, key string, m map[string]uint64, wall int64, writer, value string) Envelope {
	return Envelope{Key: key, Version: Version{Clock: vc(t, m), Stamp: ts(wall), Writer: writer}, Value: []byte(value)}
}

func del(t testing.TB, key string, m map[string]uint64, wall int64, writer string) Envelope {
	return Envelope{Key: key, Version: Version{Clock: vc(t, m), Stamp: ts(wall), Writer: writer}, Tombstone: true, DeletedAt: time.Unix(0, wall).UTC()}
}

func TestResolve(t *testing.T) {
	old := put(t, "k", map[string]uint64{"a": 1}, 10, "a", "v1")
	newer := put(t, "k", map[string]uint64{"a": 2}, 20, "a", "v2")
	concB := put(t, "k", map[string]uint64{"a": 1, "b": 1}, 30, "b", "vb")
	concC := put(t, "k", map[string]uint64{"a": 1, "c": 1}, 25, "c", "vc")
	tomb := del(t, "k", map[string]uint64{"a": 3}, 5, "a") // causally newer, older wall clock
	concTomb := del(t, "k", map[string]uint64{"a": 1, "d": 1}, 40, "d")
	for _, tc := range []struct {
		name        string
		x, y        Envelope
		value       string
		tombstone   bool
		merged      bool
		overwritten bool
		writer      string
	}{
		{"newer wins", old, newer, "v2", false, false, false, "a"},
		{"newer wins reversed", newer, old, "v2", false, false, false, "a"},
		{"equal", old, old, "v1", false, false, false, "a"},
		{"concurrent: larger HLC wins and is counted", concB, concC, "vb", false, true, true, "b"},
		{"tombstone beats older put despite older wall clock", newer, tomb, "", true, false, false, "a"},
		{"concurrent delete wins by HLC", concB, concTomb, "", true, true, true, "d"},
		{"concurrent put beats older delete by HLC", concTomb, put(t, "k", map[string]uint64{"a": 1, "e": 1}, 50, "e", "ve"), "ve", false, true, true, "e"},
		{"concurrent equal puts", concB, Envelope{Key: "k", Version: Version{Clock: concC.Version.Clock, Stamp: ts(99), Writer: "c"}, Value: []byte("vb")}, "vb", false, true, false, "c"},
	} {
		for _, swap := range []bool{false, true} {
			x, y := tc.x, tc.y
			if swap {
				x, y = y, x
			}
			out, err := Resolve(x, y, nil)
			if err != nil {
				t.Fatalf("%s: %v", tc.name, err)
			}
			r := out.Result
			if string(r.Value) != tc.value || r.Tombstone != tc.tombstone || out.Merged != tc.merged || out.Overwritten != tc.overwritten || r.Version.Writer != tc.writer {
				t.Errorf("%s (swap %v): got value %q tomb %v merged %v overwritten %v writer %q", tc.name, swap, r.Value, r.Tombstone, out.Merged, out.Overwritten, r.Version.Writer)
			}
			if out.Merged {
				if r.Version.Compare(x.Version) != clock.After || r.Version.Compare(y.Version) != clock.After {
					t.Errorf("%s: merge %v does not descend from both inputs", tc.name, r.Version)
				}
			}
		}
	}
	if _, err := Resolve(old, put(t, "other", nil, 1, "a", ""), nil); !errors.Is(err, ErrKeyMismatch) {
		t.Fatalf("key mismatch: %v", err)
	}
}

func rec(title string, tags []string, meta map[string]string) []byte {
	b, err := EncodeRecord(RecordValue{Record: distrisearch.Record{NodeID: "n", Share: "s", Path: "p", Title: title, Meta: meta}, Tags: tags})
	if err != nil {
		panic(err)
	}
	return b
}

func TestRecordResolver(t *testing.T) {
	a := Envelope{Key: "k", Version: Version{Clock: vc(t, map[string]uint64{"x": 1, "a": 1}), Stamp: ts(10), Writer: "a"},
		Value: rec("from a", []string{"base", "left"}, map[string]string{"m1": "a", "shared": "a"})}
	b := Envelope{Key: "k", Version: Version{Clock: vc(t, map[string]uint64{"x": 1, "b": 1}), Stamp: ts(20), Writer: "b"},
		Value: rec("from b", []string{"right", "base"}, map[string]string{"m2": "b", "shared": "b"})}
	out, err := Resolve(a, b, RecordResolver{})
	if err != nil {
		t.Fatal(err)
	}
	got, err := DecodeRecord(out.Result.Value)
	if err != nil {
		t.Fatal(err)
	}
	if got.Record.Title != "from b" {
		t.Errorf("title %q, want the later write's", got.Record.Title)
	}
	if want := []string{"base", "left", "right"}; !slices.Equal(got.Tags, want) {
		t.Errorf("tags %v, want %v", got.Tags, want)
	}
	if want := map[string]string{"m1": "a", "m2": "b", "shared": "b"}; !equalMaps(got.Record.Meta, want) {
		t.Errorf("meta %v, want %v", got.Record.Meta, want)
	}
	if !out.Overwritten || out.Lost.Compare(a.Version) != clock.Equal {
		t.Errorf("overwrite not reported: %+v", out)
	}
	// Only set fields differ: merged, nothing overwritten.
	c := b
	c.Version = Version{Clock: vc(t, map[string]uint64{"x": 1, "c": 1}), Stamp: ts(5), Writer: "c"}
	c.Value = rec("from b", []string{"extra"}, map[string]string{"m3": "c"})
	out, err = Resolve(b, c, RecordResolver{})
	if err != nil {
		t.Fatal(err)
	}
	if out.Overwritten || !out.Merged {
		t.Errorf("set-only merge: %+v", out)
	}
}

func equalMaps(a, b map[string]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}

// randomEnvelope draws a put or delete of key "k" from a small space, so
// that equal, ordered and concurrent pairs all occur.
func randomEnvelope(r *rand.Rand) Envelope {
	m := map[string]uint64{}
	for _, n := range []string{"a", "b", "c"} {
		if c := r.IntN(3); c > 0 {
			m[n] = uint64(c)
		}
	}
	if len(m) == 0 {
		m["a"] = 1
	}
	c, _ := clock.FromMap(m)
	writers := []string{"a", "b", "c"}
	e := Envelope{Key: "k", Version: Version{Clock: c, Stamp: ts(int64(r.IntN(4))), Writer: writers[r.IntN(3)]}}
	if r.IntN(5) == 0 {
		e.Tombstone = true
		e.DeletedAt = time.Unix(0, int64(r.IntN(4)+1)).UTC()
		return e
	}
	var tags []string
	for _, t := range []string{"t1", "t2", "t3"} {
		if r.IntN(2) == 0 {
			tags = append(tags, t)
		}
	}
	e.Value = rec([]string{"x", "y"}[r.IntN(2)], tags, map[string]string{"k" + string(rune('0'+r.IntN(3))): "v"})
	return e
}

// TestResolveProperties checks commutativity and idempotence of Resolve
// over many random pairs, and that a merge descends from both sides.
func TestResolveProperties(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for i := range 20000 {
		a, b := randomEnvelope(r), randomEnvelope(r)
		checkProperties(t, i, a, b)
	}
}

func checkProperties(t *testing.T, i int, a, b Envelope) {
	t.Helper()
	ab, err := Resolve(a, b, RecordResolver{})
	if err != nil {
		t.Fatal(err)
	}
	ba, err := Resolve(b, a, RecordResolver{})
	if err != nil {
		t.Fatal(err)
	}
	if !ab.Result.Equal(ba.Result) {
		t.Fatalf("case %d: not commutative:\n a=%+v\n b=%+v\n ab=%+v\n ba=%+v", i, a, b, ab.Result, ba.Result)
	}
	if ab.Overwritten != ba.Overwritten {
		t.Fatalf("case %d: overwrite report depends on argument order", i)
	}
	for _, x := range []Envelope{a, b, ab.Result} {
		again, err := Resolve(ab.Result, x, RecordResolver{})
		if err != nil {
			t.Fatal(err)
		}
		if !again.Result.Equal(ab.Result) || again.Overwritten {
			t.Fatalf("case %d: not idempotent: resolving the result with %+v gave %+v", i, x, again)
		}
	}
	if ab.Merged && !a.Tombstone && !b.Tombstone && !ab.Result.Tombstone {
		got, _ := DecodeRecord(ab.Result.Value)
		ra, _ := DecodeRecord(a.Value)
		rb, _ := DecodeRecord(b.Value)
		for _, tag := range append(ra.Tags, rb.Tags...) {
			if !slices.Contains(got.Tags, tag) {
				t.Fatalf("case %d: tag %q lost in merge", i, tag)
			}
		}
	}
}

func TestEnvelopeCodec(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	for range 1000 {
		e := randomEnvelope(r)
		b, err := e.MarshalBinary()
		if err != nil {
			t.Fatal(err)
		}
		var got Envelope
		if err := got.UnmarshalBinary(b); err != nil {
			t.Fatal(err)
		}
		if !got.Equal(e) || !got.DeletedAt.Equal(e.DeletedAt) {
			t.Fatalf("round trip: %+v != %+v", got, e)
		}
		d1, _ := e.Digest()
		d2, _ := got.Digest()
		if d1 != d2 {
			t.Fatal("digest changed in a round trip")
		}
	}
	for _, bad := range []Envelope{{}, {Key: string(make([]byte, MaxKeyLen+1))}, {Key: "k", Tombstone: true, Value: []byte("x")}} {
		if _, err := bad.MarshalBinary(); err == nil {
			t.Errorf("encoded invalid envelope %+v", bad)
		}
	}
}

func FuzzEnvelopeDecode(f *testing.F) {
	r := rand.New(rand.NewPCG(5, 6))
	for range 8 {
		b, _ := randomEnvelope(r).MarshalBinary()
		f.Add(b)
	}
	f.Add([]byte{1, 0xff, 0xff, 0xff, 0xff, 0x0f})
	f.Fuzz(func(t *testing.T, data []byte) {
		var e Envelope
		if err := e.UnmarshalBinary(data); err != nil {
			return
		}
		b, err := e.MarshalBinary()
		if err != nil {
			t.Fatalf("decoded envelope does not encode: %v", err)
		}
		var again Envelope
		if err := again.UnmarshalBinary(b); err != nil || !again.Equal(e) {
			t.Fatalf("re-decode: %v", err)
		}
	})
}

// FuzzResolve checks commutativity and idempotence on fuzzed seeds.
func FuzzResolve(f *testing.F) {
	f.Add(uint64(1), uint64(2))
	f.Add(uint64(7), uint64(7))
	f.Fuzz(func(t *testing.T, s1, s2 uint64) {
		r := rand.New(rand.NewPCG(s1, s2))
		checkProperties(t, 0, randomEnvelope(r), randomEnvelope(r))
	})
}

func TestBytesResolver(t *testing.T) {
	v, ow, _ := Bytes{}.Merge([]byte("a"), []byte("a"))
	if ow || !bytes.Equal(v, []byte("a")) {
		t.Fatal("equal values reported overwritten")
	}
}
