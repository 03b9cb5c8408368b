package node

import (
	"context"
	"log/slog"
	"testing"
	"time"

	ds "github.com/distrisearch/distrisearch"
	"github.com/distrisearch/distrisearch/clock"
	"github.com/distrisearch/distrisearch/events"
	"github.com/distrisearch/distrisearch/index"
)

func rec(name, text string) ds.Record {
	id := ds.FileID("n1", "docs/"+name, name)
	return ds.Record{FileID: id, NodeID: "n1", Share: "docs", Path: name, Name: name, Content: text,
		ContentHash: name, ModTime: time.Unix(1, 0), Extraction: ds.Extraction{State: ds.ExtractOK}}
}

// The indexer applies batches in order, says when it is idle, publishes
// file events only once a batch is indexed, and applies what is queued
// when it is stopped.
func TestIndexerOrderIdleAndDrain(t *testing.T) {
	ix, err := index.Open("", index.DefaultOptions())
	if err != nil {
		t.Fatal(err)
	}
	defer ix.Close()
	bus, err := events.NewBus(events.DefaultConfig("n1", clock.NewLamport(0), time.Now))
	if err != nil {
		t.Fatal(err)
	}
	sub, err := bus.Subscribe(16, events.TypeFileIndexed, events.TypeFileDeleted)
	if err != nil {
		t.Fatal(err)
	}
	x := newIndexer(ix, bus, slog.New(slog.DiscardHandler))
	select {
	case <-x.Idle():
	default:
		t.Fatal("a new indexer must be idle")
	}
	a := rec("a.txt", "gannet")
	ctx, cancel := context.WithCancel(context.Background())
	// Queued before Run starts: put a, then delete it, then put b.
	if err := x.enqueue(ctx, indexBatch{puts: []ds.Record{a}, indexed: []ds.Record{a}}); err != nil {
		t.Fatal(err)
	}
	idle := x.Idle()
	select {
	case <-idle:
		t.Fatal("idle while a batch is queued")
	default:
	}
	if err := x.enqueue(ctx, indexBatch{deletes: []string{a.FileID}, gone: []ds.Record{a}}); err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() { x.Run(ctx); close(done) }()
	select {
	case <-idle:
	case <-time.After(10 * time.Second):
		t.Fatal("never idle")
	}
	if ok, _ := ix.Get(a.FileID); ok {
		t.Fatal("the delete was applied before the put")
	}
	for _, want := range []string{events.TypeFileIndexed, events.TypeFileDeleted} {
		ev, err := sub.Recv(ctx)
		if err != nil || ev.Type != want {
			t.Fatalf("event %v %v, want %s", ev.Type, err, want)
		}
	}
	// Stopping applies what is queued.
	cancel()
	<-done
	b := rec("b.txt", "skua")
	q := make(chan indexBatch, 1)
	q <- indexBatch{puts: []ds.Record{b}}
	x.queue = q
	x.pending = 1
	x.idle = make(chan struct{})
	x.Run(ctx) // ctx is done: drains and returns
	if ok, _ := ix.Get(b.FileID); !ok {
		t.Fatal("a queued batch was dropped at stop")
	}
}
