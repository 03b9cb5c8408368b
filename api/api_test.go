package api

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"github.com/distrisearch/distrisearch/clock"
	"github.com/distrisearch/distrisearch/events"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	ds "github.com/distrisearch/distrisearch"
	"github.com/distrisearch/distrisearch/auth/rbac"
)

// fakes: structs of function fields.
type fakeSearcher struct {
	fn func(ctx context.Context, req ds.SearchRequest) (ds.SearchResult, error)
}

func (f fakeSearcher) Search(ctx context.Context, req ds.SearchRequest) (ds.SearchResult, error) {
	return f.fn(ctx, req)
}

type fakeFiles struct {
	records map[string]ds.Record
	data    map[string][]byte
	openErr error
}

func (f fakeFiles) Record(_ context.Context, id string) (ds.Record, error) {
	r, ok := f.records[id]
	if !ok {
		return r, ds.Errorf(ds.KindNotFound, "file_not_found", "no file with id %s", id)
	}
	return r, nil
}
func (f fakeFiles) Content(_ context.Context, id string) (string, error) {
	return string(f.data[id]), nil
}
func (f fakeFiles) Open(_ context.Context, r ds.Record) (Blob, error) {
	if f.openErr != nil {
		return nil, f.openErr
	}
	return nopCloser{bytes.NewReader(f.data[r.FileID])}, nil
}

type nopCloser struct{ io.ReadSeeker }

func (nopCloser) Close() error { return nil }

type fakeCluster struct{}

func (fakeCluster) Info(context.Context) (ClusterInfo, error) {
	return ClusterInfo{Self: "n1", Nodes: []NodeInfo{{ID: "n1", Self: true, Status: "ALIVE"}}}, nil
}
func (fakeCluster) Leave(context.Context) error { return nil }

type fakeStatus struct{}

func (fakeStatus) Status(context.Context) (NodeStatus, error) { return NodeStatus{NodeID: "n1"}, nil }

var (
	fileA = ds.FileID("n1", "docs/a.txt", "h")
	recA  = ds.Record{FileID: fileA, NodeID: "n1", Share: "docs", Path: "a.txt", Name: "evil\r\nSet-Cookie: x=1\".txt",
		MIME: "text/plain", Size: 26, ContentHash: "abc123", ModTime: time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC)}
)

func newTestServer(t testing.TB, s Searcher, f Files) *Server {
	t.Helper()
	if s == nil {
		s = fakeSearcher{fn: func(ctx context.Context, req ds.SearchRequest) (ds.SearchResult, error) {
			return ds.SearchResult{Total: 1, Hits: []ds.Hit{{FileID: fileA, Name: "a.txt"}}}, nil
		}}
	}
	if f == nil {
		f = fakeFiles{records: map[string]ds.Record{fileA: recA}, data: map[string][]byte{fileA: []byte("abcdefghijklmnopqrstuvwxyz")}}
	}
	srv, err := New(testConfig(Config{Searcher: s, Files: f, Cluster: fakeCluster{}, Status: fakeStatus{}, Registry: prometheus.NewRegistry()}))
	if err != nil {
		t.Fatal(err)
	}
	return srv
}

func do(t testing.TB, h http.Handler, method, target string, hdr map[string]string, body io.Reader) *httptest.ResponseRecorder {
	t.Helper()
	req := httptest.NewRequest(method, target, body)
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	if _, ok := hdr["Authorization"]; !ok {
		req.Header.Set("Authorization", "Bearer "+tokenFor(t, "admin-id", "admin", rbac.RoleAdmin))
	} else if hdr["Authorization"] == "" {
		req.Header.Del("Authorization")
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec
}

func decodeError(t *testing.T, rec *httptest.ResponseRecorder) ErrorDetail {
	t.Helper()
	if ct := rec.Header().Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		t.Fatalf("error content type %q, body %q", ct, rec.Body.String())
	}
	var b ErrorBody
	if err := json.Unmarshal(rec.Body.Bytes(), &b); err != nil {
		t.Fatalf("error body %q: %v", rec.Body.String(), err)
	}
	if b.Error.Code == "" || b.Error.Message == "" || b.Error.RequestID == "" {
		t.Fatalf("incomplete error %+v", b)
	}
	return b.Error
}

