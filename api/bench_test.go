package api

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	ds "github.com/distrisearch/distrisearch"
)

// BenchmarkSearchOverHTTP measures what the API adds to a search: routing,
// parameter parsing, the bearer token check, rate limiting, metrics and the
// JSON of 20 hits over a loopback keep-alive connection, with a searcher
// that costs nothing; plain HTTP and HTTPS (as nodes serve it by default).
func BenchmarkSearchOverHTTP(b *testing.B) {
	for _, c := range []struct {
		name       string
		tls, http2 bool
	}{{"http", false, false}, {"https", true, false}, {"https-h2", true, true}} {
		b.Run(c.name, func(b *testing.B) { benchSearch(b, c.tls, c.http2) })
	}
}

func benchSearch(b *testing.B, tls, http2 bool) {
	hits := make([]ds.Hit, 20)
	for i := range hits {
		hits[i] = ds.Hit{FileID: fileA, Name: "telemetry_server.go", Path: "src/telemetry_server.go", Share: "sample",
			NodeID: "node-1", Ext: "go", Type: "code", Size: 739, ModTime: time.Now(), Score: 1.5}
	}
	s := fakeSearcher{fn: func(context.Context, ds.SearchRequest) (ds.SearchResult, error) {
		return ds.SearchResult{Total: 87, Hits: hits, Partitions: ds.PartitionCount{Total: 1, Answered: 1}}, nil
	}}
	srv, err := New(testConfig(Config{Searcher: s, Files: fakeFiles{}, Cluster: fakeCluster{}, Status: fakeStatus{}, Registry: prometheus.NewRegistry()}))
	if err != nil {
		b.Fatal(err)
	}
	ts := httptest.NewUnstartedServer(srv)
	ts.EnableHTTP2 = http2
	if tls {
		ts.StartTLS()
	} else {
		ts.Start()
	}
	defer ts.Close()
	c := ts.Client()
	req, _ := http.NewRequest("GET", ts.URL+"/api/search?q=mutex&facets=false&highlight=false", nil)
	req.Header.Set("Authorization", "Bearer "+tokenFor(b, "u1", "ann", "user"))
	b.ResetTimer()
	for b.Loop() {
		resp, err := c.Do(req)
		if err != nil {
			b.Fatal(err)
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			b.Fatal(resp.Status)
		}
	}
}
