package pki

import (
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
)

// TokenPrefix starts every join token, so a token is recognisable and its
// format versioned.
const TokenPrefix = "ds1_"

const (
	tokenIDLen     = 8
	tokenSecretLen = 24
	tokenCALen     = 32
)

// ErrBadToken is returned for a token that cannot be parsed.
var ErrBadToken = errors.New("malformed join token")

// JoinToken is a parsed join token.
type JoinToken struct {
	ID     string   // public id, hex; names the token in the cluster metadata
	Secret []byte   // random secret; only its hash is stored
	CAHash [32]byte // SHA-256 of the cluster CA certificate
}

// NewJoinToken makes a token with a fresh id and secret for the CA whose
// certificate hashes to caHash.
func NewJoinToken(caHash [32]byte) (JoinToken, error) {
	buf := make([]byte, tokenIDLen+tokenSecretLen)
	if _, err := rand.Read(buf); err != nil {
		return JoinToken{}, fmt.Errorf("new join token: %w", err)
	}
	return JoinToken{ID: hex.EncodeToString(buf[:tokenIDLen]), Secret: buf[tokenIDLen:], CAHash: caHash}, nil
}

// String encodes the token: "ds1_" + base64url(id | secret | ca hash).
func (t JoinToken) String() string {
	id, _ := hex.DecodeString(t.ID)
	raw := make([]byte, 0, tokenIDLen+tokenSecretLen+tokenCALen)
	raw = append(raw, id...)
	raw = append(raw, t.Secret...)
	raw = append(raw, t.CAHash[:]...)
	return TokenPrefix + base64.RawURLEncoding.EncodeToString(raw)
}

// SecretHash is what the cluster stores: hex(SHA-256(secret)).
func (t JoinToken) SecretHash() string {
	h := sha256.Sum256(t.Secret)
	return hex.EncodeToString(h[:])
}

// ParseJoinToken decodes a token made by String.
func ParseJoinToken(s string) (JoinToken, error) {
	s = strings.TrimSpace(s)
	if !strings.HasPrefix(s, TokenPrefix) {
		return JoinToken{}, ErrBadToken
	}
	raw, err := base64.RawURLEncoding.DecodeString(s[len(TokenPrefix):])
	if err != nil || len(raw) != tokenIDLen+tokenSecretLen+tokenCALen {
		return JoinToken{}, ErrBadToken
	}
	t := JoinToken{ID: hex.EncodeToString(raw[:tokenIDLen]), Secret: raw[tokenIDLen : tokenIDLen+tokenSecretLen]}
	copy(t.CAHash[:], raw[tokenIDLen+tokenSecretLen:])
	return t, nil
}

// SecretMatches reports, in constant time, whether secret hashes to the
// stored hex hash.
func SecretMatches(secret []byte, storedHash string) bool {
	want, err := hex.DecodeString(storedHash)
	if err != nil || len(want) != sha256.Size {
		return false
	}
	got := sha256.Sum256(secret)
	return subtle.ConstantTimeCompare(got[:], want) == 1
}
