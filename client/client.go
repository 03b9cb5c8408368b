// Package client is a Go client for DistriSearch's public REST API. The CLI,
// the benchmarks and the end-to-end tests use it.
//
// A node serves HTTPS with a certificate signed by its cluster CA unless it
// was started with plain HTTP: Options.CAFile names the CA to trust (the
// node's DATA/tls/ca.crt). Every endpoint but health, the OpenAPI document,
// metrics and login needs a bearer token: Login returns one and keeps it in
// the client, or Options.Token sets one obtained earlier.
//
// Errors from the server come back as *distrisearch.Error with the server's
// code and message, and a kind derived from the HTTP status.
package client

import (
	"bufio"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"strings"
	"time"

	ds "github.com/distrisearch/distrisearch"
	"github.com/distrisearch/distrisearch/api"
)

// Client talks to one node's public API. Its methods may be called
// concurrently, but Token must not be changed while requests are running
// (Login and Logout change it).
type Client struct {
	base  *url.URL
	http  *http.Client
	Token string // bearer token, if any
}

// Options configure a client.
type Options struct {
	// CAFile is a PEM file of the certificate authorities to trust for
	// https:// servers instead of the system's roots, as curl --cacert
	// does: the cluster CA, DATA/tls/ca.crt. Empty: the system's roots.
	CAFile string
	// CAPEM is the same as PEM bytes; both may be given.
	CAPEM []byte
	// Token is the bearer token sent with every request.
	Token string
	// HTTPClient, if set, is used as is (its transport decides what to
	// trust); it excludes CAFile and CAPEM.
	HTTPClient *http.Client
}

// New returns a client for the API at baseURL (e.g. "https://127.0.0.1:8080").
// hc may be nil for a client with sensible timeouts that trusts the
// system's roots; NewWithOptions trusts a cluster CA.
func New(baseURL string, hc *http.Client) (*Client, error) {
	return NewWithOptions(baseURL, Options{HTTPClient: hc})
}

// NewWithOptions returns a client for the API at baseURL configured by o.
func NewWithOptions(baseURL string, o Options) (*Client, error) {
	u, err := url.Parse(strings.TrimRight(baseURL, "/"))
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("server address %q must look like https://host:port", baseURL)
	}
	hc := o.HTTPClient
	if hc != nil && (o.CAFile != "" || len(o.CAPEM) > 0) {
		return nil, errors.New("client options: HTTPClient excludes CAFile and CAPEM (configure its transport instead)")
	}
	if hc == nil {
		tlsConf, err := TLSConfig(o.CAFile, o.CAPEM)
		if err != nil {
			return nil, err
		}
		hc = &http.Client{Transport: &http.Transport{
			Proxy:                 nil,
			TLSClientConfig:       tlsConf,
			TLSHandshakeTimeout:   10 * time.Second,
			ResponseHeaderTimeout: 60 * time.Second,
			IdleConnTimeout:       90 * time.Second,
			MaxIdleConnsPerHost:   16,
			ForceAttemptHTTP2:     true,
		}}
	}
	return &Client{base: u, http: hc, Token: o.Token}, nil
}

// TLSConfig returns the client TLS configuration the package uses: TLS 1.2
// or later, trusting the CAs of caFile and caPEM, or the system's roots
// when both are empty.
func TLSConfig(caFile string, caPEM []byte) (*tls.Config, error) {
	conf := &tls.Config{MinVersion: tls.VersionTLS12}
	if caFile == "" && len(caPEM) == 0 {
		return conf, nil
	}
	pool := x509.NewCertPool()
	if caFile != "" {
		b, err := os.ReadFile(caFile) // #nosec G304 -- the CA file the user names (--ca, DISTRISEARCH_CA or the saved session)
		if err != nil {
			return nil, fmt.Errorf("read the CA file: %w", err)
		}
		if !pool.AppendCertsFromPEM(b) {
			return nil, fmt.Errorf("CA file %s holds no PEM certificate", caFile)
		}
	}
	if len(caPEM) > 0 && !pool.AppendCertsFromPEM(caPEM) {
		return nil, errors.New("the CA PEM holds no certificate")
	}
	conf.RootCAs = pool
	return conf, nil
}

// BaseURL returns the server address.
func (c *Client) BaseURL() string { return c.base.String() }

