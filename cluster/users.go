package cluster

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"time"

	"golang.org/x/crypto/bcrypt"
)

// User is an account of the cluster, kept in the Raft state. The password
// is kept only as a bcrypt hash, which only voters hold: every User this
// package returns to callers has PasswordHash nil, except UserByName.
type User struct {
	ID           string    `json:"id"`
	Username     string    `json:"username"`
	PasswordHash []byte    `json:"password_hash,omitempty"`
	Roles        []string  `json:"roles"`
	Groups       []string  `json:"groups,omitempty"`
	Disabled     bool      `json:"disabled,omitempty"`
	CreatedAt    time.Time `json:"created_at"`
	UpdatedAt    time.Time `json:"updated_at,omitzero"`
}

// public returns a copy of u without its password hash.
func (u User) public() *User {
	u.PasswordHash = nil
	u.Roles = slices.Clone(u.Roles)
	u.Groups = slices.Clone(u.Groups)
	return &u
}

// AdminUsername is the name of the first administrator, created by Init.
const AdminUsername = "admin"

// bcryptCost: about 200 ms per check here; logins are rate-limited.
const bcryptCost = 10

// MaxPasswordBytes is bcrypt's limit: longer passwords are refused rather
// than silently cut.
const MaxPasswordBytes = 72

// HashPassword returns the bcrypt hash of a password, refusing empty,
// short and over-long ones with a message a person can act on.
// The error is ErrBadPassword with the rule broken.
func HashPassword(password string) ([]byte, error) {
	if err := checkPassword(password); err != nil {
		return nil, err
	}
	h, err := bcrypt.GenerateFromPassword([]byte(password), bcryptCost)
	if err != nil {
		return nil, fmt.Errorf("hash password: %w", err)
	}
	return h, nil
}

// CheckPassword reports whether password matches the user's hash.
func (u User) CheckPassword(password string) bool {
	if len(password) > MaxPasswordBytes || len(u.PasswordHash) == 0 {
		return false
	}
	return bcrypt.CompareHashAndPassword(u.PasswordHash, []byte(password)) == nil
}

// generatePassword returns a random password of 20 characters without
// look-alike letters, about 113 bits.
func generatePassword() (string, error) {
	const alphabet = "abcdefghjkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789"
	b := make([]byte, 20)
	if _, err := rand.Read(b); err != nil {
		return "", err
	}
	for i := range b {
		b[i] = alphabet[int(b[i])%len(alphabet)]
	}
	return string(b), nil
}

// UserByName returns the user with that username from this node's copy of
// the metadata. Only voters hold it (the metadata members follow has no
// secrets), so a gateway asks a coordinator.
func (n *Node) UserByName(username string) (User, bool) {
	return n.fsm.user(username)
}

func (f *fsm) user(username string) (User, bool) {
	f.mu.RLock()
	defer f.mu.RUnlock()
	for _, u := range f.st.Users {
		if u.Username == username {
			c := *u
			c.Roles = append([]string(nil), u.Roles...)
			c.Groups = slices.Clone(u.Groups)
			c.PasswordHash = append([]byte(nil), u.PasswordHash...)
			return c, true
		}
	}
	return User{}, false
}

// UserChange changes some fields of a user; nil fields are left alone.
type UserChange struct {
	Password *string
	Roles    *[]string
	Groups   *[]string
	Disabled *bool
}

// AddUser creates a user. The password is hashed here, on the proposing
// node; only the hash is replicated. Errors: ErrBadUsername,
// ErrBadPassword, ErrBadRole, ErrBadGroup (invalid input), ErrUserExists
// (usernames are unique regardless of case), or the cluster's
// availability errors.
func (n *Node) AddUser(ctx context.Context, username, password string, roles, groups []string) (User, error) {
	roles, groups, err := checkUserFields(username, roles, groups)
	if err != nil {
		return User{}, err
	}
	hash, err := HashPassword(password)
	if err != nil {
		return User{}, err
	}
	u := User{ID: newUUID(), Username: username, PasswordHash: hash, Roles: roles, Groups: groups}
	r, err := n.apply(ctx, opUserAdd, userAddCmd{User: u})
	if err != nil {
		return User{}, err
	}
	return userOf(r)
}