func TestErrorsHaveOneShapeAndStatus(t *testing.T) {
	srv := newTestServer(t, fakeSearcher{fn: func(ctx context.Context, req ds.SearchRequest) (ds.SearchResult, error) {
		return ds.SearchResult{}, ds.Errorf(ds.KindInvalid, "bad_query", "unexpected ) at 3")
	}}, nil)
	cases := []struct {
		method, target string
		status         int
		code           string
	}{
		{"GET", "/api/search", 400, "missing_query"},
		{"GET", "/api/search?q=a)", 400, "bad_query"},
		{"GET", "/api/search?q=a&limit=0", 400, "bad_limit"},
		{"GET", "/api/search?q=a&limit=201", 400, "bad_limit"},
		{"GET", "/api/search?q=a&limit=x", 400, "bad_limit"},
		{"GET", "/api/search?q=a&sort=owner", 400, "bad_sort"},
		{"GET", "/api/search?q=a&order=up", 400, "bad_order"},
		{"GET", "/api/search?q=a&facets=maybe", 400, "bad_parameter"},
		{"GET", "/api/search?q=a&bogus=1", 400, "bad_parameter"},
		{"GET", "/api/search?q=a&q=b", 400, "bad_parameter"},
		{"GET", "/api/search?q=" + strings.Repeat("a", MaxQueryBytes+1), 400, "query_too_long"},
		{"GET", "/api/files/..%2F..%2Fetc%2Fpasswd", 400, "bad_file_id"},
		{"GET", "/api/files/%2e%2e%2f%2e%2e", 400, "bad_file_id"},
		{"GET", "/api/files/" + strings.Repeat("A", 64), 400, "bad_file_id"},
		{"GET", "/api/files/" + strings.Repeat("0", 64), 404, "file_not_found"},
		{"GET", "/api/files/" + strings.Repeat("0", 64) + "/download", 404, "file_not_found"},
		{"GET", "/api/nope", 404, "not_found"},
		{"POST", "/api/search?q=a", 405, "method_not_allowed"},
		{"PUT", "/api/files/" + fileA, 405, "method_not_allowed"},
	}
	for _, c := range cases {
		rec := do(t, srv, c.method, c.target, nil, nil)
		if rec.Code != c.status {
			t.Errorf("%s %s: status %d, want %d (%s)", c.method, c.target, rec.Code, c.status, rec.Body.String())
			continue
		}
		if e := decodeError(t, rec); e.Code != c.code {
			t.Errorf("%s %s: code %q, want %q", c.method, c.target, e.Code, c.code)
		}
	}
}

func TestInternalErrorsDoNotLeak(t *testing.T) {
	srv := newTestServer(t, fakeSearcher{fn: func(ctx context.Context, req ds.SearchRequest) (ds.SearchResult, error) {
		return ds.SearchResult{}, io.ErrUnexpectedEOF
	}}, nil)
	rec := do(t, srv, "GET", "/api/search?q=x", nil, nil)
	if rec.Code != 500 {
		t.Fatalf("status %d", rec.Code)
	}
	if e := decodeError(t, rec); e.Message != "internal error" || strings.Contains(rec.Body.String(), "EOF") {
		t.Fatalf("internal error leaked: %s", rec.Body.String())
	}
}

func TestPanicBecomesJSON500(t *testing.T) {
	srv := newTestServer(t, fakeSearcher{fn: func(ctx context.Context, req ds.SearchRequest) (ds.SearchResult, error) {
		panic("boom")
	}}, nil)
	rec := do(t, srv, "GET", "/api/search?q=x", nil, nil)
	if rec.Code != 500 || decodeError(t, rec).Code != "internal" {
		t.Fatalf("status %d body %s", rec.Code, rec.Body.String())
	}
}

func TestSearchParametersReachTheSearcher(t *testing.T) {
	var got ds.SearchRequest
	srv := newTestServer(t, fakeSearcher{fn: func(ctx context.Context, req ds.SearchRequest) (ds.SearchResult, error) {
		got = req
		return ds.SearchResult{Total: 0}, nil
	}}, nil)
	rec := do(t, srv, "GET", "/api/search?"+url.Values{"q": {` "exact phrase" ext:go `}, "limit": {"5"}, "sort": {"name"}, "cursor": {"abc"}, "facets": {"false"}}.Encode(), nil, nil)
	if rec.Code != 200 {
		t.Fatalf("status %d: %s", rec.Code, rec.Body.String())
	}
	want := ds.SearchRequest{Query: `"exact phrase" ext:go`, Limit: 5, Sort: "name", Desc: false, Cursor: "abc", Facets: false, Highlight: true}
	// The searcher learns whom the search is for, so that other nodes can
	// apply their share ACLs.
	if got.Viewer == nil || len(got.Viewer.Roles) == 0 {
		t.Fatalf("no viewer in %+v", got)
	}
	got.Viewer = nil
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("got %+v want %+v", got, want)
	}
	var res map[string]any
	_ = json.Unmarshal(rec.Body.Bytes(), &res)
	if hits, ok := res["hits"].([]any); !ok || len(hits) != 0 {
		t.Fatalf("hits must be an empty array, got %v", res["hits"])
	}
}

