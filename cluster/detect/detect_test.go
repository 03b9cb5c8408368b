package detect

import (
	"fmt"
	"math"
	"math/rand/v2"
	"strings"
	"testing"
	"time"
)

var t0 = time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)

func newDetector(t testing.TB, cfg Config, start time.Time) *Detector {
	t.Helper()
	d, err := New(cfg, start)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func TestConfigValidate(t *testing.T) {
	if err := DefaultConfig().Validate(); err != nil {
		t.Fatalf("default config invalid: %v", err)
	}
	tests := []struct {
		name   string
		mutate func(*Config)
		want   string
	}{
		{"zero threshold", func(c *Config) { c.Threshold = 0 }, "threshold"},
		{"NaN threshold", func(c *Config) { c.Threshold = math.NaN() }, "threshold"},
		{"no samples", func(c *Config) { c.MaxSampleSize = 0 }, "sample size"},
		{"huge window", func(c *Config) { c.MaxSampleSize = MaxSampleLimit + 1 }, "sample size"},
		{"zero min std", func(c *Config) { c.MinStdDeviation = 0 }, "std deviation"},
		{"negative pause", func(c *Config) { c.AcceptableHeartbeatPause = -1 }, "pause"},
		{"zero estimate", func(c *Config) { c.FirstHeartbeatEstimate = 0 }, "estimate"},
		{"negative dead after", func(c *Config) { c.DeadAfter = -1 }, "dead after"},
		{"negative grace", func(c *Config) { c.StartupGrace = -1 }, "grace"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := DefaultConfig()
			tt.mutate(&c)
			err := c.Validate()
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("Validate = %v, want an error about %q", err, tt.want)
			}
			if _, err := New(c, t0); err == nil {
				t.Fatal("New accepted an invalid config")
			}
		})
	}
}

func TestPhiFunction(t *testing.T) {
	const mean, std = 1000.0, 100.0
	tests := []struct {
		elapsed  float64
		min, max float64
	}{
		{0, 0, 1e-6},                         // far earlier than expected
		{mean, math.Log10(2), math.Log10(2)}, // P(later) = 1/2 at the mean
		{mean + 2*std, 1.5, 2.0},             // ~2.3% of intervals are longer
		{mean + 5.2*std, 7.8, 8.0},           // the default threshold lies near 5.2σ
		{mean + 5.3*std, 8.0, 8.4},
		{mean + 1000*std, 3e7, math.Inf(1)}, // finite, huge
	}
	prev := -1.0
	for _, tt := range tests {
		got := phi(tt.elapsed, mean, std)
		if got < tt.min-1e-9 || got > tt.max+1e-9 || math.IsInf(got, 0) || math.IsNaN(got) {
			t.Errorf("phi(%v) = %v, want in [%v, %v] and finite", tt.elapsed, got, tt.min, tt.max)
		}
		if got < prev {
			t.Errorf("phi not monotonic at %v", tt.elapsed)
		}
		prev = got
	}
}

// beat sends heartbeats from node every interval (plus jitter drawn from
// r, if any) for n beats starting at start, evaluating every tick in
// between, and returns the last heartbeat time and all transitions seen.
func beat(d *Detector, node string, start time.Time, n int, interval, jitter, tick time.Duration, r *rand.Rand) (time.Time, []Transition) {
	var trs []Transition
	at := start
	next := start
	for i := range n {
		if i > 0 {
			j := time.Duration(0)
			if jitter > 0 {
				j = time.Duration(r.Int64N(int64(2*jitter))) - jitter
			}
			next = at.Add(interval + j)
			for e := at.Add(tick); e.Before(next); e = e.Add(tick) {
				trs = append(trs, d.Evaluate(e)...)
			}
		}
		if tr, ok := d.Heartbeat(node, next); ok {
			trs = append(trs, tr)
		}
		at = next
	}
	return at, trs
}

// silence evaluates every tick after last for up to limit and returns the
// times (since last) of the first SUSPECT and DEAD transitions of node.
func silence(t testing.TB, d *Detector, node string, last time.Time, tick, limit time.Duration) (suspect, dead time.Duration) {
	t.Helper()
	for e := last.Add(tick); e.Sub(last) <= limit; e = e.Add(tick) {
		for _, tr := range d.Evaluate(e) {
			if tr.Node != node {
				continue
			}
			switch tr.To {
			case Suspect:
				suspect = e.Sub(last)
			case Dead:
				dead = e.Sub(last)
				return suspect, dead
			}
		}
	}
	t.Fatalf("%s not declared dead within %v", node, limit)
	return 0, 0
}

