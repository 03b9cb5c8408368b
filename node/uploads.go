package node

import (
	"context"
	"encoding/hex"
	"errors"
	"io"
	"net/http"
	"strings"
	"sync"
	"time"

	ds "github.com/distrisearch/distrisearch"
	"github.com/distrisearch/distrisearch/api"
	"github.com/distrisearch/distrisearch/cluster"
	"github.com/distrisearch/distrisearch/extract"
	"github.com/distrisearch/distrisearch/replica"
	"github.com/distrisearch/distrisearch/replica/chunks"
	"github.com/distrisearch/distrisearch/replica/quorum"
	"github.com/distrisearch/distrisearch/scan"
)

// uploads serves api.Uploads. An uploaded file is a file of this node's
// share api.UploadShare: its bytes go to the chunk service (replicated on
// the partition of its record key, W acks), its record — carrying the
// chunk manifest — to this node's store and index like a scanned file's,
// so searches, previews and downloads through any node find it. Its bytes
// are read back from any replica that holds its chunks.
//
// Deleting removes the record and the index entry; the chunks stay until
// garbage collection by reference (replica/chunks/DESIGN.md), which is not
// written yet.
type uploads struct{ n *Node }

var _ api.Uploads = uploads{}

// finishUploadWait bounds extracting and recording a stored upload (the
// extractor has its own, shorter timeout).
const finishUploadWait = 2 * time.Minute

// Upload stores the file, extracts its text from the stored chunks and
// writes its record. It returns once the chunks are durable on the
// replicas up.Level asks for and the record is in the store (the index
// follows within a moment, as for scanned files).
func (u uploads) Upload(ctx context.Context, up api.Upload) (ds.Record, error) {
	n := u.n
	if err := n.takesUploads(); err != nil {
		return ds.Record{}, err
	}
	rec, err := n.storeUpload(ctx, up, up.Level)
	if err != nil {
		return ds.Record{}, err
	}
	// The file is stored: finish even if the client goes away now, so
	// that the record does not miss its index entry (bounded: the indexer
	// stops with the node).
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), finishUploadWait)
	defer cancel()
	n.uploadMu.Lock()
	defer n.uploadMu.Unlock()
	if err := n.recordSink().Apply(ctx, scan.Batch{Share: api.UploadShare, Puts: []ds.Record{rec}}); err != nil {
		return ds.Record{}, err
	}
	// Acknowledged only once the record, too, is on the replicas the
	// client asked for. If that fails the record stays marked in the
	// outbox and reaches them later; the client hears it was not.
	if err := n.outbox.replicateNow(ctx, rec.Key(), up.Level); err != nil {
		return ds.Record{}, uploadError(err, nil, up.Level)
	}
	return rec, nil
}

// takesUploads refuses uploads on a gateway, whose records would be in no
// search partition (holdsData).
func (n *Node) takesUploads() error {
	if cluster.Role(strings.ToUpper(n.cfg.Role)) == cluster.RoleGateway {
		return ds.Errorf(ds.KindUnavailable, "uploads_unavailable",
			"this node is a gateway and holds no files; upload through a worker or hybrid node")
	}
	return nil
}

// storeUpload checks up's name, stores its bytes as chunks on the
// replicas level asks for and returns its record, with the text extracted
// from the stored chunks (the extraction finishes even if the client goes
// away, bounded by finishUploadWait). The record is not written anywhere.
func (n *Node) storeUpload(ctx context.Context, up api.Upload, level quorum.Level) (ds.Record, error) {
	if err := api.ValidUploadName(up.Name); err != nil {
		return ds.Record{}, err
	}
	body := &bodyReader{r: up.Body}
	m, err := n.chunks.PutStream(ctx, ds.RecordKey(n.id, api.UploadShare, up.Name), body, level)
	if err != nil {
		return ds.Record{}, uploadError(err, body.err, level)
	}
	mb, err := m.MarshalBinary()
	if err != nil {
		return ds.Record{}, err
	}
	xctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), finishUploadWait)
	defer cancel()
	return n.uploadRecord(xctx, up.Name, m, mb), nil
}