func TestDownloadRangeETagAndDisposition(t *testing.T) {
	srv := newTestServer(t, nil, nil)
	path := "/api/files/" + fileA + "/download"

	rec := do(t, srv, "GET", path, nil, nil)
	if rec.Code != 200 || rec.Body.String() != "abcdefghijklmnopqrstuvwxyz" {
		t.Fatalf("full: %d %q", rec.Code, rec.Body.String())
	}
	if et := rec.Header().Get("ETag"); et != `"abc123"` {
		t.Fatalf("etag %q", et)
	}
	cd := rec.Header().Get("Content-Disposition")
	if strings.ContainsAny(cd, "\r\n") || !strings.HasPrefix(cd, "attachment;") || strings.Count(cd, `"`) > 2 {
		t.Fatalf("unsafe Content-Disposition %q", cd)
	}

	rec = do(t, srv, "GET", path, map[string]string{"Range": "bytes=10-14"}, nil)
	if rec.Code != 206 || rec.Body.String() != "klmno" || rec.Header().Get("Content-Range") != "bytes 10-14/26" {
		t.Fatalf("range: %d %q %q", rec.Code, rec.Body.String(), rec.Header().Get("Content-Range"))
	}
	// Resuming with If-Range and a stale ETag restarts from zero.
	rec = do(t, srv, "GET", path, map[string]string{"Range": "bytes=10-", "If-Range": `"stale"`}, nil)
	if rec.Code != 200 || rec.Body.Len() != 26 {
		t.Fatalf("if-range stale: %d len %d", rec.Code, rec.Body.Len())
	}
	rec = do(t, srv, "GET", path, map[string]string{"If-None-Match": `"abc123"`}, nil)
	if rec.Code != 304 {
		t.Fatalf("if-none-match: %d", rec.Code)
	}
}

func TestDownloadOfChangedFileIsConflict(t *testing.T) {
	f := fakeFiles{records: map[string]ds.Record{fileA: recA},
		openErr: ds.Errorf(ds.KindConflict, "file_changed", "the file changed since it was indexed")}
	srv := newTestServer(t, nil, f)
	rec := do(t, srv, "GET", "/api/files/"+fileA+"/download", nil, nil)
	if rec.Code != 409 || decodeError(t, rec).Code != "file_changed" {
		t.Fatalf("%d %s", rec.Code, rec.Body.String())
	}
}

func TestContentDisposition(t *testing.T) {
	for _, name := range []string{"a.txt", "evil\r\nX: y", "über café.pdf", `q"uote\.txt`, "../../etc/passwd", "", strings.Repeat("é", 300), "nul\x00byte"} {
		v := ContentDisposition(name)
		if strings.ContainsAny(v, "\r\n\x00") || !strings.HasPrefix(v, "attachment") {
			t.Errorf("%q → %q", name, v)
		}
		if strings.Contains(v, "/") && !strings.Contains(v, "utf-8''") {
			t.Errorf("%q keeps a path separator: %q", name, v)
		}
	}
}

func TestOversizedBodyRefused(t *testing.T) {
	var srv *Server
	echo := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if _, err := io.ReadAll(r.Body); err != nil {
			srv.writeError(w, r, err)
			return
		}
		w.WriteHeader(204)
	})
	srv, err := New(testConfig(Config{Searcher: fakeSearcher{}, Files: fakeFiles{}, Cluster: fakeCluster{}, Status: fakeStatus{},
		MaxBodyBytes: 10, Extra: []Route{{Pattern: "POST /api/echo", Permission: rbac.WriteFiles, Handler: echo}}}))
	if err != nil {
		t.Fatal(err)
	}
	if rec := do(t, srv, "POST", "/api/echo", nil, strings.NewReader("small")); rec.Code != 204 {
		t.Fatalf("small body: %d", rec.Code)
	}
	rec := do(t, srv, "POST", "/api/echo", nil, strings.NewReader(strings.Repeat("x", 100)))
	if rec.Code != 413 || decodeError(t, rec).Code != "body_too_large" {
		t.Fatalf("big body: %d %s", rec.Code, rec.Body.String())
	}
}

