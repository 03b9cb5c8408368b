package api

import (
	"context"
	"io"
	"time"

	ds "github.com/distrisearch/distrisearch"
)

// Searcher runs a search over everything this node can reach.
type Searcher interface {
	Search(ctx context.Context, req ds.SearchRequest) (ds.SearchResult, error)
}

// Files finds file records and opens their bytes.
type Files interface {
	// Record returns the record of a file id, or a KindNotFound error.
	Record(ctx context.Context, fileID string) (ds.Record, error)
	// Content returns the extracted text of a file.
	Content(ctx context.Context, fileID string) (string, error)
	// Open returns the file's bytes as they were indexed. It fails with
	// KindConflict when the file changed since, and KindNotFound when it is gone.
	Open(ctx context.Context, rec ds.Record) (Blob, error)
}

// Blob is an open file: seekable so that Range requests are cheap.
type Blob interface {
	io.ReadSeeker
	io.Closer
}

// Cluster describes the cluster as this node sees it, and lets the node
// leave it.
type Cluster interface {
	Info(ctx context.Context) (ClusterInfo, error)
	// Leave removes this node from the cluster gracefully.
	Leave(ctx context.Context) error
}

// ClusterInfo is GET /api/nodes: the members, the leader, the Raft term, the
// current fencing token and the service registry.
type ClusterInfo struct {
	ClusterID    string        `json:"cluster_id"`
	Self         string        `json:"self"`
	LeaderID     string        `json:"leader_id"`
	Term         uint64        `json:"term"`
	FencingToken uint64        `json:"fencing_token"`
	RaftState    string        `json:"raft_state"`
	Index        uint64        `json:"index"`
	Nodes        []NodeInfo    `json:"nodes"`
	Services     []ServiceInfo `json:"services"`
	Config       any           `json:"config,omitempty"`
}

// ServiceInfo is an entry of the service registry.
type ServiceInfo struct {
	ID        string    `json:"id"` // type:node:port
	Type      string    `json:"type"`
	NodeID    string    `json:"node_id"`
	Host      string    `json:"host"`
	Port      int       `json:"port"`
	Health    string    `json:"health"` // HEALTHY, DEGRADED, DOWN
	UpdatedAt time.Time `json:"updated_at"`
}

// Status reports what the node is doing: scan progress and index size.
type Status interface {
	Status(ctx context.Context) (NodeStatus, error)
}

// NodeInfo is one node as GET /api/nodes shows it.
type NodeInfo struct {
	ID           string    `json:"id"`
	HTTPAddr     string    `json:"http_addr"`
	InternalAddr string    `json:"internal_addr"`
	Role         string    `json:"role"`   // COORDINATOR (the leader), WORKER, GATEWAY, HYBRID
	Status       string    `json:"status"` // ALIVE, SUSPECT, DEAD, LEFT
	StatusSince  time.Time `json:"status_since,omitzero"`
	Self         bool      `json:"self"`
	Leader       bool      `json:"leader"`
	Voter        bool      `json:"voter"`
	Standby      bool      `json:"standby,omitempty"`
	Phi          float64   `json:"phi"`
	LastSeenAt   time.Time `json:"last_heartbeat,omitzero"`
	JoinedAt     time.Time `json:"joined_at,omitzero"`
	// Breaker is the state of this node's circuit breaker towards that
	// node's internal address: closed, open or half-open; empty when this
	// node has not called it.
	Breaker string `json:"breaker,omitempty"`
}

// NodeStatus is GET /api/status: what this node holds and is doing.
type NodeStatus struct {
	NodeID    string    `json:"node_id"`
	Version   string    `json:"version"`
	StartedAt time.Time `json:"started_at"`
	Files     uint64    `json:"files"`
	Scan      any       `json:"scan"` // the scanner's progress snapshot
	Ready     bool      `json:"ready"`
}

// DataPlane reports what this node's data plane holds and does:
// partitions with their replica sets, under-replicated partitions, hinted
// writes pending, anti-entropy progress.
type DataPlane interface {
	DataStatus(ctx context.Context) (any, error)
}
