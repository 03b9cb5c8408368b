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

// chunkRepairInterval is how often every held record's chunks are checked
// (records applied here are checked as they come: the pass is the net
// under that).
const chunkRepairInterval = time.Hour

// chunkRepairDelay is how long a record applied here waits before its
// chunks are checked: a record usually arrives before the last of its
// chunks (the writer sends them to the replicas past the W-th in the
// background), and fetching them meanwhile would move them twice.
const chunkRepairDelay = 30 * time.Second

// chunkRepair makes this node hold the chunks of every file record it is
// a replica of: an upload or a copy of another node's shared file whose
// chunks did not reach it (it was down while the file was stored and got
// the record later from a hint or anti-entropy) or were lost or found
// corrupt. Records come from the data plane as they are applied here
// (Notify) and, every chunkRepairInterval and at start, from a pass over
// every held partition; missing chunks are fetched from the partition's
// other replicas (chunks.Service.Repair), one record at a time, a record
// applied here only after chunkRepairDelay. A record
// whose chunks cannot be fetched now is tried again at the next pass.
// Records of this node's own shared files are skipped: it serves their
// bytes from the folder.
type chunkRepair struct {
	n *Node

	mu      sync.Mutex               // guards pending and counters
	pending map[string]pendingRepair // by record key
	looks   time.Time                // when Run looks at pending next
	wake    chan struct{}
	fixed   uint64 // chunks fetched
	failed  uint64 // records whose repair failed
	lastErr string
}

type pendingRepair struct {
	p   int
	due time.Time // not checked before
}

func newChunkRepair(n *Node) *chunkRepair {
	return &chunkRepair{n: n, pending: map[string]pendingRepair{}, wake: make(chan struct{}, 1)}
}

// Notify queues key's record for a check after chunkRepairDelay
// (replica.Deps.Applied).
func (r *chunkRepair) Notify(p int, a kv.Applied) {
	if a.Stored.Tombstone {
		return
	}
	r.queue(p, a.Stored.Key, r.n.cfg.Now().Add(chunkRepairDelay))
}

// queue adds key to the checks due at due; a key already queued keeps
// its earlier time (a record written again and again is still checked).
func (r *chunkRepair) queue(p int, key string, due time.Time) {
	r.mu.Lock()
	if old, ok := r.pending[key]; ok && old.due.Before(due) {
		due = old.due
	}
	r.pending[key] = pendingRepair{p: p, due: due}
	sooner := due.Before(r.looks)
	r.mu.Unlock()
	if sooner {
		select {
		case r.wake <- struct{}{}:
		default:
		}
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
	next := time.NewTimer(time.Hour)
	defer next.Stop()
	r.pass()
	for {
		wait := r.drain(ctx)
		next.Reset(wait)
		select {
		case <-ctx.Done():
			return
		case <-r.wake:
		case <-next.C:
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
				r.queue(p, e.Key, r.n.cfg.Now())
			}
			return nil
		})
	}
}

// manifest returns the chunk manifest of a record this node should hold
// the chunks of.
func (r *chunkRepair) manifest(e version.Envelope) (chunks.Manifest, bool) {
	rec, ok := chunkRefOf(e)
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

// drain repairs the queued records that are due and returns how long
// until the next one is (an hour when none is queued).
func (r *chunkRepair) drain(ctx context.Context) time.Duration {
	for ctx.Err() == nil {
		now := r.n.cfg.Now()
		wait := time.Hour
		r.mu.Lock()
		key, p, ok := "", 0, false
		for k, pr := range r.pending {
			if pr.due.After(now) {
				wait = min(wait, pr.due.Sub(now))
				continue
			}
			key, p, ok = k, pr.p, true
			break
		}
		if ok {
			delete(r.pending, key)
		}
		if !ok {
			r.looks = now.Add(wait)
			r.mu.Unlock()
			return wait
		}
		r.mu.Unlock()
		fetched, err := r.repair(ctx, p, key)
		r.mu.Lock()
		r.fixed += uint64(fetched)
		if err != nil && ctx.Err() == nil {
			r.failed++
			r.lastErr = err.Error()
		}
		r.mu.Unlock()
	}
	return time.Hour
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