// Every route the server serves is described in the OpenAPI document and
// vice versa, so the document cannot drift from the code.
func TestOpenAPIDescribesEveryRoute(t *testing.T) {
	var doc struct {
		Paths map[string]map[string]any `json:"paths"`
	}
	if err := json.Unmarshal(OpenAPI(), &doc); err != nil {
		t.Fatalf("openapi.json: %v", err)
	}
	srv := newTestServer(t, nil, nil)
	served := map[string]bool{}
	for _, rt := range srv.Routes() {
		if rt != "GET /metrics" { // Prometheus' format, not the JSON API
			served[string(rt)] = true
		}
	}
	documented := map[string]bool{}
	for p, ops := range doc.Paths {
		for m := range ops {
			documented[strings.ToUpper(m)+" "+p] = true
		}
	}
	for rt := range documented {
		if !served[rt] {
			t.Errorf("documented but not served: %s", rt)
		}
	}
	for rt := range served {
		if !documented[rt] {
			t.Errorf("served but undocumented: %s", rt)
		}
	}
	if len(served) < 18 {
		t.Fatalf("only %d routes served", len(served))
	}
}

func TestMetricsCountRequests(t *testing.T) {
	reg := prometheus.NewRegistry()
	srv, err := New(testConfig(Config{Searcher: fakeSearcher{fn: func(context.Context, ds.SearchRequest) (ds.SearchResult, error) { return ds.SearchResult{}, nil }},
		Files: fakeFiles{}, Cluster: fakeCluster{}, Status: fakeStatus{}, Registry: reg}))
	if err != nil {
		t.Fatal(err)
	}
	do(t, srv, "GET", "/api/search?q=x", nil, nil)
	rec := do(t, srv, "GET", "/metrics", nil, nil)
	if !strings.Contains(rec.Body.String(), `distrisearch_http_requests_total{code="200",route="/api/search"} 1`) {
		t.Fatalf("metrics missing request count:\n%s", rec.Body.String())
	}
}

func TestEventStreamReplaysFiltersAndFollows(t *testing.T) {
	bus, err := events.NewBus(events.DefaultConfig("n1", clock.NewLamport(0), time.Now))
	if err != nil {
		t.Fatal(err)
	}
	defer bus.Close()
	srv, err := New(testConfig(Config{Searcher: fakeSearcher{}, Files: fakeFiles{}, Cluster: fakeCluster{}, Status: fakeStatus{}, Events: bus}))
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(srv)
	defer ts.Close()

	first, _ := bus.Publish(events.Event{Type: events.TypeNodeJoined, Node: "n2"})
	_, _ = bus.Publish(events.Event{Type: events.TypeFileIndexed})
	_, _ = bus.Publish(events.Event{Type: events.TypeLeaderElected, Node: "n1"})

	req, _ := http.NewRequest("GET", ts.URL+"/api/events?types=node_joined,leader_elected,node_dead", nil)
	req.Header.Set("Last-Event-ID", strconv.FormatUint(first.Lamport-1, 10))
	req.Header.Set("Authorization", "Bearer "+tokenFor(t, "u1", "ann", rbac.RoleUser))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if ct := resp.Header.Get("Content-Type"); ct != "text/event-stream" {
		t.Fatalf("content type %q", ct)
	}
	sc := bufio.NewScanner(resp.Body)
	next := func() (id, typ string) {
		for sc.Scan() {
			line := sc.Text()
			switch {
			case strings.HasPrefix(line, "id: "):
				id = strings.TrimPrefix(line, "id: ")
			case strings.HasPrefix(line, "event: "):
				typ = strings.TrimPrefix(line, "event: ")
			case line == "" && typ != "":
				return id, typ
			}
		}
		t.Fatalf("stream ended: %v", sc.Err())
		return
	}
	if _, typ := next(); typ != "node_joined" {
		t.Fatalf("first replayed %q", typ)
	}
	if _, typ := next(); typ != "leader_elected" {
		t.Fatalf("second replayed %q (file_indexed must be filtered out)", typ)
	}
	live, _ := bus.Publish(events.Event{Type: events.TypeNodeDead, Node: "n3"})
	if id, typ := next(); typ != "node_dead" || id != strconv.FormatUint(live.Lamport, 10) {
		t.Fatalf("live event %s %s", id, typ)
	}

	rec := do(t, srv, "GET", "/api/events?types=Bad!", nil, nil)
	if rec.Code != 400 {
		t.Fatalf("bad type: %d", rec.Code)
	}
}
