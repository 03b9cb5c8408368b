package node

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"sync"
	"time"

	ds "github.com/distrisearch/distrisearch"
	"github.com/distrisearch/distrisearch/api"
	"github.com/distrisearch/distrisearch/cluster"
	"github.com/distrisearch/distrisearch/replica"
	"github.com/distrisearch/distrisearch/replica/chunks"
	"github.com/distrisearch/distrisearch/replica/quorum"
)

// folders serves api.Folders: this node coordinates the operation.
//
//  1. List: a cluster-wide search for share:uploads path:"FOLDER" (the
//     index's path tree), page by page, as the caller (so only files the
//     caller may see). A search missing partitions fails the operation.
//  2. Read: each file's current record from its replicas at the level
//     asked for — the index only names candidates; what is deleted or
//     moved is the version the replicas hold. A move also checks that no
//     file of the same owner has a new path already (target_exists).
//  3. Move only: store each file's chunks under its new record key
//     (copyChunks).
//  4. Commit: one replica.Service.Atomic call — a tombstone per old key, a
//     record per new key, and a notice per owner (foldernotice.go) — all
//     or nothing, decided through Raft.
//  5. Tell the owners (deliverNotice), within noticeDirectWait; the
//     notices stay on the replicas for whatever is not delivered.
//
// An operation is atomic, not isolated: a file uploaded under the folder
// while it runs may be left out, and writes of the same keys resolve by
// their versions, as for any write.
type folders struct{ n *Node }

var _ api.Folders = folders{}

const (
	// maxFolderRecordBytes bounds the records (with their text) one move
	// carries in its transaction.
	maxFolderRecordBytes = 64 << 20
	// folderReadConcurrency bounds the record reads of one operation;
	// folderCopyConcurrency the files whose chunks it copies at once.
	folderReadConcurrency = 16
	folderCopyConcurrency = 4
	// noticeDirectWait bounds telling the owners after the commit.
	noticeDirectWait = 10 * time.Second
)

var (
	errFolderNotFound = ds.Errorf(ds.KindNotFound, "folder_not_found", "no uploaded file that you may see is under this folder")
	errFolderPartial  = ds.Errorf(ds.KindUnavailable, "folder_unavailable",
		"some partitions did not answer, so the folder cannot be listed whole; nothing was changed; try again later")
	errTooManyFiles = ds.Errorf(ds.KindTooLarge, "too_many_files",
		"a folder operation covers at most %d files and this folder holds more; work on its subfolders one at a time", api.MaxFolderFiles)
)

func (f folders) DeleteFolder(ctx context.Context, folder string, level quorum.Level) (api.FolderResult, error) {
	return f.n.folderOp(ctx, folder, "", level)
}

func (f folders) MoveFolder(ctx context.Context, from, to string, level quorum.Level) (api.FolderResult, error) {
	return f.n.folderOp(ctx, from, to, level)
}

// folderFile is one file of an operation: its current record (with its
// text) and, for a move, its new path and the manifest of its chunks
// under the new key when it differs from the record's.
type folderFile struct {
	rec      ds.Record
	to       string
	manifest []byte
}

// folderOp deletes the uploaded files under from (to == "") or moves them
// under to; see folders.
func (n *Node) folderOp(ctx context.Context, from, to string, level quorum.Level) (api.FolderResult, error) {
	hits, err := n.listFolder(ctx, from)
	if err != nil {
		return api.FolderResult{}, err
	}
	files, err := n.readFolder(ctx, hits, from, to, level)
	if err != nil {
		return api.FolderResult{}, err
	}
	if len(files) == 0 {
		return api.FolderResult{}, errFolderNotFound
	}
	if to != "" {
		if err := n.copyFolderChunks(ctx, files, level); err != nil {
			return api.FolderResult{}, err
		}
	}
	op := newOpID()
	at := n.cfg.Now().UTC()
	ops, notices, err := n.folderTxn(files, op, at)
	if err != nil {
		return api.FolderResult{}, err
	}
	if err := n.data.Atomic(ctx, ops, level); err != nil {
		return api.FolderResult{}, folderOutcome.error(err, level)
	}
	n.tellOwners(ctx, notices)
	res := api.FolderResult{Folder: from, To: to, Count: len(files)}
	for _, f := range files {
		ff := api.FolderFile{FileID: f.rec.FileID, NodeID: f.rec.NodeID, Path: f.rec.Path}
		if to != "" {
			ff.NewPath = f.to
			ff.NewFileID = movedRecord(f.rec, f.to, at, nil).FileID
		}
		res.Files = append(res.Files, ff)
	}
	return res, nil
}

