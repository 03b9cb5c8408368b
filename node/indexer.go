package node

import (
	"context"
	"log/slog"
	"sync"
	"time"

	ds "github.com/distrisearch/distrisearch"
	"github.com/distrisearch/distrisearch/events"
	"github.com/distrisearch/distrisearch/index"
)

// indexBatch is one change to the index: versions to index, file ids to
// remove, and the records to announce once it is done.
type indexBatch struct {
	puts    []ds.Record
	deletes []string
	indexed []ds.Record // file_indexed events
	gone    []ds.Record // file_deleted events
}

// indexer applies batches to the index in order, in its own goroutine, so
// that the scanner walks, hashes, extracts and writes the store while the
// previous batch is being indexed. The store is written first and is the
// source of truth: a batch lost in a crash is indexed again at the next
// start (reconcileIndex). The queue is short, so the index lags the store
// by at most queueDepth batches.
type indexer struct {
	index *index.Index
	bus   *events.Bus
	log   *slog.Logger

	queue chan indexBatch
	mu    sync.Mutex // guards pending and idle
	// pending counts batches queued or being applied.
	pending int
	idle    chan struct{} // closed while pending == 0
}

const queueDepth = 2

func newIndexer(ix *index.Index, bus *events.Bus, log *slog.Logger) *indexer {
	idle := make(chan struct{})
	close(idle)
	return &indexer{index: ix, bus: bus, log: log, queue: make(chan indexBatch, queueDepth), idle: idle}
}

// enqueue hands a batch to the indexer, waiting while the queue is full.
func (x *indexer) enqueue(ctx context.Context, b indexBatch) error {
	x.mu.Lock()
	if x.pending == 0 {
		x.idle = make(chan struct{})
	}
	x.pending++
	x.mu.Unlock()
	select {
	case x.queue <- b:
		return nil
	case <-ctx.Done():
		x.done()
		return ctx.Err()
	}
}

func (x *indexer) done() {
	x.mu.Lock()
	defer x.mu.Unlock()
	x.pending--
	if x.pending == 0 {
		close(x.idle)
	}
}

// Idle returns a channel that is closed once no batch is queued or being
// applied (at the time of the call).
func (x *indexer) Idle() <-chan struct{} {
	x.mu.Lock()
	defer x.mu.Unlock()
	return x.idle
}

// Run applies batches until ctx ends, then applies what is still queued.
// A failing batch (a full disk, say) is retried with a growing pause; the
// scanner meanwhile keeps writing the store, so nothing is lost.
func (x *indexer) Run(ctx context.Context) {
	for {
		select {
		case b := <-x.queue:
			x.apply(ctx, b)
		case <-ctx.Done():
			// Apply what is queued, for a bounded time; the rest is
			// indexed again from the store at the next start.
			drain, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			for {
				select {
				case b := <-x.queue:
					x.apply(drain, b)
				default:
					return
				}
			}
		}
	}
}

func (x *indexer) apply(ctx context.Context, b indexBatch) {
	defer x.done()
	for wait := 100 * time.Millisecond; ; wait = min(2*wait, 10*time.Second) {
		err := x.index.Apply(b.puts, b.deletes)
		if err == nil {
			break
		}
		x.log.Error("index apply failed; retrying", "files", len(b.puts), "deletes", len(b.deletes), "err", err, "retry_in", wait)
		select {
		case <-ctx.Done():
			return // left for reconcileIndex at the next start
		case <-time.After(wait):
		}
	}
	for _, r := range b.indexed {
		x.publish(events.TypeFileIndexed, r)
	}
	for _, r := range b.gone {
		x.publish(events.TypeFileDeleted, r)
	}
}

func (x *indexer) publish(typ string, r ds.Record) {
	ev, err := events.New(typ, map[string]any{"file_id": r.FileID, "share": r.Share, "path": r.Path, "size": r.Size})
	if err != nil {
		return
	}
	_, _ = x.bus.Publish(ev)
}
