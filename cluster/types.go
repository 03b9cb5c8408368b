package cluster

import (
	"slices"
	"time"
)

// Role is what a node does in the cluster. The elected leader is the
// coordinator whatever its configured role.
type Role string

// Roles.
const (
	RoleHybrid      Role = "HYBRID"      // worker + gateway (default)
	RoleWorker      Role = "WORKER"      // stores, indexes, scans
	RoleGateway     Role = "GATEWAY"     // entry point, routes, merges
	RoleCoordinator Role = "COORDINATOR" // holds metadata only; preferred voter
)

// Valid reports whether r is a known role.
func (r Role) Valid() bool {
	switch r {
	case RoleHybrid, RoleWorker, RoleGateway, RoleCoordinator:
		return true
	}
	return false
}

// MemberStatus is a member's liveness as agreed through Raft.
type MemberStatus string

// Statuses.
const (
	StatusAlive   MemberStatus = "ALIVE"
	StatusSuspect MemberStatus = "SUSPECT"
	StatusDead    MemberStatus = "DEAD"
	StatusLeft    MemberStatus = "LEFT"
)

// Health is a registered service's state.
type Health string

// Service health values.
const (
	HealthHealthy  Health = "HEALTHY"
	HealthDegraded Health = "DEGRADED"
	HealthDown     Health = "DOWN"
)

// Member is one node of the cluster as the metadata knows it.
type Member struct {
	ID            string       `json:"id"`
	RaftAddr      string       `json:"raft_addr"`
	InternalAddr  string       `json:"internal_addr"`
	HTTPAddr      string       `json:"http_addr,omitempty"`
	Role          Role         `json:"role"`
	Status        MemberStatus `json:"status"`
	Voter         bool         `json:"voter"`
	Standby       bool         `json:"standby,omitempty"` // a Raft non-voter kept as a warm standby
	LastHeartbeat time.Time    `json:"last_heartbeat"`
	Phi           float64      `json:"phi"`
	StatusSince   time.Time    `json:"status_since"`
	JoinedAt      time.Time    `json:"joined_at"`
}

// Service is an entry of the service registry; ID is "type:node:port".
type Service struct {
	ID        string    `json:"id"`
	Type      string    `json:"type"`
	NodeID    string    `json:"node_id"`
	Host      string    `json:"host"`
	Port      int       `json:"port"`
	Health    Health    `json:"health"`
	UpdatedAt time.Time `json:"updated_at"`
}

// ServiceID builds a service id: type:node:port.
func ServiceID(typ, nodeID string, port int) string {
	return typ + ":" + nodeID + ":" + itoa(port)
}

// Consistency levels for data-plane operations.
const (
	ConsistencyStrong   = "STRONG"
	ConsistencyQuorum   = "QUORUM"
	ConsistencyEventual = "EVENTUAL"
)

// ClusterConfig is the cluster-wide configuration fixed at init.
type ClusterConfig struct {
	ClusterID          string    `json:"cluster_id"`
	PartitionCount     int       `json:"partition_count"`
	ReplicationFactor  int       `json:"replication_factor"`
	DefaultConsistency string    `json:"default_consistency"`
	Voters             int       `json:"voters"`   // desired Raft voters: 3 or 5
	Standbys           int       `json:"standbys"` // Raft non-voters kept warm: 0, 1 or 2
	CreatedAt          time.Time `json:"created_at"`
}

// Lock is a lease held in the metadata. Token is its fencing token: the Raft
// index of the entry that granted it, so a later grant always has a larger
// token.
type Lock struct {
	Name       string    `json:"name"`
	Owner      string    `json:"owner"`
	Token      uint64    `json:"token"`
	AcquiredAt time.Time `json:"acquired_at"`
	ExpiresAt  time.Time `json:"expires_at"`
}

