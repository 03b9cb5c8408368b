package events

import (
	"context"
	"sync"
)

// Subscription receives the events of some types from a Bus. Receive with
// Recv, or wait on Ready and drain with Next. It is safe for concurrent
// use, though one reader is the normal case.
type Subscription struct {
	bus    *Bus
	types  map[string]bool // nil: all types
	buffer int
	ready  chan struct{} // capacity 1: "the queue may be non-empty"
	done   chan struct{} // closed by close

	mu      sync.Mutex // guards everything below
	queue   []queued
	count   [numPriorities]int    // queued events per priority
	dropped [numPriorities]uint64 // events lost per priority
	closed  bool
}

type queued struct {
	ev   Event
	prio Priority
}

func (s *Subscription) wants(typ string) bool { return s.types == nil || s.types[typ] }

// push queues ev, evicting or dropping by priority when the queue is full,
// and reports whether an event was lost. It never blocks.
func (s *Subscription) push(ev Event, prio Priority) (lost bool) {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return false
	}
	if len(s.queue) >= s.buffer {
		victim := -1
		for p := Low; p < prio; p++ {
			if s.count[p] > 0 {
				for i, q := range s.queue {
					if q.prio == p {
						victim = i
						break
					}
				}
				break
			}
		}
		if victim < 0 { // nothing queued matters less: the new event loses
			s.dropped[prio]++
			s.mu.Unlock()
			return true
		}
		vp := s.queue[victim].prio
		s.dropped[vp]++
		s.count[vp]--
		s.queue = append(s.queue[:victim], s.queue[victim+1:]...)
		lost = true
	}
	s.queue = append(s.queue, queued{ev: ev, prio: prio})
	s.count[prio]++
	s.mu.Unlock()
	select {
	case s.ready <- struct{}{}:
	default:
	}
	return lost
}

// Ready returns a channel that receives a value when events may be
// queued. After it fires, call Next until it reports false.
func (s *Subscription) Ready() <-chan struct{} { return s.ready }

// Done returns a channel closed when the subscription is closed.
func (s *Subscription) Done() <-chan struct{} { return s.done }

// Next returns the oldest queued event, if any, without blocking.
func (s *Subscription) Next() (Event, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.queue) == 0 {
		return Event{}, false
	}
	q := s.queue[0]
	s.queue[0] = queued{}
	s.queue = s.queue[1:]
	s.count[q.prio]--
	return q.ev, true
}

// Recv waits for the next event. It returns ctx's error when ctx ends and
// ErrClosed once the subscription or its bus is closed.
func (s *Subscription) Recv(ctx context.Context) (Event, error) {
	for {
		select {
		case <-s.done:
			return Event{}, ErrClosed
		default:
		}
		if ev, ok := s.Next(); ok {
			return ev, nil
		}
		select {
		case <-ctx.Done():
			return Event{}, ctx.Err()
		case <-s.done:
			return Event{}, ErrClosed
		case <-s.ready:
		}
	}
}

// Dropped returns the number of events this subscription lost.
func (s *Subscription) Dropped() uint64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	var n uint64
	for _, d := range s.dropped {
		n += d
	}
	return n
}

// DroppedByPriority returns the number of events of priority p this
// subscription lost.
func (s *Subscription) DroppedByPriority(p Priority) uint64 {
	if p < Low || p > High {
		return 0
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.dropped[p]
}

// Len returns the number of queued events.
func (s *Subscription) Len() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.queue)
}

// Close ends the subscription and discards its queue. It is idempotent.
func (s *Subscription) Close() {
	s.bus.unsubscribe(s)
	s.close()
}

func (s *Subscription) close() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return
	}
	s.closed = true
	s.queue = nil
	s.count = [numPriorities]int{}
	close(s.done)
}
