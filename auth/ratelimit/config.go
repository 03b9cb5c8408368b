package ratelimit

import (
	"fmt"
	"time"
)

// Limit is a token-bucket rate: Rate requests per Per, with bursts of up
// to Burst (Rate when zero).
type Limit struct {
	Rate  int
	Per   time.Duration
	Burst int
}

// PerMinute returns n requests per minute with a burst of n.
func PerMinute(n int) Limit { return Limit{Rate: n, Per: time.Minute, Burst: n} }

func (l Limit) burst() int {
	if l.Burst == 0 {
		return l.Rate
	}
	return l.Burst
}

// Validate reports an unusable limit.
func (l Limit) Validate() error {
	if l.Rate <= 0 || l.Per <= 0 || l.Burst < 0 {
		return fmt.Errorf("rate limit %d per %v burst %d: rate and period must be positive", l.Rate, l.Per, l.Burst)
	}
	return nil
}

// interval is the time to earn one token.
func (l Limit) interval() time.Duration { return l.Per / time.Duration(l.Rate) }

// Config holds the limits the API applies.
type Config struct {
	PerIP   Limit // every request, by client IP
	PerUser Limit // authenticated requests, by user id
	Login   Limit // POST /api/auth/login, by client IP and by username
	// MaxKeys bounds each limiter's buckets (about 150 bytes each).
	MaxKeys int
}

// DefaultConfig returns the design's values: 100/min per IP, 200/min per
// user, 10/min on login, 100,000 keys per limiter (~15 MB at most).
func DefaultConfig() Config {
	return Config{
		PerIP:   PerMinute(100),
		PerUser: PerMinute(200),
		Login:   PerMinute(10),
		MaxKeys: 100_000,
	}
}

// Validate reports the first unusable setting.
func (c Config) Validate() error {
	for name, l := range map[string]Limit{"per-ip": c.PerIP, "per-user": c.PerUser, "login": c.Login} {
		if err := l.Validate(); err != nil {
			return fmt.Errorf("%s: %w", name, err)
		}
	}
	if c.MaxKeys < 1 {
		return fmt.Errorf("rate limit: max keys %d must be positive", c.MaxKeys)
	}
	return nil
}
