package cluster

import (
	"context"
	"encoding/json"
	"regexp"
	"slices"
	"unicode"
	"unicode/utf8"

	"github.com/distrisearch/distrisearch/transport/pki"
)

// The share registry: every node's shared folders and their access rules,
// in the Raft state, so that any node knows them even while their node is
// down. Each node writes only its own entry (SetShares); the cluster records
// the rules, the node that holds a share enforces them.

// Limits on a node's entry in the share registry.
const (
	MaxShares         = 256 // shares per node
	MaxShareNameBytes = 64  // a share name: 1 to 64 of A-Z a-z 0-9 . _ -
	MaxShareRoles     = 64  // distinct roles per share
	MaxShareGroups    = 64  // distinct groups per share
	MaxShareACLBytes  = 64  // bytes of one role or group name
)

// Share is a folder a node shares, as the cluster metadata records it.
// Roles and Groups restrict who may see it: a user holding one of the
// roles or belonging to one of the groups. Both empty: no restriction
// beyond the right to read files.
type Share struct {
	Name   string   `json:"name"`
	Roles  []string `json:"roles,omitempty"`
	Groups []string `json:"groups,omitempty"`
}

// sharesCmd replaces node Node's entry of the share registry.
type sharesCmd struct {
	Node   string  `json:"node"`
	Shares []Share `json:"shares"`
}

var shareNameRE = regexp.MustCompile(`^[A-Za-z0-9._-]{1,64}$`)

// SetShares replaces this node's entry of the share registry with shares.
// The order of shares, roles and groups does not matter: the registry keeps
// them sorted, roles and groups without duplicates. When the committed
// entry already equals shares nothing is written, so a node may call it at
// every start. The node must be a registered member (see WaitReady).
// Errors: ErrBadShare (invalid input), ErrUnknownMember (not registered,
// or left), or the cluster's availability errors.
func (n *Node) SetShares(ctx context.Context, shares []Share) error {
	norm, err := normalizeShares(shares)
	if err != nil {
		return err
	}
	// One at a time: the leader compares each call with the committed entry,
	// which must include this node's previous call.
	n.sharesMu.Lock()
	defer n.sharesMu.Unlock()
	_, err = n.apply(ctx, opShares, sharesCmd{Node: n.id, Shares: norm})
	return err
}

// SharesOf returns a copy of the shares node nodeID last reported, sorted by
// name; nil if it has reported none.
func (v *View) SharesOf(nodeID string) []Share {
	l, ok := v.Shares[nodeID]
	if !ok || len(l) == 0 {
		return nil
	}
	return cloneShares(l)
}

// normalizeShares checks shares against the limits and returns a copy
// sorted by name, each share's roles and groups sorted without duplicates
// (nil when empty).
func normalizeShares(in []Share) ([]Share, error) {
	if len(in) > MaxShares {
		return nil, detail(ErrBadShare, "a node may have at most %d shares (%d given)", MaxShares, len(in))
	}
	out := make([]Share, 0, len(in))
	for _, s := range in {
		if !shareNameRE.MatchString(s.Name) {
			return nil, detail(ErrBadShare, "share %q: a share name has 1 to %d characters: letters, digits and . _ -", clip(s.Name), MaxShareNameBytes)
		}
		roles, err := normalizeACL(s.Name, "role", s.Roles, MaxShareRoles)
		if err != nil {
			return nil, err
		}
		groups, err := normalizeACL(s.Name, "group", s.Groups, MaxShareGroups)
		if err != nil {
			return nil, err
		}
		out = append(out, Share{Name: s.Name, Roles: roles, Groups: groups})
	}
	slices.SortFunc(out, func(a, b Share) int { return cmpStr(a.Name, b.Name) })
	for i := 1; i < len(out); i++ {
		if out[i].Name == out[i-1].Name {
			return nil, detail(ErrBadShare, "share %q is listed twice", out[i].Name)
		}
	}
	return out, nil
}

// normalizeACL checks one share's roles or groups (kind) and returns them
// sorted without duplicates, nil when empty. A name is 1 to
// MaxShareACLBytes bytes of printable UTF-8: the registry must survive its
// JSON encoding unchanged.
func normalizeACL(share, kind string, names []string, limit int) ([]string, error) {
	for _, s := range names {
		if s == "" || len(s) > MaxShareACLBytes || !printable(s) {
			return nil, detail(ErrBadShare, "share %q: %s %q: a %s name has 1 to %d bytes of printable UTF-8", share, kind, clip(s), kind, MaxShareACLBytes)
		}
	}
	out := slices.Compact(slices.Sorted(slices.Values(names)))
	if len(out) > limit {
		return nil, detail(ErrBadShare, "share %q: at most %d %ss (%d given)", share, limit, kind, len(out))
	}
	if len(out) == 0 {
		return nil, nil
	}
	return out, nil
}

func printable(s string) bool {
	if !utf8.ValidString(s) {
		return false
	}
	for _, r := range s {
		if !unicode.IsPrint(r) {
			return false
		}
	}
	return true
}

// sharesEqual compares two normalised share lists.
func sharesEqual(a, b []Share) bool {
	return slices.EqualFunc(a, b, func(x, y Share) bool {
		return x.Name == y.Name && slices.Equal(x.Roles, y.Roles) && slices.Equal(x.Groups, y.Groups)
	})
}

func cloneShares(in []Share) []Share {
	out := make([]Share, len(in))
	for i, s := range in {
		out[i] = Share{Name: s.Name, Roles: slices.Clone(s.Roles), Groups: slices.Clone(s.Groups)}
	}
	return out
}

// applyShares replaces a member's entry. It checks and normalises the
// list again: a forwarded command is not trusted to be well formed.
func (s *state) applyShares(p sharesCmd) result {
	if !pki.ValidNodeID(p.Node) {
		return failed(ErrInvalid, "a share list needs a node id")
	}
	if m := s.Members[p.Node]; m == nil || m.Status == StatusLeft {
		return failed(ErrUnknownMember, p.Node)
	}
	norm, err := normalizeShares(p.Shares)
	if err != nil {
		return failed(ErrBadShare, err.Error())
	}
	if s.Shares == nil {
		s.Shares = map[string][]Share{}
	}
	s.Shares[p.Node] = norm
	return result{}
}

// sharesView returns a deep copy of the registry, nil when it is empty.
func (s *state) sharesView() map[string][]Share {
	if len(s.Shares) == 0 {
		return nil
	}
	out := make(map[string][]Share, len(s.Shares))
	for id, l := range s.Shares {
		out[id] = cloneShares(l)
	}
	return out
}

// unchanged reports whether the state machine would apply c without
// changing anything, so the leader need not commit it: a share list equal
// to the committed entry of a current member. The answer is the state's
// index then. Anything the state machine would refuse is not unchanged: it
// is committed and refused there, with the state machine's error.
func (f *fsm) unchanged(c command) (result, bool) {
	if c.Op != opShares || c.V != commandVersion {
		return result{}, false
	}
	var p sharesCmd
	if err := json.Unmarshal(c.Data, &p); err != nil {
		return result{}, false
	}
	norm, err := normalizeShares(p.Shares)
	if err != nil {
		return result{}, false
	}
	f.mu.RLock()
	defer f.mu.RUnlock()
	if m := f.st.Members[p.Node]; m == nil || m.Status == StatusLeft {
		return result{}, false
	}
	cur, ok := f.st.Shares[p.Node]
	if !ok || !sharesEqual(cur, norm) {
		return result{}, false
	}
	return result{Index: f.st.Index}, true
}
