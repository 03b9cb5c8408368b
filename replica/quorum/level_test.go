package quorum

import (
	"encoding/json"
	"testing"
)

func TestParseLevel(t *testing.T) {
	tests := []struct {
		in      string
		want    Level
		wantErr bool
	}{
		{"", Quorum, false},
		{"QUORUM", Quorum, false},
		{"quorum", Quorum, false},
		{" Strong ", Strong, false},
		{"eventual", Eventual, false},
		{"EvEnTuAl", Eventual, false},
		{"one", 0, true},
		{"all", 0, true},
		{"strong!", 0, true},
	}
	for _, tt := range tests {
		got, err := ParseLevel(tt.in)
		if (err != nil) != tt.wantErr || (!tt.wantErr && got != tt.want) {
			t.Errorf("ParseLevel(%q) = %v, %v", tt.in, got, err)
		}
	}
	var zero Level
	if zero != Quorum {
		t.Fatal("zero value is not the default QUORUM")
	}
}

func TestLevelText(t *testing.T) {
	var v struct {
		L Level `json:"l"`
	}
	if err := json.Unmarshal([]byte(`{"l":"strong"}`), &v); err != nil || v.L != Strong {
		t.Fatalf("unmarshal: %v %v", v.L, err)
	}
	b, err := json.Marshal(v)
	if err != nil || string(b) != `{"l":"STRONG"}` {
		t.Fatalf("marshal: %s %v", b, err)
	}
	if err := json.Unmarshal([]byte(`{"l":"maybe"}`), &v); err == nil {
		t.Fatal("bad level accepted")
	}
	if _, err := Level(9).MarshalText(); err == nil || Level(9).String() != "Level(9)" {
		t.Fatal("invalid level encoded")
	}
}

func TestWR(t *testing.T) {
	tests := []struct {
		n     int
		level Level
		w, r  int
	}{
		{3, Strong, 3, 3},
		{3, Quorum, 2, 2},
		{3, Eventual, 1, 1},
		{5, Quorum, 3, 3},
		{4, Quorum, 3, 3},
		{2, Quorum, 2, 2},
		{1, Quorum, 1, 1},
		{1, Strong, 1, 1},
		{0, Quorum, 1, 1}, // treated as 1
		{-2, Strong, 1, 1},
	}
	for _, tt := range tests {
		if w, r := W(tt.n, tt.level), R(tt.n, tt.level); w != tt.w || r != tt.r {
			t.Errorf("n=%d %v: W=%d R=%d, want %d %d", tt.n, tt.level, w, r, tt.w, tt.r)
		}
	}
}

// Read-your-writes: STRONG and QUORUM overlap with themselves and with
// each other; STRONG on either side overlaps with anything; EVENTUAL does
// not overlap with itself once n > 1.
func TestOverlaps(t *testing.T) {
	for n := 1; n <= 9; n++ {
		for _, w := range []Level{Strong, Quorum, Eventual} {
			for _, r := range []Level{Strong, Quorum, Eventual} {
				got := Overlaps(n, w, r)
				want := true
				switch {
				case n == 1 || r == Strong || w == Strong:
					want = true
				case w == Eventual && r == Eventual:
					want = false
				case w == Eventual || r == Eventual:
					want = n == 2 // a majority of 2 is both replicas
				}
				if got != want {
					t.Errorf("n=%d write %v read %v: overlaps %v, want %v", n, w, r, got, want)
				}
			}
		}
	}
}
