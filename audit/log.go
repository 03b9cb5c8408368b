package audit

import (
	"context"
	"crypto/rand"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/distrisearch/distrisearch"
	bolt "go.etcd.io/bbolt"
	berrors "go.etcd.io/bbolt/errors"
)

// formatVersion is stored in the meta bucket; Open refuses other values.
const formatVersion = "1"

var (
	bucketMeta    = []byte("meta")
	bucketChains  = []byte("chains") // node id -> {e: seq -> record, m: head, checkpoint}
	bucketTime    = []byte("time")   // time(8) seq(8) node -> nil
	bucketEntries = []byte("e")
	bucketChainM  = []byte("m")
	keyFormat     = []byte("format")
	keyHead       = []byte("head")
	keyCheckpoint = []byte("checkpoint")
)

// Log is an append-only, hash-chained audit log. It is safe for concurrent
// use.
type Log struct {
	cfg  Config
	db   *bolt.DB
	log  *slog.Logger
	node []byte

	mu         sync.Mutex // guards queue, committing, closed
	queue      []*request
	committing bool // a leader is committing the queue
	closed     bool
	inflight   sync.WaitGroup // Append calls in progress

	anchorMu  sync.Mutex // serialises anchor writes; guards anchorSeq
	anchorSeq uint64     // head seq of the last anchor written

	pruneMu sync.Mutex // one Prune at a time

	runMu     sync.Mutex // guards cancelRun
	cancelRun context.CancelFunc
	runWG     sync.WaitGroup

	commits atomic.Uint64 // committed transactions (benchmarks report entries per commit)

	// failAfter, when set by tests, is called after each entry is put in a
	// commit transaction; an error aborts the transaction.
	failAfter func(i int) error
}

// request is one Append waiting for a group commit.
type request struct {
	e    Entry
	err  error
	wake chan bool // true: become the leader; false: committed (e, err set)
}

// Open opens or creates the log at cfg.Path.
func Open(cfg Config) (*Log, error) {
	if err := cfg.Validate(); err != nil {
		return nil, &distrisearch.Error{Kind: distrisearch.KindInvalid, Code: "bad_audit_config", Message: err.Error(), Op: "audit.Open", Err: err}
	}
	if cfg.AnchorPath == "" {
		cfg.AnchorPath = cfg.Path + ".anchor"
	}
	lg := cfg.Logger
	if lg == nil {
		lg = slog.Default()
	}
	db, err := bolt.Open(cfg.Path, 0o600, &bolt.Options{Timeout: cfg.OpenTimeout, NoSync: cfg.NoSync})
	if err != nil {
		if errors.Is(err, berrors.ErrTimeout) {
			return nil, &distrisearch.Error{Kind: distrisearch.KindUnavailable, Code: "audit_locked",
				Message: "the audit log is in use by another process", Op: "audit.Open", Err: err}
		}
		return nil, fmt.Errorf("open audit log %s: %w", cfg.Path, err)
	}
	l := &Log{cfg: cfg, db: db, log: lg.With("component", "audit"), node: []byte(cfg.NodeID)}
	if err := l.init(); err != nil {
		db.Close()
		return nil, err
	}
	a, err := readAnchor(cfg.AnchorPath, cfg.AnchorKey)
	if err != nil && !errors.Is(err, errNoAnchor) {
		l.log.Warn("audit anchor unreadable", "err", err)
	}
	if err == nil && a.Node == cfg.NodeID {
		l.anchorSeq = a.Seq
	}
	return l, nil
}

func (l *Log) init() error {
	return l.db.Update(func(tx *bolt.Tx) error {
		meta, err := tx.CreateBucketIfNotExists(bucketMeta)
		if err != nil {
			return fmt.Errorf("create meta bucket: %w", err)
		}
		switch v := meta.Get(keyFormat); {
		case v == nil:
			if err := meta.Put(keyFormat, []byte(formatVersion)); err != nil {
				return fmt.Errorf("write format: %w", err)
			}
		case string(v) != formatVersion:
			return fmt.Errorf("audit log format %q, want %q", v, formatVersion)
		}
		if _, err := tx.CreateBucketIfNotExists(bucketTime); err != nil {
			return fmt.Errorf("create time bucket: %w", err)
		}
		chains, err := tx.CreateBucketIfNotExists(bucketChains)
		if err != nil {
			return fmt.Errorf("create chains bucket: %w", err)
		}
		_, _, err = chainBuckets(chains, l.node, true)
		return err
	})
}

