package node

import (
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	ds "github.com/distrisearch/distrisearch"
	"github.com/distrisearch/distrisearch/api"
	"github.com/distrisearch/distrisearch/placement"
	"github.com/distrisearch/distrisearch/replica/quorum"
	"github.com/distrisearch/distrisearch/replica/version"
	"github.com/distrisearch/distrisearch/store"
)

// replicator writes this node's record changes to the data plane: every
// change of the record store (scanned and uploaded files) leaves a mark
// in the store's outbox in the same transaction, and the replicator
// writes the marked records — record and extracted text — to their
// partitions' replica sets at QUORUM (deletes as tombstones), this node
// coordinating. A mark is removed only after the write was acknowledged
// and only if the record did not change meanwhile, so a crash or a
// failed quorum at any point replicates the change again later.
//
// One goroutine owns the loop; Wake may be called from any.
type replicator struct {
	n     *Node
	wake  chan struct{}
	level quorum.Level
	after string // the walk through the outbox resumes after this key

	pending   atomic.Int64 // marks left at the last pass
	written   atomic.Uint64
	failures  atomic.Uint64
	lastErrMu sync.Mutex
	lastErr   string
}

const (
	replicateBatch       = 256
	replicateConcurrency = 16
	replicateRetry       = time.Second
	// replicatedMarker, in the data directory, records that the records
	// written before the outbox existed were marked for replication.
	replicatedMarker = "replication.v1"
	// placementFile, in the data directory, is the placement this node's
	// records were last replicated under (placementRecord).
	placementFile = "placement.json"
)

// placementRecord is enough to rebuild a placement table: its
// configuration and members.
type placementRecord struct {
	Config  placement.Config `json:"config"`
	Members []string         `json:"members"`
}

func newReplicator(n *Node) *replicator {
	return &replicator{n: n, wake: make(chan struct{}, 1), level: quorum.Quorum}
}

// Wake asks for a pass soon.
func (r *replicator) Wake() {
	select {
	case r.wake <- struct{}{}:
	default:
	}
}

// markExisting marks every record of a store that predates the outbox,
// once per data directory.
func (r *replicator) markExisting() error {
	path := filepath.Join(r.n.cfg.DataDir, replicatedMarker)
	if _, err := os.Stat(path); err == nil {
		return nil
	}
	k, err := r.n.store.MarkAll()
	if err != nil {
		return err
	}
	if k > 0 {
		r.n.log.Info("marked existing records for replication", "records", k)
	}
	return os.WriteFile(path, []byte("records are replicated through the store's outbox\n"), 0o600)
}

// Run replicates until ctx ends.
func (r *replicator) Run(ctx context.Context) {
	t := time.NewTicker(replicateRetry)
	defer t.Stop()
	var placed [32]byte
	for {
		if l, err := r.n.layouts.Get(r.n.cluster.View()); err == nil && l.Table.Digest() != placed {
			if err := r.placementChanged(l.Table); err != nil {
				r.fail(err)
			} else {
				placed = l.Table.Digest()
			}
		}
		// One walk through the outbox: a key that fails stays marked and
		// is retried at the next walk, after the keys behind it.
		for ctx.Err() == nil {
			seen, err := r.pass(ctx)
			if err != nil {
				r.fail(err)
			}
			if seen < replicateBatch {
				r.after = ""
				break // wait for more work or for the retry tick
			}
		}
		select {
		case <-ctx.Done():
			return
		case <-r.wake:
		case <-t.C:
		}
	}
}

// placementChanged marks this node's records in the partitions whose
// replica sets differ from those of the placement they were last
// replicated under, so that the new replicas of a shared file get its
// bytes (the records themselves reach them by anti-entropy, but chunks do
// not), then remembers the new placement. Uploads' records are marked
// only where this node was the partition's only replica (nothing else
// holds them). Without a remembered placement (a new data directory) it
// only remembers: every record is marked by its first write anyway.
func (r *replicator) placementChanged(t *placement.Table) error {
	path := filepath.Join(r.n.cfg.DataDir, placementFile)
	old, err := os.ReadFile(path) // #nosec G304 -- the node's own data directory and a constant file name
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return err
	}
	if err == nil {
		var prev placementRecord
		if err := json.Unmarshal(old, &prev); err != nil {
			r.n.log.Warn("unreadable placement record; replicating every record again", "err", err)
			if _, err := r.n.store.MarkAll(); err != nil {
				return err
			}
		} else if pt, err := placement.NewTable(prev.Config, prev.Members); err != nil || pt.Partitions() != t.Partitions() {
			if _, err := r.n.store.MarkAll(); err != nil {
				return err
			}
		} else if pt.Digest() != t.Digest() {
			changed := make([]bool, t.Partitions())
			alone := make([]bool, t.Partitions()) // this node was the partition's only replica
			for p := range changed {
				old := pt.ReplicaSet(p)
				changed[p] = !slices.Equal(old, t.ReplicaSet(p))
				alone[p] = len(old) == 1 && old[0] == r.n.id
			}
			uploads := ds.RecordKey(r.n.id, api.UploadShare, "")
			k, err := r.n.store.MarkWhere(func(key string) bool {
				p := t.PartitionOf(key)
				// An upload's record has no bytes to push (its chunks are
				// in the chunk store) and reaches the new replicas by
				// hand-off like any replicated record; sending this node's
				// copy again could only overwrite what the replicas
				// learned since (a folder operation: foldernotice.go).
				// Only a record that never left this node goes.
				return changed[p] && (!strings.HasPrefix(key, uploads) || alone[p])
			})
			if err != nil {
				return err
			}
			if k > 0 {
				r.n.log.Info("placement changed: replicating this node's records of the moved partitions again", "records", k)
				r.Wake()
			}
		}
	}
	b, err := json.Marshal(placementRecord{Config: t.Config(), Members: t.Members()})
	if err != nil {
		return err
	}
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, b, 0o600); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}

