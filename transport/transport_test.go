package transport

import (
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/distrisearch/distrisearch/transport/pki"
	"github.com/hashicorp/raft"
)

type fixture struct {
	ca     *pki.CA
	server *pki.Identity
	client *pki.Identity
	addr   string
	raft   net.Listener
	hits   atomic.Int64
	conns  atomic.Int64 // connections the HTTP server accepted
	status atomic.Int64 // status the test handler answers with; 0 = 200
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	now := time.Now()
	ca, err := pki.NewCA("test", now, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	f := &fixture{ca: ca}
	f.server, _ = ca.IssueNode("server", nil, now, time.Hour)
	f.client, _ = ca.IssueNode("client", nil, now, time.Hour)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	f.addr = ln.Addr().String()
	mux := NewMux(ln, ServerConfig(f.server, nil), nil)
	f.raft = mux.Listener(ProtoRaft)
	httpLn := mux.Listener(ProtoHTTP)
	joinLn := mux.Listener(ProtoJoin)
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		f.hits.Add(1)
		if s := f.status.Load(); s != 0 {
			w.WriteHeader(int(s))
		}
		if r.URL.Path == "/json" {
			// Larger than the server's buffer: sent chunked, as search
			// results are.
			_ = json.NewEncoder(w).Encode(map[string]string{"peer": PeerNodeID(r.TLS), "pad": strings.Repeat("x", 16<<10)})
			return
		}
		fmt.Fprintf(w, "peer=%s", PeerNodeID(r.TLS))
	})
	srv := &http.Server{Handler: h, ConnState: func(_ net.Conn, s http.ConnState) {
		if s == http.StateNew {
			f.conns.Add(1)
		}
	}}
	joinSrv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "join") })}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { mux.Serve(ctx); close(done) }()
	go srv.Serve(httpLn)
	go joinSrv.Serve(joinLn)
	t.Cleanup(func() {
		cancel()
		<-done
		srv.Close()
		joinSrv.Close()
	})
	return f
}

func get(c *Client, url string) (string, error) {
	req, _ := http.NewRequest("GET", url, nil)
	resp, err := c.Do(req)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return string(b), err
}

func TestMutualTLSAccepted(t *testing.T) {
	f := newFixture(t)
	c := NewClient(ClientConfig(f.client, ProtoHTTP, nil), ClientOptions{})
	body, err := get(c, "https://"+f.addr+"/x")
	if err != nil {
		t.Fatal(err)
	}
	if body != "peer=client" {
		t.Fatalf("body %q", body)
	}
}

func TestRefusedConnections(t *testing.T) {
	f := newFixture(t)
	now := time.Now()
	other, _ := pki.NewCA("other", now, time.Hour)
	foreign, _ := other.IssueNode("client", nil, now, time.Hour)
	expired, _ := f.ca.IssueNode("old", nil, now.Add(-3*time.Hour), time.Hour)

	t.Run("plaintext", func(t *testing.T) {
		resp, err := (&http.Client{Timeout: 2 * time.Second}).Get("http://" + f.addr + "/x")
		if err == nil {
			resp.Body.Close()
			t.Fatal("plaintext request answered")
		}
	})
	t.Run("no client certificate", func(t *testing.T) {
		conf := ClientConfig(f.client, ProtoHTTP, nil)
		conf.Certificates = nil
		if _, err := get(NewClient(conf, ClientOptions{MaxAttempts: 1}), "https://"+f.addr+"/x"); err == nil {
			t.Fatal("accepted a client without certificate")
		}
	})
	t.Run("unknown ca", func(t *testing.T) {
		conf := ClientConfig(foreign, ProtoHTTP, nil)
		conf.RootCAs.AddCert(f.ca.Cert) // even trusting the server, its own cert is foreign
		if _, err := get(NewClient(conf, ClientOptions{MaxAttempts: 1}), "https://"+f.addr+"/x"); err == nil {
			t.Fatal("accepted a certificate from an unknown ca")
		}
	})
	t.Run("expired certificate", func(t *testing.T) {
		if _, err := get(NewClient(ClientConfig(expired, ProtoHTTP, nil), ClientOptions{MaxAttempts: 1}), "https://"+f.addr+"/x"); err == nil {
			t.Fatal("accepted an expired certificate")
		}
	})
	t.Run("server from unknown ca", func(t *testing.T) {
		conf := ClientConfig(foreign, ProtoHTTP, nil)
		if _, err := get(NewClient(conf, ClientOptions{MaxAttempts: 1}), "https://"+f.addr+"/x"); err == nil {
			t.Fatal("client trusted a server from another ca")
		}
	})
	t.Run("tls 1.2", func(t *testing.T) {
		conf := ClientConfig(f.client, ProtoHTTP, nil)
		conf.MinVersion, conf.MaxVersion = tls.VersionTLS12, tls.VersionTLS12
		if _, err := get(NewClient(conf, ClientOptions{MaxAttempts: 1}), "https://"+f.addr+"/x"); err == nil {
			t.Fatal("accepted tls 1.2")
		}
	})
	if n := f.hits.Load(); n != 0 {
		t.Fatalf("handler reached %d times by refused clients", n)
	}
}

func TestJoinPin(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	c, err := DialTLS(ctx, nil, f.addr, PinnedClientConfig(f.ca.Fingerprint(), nil))
	if err != nil {
		t.Fatalf("pinned dial: %v", err)
	}
	if c.ConnectionState().NegotiatedProtocol != ProtoJoin {
		t.Fatal("join protocol not negotiated")
	}
	c.Close()
	var wrong [32]byte
	wrong[0] = 1
	if _, err := DialTLS(ctx, nil, f.addr, PinnedClientConfig(wrong, nil)); !errors.Is(err, ErrCAPinMismatch) {
		t.Fatalf("wrong pin: %v", err)
	}
}

