package pki

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// NodeURIScheme is the scheme of the URI SAN that names a node:
// distrisearch://node/<node id>.
const NodeURIScheme = "distrisearch"

// Identity is a node's TLS identity: its certificate and key, and the
// cluster CA certificate that signed it.
type Identity struct {
	NodeID  string
	Cert    *x509.Certificate
	CA      *x509.Certificate
	TLS     tls.Certificate // leaf then CA, so peers can check a pinned CA
	CertPEM []byte
	KeyPEM  []byte
	CAPEM   []byte
}

// File names inside an identity directory.
const (
	CACertFile   = "ca.crt"
	NodeCertFile = "node.crt"
	NodeKeyFile  = "node.key"
	CAKeyFile    = "ca.key"
)

// ErrNoIdentity is returned by LoadIdentity when the directory holds no node
// certificate yet.
var ErrNoIdentity = errors.New("no node identity")

// ValidNodeID reports whether id can name a node: 1 to 128 characters of
// letters, digits, '-', '_' and '.', not starting with '.' or '-'.
func ValidNodeID(id string) bool {
	if id == "" || len(id) > 128 || id[0] == '.' || id[0] == '-' {
		return false
	}
	for _, r := range id {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '-', r == '_', r == '.':
		default:
			return false
		}
	}
	return true
}

// NewCSR creates an ECDSA P-256 key and a CSR naming nodeID with the given
// hosts (DNS names or IP addresses) as SANs. It returns both in PEM form.
func NewCSR(nodeID string, hosts []string) (keyPEM, csrPEM []byte, err error) {
	if !ValidNodeID(nodeID) {
		return nil, nil, fmt.Errorf("new csr: invalid node id %q", nodeID)
	}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, nil, fmt.Errorf("generate node key: %w", err)
	}
	dns, ips := splitHosts(append([]string{nodeID}, hosts...))
	tmpl := &x509.CertificateRequest{
		Subject:     pkix.Name{CommonName: nodeID, Organization: []string{"DistriSearch"}},
		DNSNames:    dns,
		IPAddresses: ips,
	}
	der, err := x509.CreateCertificateRequest(rand.Reader, tmpl, key)
	if err != nil {
		return nil, nil, fmt.Errorf("create csr: %w", err)
	}
	keyPEM, err = encodeKey(key)
	if err != nil {
		return nil, nil, err
	}
	return keyPEM, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE REQUEST", Bytes: der}), nil
}

// nodeTemplate is the certificate a node receives: client and server
// authentication, the node id as CN, DNS name and URI, 127.0.0.1 and ::1
// always, and the requested hosts.
func nodeTemplate(nodeID string, hosts []string, serial *big.Int, now time.Time, validity time.Duration) *x509.Certificate {
	dns, ips := splitHosts(append([]string{nodeID, "localhost", "127.0.0.1", "::1"}, hosts...))
	return &x509.Certificate{
		SerialNumber: serial,
		Subject:      pkix.Name{CommonName: nodeID, Organization: []string{"DistriSearch"}},
		NotBefore:    now.Add(-5 * time.Minute),
		NotAfter:     now.Add(validity),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth},
		DNSNames:     dns,
		IPAddresses:  ips,
		URIs:         []*url.URL{NodeURI(nodeID)},
	}
}

// NodeURI is the URI SAN naming a node.
func NodeURI(nodeID string) *url.URL {
	return &url.URL{Scheme: NodeURIScheme, Host: "node", Path: "/" + nodeID}
}

// NodeIDOf returns the node id a verified node certificate names (its URI
// SAN), or "" when it names none.
func NodeIDOf(cert *x509.Certificate) string {
	for _, u := range cert.URIs {
		if u.Scheme == NodeURIScheme && u.Host == "node" {
			id := strings.TrimPrefix(u.Path, "/")
			if ValidNodeID(id) && id == cert.Subject.CommonName {
				return id
			}
		}
	}
	return ""
}

func splitHosts(hosts []string) (dns []string, ips []net.IP) {
	seen := map[string]bool{}
	for _, h := range hosts {
		h = strings.TrimSpace(h)
		if h == "" || seen[h] {
			continue
		}
		seen[h] = true
		if ip := net.ParseIP(h); ip != nil {
			ips = append(ips, ip)
		} else {
			dns = append(dns, h)
		}
	}
	return dns, ips
}

