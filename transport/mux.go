package transport

import (
	"context"
	"crypto/tls"
	"errors"
	"log/slog"
	"net"
	"sync"
	"time"
)

// DialFunc opens a raw connection; tests pass one that can cut a node off.
type DialFunc func(ctx context.Context, network, addr string) (net.Conn, error)

// Mux accepts connections on one listener, completes the TLS handshake and
// hands each connection to the listener of its negotiated ALPN protocol.
// Connections without ALPN go to ProtoHTTP; unknown protocols are closed.
// ProtoJoin connections are delivered as plain net.Conns (net/http would
// close a *tls.Conn with an ALPN protocol it does not know).
type Mux struct {
	ln               net.Listener
	conf             *tls.Config
	handshakeTimeout time.Duration
	log              *slog.Logger

	mu     sync.Mutex // guards subs and closed
	subs   map[string]*chanListener
	closed bool
}

// NewMux wraps ln. conf is the server configuration (see ServerConfig).
func NewMux(ln net.Listener, conf *tls.Config, log *slog.Logger) *Mux {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Mux{ln: ln, conf: conf, handshakeTimeout: 5 * time.Second, log: log, subs: map[string]*chanListener{}}
}

// Listener returns the listener that receives connections negotiated with
// proto. Call it before Serve.
func (m *Mux) Listener(proto string) net.Listener {
	m.mu.Lock()
	defer m.mu.Unlock()
	if l, ok := m.subs[proto]; ok {
		return l
	}
	l := &chanListener{addr: m.ln.Addr(), ch: make(chan net.Conn), done: make(chan struct{})}
	m.subs[proto] = l
	return l
}

// Addr is the address the mux listens on.
func (m *Mux) Addr() net.Addr { return m.ln.Addr() }

// Serve accepts connections until ctx ends or the listener fails. It closes
// the listener and all sub-listeners on return.
func (m *Mux) Serve(ctx context.Context) error {
	stop := context.AfterFunc(ctx, func() { m.Close() })
	defer stop()
	var wg sync.WaitGroup
	defer wg.Wait()
	for {
		c, err := m.ln.Accept()
		if err != nil {
			m.Close()
			if ctx.Err() != nil || errors.Is(err, net.ErrClosed) {
				return nil
			}
			return err
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			m.route(ctx, c)
		}()
	}
}

func (m *Mux) route(ctx context.Context, c net.Conn) {
	tc := tls.Server(c, m.conf)
	hctx, cancel := context.WithTimeout(ctx, m.handshakeTimeout)
	defer cancel()
	if err := tc.HandshakeContext(hctx); err != nil {
		m.log.Debug("tls handshake refused", "remote", c.RemoteAddr().String(), "err", err)
		c.Close()
		return
	}
	proto := tc.ConnectionState().NegotiatedProtocol
	if proto == "" {
		proto = ProtoHTTP
	}
	m.mu.Lock()
	l := m.subs[proto]
	m.mu.Unlock()
	if l == nil {
		tc.Close()
		return
	}
	var conn net.Conn = tc
	if proto == ProtoJoin {
		// net/http closes a *tls.Conn whose ALPN protocol it does not know;
		// the join endpoint needs no TLS state, so hide it.
		conn = opaqueConn{tc}
	}
	select {
	case l.ch <- conn:
	case <-l.done:
		tc.Close()
	case <-ctx.Done():
		tc.Close()
	}
}

// Close closes the listener and all sub-listeners.
func (m *Mux) Close() error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.closed {
		return nil
	}
	m.closed = true
	for _, l := range m.subs {
		l.Close()
	}
	return m.ln.Close()
}

// opaqueConn hides that a connection is TLS (see route).
type opaqueConn struct{ net.Conn }

type chanListener struct {
	addr net.Addr
	ch   chan net.Conn
	once sync.Once
	done chan struct{}
}

func (l *chanListener) Accept() (net.Conn, error) {
	select {
	case c := <-l.ch:
		return c, nil
	case <-l.done:
		return nil, net.ErrClosed
	}
}

func (l *chanListener) Close() error {
	l.once.Do(func() { close(l.done) })
	return nil
}

func (l *chanListener) Addr() net.Addr { return l.addr }
