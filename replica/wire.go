package replica

import (
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"

	"github.com/distrisearch/distrisearch/replica/merkle"
	"github.com/distrisearch/distrisearch/replica/version"
)

// Node-to-node routes. All are registered behind MemberOnly.
const (
	PathWrite          = "/api/replication/write"
	PathRead           = "/api/replication/read/" // + {resource_id}
	PathMerkleRoot     = "/api/replication/merkle/root"
	PathMerkleRoots    = "/api/replication/merkle/roots"
	PathMerkleChildren = "/api/replication/merkle/children"
	PathMerkleLeaves   = "/api/replication/merkle/leaves"
	PathEntries        = "/api/replication/entries"
	PathTxnPrepare     = "/api/replication/txn/prepare"
	PathTxnCommit      = "/api/replication/txn/commit"
	PathTxnAbort       = "/api/replication/txn/abort"
)

// ResourceID encodes a key for the read route: unpadded base64url, since
// record keys contain NUL bytes and slashes.
func ResourceID(key string) string { return base64.RawURLEncoding.EncodeToString([]byte(key)) }

// ParseResourceID decodes ResourceID.
func ParseResourceID(id string) (string, error) {
	b, err := base64.RawURLEncoding.DecodeString(id)
	if err != nil || len(b) == 0 || len(b) > version.MaxKeyLen {
		return "", errors.New("bad resource id")
	}
	return string(b), nil
}

// Entry codes in a WriteResult.
const (
	CodeOK         = "ok"
	CodeNotReplica = "not_replica" // this node does not hold the partition in its view
	CodeInvalid    = "invalid"
	CodeInternal   = "internal"
	CodeDecided    = "decided" // a prepare for a transaction this replica already resolved
)

// WriteEntry is one envelope for one partition.
type WriteEntry struct {
	Partition int              `json:"partition"`
	Envelope  version.Envelope `json:"envelope"`
}

// WriteRequest carries envelopes to a replica: coordinator writes, hint
// replays, read repairs and anti-entropy pushes alike. ViewIndex is the
// membership index the sender placed them with.
type WriteRequest struct {
	ViewIndex uint64       `json:"view_index"`
	Entries   []WriteEntry `json:"entries"`
}

// WriteResult is a replica's answer for one entry: CodeOK once the entry
// is fsynced.
type WriteResult struct {
	Code  string `json:"code"`
	Error string `json:"error,omitempty"`
}

// WriteResponse answers a WriteRequest, one result per entry in order.
type WriteResponse struct {
	ViewIndex uint64        `json:"view_index"`
	Results   []WriteResult `json:"results"`
}

// ReadResponse answers a read: the stored envelope, if any.
type ReadResponse struct {
	Found    bool              `json:"found"`
	Envelope *version.Envelope `json:"envelope,omitempty"`
}

// RootResponse answers a Merkle root request.
type RootResponse struct {
	Partition int    `json:"partition"`
	Root      string `json:"root"` // hex
	Keys      int    `json:"keys"`
}

// RootsRequest asks for the Merkle roots of several partitions at once
// (1..MaxBatch), so that an anti-entropy round costs one round trip per
// peer and batch for the partitions that agree.
type RootsRequest struct {
	Partitions []int `json:"partitions"`
}

// RootsResponse answers a RootsRequest, in the request's order.
type RootsResponse struct {
	Roots []RootResponse `json:"roots"`
}

// TreeRequest asks for the children or leaves of Merkle nodes.
type TreeRequest struct {
	Partition int           `json:"partition"`
	Paths     []merkle.Path `json:"paths"`
}

// ChildrenResponse holds, per requested path, its children's hex hashes.
type ChildrenResponse struct {
	Children [][]string `json:"children"`
}

// LeafEntry is a key and its hex version digest.
type LeafEntry struct {
	Key     string `json:"key"`
	Version string `json:"version"`
}

// LeavesResponse holds, per requested leaf, its entries sorted by key.
type LeavesResponse struct {
	Leaves [][]LeafEntry `json:"leaves"`
}

// EntriesRequest asks for the stored envelopes of keys.
type EntriesRequest struct {
	Partition int      `json:"partition"`
	Keys      []string `json:"keys"`
}

// EntriesResponse holds the envelopes found.
type EntriesResponse struct {
	Entries []version.Envelope `json:"entries"`
}

// TxnPrepareRequest asks a replica to hold Entries durably as intents of
// transaction Txn, not applied, until it commits or aborts. TimeoutMS is
// how long the replica waits for the outcome before it asks the decision
// log itself (proposing abort), counted from its own receipt so that clock
// skew between nodes does not matter. A transaction's entries for one
// replica may come in several requests; they add up.
type TxnPrepareRequest struct {
	Txn       string       `json:"txn"`
	TimeoutMS int64        `json:"timeout_ms"`
	ViewIndex uint64       `json:"view_index"`
	Entries   []WriteEntry `json:"entries"`
}

// TxnRequest commits or aborts transaction Txn on a replica.
type TxnRequest struct {
	Txn string `json:"txn"`
}

// TxnResponse answers a prepare, commit or abort: CodeOK once the intents
// are fsynced (prepare), applied and removed (commit) or removed (abort).
// A prepare answers all or nothing: CodeInvalid or CodeNotReplica for the
// first entry that is refused, CodeDecided when the transaction is already
// resolved here; then it holds none of the request's entries.
type TxnResponse struct {
	Code  string `json:"code"`
	Error string `json:"error,omitempty"`
}

func hexHash(h merkle.Hash) string { return hex.EncodeToString(h[:]) }

func parseHash(s string) (merkle.Hash, error) {
	var h merkle.Hash
	b, err := hex.DecodeString(s)
	if err != nil || len(b) != len(h) {
		return h, fmt.Errorf("%w: bad hash %q", merkle.ErrBadResponse, s)
	}
	copy(h[:], b)
	return h, nil
}
