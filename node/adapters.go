package node

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"path"
	"strings"
	"sync/atomic"

	ds "github.com/distrisearch/distrisearch"
	"github.com/distrisearch/distrisearch/api"
	"github.com/distrisearch/distrisearch/cluster"
	"github.com/distrisearch/distrisearch/index"
	"github.com/distrisearch/distrisearch/scan"
	"github.com/distrisearch/distrisearch/store"
)

// catalog lets the scanner read scan states from the store.
type catalog struct{ s *store.Store }

var _ scan.Catalog = catalog{}

func (c catalog) State(key string) (scan.State, bool, error) {
	st, ok, err := c.s.State(key)
	return scan.State(st), ok, err
}

func (c catalog) States(prefix string, fn func(string, scan.State) error) error {
	return c.s.States(prefix, func(k string, st store.ScanState) error { return fn(k, scan.State(st)) })
}

// sink applies scanned changes: first to the store (the durable source of
// truth, which the scanner's Catalog reads), then hands them to the indexer.
// A crash before the index has them is mended at the next start by
// reconcileIndex.
type sink struct {
	store   *store.Store
	indexer *indexer
	// replicate wakes the replicator: the store marked what changed.
	replicate func()
}

var _ scan.Sink = (*sink)(nil)

func (k *sink) Apply(ctx context.Context, b scan.Batch) error {
	var stale []string // file ids of replaced or deleted versions
	for _, r := range b.Puts {
		old, err := k.store.ByKey(r.Key())
		switch {
		case err == nil && old.FileID != r.FileID:
			stale = append(stale, old.FileID)
		case err != nil && ds.KindOf(err) != ds.KindNotFound:
			return err
		}
	}
	if len(b.Puts) > 0 {
		if err := k.store.Put(b.Puts...); err != nil {
			return err
		}
	}
	puts := b.Puts
	for _, t := range b.Touches {
		rec, err := k.store.Touch(t.Key, t.Size, t.ModTime)
		if err != nil {
			if ds.KindOf(err) == ds.KindNotFound {
				continue
			}
			return err
		}
		if rec.Content, err = k.store.Content(rec.FileID); err != nil {
			return err
		}
		puts = append(puts, rec)
	}
	var gone []ds.Record
	if len(b.Deletes) > 0 {
		var err error
		if gone, err = k.store.Delete(b.Deletes...); err != nil {
			return err
		}
		for _, r := range gone {
			stale = append(stale, r.FileID)
		}
	}
	if len(puts) == 0 && len(stale) == 0 {
		return nil
	}
	if k.replicate != nil {
		k.replicate()
	}
	return k.indexer.enqueue(ctx, indexBatch{puts: puts, deletes: stale, indexed: b.Puts, gone: gone})
}

// reconcileIndex makes the index agree with the store after a crash between
// a store write and its index write: records missing from the index are
// indexed again. The reverse is not mended here: an index entry left without
// a record (a crash after a store delete, before the index delete) can still
// show up in searches, and opening it answers 404.
func (n *Node) reconcileIndex() error {
	var missing []ds.Record
	flush := func() error {
		if len(missing) == 0 {
			return nil
		}
		err := n.index.Apply(missing, nil)
		missing = missing[:0]
		return err
	}
	count := 0
	err := n.store.ForEach("", func(r ds.Record) error {
		ok, err := n.index.Get(r.FileID)
		if err != nil || ok {
			return err
		}
		if r.Content, err = n.store.Content(r.FileID); err != nil {
			return err
		}
		missing = append(missing, r)
		count++
		if len(missing) >= 256 {
			return flush()
		}
		return nil
	})
	if err != nil {
		return err
	}
	if count > 0 {
		n.log.Warn("re-indexed records missing from the index", "count", count)
	}
	return flush()
}

// searcher serves api.Searcher over the whole cluster: one replica of
// every partition, each restricted by the share registry's ACLs for the
// request's Viewer (see partitions). When a node does not answer, the
// search runs once more on the other replicas of its partitions. Without
// a Viewer nothing is visible.
type searcher struct{ n *Node }

func (s searcher) Search(ctx context.Context, req ds.SearchRequest) (ds.SearchResult, error) {
	var v ds.Viewer
	if req.Viewer != nil {
		v = *req.Viewer
	}
	req.Viewer = nil // applied per partition
	var failed atomic.Bool
	onFail := func(node string) {
		failed.Store(true)
		s.n.shun(node)
	}
	run := func() (ds.SearchResult, error) {
		srch, err := index.NewSearcher(index.DefaultSearchOptions(), s.n.partitions(v, onFail)...)
		if err != nil {
			return ds.SearchResult{}, err
		}
		return srch.Search(ctx, req, s.n.cfg.Now())
	}
	res, err := run()
	if !failed.Load() || ctx.Err() != nil {
		return res, err
	}
	// A node did not answer: ask the partitions' other replicas (the
	// node is now avoided) once more, and keep the better answer.
	again, err2 := run()
	if err2 == nil && (err != nil || again.Partitions.Answered >= res.Partitions.Answered) {
		return again, nil
	}
	return res, err
}

