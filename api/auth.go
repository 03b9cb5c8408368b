package api

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"time"

	ds "github.com/distrisearch/distrisearch"
	"github.com/distrisearch/distrisearch/audit"
	"github.com/distrisearch/distrisearch/auth/rbac"
	"github.com/distrisearch/distrisearch/auth/token"
)

// Accounts is what the API needs of the user directory, which lives in the
// control plane's replicated state.
type Accounts interface {
	// Authenticate checks a password. Unknown users, wrong passwords and
	// disabled accounts fail alike, with KindUnauthorized.
	Authenticate(ctx context.Context, username, password string) (User, error)
	ListUsers(ctx context.Context) ([]User, error)
	AddUser(ctx context.Context, u NewUser) (User, error)
	UpdateUser(ctx context.Context, username string, ch UserChange) (User, error)
	// RevokeToken makes a token id invalid on every node until exp.
	RevokeToken(ctx context.Context, jti string, exp time.Time) error
	// RotateTokenKey starts signing with a new key; the previous one
	// verifies until retireAt.
	RotateTokenKey(ctx context.Context, retireAt time.Time) (kid string, err error)
}

// User is an account as the API shows it: never with its password hash.
type User struct {
	ID        string    `json:"id"`
	Username  string    `json:"username"`
	Roles     []string  `json:"roles"`
	Groups    []string  `json:"groups"`
	Disabled  bool      `json:"disabled"`
	CreatedAt time.Time `json:"created_at,omitzero"`
	UpdatedAt time.Time `json:"updated_at,omitzero"`
}

// NewUser is the body of POST /api/users.
type NewUser struct {
	Username string   `json:"username"`
	Password string   `json:"password"`
	Roles    []string `json:"roles"`
	Groups   []string `json:"groups"`
}

// UserChange is the body of PATCH /api/users/{username}: absent fields
// are left alone.
type UserChange struct {
	Password *string   `json:"password,omitempty"`
	Roles    *[]string `json:"roles,omitempty"`
	Groups   *[]string `json:"groups,omitempty"`
	Disabled *bool     `json:"disabled,omitempty"`
}

// Principal is who makes a request: a signed-in user, or the anonymous
// guest when the operator enabled anonymous search.
type Principal struct {
	UserID    string
	Username  string
	Roles     []string
	Groups    []string
	TokenID   string
	ExpiresAt time.Time
}

// Anonymous reports whether the request carried no token.
func (p *Principal) Anonymous() bool { return p.UserID == "" }

type principalKey struct{}

// PrincipalFrom returns the principal of a request that passed the guard.
func PrincipalFrom(ctx context.Context) (*Principal, bool) {
	p, ok := ctx.Value(principalKey{}).(*Principal)
	return p, ok
}

// MaxLoginBodyBytes bounds a login request.
const MaxLoginBodyBytes = 4 << 10

// guard wraps the handler of one route: it authenticates the caller,
// applies the per-user rate limit and checks the route's permission. A
// public route is served as it is (the per-address limit in ServeHTTP
// still applies). 401 means "who are you?" (no token, or a bad one); 403
// means the token is good but its roles lack the permission.
func (s *Server) guard(perm rbac.Permission, h http.HandlerFunc) http.HandlerFunc {
	if perm == rbac.Public {
		return func(w http.ResponseWriter, r *http.Request) {
			if s.allowAddress(w, r) {
				h(w, r)
			}
		}
	}
	return func(w http.ResponseWriter, r *http.Request) {
		p, err := s.authenticate(r)
		if err != nil {
			if !s.allowAddress(w, r) {
				return
			}
			s.unauthorized(w, r, err)
			return
		}
		if p.Anonymous() {
			if !s.allowAddress(w, r) {
				return
			}
		} else if ok, retry := s.limits.PerUser.Allow("user:"+p.UserID, s.cfg.Now()); !ok {
			s.tooMany(w, r, "user", retry)
			return
		}
		if !permits(p, perm) {
			if p.Anonymous() {
				s.unauthorized(w, r, ds.Errorf(ds.KindUnauthorized, token.CodeMissing, "sign in: this needs a bearer token (POST /api/auth/login)"))
				return
			}
			s.writeError(w, r, ds.Errorf(ds.KindForbidden, "forbidden", "your roles do not allow %s", perm))
			return
		}
		h(w, r.WithContext(context.WithValue(r.Context(), principalKey{}, p)))
	}
}

