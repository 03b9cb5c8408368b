package client

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"mime/multipart"
	"net/http"
	"net/url"

	ds "github.com/distrisearch/distrisearch"
	"github.com/distrisearch/distrisearch/api"
)

// Upload sends size bytes of r as the file name to the node's uploads
// share (POST /api/files), streamed, and returns its record once the
// replicas that level asks for ("strong", "quorum" or "eventual"; "" is
// quorum) hold it durably. size < 0 sends the body chunked (its length
// unknown). progress, if not nil, is called with the bytes sent so far.
// An upload of an existing name replaces that file.
func (c *Client) Upload(ctx context.Context, name string, r io.Reader, size int64, level string, progress func(sent int64)) (ds.Record, error) {
	q := url.Values{"name": {name}}
	if level != "" {
		q.Set("consistency", level)
	}
	body := r
	if progress != nil {
		body = &countingReader{r: r, fn: progress}
	}
	if size == 0 {
		body = http.NoBody
	}
	hr, err := c.newRequest(ctx, http.MethodPost, "/api/files", q, body)
	if err != nil {
		return ds.Record{}, err
	}
	hr.ContentLength = size
	if size < 0 {
		hr.ContentLength = -1
	}
	hr.Header.Set("Content-Type", "application/octet-stream")
	var rec ds.Record
	err = c.do(hr, &rec)
	return rec, err
}

// NamedFile is one file of an atomic upload.
type NamedFile struct {
	Name string
	Body io.Reader
}

// UploadAtomic sends files as one multipart/form-data body to POST
// /api/files/batch, streamed, and returns their records once all of them
// are committed together on the replicas level asks for; on an error none
// of them is visible. progress, if not nil, is called with the body bytes
// sent so far.
func (c *Client) UploadAtomic(ctx context.Context, files []NamedFile, level string, progress func(sent int64)) ([]ds.Record, error) {
	q := url.Values{}
	if level != "" {
		q.Set("consistency", level)
	}
	pr, pw := io.Pipe()
	mw := multipart.NewWriter(pw)
	go func() {
		for _, f := range files {
			w, err := mw.CreateFormFile("file", f.Name)
			if err == nil {
				_, err = io.Copy(w, f.Body)
			}
			if err != nil {
				pw.CloseWithError(err)
				return
			}
		}
		pw.CloseWithError(mw.Close())
	}()
	var body io.Reader = pr
	if progress != nil {
		body = &countingReader{r: pr, fn: progress}
	}
	hr, err := c.newRequest(ctx, http.MethodPost, "/api/files/batch", q, body)
	if err != nil {
		pr.CloseWithError(err)
		return nil, err
	}
	hr.ContentLength = -1
	hr.Header.Set("Content-Type", mw.FormDataContentType())
	var out struct {
		Files []ds.Record `json:"files"`
	}
	err = c.do(hr, &out)
	pr.CloseWithError(io.ErrClosedPipe) // stop the writer if the answer came early
	return out.Files, err
}

// DeleteFile deletes an uploaded file (DELETE /api/files/{id}). Files of
// shared folders cannot be deleted through the API (a KindConflict error,
// code not_deletable).
func (c *Client) DeleteFile(ctx context.Context, fileID string) error {
	hr, err := c.newRequest(ctx, http.MethodDelete, "/api/files/"+url.PathEscape(fileID), nil, nil)
	if err != nil {
		return err
	}
	return c.do(hr, nil)
}

// DeleteFolder deletes every uploaded file under folder, on every node,
// as one atomic operation (DELETE /api/folders), and returns them. level
// is "strong", "quorum" or "eventual" ("" is quorum). Errors carry the
// API's codes: folder_not_found, too_many_files, bad_path,
// folder_operation_aborted (nothing changed; retry), outcome_unknown.
func (c *Client) DeleteFolder(ctx context.Context, folder, level string) (api.FolderResult, error) {
	q := url.Values{"path": {folder}}
	if level != "" {
		q.Set("consistency", level)
	}
	hr, err := c.newRequest(ctx, http.MethodDelete, "/api/folders", q, nil)
	if err != nil {
		return api.FolderResult{}, err
	}
	var res api.FolderResult
	err = c.do(hr, &res)
	return res, err
}

// MoveFolder moves every uploaded file under from to the same path under
// to, on every node, as one atomic operation (POST /api/folders/move),
// and returns them with their new ids. Errors as DeleteFolder's, and
// target_exists.
func (c *Client) MoveFolder(ctx context.Context, from, to, level string) (api.FolderResult, error) {
	q := url.Values{}
	if level != "" {
		q.Set("consistency", level)
	}
	b, err := json.Marshal(api.MoveFolderRequest{From: from, To: to})
	if err != nil {
		return api.FolderResult{}, err
	}
	hr, err := c.newRequest(ctx, http.MethodPost, "/api/folders/move", q, bytes.NewReader(b))
	if err != nil {
		return api.FolderResult{}, err
	}
	hr.Header.Set("Content-Type", "application/json")
	var res api.FolderResult
	err = c.do(hr, &res)
	return res, err
}

// countingReader reports the bytes read so far.
type countingReader struct {
	r  io.Reader
	n  int64
	fn func(int64)
}

func (c *countingReader) Read(p []byte) (int, error) {
	k, err := c.r.Read(p)
	c.n += int64(k)
	if k > 0 {
		c.fn(c.n)
	}
	return k, err
}