// listFolder returns the search hits of the uploaded files under folder
// that the caller may see, one per record key, at most MaxFolderFiles.
func (n *Node) listFolder(ctx context.Context, folder string) ([]ds.Hit, error) {
	v := viewerOf(ctx)
	req := ds.SearchRequest{
		Query: "share:" + api.UploadShare + ` path:"` + strings.ReplaceAll(folder, `"`, `\"`) + `"`,
		Limit: ds.MaxLimit, Sort: ds.SortName, Viewer: &v,
	}
	seen := map[string]bool{}
	var out []ds.Hit
	for {
		res, err := searcher{n}.Search(ctx, req)
		if err != nil {
			return nil, err
		}
		if res.Partial {
			return nil, errFolderPartial
		}
		for _, h := range res.Hits {
			// path:"a/b" also matches a file named a/b: not in the folder.
			key := ds.RecordKey(h.NodeID, h.Share, h.Path)
			if h.Share != api.UploadShare || !strings.HasPrefix(h.Path, folder+"/") || seen[key] {
				continue
			}
			seen[key] = true
			if out = append(out, h); len(out) > api.MaxFolderFiles {
				return nil, errTooManyFiles
			}
		}
		if res.NextCursor == "" || len(res.Hits) == 0 {
			return out, nil
		}
		req.Cursor = res.NextCursor
	}
}

// readFolder reads the current record of every hit from its replicas at
// level, leaving out those deleted meanwhile; for a move it computes and
// checks each new path. The answer is sorted by path, then owner.
func (n *Node) readFolder(ctx context.Context, hits []ds.Hit, from, to string, level quorum.Level) ([]folderFile, error) {
	files := make([]*folderFile, len(hits))
	err := forEachLimit(ctx, len(hits), folderReadConcurrency, func(ctx context.Context, i int) error {
		h := hits[i]
		rec, ok, err := n.currentUpload(ctx, ds.RecordKey(h.NodeID, api.UploadShare, h.Path), level)
		if err != nil || !ok {
			return err
		}
		f := &folderFile{rec: rec}
		if to != "" {
			f.to = to + strings.TrimPrefix(rec.Path, from)
			if err := api.ValidUploadName(f.to); err != nil {
				return ds.Errorf(ds.KindInvalid, "bad_path", "%s would move to %s: %s", rec.Path, f.to, ds.MessageOf(err))
			}
			_, exists, err := n.currentUpload(ctx, ds.RecordKey(rec.NodeID, api.UploadShare, f.to), level)
			if err != nil {
				return err
			}
			if exists {
				return ds.Errorf(ds.KindConflict, "target_exists", "%s already exists (uploaded through node %s); delete or move it first", f.to, rec.NodeID)
			}
		}
		files[i] = f
		return nil
	})
	if err != nil {
		return nil, err
	}
	var out []folderFile
	size := 0
	for _, f := range files {
		if f == nil {
			continue
		}
		if to != "" {
			if size += len(f.rec.Content) + len(f.rec.Manifest); size > maxFolderRecordBytes {
				return nil, ds.Errorf(ds.KindTooLarge, "too_many_files",
					"the records of this folder's files, with their text, pass %d MiB for one move; move its subfolders one at a time", maxFolderRecordBytes>>20)
			}
		}
		out = append(out, *f)
	}
	slices.SortFunc(out, func(a, b folderFile) int {
		return strings.Compare(a.rec.Path+"\x00"+a.rec.NodeID, b.rec.Path+"\x00"+b.rec.NodeID)
	})
	return out, nil
}