// UploadAtomic stores every file next returns, then writes all their
// records with two-phase commit (replica.Service.Atomic): the records
// become visible on their replicas all together or not at all. Each
// file's chunks are stored first, at level, as for Upload; chunks of an
// aborted batch stay unreferenced. Once committed, the records go to this
// node's store (marked as already replicated) and index.
func (u uploads) UploadAtomic(ctx context.Context, level quorum.Level, next func() (*api.Upload, error)) ([]ds.Record, error) {
	n := u.n
	if err := n.takesUploads(); err != nil {
		return nil, err
	}
	var recs []ds.Record
	for {
		up, err := next()
		if err != nil {
			return nil, err
		}
		if up == nil {
			break
		}
		rec, err := n.storeUpload(ctx, *up, level)
		if err != nil {
			return nil, err
		}
		recs = append(recs, rec)
	}
	ops := make([]replica.Op, len(recs))
	for i, rec := range recs { // each record carries its extracted text
		v, err := encodeReplicated(rec, n.data.MaxValueBytes())
		if err != nil {
			return nil, err
		}
		ops[i] = replica.PutOp(rec.Key(), v)
	}
	n.uploadMu.Lock()
	defer n.uploadMu.Unlock()
	if err := n.data.Atomic(ctx, ops, level); err != nil {
		return nil, atomicUploadOutcome.error(err, level)
	}
	// Committed: record them here too, without a second replication.
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), finishUploadWait)
	defer cancel()
	if err := n.recordSink().Apply(ctx, scan.Batch{Share: api.UploadShare, Puts: recs}); err != nil {
		return nil, err
	}
	for _, rec := range recs {
		if mark, ok, err := n.store.OutboxMark(rec.Key()); err == nil && ok {
			_ = n.store.OutboxDone(mark)
		}
	}
	// The indexer still reads recs (queued): answer with copies.
	out := make([]ds.Record, len(recs))
	for i, rec := range recs {
		rec.Content = ""
		out[i] = rec
	}
	return out, nil
}

// txnOutcome words what a failed Atomic (two-phase commit) means for one
// kind of operation, for the API's answer.
type txnOutcome struct {
	what        string // "an atomic upload"
	abortedCode string // "atomic_upload_aborted"
	either      string // after "within a minute either ": "all of its files or none of them are visible"
	nothing     string // "none of its files is visible"
}

var (
	atomicUploadOutcome = txnOutcome{what: "an atomic upload", abortedCode: "atomic_upload_aborted",
		either: "all of its files or none of them are visible", nothing: "none of its files is visible"}
	folderOutcome = txnOutcome{what: "a folder operation", abortedCode: "folder_operation_aborted",
		either: "all of its files or none of them are changed", nothing: "no file was changed"}
)

// error turns a failed Atomic into what the API answers.
func (o txnOutcome) error(err error, level quorum.Level) error {
	the := "the" + strings.TrimPrefix(strings.TrimPrefix(o.what, "an"), "a")
	switch {
	case errors.Is(err, replica.ErrTxnOutcomeUnknown):
		return &ds.Error{Kind: ds.KindUnavailable, Code: "outcome_unknown",
			Message: "the cluster did not confirm " + the + " in time; within a minute either " + o.either, Err: err}
	case errors.Is(err, replica.ErrTxnAborted):
		msg := the + " was aborted and " + o.nothing + "; try again"
		if errors.Is(err, replica.ErrQuorumUnavailable) {
			msg = "too few replicas could take part for consistency=" + strings.ToLower(level.String()) + ", so " + the + " was aborted and " + o.nothing + "; try again later or with a weaker consistency"
		}
		return &ds.Error{Kind: ds.KindUnavailable, Code: o.abortedCode, Message: msg, Err: err}
	case errors.Is(err, replica.ErrClosed):
		return &ds.Error{Kind: ds.KindUnavailable, Code: "shutting_down", Message: "the node cannot run " + o.what + " now", Err: err}
	}
	return err
}

// recordSink writes records to the store and the index, as the scanner's
// sink does.
func (n *Node) recordSink() *sink {
	return &sink{store: n.store, indexer: n.indexer, replicate: n.outbox.Wake}
}

