package cluster

import (
	"crypto/rand"
	"fmt"
	"time"

	"golang.org/x/crypto/bcrypt"
)

// User is an account of the cluster, kept in the Raft state so every
// coordinator can check a login. The password is kept only as a bcrypt hash.
type User struct {
	ID           string    `json:"id"`
	Username     string    `json:"username"`
	PasswordHash []byte    `json:"password_hash"`
	Roles        []string  `json:"roles"`
	Disabled     bool      `json:"disabled,omitempty"`
	CreatedAt    time.Time `json:"created_at"`
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
func HashPassword(password string) ([]byte, error) {
	switch {
	case len(password) < 8:
		return nil, fmt.Errorf("%w: a password needs at least 8 characters", ErrInvalid)
	case len(password) > MaxPasswordBytes:
		return nil, fmt.Errorf("%w: a password may have at most %d bytes (it has %d)", ErrInvalid, MaxPasswordBytes, len(password))
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
			c.PasswordHash = append([]byte(nil), u.PasswordHash...)
			return c, true
		}
	}
	return User{}, false
}
