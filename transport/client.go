package transport

import (
	"bytes"
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"sync"
	"time"

	"github.com/cenkalti/backoff/v5"
	"github.com/sony/gobreaker/v2"
)

// ClientOptions configures a Client. Zero values take the defaults noted.
type ClientOptions struct {
	Timeout          time.Duration // per attempt, including reading the body; default 5 s
	DialTimeout      time.Duration // TCP + TLS handshake; default 2 s
	MaxAttempts      uint          // attempts for a retryable request; default 3
	BreakerFailures  uint32        // consecutive failures that open a peer's breaker; default 5
	BreakerOpenFor   time.Duration // how long an open breaker rejects calls; default 5 s
	Dial             DialFunc      // raw dialer; default net.Dialer
	InitialBackoff   time.Duration // first retry delay; default 50 ms
	MaxBackoff       time.Duration // default 1 s
	IdleConnsPerHost int           // default 32: the data plane keeps many calls in flight per peer
}

// ErrBreakerOpen is returned without calling the peer while its circuit
// breaker is open.
var ErrBreakerOpen = errors.New("circuit breaker open")

// StatusError is returned by DoJSON for a non-2xx response.
type StatusError struct {
	Status int
	Body   []byte
	Header http.Header
}

func (e *StatusError) Error() string {
	b := e.Body
	if len(b) > 200 {
		b = b[:200]
	}
	return fmt.Sprintf("http %d: %s", e.Status, bytes.TrimSpace(b))
}

// Client is an HTTP client for node-to-node calls over mutual TLS. It is
// safe for concurrent use.
type Client struct {
	opts ClientOptions
	hc   *http.Client

	mu       sync.Mutex // guards breakers
	breakers map[string]*gobreaker.CircuitBreaker[*http.Response]
}

// NewClient returns a client that presents the identity in conf (see
// ClientConfig with ProtoHTTP).
func NewClient(conf *tls.Config, opts ClientOptions) *Client {
	if opts.Timeout <= 0 {
		opts.Timeout = 5 * time.Second
	}
	if opts.DialTimeout <= 0 {
		opts.DialTimeout = 2 * time.Second
	}
	if opts.MaxAttempts == 0 {
		opts.MaxAttempts = 3
	}
	if opts.BreakerFailures == 0 {
		opts.BreakerFailures = 5
	}
	if opts.BreakerOpenFor <= 0 {
		opts.BreakerOpenFor = 5 * time.Second
	}
	if opts.InitialBackoff <= 0 {
		opts.InitialBackoff = 50 * time.Millisecond
	}
	if opts.MaxBackoff <= 0 {
		opts.MaxBackoff = time.Second
	}
	if opts.IdleConnsPerHost <= 0 {
		opts.IdleConnsPerHost = 32
	}
	dialTimeout := opts.DialTimeout
	tr := &http.Transport{
		DialTLSContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
			ctx, cancel := context.WithTimeout(ctx, dialTimeout)
			defer cancel()
			return DialTLS(ctx, opts.Dial, addr, conf)
		},
		ForceAttemptHTTP2:   false,
		MaxIdleConnsPerHost: opts.IdleConnsPerHost,
		IdleConnTimeout:     90 * time.Second,
	}
	return &Client{opts: opts, hc: &http.Client{Transport: tr}, breakers: map[string]*gobreaker.CircuitBreaker[*http.Response]{}}
}

// CallOption changes one call.
type CallOption func(*callOpts)

type callOpts struct {
	timeout    time.Duration
	idempotent *bool
}

// WithTimeout sets this call's per-attempt timeout (long polls need more
// than the default).
func WithTimeout(d time.Duration) CallOption { return func(o *callOpts) { o.timeout = d } }

// Idempotent marks the call as safe (or unsafe) to repeat, overriding the
// default: GET, HEAD and OPTIONS, and requests carrying an Idempotency-Key
// header, are idempotent.
func Idempotent(v bool) CallOption { return func(o *callOpts) { o.idempotent = &v } }

// CloseIdle closes idle connections.
func (c *Client) CloseIdle() { c.hc.CloseIdleConnections() }

// Do sends req (whose URL must use https). Idempotent requests are retried
// on network errors and 502/503/504; other requests only when the
// connection could not be opened, so the peer never saw them. The response
// body stays readable until closed; the attempt's timeout covers it.
func (c *Client) Do(req *http.Request, opts ...CallOption) (*http.Response, error) {
	o := callOpts{timeout: c.opts.Timeout}
	for _, f := range opts {
		f(&o)
	}
	idem := isIdempotent(req)
	if o.idempotent != nil {
		idem = *o.idempotent
	}
	if req.Body != nil && req.Body != http.NoBody && req.GetBody == nil {
		idem = false
		o.idempotent = &idem
	}
	cb := c.breaker(req.URL.Host)
	ctx := req.Context()
	var attempts uint
	op := func() (*http.Response, error) {
		r := req
		if attempts > 0 && req.GetBody != nil {
			body, err := req.GetBody()
			if err != nil {
				return nil, backoff.Permanent(err)
			}
			r = req.Clone(ctx)
			r.Body = body
		}
		attempts++
		resp, err := cb.Execute(func() (*http.Response, error) { return c.attempt(r, o.timeout) })
		var se *serverError
		if errors.As(err, &se) {
			resp, err = se.resp, nil
		}
		switch {
		case errors.Is(err, gobreaker.ErrOpenState) || errors.Is(err, gobreaker.ErrTooManyRequests):
			return nil, backoff.Permanent(fmt.Errorf("%s: %w", req.URL.Host, ErrBreakerOpen))
		case err != nil && ctx.Err() != nil:
			return nil, backoff.Permanent(err)
		case err != nil && (idem || isDialError(err)):
			return nil, err
		case err != nil:
			return nil, backoff.Permanent(err)
		}
		if idem && retryableStatus(resp.StatusCode) && attempts < c.opts.MaxAttempts {
			resp.Body.Close()
			return nil, fmt.Errorf("%s %s: http %d", req.Method, req.URL.Path, resp.StatusCode)
		}
		return resp, nil
	}
	b := backoff.NewExponentialBackOff()
	b.InitialInterval = c.opts.InitialBackoff
	b.MaxInterval = c.opts.MaxBackoff
	return backoff.Retry(ctx, op, backoff.WithBackOff(b), backoff.WithMaxTries(c.opts.MaxAttempts))
}

