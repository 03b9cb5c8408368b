package token

import (
	"errors"
	"fmt"
	"io"
	"time"
)

// Config sets token lifetime and what Verify accepts.
type Config struct {
	// Issuer is written to iss and required on verification.
	Issuer string
	// TTL is a token's lifetime (exp - iat).
	TTL time.Duration
	// Leeway tolerates clock skew between nodes on exp, nbf and iat.
	Leeway time.Duration
	// MaxTokenBytes: longer tokens are refused before any parsing.
	MaxTokenBytes int
	// Algorithms is the allow-list passed to jwt.WithValidMethods.
	Algorithms []Alg
}

// DefaultConfig returns the design's values: 24 h tokens, 30 s leeway,
// 8 KiB maximum, EdDSA only.
func DefaultConfig() Config {
	return Config{
		Issuer:        "distrisearch",
		TTL:           24 * time.Hour,
		Leeway:        30 * time.Second,
		MaxTokenBytes: 8 << 10,
		Algorithms:    []Alg{EdDSA},
	}
}

// Validate reports the first unusable setting.
func (c Config) Validate() error {
	switch {
	case c.Issuer == "":
		return errors.New("token config: issuer is empty")
	case c.TTL <= 0:
		return fmt.Errorf("token config: ttl %v must be positive", c.TTL)
	case c.Leeway < 0 || c.Leeway > 5*time.Minute:
		return fmt.Errorf("token config: leeway %v must be within 0..5m", c.Leeway)
	case c.MaxTokenBytes < 256 || c.MaxTokenBytes > 64<<10:
		return fmt.Errorf("token config: max token bytes %d must be within 256..65536", c.MaxTokenBytes)
	case len(c.Algorithms) == 0:
		return errors.New("token config: no algorithm allowed")
	}
	for _, a := range c.Algorithms {
		if a != EdDSA && a != HS256 {
			return fmt.Errorf("token config: algorithm %q not supported (EdDSA, HS256)", a)
		}
	}
	return nil
}

func (c Config) allows(a Alg) bool {
	for _, x := range c.Algorithms {
		if x == a {
			return true
		}
	}
	return false
}

// Options are the injected dependencies of a Tokens.
type Options struct {
	// Now is the clock; required.
	Now func() time.Time
	// Rand makes jti values; crypto/rand when nil.
	Rand io.Reader
	// Revoked reports whether a jti has been revoked (logout); nil means
	// nothing is revoked. It is called only for otherwise valid tokens and
	// must be fast (an in-memory set fed from the cluster state).
	Revoked func(jti string) bool
	// VoidBefore returns the time before which a subject's tokens are
	// void (the account was disabled or changed), or zero. Tokens issued
	// in an earlier second than it are refused as revoked. nil means none.
	VoidBefore func(subject string) time.Time
}