func (c *Client) newRequest(ctx context.Context, method, path string, q url.Values, body io.Reader) (*http.Request, error) {
	// path is escaped already (callers escape the segments they insert).
	u := *c.base
	u.RawPath = c.base.EscapedPath() + path
	p, err := url.PathUnescape(u.RawPath)
	if err != nil {
		return nil, fmt.Errorf("bad request path %q: %w", path, err)
	}
	u.Path = p
	u.RawQuery = q.Encode()
	req, err := http.NewRequestWithContext(ctx, method, u.String(), body)
	if err != nil {
		return nil, err
	}
	if c.Token != "" {
		req.Header.Set("Authorization", "Bearer "+c.Token)
	}
	return req, nil
}

// do sends req and decodes a JSON answer into out, or the API error.
func (c *Client) do(req *http.Request, out any) error {
	resp, err := c.http.Do(req)
	if err != nil {
		return c.unreachable(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode >= 400 {
		return decodeError(resp)
	}
	if out == nil {
		_, _ = io.Copy(io.Discard, resp.Body)
		return nil
	}
	if err := json.NewDecoder(resp.Body).Decode(out); err != nil {
		return fmt.Errorf("decode %s: %w", req.URL.Path, err)
	}
	// Read to EOF (the encoder's trailing newline) so the connection is reused.
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 4096))
	return nil
}

// unreachable describes a failure to talk to the node at all. TLS
// failures get their own codes: they are fixed on the client's side.
func (c *Client) unreachable(err error) error {
	var (
		unknownCA *x509.UnknownAuthorityError
		verify    *tls.CertificateVerificationError
		hostname  x509.HostnameError
		record    tls.RecordHeaderError
	)
	switch {
	case errors.As(err, &unknownCA) || errors.As(err, &hostname) || errors.As(err, &verify):
		return &ds.Error{Kind: ds.KindUnavailable, Code: "tls_untrusted",
			Message: fmt.Sprintf("cannot verify the certificate of %s (trust its cluster CA, the node's DATA/tls/ca.crt): %v", c.base.Host, err), Err: err}
	case errors.As(err, &record) || strings.Contains(err.Error(), "server gave HTTP response to HTTPS client"):
		return &ds.Error{Kind: ds.KindUnavailable, Code: "tls_not_served",
			Message: fmt.Sprintf("%s does not speak HTTPS (use http:// if the node runs with plain HTTP): %v", c.base.Host, err), Err: err}
	}
	return &ds.Error{Kind: ds.KindUnavailable, Code: "unreachable", Message: fmt.Sprintf("cannot reach %s: %v", c.base.Host, err), Err: err}
}

var kindOfStatus = map[int]ds.Kind{
	400: ds.KindInvalid, 401: ds.KindUnauthorized, 403: ds.KindForbidden, 404: ds.KindNotFound,
	409: ds.KindConflict, 413: ds.KindTooLarge, 416: ds.KindRangeNotSatisfiable, 429: ds.KindRateLimited,
	503: ds.KindUnavailable,
}

func decodeError(resp *http.Response) error {
	var body api.ErrorBody
	raw, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	kind, ok := kindOfStatus[resp.StatusCode]
	if !ok {
		kind = ds.KindInternal
	}
	if err := json.Unmarshal(raw, &body); err != nil || body.Error.Code == "" {
		return &ds.Error{Kind: kind, Code: strconv.Itoa(resp.StatusCode), Message: fmt.Sprintf("%s: %s", resp.Status, strings.TrimSpace(string(raw)))}
	}
	msg := body.Error.Message
	if kind == ds.KindInternal && body.Error.RequestID != "" {
		msg += " (request id " + body.Error.RequestID + ")"
	}
	if ra := resp.Header.Get("Retry-After"); ra != "" && kind == ds.KindRateLimited {
		if secs, err := strconv.Atoi(ra); err == nil {
			msg += fmt.Sprintf(" (retry after %ds)", secs)
		}
	}
	return &ds.Error{Kind: kind, Code: body.Error.Code, Message: msg}
}

// sendJSON sends body as JSON with method to path and decodes the answer
// into out (nil: discard it).
func (c *Client) sendJSON(ctx context.Context, method, path string, body, out any) error {
	var r io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return err
		}
		r = strings.NewReader(string(b))
	}
	hr, err := c.newRequest(ctx, method, path, nil, r)
	if err != nil {
		return err
	}
	if body != nil {
		hr.Header.Set("Content-Type", "application/json")
	}
	return c.do(hr, out)
}

