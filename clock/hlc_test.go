package clock

import (
	"bytes"
	"errors"
	"math"
	"testing"
	"time"
)

// fakeTime is a settable physical clock.
type fakeTime struct{ t time.Time }

func (f *fakeTime) Now() time.Time { return f.t }

func newHLC(t *testing.T, ft *fakeTime, maxOffset time.Duration) *HLC {
	t.Helper()
	h, err := NewHLC(HLCConfig{Now: ft.Now, MaxOffset: maxOffset})
	if err != nil {
		t.Fatal(err)
	}
	return h
}

func TestHLCConfigValidate(t *testing.T) {
	if err := (HLCConfig{}).Validate(); err == nil {
		t.Fatal("missing Now accepted")
	}
	if err := (HLCConfig{Now: time.Now, MaxOffset: -1}).Validate(); err == nil {
		t.Fatal("negative MaxOffset accepted")
	}
	if err := DefaultHLCConfig(time.Now).Validate(); err != nil {
		t.Fatal(err)
	}
	if _, err := NewHLC(HLCConfig{}); err == nil {
		t.Fatal("NewHLC accepted an invalid config")
	}
}

func TestHLCNow(t *testing.T) {
	base := time.Unix(1000, 0)
	ft := &fakeTime{t: base}
	h := newHLC(t, ft, 0)
	w := base.UnixNano()
	steps := []struct {
		name    string
		advance time.Duration
		want    Timestamp
	}{
		{"first reading", 0, Timestamp{w, 0}},
		{"same physical time", 0, Timestamp{w, 1}},
		{"physical time moves", time.Second, Timestamp{w + 1e9, 0}},
		{"physical time goes backwards", -2 * time.Second, Timestamp{w + 1e9, 1}},
		{"still behind", 0, Timestamp{w + 1e9, 2}},
		{"catches up", 3 * time.Second, Timestamp{w + 2e9, 0}},
	}
	for _, s := range steps {
		ft.t = ft.t.Add(s.advance)
		if got := h.Now(); got != s.want {
			t.Fatalf("%s: Now = %v, want %v", s.name, got, s.want)
		}
	}
	if h.Last() != (Timestamp{w + 2e9, 0}) {
		t.Fatalf("Last = %v", h.Last())
	}
}

func TestHLCUpdate(t *testing.T) {
	base := time.Unix(1000, 0)
	w := base.UnixNano()
	tests := []struct {
		name   string
		last   Timestamp // state before the update (via Restore)
		pt     int64     // physical time
		remote Timestamp
		want   Timestamp
	}{
		{"physical time ahead of both", Timestamp{w - 10, 5}, w, Timestamp{w - 5, 9}, Timestamp{w, 0}},
		{"remote ahead", Timestamp{w, 3}, w, Timestamp{w + 50, 7}, Timestamp{w + 50, 8}},
		{"local ahead", Timestamp{w + 50, 3}, w, Timestamp{w + 10, 7}, Timestamp{w + 50, 4}},
		{"same wall, remote logical larger", Timestamp{w + 50, 3}, w, Timestamp{w + 50, 7}, Timestamp{w + 50, 8}},
		{"same wall, local logical larger", Timestamp{w + 50, 9}, w, Timestamp{w + 50, 7}, Timestamp{w + 50, 10}},
		{"physical equals remote", Timestamp{w - 10, 0}, w, Timestamp{w, 4}, Timestamp{w, 5}},
		{"logical overflow advances wall", Timestamp{w + 50, math.MaxUint32}, w, Timestamp{w + 50, 1}, Timestamp{w + 51, 0}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ft := &fakeTime{t: time.Unix(0, tt.pt)}
			h := newHLC(t, ft, 0)
			h.Restore(tt.last)
			got, err := h.Update(tt.remote)
			if err != nil {
				t.Fatal(err)
			}
			if got != tt.want {
				t.Fatalf("Update = %v, want %v", got, tt.want)
			}
			if !tt.remote.Before(got) || !tt.last.Before(got) {
				t.Fatalf("Update %v not after both inputs", got)
			}
		})
	}
}

func TestHLCRejectsSkew(t *testing.T) {
	ft := &fakeTime{t: time.Unix(1000, 0)}
	h := newHLC(t, ft, time.Second)
	before := h.Now()
	far := Timestamp{Wall: ft.t.Add(2 * time.Second).UnixNano()}
	if _, err := h.Update(far); !errors.Is(err, ErrClockSkew) {
		t.Fatalf("err = %v, want ErrClockSkew", err)
	}
	if h.Last() != before {
		t.Fatalf("clock moved on a rejected update: %v", h.Last())
	}
	near := Timestamp{Wall: ft.t.Add(time.Second).UnixNano()}
	if got, err := h.Update(near); err != nil || got != near.next() {
		t.Fatalf("Update at the offset bound = %v, %v", got, err)
	}
}

func TestTimestampEncoding(t *testing.T) {
	ts := []Timestamp{{-5, 0}, {0, 0}, {0, 1}, {1, 0}, {1 << 40, 3}, {math.MaxInt64, math.MaxUint32}}
	var prev []byte
	for i, x := range ts {
		b, err := x.MarshalBinary()
		if err != nil || len(b) != TimestampLen {
			t.Fatalf("MarshalBinary(%v) = %x, %v", x, b, err)
		}
		var back Timestamp
		if err := back.UnmarshalBinary(b); err != nil || back != x {
			t.Fatalf("round trip of %v = %v, %v", x, back, err)
		}
		if i > 0 && bytes.Compare(prev, b) >= 0 {
			t.Fatalf("encoding order broken between %v and %v", ts[i-1], x)
		}
		prev = b
	}
	var x Timestamp
	if err := x.UnmarshalBinary(make([]byte, 11)); !errors.Is(err, ErrMalformed) {
		t.Fatalf("short input: %v", err)
	}
	if got := (Timestamp{Wall: 1e9, Logical: 2}).String(); got != "1000000000.2" {
		t.Fatalf("String = %s", got)
	}
	if !(Timestamp{}).IsZero() || !(Timestamp{Wall: 1e9}).Time().Equal(time.Unix(1, 0)) {
		t.Fatal("IsZero/Time wrong")
	}
}

func BenchmarkHLCNow(b *testing.B) {
	ft := &fakeTime{t: time.Unix(1000, 0)}
	h, _ := NewHLC(HLCConfig{Now: ft.Now})
	for b.Loop() {
		h.Now()
	}
}
