package clock

import "sync/atomic"

// Lamport is a Lamport logical clock. The zero value starts at 0 and is
// ready to use. It is safe for concurrent use.
type Lamport struct {
	t atomic.Uint64
}

// NewLamport returns a clock whose current time is start, e.g. the last
// value persisted before a restart.
func NewLamport(start uint64) *Lamport {
	l := &Lamport{}
	l.t.Store(start)
	return l
}

// Tick advances the clock for a local event and returns the new time.
func (l *Lamport) Tick() uint64 {
	return l.t.Add(1)
}

// Observe merges a time received from another node: the clock becomes
// max(local, remote)+1, which it returns. Use it when a message arrives.
func (l *Lamport) Observe(remote uint64) uint64 {
	for {
		cur := l.t.Load()
		next := max(cur, remote) + 1
		if l.t.CompareAndSwap(cur, next) {
			return next
		}
	}
}

// Now returns the current time without advancing it.
func (l *Lamport) Now() uint64 {
	return l.t.Load()
}