func permits(p *Principal, perm rbac.Permission) bool {
	if perm == rbac.Authenticated {
		return !p.Anonymous()
	}
	return rbac.Allowed(p.Roles, perm)
}

// allowAddress applies the per-address limit to a request that has no
// valid token; it answers 429 and returns false when the limit is spent.
func (s *Server) allowAddress(w http.ResponseWriter, r *http.Request) bool {
	key, ok := s.clientIP(r)
	if !ok {
		return true
	}
	if ok, retry := s.limits.PerIP.Allow(key, s.cfg.Now()); !ok {
		s.tooMany(w, r, "ip", retry)
		return false
	}
	return true
}

// authenticate returns the caller's principal from the bearer token, or
// the guest when there is no token and anonymous search is on.
func (s *Server) authenticate(r *http.Request) (*Principal, error) {
	hdr := r.Header.Values("Authorization")
	if len(hdr) == 0 && s.cfg.AnonymousSearch {
		return &Principal{Roles: []string{rbac.RoleGuest}}, nil
	}
	if len(hdr) > 1 {
		return nil, ds.Errorf(ds.KindUnauthorized, token.CodeMalformed, "send one Authorization header")
	}
	var h string
	if len(hdr) == 1 {
		h = hdr[0]
	}
	raw, err := token.FromHeader(h)
	if err != nil {
		return nil, err
	}
	c, err := s.cfg.Tokens.Verify(raw)
	if err != nil {
		return nil, err
	}
	return &Principal{UserID: c.Subject, Username: c.Username, Roles: c.Roles, Groups: c.Groups,
		TokenID: c.ID, ExpiresAt: c.ExpiresAt}, nil
}

func (s *Server) unauthorized(w http.ResponseWriter, r *http.Request, err error) {
	if ds.KindOf(err) != ds.KindUnauthorized {
		s.writeError(w, r, err)
		return
	}
	w.Header().Set("WWW-Authenticate", `Bearer realm="distrisearch"`)
	s.writeError(w, r, err)
}

// LoginResponse is the answer to POST /api/auth/login.
type LoginResponse struct {
	Token     string    `json:"token"`
	TokenType string    `json:"token_type"`
	ExpiresAt time.Time `json:"expires_at"`
	User      User      `json:"user"`
}

var errBadCredentials = ds.Errorf(ds.KindUnauthorized, "bad_credentials", "wrong username or password")

