package cluster

import (
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"time"

	"github.com/distrisearch/distrisearch/transport/pki"
)

// InitOptions configure a new cluster. Zero values take the defaults noted.
type InitOptions struct {
	ClusterID          string        // default: a random UUID
	PartitionCount     int           // default 64
	ReplicationFactor  int           // default 3
	DefaultConsistency string        // default QUORUM
	Voters             int           // 3 (default) or 5
	Standbys           int           // Raft non-voters kept warm: 0 (default), 1 or 2
	TokenTTL           time.Duration // lifetime of the first join token; default 24 h
	Hosts              []string      // extra SANs for the first node's certificate
	// AdminPassword is the first administrator's password; empty means a
	// generated one, returned once in InitResult.
	AdminPassword string
	Now           func() time.Time
}

// InitResult is what init reports to the operator.
type InitResult struct {
	ClusterID     string
	NodeID        string
	JoinToken     string
	TokenExpires  time.Time
	CAFingerprint string // hex SHA-256 of the CA certificate
	AdminUser     string // the first administrator's username
	// AdminPassword is the generated password of the first administrator,
	// to be shown once; empty when InitOptions.AdminPassword was given.
	AdminPassword string
}

// ErrAlreadyInitialised is returned by Init when dataDir already holds an
// identity.
var ErrAlreadyInitialised = errors.New("data directory already belongs to a cluster")

// bootstrap is what Init leaves for the first Start: the first node
// bootstraps Raft and, once leader, commits it as the first entry.
type bootstrap struct {
	Config ClusterConfig `json:"config"`
	CACert []byte        `json:"ca_cert"`
	CAKey  []byte        `json:"ca_key"`
	Token  tokenRecord   `json:"token"`
	Admin  *User         `json:"admin,omitempty"`
	// TokenKey is the first user token signing key.
	TokenKey *TokenKey `json:"token_key,omitempty"`
}

// Init creates a cluster in dataDir: a cluster CA, the first node's
// identity, a join token, the first administrator and the first user token
// signing key. The first Start of a node on dataDir then bootstraps Raft.
// Init does no network I/O.
func Init(dataDir string, opts InitOptions) (InitResult, error) {
	now := time.Now
	if opts.Now != nil {
		now = opts.Now
	}
	if opts.ClusterID == "" {
		opts.ClusterID = newUUID()
	}
	if opts.PartitionCount == 0 {
		opts.PartitionCount = 64
	}
	if opts.ReplicationFactor == 0 {
		opts.ReplicationFactor = 3
	}
	if opts.DefaultConsistency == "" {
		opts.DefaultConsistency = ConsistencyQuorum
	}
	if opts.Voters == 0 {
		opts.Voters = 3
	}
	if opts.TokenTTL <= 0 {
		opts.TokenTTL = 24 * time.Hour
	}
	switch {
	case opts.Voters != 1 && opts.Voters != 3 && opts.Voters != 5:
		return InitResult{}, fmt.Errorf("init: voters must be 3 or 5 (1 for tests), not %d", opts.Voters)
	case opts.Standbys < 0 || opts.Standbys > 2:
		return InitResult{}, fmt.Errorf("init: standbys must be 0, 1 or 2")
	case opts.PartitionCount < 1 || opts.PartitionCount > 65536:
		return InitResult{}, fmt.Errorf("init: partition count must be in 1..65536")
	case opts.ReplicationFactor < 1:
		return InitResult{}, fmt.Errorf("init: replication factor must be at least 1")
	}
	switch opts.DefaultConsistency {
	case ConsistencyStrong, ConsistencyQuorum, ConsistencyEventual:
	default:
		return InitResult{}, fmt.Errorf("init: unknown consistency %q", opts.DefaultConsistency)
	}
	password, generated := opts.AdminPassword, false
	if password == "" {
		var err error
		if password, err = generatePassword(); err != nil {
			return InitResult{}, fmt.Errorf("init: %w", err)
		}
		generated = true
	}
	hash, err := HashPassword(password)
	if err != nil {
		return InitResult{}, fmt.Errorf("init: admin password: %w", err)
	}
	if _, err := pki.LoadIdentity(tlsPath(dataDir)); !errors.Is(err, pki.ErrNoIdentity) {
		if err == nil {
			return InitResult{}, ErrAlreadyInitialised
		}
		return InitResult{}, fmt.Errorf("init: %w", err)
	}
	nodeID, err := LoadOrCreateNodeID(dataDir)
	if err != nil {
		return InitResult{}, fmt.Errorf("init: %w", err)
	}
	t := now()
	ca, err := pki.NewCA(opts.ClusterID, t, 0)
	if err != nil {
		return InitResult{}, fmt.Errorf("init: %w", err)
	}
	id, err := ca.IssueNode(nodeID, opts.Hosts, t, 0)
	if err != nil {
		return InitResult{}, fmt.Errorf("init: %w", err)
	}
	tok, err := pki.NewJoinToken(ca.Fingerprint())
	if err != nil {
		return InitResult{}, fmt.Errorf("init: %w", err)
	}
	keyPEM, err := ca.KeyPEM()
	if err != nil {
		return InitResult{}, fmt.Errorf("init: %w", err)
	}
	b := bootstrap{
		Config: ClusterConfig{
			ClusterID: opts.ClusterID, PartitionCount: opts.PartitionCount,
			ReplicationFactor: opts.ReplicationFactor, DefaultConsistency: opts.DefaultConsistency,
			Voters: opts.Voters, Standbys: opts.Standbys, CreatedAt: t.UTC(),
		},
		CACert: ca.CertPEM(), CAKey: keyPEM,
		Token: tokenRecord{ID: tok.ID, Hash: tok.SecretHash(), CreatedAt: t.UTC(), ExpiresAt: t.Add(opts.TokenTTL).UTC()},
	}
	b.Admin = &User{ID: newUUID(), Username: AdminUsername, PasswordHash: hash, Roles: []string{"admin"}}
	tk, err := newTokenKey()
	if err != nil {
		return InitResult{}, fmt.Errorf("init: token key: %w", err)
	}
	b.TokenKey = &tk
	raw, err := json.Marshal(b)
	if err != nil {
		return InitResult{}, fmt.Errorf("init: %w", err)
	}
	if err := os.MkdirAll(clusterPath(dataDir, ""), 0o700); err != nil {
		return InitResult{}, fmt.Errorf("init: %w", err)
	}
	if err := pki.WriteFileAtomic(clusterPath(dataDir, bootstrapFile), raw, 0o600); err != nil {
		return InitResult{}, fmt.Errorf("init: %w", err)
	}
	if err := id.Save(tlsPath(dataDir)); err != nil {
		return InitResult{}, fmt.Errorf("init: %w", err)
	}
	fp := ca.Fingerprint()
	return InitResult{
		ClusterID: opts.ClusterID, NodeID: nodeID, JoinToken: tok.String(),
		TokenExpires: b.Token.ExpiresAt, CAFingerprint: hex.EncodeToString(fp[:]),
		AdminUser: AdminUsername, AdminPassword: map[bool]string{true: password}[generated],
	}, nil
}

func readBootstrap(dataDir string) (*bootstrap, error) {
	raw, err := os.ReadFile(clusterPath(dataDir, bootstrapFile))
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read bootstrap: %w", err)
	}
	var b bootstrap
	if err := json.Unmarshal(raw, &b); err != nil {
		return nil, fmt.Errorf("read bootstrap: %w", err)
	}
	return &b, nil
}
