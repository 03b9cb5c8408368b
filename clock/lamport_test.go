package clock

import (
	"sync"
	"testing"
)

func TestLamport(t *testing.T) {
	var l Lamport
	steps := []struct {
		name   string
		op     func() uint64
		want   uint64
		wantAt uint64
	}{
		{"tick from zero", l.Tick, 1, 1},
		{"tick again", l.Tick, 2, 2},
		{"observe older", func() uint64 { return l.Observe(1) }, 3, 3},
		{"observe equal", func() uint64 { return l.Observe(3) }, 4, 4},
		{"observe newer", func() uint64 { return l.Observe(10) }, 11, 11},
		{"now does not advance", l.Now, 11, 11},
	}
	for _, s := range steps {
		if got := s.op(); got != s.want {
			t.Fatalf("%s: got %d, want %d", s.name, got, s.want)
		}
		if l.Now() != s.wantAt {
			t.Fatalf("%s: clock at %d, want %d", s.name, l.Now(), s.wantAt)
		}
	}
}

func TestNewLamportStartsAt(t *testing.T) {
	l := NewLamport(41)
	if got := l.Tick(); got != 42 {
		t.Fatalf("Tick = %d, want 42", got)
	}
}

// Concurrent Tick and Observe calls must each return a distinct time.
func TestLamportConcurrentUnique(t *testing.T) {
	var l Lamport
	const goroutines, per = 8, 500
	results := make([][]uint64, goroutines)
	var wg sync.WaitGroup
	for g := range goroutines {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range per {
				var v uint64
				if i%3 == 0 {
					v = l.Observe(uint64(i))
				} else {
					v = l.Tick()
				}
				results[g] = append(results[g], v)
			}
		}()
	}
	wg.Wait()
	seen := make(map[uint64]bool)
	for _, rs := range results {
		for i, v := range rs {
			if seen[v] {
				t.Fatalf("time %d returned twice", v)
			}
			seen[v] = true
			if i > 0 && v <= rs[i-1] {
				t.Fatalf("time went backwards in one goroutine: %d after %d", v, rs[i-1])
			}
		}
	}
}
