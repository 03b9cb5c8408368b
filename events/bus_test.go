package events

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/distrisearch/distrisearch/clock"
)

var t0 = time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)

func newBus(t testing.TB, replay int) (*Bus, *clock.Lamport) {
	t.Helper()
	lc := clock.NewLamport(0)
	cfg := DefaultConfig("node-1", lc, func() time.Time { return t0 })
	cfg.ReplaySize = replay
	b, err := NewBus(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return b, lc
}

func publish(t testing.TB, b *Bus, typ string) Event {
	t.Helper()
	ev, err := b.Publish(Event{Type: typ})
	if err != nil {
		t.Fatal(err)
	}
	return ev
}

func TestConfigValidate(t *testing.T) {
	lc := clock.NewLamport(0)
	now := func() time.Time { return t0 }
	tests := []struct {
		name   string
		mutate func(*Config)
		want   string
	}{
		{"no clock", func(c *Config) { c.Clock = nil }, "clock"},
		{"no now", func(c *Config) { c.Now = nil }, "now"},
		{"negative replay", func(c *Config) { c.ReplaySize = -1 }, "replay"},
		{"huge replay", func(c *Config) { c.ReplaySize = MaxReplaySize + 1 }, "replay"},
		{"bad priority", func(c *Config) { c.Priorities = map[string]Priority{"x": 7} }, "priority"},
	}
	for _, tt := range tests {
		c := DefaultConfig("n", lc, now)
		tt.mutate(&c)
		if err := c.Validate(); err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: Validate = %v", tt.name, err)
		}
		if _, err := NewBus(c); err == nil {
			t.Errorf("%s: NewBus accepted", tt.name)
		}
	}
	if err := DefaultConfig("n", lc, now).Validate(); err != nil {
		t.Fatal(err)
	}
}

func TestPublishStamps(t *testing.T) {
	b, lc := newBus(t, 16)
	e1 := publish(t, b, TypeNodeJoined)
	e2 := publish(t, b, TypeFileIndexed)
	if e1.Lamport != 1 || e2.Lamport != 2 || !e1.Time.Equal(t0) || e1.Node != "node-1" {
		t.Fatalf("stamps: %+v %+v", e1, e2)
	}
	// A relayed event keeps its time and node and is ordered after its origin.
	at := t0.Add(-time.Minute)
	e3, err := b.Publish(Event{Type: TypeNodeDead, Lamport: 100, Time: at, Node: "node-7"})
	if err != nil {
		t.Fatal(err)
	}
	if e3.Lamport != 101 || !e3.Time.Equal(at) || e3.Node != "node-7" || lc.Now() != 101 {
		t.Fatalf("relayed: %+v, clock %d", e3, lc.Now())
	}
	// Another component ticking the shared clock still leaves stamps increasing.
	lc.Tick()
	if e4 := publish(t, b, TypeNodeLeft); e4.Lamport != 103 {
		t.Fatalf("after a foreign tick: %d", e4.Lamport)
	}
	ev, err := New(TypeFileIndexed, map[string]string{"path": "a.txt"})
	if err != nil || string(ev.Data) != `{"path":"a.txt"}` {
		t.Fatalf("New: %s %v", ev.Data, err)
	}
	if _, err := New("x", func() {}); err == nil {
		t.Fatal("unencodable data accepted")
	}
	if _, err := b.Publish(Event{}); err == nil {
		t.Fatal("empty type accepted")
	}
	if _, err := b.Publish(Event{Type: "x", Data: []byte("{nope")}); err == nil {
		t.Fatal("invalid JSON accepted")
	}
}

func TestSubscribeFiltersTypes(t *testing.T) {
	b, _ := newBus(t, 16)
	all, _ := b.Subscribe(10)
	nodes, _ := b.Subscribe(10, TypeNodeDead, TypeNodeJoined)
	for _, typ := range []string{TypeNodeJoined, TypeFileIndexed, TypeNodeDead, "custom"} {
		publish(t, b, typ)
	}
	drain := func(s *Subscription) []string {
		var out []string
		for ev, ok := s.Next(); ok; ev, ok = s.Next() {
			out = append(out, ev.Type)
		}
		return out
	}
	if got := drain(all); len(got) != 4 {
		t.Fatalf("all got %v", got)
	}
	if got := drain(nodes); !slices.Equal(got, []string{TypeNodeJoined, TypeNodeDead}) {
		t.Fatalf("filtered got %v", got)
	}
	if _, err := b.Subscribe(0); err == nil {
		t.Fatal("zero buffer accepted")
	}
	if _, err := b.Subscribe(MaxBuffer + 1); err == nil {
		t.Fatal("huge buffer accepted")
	}
}

