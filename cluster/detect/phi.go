package detect

import (
	"math"
	"time"
)

// history is a bounded window of heartbeat intervals in milliseconds with
// their mean and standard deviation, recomputed exactly on each change
// (the window is small, and running sums would drift).
type history struct {
	buf  []float64 // ring buffer, len = MaxSampleSize
	n    int       // samples held
	next int       // slot of the next sample
	mean float64
	std  float64
}

func newHistory(size int, estimate time.Duration) *history {
	h := &history{buf: make([]float64, size)}
	// Seed as Akka does: two intervals around the estimate giving
	// mean = estimate and deviation = estimate/4.
	est := ms(estimate)
	h.add(est - est/4)
	h.add(est + est/4)
	return h
}

func (h *history) add(interval float64) {
	h.buf[h.next] = interval
	h.next = (h.next + 1) % len(h.buf)
	if h.n < len(h.buf) {
		h.n++
	}
	var sum float64
	for _, x := range h.buf[:h.n] {
		sum += x
	}
	h.mean = sum / float64(h.n)
	var sq float64
	for _, x := range h.buf[:h.n] {
		d := x - h.mean
		sq += d * d
	}
	h.std = math.Sqrt(sq / float64(h.n))
}

// phi returns φ for a silence of elapsed milliseconds, given the interval
// distribution's mean and standard deviation. It uses the logistic
// approximation of the normal CDF from Akka's detector, in log space so
// that it stays finite for any finite silence:
//
//	y = (elapsed - mean) / std
//	a = y * (1.5976 + 0.070566 y²)        (P(later) ≈ 1/(1+e^a))
//	φ = -log10(P(later)) = log10(1 + e^a)
func phi(elapsed, mean, std float64) float64 {
	y := (elapsed - mean) / std
	a := y * (1.5976 + 0.070566*y*y)
	if a > 0 {
		return (a + math.Log1p(math.Exp(-a))) / math.Ln10
	}
	return math.Log1p(math.Exp(a)) / math.Ln10
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
