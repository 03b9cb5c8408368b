package token

import (
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	distrisearch "github.com/distrisearch/distrisearch"
	"github.com/golang-jwt/jwt/v5"
)

// Tokens issues and verifies tokens with the keys of a KeySource.
type Tokens struct {
	cfg     Config
	keys    KeySource
	now     func() time.Time
	rand    io.Reader
	revoked func(string) bool
	void    func(string) time.Time
	parser  *jwt.Parser
}

// New returns a Tokens. The current signing key's algorithm must be in
// cfg.Algorithms, so a misconfiguration shows at start, not at first login.
func New(cfg Config, keys KeySource, opts Options) (*Tokens, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if keys == nil || opts.Now == nil {
		return nil, errors.New("new tokens: key source and clock are required")
	}
	k, err := keys.SigningKey()
	if err != nil {
		return nil, fmt.Errorf("new tokens: %w", err)
	}
	if !cfg.allows(k.Alg) {
		return nil, fmt.Errorf("new tokens: signing key %q uses %s, not in the allowed algorithms", k.ID, k.Alg)
	}
	t := &Tokens{cfg: cfg, keys: keys, now: opts.Now, rand: opts.Rand, revoked: opts.Revoked, void: opts.VoidBefore}
	if t.rand == nil {
		t.rand = rand.Reader
	}
	methods := make([]string, len(cfg.Algorithms))
	for i, a := range cfg.Algorithms {
		methods[i] = string(a)
	}
	t.parser = jwt.NewParser(
		jwt.WithValidMethods(methods),
		jwt.WithIssuer(cfg.Issuer),
		jwt.WithLeeway(cfg.Leeway),
		jwt.WithTimeFunc(opts.Now),
		jwt.WithExpirationRequired(),
		jwt.WithIssuedAt(),
		jwt.WithStrictDecoding(),
	)
	return t, nil
}

// Config returns the configuration the Tokens was built with.
func (t *Tokens) Config() Config { return t.cfg }

// Issue signs a token for a user with the current key. It returns the
// compact token and its claims.
func (t *Tokens) Issue(subject, username string, roles []string) (string, Claims, error) {
	return t.IssueWithGroups(subject, username, roles, nil)
}

// IssueWithGroups is Issue for a user who belongs to groups (share access
// by group). The groups are fixed for the token's lifetime.
func (t *Tokens) IssueWithGroups(subject, username string, roles, groups []string) (string, Claims, error) {
	if subject == "" {
		return "", Claims{}, errors.New("issue token: empty subject")
	}
	k, err := t.keys.SigningKey()
	if err != nil {
		return "", Claims{}, fmt.Errorf("issue token: %w", err)
	}
	if !k.CanSign() || !t.cfg.allows(k.Alg) {
		return "", Claims{}, fmt.Errorf("issue token: key %q cannot sign %s", k.ID, k.Alg)
	}
	jti := make([]byte, 16)
	if _, err := io.ReadFull(t.rand, jti); err != nil {
		return "", Claims{}, fmt.Errorf("issue token: jti: %w", err)
	}
	issued := t.now()
	now := issued.Truncate(time.Second)
	w := &wireClaims{
		IssuedNano: issued.UnixNano(),
		Username:   username,
		Roles:      append([]string{}, roles...),
		Groups:     append([]string(nil), groups...),
		RegisteredClaims: jwt.RegisteredClaims{
			Subject:   subject,
			Issuer:    t.cfg.Issuer,
			ID:        base64.RawURLEncoding.EncodeToString(jti),
			IssuedAt:  jwt.NewNumericDate(now),
			NotBefore: jwt.NewNumericDate(now),
			ExpiresAt: jwt.NewNumericDate(now.Add(t.cfg.TTL)),
		},
	}
	var method jwt.SigningMethod
	var signKey any
	switch k.Alg {
	case EdDSA:
		method, signKey = jwt.SigningMethodEdDSA, k.Private
	case HS256:
		method, signKey = jwt.SigningMethodHS256, k.Secret
	}
	tok := jwt.NewWithClaims(method, w)
	tok.Header["kid"] = k.ID
	s, err := tok.SignedString(signKey)
	if err != nil {
		return "", Claims{}, fmt.Errorf("issue token: %w", err)
	}
	return s, w.claims(k.ID), nil
}

