package node

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"path"
	"slices"
	"strings"
	"sync"
	"time"

	ds "github.com/distrisearch/distrisearch"
	"github.com/distrisearch/distrisearch/api"
	"github.com/distrisearch/distrisearch/cluster"
	"github.com/distrisearch/distrisearch/replica/quorum"
	"github.com/distrisearch/distrisearch/replica/version"
	"github.com/distrisearch/distrisearch/scan"
	"github.com/distrisearch/distrisearch/transport"
)

// Folder operations and the owners' record stores.
//
// An uploaded file's record lives in two places: the record store of the
// node that took the upload (its owner: the store feeds that node's index,
// its file lookups and its replicator) and the replicas of the record's
// partition. A folder operation (folders.go) changes the replicas by
// two-phase commit; the owners' stores follow through notices:
//
//   - The transaction writes, with the records, one notice per owner under
//     noticeKey(owner, op): the owner's files it deletes or moves, each
//     with the version it saw. A notice is committed with the records or
//     not at all, and is as durable as they are — on the replicas of its
//     partition, resolved by their own recovery if the coordinator dies.
//   - After the commit the coordinator hands each owner its notice
//     (pathFolderAdopt) and, once adopted, deletes it.
//   - Every node holding a notice (it saw it applied — commit, hint,
//     anti-entropy, hand-off — or found it in its replica store at start)
//     delivers it if it is still there after a while: the owner adopts its
//     own at once; a replica waits noticeGrace × (1 + its rank in the
//     replica set), so that normally one of them does it, and retries
//     until the owner answers; a notice for a member that left is dropped.
//   - Adopting is idempotent and changes only the version the operation
//     saw (same file id and indexed_at): a record the owner replaced since
//     is left alone. The owner writes the change to its store and index
//     and clears the outbox marks: the replicas have it already.
//
// Until it adopted a notice an owner still holds the old records, and its
// replicator must not write them back over the operation: a placement
// change does not re-send uploads' records (hand-off carries them to the
// new replicas), and any other re-send first reads the replicas and leaves
// a newer tombstone or version alone (supersededUpload), so a deleted file
// never comes back.

const (
	// noticePrefix starts every notice key. A record key starts with a
	// node id, never with NUL, so no record is mistaken for a notice.
	noticePrefix = "\x00folder-op\x00"
	// pathFolderAdopt is the owner's route that adopts a notice.
	pathFolderAdopt = "/internal/folders/adopt"
	// noticeGrace is how long a replica leaves a notice to the
	// coordinator, per rank in the replica set.
	noticeGrace = 2 * time.Second
	// noticeTick is how often the deliverer looks for notices due.
	noticeTick = 500 * time.Millisecond
	// noticeMaxBackoff bounds the wait between two deliveries of a notice
	// whose owner does not answer.
	noticeMaxBackoff = time.Minute
	// noticeCallWait bounds one delivery to an owner.
	noticeCallWait = 30 * time.Second
)

// noticeKey is the data-plane key of the notice of operation op to owner.
func noticeKey(owner, op string) string { return noticePrefix + owner + "\x00" + op }

// isNoticeKey reports whether key names a notice.
func isNoticeKey(key string) bool { return strings.HasPrefix(key, noticePrefix) }

// folderNotice tells an owner what a committed folder operation did to
// its uploaded files.
type folderNotice struct {
	Op    string       `json:"op"`
	Owner string       `json:"owner"`
	At    time.Time    `json:"at"` // when the operation ran: the indexed_at of moved records
	Items []noticeItem `json:"items"`
}

// noticeItem is one file: deleted, or moved to To.
type noticeItem struct {
	FileID    string    `json:"file_id"`
	IndexedAt time.Time `json:"indexed_at"`
	Path      string    `json:"path"`
	To        string    `json:"to,omitempty"`
	// Manifest is the moved file's chunk manifest when it differs from
	// the record's (the chunks were cut again for the new key).
	Manifest []byte `json:"manifest,omitempty"`
}

