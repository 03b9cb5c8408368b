package scan

import (
	"maps"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/distrisearch/distrisearch"
)

type opKind int

const (
	opPut opKind = iota + 1
	opTouch
	opDelete
)

// op is one change not yet handed to the Sink.
type op struct {
	kind  opKind
	st    State               // the state after the change (put, touch)
	rec   distrisearch.Record // opPut
	touch Touch               // opTouch
}

// pendingOps holds a share's unapplied changes and its running jobs. Jobs
// add to it; the share's loop takes batches from it.
type pendingOps struct {
	mu        sync.Mutex     // guards the fields below
	ops       map[string]op  // record key → latest change
	textBytes int64          // extracted text held in ops
	oldest    time.Time      // when the oldest change in ops was added
	inflight  map[string]int // share-relative path → running jobs
	done      chan struct{}  // gets a token when a job ends (capacity 1)
}

func newPendingOps() *pendingOps {
	return &pendingOps{ops: map[string]op{}, inflight: map[string]int{}, done: make(chan struct{}, 1)}
}

func (p *pendingOps) add(key string, o op) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if len(p.ops) == 0 {
		p.oldest = time.Now()
	}
	if old, ok := p.ops[key]; ok && old.kind == opPut {
		p.textBytes -= int64(len(old.rec.Content))
	}
	if o.kind == opPut {
		p.textBytes += int64(len(o.rec.Content))
	}
	p.ops[key] = o
}

// state returns the state a pending change gives key; known is false when
// no change is pending and the Catalog has the answer.
func (p *pendingOps) state(key string) (st State, ok, known bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	o, known := p.ops[key]
	if !known || o.kind == opDelete {
		return State{}, false, known
	}
	return o.st, true, true
}

// overlay calls fn for each pending change to a key starting with prefix.
func (p *pendingOps) overlay(prefix string, fn func(key string, o op)) {
	p.mu.Lock()
	defer p.mu.Unlock()
	for k, o := range p.ops {
		if strings.HasPrefix(k, prefix) {
			fn(k, o)
		}
	}
}

// due reports whether the pending changes should be applied now.
func (p *pendingOps) due(c *Config) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	n := len(p.ops)
	return n >= c.BatchSize || p.textBytes >= c.BatchBytes || n > 0 && time.Since(p.oldest) >= c.FlushInterval
}

// take removes the pending changes and returns them as a batch sorted by key.
func (p *pendingOps) take(share string) Batch {
	p.mu.Lock()
	ops := p.ops
	p.ops, p.textBytes = map[string]op{}, 0
	p.mu.Unlock()
	b := Batch{Share: share}
	for _, k := range slices.Sorted(maps.Keys(ops)) {
		switch o := ops[k]; o.kind {
		case opPut:
			b.Puts = append(b.Puts, o.rec)
		case opTouch:
			b.Touches = append(b.Touches, o.touch)
		case opDelete:
			b.Deletes = append(b.Deletes, k)
		}
	}
	return b
}

func (p *pendingOps) len() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return len(p.ops)
}

// begin marks rel as being read by a job.
func (p *pendingOps) begin(rel string) {
	p.mu.Lock()
	p.inflight[rel]++
	p.mu.Unlock()
}

// end marks a job on rel as finished and wakes the share's loop.
func (p *pendingOps) end(rel string) {
	p.mu.Lock()
	if p.inflight[rel]--; p.inflight[rel] <= 0 {
		delete(p.inflight, rel)
	}
	p.mu.Unlock()
	select {
	case p.done <- struct{}{}:
	default:
	}
}

// busy reports whether a job is reading rel.
func (p *pendingOps) busy(rel string) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.inflight[rel] > 0
}

// conflicts reports whether a job reads rel or a file below it; rel "" or
// "." stands for the whole share.
func (p *pendingOps) conflicts(rel string) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if rel == "" || rel == "." {
		return len(p.inflight) > 0
	}
	for q := range p.inflight {
		if q == rel || strings.HasPrefix(q, rel+"/") {
			return true
		}
	}
	return false
}

func (p *pendingOps) running() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return len(p.inflight)
}
