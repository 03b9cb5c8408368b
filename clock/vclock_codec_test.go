package clock

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
)

func TestBinaryGolden(t *testing.T) {
	v := VClock{}.Increment("b").Increment("a").Increment("b")
	got, err := v.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	want := []byte{2, 1, 'a', 1, 1, 'b', 2}
	if !bytes.Equal(got, want) {
		t.Fatalf("MarshalBinary = %v, want %v", got, want)
	}
	empty, _ := VClock{}.MarshalBinary()
	if !bytes.Equal(empty, []byte{0}) {
		t.Fatalf("empty encodes to %v", empty)
	}
}

func TestJSONGolden(t *testing.T) {
	v := VClock{}.Increment("n2").Increment("n1")
	got, err := json.Marshal(struct {
		V VClock `json:"v"`
	}{v})
	if err != nil {
		t.Fatal(err)
	}
	if string(got) != `{"v":{"n1":1,"n2":1}}` {
		t.Fatalf("json = %s", got)
	}
	var back VClock
	if err := json.Unmarshal([]byte(` {"n2":1 , "n1":1} `), &back); err != nil {
		t.Fatal(err)
	}
	if back.Compare(v) != Equal {
		t.Fatalf("decoded %s, want %s", back, v)
	}
	if err := json.Unmarshal([]byte(`null`), &back); err != nil || !back.IsZero() {
		t.Fatalf("null: %v %s", err, back)
	}
}

func TestRoundTripRandom(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	for range 500 {
		v := randClock(r)
		for n := range r.IntN(5) {
			for range r.IntN(3) + 1 {
				v = v.Increment(fmt.Sprintf("node-%d-é", n))
			}
		}
		b, err := v.MarshalBinary()
		if err != nil {
			t.Fatal(err)
		}
		var got VClock
		if err := got.UnmarshalBinary(b); err != nil || got.Compare(v) != Equal {
			t.Fatalf("binary round trip of %s: %v %s", v, err, got)
		}
		j, err := v.MarshalJSON()
		if err != nil {
			t.Fatal(err)
		}
		var gotJ VClock
		if err := gotJ.UnmarshalJSON(j); err != nil || gotJ.Compare(v) != Equal {
			t.Fatalf("json round trip of %s: %v %s", v, err, gotJ)
		}
	}
}

func TestUnmarshalBinaryRejects(t *testing.T) {
	tooMany := []byte{0x81, 0x08} // 1025 entries
	tests := []struct {
		name string
		in   []byte
		want error
	}{
		{"empty input", nil, ErrMalformed},
		{"truncated node", []byte{1, 5, 'a'}, ErrMalformed},
		{"missing counter", []byte{1, 1, 'a'}, ErrMalformed},
		{"trailing byte", []byte{1, 1, 'a', 1, 0}, ErrMalformed},
		{"zero counter", []byte{1, 1, 'a', 0}, ErrNotCanonical},
		{"unsorted", []byte{2, 1, 'b', 1, 1, 'a', 1}, ErrNotCanonical},
		{"duplicate", []byte{2, 1, 'a', 1, 1, 'a', 2}, ErrNotCanonical},
		{"empty node id", []byte{1, 0, 1}, ErrBadNodeID},
		{"node id too long", []byte{1, 0x80, 0x02}, ErrBadNodeID},
		{"invalid utf-8", []byte{1, 1, 0xff, 1}, ErrBadNodeID},
		{"non-minimal varint", []byte{0x81, 0x00}, ErrNotCanonical},
		{"too many entries", tooMany, ErrTooManyEntries},
		{"oversized input", make([]byte, MaxBinaryLen+1), ErrTooLarge},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v := VClock{}.Increment("keep")
			err := v.UnmarshalBinary(tt.in)
			if !errors.Is(err, tt.want) {
				t.Fatalf("err = %v, want %v", err, tt.want)
			}
			if v.String() != `{"keep":1}` {
				t.Fatalf("clock changed on error: %s", v)
			}
		})
	}
}

