package node

import (
	"context"
	"errors"
	"sync"
	"time"

	"github.com/distrisearch/distrisearch/api"
	"github.com/distrisearch/distrisearch/replica/chunks"
	"github.com/distrisearch/distrisearch/replica/kv"
	"github.com/distrisearch/distrisearch/replica/version"
)

// chunkRepairInterval is how often every held record's chunks are checked.
const chunkRepairInterval = 10 * time.Minute

// chunkRepair makes this node hold the chunks of every file record it is
// a replica of: an upload or a copy of another node's shared file whose
// chunks did not reach it (it was down while the file was stored and got
// the record later from a hint or anti-entropy) or were lost or found
// corrupt. Records come from the data plane as they are applied here
// (Notify) and, every chunkRepairInterval and at start, from a pass over
// every held partition; missing chunks are fetched from the partition's
// other replicas (chunks.Service.Repair), one record at a time. A record
// whose chunks cannot be fetched now is tried again at the next pass.
// Records of this node's own shared files are skipped: it serves their
// bytes from the folder.
type chunkRepair struct {
	n *Node

	mu      sync.Mutex     // guards pending and counters
	pending map[string]int // record key → partition
	wake    chan struct{}
	fixed   uint64 // chunks fetched
	failed  uint64 // records whose repair failed
	lastErr string
}

func newChunkRepair(n *Node) *chunkRepair {
	return &chunkRepair{n: n, pending: map[string]int{}, wake: make(chan struct{}, 1)}
}

// Notify queues key's record for a check (replica.Deps.Applied).
func (r *chunkRepair) Notify(p int, a kv.Applied) {
	if a.Stored.Tombstone {
		return
	}
	r.queue(p, a.Stored.Key)
}

func (r *chunkRepair) queue(p int, key string) {
	r.mu.Lock()
	r.pending[key] = p
	r.mu.Unlock()
	select {
	case r.wake <- struct{}{}:
	default:
	}
}

// chunkRepairStatus is the repair part of the chunks status.
type chunkRepairStatus struct {
	Pending   int    `json:"repair_pending"`
	Fetched   uint64 `json:"repair_fetched_chunks"`
	Failed    uint64 `json:"repair_failures"`
	LastError string `json:"repair_last_error,omitempty"`
}

func (r *chunkRepair) Status() chunkRepairStatus {
	r.mu.Lock()
	defer r.mu.Unlock()
	return chunkRepairStatus{Pending: len(r.pending), Fetched: r.fixed, Failed: r.failed, LastError: r.lastErr}
}

// Run checks queued records until ctx ends, with a full pass at start and
// every chunkRepairInterval.
func (r *chunkRepair) Run(ctx context.Context) {
	t := time.NewTicker(chunkRepairInterval)
	defer t.Stop()
	r.pass()
	for {
		r.drain(ctx)
		select {
		case <-ctx.Done():
			return
		case <-r.wake:
		case <-t.C:
			r.pass()
		}
	}
}

// pass queues every held record that lacks a chunk.
func (r *chunkRepair) pass() {
	n := r.n
	for _, p := range n.replicas.Partitions() {
		_ = n.replicas.ForEach(p, func(e version.Envelope) error {
			if m, ok := r.manifest(e); ok && r.lacks(m) {
				r.queue(p, e.Key)
			}
			return nil
		})
	}
}

// manifest returns the chunk manifest of a record this node should hold
// the chunks of.
func (r *chunkRepair) manifest(e version.Envelope) (chunks.Manifest, bool) {
	rec, ok := decodeReplicated(e)
	if !ok || len(rec.Manifest) == 0 || rec.NodeID == r.n.id && rec.Share != api.UploadShare {
		return chunks.Manifest{}, false
	}
	var m chunks.Manifest
	if m.UnmarshalBinary(rec.Manifest) != nil {
		return chunks.Manifest{}, false
	}
	return m, true
}

// lacks reports whether the store misses a chunk of m (without touching
// the chunks it holds, as Missing would: they are referenced anyway).
func (r *chunkRepair) lacks(m chunks.Manifest) bool {
	st := r.n.chunks.Store()
	for _, h := range m.Hashes() {
		if !st.Has(h) {
			return true
		}
	}
	return false
}

// drain repairs the queued records.
func (r *chunkRepair) drain(ctx context.Context) {
	for ctx.Err() == nil {
		r.mu.Lock()
		key, p, ok := "", 0, false
		for key, p = range r.pending {
			ok = true
			break
		}
		delete(r.pending, key)
		r.mu.Unlock()
		if !ok {
			return
		}
		fetched, err := r.repair(ctx, p, key)
		r.mu.Lock()
		r.fixed += uint64(fetched)
		if err != nil && ctx.Err() == nil {
			r.failed++
			r.lastErr = err.Error()
		}
		r.mu.Unlock()
	}
}

// repair fetches what this node lacks of key's chunks, if it is a replica
// of p and holds the record.
func (r *chunkRepair) repair(ctx context.Context, p int, key string) (int, error) {
	n := r.n
	l, err := n.layouts.Get(n.cluster.View())
	if err != nil || !l.Table.Holds(n.id, p) {
		return 0, nil // no placement yet, or handed over: not this node's to hold
	}
	e, ok, err := n.data.Local(p, key)
	if err != nil || !ok {
		return 0, err
	}
	m, ok := r.manifest(e)
	if !ok {
		return 0, nil
	}
	if !r.lacks(m) {
		return 0, nil
	}
	fetched, err := n.chunks.Repair(ctx, key, m)
	if errors.Is(err, context.Canceled) {
		err = nil
	}
	if fetched > 0 {
		n.log.Info("chunks repaired", "key_partition", p, "fetched", fetched, "err", err)
	}
	return fetched, err
}
