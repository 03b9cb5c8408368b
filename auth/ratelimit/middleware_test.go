package ratelimit

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"
)

func TestMiddleware(t *testing.T) {
	l := mustLimiter(t, PerMinute(2), 100)
	now := t0
	clock := func() time.Time { return now }
	calls := 0
	h := Middleware(l, ClientIP, clock, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls++
		w.WriteHeader(http.StatusNoContent)
	}))
	do := func(remote string) *httptest.ResponseRecorder {
		r := httptest.NewRequest("GET", "/api/search?q=x", nil)
		r.RemoteAddr = remote
		w := httptest.NewRecorder()
		w.Header().Set("X-Request-Id", "req-7")
		h.ServeHTTP(w, r)
		return w
	}
	for range 2 {
		if w := do("192.0.2.1:5000"); w.Code != http.StatusNoContent {
			t.Fatalf("status %d", w.Code)
		}
	}
	w := do("192.0.2.1:6000") // same IP, other port
	if w.Code != http.StatusTooManyRequests || calls != 2 {
		t.Fatalf("status %d, handler called %d times", w.Code, calls)
	}
	if got := w.Header().Get("Retry-After"); got != "30" {
		t.Fatalf("Retry-After %q, want 30", got)
	}
	var raw map[string]map[string]string
	if err := json.Unmarshal(w.Body.Bytes(), &raw); err != nil {
		t.Fatal(err)
	}
	if raw["error"]["code"] != "rate_limited" || raw["error"]["message"] == "" || raw["error"]["request_id"] != "req-7" {
		t.Fatalf("body %s", w.Body)
	}
	if ct := w.Header().Get("Content-Type"); ct != "application/json; charset=utf-8" {
		t.Fatalf("content type %q", ct)
	}
	if w := do("192.0.2.2:5000"); w.Code != http.StatusNoContent {
		t.Fatal("another IP limited")
	}
	now = now.Add(30 * time.Second)
	if w := do("192.0.2.1:5000"); w.Code != http.StatusNoContent {
		t.Fatal("token not back after Retry-After")
	}
}

func TestMiddlewareSkipsUnkeyed(t *testing.T) {
	l := mustLimiter(t, PerMinute(1), 10)
	calls := 0
	h := Middleware(l, func(*http.Request) (string, bool) { return "", false }, func() time.Time { return t0 },
		http.HandlerFunc(func(http.ResponseWriter, *http.Request) { calls++ }))
	for range 5 {
		h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("GET", "/", nil))
	}
	if calls != 5 {
		t.Fatalf("unkeyed requests limited: %d calls", calls)
	}
}

func TestClientIP(t *testing.T) {
	cases := map[string]string{
		"192.0.2.1:1234":             "192.0.2.1",
		"[2001:db8:1:2:3:4:5:6]:443": "2001:db8:1:2::/64",
		"[2001:db8:1:2:ffff::1]:443": "2001:db8:1:2::/64",
		"unix-socket":                "unix-socket",
	}
	for remote, want := range cases {
		r := httptest.NewRequest("GET", "/", nil)
		r.RemoteAddr = remote
		r.Header.Set("X-Forwarded-For", "203.0.113.9")
		if got, ok := ClientIP(r); !ok || got != want {
			t.Errorf("ClientIP(%q) = %q, want %q", remote, got, want)
		}
	}
}

func TestRetryAfterSeconds(t *testing.T) {
	for d, want := range map[time.Duration]int{0: 1, time.Millisecond: 1, time.Second: 1,
		time.Second + 1: 2, 6 * time.Second: 6, 599 * time.Millisecond: 1} {
		if got := RetryAfterSeconds(d); got != want {
			t.Errorf("RetryAfterSeconds(%v) = %d, want %d", d, got, want)
		}
	}
}
