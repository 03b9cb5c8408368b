package node

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	ds "github.com/distrisearch/distrisearch"
	"github.com/distrisearch/distrisearch/api"
	"github.com/distrisearch/distrisearch/cluster"
	"github.com/distrisearch/distrisearch/index"
	"github.com/distrisearch/distrisearch/transport"
)

const (
	// remoteFileWait bounds asking a node for a record or a preview.
	remoteFileWait = 5 * time.Second
	// remoteDownloadWait bounds one stream of a download from another
	// node (the transport's per-attempt timeout covers the body).
	remoteDownloadWait = 30 * time.Minute
	// maxRemotePreview is what a node sends of a file's text: a little
	// more than the API shows, so that the gateway cuts it (and says
	// truncated) exactly as it would a local text.
	maxRemotePreview = api.MaxPreviewBytes + 4
	// maxRemoteRecord bounds a record's JSON from another node: an
	// uploaded file's carries its chunk manifest (≤ 1.2 MB, base64).
	maxRemoteRecord = 4 << 20
)

// Errors of the cluster-wide file access. errFileAbsent is what a node
// answers for a file it does not hold or the caller may not see: the same
// words as the API's own 404.
var (
	errFileAbsent      = ds.Errorf(ds.KindNotFound, "file_not_found", "no file has this id")
	errFileUnreachable = ds.Errorf(ds.KindUnavailable, "file_unavailable",
		"the file may be on a node that cannot be reached right now; try again later")
)

// fileURL is the internal URL of a file of m, carrying the viewer (whose
// share ACLs m checks) as repeated role and group parameters.
func fileURL(m cluster.Member, id, suffix string, v ds.Viewer) string {
	q := url.Values{}
	for _, r := range v.Roles {
		q.Add("role", r)
	}
	for _, g := range v.Groups {
		q.Add("group", g)
	}
	return "https://" + m.InternalAddr + pathFiles + id + suffix + "?" + q.Encode()
}

