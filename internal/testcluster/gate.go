package testcluster

import (
	"context"
	"errors"
	"net"
	"sync"
)

// errPaused is returned to dials while a gate is closed.
var errPaused = errors.New("testcluster: node paused")

// Gate cuts a node off the network on demand: Pause closes every
// connection it has accepted or dialed and refuses new ones until Resume.
type Gate struct {
	mu     sync.Mutex // guards paused and conns
	paused bool
	conns  map[*gatedConn]struct{}
}

// NewGate returns an open gate.
func NewGate() *Gate { return &Gate{conns: map[*gatedConn]struct{}{}} }

// Pause closes all connections and refuses new ones.
func (g *Gate) Pause() {
	g.mu.Lock()
	g.paused = true
	conns := g.conns
	g.conns = map[*gatedConn]struct{}{}
	g.mu.Unlock()
	for c := range conns {
		c.Conn.Close()
	}
}

// Resume lets connections through again.
func (g *Gate) Resume() {
	g.mu.Lock()
	g.paused = false
	g.mu.Unlock()
}

// Paused reports whether the gate is closed.
func (g *Gate) Paused() bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.paused
}

func (g *Gate) track(c net.Conn) (net.Conn, bool) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.paused {
		c.Close()
		return nil, false
	}
	gc := &gatedConn{Conn: c, g: g}
	g.conns[gc] = struct{}{}
	return gc, true
}

func (g *Gate) forget(c *gatedConn) {
	g.mu.Lock()
	delete(g.conns, c)
	g.mu.Unlock()
}

// Dial dials through the gate.
func (g *Gate) Dial(ctx context.Context, network, addr string) (net.Conn, error) {
	if g.Paused() {
		return nil, &net.OpError{Op: "dial", Net: network, Err: errPaused}
	}
	var d net.Dialer
	c, err := d.DialContext(ctx, network, addr)
	if err != nil {
		return nil, err
	}
	gc, ok := g.track(c)
	if !ok {
		return nil, &net.OpError{Op: "dial", Net: network, Err: errPaused}
	}
	return gc, nil
}

// Listener wraps ln so accepted connections go through the gate.
func (g *Gate) Listener(ln net.Listener) net.Listener { return &gatedListener{Listener: ln, g: g} }

type gatedListener struct {
	net.Listener
	g *Gate
}

func (l *gatedListener) Accept() (net.Conn, error) {
	for {
		c, err := l.Listener.Accept()
		if err != nil {
			return nil, err
		}
		if gc, ok := l.g.track(c); ok {
			return gc, nil
		}
	}
}

type gatedConn struct {
	net.Conn
	g    *Gate
	once sync.Once
}

func (c *gatedConn) Close() error {
	c.once.Do(func() { c.g.forget(c) })
	return c.Conn.Close()
}