// Search runs a search.
func (c *Client) Search(ctx context.Context, req ds.SearchRequest) (ds.SearchResult, error) {
	q := url.Values{"q": {req.Query}}
	if req.Limit > 0 {
		q.Set("limit", strconv.Itoa(req.Limit))
	}
	if req.Cursor != "" {
		q.Set("cursor", req.Cursor)
	}
	if req.Sort != "" {
		q.Set("sort", req.Sort)
		if req.Desc {
			q.Set("order", "desc")
		} else {
			q.Set("order", "asc")
		}
	}
	q.Set("facets", strconv.FormatBool(req.Facets))
	q.Set("highlight", strconv.FormatBool(req.Highlight))
	hr, err := c.newRequest(ctx, http.MethodGet, "/api/search", q, nil)
	if err != nil {
		return ds.SearchResult{}, err
	}
	var res ds.SearchResult
	err = c.do(hr, &res)
	return res, err
}

// File returns a file's record.
func (c *Client) File(ctx context.Context, fileID string) (ds.Record, error) {
	hr, err := c.newRequest(ctx, http.MethodGet, "/api/files/"+url.PathEscape(fileID), nil, nil)
	if err != nil {
		return ds.Record{}, err
	}
	var rec ds.Record
	err = c.do(hr, &rec)
	return rec, err
}

// Health reports whether the node answers at all (GET /api/health, which
// needs no token).
func (c *Client) Health(ctx context.Context) error {
	hr, err := c.newRequest(ctx, http.MethodGet, "/api/health", nil, nil)
	if err != nil {
		return err
	}
	return c.do(hr, nil)
}

// Status returns the node's status.
func (c *Client) Status(ctx context.Context) (api.NodeStatus, error) {
	hr, err := c.newRequest(ctx, http.MethodGet, "/api/status", nil, nil)
	if err != nil {
		return api.NodeStatus{}, err
	}
	var st api.NodeStatus
	err = c.do(hr, &st)
	return st, err
}

// Download streams a file's bytes from offset on. etag, when set, makes the
// server send the whole file (status 200) instead of a range if the content
// changed; the returned bool says whether the body starts at offset.
func (c *Client) Download(ctx context.Context, fileID string, offset int64, etag string) (body io.ReadCloser, size int64, ranged bool, err error) {
	hr, err := c.newRequest(ctx, http.MethodGet, "/api/files/"+url.PathEscape(fileID)+"/download", nil, nil)
	if err != nil {
		return nil, 0, false, err
	}
	if offset > 0 {
		hr.Header.Set("Range", fmt.Sprintf("bytes=%d-", offset))
		if etag != "" {
			hr.Header.Set("If-Range", `"`+etag+`"`)
		}
	}
	resp, err := c.http.Do(hr)
	if err != nil {
		return nil, 0, false, c.unreachable(err)
	}
	switch resp.StatusCode {
	case http.StatusOK:
		return resp.Body, resp.ContentLength, false, nil
	case http.StatusPartialContent:
		return resp.Body, resp.ContentLength, true, nil
	default:
		defer resp.Body.Close()
		return nil, 0, false, decodeError(resp)
	}
}

// Event is one server-sent event of GET /api/events.
type Event struct {
	ID   string          // the Lamport stamp
	Type string          // the event type
	Data json.RawMessage // the event as JSON
}