// ParseIdentity builds an Identity from PEM blocks and checks that the key
// matches the certificate and that the certificate names a node.
func ParseIdentity(certPEM, keyPEM, caPEM []byte) (*Identity, error) {
	cert, err := ParseCertPEM(certPEM)
	if err != nil {
		return nil, err
	}
	ca, err := ParseCertPEM(caPEM)
	if err != nil {
		return nil, err
	}
	key, err := ParseKeyPEM(keyPEM)
	if err != nil {
		return nil, err
	}
	if !key.PublicKey.Equal(cert.PublicKey) {
		return nil, errors.New("parse identity: key does not match certificate")
	}
	id := NodeIDOf(cert)
	if id == "" {
		return nil, errors.New("parse identity: certificate names no node")
	}
	return &Identity{
		NodeID: id, Cert: cert, CA: ca,
		TLS:     tls.Certificate{Certificate: [][]byte{cert.Raw, ca.Raw}, PrivateKey: key, Leaf: cert},
		CertPEM: certPEM, KeyPEM: keyPEM, CAPEM: caPEM,
	}, nil
}

// Save writes the identity's three PEM files into dir (created 0700); the
// key is written 0600.
func (id *Identity) Save(dir string) error {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("save identity: %w", err)
	}
	files := []struct {
		name string
		data []byte
		mode os.FileMode
	}{
		{CACertFile, id.CAPEM, 0o644},
		{NodeKeyFile, id.KeyPEM, 0o600},
		{NodeCertFile, id.CertPEM, 0o644}, // last: its presence marks a complete identity
	}
	for _, f := range files {
		if err := WriteFileAtomic(filepath.Join(dir, f.name), f.data, f.mode); err != nil {
			return fmt.Errorf("save identity: %w", err)
		}
	}
	return nil
}

// LoadIdentity reads an identity saved by Save. It returns ErrNoIdentity
// when dir holds no node certificate.
//
// dir is the node's own data directory, from the operator's configuration,
// and the file names are constants: nothing in the paths comes from a peer.
func LoadIdentity(dir string) (*Identity, error) {
	certPEM, err := os.ReadFile(filepath.Join(dir, NodeCertFile)) // #nosec G304 -- operator-configured data dir, constant file name
	if errors.Is(err, os.ErrNotExist) {
		return nil, ErrNoIdentity
	}
	if err != nil {
		return nil, fmt.Errorf("load identity: %w", err)
	}
	keyPEM, err := os.ReadFile(filepath.Join(dir, NodeKeyFile)) // #nosec G304 -- operator-configured data dir, constant file name
	if err != nil {
		return nil, fmt.Errorf("load identity: %w", err)
	}
	caPEM, err := os.ReadFile(filepath.Join(dir, CACertFile)) // #nosec G304 -- operator-configured data dir, constant file name
	if err != nil {
		return nil, fmt.Errorf("load identity: %w", err)
	}
	return ParseIdentity(certPEM, keyPEM, caPEM)
}

// WriteFileAtomic writes data to a temporary file, syncs it and renames it
// over path.
func WriteFileAtomic(path string, data []byte, mode os.FileMode) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), ".tmp-"+filepath.Base(path)+"-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Chmod(mode); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}

// ParseCertPEM parses the first CERTIFICATE block of data.
func ParseCertPEM(data []byte) (*x509.Certificate, error) {
	block, _ := pem.Decode(data)
	if block == nil || block.Type != "CERTIFICATE" {
		return nil, errors.New("parse certificate: no certificate pem block")
	}
	cert, err := x509.ParseCertificate(block.Bytes)
	if err != nil {
		return nil, fmt.Errorf("parse certificate: %w", err)
	}
	return cert, nil
}

// ParseKeyPEM parses a PKCS#8 or SEC 1 ECDSA private key.
func ParseKeyPEM(data []byte) (*ecdsa.PrivateKey, error) {
	block, _ := pem.Decode(data)
	if block == nil {
		return nil, errors.New("parse key: no pem block")
	}
	switch block.Type {
	case "PRIVATE KEY":
		k, err := x509.ParsePKCS8PrivateKey(block.Bytes)
		if err != nil {
			return nil, fmt.Errorf("parse key: %w", err)
		}
		ek, ok := k.(*ecdsa.PrivateKey)
		if !ok {
			return nil, errors.New("parse key: not an ecdsa key")
		}
		return ek, nil
	case "EC PRIVATE KEY":
		k, err := x509.ParseECPrivateKey(block.Bytes)
		if err != nil {
			return nil, fmt.Errorf("parse key: %w", err)
		}
		return k, nil
	}
	return nil, fmt.Errorf("parse key: unexpected pem block %q", block.Type)
}

func encodeKey(key *ecdsa.PrivateKey) ([]byte, error) {
	der, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return nil, fmt.Errorf("encode key: %w", err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}), nil
}