// firstFound asks every live member at once and returns the first answer
// found. Not found everywhere is errFileAbsent; not found where asked but
// some node down or failing is errFileUnreachable (the file may be
// there), never a 404 that might be false.
func firstFound[T any](ctx context.Context, n *Node, ask func(ctx context.Context, m cluster.Member) (T, error)) (T, error) {
	var zero T
	live, down := n.peers()
	if len(live) == 0 {
		if len(down) > 0 {
			return zero, errFileUnreachable
		}
		return zero, errFileAbsent
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	type answer struct {
		v   T
		err error
	}
	ch := make(chan answer, len(live))
	for _, m := range live {
		go func() {
			v, err := ask(ctx, m)
			ch <- answer{v, err}
		}()
	}
	failed := len(down) > 0
	for range live {
		a := <-ch
		switch {
		case a.err == nil:
			return a.v, nil
		case ds.KindOf(a.err) != ds.KindNotFound:
			failed = true
		}
	}
	if failed {
		return zero, errFileUnreachable
	}
	return zero, errFileAbsent
}

// getPeer makes one GET to another node and returns the open response,
// or the node's error answer as an error.
func (n *Node) getPeer(ctx context.Context, rawURL string, header http.Header, wait time.Duration) (*http.Response, error) {
	return n.callPeer(ctx, http.MethodGet, rawURL, header, wait)
}

// callPeer makes one bodiless request to another node and returns the open
// response, or the node's error answer as an error.
func (n *Node) callPeer(ctx context.Context, method, rawURL string, header http.Header, wait time.Duration) (*http.Response, error) {
	req, err := http.NewRequestWithContext(ctx, method, rawURL, nil)
	if err != nil {
		return nil, err
	}
	for k, vs := range header {
		req.Header[k] = vs
	}
	resp, err := n.cluster.Client().Do(req, transport.WithTimeout(wait))
	if err != nil {
		return nil, &ds.Error{Kind: ds.KindUnavailable, Code: "node_unreachable", Message: "a node holding files did not answer", Err: err}
	}
	if resp.StatusCode >= 200 && resp.StatusCode <= 299 {
		return resp, nil
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	return nil, peerError(&transport.StatusError{Status: resp.StatusCode, Body: b, Header: resp.Header})
}

// remoteRecord finds the record of id on the other nodes, for v.
func (n *Node) remoteRecord(ctx context.Context, id string, v ds.Viewer) (ds.Record, error) {
	return firstFound(ctx, n, func(ctx context.Context, m cluster.Member) (ds.Record, error) {
		resp, err := n.getPeer(ctx, fileURL(m, id, "", v), nil, remoteFileWait)
		if err != nil {
			return ds.Record{}, err
		}
		defer resp.Body.Close()
		var rec ds.Record
		if err := json.NewDecoder(io.LimitReader(resp.Body, maxRemoteRecord)).Decode(&rec); err != nil {
			return ds.Record{}, &ds.Error{Kind: ds.KindUnavailable, Code: "bad_peer_answer", Message: "a node sent a record that cannot be read", Err: err}
		}
		if rec.FileID != id {
			return ds.Record{}, ds.Errorf(ds.KindUnavailable, "bad_peer_answer", "a node sent the record of another file")
		}
		return rec, nil
	})
}

// remoteContent finds the text of id on the other nodes, for v.
func (n *Node) remoteContent(ctx context.Context, id string, v ds.Viewer) (string, error) {
	return firstFound(ctx, n, func(ctx context.Context, m cluster.Member) (string, error) {
		resp, err := n.getPeer(ctx, fileURL(m, id, "/content", v), nil, remoteFileWait)
		if err != nil {
			return "", err
		}
		defer resp.Body.Close()
		b, err := io.ReadAll(io.LimitReader(resp.Body, maxRemotePreview))
		if err != nil {
			return "", &ds.Error{Kind: ds.KindUnavailable, Code: "node_unreachable", Message: "a node holding files did not answer", Err: err}
		}
		return string(b), nil
	})
}

// remoteOpen opens the bytes of rec, held by rec.NodeID, for v.
func (n *Node) remoteOpen(ctx context.Context, rec ds.Record, v ds.Viewer) (api.Blob, error) {
	m, ok := n.cluster.View().Member(rec.NodeID)
	if !ok || m.Status == cluster.StatusLeft {
		return nil, errFileAbsent
	}
	if m.Status == cluster.StatusDead || m.InternalAddr == "" {
		return nil, errFileUnreachable
	}
	b := &remoteBlob{ctx: ctx, n: n, url: fileURL(m, rec.FileID, "/download", v), size: rec.Size, etag: `"` + rec.ContentHash + `"`}
	if err := b.open(0); err != nil {
		return nil, err
	}
	return b, nil
}

// remoteBlob is a file held by another node, read lazily: each read from
// a position the open stream is not at opens a new stream there (a Range
// request), so http.ServeContent on the gateway serves ranges, multiple
// ranges, conditional requests and HEAD exactly as for a local file while
// only the bytes asked for cross the cluster. Open starts the stream at 0
// so that errors (gone, changed) are known before any header is written.
type remoteBlob struct {
	ctx  context.Context
	n    *Node
	url  string
	etag string
	size int64
	pos  int64 // the position Read continues from

	body    io.ReadCloser // the open stream, or nil
	bodyPos int64         // the position body continues from
}

var _ api.Blob = (*remoteBlob)(nil)

func (b *remoteBlob) open(at int64) error {
	b.closeBody()
	h := http.Header{}
	if at > 0 {
		h.Set("Range", fmt.Sprintf("bytes=%d-", at))
		h.Set("If-Range", b.etag) // a changed file answers 200 from 0, refused below
	}
	resp, err := b.n.getPeer(b.ctx, b.url, h, remoteDownloadWait)
	if err != nil {
		return err
	}
	ok := resp.StatusCode == http.StatusOK && at == 0 ||
		resp.StatusCode == http.StatusPartialContent && strings.HasPrefix(resp.Header.Get("Content-Range"), fmt.Sprintf("bytes %d-", at))
	if !ok || resp.ContentLength >= 0 && resp.ContentLength != b.size-at || resp.Header.Get("ETag") != b.etag {
		resp.Body.Close()
		return ds.Errorf(ds.KindConflict, "file_changed", "the file changed since it was indexed; search again for the new version")
	}
	b.body, b.bodyPos = resp.Body, at
	return nil
}

func (b *remoteBlob) closeBody() {
	if b.body != nil {
		_ = b.body.Close()
		b.body = nil
	}
}

// Read reads from the current position, opening a stream there if needed.
func (b *remoteBlob) Read(p []byte) (int, error) {
	if b.pos >= b.size {
		return 0, io.EOF
	}
	if b.body == nil || b.bodyPos != b.pos {
		if err := b.open(b.pos); err != nil {
			return 0, err
		}
	}
	if left := b.size - b.pos; int64(len(p)) > left {
		p = p[:left]
	}
	k, err := b.body.Read(p)
	b.pos += int64(k)
	b.bodyPos += int64(k)
	if err == io.EOF {
		b.closeBody()
		if b.pos < b.size {
			return k, io.ErrUnexpectedEOF
		}
		err = nil
		if k == 0 {
			err = io.EOF
		}
	}
	return k, err
}

// Seek moves the position; the stream is reopened at the next Read only
// if it is not already there.
func (b *remoteBlob) Seek(offset int64, whence int) (int64, error) {
	switch whence {
	case io.SeekStart:
	case io.SeekCurrent:
		offset += b.pos
	case io.SeekEnd:
		offset += b.size
	default:
		return 0, fmt.Errorf("seek: bad whence %d", whence)
	}
	if offset < 0 {
		return 0, fmt.Errorf("seek: negative position %d", offset)
	}
	b.pos = offset
	return offset, nil
}

// Close ends the open stream, if any.
func (b *remoteBlob) Close() error {
	b.closeBody()
	return nil
}

// The owner's side: internal routes that serve this node's files to other
// nodes, for the viewer named in the query, with the same checks as the
// public API: a file the viewer may not see is absent.

// viewerFromQuery reads the viewer a gateway sent (see fileURL).
func viewerFromQuery(r *http.Request) ds.Viewer {
	q := r.URL.Query()
	return ds.Viewer{Roles: q["role"], Groups: q["group"]}
}

// owner serves this node's index and files to the other nodes. It holds
// the storage it serves (set before the routes are registered), so that a
// request still running while the node closes meets a closed store, not a
// nil one.
type owner struct {
	n     *Node
	index *index.Index
	held  *holdings
}

// localVisible returns the record of the file id in r's path if this node
// holds it and the viewer may see it; otherwise it answers and returns
// false.
func (o owner) localVisible(w http.ResponseWriter, r *http.Request) (ds.Record, bool) {
	id := r.PathValue("file_id")
	if !ds.IsFileID(id) {
		writeInternalError(w, http.StatusBadRequest, "bad_file_id", "not a file id")
		return ds.Record{}, false
	}
	rec, err := o.held.record(id, false)
	if err == nil && !o.n.access().canSee(viewerFromQuery(r), rec) {
		err = errFileAbsent
	}
	if err != nil {
		writeKindError(w, err)
		return ds.Record{}, false
	}
	return rec, true
}

// writeKindError answers err with the status of its kind, its code and its
// user-facing message.
// The status comes from the API's one table (api.StatusOf).
func writeKindError(w http.ResponseWriter, err error) {
	writeInternalError(w, api.StatusOf(err), ds.CodeOf(err), ds.MessageOf(err))
}

func (o owner) handleFileRecord(w http.ResponseWriter, r *http.Request) {
	rec, ok := o.localVisible(w, r)
	if !ok {
		return
	}
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(rec)
}

func (o owner) handleFileContent(w http.ResponseWriter, r *http.Request) {
	rec, ok := o.localVisible(w, r)
	if !ok {
		return
	}
	full, err := o.held.record(rec.FileID, true)
	if err != nil {
		writeKindError(w, err)
		return
	}
	text := full.Content
	if len(text) > maxRemotePreview {
		text = text[:maxRemotePreview]
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	_, _ = io.WriteString(w, text)
}

func (o owner) handleFileDownload(w http.ResponseWriter, r *http.Request) {
	rec, ok := o.localVisible(w, r)
	if !ok {
		return
	}
	blob, err := files{o.n}.openHeld(r.Context(), rec)
	if err != nil {
		writeKindError(w, err)
		return
	}
	defer blob.Close()
	w.Header().Set("Content-Type", "application/octet-stream")
	w.Header().Set("ETag", `"`+rec.ContentHash+`"`)
	http.ServeContent(w, r, "", rec.ModTime, blob)
}

// registerClusterRoutes adds the node-to-node search, file and folder
// notice routes. Call it once the store and the index are open.
func (n *Node) registerClusterRoutes() {
	o := owner{n: n, index: n.index, held: n.held}
	c := n.cluster
	c.HandleInternal("POST "+pathSearch, c.MemberOnly(http.HandlerFunc(o.handleSearch)))
	c.HandleInternal("GET "+pathFiles+"{file_id}", c.MemberOnly(http.HandlerFunc(o.handleFileRecord)))
	c.HandleInternal("GET "+pathFiles+"{file_id}/content", c.MemberOnly(http.HandlerFunc(o.handleFileContent)))
	c.HandleInternal("GET "+pathFiles+"{file_id}/download", c.MemberOnly(http.HandlerFunc(o.handleFileDownload)))
	c.HandleInternal("DELETE "+pathFiles+"{file_id}", c.MemberOnly(http.HandlerFunc(o.handleFileDelete)))
	c.HandleInternal("POST "+pathFolderAdopt, c.MemberOnly(http.HandlerFunc(n.handleFolderAdopt)))
}