// attempt makes one request with its own deadline; 5xx responses count as
// breaker failures but are returned to the caller.
func (c *Client) attempt(req *http.Request, timeout time.Duration) (*http.Response, error) {
	ctx, cancel := context.WithTimeout(req.Context(), timeout)
	resp, err := c.hc.Do(req.WithContext(ctx))
	if err != nil {
		cancel()
		return nil, err
	}
	resp.Body = &cancelBody{ReadCloser: resp.Body, cancel: cancel}
	if resp.StatusCode >= 500 {
		return resp, &serverError{resp: resp}
	}
	return resp, nil
}

// serverError lets a 5xx response count as a breaker failure while the
// response still reaches the caller.
type serverError struct{ resp *http.Response }

func (e *serverError) Error() string { return fmt.Sprintf("http %d", e.resp.StatusCode) }

func (c *Client) breaker(host string) *gobreaker.CircuitBreaker[*http.Response] {
	c.mu.Lock()
	defer c.mu.Unlock()
	if b, ok := c.breakers[host]; ok {
		return b
	}
	fails := c.opts.BreakerFailures
	b := gobreaker.NewCircuitBreaker[*http.Response](gobreaker.Settings{
		Name:        host,
		MaxRequests: 1,
		Timeout:     c.opts.BreakerOpenFor,
		ReadyToTrip: func(n gobreaker.Counts) bool { return n.ConsecutiveFailures >= fails },
		IsExcluded:  func(err error) bool { return errors.Is(err, context.Canceled) },
	})
	c.breakers[host] = b
	return b
}

// Breakers returns the state of the circuit breaker of every host this
// client has called ("closed", "open" or "half-open"), keyed by host:port.
func (c *Client) Breakers() map[string]string {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := make(map[string]string, len(c.breakers))
	for host, b := range c.breakers {
		out[host] = b.State().String()
	}
	return out
}

// DoJSON sends in (if not nil) as JSON and decodes a 2xx response into out
// (if not nil). Non-2xx responses become *StatusError.
func (c *Client) DoJSON(ctx context.Context, method, url string, in, out any, opts ...CallOption) error {
	var body io.Reader
	var raw []byte
	if in != nil {
		var err error
		raw, err = json.Marshal(in)
		if err != nil {
			return fmt.Errorf("encode request: %w", err)
		}
		body = bytes.NewReader(raw)
	}
	req, err := http.NewRequestWithContext(ctx, method, url, body)
	if err != nil {
		return err
	}
	if in != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := c.Do(req, opts...)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		b, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
		return &StatusError{Status: resp.StatusCode, Body: b, Header: resp.Header}
	}
	if out == nil {
		_, err = io.Copy(io.Discard, resp.Body)
		return err
	}
	if err := json.NewDecoder(resp.Body).Decode(out); err != nil {
		return fmt.Errorf("decode response: %w", err)
	}
	// Read what follows the value (the encoder's newline) so the
	// connection goes back to the pool: a body closed before its end
	// costs the next call a new TLS handshake.
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	return nil
}

func isIdempotent(r *http.Request) bool {
	switch r.Method {
	case http.MethodGet, http.MethodHead, http.MethodOptions:
		return true
	}
	return r.Header.Get("Idempotency-Key") != ""
}

func retryableStatus(code int) bool {
	return code == http.StatusBadGateway || code == http.StatusServiceUnavailable || code == http.StatusGatewayTimeout
}

// NotSent reports whether a Do error means the request certainly never
// reached the peer: the connection could not be opened, or the peer's
// circuit breaker is open. Such a request may be sent elsewhere safely.
func NotSent(err error) bool {
	return isDialError(err) || errors.Is(err, ErrBreakerOpen)
}

// isDialError reports whether err happened while opening the TCP
// connection, before any byte of the request was sent.
func isDialError(err error) bool {
	var op *net.OpError
	return errors.As(err, &op) && op.Op == "dial"
}

type cancelBody struct {
	io.ReadCloser
	cancel context.CancelFunc
}

func (b *cancelBody) Close() error {
	err := b.ReadCloser.Close()
	b.cancel()
	return err
}