// chainBuckets returns the entries and meta buckets of node's chain,
// creating them if create is set; nil buckets if absent.
func chainBuckets(chains *bolt.Bucket, node []byte, create bool) (entries, meta *bolt.Bucket, err error) {
	c := chains.Bucket(node)
	if c == nil {
		if !create {
			return nil, nil, nil
		}
		if c, err = chains.CreateBucket(node); err != nil {
			return nil, nil, fmt.Errorf("create chain bucket: %w", err)
		}
	}
	if entries = c.Bucket(bucketEntries); entries == nil && create {
		if entries, err = c.CreateBucket(bucketEntries); err != nil {
			return nil, nil, fmt.Errorf("create entries bucket: %w", err)
		}
	}
	if meta = c.Bucket(bucketChainM); meta == nil && create {
		if meta, err = c.CreateBucket(bucketChainM); err != nil {
			return nil, nil, fmt.Errorf("create chain meta bucket: %w", err)
		}
	}
	return entries, meta, nil
}

// Append records e and returns it as stored (with ID, Node, Seq, Time,
// PrevHash and Hash set; any values the caller put there are replaced). When it returns nil the entry is durable.
// Concurrent calls are committed together. ctx is checked before the entry
// is queued; once queued, the entry is committed or fails with the batch.
func (l *Log) Append(ctx context.Context, e Entry) (Entry, error) {
	if err := ctx.Err(); err != nil {
		return Entry{}, err
	}
	n, err := normalize(e)
	if err != nil {
		return Entry{}, &distrisearch.Error{Kind: distrisearch.KindInvalid, Code: "bad_audit_entry", Message: err.Error(), Op: "audit.Append", Err: err}
	}
	// The log's clock, not the caller, dates entries: a backdated entry
	// could otherwise be pruned at once or hidden from time queries.
	n.Time = time.Unix(0, l.cfg.Now().UnixNano()).UTC()
	n.Node = l.cfg.NodeID
	n.ID = newID()
	n.Seq, n.PrevHash, n.Hash = 0, Hash{}, Hash{}
	r := &request{e: n, wake: make(chan bool, 1)}

	l.mu.Lock()
	if l.closed {
		l.mu.Unlock()
		return Entry{}, ErrClosed
	}
	l.inflight.Add(1)
	defer l.inflight.Done()
	l.queue = append(l.queue, r)
	if l.committing {
		l.mu.Unlock()
		if lead := <-r.wake; !lead {
			return r.e, r.err
		}
	} else {
		l.committing = true
		l.mu.Unlock()
	}
	l.lead()
	return r.e, r.err
}

// lead commits one batch from the head of the queue (which holds the
// leader's own request), then hands leadership to the next waiter.
func (l *Log) lead() {
	l.mu.Lock()
	n := min(len(l.queue), l.cfg.MaxBatch)
	batch := make([]*request, n)
	copy(batch, l.queue[:n])
	l.queue = append(l.queue[:0], l.queue[n:]...)
	l.mu.Unlock()

	head, err := l.commit(batch)
	for _, r := range batch {
		r.err = err
	}

	l.mu.Lock()
	if len(l.queue) > 0 {
		l.queue[0].wake <- true
	} else {
		l.committing = false
	}
	l.mu.Unlock()
	for _, r := range batch[1:] {
		r.wake <- false
	}
	if err == nil {
		// After the hand-off, so the next batch commits meanwhile; a
		// failed anchor write is logged and retried at the next one.
		_ = l.maybeAnchor(head, false)
	}
}

// head is a chain's latest (seq, hash).
type head struct {
	Seq  uint64
	Hash Hash
}

func decodeHead(v []byte) (head, bool) {
	var h head
	if len(v) < 8+HashLen {
		return h, false
	}
	h.Seq = binary.BigEndian.Uint64(v)
	copy(h.Hash[:], v[8:8+HashLen])
	return h, true
}

