package cluster

import (
	"errors"
	"fmt"

	"github.com/distrisearch/distrisearch"
)

// Protocol errors. They are *distrisearch.Error values, so the API maps them
// to HTTP statuses by kind; compare with errors.Is.
var (
	ErrNotLeader      = &distrisearch.Error{Kind: distrisearch.KindUnavailable, Code: "not_leader", Message: "this node is not the leader"}
	ErrNoLeader       = &distrisearch.Error{Kind: distrisearch.KindUnavailable, Code: "no_leader", Message: "the cluster has no reachable leader"}
	ErrLockHeld       = &distrisearch.Error{Kind: distrisearch.KindConflict, Code: "lock_held", Message: "the lock is held by another owner"}
	ErrLockNotHeld    = &distrisearch.Error{Kind: distrisearch.KindConflict, Code: "lock_not_held", Message: "the lock is not held with this owner and token (expired or taken)"}
	ErrStaleFence     = &distrisearch.Error{Kind: distrisearch.KindConflict, Code: "stale_fencing_token", Message: "the fencing token is older than one already seen"}
	ErrUnknownMember  = &distrisearch.Error{Kind: distrisearch.KindNotFound, Code: "unknown_member", Message: "no such member"}
	ErrBadJoinToken   = &distrisearch.Error{Kind: distrisearch.KindUnauthorized, Code: "bad_join_token", Message: "the join token is unknown, wrong or expired"}
	ErrInvalid        = &distrisearch.Error{Kind: distrisearch.KindInvalid, Code: "invalid_cluster_request", Message: "invalid request"}
	ErrNotInitDone    = &distrisearch.Error{Kind: distrisearch.KindUnavailable, Code: "cluster_not_initialised", Message: "the cluster metadata is not initialised yet"}
	ErrUnknownOutcome = &distrisearch.Error{Kind: distrisearch.KindUnavailable, Code: "unknown_outcome", Message: "the request may or may not have been applied"}
	ErrClosed         = &distrisearch.Error{Kind: distrisearch.KindUnavailable, Code: "node_closed", Message: "the cluster node is closed"}
)

// Errors of users, token keys, revocations and the share registry. The API
// shows their codes to clients; the message of the error returned (see
// detail) says what exactly was wrong, and errors.Is still finds the
// sentinel.
var (
	ErrBadUsername    = &distrisearch.Error{Kind: distrisearch.KindInvalid, Code: "bad_username", Message: "a username has 1 to 64 characters: letters, digits and . _ @ -, starting with a letter or digit"}
	ErrBadPassword    = &distrisearch.Error{Kind: distrisearch.KindInvalid, Code: "bad_password", Message: "a password needs at least 8 characters and at most 72 bytes"}
	ErrBadRole        = &distrisearch.Error{Kind: distrisearch.KindInvalid, Code: "bad_role", Message: "unknown role"}
	ErrBadGroup       = &distrisearch.Error{Kind: distrisearch.KindInvalid, Code: "bad_group", Message: "a group name has 1 to 64 characters: letters, digits and . _ @ -, starting with a letter or digit"}
	ErrUserExists     = &distrisearch.Error{Kind: distrisearch.KindConflict, Code: "user_exists", Message: "a user with this username exists"}
	ErrUserNotFound   = &distrisearch.Error{Kind: distrisearch.KindNotFound, Code: "user_not_found", Message: "no such user"}
	ErrLastAdmin      = &distrisearch.Error{Kind: distrisearch.KindConflict, Code: "last_admin", Message: "the last enabled administrator cannot lose the admin role or be disabled"}
	ErrBadCredentials = &distrisearch.Error{Kind: distrisearch.KindUnauthorized, Code: "bad_credentials", Message: "wrong username or password"}
	ErrBadRevocation  = &distrisearch.Error{Kind: distrisearch.KindInvalid, Code: "bad_revocation", Message: "a revocation needs a token id and the token's expiry, at most 48 h ahead"}
	ErrBadRetireAt    = &distrisearch.Error{Kind: distrisearch.KindInvalid, Code: "bad_retire_at", Message: "the old key's retire time is required and may be at most 30 days ahead"}
	ErrTooManyKeys    = &distrisearch.Error{Kind: distrisearch.KindConflict, Code: "too_many_token_keys", Message: "too many token keys are kept; wait until older keys retire"}
	ErrNoTokenKey     = &distrisearch.Error{Kind: distrisearch.KindUnavailable, Code: "no_token_key", Message: "the cluster has no token signing key yet"}
	ErrBadShare       = &distrisearch.Error{Kind: distrisearch.KindInvalid, Code: "bad_share", Message: "invalid share list: at most 256 shares with unique names of 1 to 64 letters, digits and . _ -, each with at most 64 roles and 64 groups of 1 to 64 bytes"}
)

// detailed lists the sentinels whose forwarded message is the whole
// sentence to show, not a suffix to their own message.
var detailed = map[string]bool{}

// detail returns an error with base's kind and code and a specific message;
// errors.Is(err, base) holds.
func detail(base *distrisearch.Error, format string, args ...any) error {
	return &distrisearch.Error{Kind: base.Kind, Code: base.Code, Message: fmt.Sprintf(format, args...), Err: base}
}

// errByCode lets a forwarded call's error come back as the same sentinel.
var errByCode = map[string]*distrisearch.Error{}

func init() {
	for _, e := range []*distrisearch.Error{ErrNotLeader, ErrNoLeader, ErrLockHeld, ErrLockNotHeld, ErrStaleFence, ErrUnknownMember, ErrBadJoinToken, ErrInvalid, ErrNotInitDone, ErrClosed, ErrUnknownOutcome} {
		errByCode[e.Code] = e
	}
	for _, e := range []*distrisearch.Error{ErrBadUsername, ErrBadPassword, ErrBadRole, ErrBadGroup, ErrUserExists, ErrUserNotFound, ErrLastAdmin, ErrBadCredentials, ErrBadRevocation, ErrBadRetireAt, ErrTooManyKeys, ErrNoTokenKey, ErrBadShare} {
		errByCode[e.Code] = e
		detailed[e.Code] = true
	}
}

// codeOf returns the code of a cluster sentinel in err's chain, or "".
func codeOf(err error) string {
	var e *distrisearch.Error
	if errors.As(err, &e) {
		if _, ok := errByCode[e.Code]; ok {
			return e.Code
		}
	}
	return ""
}
