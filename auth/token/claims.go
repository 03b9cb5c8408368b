package token

import (
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// Claims are what a verified token says about its bearer.
type Claims struct {
	Subject   string // the user's id
	Username  string
	Roles     []string
	Groups    []string // for share access; fixed at issue time
	Issuer    string
	ID        string // jti, the handle for revocation
	KeyID     string // kid of the key that signed it
	IssuedAt  time.Time
	NotBefore time.Time
	ExpiresAt time.Time
}

// wireClaims is the JSON form of Claims.
type wireClaims struct {
	Username string   `json:"username"`
	Roles    []string `json:"roles"`
	Groups   []string `json:"groups,omitempty"`
	// IssuedNano is the issue time in Unix nanoseconds (iat has whole
	// seconds), so a cutoff voids exactly the tokens issued before it.
	IssuedNano int64 `json:"iat_ns,omitempty"`
	jwt.RegisteredClaims
}

func (w *wireClaims) claims(kid string) Claims {
	c := Claims{
		Subject:  w.Subject,
		Username: w.Username,
		Roles:    append([]string(nil), w.Roles...),
		Groups:   append([]string(nil), w.Groups...),
		Issuer:   w.Issuer,
		ID:       w.ID,
		KeyID:    kid,
	}
	if w.IssuedAt != nil {
		c.IssuedAt = w.IssuedAt.Time
	}
	if w.NotBefore != nil {
		c.NotBefore = w.NotBefore.Time
	}
	if w.ExpiresAt != nil {
		c.ExpiresAt = w.ExpiresAt.Time
	}
	return c
}

// issued is the issue time: iat_ns when present, else iat (whole seconds,
// so a token from a cutoff's own second counts as issued before it).
func (w *wireClaims) issued() time.Time {
	if w.IssuedNano != 0 {
		return time.Unix(0, w.IssuedNano)
	}
	if w.IssuedAt != nil {
		return w.IssuedAt.Time
	}
	return time.Time{}
}