func encodeHead(h head) []byte {
	b := binary.BigEndian.AppendUint64(make([]byte, 0, 8+HashLen), h.Seq)
	return append(b, h.Hash[:]...)
}

// commit writes batch in one transaction and returns the new head.
func (l *Log) commit(batch []*request) (head, error) {
	var h head
	err := l.db.Update(func(tx *bolt.Tx) error {
		entries, meta, err := chainBuckets(tx.Bucket(bucketChains), l.node, true)
		if err != nil {
			return err
		}
		h, _ = decodeHead(meta.Get(keyHead))
		tidx := tx.Bucket(bucketTime)
		for i, r := range batch {
			e := &r.e
			e.Seq, e.PrevHash = h.Seq+1, h.Hash
			e.Hash = chainHash(e.PrevHash, canonical(e))
			if err := entries.Put(seqKey(e.Seq), encodeRecord(e)); err != nil {
				return fmt.Errorf("put entry: %w", err)
			}
			if err := tidx.Put(timeKey(e.Time, e.Seq, l.node), nil); err != nil {
				return fmt.Errorf("put time index: %w", err)
			}
			h = head{Seq: e.Seq, Hash: e.Hash}
			if l.failAfter != nil {
				if err := l.failAfter(i); err != nil {
					return err
				}
			}
		}
		return meta.Put(keyHead, encodeHead(h))
	})
	if err != nil {
		for _, r := range batch {
			r.e.Seq, r.e.PrevHash, r.e.Hash = 0, Hash{}, Hash{}
		}
		return head{}, fmt.Errorf("audit append: %w", err)
	}
	l.commits.Add(1)
	return h, nil
}

func seqKey(seq uint64) []byte { return binary.BigEndian.AppendUint64(nil, seq) }

func timeKey(t time.Time, seq uint64, node []byte) []byte {
	b := make([]byte, 0, 16+len(node))
	b = binary.BigEndian.AppendUint64(b, uint64(t.UnixNano())^(1<<63)) // order-preserving for negatives
	b = binary.BigEndian.AppendUint64(b, seq)
	return append(b, node...)
}

func newID() string {
	var b [16]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails (Go >= 1.24)
	return hex.EncodeToString(b[:])
}

// Start starts the loop that prunes expired entries every
// Config.PruneInterval until ctx ends or Close is called.
func (l *Log) Start(ctx context.Context) error {
	l.runMu.Lock()
	defer l.runMu.Unlock()
	l.mu.Lock()
	closed := l.closed
	l.mu.Unlock()
	if closed {
		return ErrClosed
	}
	if l.cancelRun != nil {
		return errors.New("audit: already started")
	}
	ctx, cancel := context.WithCancel(ctx)
	l.cancelRun = cancel
	l.runWG.Add(1)
	go func() {
		defer l.runWG.Done()
		t := time.NewTicker(l.cfg.PruneInterval)
		defer t.Stop()
		for {
			if _, err := l.Prune(ctx); err != nil && ctx.Err() == nil {
				l.log.Warn("audit prune failed", "err", err)
			}
			select {
			case <-ctx.Done():
				return
			case <-t.C:
			}
		}
	}()
	return nil
}

// Close stops the prune loop, waits for Appends in progress, writes the
// anchor and closes the file. It is safe to call more than once.
func (l *Log) Close() error {
	l.mu.Lock()
	if l.closed {
		l.mu.Unlock()
		return nil
	}
	l.closed = true
	l.mu.Unlock()
	l.runMu.Lock()
	if l.cancelRun != nil {
		l.cancelRun()
	}
	l.runMu.Unlock()
	l.runWG.Wait()
	l.inflight.Wait()
	var errs []error
	if a, err := l.Head(); err != nil {
		errs = append(errs, err)
	} else if err := l.maybeAnchor(head{Seq: a.Seq, Hash: a.Hash}, true); err != nil {
		errs = append(errs, err)
	}
	if err := l.db.Close(); err != nil {
		errs = append(errs, fmt.Errorf("close audit log: %w", err))
	}
	return errors.Join(errs...)
}
