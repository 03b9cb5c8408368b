// Package hedge decides when a distributed search sends a hedged request:
// the same partitions asked of another replica because the first one has
// not answered yet (Dean and Barroso, "The Tail at Scale", 2013). A
// Tracker keeps the recent answer times of every node and sets the hedge
// delay at their 95th percentile, so that about one request in twenty is
// hedged when nodes are healthy, and a node that stalls costs a search
// only that delay instead of its deadline.
//
// The package is pure: durations come in through Observe, none is read
// from a clock. A Tracker is safe for concurrent use.
package hedge

import (
	"slices"
	"sync"
	"time"
)

// Config bounds the delay.
type Config struct {
	// Window is how many recent answers of a node are kept.
	Window int
	// MinSamples is how many answers a node needs before its own
	// percentile is used; until then the delay is Default.
	MinSamples int
	// Quantile of the recent answer times the delay is set at.
	Quantile float64
	// Default is the delay of a node without enough answers.
	Default time.Duration
	// Min and Max bound every delay: a hedge never goes out sooner than
	// Min (so a fast cluster is not asked twice for every search) nor
	// later than Max.
	Min, Max time.Duration
}

// DefaultConfig returns the production settings: p95 of the last 64
// answers, between 20 ms and 1 s, 150 ms until 8 answers are known.
func DefaultConfig() Config {
	return Config{Window: 64, MinSamples: 8, Quantile: 0.95,
		Default: 150 * time.Millisecond, Min: 20 * time.Millisecond, Max: time.Second}
}

// Tracker keeps recent answer times per node.
type Tracker struct {
	cfg   Config
	mu    sync.Mutex
	nodes map[string]*ring
}

type ring struct {
	d    []time.Duration
	next int
}

// New returns a Tracker; zero fields of cfg take DefaultConfig's values.
func New(cfg Config) *Tracker {
	d := DefaultConfig()
	if cfg.Window <= 0 {
		cfg.Window = d.Window
	}
	if cfg.MinSamples <= 0 {
		cfg.MinSamples = d.MinSamples
	}
	if cfg.Quantile <= 0 || cfg.Quantile > 1 {
		cfg.Quantile = d.Quantile
	}
	if cfg.Default <= 0 {
		cfg.Default = d.Default
	}
	if cfg.Min <= 0 {
		cfg.Min = d.Min
	}
	if cfg.Max < cfg.Min {
		cfg.Max = max(d.Max, cfg.Min)
	}
	cfg.MinSamples = min(cfg.MinSamples, cfg.Window)
	return &Tracker{cfg: cfg, nodes: map[string]*ring{}}
}

// Observe records that node answered after d.
func (t *Tracker) Observe(node string, d time.Duration) {
	if d < 0 {
		d = 0
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	r := t.nodes[node]
	if r == nil {
		r = &ring{}
		t.nodes[node] = r
	}
	if len(r.d) < t.cfg.Window {
		r.d = append(r.d, d)
		return
	}
	r.d[r.next] = d
	r.next = (r.next + 1) % t.cfg.Window
}

// Delay returns how long to wait for node before hedging.
func (t *Tracker) Delay(node string) time.Duration {
	t.mu.Lock()
	var sorted []time.Duration
	if r := t.nodes[node]; r != nil && len(r.d) >= t.cfg.MinSamples {
		sorted = slices.Clone(r.d)
	}
	t.mu.Unlock()
	if sorted == nil {
		return clamp(t.cfg.Default, t.cfg.Min, t.cfg.Max)
	}
	slices.Sort(sorted)
	i := int(t.cfg.Quantile*float64(len(sorted))+0.5) - 1
	i = max(0, min(i, len(sorted)-1))
	return clamp(sorted[i], t.cfg.Min, t.cfg.Max)
}

// Forget drops node's answers (it left the cluster).
func (t *Tracker) Forget(node string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	delete(t.nodes, node)
}

func clamp(d, lo, hi time.Duration) time.Duration {
	return max(lo, min(d, hi))
}