// A full queue loses its lowest-priority events first, oldest first, and
// the new event only when nothing queued matters less.
func TestSlowSubscriberLosesLowFirst(t *testing.T) {
	const (
		L = TypeFileIndexed
		N = TypeReplicationRequired
		H = TypeNodeDead
	)
	tests := []struct {
		name      string
		publish   []string
		wantQueue string // types in delivery order, by initial
		wantDrop  [3]uint64
	}{
		{"under capacity", []string{L, N, H}, "LNH", [3]uint64{}},
		{"high evicts oldest low", []string{L, L, N, N, H}, "LNNH", [3]uint64{1, 0, 0}},
		{"normal evicts low", []string{L, H, H, H, N}, "HHHN", [3]uint64{1, 0, 0}},
		{"low dropped when full", []string{N, N, N, N, L}, "NNNN", [3]uint64{1, 0, 0}},
		{"high evicts normal when no low", []string{N, H, N, H, H}, "HNHH", [3]uint64{0, 1, 0}},
		{"high dropped when all high", []string{H, H, H, H, H}, "HHHH", [3]uint64{0, 0, 1}},
		{"lows go first, then normals", []string{L, N, L, N, H, H, H}, "NHHH", [3]uint64{2, 1, 0}},
	}
	initial := map[string]string{L: "L", N: "N", H: "H"}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b, _ := newBus(t, 16)
			s, _ := b.Subscribe(4)
			for _, typ := range tt.publish {
				publish(t, b, typ)
			}
			var got string
			var last uint64
			for ev, ok := s.Next(); ok; ev, ok = s.Next() {
				got += initial[ev.Type]
				if ev.Lamport <= last {
					t.Fatalf("delivery out of order: %d after %d", ev.Lamport, last)
				}
				last = ev.Lamport
			}
			if got != tt.wantQueue {
				t.Fatalf("delivered %s, want %s", got, tt.wantQueue)
			}
			for p := Low; p <= High; p++ {
				if s.DroppedByPriority(p) != tt.wantDrop[p] {
					t.Fatalf("dropped %v: %d, want %d", p, s.DroppedByPriority(p), tt.wantDrop[p])
				}
			}
			total := tt.wantDrop[0] + tt.wantDrop[1] + tt.wantDrop[2]
			if s.Dropped() != total || b.Dropped() != total {
				t.Fatalf("totals: sub %d bus %d, want %d", s.Dropped(), b.Dropped(), total)
			}
		})
	}
}

// A subscriber that never reads does not slow the publisher: every
// Publish returns, and the losses are counted.
func TestPublisherNeverBlocks(t *testing.T) {
	b, _ := newBus(t, 64)
	s, _ := b.Subscribe(8)
	const n = 10_000
	for i := range n {
		typ := TypeFileIndexed
		if i%1000 == 0 {
			typ = TypeNodeSuspect
		}
		publish(t, b, typ)
	}
	if s.Len() != 8 || s.Dropped() != n-8 {
		t.Fatalf("queued %d dropped %d", s.Len(), s.Dropped())
	}
	// All 10 HIGH events were published; the queue keeps the most recent
	// HIGH ones over every LOW one.
	highs := 0
	for ev, ok := s.Next(); ok; ev, ok = s.Next() {
		if ev.Type == TypeNodeSuspect {
			highs++
		}
	}
	if highs != 8 || s.DroppedByPriority(High) != 2 {
		t.Fatalf("kept %d HIGH events, dropped %d", highs, s.DroppedByPriority(High))
	}
}

func TestReplay(t *testing.T) {
	b, _ := newBus(t, 8)
	for i := range 20 {
		typ := TypeFileIndexed
		if i%2 == 0 {
			typ = TypeNodeJoined
		}
		publish(t, b, typ)
	}
	ids := func(evs []Event) []uint64 {
		var out []uint64
		for _, e := range evs {
			out = append(out, e.Lamport)
		}
		return out
	}
	tests := []struct {
		after    uint64
		types    []string
		want     []uint64
		complete bool
	}{
		{0, nil, []uint64{13, 14, 15, 16, 17, 18, 19, 20}, false},
		{12, nil, []uint64{13, 14, 15, 16, 17, 18, 19, 20}, true},
		{11, nil, []uint64{13, 14, 15, 16, 17, 18, 19, 20}, false},
		{16, nil, []uint64{17, 18, 19, 20}, true},
		{20, nil, nil, true},
		{14, []string{TypeNodeJoined}, []uint64{15, 17, 19}, true},
	}
	for _, tt := range tests {
		got, complete := b.Since(tt.after, tt.types...)
		if !slices.Equal(ids(got), tt.want) || complete != tt.complete {
			t.Errorf("Since(%d, %v) = %v complete=%v, want %v %v", tt.after, tt.types, ids(got), complete, tt.want, tt.complete)
		}
	}
	nb, _ := newBus(t, 0)
	publish(t, nb, "x")
	if evs, complete := nb.Since(0); len(evs) != 0 || complete {
		t.Fatalf("bus without replay: %v %v", evs, complete)
	}
}

