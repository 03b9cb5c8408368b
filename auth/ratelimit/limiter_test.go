package ratelimit

import (
	"strconv"
	"testing"
	"time"
)

var t0 = time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)

func mustLimiter(t testing.TB, l Limit, max int) *Limiter {
	t.Helper()
	lim, err := NewLimiter(l, max)
	if err != nil {
		t.Fatal(err)
	}
	return lim
}

func TestBurstThenRefill(t *testing.T) {
	l := mustLimiter(t, PerMinute(10), 100) // one token per 6 s
	for i := range 10 {
		if ok, _ := l.Allow("ip", t0); !ok {
			t.Fatalf("request %d of the burst refused", i)
		}
	}
	ok, retry := l.Allow("ip", t0)
	if ok || retry != 6*time.Second {
		t.Fatalf("11th: ok=%v retry=%v, want refused, 6s", ok, retry)
	}
	// A refusal costs nothing: the wait does not grow.
	if _, retry := l.Allow("ip", t0.Add(time.Second)); retry != 5*time.Second {
		t.Fatalf("retry after 1 s = %v, want 5s", retry)
	}
	if ok, _ := l.Allow("ip", t0.Add(6*time.Second)); !ok {
		t.Fatal("token not back after 6 s")
	}
	if ok, _ := l.Allow("ip", t0.Add(6*time.Second)); ok {
		t.Fatal("two tokens after 6 s")
	}
	// Other keys are independent.
	if ok, _ := l.Allow("other", t0); !ok {
		t.Fatal("other key limited")
	}
	// Long idle refills to the burst, not beyond.
	later := t0.Add(time.Hour)
	n := 0
	for {
		if ok, _ := l.Allow("ip", later); !ok {
			break
		}
		n++
	}
	if n != 10 {
		t.Fatalf("after idle hour %d tokens, want 10", n)
	}
}

func TestSteadyRate(t *testing.T) {
	l := mustLimiter(t, PerMinute(100), 10)
	allowed := 0
	// One request every 100 ms for 10 minutes: 6000 tries.
	for i := range 6000 {
		if ok, _ := l.Allow("k", t0.Add(time.Duration(i)*100*time.Millisecond)); ok {
			allowed++
		}
	}
	// Burst of 100 plus 100/min over 10 minutes, minus the last partial.
	if allowed < 1099 || allowed > 1100 {
		t.Fatalf("allowed %d of 6000, want ~1100", allowed)
	}
}

func TestBurstDiffersFromRate(t *testing.T) {
	l := mustLimiter(t, Limit{Rate: 60, Per: time.Minute, Burst: 3}, 10)
	for range 3 {
		if ok, _ := l.Allow("k", t0); !ok {
			t.Fatal("burst refused")
		}
	}
	if ok, retry := l.Allow("k", t0); ok || retry != time.Second {
		t.Fatalf("ok=%v retry=%v", ok, retry)
	}
}

func TestClockGoingBackwards(t *testing.T) {
	l := mustLimiter(t, PerMinute(2), 10)
	l.Allow("k", t0)
	l.Allow("k", t0)
	ok, retry := l.Allow("k", t0.Add(-time.Hour))
	if ok || retry <= 0 {
		t.Fatalf("a clock step back refilled the bucket: ok=%v retry=%v", ok, retry)
	}
}

func TestMemoryBoundUnderKeyRotation(t *testing.T) {
	const max = 1000
	l := mustLimiter(t, PerMinute(100), max)
	for i := range 50 * max {
		if ok, _ := l.Allow("10.0."+strconv.Itoa(i), t0); !ok {
			t.Fatalf("fresh key %d refused", i)
		}
		if s := l.Stats(); s.Keys > max {
			t.Fatalf("holding %d keys, max %d", s.Keys, max)
		}
	}
	s := l.Stats()
	if s.Keys != max || s.Evicted != 49*max || s.EvictedActive != 49*max {
		t.Fatalf("stats %+v", s)
	}
}

func TestLRUKeepsBusyKeys(t *testing.T) {
	l := mustLimiter(t, PerMinute(2), 3)
	l.Allow("victim", t0)
	l.Allow("victim", t0) // drained
	for i := range 10 {
		l.Allow("rotating-"+strconv.Itoa(i), t0)
		// The drained key stays in use, so it stays in the cache.
		if ok, _ := l.Allow("victim", t0); ok {
			t.Fatalf("drained bucket reset after %d other keys", i+1)
		}
	}
}

func TestConfigValidate(t *testing.T) {
	if err := DefaultConfig().Validate(); err != nil {
		t.Fatal(err)
	}
	for i, mut := range []func(*Config){
		func(c *Config) { c.PerIP.Rate = 0 },
		func(c *Config) { c.PerUser.Per = 0 },
		func(c *Config) { c.Login.Burst = -1 },
		func(c *Config) { c.MaxKeys = 0 },
	} {
		c := DefaultConfig()
		mut(&c)
		if c.Validate() == nil {
			t.Errorf("mutation %d accepted", i)
		}
	}
	if _, err := NewLimiter(Limit{}, 10); err == nil {
		t.Error("zero limit accepted")
	}
}

func BenchmarkAllowSameKey(b *testing.B) {
	l := mustLimiter(b, PerMinute(100), 100_000)
	now := t0
	for b.Loop() {
		now = now.Add(time.Millisecond)
		l.Allow("198.51.100.7", now)
	}
}

func BenchmarkAllowRotatingKeys(b *testing.B) {
	l := mustLimiter(b, PerMinute(100), 100_000)
	keys := make([]string, 1<<18)
	for i := range keys {
		keys[i] = "10." + strconv.Itoa(i>>16) + "." + strconv.Itoa(i>>8&255) + "." + strconv.Itoa(i&255)
	}
	i := 0
	for b.Loop() {
		l.Allow(keys[i&(len(keys)-1)], t0)
		i++
	}
}

func BenchmarkAllowParallel(b *testing.B) {
	l := mustLimiter(b, PerMinute(100), 100_000)
	b.RunParallel(func(pb *testing.PB) {
		i := 0
		for pb.Next() {
			l.Allow("u-"+strconv.Itoa(i&1023), t0)
			i++
		}
	})
}

func TestNewSet(t *testing.T) {
	s, err := NewSet(DefaultConfig())
	if err != nil {
		t.Fatal(err)
	}
	count := func(l *Limiter) int {
		n := 0
		for {
			if ok, _ := l.Allow("k", t0); !ok {
				return n
			}
			n++
		}
	}
	if a, b, c := count(s.PerIP), count(s.PerUser), count(s.Login); a != 100 || b != 200 || c != 10 {
		t.Fatalf("bursts %d %d %d, want 100 200 10", a, b, c)
	}
	bad := DefaultConfig()
	bad.MaxKeys = 0
	if _, err := NewSet(bad); err == nil {
		t.Fatal("bad config accepted")
	}
}