// The acceptance figure: with default settings and a heartbeat every
// second, a killed node is SUSPECT and then DEAD within 5 s of its last
// heartbeat, and a live node with realistic jitter is never suspected.
// The detector is evaluated every 100 ms of synthetic time.
func TestKilledNodeDetectedWithinFiveSeconds(t *testing.T) {
	const tick = 100 * time.Millisecond
	for _, jitter := range []time.Duration{0, 50 * time.Millisecond, 200 * time.Millisecond, 500 * time.Millisecond} {
		t.Run(fmt.Sprintf("jitter±%v", jitter), func(t *testing.T) {
			r := rand.New(rand.NewPCG(7, uint64(jitter)))
			d := newDetector(t, DefaultConfig(), t0)
			last, trs := beat(d, "n1", t0, 300, time.Second, jitter, tick, r)
			if len(trs) != 0 {
				t.Fatalf("live node had transitions: %+v", trs)
			}
			suspect, dead := silence(t, d, "n1", last, tick, 30*time.Second)
			t.Logf("jitter ±%v: SUSPECT after %v, DEAD after %v of silence", jitter, suspect, dead)
			if suspect < 2*time.Second {
				t.Errorf("suspected after only %v: too eager", suspect)
			}
			if dead > 5*time.Second {
				t.Errorf("DEAD after %v, want ≤ 5s", dead)
			}
			if dead-suspect < DefaultConfig().DeadAfter {
				t.Errorf("DEAD %v after SUSPECT, want ≥ DeadAfter", dead-suspect)
			}
		})
	}
}

func TestExpectedDetectionMatchesSimulation(t *testing.T) {
	cfg := DefaultConfig()
	wantSuspect, wantDead := cfg.ExpectedDetection(time.Second)
	t.Logf("expected: SUSPECT after %v, DEAD after %v", wantSuspect, wantDead)
	if wantDead > 5*time.Second {
		t.Fatalf("defaults give %v to DEAD, want ≤ 5s", wantDead)
	}
	const tick = 10 * time.Millisecond
	d := newDetector(t, cfg, t0)
	last, _ := beat(d, "n1", t0, cfg.MaxSampleSize+10, time.Second, 0, time.Second, nil)
	suspect, dead := silence(t, d, "n1", last, tick, 30*time.Second)
	if diff := suspect - wantSuspect; diff < 0 || diff > tick {
		t.Fatalf("simulated SUSPECT %v, expected %v", suspect, wantSuspect)
	}
	if diff := dead - wantDead; diff < 0 || diff > 2*tick {
		t.Fatalf("simulated DEAD %v, expected %v", dead, wantDead)
	}
}

func TestStartupGrace(t *testing.T) {
	cfg := DefaultConfig()
	d := newDetector(t, cfg, t0)
	d.Track("silent", t0)
	d.Track("talker", t0)
	graceEnd := t0.Add(cfg.StartupGrace)
	// talker heartbeats every second; evaluate every 250 ms for 10 s.
	var silentSuspect time.Time
	for at := t0; at.Before(t0.Add(10 * time.Second)); at = at.Add(250 * time.Millisecond) {
		if at.Sub(t0)%time.Second == 0 {
			d.Heartbeat("talker", at)
		}
		for _, tr := range d.Evaluate(at) {
			if tr.Node == "talker" || at.Before(graceEnd) {
				t.Fatalf("unexpected transition at %v: %+v", at.Sub(t0), tr)
			}
			if tr.To == Suspect {
				silentSuspect = at
			}
		}
	}
	if !silentSuspect.Equal(graceEnd) {
		t.Fatalf("silent node suspected at %v, want when the grace ended (%v)", silentSuspect.Sub(t0), cfg.StartupGrace)
	}

	// Step by step for the silent node on a fresh detector.
	d = newDetector(t, cfg, t0)
	d.Track("silent", t0)
	steps := []struct {
		at   time.Duration
		want Status
	}{
		{1 * time.Second, Alive},
		{cfg.StartupGrace - time.Millisecond, Alive}, // φ is high, but the grace holds
		{cfg.StartupGrace, Suspect},
		{cfg.StartupGrace + cfg.DeadAfter - time.Millisecond, Suspect},
		{cfg.StartupGrace + cfg.DeadAfter, Dead},
	}
	for _, s := range steps {
		d.Evaluate(t0.Add(s.at))
		if got, _ := d.Status("silent"); got != s.want {
			t.Fatalf("at %v: status %v, want %v (φ=%.1f)", s.at, got, s.want, d.Phi("silent", t0.Add(s.at)))
		}
	}
}

// A node that joins after the grace gets the first-heartbeat estimate, so
// it is not suspected before it could have sent its first heartbeats.
func TestTrackedLateNodeGetsTime(t *testing.T) {
	cfg := DefaultConfig()
	d := newDetector(t, cfg, t0)
	join := t0.Add(time.Minute)
	d.Track("new", join)
	if trs := d.Evaluate(join.Add(2 * time.Second)); len(trs) != 0 {
		t.Fatalf("new node suspected 2s after joining: %+v", trs)
	}
	d.Heartbeat("new", join.Add(2*time.Second))
	if trs := d.Evaluate(join.Add(3 * time.Second)); len(trs) != 0 {
		t.Fatalf("transitions after first heartbeat: %+v", trs)
	}
}

