package cluster

import (
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/distrisearch/distrisearch/auth/rbac"
	"golang.org/x/crypto/bcrypt"
)

// The state machine's part of users, token keys and revocations. Like the
// rest of state, it is deterministic: the proposer hashes passwords and
// generates keys and ids; time is the command's.

// Limits on users, token keys and revocations.
const (
	MaxGroups = 64 // groups per user
	// MaxRevocationAhead bounds the revocation set: a token that expires
	// later than this cannot be revoked (tokens live 24 h by default).
	MaxRevocationAhead = 48 * time.Hour
	// RevocationGrace is how long a revocation is kept after its token
	// expired, to cover clock skew between gateways.
	RevocationGrace = time.Minute
	// MaxRetireAhead bounds how long a rotated-out key keeps verifying.
	MaxRetireAhead = 30 * 24 * time.Hour
	// MaxTokenKeys bounds the kept keys (the current one and those not
	// retired yet).
	MaxTokenKeys = 16
	maxJTIBytes  = 128
)

// nameRE is what usernames and group names look like.
var nameRE = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._@-]{0,63}$`)

// ValidUsername reports whether name is an acceptable username.
func ValidUsername(name string) bool { return nameRE.MatchString(name) }

// checkUserFields validates a username, roles and groups and returns the
// roles and groups sorted without duplicates.
func checkUserFields(username string, roles, groups []string) ([]string, []string, error) {
	if !ValidUsername(username) {
		return nil, nil, detail(ErrBadUsername, "username %q: a username has 1 to 64 characters: letters, digits and . _ @ -, starting with a letter or digit", clip(username))
	}
	r, err := checkRoles(roles)
	if err != nil {
		return nil, nil, err
	}
	g, err := checkGroups(groups)
	if err != nil {
		return nil, nil, err
	}
	return r, g, nil
}

func checkRoles(roles []string) ([]string, error) {
	for _, r := range roles {
		if !rbac.KnownRole(r) {
			return nil, detail(ErrBadRole, "unknown role %q (known: %s)", clip(r), strings.Join(rbac.Roles(), ", "))
		}
	}
	return sortedSet(roles), nil
}

func checkGroups(groups []string) ([]string, error) {
	for _, g := range groups {
		if !nameRE.MatchString(g) {
			return nil, detail(ErrBadGroup, "group %q: a group name has 1 to 64 characters: letters, digits and . _ @ -, starting with a letter or digit", clip(g))
		}
	}
	out := sortedSet(groups)
	if len(out) > MaxGroups {
		return nil, detail(ErrBadGroup, "a user may be in at most %d groups (%d given)", MaxGroups, len(out))
	}
	return out, nil
}

// checkPassword applies HashPassword's rules without hashing.
func checkPassword(password string) error {
	switch {
	case len(password) < 8:
		return detail(ErrBadPassword, "a password needs at least 8 characters")
	case len(password) > MaxPasswordBytes:
		return detail(ErrBadPassword, "a password may have at most %d bytes (it has %d)", MaxPasswordBytes, len(password))
	}
	return nil
}

// checkHash tells whether h looks like a bcrypt hash (it parses; no
// hashing is done).
func checkHash(h []byte) error {
	if _, err := bcrypt.Cost(h); err != nil {
		return fmt.Errorf("password hash: %v", err)
	}
	return nil
}

func sortedSet(in []string) []string {
	out := slices.Clone(in)
	slices.Sort(out)
	out = slices.Compact(out)
	if out == nil {
		out = []string{}
	}
	return out
}

// clip shortens what a caller sent before it is quoted in a message.
func clip(s string) string {
	if len(s) > 70 {
		return s[:64] + "…"
	}
	return s
}

// userByName returns the user with that username (exact match).
func (s *state) userByName(name string) *User {
	for _, u := range s.Users {
		if u.Username == name {
			return u
		}
	}
	return nil
}

// isActiveAdmin reports whether u is an enabled administrator.
func isActiveAdmin(u *User) bool {
	return !u.Disabled && slices.Contains(u.Roles, rbac.RoleAdmin)
}

func (s *state) applyUserAdd(p userAddCmd) result {
	u := p.User
	roles, groups, err := checkUserFields(u.Username, u.Roles, u.Groups)
	if err != nil {
		return failedDetail(err)
	}
	if u.ID == "" || len(u.ID) > 64 || s.Users[u.ID] != nil {
		return failed(ErrInvalid, "user id missing or already used")
	}
	if err := checkHash(u.PasswordHash); err != nil {
		return failed(ErrInvalid, err.Error())
	}
	// Usernames are unique regardless of case, so "Admin" cannot pose as
	// "admin"; logins match the exact name.
	for _, o := range s.Users {
		if strings.EqualFold(o.Username, u.Username) {
			return failedDetail(detail(ErrUserExists, "user %q exists", o.Username))
		}
	}
	u.Roles, u.Groups = roles, groups
	u.CreatedAt, u.UpdatedAt = s.Now, s.Now
	s.Users[u.ID] = &u
	return result{User: u.public()}
}

func (s *state) applyUserUpdate(p userUpdateCmd) result {
	u := s.userByName(p.Username)
	if u == nil {
		return failedDetail(detail(ErrUserNotFound, "no user %q", clip(p.Username)))
	}
	next := *u
	if p.PasswordHash != nil {
		if err := checkHash(p.PasswordHash); err != nil {
			return failed(ErrInvalid, err.Error())
		}
		next.PasswordHash = p.PasswordHash
	}
	if p.Roles != nil {
		r, err := checkRoles(*p.Roles)
		if err != nil {
			return failedDetail(err)
		}
		next.Roles = r
	}
	if p.Groups != nil {
		g, err := checkGroups(*p.Groups)
		if err != nil {
			return failedDetail(err)
		}
		next.Groups = g
	}
	if p.Disabled != nil {
		next.Disabled = *p.Disabled
	}
	if isActiveAdmin(u) && !isActiveAdmin(&next) && !s.otherActiveAdmin(u.ID) {
		return failedDetail(detail(ErrLastAdmin, "%q is the last enabled administrator: it cannot lose the admin role or be disabled", u.Username))
	}
	next.UpdatedAt = s.Now
	*u = next
	if p.PasswordHash != nil || p.Roles != nil || p.Groups != nil || (p.Disabled != nil && *p.Disabled) {
		// Tokens carry roles and groups, and a disabled account or a
		// changed password must end every session: void older tokens.
		if s.Cutoffs == nil {
			s.Cutoffs = map[string]time.Time{}
		}
		s.Cutoffs[u.ID] = s.Now
	}
	return result{User: u.public()}
}

func (s *state) otherActiveAdmin(id string) bool {
	for _, o := range s.Users {
		if o.ID != id && isActiveAdmin(o) {
			return true
		}
	}
	return false
}

// failedDetail turns an error made by detail into a result that comes back
// as the same error (code and message) on the proposer.
func failedDetail(err error) result {
	return result{Code: codeOf(err), Msg: err.Error()}
}

// applyTokenKey makes p.Key current; the previous current key verifies
// until p.RetireAt. A RetireAt that has passed retires every older key.
func (s *state) applyTokenKey(p tokenKeyCmd) result {
	if p.IfNone && s.CurrentKey != "" {
		return result{}
	}
	if err := p.Key.validate(); err != nil {
		return failed(ErrInvalid, err.Error())
	}
	if s.TokenKeys[p.Key.ID] != nil {
		return failed(ErrInvalid, "token key id already used")
	}
	if len(s.TokenKeys) >= MaxTokenKeys {
		return failedDetail(detail(ErrTooManyKeys, "%d token keys are kept; wait until older keys retire", len(s.TokenKeys)))
	}
	if s.TokenKeys == nil {
		s.TokenKeys = map[string]*TokenKey{}
	}
	if prev := s.TokenKeys[s.CurrentKey]; prev != nil {
		if p.RetireAt.IsZero() {
			return failedDetail(detail(ErrBadRetireAt, "the previous key's retire time is required"))
		}
		prev.RetireAt = p.RetireAt.UTC()
		if !p.RetireAt.After(s.Now) {
			// An emergency rotation (after a leak) retires every older key,
			// not only the last current one: none of them may verify again.
			for _, o := range s.TokenKeys {
				if o.RetireAt.IsZero() || o.RetireAt.After(prev.RetireAt) {
					o.RetireAt = prev.RetireAt
				}
			}
		}
	}
	k := p.Key
	k.CreatedAt, k.RetireAt = s.Now, time.Time{}
	s.TokenKeys[k.ID] = &k
	s.CurrentKey = k.ID
	return result{}
}

// pruneTokenKeys forgets keys whose retire time has passed (token.Verify
// still accepts a key at its retire time). The current key has none.
func (s *state) pruneTokenKeys() {
	for id, k := range s.TokenKeys {
		if id != s.CurrentKey && !k.RetireAt.IsZero() && s.Now.After(k.RetireAt) {
			delete(s.TokenKeys, id)
			s.touched |= partTokenKeys
		}
	}
}

func (s *state) applyRevoke(p tokenRevokeCmd) result {
	if p.JTI == "" || len(p.JTI) > maxJTIBytes || p.Exp.IsZero() {
		return failedDetail(detail(ErrBadRevocation, "a revocation needs a token id of 1 to %d bytes and the token's expiry", maxJTIBytes))
	}
	// A minute of slack over the proposer's check, for the clocks of the
	// proposer and the leader.
	if p.Exp.After(s.Now.Add(MaxRevocationAhead + time.Minute)) {
		return failedDetail(detail(ErrBadRevocation, "a token that expires more than %v ahead cannot be revoked", MaxRevocationAhead))
	}
	if s.Revoked == nil {
		s.Revoked = map[string]time.Time{}
	}
	exp := p.Exp.UTC()
	if old, ok := s.Revoked[p.JTI]; ok && old.After(exp) {
		exp = old
	}
	wasEmpty := len(s.Revoked) == 0
	s.Revoked[p.JTI] = exp
	if until := exp.Add(RevocationGrace); wasEmpty || (!s.revNext.IsZero() && until.Before(s.revNext)) {
		s.revNext = until
	}
	return result{}
}

// CutoffKept is how long a token cutoff is kept: past it, every token
// issued before the cutoff has expired anyway (tokens live 24 h).
const CutoffKept = MaxRevocationAhead

// pruneCutoffs forgets cutoffs older than CutoffKept.
func (s *state) pruneCutoffs() {
	for id, t := range s.Cutoffs {
		if s.Now.Sub(t) > CutoffKept {
			delete(s.Cutoffs, id)
			s.touched |= partRevoked
		}
	}
}

func (s *state) cutoffs() map[string]time.Time {
	if len(s.Cutoffs) == 0 {
		return nil
	}
	return maps.Clone(s.Cutoffs)
}

// pruneRevoked forgets revocations of tokens that expired more than
// RevocationGrace ago. It scans the set only when something is due.
func (s *state) pruneRevoked() {
	if len(s.Revoked) == 0 || (!s.revNext.IsZero() && !s.Now.After(s.revNext)) {
		return
	}
	var next time.Time
	for jti, exp := range s.Revoked {
		until := exp.Add(RevocationGrace)
		if s.Now.After(until) {
			delete(s.Revoked, jti)
			s.touched |= partRevoked
			continue
		}
		if next.IsZero() || until.Before(next) {
			next = until
		}
	}
	s.revNext = next
}

// users returns every user without password hashes, sorted by username.
func (s *state) users() []User {
	out := make([]User, 0, len(s.Users))
	for _, u := range s.Users {
		out = append(out, *u.public())
	}
	slices.SortFunc(out, func(a, b User) int { return cmpStr(a.Username, b.Username) })
	return out
}

func (s *state) tokenKeys() []TokenKey {
	out := make([]TokenKey, 0, len(s.TokenKeys))
	for _, k := range s.TokenKeys {
		out = append(out, *k)
	}
	slices.SortFunc(out, func(a, b TokenKey) int { return cmpStr(a.ID, b.ID) })
	return out
}

func (s *state) revoked() map[string]time.Time {
	if len(s.Revoked) == 0 {
		return nil
	}
	return maps.Clone(s.Revoked)
}