func TestStreamLayer(t *testing.T) {
	f := newFixture(t)
	sl := NewStreamLayer(f.raft, f.raft.Addr(), ClientConfig(f.client, ProtoRaft, nil), nil)
	accepted := make(chan string, 1)
	go func() {
		c, err := sl.Accept()
		if err != nil {
			accepted <- err.Error()
			return
		}
		tc := c.(*tls.Conn)
		buf := make([]byte, 4)
		io.ReadFull(c, buf)
		accepted <- string(buf) + " from " + PeerNodeID(ptr(tc.ConnectionState()))
		c.Close()
	}()
	c, err := sl.Dial(raft.ServerAddress("127.0.0.1:"+port(f.addr)), time.Second)
	if err != nil {
		t.Fatal(err)
	}
	c.Write([]byte("raft"))
	if got := <-accepted; got != "raft from client" {
		t.Fatalf("got %q", got)
	}
	c.Close()

	// A plain TLS client without a certificate cannot reach the raft listener.
	conf := ClientConfig(f.client, ProtoRaft, nil)
	conf.Certificates = nil
	if c, err := DialTLS(context.Background(), nil, f.addr, conf); err == nil {
		// TLS 1.3 reports a missing client certificate on the first read.
		c.SetReadDeadline(time.Now().Add(2 * time.Second))
		if _, err := c.Read(make([]byte, 1)); err == nil {
			t.Fatal("raft listener accepted a client without certificate")
		}
		c.Close()
	}
}

func TestRetryOnlyIdempotent(t *testing.T) {
	f := newFixture(t)
	f.status.Store(503)
	c := NewClient(ClientConfig(f.client, ProtoHTTP, nil), ClientOptions{MaxAttempts: 3, InitialBackoff: time.Millisecond, BreakerFailures: 100})
	req, _ := http.NewRequest("GET", "https://"+f.addr+"/x", nil)
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 503 || f.hits.Load() != 3 {
		t.Fatalf("GET: status %d after %d attempts, want 503 after 3", resp.StatusCode, f.hits.Load())
	}
	f.hits.Store(0)
	err = c.DoJSON(context.Background(), "POST", "https://"+f.addr+"/x", map[string]int{"a": 1}, nil)
	var se *StatusError
	if !errors.As(err, &se) || se.Status != 503 || f.hits.Load() != 1 {
		t.Fatalf("POST: %v after %d attempts, want one 503", err, f.hits.Load())
	}
	f.hits.Store(0)
	req, _ = http.NewRequest("POST", "https://"+f.addr+"/x", nil)
	req.Header.Set("Idempotency-Key", "k1")
	resp, err = c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if f.hits.Load() != 3 {
		t.Fatalf("POST with idempotency key: %d attempts, want 3", f.hits.Load())
	}
}

// TestDoJSONReusesConnections: JSON answers (chunked ones too) are read
// to their end, so calls share one connection instead of paying a TLS
// handshake each.
func TestDoJSONReusesConnections(t *testing.T) {
	f := newFixture(t)
	c := NewClient(ClientConfig(f.client, ProtoHTTP, nil), ClientOptions{MaxAttempts: 1})
	for range 5 {
		var out map[string]string
		if err := c.DoJSON(context.Background(), "GET", "https://"+f.addr+"/json", nil, &out); err != nil || out["peer"] != "client" {
			t.Fatalf("DoJSON: %v %v", out, err)
		}
	}
	if n := f.conns.Load(); n != 1 {
		t.Fatalf("5 calls opened %d connections, want 1", n)
	}
}

func TestBreakerOpens(t *testing.T) {
	f := newFixture(t)
	f.status.Store(500)
	c := NewClient(ClientConfig(f.client, ProtoHTTP, nil), ClientOptions{MaxAttempts: 1, BreakerFailures: 2, BreakerOpenFor: time.Hour})
	if len(c.Breakers()) != 0 {
		t.Fatalf("breakers before any call: %v", c.Breakers())
	}
	get(c, "https://"+f.addr+"/x")
	if st := c.Breakers()[f.addr]; st != "closed" {
		t.Fatalf("after one failure the breaker is %q, want closed", st)
	}
	get(c, "https://"+f.addr+"/x")
	if st := c.Breakers()[f.addr]; st != "open" {
		t.Fatalf("after two failures the breaker is %q, want open", st)
	}
	if _, err := get(c, "https://"+f.addr+"/x"); !errors.Is(err, ErrBreakerOpen) {
		t.Fatalf("third call: %v, want breaker open", err)
	}
	if f.hits.Load() != 2 {
		t.Fatalf("peer reached %d times, want 2", f.hits.Load())
	}
}

func TestDialErrorRetriedForPost(t *testing.T) {
	ln, _ := net.Listen("tcp", "127.0.0.1:0")
	addr := ln.Addr().String()
	ln.Close()
	f := newFixture(t)
	var dials atomic.Int64
	dial := func(ctx context.Context, network, a string) (net.Conn, error) {
		dials.Add(1)
		var d net.Dialer
		return d.DialContext(ctx, network, a)
	}
	c := NewClient(ClientConfig(f.client, ProtoHTTP, nil), ClientOptions{MaxAttempts: 3, InitialBackoff: time.Millisecond, Dial: dial})
	err := c.DoJSON(context.Background(), "POST", "https://"+addr+"/x", 1, nil)
	if err == nil || dials.Load() != 3 {
		t.Fatalf("err %v after %d dials, want failure after 3", err, dials.Load())
	}
}

func ptr[T any](v T) *T { return &v }

func port(addr string) string {
	_, p, _ := net.SplitHostPort(addr)
	return p
}
