package ratelimit

import (
	"encoding/json"
	"net"
	"net/http"
	"strconv"
	"time"
)

// KeyFunc picks the bucket for a request. ok false lets the request pass
// without being counted (e.g. a per-user limiter on an anonymous request).
type KeyFunc func(r *http.Request) (key string, ok bool)

// ClientIP keys by the connection's remote address (host only). It does
// not trust X-Forwarded-For: behind a proxy, wire a KeyFunc that reads the
// header only from the operator's trusted proxies.
func ClientIP(r *http.Request) (string, bool) {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		host = r.RemoteAddr
	}
	if ip := net.ParseIP(host); ip != nil && ip.To4() == nil {
		// One IPv6 client usually holds a whole /64: limit the prefix.
		return ip.Mask(net.CIDRMask(64, 128)).String() + "/64", true
	}
	return host, host != ""
}

// Middleware limits next by the bucket key picks, reading time from now.
// A refused request gets 429, Retry-After in whole seconds (at least 1)
// and the API's error body; next is not called.
func Middleware(l *Limiter, key KeyFunc, now func() time.Time, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		k, ok := key(r)
		if !ok {
			next.ServeHTTP(w, r)
			return
		}
		allowed, retry := l.Allow(k, now())
		if allowed {
			next.ServeHTTP(w, r)
			return
		}
		WriteTooMany(w, retry)
	})
}

// errorBody mirrors the API's one error shape without importing it.
type errorBody struct {
	Error struct {
		Code      string `json:"code"`
		Message   string `json:"message"`
		RequestID string `json:"request_id,omitempty"`
	} `json:"error"`
}

// RetryAfterSeconds rounds a delay up to whole seconds, at least 1, as
// the Retry-After header needs.
func RetryAfterSeconds(d time.Duration) int {
	s := int((d + time.Second - 1) / time.Second)
	return max(s, 1)
}

// WriteTooMany writes a 429 answer. A request id already set on the
// response (X-Request-Id) is repeated in the body.
func WriteTooMany(w http.ResponseWriter, retry time.Duration) {
	secs := RetryAfterSeconds(retry)
	var body errorBody
	body.Error.Code = "rate_limited"
	body.Error.Message = "too many requests; retry in " + strconv.Itoa(secs) + " s"
	body.Error.RequestID = w.Header().Get("X-Request-Id")
	h := w.Header()
	h.Set("Retry-After", strconv.Itoa(secs))
	h.Set("Content-Type", "application/json; charset=utf-8")
	h.Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(http.StatusTooManyRequests)
	_ = json.NewEncoder(w).Encode(body)
}
