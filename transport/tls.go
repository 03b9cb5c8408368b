package transport

import (
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/distrisearch/distrisearch/transport/pki"
)

// ALPN protocol names multiplexed on the internal port.
const (
	ProtoRaft = "ds-raft/1"
	ProtoJoin = "ds-join/1"
	ProtoHTTP = "http/1.1"
)

// ErrCAPinMismatch is returned when the server a joining node reached does
// not present the CA pinned in the join token.
var ErrCAPinMismatch = errors.New("server does not present the pinned cluster ca")

// Clock returns the current time; nil means time.Now.
type Clock func() time.Time

// ServerConfig returns the internal port's TLS configuration: TLS 1.3 only;
// mutual TLS with the cluster CA for ProtoRaft and ProtoHTTP; server-only
// authentication for ProtoJoin.
func ServerConfig(id *pki.Identity, now Clock) *tls.Config {
	pool := x509.NewCertPool()
	pool.AddCert(id.CA)
	mtls := &tls.Config{
		MinVersion:   tls.VersionTLS13,
		Certificates: []tls.Certificate{id.TLS},
		ClientAuth:   tls.RequireAndVerifyClientCert,
		ClientCAs:    pool,
		NextProtos:   []string{ProtoRaft, ProtoHTTP},
		Time:         now,
	}
	join := &tls.Config{
		MinVersion:   tls.VersionTLS13,
		Certificates: []tls.Certificate{id.TLS},
		ClientAuth:   tls.NoClientCert,
		NextProtos:   []string{ProtoJoin},
		Time:         now,
	}
	return &tls.Config{
		MinVersion: tls.VersionTLS13,
		GetConfigForClient: func(h *tls.ClientHelloInfo) (*tls.Config, error) {
			if slices.Contains(h.SupportedProtos, ProtoJoin) {
				return join, nil
			}
			return mtls, nil
		},
	}
}

// ClientConfig returns the configuration a node uses to call a peer with
// protocol proto: its own certificate, the cluster CA as the only root,
// TLS 1.3 only. The server name is set per connection by the dialer.
func ClientConfig(id *pki.Identity, proto string, now Clock) *tls.Config {
	pool := x509.NewCertPool()
	pool.AddCert(id.CA)
	return &tls.Config{
		MinVersion:   tls.VersionTLS13,
		Certificates: []tls.Certificate{id.TLS},
		RootCAs:      pool,
		NextProtos:   []string{proto},
		Time:         now,
	}
}

// PinnedClientConfig is the configuration of a node that has no certificate
// yet and joins: it trusts only a server whose chain contains a CA
// certificate with the pinned SHA-256, and which that CA signed for server
// authentication. It presents no certificate.
//
// Go's own verification needs the CA certificate, which a joining node does
// not have yet, so it is switched off (InsecureSkipVerify) and replaced by
// verifyPinned, which VerifyConnection runs on every handshake, resumed ones
// included.
func PinnedClientConfig(caHash [32]byte, now Clock) *tls.Config {
	return &tls.Config{
		MinVersion:         tls.VersionTLS13,
		NextProtos:         []string{ProtoJoin},
		InsecureSkipVerify: true, // #nosec G402 -- replaced by VerifyConnection (verifyPinned) below
		VerifyConnection: func(cs tls.ConnectionState) error {
			return verifyPinned(cs.PeerCertificates, caHash, now)
		},
	}
}

func verifyPinned(chain []*x509.Certificate, caHash [32]byte, now Clock) error {
	if len(chain) == 0 {
		return ErrCAPinMismatch
	}
	var ca *x509.Certificate
	for _, c := range chain[1:] {
		if sha256.Sum256(c.Raw) == caHash {
			ca = c
		}
	}
	if ca == nil {
		return ErrCAPinMismatch
	}
	pool := x509.NewCertPool()
	pool.AddCert(ca)
	t := time.Now()
	if now != nil {
		t = now()
	}
	_, err := chain[0].Verify(x509.VerifyOptions{
		Roots:       pool,
		CurrentTime: t,
		KeyUsages:   []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	})
	if err != nil {
		return fmt.Errorf("verify pinned server: %w", err)
	}
	return nil
}

// PeerNodeID returns the node id named by the verified client certificate of
// a mutual-TLS connection, or "" if there is none.
func PeerNodeID(cs *tls.ConnectionState) string {
	if cs == nil || len(cs.VerifiedChains) == 0 || len(cs.VerifiedChains[0]) == 0 {
		return ""
	}
	return pki.NodeIDOf(cs.VerifiedChains[0][0])
}