func (r *replicator) fail(err error) {
	r.failures.Add(1)
	r.lastErrMu.Lock()
	r.lastErr = err.Error()
	r.lastErrMu.Unlock()
	r.n.log.Debug("replicating records", "err", err)
}

// pass replicates the next batch of marked records and returns how many
// marks it read; the error is the first failure (its marks stay).
func (r *replicator) pass(ctx context.Context) (int, error) {
	entries, err := r.n.store.OutboxAfter(r.after, replicateBatch)
	if err != nil {
		return 0, err
	}
	if len(entries) == 0 {
		if r.after == "" {
			r.pending.Store(0)
		}
		return 0, nil
	}
	r.after = entries[len(entries)-1].Key
	var (
		mu       sync.Mutex
		done     []store.OutboxEntry
		firstErr error
		wg       sync.WaitGroup
		sem      = make(chan struct{}, replicateConcurrency)
	)
	for _, e := range entries {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			err := r.replicate(ctx, e.Key)
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				if firstErr == nil {
					firstErr = err
				}
				return
			}
			done = append(done, e)
		}()
	}
	wg.Wait()
	if err := r.n.store.OutboxDone(done...); err != nil && firstErr == nil {
		firstErr = err
	}
	r.written.Add(uint64(len(done)))
	if k, err := r.n.store.OutboxLen(); err == nil {
		r.pending.Store(int64(k))
	}
	return len(entries), firstErr
}

// replicateNow writes the record under key to its replica set at level
// before returning (an upload is acknowledged only once its record is on
// the replicas the client asked for) and clears its mark when nothing
// changed it meanwhile.
func (r *replicator) replicateNow(ctx context.Context, key string, level quorum.Level) error {
	mark, marked, err := r.n.store.OutboxMark(key)
	if err != nil {
		return err
	}
	if err := r.replicateAt(ctx, key, level); err != nil {
		return err
	}
	if marked {
		return r.n.store.OutboxDone(mark)
	}
	return nil
}

// replicate writes the store's current state of key to its replica set,
// unless it is an upload's record that the replicas hold a newer state of
// (supersededUpload).
func (r *replicator) replicate(ctx context.Context, key string) error {
	if skip, err := r.supersededUpload(ctx, key); err != nil || skip {
		return err
	}
	return r.replicateAt(ctx, key, r.level)
}

// supersededUpload reports whether key is the record of one of this
// node's uploads that the replicas hold a newer state of: a tombstone, or
// another version, written after this node stored its own. A folder
// operation (folders.go) deletes and moves uploads of any node on their
// replicas; the node that took them adopts the change when its notice
// arrives (foldernotice.go). Until then its store still holds the old
// record, and a re-send of it — MarkAll after an unreadable placement
// record, a record kept alone until another node joined — would bring a
// deleted file back. The replicas' newer state is left alone instead; the
// notice updates the store. A record written here after the replicas'
// state (an upload again under the same path) is newer and sent, as it
// would win there anyway (last write wins). This costs a read at the
// replicator's level per re-sent upload record.
func (r *replicator) supersededUpload(ctx context.Context, key string) (bool, error) {
	if !strings.HasPrefix(key, ds.RecordKey(r.n.id, api.UploadShare, "")) || r.sole(key) {
		return false, nil
	}
	rec, err := r.n.store.ByKey(key)
	if ds.KindOf(err) == ds.KindNotFound {
		return false, nil // a tombstone to send
	}
	if err != nil {
		return false, err
	}
	res, err := r.n.data.Get(ctx, key, r.level)
	if err != nil || res.Envelope.Key == "" {
		return false, err
	}
	e := res.Envelope
	if cur, ok := decodeReplicated(e); ok && cur.FileID == rec.FileID && cur.IndexedAt.Equal(rec.IndexedAt) {
		return false, nil // the same record: sent again as before
	}
	if !e.Version.Stamp.Time().After(rec.IndexedAt) {
		return false, nil
	}
	r.n.log.Info("not re-sending an upload's record: its replicas hold a newer state (a folder operation); the store follows its notice",
		"path", rec.Path, "tombstone", e.Tombstone)
	return true, nil
}

