package hedge_test

import (
	"testing"
	"time"

	"github.com/distrisearch/distrisearch/index/hedge"
)

func TestDelayDefaultsUntilEnoughAnswers(t *testing.T) {
	tr := hedge.New(hedge.Config{MinSamples: 4, Default: 100 * time.Millisecond, Min: 10 * time.Millisecond, Max: time.Second})
	for range 3 {
		tr.Observe("a", 30*time.Millisecond)
	}
	if got := tr.Delay("a"); got != 100*time.Millisecond {
		t.Fatalf("3 answers: delay %v, want the default 100ms", got)
	}
	tr.Observe("a", 30*time.Millisecond)
	if got := tr.Delay("a"); got != 30*time.Millisecond {
		t.Fatalf("4 answers of 30ms: delay %v, want 30ms", got)
	}
	if got := tr.Delay("b"); got != 100*time.Millisecond {
		t.Fatalf("unknown node: delay %v, want the default", got)
	}
}

// TestDelayIsTheQuantile: with answers of 1..100 ms, p95 is 95 ms; a
// slow tail moves it, the bounds hold.
func TestDelayIsTheQuantile(t *testing.T) {
	tr := hedge.New(hedge.Config{Window: 100, MinSamples: 1, Quantile: 0.95, Min: time.Millisecond, Max: 10 * time.Second})
	for i := 100; i >= 1; i-- {
		tr.Observe("a", time.Duration(i)*time.Millisecond)
	}
	if got := tr.Delay("a"); got != 95*time.Millisecond {
		t.Fatalf("p95 of 1..100ms = %v, want 95ms", got)
	}
	// The window keeps the last 100: ten stalls of 5 s replace the
	// ten oldest (100..91 ms) and become the tail.
	for range 10 {
		tr.Observe("a", 5*time.Second)
	}
	if got := tr.Delay("a"); got != 5*time.Second {
		t.Fatalf("after 10 stalls of 5s in 100 answers: delay %v, want 5s", got)
	}
	bounded := hedge.New(hedge.Config{MinSamples: 1, Min: 20 * time.Millisecond, Max: 200 * time.Millisecond})
	bounded.Observe("fast", time.Millisecond)
	bounded.Observe("slow", time.Minute)
	if got := bounded.Delay("fast"); got != 20*time.Millisecond {
		t.Fatalf("fast node: %v, want the 20ms floor", got)
	}
	if got := bounded.Delay("slow"); got != 200*time.Millisecond {
		t.Fatalf("slow node: %v, want the 200ms ceiling", got)
	}
	bounded.Forget("slow")
	if got := bounded.Delay("slow"); got != 150*time.Millisecond {
		t.Fatalf("forgotten node: %v, want the default 150ms", got)
	}
}
