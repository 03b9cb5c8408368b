package pki

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"time"
)

// CA is a cluster certificate authority: its certificate and private key.
type CA struct {
	Cert *x509.Certificate
	Key  *ecdsa.PrivateKey
}

// Default validity periods.
const (
	DefaultCAValidity   = 10 * 365 * 24 * time.Hour
	DefaultNodeValidity = 365 * 24 * time.Hour
)

// ErrInvalidCSR is returned when a certificate signing request is malformed,
// badly signed or asks for a different node id.
var ErrInvalidCSR = errors.New("invalid certificate signing request")

// NewCA creates a self-signed ECDSA P-256 certificate authority named after
// the cluster, valid from now (minus a small clock-skew allowance) for validity.
func NewCA(clusterID string, now time.Time, validity time.Duration) (*CA, error) {
	if validity <= 0 {
		validity = DefaultCAValidity
	}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, fmt.Errorf("generate ca key: %w", err)
	}
	serial, err := randomSerial()
	if err != nil {
		return nil, err
	}
	tmpl := &x509.Certificate{
		SerialNumber:          serial,
		Subject:               pkix.Name{CommonName: "DistriSearch cluster CA " + clusterID, Organization: []string{"DistriSearch"}},
		NotBefore:             now.Add(-5 * time.Minute),
		NotAfter:              now.Add(validity),
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageCRLSign | x509.KeyUsageDigitalSignature,
		BasicConstraintsValid: true,
		IsCA:                  true,
		MaxPathLenZero:        true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return nil, fmt.Errorf("create ca certificate: %w", err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, fmt.Errorf("parse ca certificate: %w", err)
	}
	return &CA{Cert: cert, Key: key}, nil
}

// Fingerprint returns the SHA-256 of the CA certificate (DER).
func (ca *CA) Fingerprint() [32]byte { return sha256.Sum256(ca.Cert.Raw) }

// CertPEM returns the CA certificate in PEM form.
func (ca *CA) CertPEM() []byte {
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: ca.Cert.Raw})
}

// KeyPEM returns the CA private key in PEM (PKCS#8) form.
func (ca *CA) KeyPEM() ([]byte, error) { return encodeKey(ca.Key) }

// ParseCA parses a CA from its PEM certificate and key.
func ParseCA(certPEM, keyPEM []byte) (*CA, error) {
	cert, err := ParseCertPEM(certPEM)
	if err != nil {
		return nil, err
	}
	if !cert.IsCA {
		return nil, errors.New("parse ca: certificate is not a ca")
	}
	key, err := ParseKeyPEM(keyPEM)
	if err != nil {
		return nil, err
	}
	if !key.PublicKey.Equal(cert.PublicKey) {
		return nil, errors.New("parse ca: key does not match certificate")
	}
	return &CA{Cert: cert, Key: key}, nil
}

// SignCSR checks a node's certificate signing request and returns a node
// certificate (PEM) for nodeID, valid from now for validity. The CSR's common
// name must equal nodeID. Extra hosts (names or IPs) are added to the SANs
// next to the ones in the CSR.
func (ca *CA) SignCSR(csrPEM []byte, nodeID string, extraHosts []string, now time.Time, validity time.Duration) ([]byte, error) {
	if validity <= 0 {
		validity = DefaultNodeValidity
	}
	block, _ := pem.Decode(csrPEM)
	if block == nil || block.Type != "CERTIFICATE REQUEST" {
		return nil, fmt.Errorf("%w: no pem block", ErrInvalidCSR)
	}
	csr, err := x509.ParseCertificateRequest(block.Bytes)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrInvalidCSR, err)
	}
	if err := csr.CheckSignature(); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrInvalidCSR, err)
	}
	if csr.Subject.CommonName != nodeID || !ValidNodeID(nodeID) {
		return nil, fmt.Errorf("%w: common name %q is not node id %q", ErrInvalidCSR, csr.Subject.CommonName, nodeID)
	}
	if _, ok := csr.PublicKey.(*ecdsa.PublicKey); !ok {
		return nil, fmt.Errorf("%w: only ecdsa keys are accepted", ErrInvalidCSR)
	}
	hosts := append([]string{}, extraHosts...)
	hosts = append(hosts, csr.DNSNames...)
	for _, ip := range csr.IPAddresses {
		hosts = append(hosts, ip.String())
	}
	serial, err := randomSerial()
	if err != nil {
		return nil, err
	}
	tmpl := nodeTemplate(nodeID, hosts, serial, now, validity)
	if ca.Cert.NotAfter.Before(tmpl.NotAfter) {
		tmpl.NotAfter = ca.Cert.NotAfter
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca.Cert, csr.PublicKey, ca.Key)
	if err != nil {
		return nil, fmt.Errorf("sign node certificate: %w", err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), nil
}

// IssueNode creates a key and a certificate for nodeID in one step; init uses
// it for the first node, tests for any node.
func (ca *CA) IssueNode(nodeID string, hosts []string, now time.Time, validity time.Duration) (*Identity, error) {
	keyPEM, csrPEM, err := NewCSR(nodeID, hosts)
	if err != nil {
		return nil, err
	}
	certPEM, err := ca.SignCSR(csrPEM, nodeID, nil, now, validity)
	if err != nil {
		return nil, err
	}
	return ParseIdentity(certPEM, keyPEM, ca.CertPEM())
}

func randomSerial() (*big.Int, error) {
	limit := new(big.Int).Lsh(big.NewInt(1), 127)
	n, err := rand.Int(rand.Reader, limit)
	if err != nil {
		return nil, fmt.Errorf("serial number: %w", err)
	}
	return n.Add(n, big.NewInt(1)), nil
}