// uploadError turns a failed PutStream into what the API answers.
func uploadError(err, readErr error, level quorum.Level) error {
	var maxErr *http.MaxBytesError
	switch {
	case errors.As(err, &maxErr):
		return err
	case readErr != nil && errors.Is(err, readErr):
		return &ds.Error{Kind: ds.KindInvalid, Code: "upload_interrupted", Message: "the upload ended before the whole file was received", Err: err}
	case errors.Is(err, chunks.ErrQuorumUnavailable), errors.Is(err, replica.ErrQuorumUnavailable):
		return &ds.Error{Kind: ds.KindUnavailable, Code: "quorum_unavailable",
			Message: "too few replicas stored the file for consistency=" + strings.ToLower(level.String()) + "; try again later or with a weaker consistency", Err: err}
	case errors.Is(err, chunks.ErrNoPlacement):
		return &ds.Error{Kind: ds.KindUnavailable, Code: "no_placement", Message: "the cluster has no storage members to hold the file yet", Err: err}
	case errors.Is(err, chunks.ErrFileTooLarge):
		return &ds.Error{Kind: ds.KindTooLarge, Code: "upload_too_large", Message: "the file has more chunks than one manifest holds", Err: err}
	case errors.Is(err, chunks.ErrClosed):
		return &ds.Error{Kind: ds.KindUnavailable, Code: "shutting_down", Message: "the node is shutting down", Err: err}
	}
	return err
}

// bodyReader remembers the error of the upload's body, to tell a client
// that went away from a failure of the cluster.
type bodyReader struct {
	r   io.Reader
	err error
}

func (b *bodyReader) Read(p []byte) (int, error) {
	k, err := b.r.Read(p)
	if err != nil && !errors.Is(err, io.EOF) {
		b.err = err
	}
	return k, err
}

// uploadRecord builds the record of an uploaded file as the scanner would
// (scan's shareScanner.record), extracting its text from the stored chunks.
func (n *Node) uploadRecord(ctx context.Context, name string, m chunks.Manifest, manifest []byte) ds.Record {
	sum := hex.EncodeToString(m.SHA256[:])
	res, xerr := n.extractUpload(ctx, ds.RecordKey(n.id, api.UploadShare, name), name, m)
	now := n.cfg.Now()
	rec := scan.NewRecord(n.id, api.UploadShare, name, m.Size, sum, now, now, res, xerr)
	rec.Manifest = manifest
	return rec
}

// extractUpload runs the extractor over the file's chunks.
func (n *Node) extractUpload(ctx context.Context, key, name string, m chunks.Manifest) (res extract.Result, err error) {
	rd, err := n.chunks.Open(ctx, key, m)
	if err != nil {
		typ, mime := extract.TypeOf(name)
		return extract.Result{Type: typ, MIME: mime}, err
	}
	ra := &readerAt{r: rd}
	defer ra.Close()
	defer func() {
		if v := recover(); v != nil {
			err = errors.New("extractor panicked")
		}
	}()
	return n.extractor.Extract(ctx, name, ra, m.Size)
}

// readerAt serves ReadAt from a seekable reader, one call at a time. The
// extractor may abandon a parser that still reads after Close: it then
// gets an error.
type readerAt struct {
	mu     sync.Mutex // guards r and closed
	r      io.ReadSeekCloser
	closed bool
}

func (a *readerAt) ReadAt(p []byte, off int64) (int, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.closed {
		return 0, errors.New("read after the upload's extraction ended")
	}
	if _, err := a.r.Seek(off, io.SeekStart); err != nil {
		return 0, err
	}
	return io.ReadFull(a.r, p)
}

func (a *readerAt) Close() error {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.closed = true
	return a.r.Close()
}