// FromHeader extracts the token from an Authorization header value
// ("Bearer <token>"). The scheme is case-insensitive.
func FromHeader(h string) (string, error) {
	if h == "" {
		return "", unauthorized(CodeMissing, "sign in: no bearer token given")
	}
	scheme, tok, ok := strings.Cut(h, " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") || strings.TrimSpace(tok) == "" {
		return "", unauthorized(CodeMalformed, "the Authorization header must be \"Bearer <token>\"")
	}
	return strings.TrimSpace(tok), nil
}

// Verify checks a compact token and returns its claims, or a
// *distrisearch.Error of KindUnauthorized with one of the Code constants.
func (t *Tokens) Verify(raw string) (Claims, error) {
	switch {
	case raw == "":
		return Claims{}, unauthorized(CodeMissing, "sign in: no bearer token given")
	case len(raw) > t.cfg.MaxTokenBytes:
		return Claims{}, unauthorized(CodeTooLarge, fmt.Sprintf("token longer than %d bytes", t.cfg.MaxTokenBytes))
	}
	var kid string
	w := &wireClaims{}
	tok, err := t.parser.ParseWithClaims(raw, w, func(tok *jwt.Token) (any, error) {
		id, _ := tok.Header["kid"].(string)
		kid = id
		k, ok := t.keys.VerificationKey(id)
		if !ok || id == "" {
			return nil, unauthorized(CodeBadSignature, "token signed with an unknown key")
		}
		if !k.RetireAt.IsZero() && t.now().After(k.RetireAt) {
			return nil, unauthorized(CodeBadSignature, "token signed with a retired key")
		}
		// The key decides the algorithm, never the token: an HS256 token
		// naming an Ed25519 key is refused here.
		if string(k.Alg) != tok.Method.Alg() {
			return nil, unauthorized(CodeAlgNotAllowed, "token algorithm does not match its key")
		}
		switch k.Alg {
		case EdDSA:
			return k.Public, nil
		case HS256:
			return k.Secret, nil
		}
		return nil, unauthorized(CodeAlgNotAllowed, "token algorithm not allowed")
	})
	if err != nil {
		return Claims{}, t.classify(tok, err)
	}
	if w.Subject == "" || w.ID == "" {
		return Claims{}, unauthorized(CodeMalformed, "token lacks a subject or an id")
	}
	if t.revoked != nil && t.revoked(w.ID) {
		return Claims{}, unauthorized(CodeRevoked, "token has been revoked; sign in again")
	}
	if t.void != nil {
		if cut := t.void(w.Subject); !cut.IsZero() && !w.issued().After(cut) {
			return Claims{}, unauthorized(CodeRevoked, "your account changed since this token was issued; sign in again")
		}
	}
	return w.claims(kid), nil
}

// classify turns a jwt error into a stable code.
func (t *Tokens) classify(tok *jwt.Token, err error) error {
	var de *distrisearch.Error
	if errors.As(err, &de) {
		return de
	}
	switch {
	case errors.Is(err, jwt.ErrTokenMalformed):
		return unauthorized(CodeMalformed, "token is malformed")
	case errors.Is(err, jwt.ErrTokenUnverifiable):
		// An algorithm the library does not know (or none at all).
		return unauthorized(CodeAlgNotAllowed, "token algorithm not allowed")
	case errors.Is(err, jwt.ErrTokenSignatureInvalid):
		if tok != nil && tok.Method != nil && !t.cfg.allows(Alg(tok.Method.Alg())) {
			return unauthorized(CodeAlgNotAllowed, "token algorithm not allowed")
		}
		return unauthorized(CodeBadSignature, "token signature is invalid")
	case errors.Is(err, jwt.ErrTokenExpired):
		return unauthorized(CodeExpired, "token has expired; sign in again")
	case errors.Is(err, jwt.ErrTokenNotValidYet), errors.Is(err, jwt.ErrTokenUsedBeforeIssued):
		return unauthorized(CodeNotYetValid, "token is not valid yet")
	case errors.Is(err, jwt.ErrTokenInvalidIssuer):
		return unauthorized(CodeBadIssuer, "token was issued by someone else")
	}
	return unauthorized(CodeMalformed, "token is invalid")
}