func TestRecoveryAndOutlierInterval(t *testing.T) {
	cfg := DefaultConfig()
	d := newDetector(t, cfg, t0)
	last, _ := beat(d, "n1", t0, 20, time.Second, 0, time.Second, nil)
	before := d.Snapshot(last)[0]
	if before.Samples != 2+19 {
		t.Fatalf("samples = %d, want 21", before.Samples)
	}
	d.Evaluate(last.Add(5 * time.Second))
	d.Evaluate(last.Add(10 * time.Second))
	if s, _ := d.Status("n1"); s != Dead {
		t.Fatalf("status after 10s of silence = %v", s)
	}
	back := last.Add(60 * time.Second)
	tr, ok := d.Heartbeat("n1", back)
	if !ok || tr.From != Dead || tr.To != Alive || !tr.At.Equal(back) {
		t.Fatalf("Heartbeat transition = %+v, %v", tr, ok)
	}
	after := d.Snapshot(back)[0]
	if after.Samples != before.Samples {
		t.Fatalf("the 60s outage was added as a sample (%d → %d)", before.Samples, after.Samples)
	}
	// Detection after the outage is as fast as before it.
	last, _ = beat(d, "n1", back, 5, time.Second, 0, time.Second, nil)
	_, dead := silence(t, d, "n1", last, 100*time.Millisecond, 30*time.Second)
	if dead > 5*time.Second {
		t.Fatalf("DEAD after %v once recovered, want ≤ 5s", dead)
	}
}

func TestStaleHeartbeatIgnored(t *testing.T) {
	d := newDetector(t, DefaultConfig(), t0)
	d.Heartbeat("n1", t0.Add(2*time.Second))
	d.Heartbeat("n1", t0.Add(time.Second))
	d.Heartbeat("n1", t0.Add(2*time.Second))
	s := d.Snapshot(t0.Add(2 * time.Second))[0]
	if !s.LastHeartbeat.Equal(t0.Add(2*time.Second)) || s.Samples != 2 || !s.Heard {
		t.Fatalf("stale heartbeats changed state: %+v", s)
	}
}

func TestUnknownAndRemovedNodes(t *testing.T) {
	d := newDetector(t, DefaultConfig(), t0)
	if p := d.Phi("ghost", t0.Add(time.Hour)); p != 0 {
		t.Fatalf("Phi of unknown node = %v", p)
	}
	if _, ok := d.Status("ghost"); ok {
		t.Fatal("unknown node reported as tracked")
	}
	d.Heartbeat("n1", t0)
	d.Remove("n1")
	if trs := d.Evaluate(t0.Add(time.Hour)); len(trs) != 0 {
		t.Fatalf("removed node produced transitions: %+v", trs)
	}
	if len(d.Snapshot(t0)) != 0 {
		t.Fatal("removed node still in snapshot")
	}
}

func TestWindowIsBounded(t *testing.T) {
	cfg := DefaultConfig()
	cfg.MaxSampleSize = 10
	d := newDetector(t, cfg, t0)
	last, _ := beat(d, "n1", t0, 50, 2*time.Second, 0, time.Hour, nil)
	s := d.Snapshot(last)[0]
	if s.Samples != 10 {
		t.Fatalf("samples = %d, want 10", s.Samples)
	}
	// Only 2 s intervals remain: the 1 s seeds are gone, the mean is 2 s.
	n := d.nodes["n1"]
	if n.hist.mean != 2000 || n.hist.std != 0 {
		t.Fatalf("mean %v std %v, want 2000 and 0", n.hist.mean, n.hist.std)
	}
}

// Evaluate reports transitions in node order, several per call if due.
func TestEvaluateOrderAndBothTransitions(t *testing.T) {
	cfg := DefaultConfig()
	cfg.DeadAfter = 0
	cfg.StartupGrace = 0
	d := newDetector(t, cfg, t0)
	for _, n := range []string{"c", "a", "b"} {
		d.Heartbeat(n, t0)
	}
	trs := d.Evaluate(t0.Add(time.Minute))
	var got []string
	for _, tr := range trs {
		got = append(got, tr.Node+":"+tr.To.String())
	}
	want := "a:SUSPECT a:DEAD b:SUSPECT b:DEAD c:SUSPECT c:DEAD"
	if strings.Join(got, " ") != want {
		t.Fatalf("transitions %v, want %s", got, want)
	}
	if Status(7).String() != "Status(7)" {
		t.Fatal("unknown status name")
	}
}

func BenchmarkHeartbeat(b *testing.B) {
	d, _ := New(DefaultConfig(), t0)
	at := t0
	for b.Loop() {
		at = at.Add(time.Second)
		d.Heartbeat("n1", at)
	}
}

func BenchmarkEvaluate100Nodes(b *testing.B) {
	d, _ := New(DefaultConfig(), t0)
	for i := range 100 {
		d.Heartbeat(fmt.Sprintf("node-%03d", i), t0)
	}
	now := t0.Add(time.Second)
	for b.Loop() {
		d.Evaluate(now)
	}
}