// handleLogin checks a password and issues a token. Attempts are limited
// per client address and per username before the password is checked, and
// every outcome is audited. An unknown user, a wrong password and a
// disabled account get the same answer.
func (s *Server) handleLogin(w http.ResponseWriter, r *http.Request) {
	var body struct {
		Username string `json:"username"`
		Password string `json:"password"`
	}
	if err := decodeJSON(w, r, &body, MaxLoginBodyBytes); err != nil {
		s.writeError(w, r, err)
		return
	}
	if body.Username == "" || body.Password == "" {
		s.writeError(w, r, ds.Errorf(ds.KindInvalid, "bad_request", "username and password are required"))
		return
	}
	now := s.cfg.Now()
	ip, _ := s.clientIP(r)
	for _, key := range []string{"ip:" + ip, "user:" + strings.ToLower(body.Username)} {
		if ok, retry := s.limits.Login.Allow(key, now); !ok {
			s.audit(r, audit.Entry{Username: body.Username, Action: audit.ActionLoginFailure,
				Resource: "user:" + body.Username, Result: audit.ResultDenied, Details: map[string]string{"reason": "rate_limited"}})
			s.tooMany(w, r, "login", retry)
			return
		}
	}
	u, err := s.cfg.Accounts.Authenticate(r.Context(), body.Username, body.Password)
	if err != nil {
		if ds.KindOf(err) == ds.KindUnauthorized {
			s.audit(r, audit.Entry{Username: body.Username, Action: audit.ActionLoginFailure,
				Resource: "user:" + body.Username, Result: audit.ResultFailure})
			err = errBadCredentials
		}
		s.unauthorized(w, r, err)
		return
	}
	tok, claims, err := s.cfg.Tokens.IssueWithGroups(u.ID, u.Username, u.Roles, u.Groups)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	s.audit(r, audit.Entry{UserID: u.ID, Username: u.Username, Action: audit.ActionLoginSuccess,
		Resource: "user:" + u.Username, Result: audit.ResultSuccess})
	u.Groups = nonNil(u.Groups)
	u.Roles = nonNil(u.Roles)
	writeJSON(w, http.StatusOK, LoginResponse{Token: tok, TokenType: "Bearer", ExpiresAt: claims.ExpiresAt.UTC(), User: u})
}

// handleLogout revokes the caller's token on every node.
func (s *Server) handleLogout(w http.ResponseWriter, r *http.Request) {
	p, _ := PrincipalFrom(r.Context())
	if err := s.cfg.Accounts.RevokeToken(r.Context(), p.TokenID, p.ExpiresAt); err != nil {
		s.writeError(w, r, err)
		return
	}
	s.audit(r, audit.Entry{Action: audit.ActionLogout, Resource: "user:" + p.Username, Result: audit.ResultSuccess})
	writeJSON(w, http.StatusOK, map[string]string{"status": "logged_out"})
}

// Identity is GET /api/auth/me: what the caller's token says.
type Identity struct {
	ID        string    `json:"id"`
	Username  string    `json:"username"`
	Roles     []string  `json:"roles"`
	Groups    []string  `json:"groups"`
	ExpiresAt time.Time `json:"expires_at"`
}

// handleMe tells the caller who the token says they are.
func (s *Server) handleMe(w http.ResponseWriter, r *http.Request) {
	p, _ := PrincipalFrom(r.Context())
	writeJSON(w, http.StatusOK, Identity{ID: p.UserID, Username: p.Username,
		Roles: nonNil(p.Roles), Groups: nonNil(p.Groups), ExpiresAt: p.ExpiresAt.UTC()})
}

// handleRotateKey makes a new token signing key current. Tokens signed
// with the previous key keep working until they expire.
//
// ?retire=now retires the previous key at once instead (after a leak):
// every token it signed is refused from then on.
func (s *Server) handleRotateKey(w http.ResponseWriter, r *http.Request) {
	retire := s.cfg.Now().Add(s.tokenTTL + s.tokenLeeway)
	switch v := r.URL.Query().Get("retire"); v {
	case "":
	case "now":
		retire = s.cfg.Now()
	default:
		s.writeError(w, r, ds.Errorf(ds.KindInvalid, "bad_parameter", "retire must be \"now\" or absent"))
		return
	}
	kid, err := s.cfg.Accounts.RotateTokenKey(r.Context(), retire)
	s.audit(r, audit.Entry{Action: audit.ActionKeyRotate, Resource: "token-key:" + kid, Result: resultOf(err)})
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"kid": kid, "previous_retires_at": retire.UTC()})
}

func nonNil(xs []string) []string {
	if xs == nil {
		return []string{}
	}
	return xs
}

func resultOf(err error) audit.Result {
	switch {
	case err == nil:
		return audit.ResultSuccess
	case ds.KindOf(err) == ds.KindForbidden || ds.KindOf(err) == ds.KindUnauthorized:
		return audit.ResultDenied
	}
	return audit.ResultFailure
}

var errNoAccounts = errors.New("api: Accounts and Tokens are required")
