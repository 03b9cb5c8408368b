package distrisearch

import "time"

// Sort orders for search results.
const (
	SortRelevance = "relevance"
	SortModified  = "modified"
	SortSize      = "size"
	SortName      = "name"
)

// SearchRequest is a parsed, validated search.
type SearchRequest struct {
	Query  string // the user's query in the query language (docs/query-language.md)
	Limit  int    // hits per page, 1..MaxLimit
	Cursor string // opaque cursor from a previous response; empty for the first page
	Sort   string // one of the Sort constants
	Desc   bool   // descending order (default for relevance, modified, size)
	Facets bool   // compute facets
	// Highlight asks for snippets.
	Highlight bool
	// Scope, when not nil, limits the search to these shares: files of any
	// other share are neither returned nor counted in totals or facets.
	// An empty, non-nil Scope matches nothing. Access control sets it.
	Scope []ShareRef
	// Viewer, when not nil, is whom the search is for (the API always sets
	// it). A node that searches other nodes' partitions sends it along, and
	// each node restricts its own partitions by its own share ACLs for it.
	Viewer *Viewer
}

// Viewer is the part of a principal that share ACLs are checked against
// (auth/rbac.CanSee): its roles and groups. Whether it is an
// administrator follows from its roles, so it is not sent separately.
type Viewer struct {
	Roles  []string `json:"roles"`
	Groups []string `json:"groups"`
}

// ShareRef names one share of one node.
type ShareRef struct {
	Node  string
	Share string
}

// MaxLimit bounds the hits of one page.
const MaxLimit = 200

// SearchResult is one page of hits.
type SearchResult struct {
	Total      uint64             `json:"total"`
	Hits       []Hit              `json:"hits"`
	NextCursor string             `json:"next_cursor,omitempty"`
	Facets     map[string][]Facet `json:"facets,omitempty"`
	Took       time.Duration      `json:"-"`
	TookMS     float64            `json:"took_ms"`
	// Partitions: how many partitions were asked and answered. A result
	// with Answered < Total is partial and says so.
	Partitions PartitionCount `json:"partitions"`
	Partial    bool           `json:"partial"`
}

// PartitionCount says how much of the data a result covers.
type PartitionCount struct {
	Total    int      `json:"total"`
	Answered int      `json:"answered"`
	Missing  []string `json:"missing,omitempty"`
}

// Hit is one matching file.
type Hit struct {
	FileID   string              `json:"file_id"`
	Score    float64             `json:"score"`
	NodeID   string              `json:"node_id"`
	Share    string              `json:"share"`
	Path     string              `json:"path"`
	Name     string              `json:"name"`
	Ext      string              `json:"ext"`
	Type     string              `json:"type"`
	Size     int64               `json:"size"`
	ModTime  time.Time           `json:"modified"`
	Title    string              `json:"title,omitempty"`
	Snippets map[string][]string `json:"snippets,omitempty"` // field → fragments, matches in <mark></mark>
}

// Facet is one bucket of a facet.
type Facet struct {
	Term  string `json:"term"`
	Count int    `json:"count"`
}
