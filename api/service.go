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

// Cluster describes the nodes this node knows of.
type Cluster interface {
	Nodes(ctx context.Context) ([]NodeInfo, error)
}

// Status reports what the node is doing: scan progress and index size.
type Status interface {
	Status(ctx context.Context) (NodeStatus, error)
}

// NodeInfo is one node as GET /api/nodes shows it.
type NodeInfo struct {
	ID         string    `json:"id"`
	HTTPAddr   string    `json:"http_addr"`
	Role       string    `json:"role"`
	Status     string    `json:"status"`
	Self       bool      `json:"self"`
	Version    string    `json:"version"`
	StartedAt  time.Time `json:"started_at"`
	Shares     []string  `json:"shares"`
	Files      uint64    `json:"files"`
	Leader     bool      `json:"leader"`
	Voter      bool      `json:"voter"`
	Phi        float64   `json:"phi"`
	LastSeenAt time.Time `json:"last_heartbeat,omitempty"`
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