func TestUnmarshalJSONRejects(t *testing.T) {
	var many strings.Builder
	many.WriteByte('{')
	for i := range MaxEntries + 1 {
		if i > 0 {
			many.WriteByte(',')
		}
		fmt.Fprintf(&many, `"n%d":1`, i)
	}
	many.WriteByte('}')
	tests := []struct {
		name string
		in   string
		want error
	}{
		{"array", `[1]`, ErrMalformed},
		{"string counter", `{"a":"1"}`, ErrMalformed},
		{"negative", `{"a":-1}`, ErrMalformed},
		{"fraction", `{"a":1.5}`, ErrMalformed},
		{"zero", `{"a":0}`, ErrMalformed},
		{"overflow", `{"a":18446744073709551616}`, ErrMalformed},
		{"duplicate key", `{"a":1,"a":2}`, ErrNotCanonical},
		{"empty key", `{"":1}`, ErrBadNodeID},
		{"trailing", `{"a":1}x`, ErrMalformed},
		{"trailing object", `{"a":1}{}`, ErrMalformed},
		{"too many", many.String(), ErrTooManyEntries},
		{"oversized", strings.Repeat(" ", MaxJSONLen+1), ErrTooLarge},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var v VClock
			if err := v.UnmarshalJSON([]byte(tt.in)); !errors.Is(err, tt.want) {
				t.Fatalf("err = %v, want %v", err, tt.want)
			}
		})
	}
}

func TestMarshalRejectsInvalid(t *testing.T) {
	v := VClock{}.Increment("")
	if _, err := v.MarshalBinary(); !errors.Is(err, ErrBadNodeID) {
		t.Fatalf("MarshalBinary err = %v", err)
	}
	if _, err := v.MarshalJSON(); !errors.Is(err, ErrBadNodeID) {
		t.Fatalf("MarshalJSON err = %v", err)
	}
}

// FuzzUnmarshalBinary: the decoder never panics, and whatever it accepts
// re-encodes to the same bytes (the encoding is canonical).
func FuzzUnmarshalBinary(f *testing.F) {
	f.Add([]byte{2, 1, 'a', 1, 1, 'b', 2})
	f.Add([]byte{0})
	f.Add([]byte{1, 0x80, 0x02})
	f.Fuzz(func(t *testing.T, data []byte) {
		var v VClock
		if err := v.UnmarshalBinary(data); err != nil {
			return
		}
		out, err := v.MarshalBinary()
		if err != nil {
			t.Fatalf("accepted clock %s does not encode: %v", v, err)
		}
		if !bytes.Equal(out, data) {
			t.Fatalf("re-encoding differs: in %x out %x", data, out)
		}
	})
}

// FuzzUnmarshalJSON: the decoder never panics, and what it accepts
// round-trips.
func FuzzUnmarshalJSON(f *testing.F) {
	f.Add([]byte(`{"a":1,"b":2}`))
	f.Add([]byte(`{}`))
	f.Add([]byte(`null`))
	f.Fuzz(func(t *testing.T, data []byte) {
		var v VClock
		if err := v.UnmarshalJSON(data); err != nil {
			return
		}
		out, err := v.MarshalJSON()
		if err != nil {
			t.Fatalf("accepted clock %s does not encode: %v", v, err)
		}
		var back VClock
		if err := back.UnmarshalJSON(out); err != nil || back.Compare(v) != Equal {
			t.Fatalf("round trip of %s: %v %s", v, err, back)
		}
	})
}

func BenchmarkMarshalBinary(b *testing.B) {
	v := VClock{}.Increment("node-1").Increment("node-2").Increment("node-3")
	buf := make([]byte, 0, 64)
	for b.Loop() {
		buf, _ = v.AppendBinary(buf[:0])
	}
}
