package node

import (
	"context"
	"encoding/json"
	"strings"
	"sync"
	"time"

	ds "github.com/distrisearch/distrisearch"
	"github.com/distrisearch/distrisearch/index"
	"github.com/distrisearch/distrisearch/replica/kv"
	"github.com/distrisearch/distrisearch/replica/version"
)

// replicaIndexer keeps this node's index in step with the replicated
// records of other nodes' files that this node holds: the data plane
// reports every change of a key (replica.Deps.Applied), whatever brought
// it; the indexer reads the key's current copy and indexes it, removing
// the version it replaced. Records of this node's own files are indexed
// by the scanner's path (the indexer) and skipped here.
//
// Notifications for one key may arrive out of order; reading the current
// copy makes the outcome right anyway, and every replaced file id is
// named by exactly one notification, so none stays indexed. One goroutine
// (Run) applies; Notify is called from the data plane's goroutines.
type replicaIndexer struct {
	self   string
	index  *index.Index
	local  func(p int, key string) (version.Envelope, bool, error)
	logErr func(msg string, args ...any)

	// startup, when set, runs first in Run (the reconciliation at start).
	startup func()
	// inStore reports whether this node's record store holds key.
	inStore func(key string) bool

	mu      sync.Mutex // guards pending and idle
	pending map[string]*keyChange
	wake    chan struct{}
}

// coalesce is how long the indexer lets changes gather before indexing.
const coalesce = 100 * time.Millisecond

type keyChange struct {
	p int
	// gone holds the values of the versions it replaced; their file ids
	// are decoded by the indexer's goroutine, not on the data plane's
	// write path.
	gone [][]byte
}

func newReplicaIndexer(self string, ix *index.Index, local func(int, string) (version.Envelope, bool, error), logErr func(string, ...any)) *replicaIndexer {
	return &replicaIndexer{self: self, index: ix, local: local, logErr: logErr,
		pending: map[string]*keyChange{}, wake: make(chan struct{}, 1)}
}

// own reports whether key names a file this node shares or took.
func (x *replicaIndexer) own(key string) bool { return strings.HasPrefix(key, x.self+"\x00") }

// indexedLocally reports whether key's record is indexed by the scanner's
// path: a file of this node that its record store holds. An own record
// only the replicas hold (an atomic upload committed just before a crash,
// before this node stored it) is indexed from the replica like any other.
func (x *replicaIndexer) indexedLocally(key string) bool {
	return x.own(key) && (x.inStore == nil || x.inStore(key))
}

// Notify records that this node's copy of a key changed.
func (x *replicaIndexer) Notify(p int, a kv.Applied) {
	key := a.Stored.Key
	if x.indexedLocally(key) {
		return
	}
	var gone []byte
	if a.Existed && !a.Previous.Tombstone {
		gone = a.Previous.Value
	}
	x.mu.Lock()
	c := x.pending[key]
	if c == nil {
		c = &keyChange{p: p}
		x.pending[key] = c
	}
	if gone != nil {
		c.gone = append(c.gone, gone)
	}
	x.mu.Unlock()
	select {
	case x.wake <- struct{}{}:
	default:
	}
}

// fileIDOf returns the file id of an encoded RecordValue ("" if none).
func fileIDOf(value []byte) string {
	var v struct {
		Record struct {
			FileID string `json:"file_id"`
		} `json:"record"`
	}
	if json.Unmarshal(value, &v) != nil || !ds.IsFileID(v.Record.FileID) {
		return ""
	}
	return v.Record.FileID
}

// decodeReplicated returns the record (with its text) of an envelope's
// value; ok is false for a tombstone or a value that is not a record.
func decodeReplicated(e version.Envelope) (ds.Record, bool) {
	if e.Tombstone {
		return ds.Record{}, false
	}
	var v version.RecordValue
	if json.Unmarshal(e.Value, &v) != nil || !ds.IsFileID(v.Record.FileID) || v.Record.Key() != e.Key {
		return ds.Record{}, false
	}
	v.Record.Content = v.Content
	return v.Record, true
}

