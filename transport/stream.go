package transport

import (
	"context"
	"crypto/tls"
	"net"
	"time"

	"github.com/hashicorp/raft"
)

// StreamLayer is a raft.StreamLayer over mutual TLS: it accepts the
// connections the Mux routes to ProtoRaft and dials peers with the node's
// client certificate.
type StreamLayer struct {
	net.Listener
	advertise net.Addr
	conf      *tls.Config
	dial      DialFunc
}

var _ raft.StreamLayer = (*StreamLayer)(nil)

// NewStreamLayer returns a stream layer accepting on ln (a Mux listener),
// advertising advertise, and dialing with conf (see ClientConfig with
// ProtoRaft). dial may be nil.
func NewStreamLayer(ln net.Listener, advertise net.Addr, conf *tls.Config, dial DialFunc) *StreamLayer {
	return &StreamLayer{Listener: ln, advertise: advertise, conf: conf, dial: dial}
}

// Dial opens a mutual-TLS connection to a peer's raft address.
func (s *StreamLayer) Dial(addr raft.ServerAddress, timeout time.Duration) (net.Conn, error) {
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	return DialTLS(ctx, s.dial, string(addr), s.conf)
}

// Addr is the advertised address.
func (s *StreamLayer) Addr() net.Addr { return s.advertise }

// DialTLS dials addr with dial (nil: a net.Dialer) and completes a TLS
// handshake whose server name is addr's host.
func DialTLS(ctx context.Context, dial DialFunc, addr string, conf *tls.Config) (*tls.Conn, error) {
	if dial == nil {
		var d net.Dialer
		dial = d.DialContext
	}
	raw, err := dial(ctx, "tcp", addr)
	if err != nil {
		return nil, err
	}
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		raw.Close()
		return nil, err
	}
	c := conf.Clone()
	if c.ServerName == "" {
		c.ServerName = host
	}
	tc := tls.Client(raw, c)
	if err := tc.HandshakeContext(ctx); err != nil {
		raw.Close()
		return nil, err
	}
	return tc, nil
}
