package node

import (
	"context"
	"encoding/json"
	"fmt"
	"sync"
	"time"

	ds "github.com/distrisearch/distrisearch"
	"github.com/distrisearch/distrisearch/replica/chunks"
	"github.com/distrisearch/distrisearch/replica/version"
)

// chunkGC removes, every ChunkGCInterval, the chunks that no record this
// node holds names any more — contents of deleted or replaced files, and
// of partitions it handed over — once they were last written or asked
// about ChunkGCGrace ago (replica/chunks gc.go has the protocol). The
// records are this node's own (the record store) and its replicas, with
// the prepared writes of open transactions and the hinted writes it keeps
// for other nodes.
type chunkGC struct {
	n *Node

	mu     sync.Mutex // guards status
	status chunkGCStatus
}

// chunkGCStatus is the "chunks" part of the data plane's status.
type chunkGCStatus struct {
	chunks.StoreStats
	chunkRepairStatus
	Runs          uint64    `json:"gc_runs"`
	Running       bool      `json:"gc_running"`
	RemovedChunks uint64    `json:"gc_removed_chunks"`
	RemovedBytes  int64     `json:"gc_removed_bytes"`
	LastRun       time.Time `json:"gc_last_run,omitzero"`
	LastError     string    `json:"gc_last_error,omitempty"`
}

func (g *chunkGC) Status() chunkGCStatus {
	g.mu.Lock()
	st := g.status
	g.mu.Unlock()
	st.StoreStats = g.n.chunks.Store().Stats()
	st.chunkRepairStatus = g.n.chunkFix.Status()
	return st
}

// Run collects every interval until ctx ends.
func (g *chunkGC) Run(ctx context.Context) {
	t := time.NewTicker(g.n.cfg.ChunkGCInterval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		if _, err := g.collect(ctx, g.n.cfg.Now().Add(-g.n.cfg.ChunkGCGrace)); err != nil && ctx.Err() == nil {
			g.n.log.Warn("chunk collection stopped", "err", err)
		}
	}
}

// collect runs one collection, of the chunks last touched before cutoff.
func (g *chunkGC) collect(ctx context.Context, cutoff time.Time) (chunks.CollectResult, error) {
	g.mu.Lock()
	if g.status.Running {
		g.mu.Unlock()
		return chunks.CollectResult{}, nil
	}
	g.status.Running = true
	g.mu.Unlock()
	res, err := g.n.chunks.Collect(ctx, cutoff, g.live)
	g.mu.Lock()
	defer g.mu.Unlock()
	g.status.Running = false
	g.status.Runs++
	g.status.LastRun = g.n.cfg.Now()
	g.status.RemovedChunks += uint64(res.Removed)
	g.status.RemovedBytes += res.Bytes
	g.status.LastError = ""
	if err != nil {
		g.status.LastError = err.Error()
	}
	if res.Removed > 0 {
		g.n.log.Info("chunks collected", "removed", res.Removed, "bytes", res.Bytes, "of", res.Chunks)
	}
	return res, err
}

// live returns the chunks named by every manifest this node holds. A
// manifest it cannot read stops the collection: its chunks are unknown.
func (g *chunkGC) live(ctx context.Context) (func(chunks.Hash) bool, error) {
	set := map[chunks.Hash]struct{}{}
	add := func(where string, manifest []byte) error {
		if len(manifest) == 0 {
			return ctx.Err()
		}
		var m chunks.Manifest
		if err := m.UnmarshalBinary(manifest); err != nil {
			return fmt.Errorf("unreadable manifest (%s): %w", where, err)
		}
		for _, h := range m.Hashes() {
			set[h] = struct{}{}
		}
		return ctx.Err()
	}
	addEnvelope := func(where string, e version.Envelope) error {
		ref, ok := chunkRefOf(e)
		if !ok {
			return ctx.Err() // a tombstone, or not a file record (nothing of it is a chunk)
		}
		return add(where, ref.Manifest)
	}
	n := g.n
	if err := n.store.ForEach("", func(r ds.Record) error { return add("record "+r.FileID, r.Manifest) }); err != nil {
		return nil, err
	}
	for _, p := range n.replicas.Partitions() {
		err := n.replicas.ForEach(p, func(e version.Envelope) error { return addEnvelope(fmt.Sprintf("partition %d", p), e) })
		if err != nil {
			return nil, err
		}
	}
	txns, err := n.replicas.PendingTxns()
	if err != nil {
		return nil, err
	}
	for _, t := range txns {
		_, intents, ok, err := n.replicas.TxnIntents(t.ID)
		if err != nil {
			return nil, err
		}
		for _, in := range intents {
			if ok {
				if err := addEnvelope("transaction "+t.ID, in.Envelope); err != nil {
					return nil, err
				}
			}
		}
	}
	for target := range n.replicas.PendingHints() {
		hints, err := n.replicas.Hints(target, 1<<30)
		if err != nil {
			return nil, err
		}
		for _, h := range hints {
			if err := addEnvelope("hint for "+target, h.Envelope); err != nil {
				return nil, err
			}
		}
	}
	return func(h chunks.Hash) bool { _, ok := set[h]; return ok }, nil
}

// chunkRef is what chunk collection and repair need of a replicated
// record: whose file it is and its manifest, decoded without the text.
type chunkRef struct {
	NodeID, Share, Path string
	Manifest            []byte
}

// chunkRefOf decodes the chunk reference of an envelope's value; ok is
// false for a tombstone or a value that is not a file record.
func chunkRefOf(e version.Envelope) (chunkRef, bool) {
	if e.Tombstone {
		return chunkRef{}, false
	}
	var v struct {
		Record struct {
			NodeID   string `json:"node_id"`
			Share    string `json:"share"`
			Path     string `json:"path"`
			Manifest []byte `json:"manifest"`
		} `json:"record"`
	}
	if json.Unmarshal(e.Value, &v) != nil || ds.RecordKey(v.Record.NodeID, v.Record.Share, v.Record.Path) != e.Key {
		return chunkRef{}, false
	}
	r := v.Record
	return chunkRef{NodeID: r.NodeID, Share: r.Share, Path: r.Path, Manifest: r.Manifest}, true
}