// files serves api.Files from the store and the shared folders, and from
// the other members for files this node does not hold: they check their
// share ACLs for the request's principal (api.PrincipalFrom), so the API
// trusts their answer (Delegated).
type files struct{ n *Node }

var _ api.Files = files{}

func (f files) Record(ctx context.Context, id string) (ds.Record, error) {
	rec, err := f.n.held.record(id, false)
	if ds.KindOf(err) == ds.KindNotFound {
		rec, err = f.n.remoteRecord(ctx, id, viewerOf(ctx))
	}
	if err != nil {
		return ds.Record{}, err
	}
	return f.n.confirm(ctx, rec)
}

func (f files) Content(ctx context.Context, id string) (string, error) {
	rec, err := f.n.held.record(id, true)
	if ds.KindOf(err) == ds.KindNotFound {
		return f.n.remoteContent(ctx, id, viewerOf(ctx))
	}
	return rec.Content, err
}

// Open opens the bytes of rec: an uploaded file's from its chunks on any
// replica; a shared file's from its share when this node holds it, else
// from its node while that node is up, else from the chunks its replicas
// keep (the replicated record carries their manifest).
func (f files) Open(ctx context.Context, rec ds.Record) (api.Blob, error) {
	if rec.NodeID == f.n.id || rec.Share == api.UploadShare {
		return f.openHeld(ctx, rec)
	}
	if len(rec.Manifest) == 0 {
		return f.n.remoteOpen(ctx, rec, viewerOf(ctx))
	}
	if m, ok := f.n.cluster.View().Member(rec.NodeID); ok && m.Status == cluster.StatusAlive && m.InternalAddr != "" {
		if b, err := f.n.remoteOpen(ctx, rec, viewerOf(ctx)); ds.KindOf(err) != ds.KindUnavailable {
			return b, err
		}
	}
	return f.n.openUpload(ctx, rec)
}

// openHeld opens a file of this node: an upload's chunks or a shared file.
func (f files) openHeld(ctx context.Context, rec ds.Record) (api.Blob, error) {
	if len(rec.Manifest) > 0 {
		return f.n.openUpload(ctx, rec)
	}
	return f.openLocal(rec)
}

// openLocal opens the shared file behind rec through an os.Root on its
// share, so no path can leave the share, and checks that it is still the
// version that was indexed (same size and modification time).
func (f files) openLocal(rec ds.Record) (api.Blob, error) {
	sh, ok := f.n.shares[rec.Share]
	if !ok {
		return nil, ds.Errorf(ds.KindNotFound, "share_not_found", "the share %q is not served by this node", rec.Share)
	}
	p := path.Clean(rec.Path)
	if p == "." || strings.HasPrefix(p, "../") || p == ".." || path.IsAbs(p) {
		return nil, ds.Errorf(ds.KindInvalid, "bad_path", "the record's path is not inside its share")
	}
	root, err := os.OpenRoot(sh.Root)
	if err != nil {
		return nil, ds.Errorf(ds.KindUnavailable, "share_unavailable", "the share %q cannot be opened right now", rec.Share)
	}
	defer root.Close()
	file, err := root.Open(p)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			_ = f.n.scanner.Rescan(rec.Share)
			return nil, ds.Errorf(ds.KindNotFound, "file_gone", "the file was deleted after it was indexed")
		}
		return nil, &ds.Error{Kind: ds.KindUnavailable, Code: "file_unreadable", Message: "the file cannot be read right now", Err: err}
	}
	fi, err := file.Stat()
	if err != nil || !fi.Mode().IsRegular() || fi.Size() != rec.Size || !fi.ModTime().Equal(rec.ModTime) {
		file.Close()
		_ = f.n.scanner.Rescan(rec.Share)
		return nil, ds.Errorf(ds.KindConflict, "file_changed", "the file changed since it was indexed; search again for the new version")
	}
	return file, nil
}

// status serves api.Status.
type status struct{ n *Node }

func (s status) Status(context.Context) (api.NodeStatus, error) {
	n := s.n
	count, err := n.store.Count()
	if err != nil {
		return api.NodeStatus{}, err
	}
	ready := false
	select {
	case <-n.Ready():
		ready = true
	default:
	}
	return api.NodeStatus{NodeID: n.id, Version: n.cfg.Version, StartedAt: n.startedAt, Files: uint64(count),
		Scan: n.scanner.Progress(), Ready: ready}, nil
}