// UpdateUser changes the fields of ch that are set. Errors:
// ErrUserNotFound, ErrLastAdmin (the change would leave no enabled
// administrator), the invalid-input errors of AddUser, or the cluster's
// availability errors.
func (n *Node) UpdateUser(ctx context.Context, username string, ch UserChange) (User, error) {
	if !ValidUsername(username) {
		return User{}, detail(ErrUserNotFound, "no user %q", clip(username))
	}
	cmd := userUpdateCmd{Username: username, Disabled: ch.Disabled}
	if ch.Roles != nil {
		r, err := checkRoles(*ch.Roles)
		if err != nil {
			return User{}, err
		}
		cmd.Roles = &r
	}
	if ch.Groups != nil {
		g, err := checkGroups(*ch.Groups)
		if err != nil {
			return User{}, err
		}
		cmd.Groups = &g
	}
	if ch.Password != nil {
		h, err := HashPassword(*ch.Password)
		if err != nil {
			return User{}, err
		}
		cmd.PasswordHash = h
	}
	r, err := n.apply(ctx, opUserUpdate, cmd)
	if err != nil {
		return User{}, err
	}
	return userOf(r)
}

func userOf(r result) (User, error) {
	if r.User == nil {
		return User{}, fmt.Errorf("%w: no user in the answer", ErrUnknownOutcome)
	}
	return *r.User.public(), nil
}

// ListUsers returns every user, without password hashes, sorted by
// username, as the leader holds them (forwarded there over mutual TLS from
// any other node).
func (n *Node) ListUsers(ctx context.Context) ([]User, error) {
	var out []User
	err := n.leaderCall(ctx, func() error {
		var e error
		out, e = n.listUsersLocal()
		return e
	}, http.MethodGet, pathUsers, nil, &out, true)
	if err != nil {
		return nil, err
	}
	if out == nil {
		out = []User{}
	}
	return out, nil
}

func (n *Node) listUsersLocal() ([]User, error) {
	if !n.IsLeader() {
		return nil, ErrNotLeader
	}
	n.fsm.mu.RLock()
	defer n.fsm.mu.RUnlock()
	return n.fsm.st.users(), nil
}

// dummyHash is a bcrypt hash (cost bcryptCost) of a password nobody uses.
// Authenticate checks a password against it when the user is unknown, so
// an unknown user costs as much time as a wrong password.
var dummyHash = []byte("$2a$10$Idm.BSfUGAbIt9iS5DQPvuhywZHB6V1ts66SluS/zYoo.hhprSzg2")

// Authenticate checks a username and password against the leader's copy of
// the users (this node's, if it leads; otherwise forwarded to the leader
// over mutual TLS), so a change committed before the call (a new password,
// a disabled account) counts. It returns the user without its hash. An
// unknown user, a wrong password and a disabled account all give
// ErrBadCredentials, in about the same time: an unknown user costs one
// bcrypt check too.
func (n *Node) Authenticate(ctx context.Context, username, password string) (User, error) {
	var u User
	err := n.leaderCall(ctx, func() error {
		var e error
		u, e = n.authenticateLocal(username, password)
		return e
	}, http.MethodPost, pathAuth, authRequest{Username: username, Password: password}, &u, true)
	if err != nil {
		return User{}, err
	}
	return u, nil
}

func (n *Node) authenticateLocal(username, password string) (User, error) {
	if !n.IsLeader() {
		return User{}, ErrNotLeader
	}
	u, ok := n.fsm.user(username)
	hash := u.PasswordHash
	if !ok || len(hash) == 0 {
		hash = dummyHash
	}
	pw, tooLong := password, len(password) > MaxPasswordBytes
	if tooLong {
		pw = "" // bcrypt refuses long passwords at once; compare anyway to take the same time
	}
	match := bcrypt.CompareHashAndPassword(hash, []byte(pw)) == nil
	if !ok || !match || tooLong || u.Disabled {
		return User{}, ErrBadCredentials
	}
	return *u.public(), nil
}

// authRequest is a login forwarded to the leader. It travels only over
// mutual TLS between members.
type authRequest struct {
	Username string `json:"username"`
	Password string `json:"password"`
}

func (n *Node) handleAuth(w http.ResponseWriter, r *http.Request) {
	var req authRequest
	if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, 4<<10)).Decode(&req); err != nil {
		n.writeErr(w, fmt.Errorf("%w: %v", ErrInvalid, err))
		return
	}
	u, err := n.authenticateLocal(req.Username, req.Password)
	if err != nil {
		n.writeErr(w, err)
		return
	}
	writeJSON(w, http.StatusOK, u)
}

func (n *Node) handleUsers(w http.ResponseWriter, r *http.Request) {
	users, err := n.listUsersLocal()
	if err != nil {
		n.writeErr(w, err)
		return
	}
	writeJSON(w, http.StatusOK, users)
}