// movedRecord returns rec at path to: the same bytes, chunks, text and
// metadata, a new file id (it names the path), indexed at at. Folder moves
// keep base names, so the name, extension and type stay. The coordinator
// builds the replicated record with it and the owner its own copy, so the
// two agree.
func movedRecord(rec ds.Record, to string, at time.Time, manifest []byte) ds.Record {
	rec.Path = to
	rec.Name = path.Base(to)
	rec.FileID = ds.FileID(rec.NodeID, rec.Share+"/"+to, rec.ContentHash)
	rec.IndexedAt = at
	if len(manifest) > 0 {
		rec.Manifest = manifest
	}
	return rec
}

// adoptNotice applies a committed notice to this node's store and index.
// It is idempotent; see the file comment.
func (n *Node) adoptNotice(ctx context.Context, nt folderNotice) error {
	if nt.Owner != n.id {
		return ds.Errorf(ds.KindInvalid, "wrong_owner", "the notice is for node %s", nt.Owner)
	}
	n.uploadMu.Lock()
	defer n.uploadMu.Unlock()
	var (
		puts []ds.Record
		dels []string
	)
	for _, it := range nt.Items {
		key := ds.RecordKey(n.id, api.UploadShare, it.Path)
		old, err := n.store.ByKey(key)
		switch {
		case ds.KindOf(err) == ds.KindNotFound, err == nil && (old.FileID != it.FileID || !old.IndexedAt.Equal(it.IndexedAt)):
			// Adopted already, replaced since, or held by the replicas
			// only (their copies are indexed from there): nothing here.
			continue
		case err != nil:
			return err
		}
		dels = append(dels, key)
		if it.To == "" {
			continue
		}
		if old.Content, err = n.store.Content(old.FileID); err != nil && ds.KindOf(err) != ds.KindNotFound {
			return err
		}
		puts = append(puts, movedRecord(old, it.To, nt.At, it.Manifest))
	}
	if len(puts)+len(dels) == 0 {
		return nil
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), finishUploadWait)
	defer cancel()
	if err := n.recordSink().Apply(ctx, scan.Batch{Share: api.UploadShare, Puts: puts, Deletes: dels}); err != nil {
		return err
	}
	// The replicas hold these changes: no second replication.
	keys := dels
	for _, rec := range puts {
		keys = append(keys, rec.Key())
	}
	for _, key := range keys {
		if mark, ok, err := n.store.OutboxMark(key); err == nil && ok {
			_ = n.store.OutboxDone(mark)
		}
	}
	n.log.Info("adopted a folder operation", "op", nt.Op, "deleted", len(dels)-len(puts), "moved", len(puts))
	return nil
}

// deliverNotice makes the owner of nt adopt it: this node itself, or the
// owner over the node-to-node transport.
func (n *Node) deliverNotice(ctx context.Context, nt folderNotice) error {
	if nt.Owner == n.id {
		return n.adoptNotice(ctx, nt)
	}
	m, ok := n.cluster.View().Member(nt.Owner)
	switch {
	case !ok || m.Status == cluster.StatusLeft:
		return errOwnerGone
	case m.InternalAddr == "" || m.Status == cluster.StatusDead:
		return fmt.Errorf("owner %s is down", nt.Owner)
	}
	ctx, cancel := context.WithTimeout(ctx, noticeCallWait)
	defer cancel()
	err := n.cluster.Client().DoJSON(ctx, http.MethodPost, "https://"+m.InternalAddr+pathFolderAdopt, nt, nil, transport.WithTimeout(noticeCallWait))
	if err != nil {
		return fmt.Errorf("owner %s: %w", nt.Owner, peerError(err))
	}
	return nil
}

// errOwnerGone: the owner of a notice left the cluster; its store left
// with it, so there is nothing to tell.
var errOwnerGone = errors.New("the owner left the cluster")

