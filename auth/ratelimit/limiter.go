package ratelimit

import (
	"container/list"
	"sync"
	"time"
)

// bucket is one key's state. Instead of a token count it keeps the time
// at which the bucket would be full again ("theoretical arrival time"):
// tokens = burst - (full - now)/interval. One field, exact integer maths.
type bucket struct {
	key  string
	full time.Time
}

// Limiter is a set of token buckets keyed by string, at most maxKeys of
// them. It is safe for concurrent use.
type Limiter struct {
	limit   Limit
	every   time.Duration // time to earn one token
	span    time.Duration // time to refill an empty bucket: burst × every
	maxKeys int

	mu      sync.Mutex // guards buckets, lru and the counters
	buckets map[string]*list.Element
	lru     *list.List // of *bucket, most recently used at the front
	evicted uint64
	active  uint64 // evicted while not yet full
}

// NewLimiter returns a limiter applying l to each key, holding at most
// maxKeys buckets.
func NewLimiter(l Limit, maxKeys int) (*Limiter, error) {
	if err := l.Validate(); err != nil {
		return nil, err
	}
	if maxKeys < 1 {
		maxKeys = 1
	}
	every := l.interval()
	if every <= 0 {
		every = 1
	}
	return &Limiter{
		limit:   l,
		every:   every,
		span:    every * time.Duration(l.burst()),
		maxKeys: maxKeys,
		buckets: make(map[string]*list.Element),
		lru:     list.New(),
	}, nil
}

// Allow takes a token from key's bucket at time now. If none is left it
// returns false and how long until one is.
func (l *Limiter) Allow(key string, now time.Time) (ok bool, retryAfter time.Duration) {
	l.mu.Lock()
	defer l.mu.Unlock()
	b := l.get(key, now)
	full := b.full
	if full.Before(now) {
		full = now
	}
	next := full.Add(l.every)
	// Taking a token pushes "full" one interval later; the bucket had a
	// token iff the new value is at most one span ahead of now.
	if over := next.Sub(now) - l.span; over > 0 {
		return false, over
	}
	b.full = next
	return true, 0
}

// get returns key's bucket, creating it (full) and evicting the least
// recently used bucket when at capacity.
func (l *Limiter) get(key string, now time.Time) *bucket {
	if e, ok := l.buckets[key]; ok {
		l.lru.MoveToFront(e)
		return e.Value.(*bucket)
	}
	if l.lru.Len() >= l.maxKeys {
		old := l.lru.Back()
		ob := old.Value.(*bucket)
		if ob.full.After(now) {
			l.active++
		}
		l.evicted++
		l.lru.Remove(old)
		delete(l.buckets, ob.key)
	}
	b := &bucket{key: key, full: now}
	l.buckets[key] = l.lru.PushFront(b)
	return b
}

// Stats describe a limiter's memory use.
type Stats struct {
	Keys          int    // buckets held
	Evicted       uint64 // buckets dropped for room
	EvictedActive uint64 // of those, buckets that were still limiting
}

// Stats returns the current counters.
func (l *Limiter) Stats() Stats {
	l.mu.Lock()
	defer l.mu.Unlock()
	return Stats{Keys: l.lru.Len(), Evicted: l.evicted, EvictedActive: l.active}
}
