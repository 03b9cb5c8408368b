package client

import (
	"context"
	"net/http"
	"net/url"
	"time"

	"github.com/distrisearch/distrisearch/api"
)

// The wire types are the server's own (package api).
type (
	// User is an account as the API shows it (never its password).
	User = api.User
	// Session is a successful login: a bearer token and whom it speaks for.
	Session = api.LoginResponse
	// NewUser is an account to create.
	NewUser = api.NewUser
	// UserUpdate changes the fields that are set and leaves the others
	// alone. An empty, non-nil Roles or Groups clears them.
	UserUpdate = api.UserChange
	// Identity is what the server knows of the caller's token
	// (GET /api/auth/me).
	Identity = api.Identity
)

// KeyRotation is the answer to a signing key rotation.
type KeyRotation struct {
	KID string `json:"kid"`
	// PreviousRetiresAt is when tokens signed by the previous key stop
	// being accepted.
	PreviousRetiresAt time.Time `json:"previous_retires_at"`
}

// Login exchanges a username and password for a token, which the client
// sends from then on. Wrong credentials are a KindUnauthorized error with
// code "bad_credentials"; too many attempts KindRateLimited.
func (c *Client) Login(ctx context.Context, username, password string) (Session, error) {
	var s Session
	err := c.sendJSON(ctx, http.MethodPost, "/api/auth/login", map[string]string{"username": username, "password": password}, &s)
	if err != nil {
		return Session{}, err
	}
	c.Token = s.Token
	return s, nil
}

// Logout revokes the client's token everywhere in the cluster and forgets
// it.
func (c *Client) Logout(ctx context.Context) error {
	if err := c.sendJSON(ctx, http.MethodPost, "/api/auth/logout", nil, nil); err != nil {
		return err
	}
	c.Token = ""
	return nil
}

// Me returns who the client's token speaks for.
func (c *Client) Me(ctx context.Context) (Identity, error) {
	var id Identity
	err := c.sendJSON(ctx, http.MethodGet, "/api/auth/me", nil, &id)
	return id, err
}

// ListUsers returns every account (admin only).
func (c *Client) ListUsers(ctx context.Context) ([]User, error) {
	var out struct {
		Users []User `json:"users"`
	}
	err := c.sendJSON(ctx, http.MethodGet, "/api/users", nil, &out)
	return out.Users, err
}

// AddUser creates an account (admin only). An existing username is a
// KindConflict error with code "user_exists".
func (c *Client) AddUser(ctx context.Context, u NewUser) (User, error) {
	if u.Roles == nil {
		u.Roles = []string{}
	}
	if u.Groups == nil {
		u.Groups = []string{}
	}
	var out User
	err := c.sendJSON(ctx, http.MethodPost, "/api/users", u, &out)
	return out, err
}

// UpdateUser changes an account (admin only) and returns it as it is now.
func (c *Client) UpdateUser(ctx context.Context, username string, u UserUpdate) (User, error) {
	var out User
	err := c.sendJSON(ctx, http.MethodPatch, "/api/users/"+url.PathEscape(username), u, &out)
	return out, err
}

// RotateTokenKey makes the cluster sign new tokens with a new key (admin
// only); tokens signed by the previous one stay valid until it retires.
func (c *Client) RotateTokenKey(ctx context.Context) (KeyRotation, error) {
	var out KeyRotation
	err := c.sendJSON(ctx, http.MethodPost, "/api/auth/keys/rotate", nil, &out)
	return out, err
}

// RotateTokenKeyRetireNow rotates and retires the previous key at once:
// every token it signed, the caller's included, is refused from now on
// (after a key leak).
func (c *Client) RotateTokenKeyRetireNow(ctx context.Context) (KeyRotation, error) {
	var out KeyRotation
	hr, err := c.newRequest(ctx, http.MethodPost, "/api/auth/keys/rotate", url.Values{"retire": {"now"}}, nil)
	if err != nil {
		return out, err
	}
	return out, c.do(hr, &out)
}