// currentUpload reads the uploaded file under key from its replicas at
// level, with its text; ok is false when it does not exist. A key no
// replica ever held is looked up in this node's store when this node took
// the upload: alone in the cluster, a node keeps its records to itself
// (replicator.sole).
func (n *Node) currentUpload(ctx context.Context, key string, level quorum.Level) (ds.Record, bool, error) {
	res, err := n.data.Get(ctx, key, level)
	if err != nil {
		return ds.Record{}, false, folderReadError(err, level)
	}
	if res.Found {
		rec, ok := decodeReplicated(res.Envelope)
		return rec, ok, nil
	}
	if res.Envelope.Key != "" || !strings.HasPrefix(key, n.id+"\x00") {
		return ds.Record{}, false, nil // deleted
	}
	rec, err := n.store.ByKey(key)
	if ds.KindOf(err) == ds.KindNotFound {
		return ds.Record{}, false, nil
	}
	if err != nil {
		return ds.Record{}, false, err
	}
	if rec.Content, err = n.store.Content(rec.FileID); err != nil && ds.KindOf(err) != ds.KindNotFound {
		return ds.Record{}, false, err
	}
	return rec, true, nil
}

// copyFolderChunks stores the chunks of every moved file under its new
// record key, on W replicas of level, before the transaction.
//
// A file's chunks are placed by its record key (chunks.PutStream) and read
// from that key's partition (openUpload), and a new path is a new key,
// often in another partition. Copying keeps that one rule for every file,
// where keeping the old key as a second placement key in moved records
// would have to be followed by reads, rebalancing, chunk repair and
// garbage collection alike. The copy costs little: the chunks are read from any
// node holding them and put again through PutStream, which asks each
// replica which chunks it lacks first — at RF = N, none. The chunker is
// deterministic, so the manifest is normally the same; when it is not, the
// new one goes with the moved record. A copy left by an aborted move is
// unreferenced and collected like the chunks of an aborted atomic upload;
// after a commit, the old key's replicas collect the chunks no record of
// theirs names any more.
func (n *Node) copyFolderChunks(ctx context.Context, files []folderFile, level quorum.Level) error {
	return forEachLimit(ctx, len(files), folderCopyConcurrency, func(ctx context.Context, i int) error {
		f := &files[i]
		var m chunks.Manifest
		if err := m.UnmarshalBinary(f.rec.Manifest); err != nil {
			return &ds.Error{Kind: ds.KindInternal, Code: "bad_manifest", Message: "the chunk list of " + f.rec.Path + " cannot be read", Err: err}
		}
		rd, err := n.chunks.Open(ctx, f.rec.Key(), m)
		if err != nil {
			return chunkReadError(err)
		}
		defer rd.Close()
		got, err := n.chunks.PutStream(ctx, ds.RecordKey(f.rec.NodeID, api.UploadShare, f.to), rd, level)
		if err != nil {
			if errors.Is(err, chunks.ErrUnavailable) {
				return chunkReadError(err)
			}
			return uploadError(err, nil, level)
		}
		if got.Size != m.Size || got.SHA256 != m.SHA256 {
			return ds.Errorf(ds.KindInternal, "copy_mismatch", "the copy of %s does not match its record", f.rec.Path)
		}
		mb, err := got.MarshalBinary()
		if err != nil {
			return err
		}
		if !bytes.Equal(mb, f.rec.Manifest) {
			f.manifest = mb
		}
		return nil
	})
}