// Events streams events until ctx ends or fn returns an error. since
// replays retained events after that id (0: only what the node retains
// from the start). types filters; none means all.
func (c *Client) Events(ctx context.Context, since uint64, types []string, fn func(Event) error) error {
	q := url.Values{}
	if len(types) > 0 {
		q.Set("types", strings.Join(types, ","))
	}
	hr, err := c.newRequest(ctx, http.MethodGet, "/api/events", q, nil)
	if err != nil {
		return err
	}
	hr.Header.Set("Accept", "text/event-stream")
	hr.Header.Set("Last-Event-ID", strconv.FormatUint(since, 10))
	hc := *c.http
	hc.Timeout = 0
	resp, err := hc.Do(hr)
	if err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		return c.unreachable(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode >= 400 {
		return decodeError(resp)
	}
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	var ev Event
	for sc.Scan() {
		line := sc.Text()
		switch {
		case line == "":
			if ev.Type != "" {
				if err := fn(ev); err != nil {
					return err
				}
			}
			ev = Event{}
		case strings.HasPrefix(line, "id: "):
			ev.ID = line[4:]
		case strings.HasPrefix(line, "event: "):
			ev.Type = line[7:]
		case strings.HasPrefix(line, "data: "):
			ev.Data = json.RawMessage(line[6:])
		}
	}
	if ctx.Err() != nil {
		return ctx.Err()
	}
	return sc.Err()
}

// Cluster returns the cluster as the node sees it (GET /api/nodes).
func (c *Client) Cluster(ctx context.Context) (api.ClusterInfo, error) {
	hr, err := c.newRequest(ctx, http.MethodGet, "/api/nodes", nil, nil)
	if err != nil {
		return api.ClusterInfo{}, err
	}
	var out api.ClusterInfo
	err = c.do(hr, &out)
	return out, err
}

// Leave asks the node to leave its cluster gracefully.
func (c *Client) Leave(ctx context.Context) error {
	hr, err := c.newRequest(ctx, http.MethodPost, "/api/node/leave", nil, nil)
	if err != nil {
		return err
	}
	return c.do(hr, nil)
}

// DataPlane is the data-plane part of GET /api/cluster, as far as the CLI
// shows it.
type DataPlane struct {
	Node       string `json:"node"`
	Partitions []struct {
		Partition       int    `json:"partition"`
		UnderReplicated bool   `json:"under_replicated"`
		Keys            int    `json:"keys"`
		MerkleRoot      string `json:"merkle_root"`
		Replicas        []struct {
			Node   string `json:"node"`
			Status string `json:"status"`
		} `json:"replicas"`
	} `json:"partitions"`
	UnderReplicated []int          `json:"under_replicated"`
	HintsPending    map[string]int `json:"hints_pending"`
	ReadRepairs     uint64         `json:"read_repairs"`
	Conflicts       uint64         `json:"conflicts"`
	AntiEntropy     struct {
		Rounds        uint64    `json:"rounds"`
		KeysExchanged uint64    `json:"keys_exchanged"`
		LastRun       time.Time `json:"last_run"`
		LastError     string    `json:"last_error"`
	} `json:"anti_entropy"`
	// Rebalancing: partitions this node stores but must hand over, and
	// what it handed over so far.
	Foreign             []int  `json:"foreign_partitions"`
	PartitionsHandedOff uint64 `json:"partitions_handed_off"`
	KeysHandedOff       uint64 `json:"keys_handed_off"`
	// Outbox: this node's record changes not yet on their replicas.
	Outbox struct {
		Pending   int64  `json:"pending"`
		Written   uint64 `json:"written"`
		Failures  uint64 `json:"failures"`
		LastError string `json:"last_error"`
	} `json:"outbox"`
	// Chunks: this node's chunk store and its garbage collection.
	Chunks struct {
		Chunks        int64     `json:"chunks"`
		Bytes         int64     `json:"bytes"`
		GCRuns        uint64    `json:"gc_runs"`
		RemovedChunks uint64    `json:"gc_removed_chunks"`
		RemovedBytes  int64     `json:"gc_removed_bytes"`
		LastRun       time.Time `json:"gc_last_run"`
		LastError     string    `json:"gc_last_error"`
		RepairPending int       `json:"repair_pending"`
		RepairFetched uint64    `json:"repair_fetched_chunks"`
		RepairFailed  uint64    `json:"repair_failures"`
	} `json:"chunks"`
}

// ClusterStatus is GET /api/cluster: the members and the data plane.
type ClusterStatus struct {
	Cluster api.ClusterInfo `json:"cluster"`
	Data    *DataPlane      `json:"data,omitempty"`
}

// ClusterStatus returns the cluster and its data plane as the node sees
// them.
func (c *Client) ClusterStatus(ctx context.Context) (ClusterStatus, error) {
	var st ClusterStatus
	hr, err := c.newRequest(ctx, http.MethodGet, "/api/cluster", nil, nil)
	if err != nil {
		return st, err
	}
	return st, c.do(hr, &st)
}

// MaxMetricsBytes bounds the answer of Metrics.
const MaxMetricsBytes = 8 << 20

// Metrics returns the node's Prometheus metrics in the text exposition
// format (GET /metrics).
func (c *Client) Metrics(ctx context.Context) (string, error) {
	req, err := c.newRequest(ctx, http.MethodGet, "/metrics", nil, nil)
	if err != nil {
		return "", err
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return "", c.unreachable(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode >= 400 {
		return "", decodeError(resp)
	}
	b, err := io.ReadAll(io.LimitReader(resp.Body, MaxMetricsBytes+1))
	if err != nil {
		return "", err
	}
	if len(b) > MaxMetricsBytes {
		return "", fmt.Errorf("the metrics are larger than %d bytes", MaxMetricsBytes)
	}
	return string(b), nil
}