func (r *replicator) replicateAt(ctx context.Context, key string, level quorum.Level) error {
	if r.sole(key) {
		return nil
	}
	rec, err := r.n.store.ByKey(key)
	if ds.KindOf(err) == ds.KindNotFound {
		_, err = r.n.data.Delete(ctx, key, level)
		return err
	}
	if err != nil {
		return err
	}
	if rec.Content, err = r.n.store.Content(rec.FileID); err != nil && ds.KindOf(err) != ds.KindNotFound {
		return err
	}
	if len(rec.Manifest) == 0 {
		if rec.Manifest, err = r.shareContent(ctx, rec, level); err != nil {
			return err
		}
	}
	value, err := encodeReplicated(rec, r.n.data.MaxValueBytes())
	if err != nil {
		return err
	}
	_, err = r.n.data.Put(ctx, key, value, level)
	return err
}

// sole reports whether this node is the only replica of key's partition
// and holds no replicated copy of it: there is then nowhere to write the
// record (a node alone, or RF 1). When placement gives the partition other
// replicas, placementChanged marks the record again. A copy this node
// does hold (the cluster had other members) is kept up to date as usual.
func (r *replicator) sole(key string) bool {
	l, err := r.n.layouts.Get(r.n.cluster.View())
	if err != nil {
		return false
	}
	p := l.Table.PartitionOf(key)
	set := l.Table.ReplicaSet(p)
	if len(set) != 1 || set[0] != r.n.id {
		return false
	}
	_, held, err := r.n.data.Local(p, key)
	return err == nil && !held
}

// shareContent stores the bytes of a shared file as chunks on the other
// replicas of its partition (this node, which serves it from its share
// while up, counts as one) and returns the chunk manifest the replicated
// record carries, so that the file downloads from its replicas while this
// node is down. nil when this node is the partition's only replica, or
// when the file changed or vanished since it was scanned (the rescan
// marks the record again).
func (r *replicator) shareContent(ctx context.Context, rec ds.Record, level quorum.Level) ([]byte, error) {
	l, err := r.n.layouts.Get(r.n.cluster.View())
	if err != nil {
		return nil, err
	}
	others := false
	for _, id := range l.Table.ReplicaSet(l.Table.PartitionOf(rec.Key())) {
		others = others || id != r.n.id
	}
	if !others {
		return nil, nil
	}
	blob, err := files{r.n}.openLocal(rec)
	switch ds.KindOf(err) {
	case ds.KindNotFound, ds.KindConflict:
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	defer blob.Close()
	m, err := r.n.chunks.PutStreamHeld(ctx, rec.Key(), blob, level, r.n.id)
	if err != nil {
		return nil, err
	}
	if m.Size != rec.Size || hex.EncodeToString(m.SHA256[:]) != rec.ContentHash {
		return nil, nil // changed while read: the rescan marks it again
	}
	return m.MarshalBinary()
}

// encodeReplicated encodes a record and its text as a replicated value of
// at most limit bytes, cutting the text (at a character boundary) when it
// does not fit: search on replicas then covers the start of a very long
// text, as the index itself caps what it indexes.
func encodeReplicated(rec ds.Record, limit int) ([]byte, error) {
	text := rec.Content
	rec.Content = ""
	for {
		b, err := version.EncodeRecord(version.RecordValue{Record: rec, Content: text})
		if err != nil || len(b) <= limit {
			return b, err
		}
		if text == "" {
			return nil, errors.New("the record alone exceeds the replicated value limit")
		}
		cut := len(text) - (len(b) - limit) - 1 // a byte of text takes 1 to 6 encoded bytes
		if cut > len(text)*15/16 {
			cut = len(text) * 15 / 16
		}
		text = validPrefix(text, max(cut, 0))
	}
}

// validPrefix returns the longest prefix of s of at most n bytes that
// ends at a character boundary.
func validPrefix(s string, n int) string {
	if n >= len(s) {
		return s
	}
	for n > 0 && n < len(s) && s[n]&0xC0 == 0x80 {
		n--
	}
	return s[:n]
}

// replicationStatus is what the API shows of the replicator.
type replicationStatus struct {
	Pending   int64  `json:"pending"`
	Written   uint64 `json:"written"`
	Failures  uint64 `json:"failures"`
	LastError string `json:"last_error,omitempty"`
}

func (r *replicator) Status() replicationStatus {
	r.lastErrMu.Lock()
	defer r.lastErrMu.Unlock()
	return replicationStatus{Pending: r.pending.Load(), Written: r.written.Load(), Failures: r.failures.Load(), LastError: r.lastErr}
}
