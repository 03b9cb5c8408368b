package cluster

import (
	"errors"

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

// errByCode lets a forwarded call's error come back as the same sentinel.
var errByCode = map[string]*distrisearch.Error{}

func init() {
	for _, e := range []*distrisearch.Error{ErrNotLeader, ErrNoLeader, ErrLockHeld, ErrLockNotHeld, ErrStaleFence, ErrUnknownMember, ErrBadJoinToken, ErrInvalid, ErrNotInitDone, ErrClosed, ErrUnknownOutcome} {
		errByCode[e.Code] = e
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
