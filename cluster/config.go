package cluster

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"time"

	"github.com/distrisearch/distrisearch/cluster/detect"
	"github.com/distrisearch/distrisearch/events"
)

// Config configures one control-plane node. Start from DefaultConfig.
type Config struct {
	// DataDir holds the node id, TLS identity, Raft log and snapshots.
	DataDir string
	// NodeID is the node's id; empty means the one persisted in DataDir
	// (created on first use, see LoadOrCreateNodeID).
	NodeID string
	// BindAddr is the internal (Raft + node-to-node API) listen address.
	BindAddr string
	// AdvertiseAddr is the internal address peers dial; empty means the
	// bound address (which must then not be unspecified).
	AdvertiseAddr string
	// HTTPAddr is the public HTTP address, recorded in the membership and
	// the service registry; may be empty.
	HTTPAddr string
	// Role is the node's configured role.
	Role Role
	// Hosts are extra names or IPs to put in the node certificate when it
	// joins (its advertised host is always included).
	Hosts []string
	// JoinAddr and JoinToken are used when DataDir has no identity yet: the
	// node obtains a certificate through the member at JoinAddr.
	JoinAddr  string
	JoinToken string
	// Peers are internal addresses to try when looking for the cluster, in
	// addition to the ones remembered in DataDir.
	Peers []string

	// Raft timing. The election timeout is randomised between
	// ElectionTimeout and twice that.
	HeartbeatTimeout   time.Duration // default 150 ms
	ElectionTimeout    time.Duration // default 150 ms
	LeaderLeaseTimeout time.Duration // default 100 ms
	CommitTimeout      time.Duration // default 20 ms
	SnapshotInterval   time.Duration // default 30 s
	SnapshotThreshold  uint64        // default 1024
	TrailingLogs       uint64        // default 1024

	// HeartbeatInterval is how often every member tells the leader it is
	// alive. Default 1 s.
	HeartbeatInterval time.Duration
	// CheckInterval is how often the leader evaluates the failure detector.
	// Default 250 ms.
	CheckInterval time.Duration
	// Detector configures the phi-accrual detector the leader runs.
	Detector detect.Config
	// LivenessCommitInterval is how often the leader commits members' phi
	// and last heartbeat, so every node can show them. 0 disables it.
	// Default 5 s.
	LivenessCommitInterval time.Duration
	// VoterReplaceAfter is how long a voter must be DEAD before a healthy
	// member replaces it. Default 10 s.
	VoterReplaceAfter time.Duration
	// ApplyTimeout bounds one Raft apply or forwarded write. Default 5 s.
	ApplyTimeout time.Duration
	// WatchWait is how long a member's metadata long-poll waits. Default 10 s.
	WatchWait time.Duration
	// RetryInterval paces retries of registration and leader lookups.
	// Default 200 ms.
	RetryInterval time.Duration
	// RaftLogLevel is hclog's level for Raft's own logs. Default "warn".
	RaftLogLevel string
}

// DefaultConfig returns the defaults: election timeout 150–300 ms, heartbeats
// every second, phi threshold 8 (see detect.DefaultConfig).
func DefaultConfig() Config {
	return Config{
		BindAddr:               "127.0.0.1:0",
		Role:                   RoleHybrid,
		HeartbeatTimeout:       150 * time.Millisecond,
		ElectionTimeout:        150 * time.Millisecond,
		LeaderLeaseTimeout:     100 * time.Millisecond,
		CommitTimeout:          20 * time.Millisecond,
		SnapshotInterval:       30 * time.Second,
		SnapshotThreshold:      1024,
		TrailingLogs:           1024,
		HeartbeatInterval:      time.Second,
		CheckInterval:          250 * time.Millisecond,
		Detector:               detect.DefaultConfig(),
		LivenessCommitInterval: 5 * time.Second,
		VoterReplaceAfter:      10 * time.Second,
		ApplyTimeout:           5 * time.Second,
		WatchWait:              10 * time.Second,
		RetryInterval:          200 * time.Millisecond,
		RaftLogLevel:           "warn",
	}
}

// Validate reports whether the configuration is usable.
func (c Config) Validate() error {
	var errs []error
	if c.DataDir == "" {
		errs = append(errs, errors.New("data dir required"))
	}
	if c.BindAddr == "" {
		errs = append(errs, errors.New("bind address required"))
	}
	if !c.Role.Valid() {
		errs = append(errs, fmt.Errorf("unknown role %q", c.Role))
	}
	if c.HeartbeatTimeout < 5*time.Millisecond || c.ElectionTimeout < c.HeartbeatTimeout {
		errs = append(errs, errors.New("election timeout must be at least the heartbeat timeout (>= 5ms)"))
	}
	if c.LeaderLeaseTimeout < 5*time.Millisecond || c.LeaderLeaseTimeout > c.HeartbeatTimeout {
		errs = append(errs, errors.New("leader lease timeout must be between 5ms and the heartbeat timeout"))
	}
	for name, d := range map[string]time.Duration{
		"commit timeout": c.CommitTimeout, "heartbeat interval": c.HeartbeatInterval,
		"check interval": c.CheckInterval, "apply timeout": c.ApplyTimeout,
		"watch wait": c.WatchWait, "retry interval": c.RetryInterval, "snapshot interval": c.SnapshotInterval,
	} {
		if d <= 0 {
			errs = append(errs, fmt.Errorf("%s must be positive", name))
		}
	}
	if c.VoterReplaceAfter < 0 || c.LivenessCommitInterval < 0 {
		errs = append(errs, errors.New("negative interval"))
	}
	if err := c.Detector.Validate(); err != nil {
		errs = append(errs, fmt.Errorf("detector: %w", err))
	}
	if (c.JoinAddr == "") != (c.JoinToken == "") {
		errs = append(errs, errors.New("join address and join token go together"))
	}
	return errors.Join(errs...)
}

// EventPublisher is what the node needs of the event bus (*events.Bus).
type EventPublisher interface {
	Publish(events.Event) (events.Event, error)
}

// Deps are the node's collaborators. All are optional.
type Deps struct {
	Logger *slog.Logger
	// Now is the clock used for heartbeats, leases and certificate checks.
	Now func() time.Time
	// Events, if set, receives every cluster event as an events.Event whose
	// Type is the EventType, Node the member concerned and Data the Event
	// as JSON. The bus stamps it with Lamport time.
	Events EventPublisher
	// OnEvent, if set, receives cluster events (see Event) in the order this
	// node observes them. It must not block for long.
	OnEvent func(Event)
	// LockGranted, if set, is called after this node obtained a lease lock
	// (for itself or while registering a member), for the audit log. It
	// must not block for long.
	LockGranted func(Lock)
	// Listener, if set, is used instead of listening on BindAddr.
	Listener net.Listener
	// Dial, if set, opens every outgoing node-to-node connection.
	Dial func(ctx context.Context, network, addr string) (net.Conn, error)
}