// handleFolderAdopt is the owner's side of deliverNotice.
func (n *Node) handleFolderAdopt(w http.ResponseWriter, r *http.Request) {
	var nt folderNotice
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, maxNoticeBytes))
	if err := dec.Decode(&nt); err != nil {
		writeInternalError(w, http.StatusBadRequest, "bad_notice", "the notice cannot be read")
		return
	}
	if err := n.adoptNotice(r.Context(), nt); err != nil {
		writeKindError(w, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// maxNoticeBytes bounds a notice on the wire: one replicated value.
const maxNoticeBytes = 8 << 20

// noticeBox delivers the notices this node holds replicas of. observe is
// called from the data plane's goroutines; Run, one goroutine, delivers.
type noticeBox struct {
	n    *Node
	mu   sync.Mutex // guards due
	due  map[string]*noticeDue
	wake chan struct{}
}

type noticeDue struct {
	p     int
	seen  time.Time // when this node first saw it
	next  time.Time // the next attempt; zero: not scheduled yet
	tries int
}

func newNoticeBox(n *Node) *noticeBox {
	return &noticeBox{n: n, due: map[string]*noticeDue{}, wake: make(chan struct{}, 1)}
}

// observe notes a change of this node's copy of a key: a live notice is
// scheduled for delivery, a deleted one forgotten. Other keys are ignored.
func (b *noticeBox) observe(p int, e version.Envelope) {
	if !isNoticeKey(e.Key) {
		return
	}
	b.mu.Lock()
	if e.Tombstone {
		delete(b.due, e.Key)
	} else if b.due[e.Key] == nil {
		b.due[e.Key] = &noticeDue{p: p, seen: b.n.cfg.Now()}
	}
	b.mu.Unlock()
	select {
	case b.wake <- struct{}{}:
	default:
	}
}

// Run delivers notices until ctx ends.
func (b *noticeBox) Run(ctx context.Context) {
	t := time.NewTicker(noticeTick)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-b.wake:
		case <-t.C:
		}
		for _, key := range b.ready() {
			if ctx.Err() != nil {
				return
			}
			b.attempt(ctx, key)
		}
	}
}

// ready returns the notices whose attempt is due, scheduling new ones.
func (b *noticeBox) ready() []string {
	now := b.n.cfg.Now()
	b.mu.Lock()
	defer b.mu.Unlock()
	var keys []string
	for key, d := range b.due {
		if d.next.IsZero() {
			d.next = d.seen.Add(b.delay(d.p, key))
		}
		if !now.Before(d.next) {
			keys = append(keys, key)
		}
	}
	slices.Sort(keys)
	return keys
}

// delay is how long this node leaves a notice it holds to others: none
// for its own, else noticeGrace per rank in the partition's replica set.
func (b *noticeBox) delay(p int, key string) time.Duration {
	if strings.HasPrefix(key, noticePrefix+b.n.id+"\x00") {
		return 0
	}
	rank := 0
	if l, err := b.n.layouts.Get(b.n.cluster.View()); err == nil {
		set := l.Table.ReplicaSet(p)
		if rank = slices.Index(set, b.n.id); rank < 0 {
			rank = len(set)
		}
	}
	return noticeGrace * time.Duration(1+rank)
}

// attempt delivers one notice and deletes it once its owner adopted it.
func (b *noticeBox) attempt(ctx context.Context, key string) {
	b.mu.Lock()
	d := b.due[key]
	b.mu.Unlock()
	if d == nil {
		return
	}
	err := b.deliver(ctx, d.p, key)
	b.mu.Lock()
	defer b.mu.Unlock()
	if err == nil {
		if b.due[key] == d {
			delete(b.due, key)
		}
		return
	}
	d.tries++
	d.next = b.n.cfg.Now().Add(min(time.Duration(1<<min(d.tries, 8))*noticeTick, noticeMaxBackoff))
	b.n.log.Debug("folder notice not delivered yet", "tries", d.tries, "err", err)
}

// deliver reads this node's copy of a notice and delivers it; nil when
// the notice is gone (delivered by another node, or its partition handed
// over) or now delivered and deleted.
func (b *noticeBox) deliver(ctx context.Context, p int, key string) error {
	n := b.n
	e, ok, err := n.replicas.Get(p, key)
	if err != nil {
		return err
	}
	if !ok || e.Tombstone {
		return nil
	}
	var nt folderNotice
	if err := json.Unmarshal(e.Value, &nt); err != nil || noticeKey(nt.Owner, nt.Op) != key {
		n.log.Warn("unreadable folder notice dropped", "err", err)
		return nil
	}
	switch err := n.deliverNotice(ctx, nt); {
	case errors.Is(err, errOwnerGone):
		n.log.Info("folder notice for a node that left dropped", "owner", nt.Owner, "op", nt.Op)
	case err != nil:
		return err
	}
	_, err = n.data.Delete(ctx, key, quorum.Quorum)
	return err
}
