package replica

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strconv"

	"github.com/distrisearch/distrisearch/cluster"
	"github.com/distrisearch/distrisearch/replica/merkle"
	"github.com/distrisearch/distrisearch/transport"
)

// call sends one JSON request to member and decodes its answer, reading at
// most MaxBodyBytes. Every replication call is safe to repeat (a replica
// resolves what it receives), so all are marked idempotent for retries.
func (s *Service) call(ctx context.Context, m cluster.Member, method, path string, in, out any) error {
	var body io.Reader
	if in != nil {
		b, err := json.Marshal(in)
		if err != nil {
			return fmt.Errorf("encode request: %w", err)
		}
		if int64(len(b)) > s.cfg.MaxBodyBytes {
			return fmt.Errorf("request of %d bytes exceeds %d", len(b), s.cfg.MaxBodyBytes)
		}
		body = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, "https://"+m.InternalAddr+path, body)
	if err != nil {
		return err
	}
	if in != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := s.deps.Client.Do(req, transport.WithTimeout(s.cfg.RequestTimeout), transport.Idempotent(true))
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	lr := io.LimitReader(resp.Body, s.cfg.MaxBodyBytes+1)
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		b, _ := io.ReadAll(io.LimitReader(lr, 4<<10))
		return &transport.StatusError{Status: resp.StatusCode, Body: b, Header: resp.Header}
	}
	raw, err := io.ReadAll(lr)
	if err != nil {
		return err
	}
	if int64(len(raw)) > s.cfg.MaxBodyBytes {
		return fmt.Errorf("response from %s exceeds %d bytes", m.ID, s.cfg.MaxBodyBytes)
	}
	if out == nil {
		return nil
	}
	if err := json.Unmarshal(raw, out); err != nil {
		return fmt.Errorf("decode response from %s: %w", m.ID, err)
	}
	return nil
}

// sendWrites sends entries to member in one request and returns its
// per-entry results.
func (s *Service) sendWrites(ctx context.Context, l *Layout, m cluster.Member, entries []WriteEntry) ([]WriteResult, error) {
	var resp WriteResponse
	if err := s.call(ctx, m, http.MethodPost, PathWrite, WriteRequest{ViewIndex: l.View.Index, Entries: entries}, &resp); err != nil {
		return nil, err
	}
	if len(resp.Results) != len(entries) {
		return nil, fmt.Errorf("replica %s answered %d results for %d entries", m.ID, len(resp.Results), len(entries))
	}
	return resp.Results, nil
}

// merklePeer is another replica's tree of one partition, over HTTP.
type merklePeer struct {
	s *Service
	m cluster.Member
	p int
}

var _ merkle.Peer = merklePeer{}

func (mp merklePeer) Root(ctx context.Context) (merkle.Hash, error) {
	var r RootResponse
	if err := mp.s.call(ctx, mp.m, http.MethodGet, PathMerkleRoot+"?partition="+strconv.Itoa(mp.p), nil, &r); err != nil {
		return merkle.Hash{}, err
	}
	return parseHash(r.Root)
}

func (mp merklePeer) Children(ctx context.Context, paths []merkle.Path) ([][]merkle.Hash, error) {
	var r ChildrenResponse
	if err := mp.s.call(ctx, mp.m, http.MethodPost, PathMerkleChildren, TreeRequest{Partition: mp.p, Paths: paths}, &r); err != nil {
		return nil, err
	}
	out := make([][]merkle.Hash, len(r.Children))
	for i, hs := range r.Children {
		out[i] = make([]merkle.Hash, len(hs))
		for j, h := range hs {
			var err error
			if out[i][j], err = parseHash(h); err != nil {
				return nil, err
			}
		}
	}
	return out, nil
}

func (mp merklePeer) Leaves(ctx context.Context, paths []merkle.Path) ([][]merkle.Entry, error) {
	var r LeavesResponse
	if err := mp.s.call(ctx, mp.m, http.MethodPost, PathMerkleLeaves, TreeRequest{Partition: mp.p, Paths: paths}, &r); err != nil {
		return nil, err
	}
	out := make([][]merkle.Entry, len(r.Leaves))
	for i, es := range r.Leaves {
		out[i] = make([]merkle.Entry, len(es))
		for j, e := range es {
			h, err := parseHash(e.Version)
			if err != nil {
				return nil, err
			}
			out[i][j] = merkle.Entry{Key: e.Key, Version: h}
		}
	}
	return out, nil
}