// Run applies notified changes until ctx ends.
func (x *replicaIndexer) Run(ctx context.Context) {
	if x.startup != nil {
		x.startup()
	}
	for {
		select {
		case <-ctx.Done():
			return
		case <-x.wake:
		}
		// Let a burst of writes gather: bigger batches index faster and
		// leave scorch fewer segments to merge.
		select {
		case <-ctx.Done():
		case <-time.After(coalesce):
		}
		for wait := 100 * time.Millisecond; ; wait = min(2*wait, 10*time.Second) {
			if err := x.flush(); err == nil {
				break
			} else {
				x.logErr("indexing replicated records failed; retrying", "err", err, "retry_in", wait)
			}
			select {
			case <-ctx.Done():
				return
			case <-time.After(wait):
			}
		}
	}
}

// flush indexes every pending key's current copy, in batches. On error
// the unapplied keys are pending again.
func (x *replicaIndexer) flush() error {
	x.mu.Lock()
	batch := x.pending
	x.pending = map[string]*keyChange{}
	x.mu.Unlock()
	var (
		puts    []ds.Record
		deletes []string
		keys    []string
		size    int
	)
	apply := func() error {
		err := x.index.Apply(puts, deletes)
		if err == nil {
			for _, k := range keys {
				delete(batch, k)
			}
		}
		puts, deletes, keys, size = puts[:0], deletes[:0], keys[:0], 0
		return err
	}
	var err error
	for key, c := range batch {
		cur := ""
		if e, ok, lerr := x.local(c.p, key); lerr != nil {
			err = lerr
			break
		} else if ok {
			if rec, ok := decodeReplicated(e); ok {
				puts = append(puts, rec)
				cur = rec.FileID
				size += len(rec.Content)
			}
		}
		for _, v := range c.gone {
			if id := fileIDOf(v); id != "" && id != cur {
				deletes = append(deletes, id)
			}
		}
		keys = append(keys, key)
		if len(keys) >= 256 || size >= 32<<20 {
			if err = apply(); err != nil {
				break
			}
		}
	}
	if err == nil {
		err = apply()
	}
	if len(batch) > 0 {
		x.mu.Lock()
		for key, c := range batch {
			if n := x.pending[key]; n != nil {
				n.gone = append(n.gone, c.gone...)
			} else {
				x.pending[key] = c
			}
		}
		x.mu.Unlock()
	}
	return err
}

// reconcile makes the index agree with the replica store after a crash
// between a store change and its index write: replicas of other nodes'
// records missing from the index (or indexed at another version) are
// indexed, and index entries of other nodes' files that the store no
// longer holds at that version are removed.
func (x *replicaIndexer) reconcile(partitions []int, each func(p int, fn func(version.Envelope) error) error, partitionOf func(key string) int) (added, removed int, err error) {
	var puts []ds.Record
	flush := func() error {
		err := x.index.Apply(puts, nil)
		puts = puts[:0]
		return err
	}
	for _, p := range partitions {
		err := each(p, func(e version.Envelope) error {
			if x.indexedLocally(e.Key) {
				return nil
			}
			rec, ok := decodeReplicated(e)
			if !ok {
				return nil
			}
			if has, err := x.index.Get(rec.FileID); err != nil || has {
				return err
			}
			puts = append(puts, rec)
			added++
			if len(puts) >= 256 {
				return flush()
			}
			return nil
		})
		if err != nil {
			return added, removed, err
		}
	}
	if err := flush(); err != nil {
		return added, removed, err
	}
	var stale []string
	err = x.index.ForEachForeign(x.self, func(id, key string) error {
		p := partitionOf(key)
		if p < 0 {
			return nil
		}
		e, ok, err := x.local(p, key)
		if err != nil {
			return err
		}
		if rec, live := decodeReplicated(e); !ok || !live || rec.FileID != id {
			stale = append(stale, id)
		}
		return nil
	})
	if err != nil {
		return added, removed, err
	}
	return added, len(stale), x.index.Apply(nil, stale)
}