// LeaderInfo records the current leader. Fence is the Raft index of the
// entry in which it announced itself: every leader action carries it, and a
// later leader always has a larger one.
type LeaderInfo struct {
	ID    string    `json:"id"`
	Term  uint64    `json:"term"`
	Fence uint64    `json:"fence"`
	Since time.Time `json:"since"`
}

// View is an immutable copy of the public cluster metadata at one Raft
// index. Slices and maps are sorted by id or name and may be shared with
// other views: never modify them. The CA key, join token hashes and
// password hashes are never part of a View; the token signing keys are
// (see TokenKeys).
type View struct {
	Index    uint64        `json:"index"`
	Config   ClusterConfig `json:"config"`
	Leader   LeaderInfo    `json:"leader"`
	Members  []Member      `json:"members"`
	Services []Service     `json:"services"`
	Locks    []Lock        `json:"locks"`
	Time     time.Time     `json:"time"` // the latest leader time the metadata has seen

	// TokenKeys are the user token keys, sorted by id, private halves
	// included: every gateway signs and verifies tokens, and every member is
	// trusted (it proved a node certificate from the cluster CA). View's own
	// JSON leaves them out, so that printing or serving a View leaks no key;
	// members receive them through the internal state endpoint (viewWire).
	TokenKeys []TokenKey `json:"-"`
	// CurrentTokenKey is the id of the key that signs new tokens.
	CurrentTokenKey string `json:"current_token_key,omitempty"`
	// Revoked maps the ids (jti) of revoked tokens to their expiry.
	Revoked map[string]time.Time `json:"revoked,omitempty"`
	// TokenCutoffs maps user ids to a time: that user's tokens issued
	// before it are void (disabled, new password, new roles or groups).
	TokenCutoffs map[string]time.Time `json:"token_cutoffs,omitempty"`
	// AuditHeads are the latest audit chain heads each node published: the
	// anchors that make a truncated or rewritten chain detectable on any
	// node that holds it.
	AuditHeads map[string]AuditHead `json:"audit_heads,omitempty"`
	// Shares is the share registry: node id -> the shares that node last
	// reported (SetShares), sorted by name, kept while the node is down and
	// after it left. A node that reported no shares has an empty entry; one
	// that never reported has none. See SharesOf.
	Shares map[string][]Share `json:"shares,omitempty"`

	txns *txnTable // the transaction decisions (see TxnDecision); shared, read-only here
}

// TokenKey returns the kept token key named kid.
func (v *View) TokenKey(kid string) (TokenKey, bool) {
	i, ok := slices.BinarySearchFunc(v.TokenKeys, kid, func(k TokenKey, id string) int { return cmpStr(k.ID, id) })
	if !ok {
		return TokenKey{}, false
	}
	return v.TokenKeys[i], true
}

// Member returns the member with id.
func (v *View) Member(id string) (Member, bool) {
	i, ok := slices.BinarySearchFunc(v.Members, id, func(m Member, id string) int { return cmpStr(m.ID, id) })
	if !ok {
		return Member{}, false
	}
	return v.Members[i], true
}

// Voters returns the ids of the members that vote in Raft.
func (v *View) Voters() []string {
	var ids []string
	for _, m := range v.Members {
		if m.Voter {
			ids = append(ids, m.ID)
		}
	}
	return ids
}

// Lock returns the lock named name if it is held at time now.
func (v *View) Lock(name string, now time.Time) (Lock, bool) {
	for _, l := range v.Locks {
		if l.Name == name && l.ExpiresAt.After(now) {
			return l, true
		}
	}
	return Lock{}, false
}

func cmpStr(a, b string) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

func itoa(n int) string {
	if n == 0 {
		return "0"
	}
	neg := n < 0
	if neg {
		n = -n
	}
	var b [20]byte
	i := len(b)
	for n > 0 {
		i--
		b[i] = byte('0' + n%10)
		n /= 10
	}
	if neg {
		i--
		b[i] = '-'
	}
	return string(b[i:])
}
