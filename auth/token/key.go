package token

import (
	"crypto/ed25519"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"time"
)

// Alg is a JWT signing algorithm name.
type Alg string

// The supported algorithms.
const (
	EdDSA Alg = "EdDSA" // Ed25519
	HS256 Alg = "HS256" // HMAC-SHA256
)

// MinHMACBytes is the shortest HMAC secret accepted.
const MinHMACBytes = 32

// Key is one signing or verification key, named by ID (the JWT kid).
type Key struct {
	ID  string
	Alg Alg
	// Private signs EdDSA tokens; nil on a verify-only copy.
	Private ed25519.PrivateKey
	// Public verifies EdDSA tokens.
	Public ed25519.PublicKey
	// Secret signs and verifies HS256 tokens.
	Secret []byte
	// RetireAt: tokens naming this key are refused from then on. Zero
	// means never. Set by rotation to the expiry of the last token the
	// key could have signed.
	RetireAt time.Time
}

// CanSign reports whether k holds the material to sign.
func (k Key) CanSign() bool {
	switch k.Alg {
	case EdDSA:
		return len(k.Private) == ed25519.PrivateKeySize
	case HS256:
		return len(k.Secret) >= MinHMACBytes
	}
	return false
}

// Validate checks that k can at least verify.
func (k Key) Validate() error {
	if k.ID == "" || len(k.ID) > 64 {
		return fmt.Errorf("key %q: id must have 1..64 bytes", k.ID)
	}
	switch k.Alg {
	case EdDSA:
		if len(k.Public) != ed25519.PublicKeySize {
			return fmt.Errorf("key %q: ed25519 public key has %d bytes", k.ID, len(k.Public))
		}
		if k.Secret != nil {
			return fmt.Errorf("key %q: EdDSA key must not carry an HMAC secret", k.ID)
		}
	case HS256:
		if len(k.Secret) < MinHMACBytes {
			return fmt.Errorf("key %q: hmac secret needs at least %d bytes", k.ID, MinHMACBytes)
		}
		if k.Public != nil || k.Private != nil {
			return fmt.Errorf("key %q: HS256 key must not carry an ed25519 key", k.ID)
		}
	default:
		return fmt.Errorf("key %q: algorithm %q not supported", k.ID, k.Alg)
	}
	return nil
}

// VerifyOnly returns a verify-only copy of k (no Private). HMAC keys have no
// public half: their copy still holds the secret.
func (k Key) VerifyOnly() Key {
	k.Private = nil
	return k
}

// GenerateEd25519 makes a new Ed25519 key with a random id. r is
// crypto/rand when nil.
func GenerateEd25519(r io.Reader) (Key, error) {
	if r == nil {
		r = rand.Reader
	}
	id, err := randomID(r)
	if err != nil {
		return Key{}, err
	}
	pub, priv, err := ed25519.GenerateKey(r)
	if err != nil {
		return Key{}, fmt.Errorf("generate ed25519 key: %w", err)
	}
	return Key{ID: id, Alg: EdDSA, Private: priv, Public: pub}, nil
}

// GenerateHMAC makes a new 32-byte HMAC-SHA256 key with a random id.
func GenerateHMAC(r io.Reader) (Key, error) {
	if r == nil {
		r = rand.Reader
	}
	id, err := randomID(r)
	if err != nil {
		return Key{}, err
	}
	secret := make([]byte, MinHMACBytes)
	if _, err := io.ReadFull(r, secret); err != nil {
		return Key{}, fmt.Errorf("generate hmac key: %w", err)
	}
	return Key{ID: id, Alg: HS256, Secret: secret}, nil
}

func randomID(r io.Reader) (string, error) {
	b := make([]byte, 12)
	if _, err := io.ReadFull(r, b); err != nil {
		return "", fmt.Errorf("random id: %w", err)
	}
	return base64.RawURLEncoding.EncodeToString(b), nil
}

var errNoSigningKey = errors.New("no signing key")