// openUpload opens the bytes of an uploaded file from its chunks, on this
// node or any other replica of its partition: the node that took the
// upload need not hold them, nor be up. The first chunk is read before
// returning, so that a file no replica can serve fails before any header
// is written.
func (n *Node) openUpload(ctx context.Context, rec ds.Record) (api.Blob, error) {
	var m chunks.Manifest
	if err := m.UnmarshalBinary(rec.Manifest); err != nil {
		return nil, &ds.Error{Kind: ds.KindInternal, Code: "bad_manifest", Message: "the file's chunk list cannot be read", Err: err}
	}
	if m.Size != rec.Size || hex.EncodeToString(m.SHA256[:]) != rec.ContentHash {
		return nil, ds.Errorf(ds.KindInternal, "bad_manifest", "the file's chunk list does not match its record")
	}
	rd, err := n.chunks.Open(ctx, rec.Key(), m)
	if err != nil {
		return nil, chunkReadError(err)
	}
	if m.Size > 0 {
		var one [1]byte
		if _, err := rd.Read(one[:]); err != nil {
			return nil, chunkReadError(err)
		}
		if _, err := rd.Seek(0, io.SeekStart); err != nil {
			return nil, err
		}
	}
	return rd, nil
}

func chunkReadError(err error) error {
	if errors.Is(err, chunks.ErrUnavailable) || errors.Is(err, chunks.ErrNoPlacement) {
		return &ds.Error{Kind: ds.KindUnavailable, Code: "file_unavailable",
			Message: "no replica holding this file's contents can be reached right now; try again later", Err: err}
	}
	return err
}

// Delete removes an uploaded file: here when this node took it, else on
// the node that did.
func (u uploads) Delete(ctx context.Context, rec ds.Record) error {
	if rec.Share != api.UploadShare {
		return errNotDeletable
	}
	if rec.NodeID != u.n.id {
		return u.n.remoteDelete(ctx, rec, viewerOf(ctx))
	}
	return u.n.deleteUpload(ctx, rec.FileID)
}

var errNotDeletable = ds.Errorf(ds.KindConflict, "not_deletable", "only uploaded files can be deleted; files of shared folders are removed from their folder")

// deleteUpload removes the current version of an uploaded file of this
// node: its record and its index entry (a superseded or unknown id is not
// found). Its chunks are left for garbage collection.
func (n *Node) deleteUpload(ctx context.Context, id string) error {
	n.uploadMu.Lock()
	defer n.uploadMu.Unlock()
	rec, err := n.store.ByFileID(id)
	if ds.KindOf(err) == ds.KindNotFound {
		// An upload of this node that only the replicas hold (an atomic
		// upload committed just before a crash, before this node stored
		// it): its tombstone goes to the replicas directly, and the
		// replica indexer removes its index entry.
		held, herr := n.held.record(id, false)
		if herr != nil || held.NodeID != n.id || held.Share != api.UploadShare {
			return errFileAbsent
		}
		_, err := n.data.Delete(ctx, held.Key(), quorum.Quorum)
		return uploadError(err, nil, quorum.Quorum)
	}
	if err != nil {
		return err
	}
	if rec.Share != api.UploadShare {
		return errNotDeletable
	}
	if err := n.recordSink().Apply(ctx, scan.Batch{Share: api.UploadShare, Deletes: []string{rec.Key()}}); err != nil {
		return err
	}
	// The tombstone goes to a quorum now if it can; otherwise the outbox
	// sends it later (the file is already gone from this node).
	if err := n.outbox.replicateNow(ctx, rec.Key(), quorum.Quorum); err != nil {
		n.log.Warn("the deletion is not on a quorum yet; it will be sent again", "file", rec.FileID, "err", err)
	}
	return nil
}

// remoteDelete asks the node that took an upload to delete it, for v.
func (n *Node) remoteDelete(ctx context.Context, rec ds.Record, v ds.Viewer) error {
	m, ok := n.cluster.View().Member(rec.NodeID)
	if !ok || m.Status == cluster.StatusLeft {
		return errFileAbsent
	}
	if m.Status == cluster.StatusDead || m.InternalAddr == "" {
		return errFileUnreachable
	}
	resp, err := n.callPeer(ctx, http.MethodDelete, fileURL(m, rec.FileID, "", v), nil, remoteFileWait)
	if err != nil {
		return err
	}
	resp.Body.Close()
	return nil
}

// handleFileDelete is the owner's side of remoteDelete.
func (o owner) handleFileDelete(w http.ResponseWriter, r *http.Request) {
	rec, ok := o.localVisible(w, r)
	if !ok {
		return
	}
	if err := o.n.deleteUpload(r.Context(), rec.FileID); err != nil {
		writeKindError(w, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}