// SubscribeSince under concurrent publishing: replay plus live events are
// exactly the events after the id, without gaps or repeats.
func TestSubscribeSinceNoGapNoDuplicate(t *testing.T) {
	b, _ := newBus(t, 4096)
	for range 100 {
		publish(t, b, TypeNodeJoined)
	}
	var wg sync.WaitGroup
	stop := make(chan struct{})
	wg.Add(1)
	go func() {
		defer wg.Done()
		// Bounded, so that the bus (which retains 4,096) still holds
		// event 51 however the goroutines are scheduled.
		for range 2000 {
			select {
			case <-stop:
				return
			default:
				b.Publish(Event{Type: TypeNodeJoined})
			}
		}
	}()
	s, replay, complete, err := b.SubscribeSince(50, 4096)
	if err != nil || !complete {
		t.Fatalf("SubscribeSince: %v %v", complete, err)
	}
	close(stop)
	wg.Wait()
	seen := []uint64{}
	for _, e := range replay {
		seen = append(seen, e.Lamport)
	}
	for ev, ok := s.Next(); ok; ev, ok = s.Next() {
		seen = append(seen, ev.Lamport)
	}
	if s.Dropped() != 0 {
		t.Fatalf("dropped %d", s.Dropped())
	}
	for i, id := range seen {
		if id != uint64(51+i) {
			t.Fatalf("event %d has id %d, want %d (gap or repeat)", i, id, 51+i)
		}
	}
	last, _ := b.Since(0)
	if seen[len(seen)-1] != last[len(last)-1].Lamport {
		t.Fatalf("missed the newest events: saw up to %d, bus at %d", seen[len(seen)-1], last[len(last)-1].Lamport)
	}
}

func TestRecvAndClose(t *testing.T) {
	b, _ := newBus(t, 16)
	s, _ := b.Subscribe(4)
	ctx, cancel := context.WithCancel(context.Background())
	got := make(chan Event)
	go func() {
		ev, err := s.Recv(ctx)
		if err != nil {
			t.Error(err)
		}
		got <- ev
	}()
	publish(t, b, TypeLeaderElected)
	if ev := <-got; ev.Type != TypeLeaderElected {
		t.Fatalf("Recv = %+v", ev)
	}
	cancel()
	if _, err := s.Recv(ctx); !errors.Is(err, context.Canceled) {
		t.Fatalf("Recv after cancel: %v", err)
	}
	publish(t, b, TypeNodeDead)
	s.Close()
	s.Close()
	if _, err := s.Recv(context.Background()); !errors.Is(err, ErrClosed) {
		t.Fatalf("Recv after Close: %v", err)
	}
	if b.Subscribers() != 0 {
		t.Fatalf("closed subscription still registered")
	}
	s2, _ := b.Subscribe(4)
	b.Close()
	b.Close()
	select {
	case <-s2.Done():
	default:
		t.Fatal("bus Close did not close its subscriptions")
	}
	if _, err := b.Publish(Event{Type: "x"}); !errors.Is(err, ErrClosed) {
		t.Fatalf("Publish after Close: %v", err)
	}
	if _, err := b.Subscribe(1); !errors.Is(err, ErrClosed) {
		t.Fatalf("Subscribe after Close: %v", err)
	}
}

// Many publishers and readers at once (run with -race): each reader sees
// strictly increasing stamps and, with a big enough queue, every event.
func TestConcurrentPublishers(t *testing.T) {
	b, _ := newBus(t, 64)
	const publishers, per, readers = 4, 250, 3
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var rw sync.WaitGroup
	counts := make([]int, readers)
	for r := range readers {
		s, err := b.Subscribe(publishers * per)
		if err != nil {
			t.Fatal(err)
		}
		rw.Add(1)
		go func() {
			defer rw.Done()
			var last uint64
			for {
				ev, err := s.Recv(ctx)
				if err != nil {
					return
				}
				if ev.Lamport <= last {
					t.Errorf("reader %d: %d after %d", r, ev.Lamport, last)
				}
				last = ev.Lamport
				counts[r]++
				if counts[r] == publishers*per {
					return
				}
			}
		}()
	}
	var pw sync.WaitGroup
	for p := range publishers {
		pw.Add(1)
		go func() {
			defer pw.Done()
			for i := range per {
				if _, err := b.Publish(Event{Type: fmt.Sprintf("t%d", (p+i)%3)}); err != nil {
					t.Error(err)
				}
			}
		}()
	}
	pw.Wait()
	rw.Wait()
	for r, c := range counts {
		if c != publishers*per {
			t.Fatalf("reader %d got %d events", r, c)
		}
	}
	if Low.String() != "LOW" || Priority(9).String() != "Priority(9)" || b.Priority("unknown") != Normal {
		t.Fatal("priority names")
	}
}

func BenchmarkPublish(b *testing.B) {
	bus, _ := newBus(b, DefaultReplaySize)
	for range 4 {
		bus.Subscribe(256)
	}
	ev := Event{Type: TypeFileIndexed}
	for b.Loop() {
		bus.Publish(ev)
	}
}