// folderTxn returns the writes of the operation — a tombstone per file,
// its moved record per moved file, a notice per owner still in the
// cluster — and the notices.
func (n *Node) folderTxn(files []folderFile, op string, at time.Time) ([]replica.Op, []folderNotice, error) {
	var ops []replica.Op
	byOwner := map[string][]noticeItem{}
	var owners []string
	limit := n.data.MaxValueBytes()
	for _, f := range files {
		ops = append(ops, replica.DeleteOp(f.rec.Key()))
		it := noticeItem{FileID: f.rec.FileID, IndexedAt: f.rec.IndexedAt, Path: f.rec.Path, To: f.to, Manifest: f.manifest}
		if f.to != "" {
			moved := movedRecord(f.rec, f.to, at, f.manifest)
			v, err := encodeReplicated(moved, limit)
			if err != nil {
				return nil, nil, err
			}
			ops = append(ops, replica.PutOp(moved.Key(), v))
		}
		if byOwner[f.rec.NodeID] == nil {
			owners = append(owners, f.rec.NodeID)
		}
		byOwner[f.rec.NodeID] = append(byOwner[f.rec.NodeID], it)
	}
	view := n.cluster.View()
	var notices []folderNotice
	for _, owner := range owners {
		if m, ok := view.Member(owner); !ok || m.Status == cluster.StatusLeft {
			continue // its store left with it
		}
		nt := folderNotice{Op: op, Owner: owner, At: at, Items: byOwner[owner]}
		b, err := json.Marshal(nt)
		if err != nil {
			return nil, nil, err
		}
		if len(b) > limit {
			return nil, nil, errTooManyFiles
		}
		ops = append(ops, replica.PutOp(noticeKey(owner, op), b))
		notices = append(notices, nt)
	}
	if len(ops) > n.data.MaxTxnOps() {
		return nil, nil, errTooManyFiles
	}
	return ops, notices, nil
}

// tellOwners delivers the notices of a committed operation, in parallel,
// and deletes those delivered. It waits at most noticeDirectWait, even if
// the client went away; what is not delivered by then the nodes holding
// the notices deliver later (noticeBox).
func (n *Node) tellOwners(ctx context.Context, notices []folderNotice) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), noticeDirectWait)
	defer cancel()
	var wg sync.WaitGroup
	for _, nt := range notices {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := n.deliverNotice(ctx, nt); err != nil && !errors.Is(err, errOwnerGone) {
				n.log.Warn("folder operation: owner not told yet; the replicas will tell it", "owner", nt.Owner, "op", nt.Op, "err", err)
				return
			}
			if _, err := n.data.Delete(ctx, noticeKey(nt.Owner, nt.Op), quorum.Quorum); err != nil {
				n.log.Debug("folder operation: notice not deleted yet", "owner", nt.Owner, "op", nt.Op, "err", err)
			}
		}()
	}
	wg.Wait()
}

// folderReadError turns a failed read of a folder's record into what the
// API answers.
func folderReadError(err error, level quorum.Level) error {
	switch {
	case errors.Is(err, replica.ErrQuorumUnavailable):
		return &ds.Error{Kind: ds.KindUnavailable, Code: "quorum_unavailable",
			Message: "too few replicas answered for consistency=" + strings.ToLower(level.String()) + " to read the folder's files; nothing was changed; try again later or with a weaker consistency", Err: err}
	case errors.Is(err, replica.ErrClosed):
		return &ds.Error{Kind: ds.KindUnavailable, Code: "shutting_down", Message: "the node cannot run a folder operation now", Err: err}
	}
	return err
}

// newOpID returns a random operation id (32 hex digits).
func newOpID() string {
	var b [16]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails
	return hex.EncodeToString(b[:])
}

// forEachLimit runs fn(i) for i in [0, count), at most limit at a time,
// and returns the first error; after it, the calls not started yet are
// skipped and the context of those running is cancelled.
func forEachLimit(ctx context.Context, count, limit int, fn func(ctx context.Context, i int) error) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var (
		mu    sync.Mutex
		first error
		wg    sync.WaitGroup
		sem   = make(chan struct{}, limit)
	)
	for i := range count {
		select {
		case sem <- struct{}{}:
		case <-ctx.Done():
		}
		if ctx.Err() != nil {
			break
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			if err := fn(ctx, i); err != nil {
				mu.Lock()
				if first == nil {
					first = err
					cancel()
				}
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	if first == nil && ctx.Err() != nil {
		first = ctx.Err()
	}
	return first
}
