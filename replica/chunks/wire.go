package chunks

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"

	"github.com/distrisearch/distrisearch/cluster"
	"github.com/distrisearch/distrisearch/transport"
)

// Node-to-node routes, registered behind MemberOnly.
const (
	PathChunk   = "/api/replication/chunks/" // + {hash}: PUT stores, GET serves
	PathMissing = "/api/replication/chunks/missing"
)

// MaxMissingBatch bounds the hashes of one missing query.
const MaxMissingBatch = 1024

// maxMissingBody bounds a missing request or response body.
const maxMissingBody = 128 + 70*MaxMissingBatch

// MissingRequest asks a replica which of these chunks it lacks.
type MissingRequest struct {
	Hashes []Hash `json:"hashes"`
}

// MissingResponse lists the requested chunks the replica lacks.
type MissingResponse struct {
	Missing []Hash `json:"missing"`
}

// Error codes in a non-2xx answer's JSON body {"code", "error"}.
const (
	CodeNotFound     = "not_found"
	CodeCorrupt      = "corrupt"
	CodeHashMismatch = "hash_mismatch"
	CodeTooLarge     = "too_large"
	CodeFull         = "full"
	CodeInvalid      = "invalid"
	CodeInternal     = "internal"
)

// errorBody is the JSON body of a non-2xx answer.
type errorBody struct {
	Code  string `json:"code"`
	Error string `json:"error"`
}

// send makes one call to m and returns the response if it is 2xx; other
// statuses become *transport.StatusError. Every chunk call is idempotent.
func (s *Service) send(ctx context.Context, m cluster.Member, method, path string, body []byte, contentType string) (*http.Response, error) {
	var r io.Reader
	if body != nil {
		r = bytes.NewReader(body) // sets GetBody, so retries can resend
	}
	req, err := http.NewRequestWithContext(ctx, method, "https://"+m.InternalAddr+path, r)
	if err != nil {
		return nil, err
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	resp, err := s.deps.Client.Do(req, transport.WithTimeout(s.cfg.RequestTimeout), transport.Idempotent(true))
	if err != nil {
		return nil, err
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		b, _ := io.ReadAll(io.LimitReader(resp.Body, 4<<10))
		resp.Body.Close()
		return nil, &transport.StatusError{Status: resp.StatusCode, Body: b, Header: resp.Header}
	}
	return resp, nil
}

// missing asks m which of hs it lacks.
func (s *Service) missing(ctx context.Context, m cluster.Member, hs []Hash) (map[Hash]bool, error) {
	body, err := json.Marshal(MissingRequest{Hashes: hs})
	if err != nil {
		return nil, err
	}
	resp, err := s.send(ctx, m, http.MethodPost, PathMissing, body, "application/json")
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	var out MissingResponse
	if err := json.NewDecoder(io.LimitReader(resp.Body, maxMissingBody)).Decode(&out); err != nil {
		return nil, fmt.Errorf("missing from %s: %w", m.ID, err)
	}
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 4<<10)) // to the end: the connection is reused
	set := make(map[Hash]bool, len(out.Missing))
	for _, h := range out.Missing {
		set[h] = true
	}
	return set, nil
}

// putRemote sends one chunk to m.
func (s *Service) putRemote(ctx context.Context, m cluster.Member, h Hash, data []byte) error {
	resp, err := s.send(ctx, m, http.MethodPut, PathChunk+h.String(), data, "application/octet-stream")
	if err != nil {
		return err
	}
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 4<<10))
	return resp.Body.Close()
}

// getRemote fetches chunk h of size bytes from m and verifies it.
func (s *Service) getRemote(ctx context.Context, m cluster.Member, h Hash, size int) ([]byte, error) {
	resp, err := s.send(ctx, m, http.MethodGet, PathChunk+h.String(), nil, "")
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.ContentLength >= 0 && resp.ContentLength != int64(size) {
		return nil, fmt.Errorf("chunk %s from %s: %d bytes, want %d", h, m.ID, resp.ContentLength, size)
	}
	b := make([]byte, size)
	if _, err := io.ReadFull(resp.Body, b); err != nil {
		return nil, fmt.Errorf("chunk %s from %s: %w", h, m.ID, err)
	}
	if n, _ := resp.Body.Read(make([]byte, 1)); n != 0 {
		return nil, fmt.Errorf("chunk %s from %s: longer than %d bytes", h, m.ID, size)
	}
	if Sum(b) != h {
		return nil, fmt.Errorf("chunk %s from %s: %w", h, m.ID, ErrHashMismatch)
	}
	return b, nil
}

// statusCode maps a store error to an HTTP status and code.
func statusCode(err error) (int, string) {
	switch {
	case errors.Is(err, ErrNotFound):
		return http.StatusNotFound, CodeNotFound
	case errors.Is(err, ErrCorrupt):
		return http.StatusNotFound, CodeCorrupt
	case errors.Is(err, ErrHashMismatch):
		return http.StatusBadRequest, CodeHashMismatch
	case errors.Is(err, ErrTooLarge):
		return http.StatusRequestEntityTooLarge, CodeTooLarge
	case errors.Is(err, ErrFull):
		return http.StatusInsufficientStorage, CodeFull
	}
	return http.StatusInternalServerError, CodeInternal
}
