package pki

import (
	"crypto/x509"
	"strings"
	"testing"
	"time"
)

var t0 = time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)

func TestIssueAndVerifyNode(t *testing.T) {
	ca, err := NewCA("c1", t0, 0)
	if err != nil {
		t.Fatal(err)
	}
	id, err := ca.IssueNode("host-1234", []string{"10.0.0.5", "node1.lan"}, t0, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	if id.NodeID != "host-1234" || NodeIDOf(id.Cert) != "host-1234" {
		t.Fatalf("node id = %q", id.NodeID)
	}
	pool := x509.NewCertPool()
	pool.AddCert(ca.Cert)
	for _, name := range []string{"host-1234", "127.0.0.1", "10.0.0.5", "node1.lan", "localhost"} {
		if _, err := id.Cert.Verify(x509.VerifyOptions{Roots: pool, DNSName: name, CurrentTime: t0, KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}}); err != nil {
			t.Errorf("verify as %s: %v", name, err)
		}
	}
	if _, err := id.Cert.Verify(x509.VerifyOptions{Roots: pool, CurrentTime: t0.Add(2 * time.Hour)}); err == nil {
		t.Error("expired certificate verified")
	}
	other, _ := NewCA("c2", t0, 0)
	pool2 := x509.NewCertPool()
	pool2.AddCert(other.Cert)
	if _, err := id.Cert.Verify(x509.VerifyOptions{Roots: pool2, CurrentTime: t0}); err == nil {
		t.Error("certificate verified against another ca")
	}
}

func TestSignCSRRejectsForeignName(t *testing.T) {
	ca, _ := NewCA("c1", t0, 0)
	_, csr, err := NewCSR("alice", nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ca.SignCSR(csr, "bob", nil, t0, 0); err == nil {
		t.Fatal("signed a csr for another node id")
	}
	if _, err := ca.SignCSR([]byte("garbage"), "alice", nil, t0, 0); err == nil {
		t.Fatal("signed garbage")
	}
}

func TestIdentityRoundTrip(t *testing.T) {
	ca, _ := NewCA("c1", t0, 0)
	id, _ := ca.IssueNode("n1", nil, t0, 0)
	dir := t.TempDir()
	if _, err := LoadIdentity(dir); err != ErrNoIdentity {
		t.Fatalf("empty dir: %v", err)
	}
	if err := id.Save(dir); err != nil {
		t.Fatal(err)
	}
	got, err := LoadIdentity(dir)
	if err != nil {
		t.Fatal(err)
	}
	if !got.Cert.Equal(id.Cert) || got.NodeID != "n1" {
		t.Fatal("identity changed in round trip")
	}
	keyPEM, _ := ca.KeyPEM()
	ca2, err := ParseCA(ca.CertPEM(), keyPEM)
	if err != nil || ca2.Fingerprint() != ca.Fingerprint() {
		t.Fatalf("ca round trip: %v", err)
	}
}

func TestJoinToken(t *testing.T) {
	ca, _ := NewCA("c1", t0, 0)
	tok, err := NewJoinToken(ca.Fingerprint())
	if err != nil {
		t.Fatal(err)
	}
	s := tok.String()
	if !strings.HasPrefix(s, TokenPrefix) {
		t.Fatalf("token %q", s)
	}
	got, err := ParseJoinToken(" " + s + "\n")
	if err != nil {
		t.Fatal(err)
	}
	if got.ID != tok.ID || got.CAHash != tok.CAHash || string(got.Secret) != string(tok.Secret) {
		t.Fatal("token changed in round trip")
	}
	if !SecretMatches(got.Secret, tok.SecretHash()) {
		t.Fatal("secret does not match its hash")
	}
	bad := append([]byte{}, got.Secret...)
	bad[0] ^= 1
	if SecretMatches(bad, tok.SecretHash()) {
		t.Fatal("altered secret matches")
	}
	for _, s := range []string{"", "ds1_", "ds1_abc", "xx_" + s[4:], s + "AA"} {
		if _, err := ParseJoinToken(s); err == nil {
			t.Errorf("parsed %q", s)
		}
	}
}

func TestValidNodeID(t *testing.T) {
	for id, want := range map[string]bool{"host-1a2b": true, "a.b_c": true, "": false, "-x": false, ".x": false, "a/b": false, "a b": false, strings.Repeat("a", 129): false} {
		if ValidNodeID(id) != want {
			t.Errorf("ValidNodeID(%q) != %v", id, want)
		}
	}
}
