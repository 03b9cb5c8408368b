package events

import (
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"sync"
	"sync/atomic"
)

// ErrClosed is returned by a closed bus or subscription.
var ErrClosed = errors.New("events: closed")

// Bus is the event bus of one node. It is safe for concurrent use.
type Bus struct {
	cfg        Config
	priorities map[string]Priority
	dropped    atomic.Uint64 // events lost by all subscriptions

	mu         sync.Mutex // guards everything below, and serialises Publish
	subs       map[*Subscription]struct{}
	ring       []Event // the last ReplaySize events; ring[head] is the oldest once full
	head       int
	full       bool
	evictedMax uint64 // stamp of the newest event that left the ring
	closed     bool
}

// NewBus returns a bus. It starts no goroutines.
func NewBus(cfg Config) (*Bus, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	return &Bus{
		cfg:        cfg,
		priorities: maps.Clone(cfg.Priorities),
		subs:       make(map[*Subscription]struct{}),
		ring:       make([]Event, 0, cfg.ReplaySize),
	}, nil
}

// Priority returns the priority of an event type.
func (b *Bus) Priority(typ string) Priority {
	if p, ok := b.priorities[typ]; ok {
		return p
	}
	return Normal
}

// Publish stamps ev and delivers it to every matching subscription without
// blocking. The stamp is the next Lamport time: Tick for a local event, or
// Observe(ev.Lamport) for an event relayed from another node with its own
// stamp, so the relayed copy is ordered after its origin. A zero Time is
// set from the injected clock, an empty Node from the configuration. It
// returns the stamped event.
func (b *Bus) Publish(ev Event) (Event, error) {
	if ev.Type == "" {
		return Event{}, errors.New("events: publish: empty type")
	}
	if len(ev.Data) > 0 && !json.Valid(ev.Data) {
		return Event{}, fmt.Errorf("events: publish %s: data is not valid JSON", ev.Type)
	}
	if ev.Time.IsZero() {
		ev.Time = b.cfg.Now()
	}
	if ev.Node == "" {
		ev.Node = b.cfg.Node
	}
	prio := b.Priority(ev.Type)

	b.mu.Lock()
	defer b.mu.Unlock()
	if b.closed {
		return Event{}, ErrClosed
	}
	if ev.Lamport > 0 {
		ev.Lamport = b.cfg.Clock.Observe(ev.Lamport)
	} else {
		ev.Lamport = b.cfg.Clock.Tick()
	}
	b.remember(ev)
	for s := range b.subs {
		if s.wants(ev.Type) {
			if lost := s.push(ev, prio); lost {
				b.dropped.Add(1)
			}
		}
	}
	return ev, nil
}

// remember appends ev to the replay ring. The caller holds b.mu.
func (b *Bus) remember(ev Event) {
	size := b.cfg.ReplaySize
	switch {
	case size == 0:
		b.evictedMax = ev.Lamport
	case !b.full:
		b.ring = append(b.ring, ev)
		b.full = len(b.ring) == size
	default:
		b.evictedMax = b.ring[b.head].Lamport
		b.ring[b.head] = ev
		b.head = (b.head + 1) % size
	}
}

// Since returns the retained events stamped after the given id that match
// types (all types if none), oldest first. complete is false if events
// after the id were already evicted from the ring, so the caller knows
// the replay has a gap.
func (b *Bus) Since(after uint64, types ...string) (evs []Event, complete bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.since(after, filter(types))
}

func (b *Bus) since(after uint64, f map[string]bool) ([]Event, bool) {
	var out []Event
	n := len(b.ring)
	for i := range n {
		ev := b.ring[(b.head+i)%n]
		if ev.Lamport > after && (f == nil || f[ev.Type]) {
			out = append(out, ev)
		}
	}
	return out, after >= b.evictedMax
}

// Subscribe returns a subscription to the given event types (all types if
// none) with a queue of buffer events.
func (b *Bus) Subscribe(buffer int, types ...string) (*Subscription, error) {
	s, _, _, err := b.subscribe(false, 0, buffer, types)
	return s, err
}

// SubscribeSince is Subscribe plus Since in one step: it returns the
// retained events after the id (for an SSE client's Last-Event-ID) and a
// subscription that delivers every later event, with none missed or
// repeated between the two. complete is as for Since.
func (b *Bus) SubscribeSince(after uint64, buffer int, types ...string) (s *Subscription, replay []Event, complete bool, err error) {
	return b.subscribe(true, after, buffer, types)
}

func (b *Bus) subscribe(replay bool, after uint64, buffer int, types []string) (*Subscription, []Event, bool, error) {
	if buffer < 1 || buffer > MaxBuffer {
		return nil, nil, false, fmt.Errorf("events: subscription buffer %d must be in 1..%d", buffer, MaxBuffer)
	}
	s := &Subscription{
		bus:    b,
		types:  filter(types),
		buffer: buffer,
		ready:  make(chan struct{}, 1),
		done:   make(chan struct{}),
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.closed {
		return nil, nil, false, ErrClosed
	}
	var evs []Event
	complete := true
	if replay {
		evs, complete = b.since(after, s.types)
	}
	b.subs[s] = struct{}{}
	return s, evs, complete, nil
}

// Dropped returns the number of events lost by all subscriptions.
func (b *Bus) Dropped() uint64 { return b.dropped.Load() }

// Subscribers returns the number of open subscriptions.
func (b *Bus) Subscribers() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return len(b.subs)
}

// Close closes every subscription; later Publish and Subscribe calls
// return ErrClosed. It is idempotent.
func (b *Bus) Close() {
	b.mu.Lock()
	subs := b.subs
	b.subs = map[*Subscription]struct{}{}
	b.closed = true
	b.mu.Unlock()
	for s := range subs {
		s.close()
	}
}

func (b *Bus) unsubscribe(s *Subscription) {
	b.mu.Lock()
	delete(b.subs, s)
	b.mu.Unlock()
}

func filter(types []string) map[string]bool {
	if len(types) == 0 {
		return nil
	}
	f := make(map[string]bool, len(types))
	for _, t := range types {
		f[t] = true
	}
	return f
}
