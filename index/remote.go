package index

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/blevesearch/bleve/v2"
	"github.com/blevesearch/bleve/v2/mapping"
	"github.com/blevesearch/bleve/v2/search"
	bindex "github.com/blevesearch/bleve_index_api"

	"github.com/distrisearch/distrisearch"
)

// RemoteRequest is what a Remote partition sends to the node that holds
// it, and what that node's search endpoint decodes. It serialises to JSON.
type RemoteRequest struct {
	// Request is the bleve request the Searcher built, without any access
	// restriction: the node that answers adds its own (see Scoped).
	Request *bleve.SearchRequest `json:"request"`
	// PreSearch asks for the BM25 statistics only (bleve's pre-search
	// phase); the answer's BM25Stats holds them.
	PreSearch bool `json:"presearch,omitempty"`
	// GlobalScoring carries search.SearchTypeKey = search.GlobalScoring:
	// a node that searches several partitions without PreSearchData
	// gathers statistics across them.
	GlobalScoring bool `json:"global_scoring,omitempty"`
	// Viewer is whom the search is for: the answering node checks its own
	// share ACLs against it.
	Viewer distrisearch.Viewer `json:"viewer"`
	// Partitions names the data-plane partitions to search on that node;
	// nil means its whole index.
	Partitions []int `json:"partitions,omitempty"`
	// TimeoutMS is what is left of the caller's deadline, in milliseconds
	// (0: none); the answering node stops searching when it passes.
	TimeoutMS int64 `json:"timeout_ms,omitempty"`
}

// Caller sends a RemoteRequest to a node and returns its answer. The node
// package implements it over the cluster's mutual-TLS client; tests
// implement it in process.
type Caller interface {
	Search(ctx context.Context, node string, req RemoteRequest) (*bleve.SearchResult, error)
}

// Remote is a partition held by another node: a bleve.Index whose Name is
// that node's id and whose SearchInContext forwards the request, the
// pre-search flag (search.PreSearchKey), global scoring
// (search.SearchTypeKey), the statistics (PreSearchData) and the deadline
// through a Caller. It searches on behalf of one viewer, so build one per
// request. Every other bleve.Index method fails: a remote partition can
// only be searched.
type Remote struct {
	unsearchable
	node       string
	viewer     distrisearch.Viewer
	caller     Caller
	partitions []int
}

var _ bleve.Index = (*Remote)(nil)

// NewRemote returns the partition of node, searched for viewer through c.
func NewRemote(node string, viewer distrisearch.Viewer, c Caller) *Remote {
	return &Remote{node: node, viewer: viewer, caller: c}
}

// NewRemotePartitions returns the data-plane partitions partitions of
// node, searched for viewer through c.
func NewRemotePartitions(node string, viewer distrisearch.Viewer, c Caller, partitions []int) *Remote {
	return &Remote{node: node, viewer: viewer, caller: c, partitions: partitions}
}

// Name returns the node id.
func (r *Remote) Name() string { return r.node }

// DataPartitions returns the data-plane partitions searched there (nil:
// its whole index, counted as one partition).
func (r *Remote) DataPartitions() []int { return r.partitions }

// Mapping returns the mapping every partition is built with.
func (r *Remote) Mapping() mapping.IndexMapping {
	m, _ := analysisMapping()
	return m
}

// Search searches without a deadline.
func (r *Remote) Search(req *bleve.SearchRequest) (*bleve.SearchResult, error) {
	return r.SearchInContext(context.Background(), req)
}

// SearchInContext sends req to the node. A failure of its partitions
// there (the answer's Status.Errors) fails the whole call, so that the
// Searcher names this node missing.
func (r *Remote) SearchInContext(ctx context.Context, req *bleve.SearchRequest) (*bleve.SearchResult, error) {
	rr := RemoteRequest{Request: req, Viewer: r.viewer, Partitions: r.partitions}
	_, rr.PreSearch = ctx.Value(search.PreSearchKey).(bool)
	if t, ok := ctx.Value(search.SearchTypeKey).(string); ok && t == search.GlobalScoring {
		rr.GlobalScoring = true
	}
	if d, ok := ctx.Deadline(); ok {
		left := time.Until(d).Milliseconds()
		if left <= 0 {
			return nil, fmt.Errorf("index: partition %s: %w", r.node, context.DeadlineExceeded)
		}
		rr.TimeoutMS = left
	}
	res, err := r.caller.Search(ctx, r.node, rr)
	if err != nil {
		return nil, fmt.Errorf("index: partition %s: %w", r.node, err)
	}
	if res == nil {
		return nil, fmt.Errorf("index: partition %s: no answer", r.node)
	}
	if res.Status != nil {
		for name, e := range res.Status.Errors {
			return nil, fmt.Errorf("index: partition %s (%s): %w", r.node, name, e)
		}
	}
	if rr.PreSearch && res.BM25Stats == nil {
		return nil, fmt.Errorf("index: partition %s returned no statistics", r.node)
	}
	return res, nil
}

// Scoped restricts a partition to the documents of the shares in scope,
// for one viewer: the access-control wrapper of a partition searched on
// behalf of a user. Its Name is name (the node id in a cluster-wide
// search). scope nil means no restriction; an empty, non-nil scope
// matches nothing. The restriction is an unscored filter (as
// SearchRequest.Scope), so it changes which files match, never how the
// visible ones rank; hits, totals, facets and snippets of other shares
// never leave it. The pre-search phase passes through unchanged: it
// returns index-wide statistics only, no hits. Every bleve.Index method
// but Name, Search, SearchInContext and Mapping fails, so that nothing
// reads the partition around the filter.
func Scoped(name string, part bleve.Index, scope []distrisearch.ShareRef) bleve.Index {
	return &scopedIndex{name: name, part: part, scope: scope}
}

// ScopedPartitions is Scoped further restricted to the documents of the
// data-plane partitions in partitions (the index must have been built
// with Options.PartitionOf). A node's index holds the partitions it
// replicates and the files it shares; a search asks each node for the
// partitions it was chosen to answer for, so that every file is counted
// once. Like the share scope, it is an unscored filter, and the
// pre-search statistics stay index-wide. every says that partitions are
// all the cluster's: no filter is needed. A Searcher counts the
// partitions of the result (see dataPartitions).
func ScopedPartitions(name string, part bleve.Index, scope []distrisearch.ShareRef, partitions []int, every bool) bleve.Index {
	return &scopedIndex{name: name, part: part, scope: scope, partitions: partitions, byPartition: !every && partitions != nil}
}

type scopedIndex struct {
	unsearchable
	name        string
	part        bleve.Index
	scope       []distrisearch.ShareRef
	partitions  []int
	byPartition bool
}

func (s *scopedIndex) Name() string                  { return s.name }
func (s *scopedIndex) DataPartitions() []int         { return s.partitions }
func (s *scopedIndex) Mapping() mapping.IndexMapping { return s.part.Mapping() }

func (s *scopedIndex) Search(req *bleve.SearchRequest) (*bleve.SearchResult, error) {
	return s.SearchInContext(context.Background(), req)
}

func (s *scopedIndex) SearchInContext(ctx context.Context, req *bleve.SearchRequest) (*bleve.SearchResult, error) {
	byPartition := s.byPartition
	if s.scope == nil && !byPartition {
		return s.part.SearchInContext(ctx, req)
	}
	_, pre := ctx.Value(search.PreSearchKey).(bool)
	r := *req
	// The statistics must name the filters' fields, which every
	// partition's search looks up, and count every document whatever the
	// viewer sees, so that all viewers get the same ranking: a match-none
	// filter would give neither.
	switch {
	case s.scope == nil:
	case pre && len(s.scope) == 0:
		r.Query = scoped(r.Query, []distrisearch.ShareRef{{}})
	default:
		r.Query = scoped(r.Query, s.scope)
	}
	switch {
	case !byPartition:
	case pre && len(s.partitions) == 0:
		r.Query = inPartitions(r.Query, []int{0})
	default:
		r.Query = inPartitions(r.Query, s.partitions)
	}
	return s.part.SearchInContext(ctx, &r)
}

// Unavailable is a partition known to be out of reach (its node is dead):
// every search fails with err, so a Searcher names it in
// Partitions.Missing and flags the result partial without calling anyone.
func Unavailable(name string, err error) bleve.Index {
	if err == nil {
		err = errors.New("partition unavailable")
	}
	return &unavailableIndex{name: name, err: err}
}

// UnavailablePartitions is Unavailable for data-plane partitions that no
// live replica holds: the result counts and names each of them.
func UnavailablePartitions(name string, partitions []int, err error) bleve.Index {
	if err == nil {
		err = errors.New("partition unavailable")
	}
	return &unavailableIndex{name: name, err: err, partitions: partitions}
}

type unavailableIndex struct {
	unsearchable
	name       string
	err        error
	partitions []int
}

func (u *unavailableIndex) Name() string          { return u.name }
func (u *unavailableIndex) DataPartitions() []int { return u.partitions }

func (u *unavailableIndex) Search(*bleve.SearchRequest) (*bleve.SearchResult, error) {
	return nil, u.err
}

func (u *unavailableIndex) SearchInContext(context.Context, *bleve.SearchRequest) (*bleve.SearchResult, error) {
	return nil, u.err
}

// errOnlySearch is what every method of a search-only partition returns.
var errOnlySearch = errors.New("index: this partition can only be searched")

// unsearchable implements the bleve.Index methods a search-only partition
// refuses. The types that embed it provide Name and SearchInContext.
type unsearchable struct{}

func (unsearchable) Index(string, any) error                    { return errOnlySearch }
func (unsearchable) Delete(string) error                        { return errOnlySearch }
func (unsearchable) NewBatch() *bleve.Batch                     { return nil }
func (unsearchable) Batch(*bleve.Batch) error                   { return errOnlySearch }
func (unsearchable) Document(string) (bindex.Document, error)   { return nil, errOnlySearch }
func (unsearchable) DocCount() (uint64, error)                  { return 0, errOnlySearch }
func (unsearchable) Fields() ([]string, error)                  { return nil, errOnlySearch }
func (unsearchable) FieldDict(string) (bindex.FieldDict, error) { return nil, errOnlySearch }
func (unsearchable) Close() error                               { return nil }
func (unsearchable) Mapping() mapping.IndexMapping              { return nil }
func (unsearchable) Stats() *bleve.IndexStat                    { return nil }
func (unsearchable) StatsMap() map[string]any                   { return nil }
func (unsearchable) GetInternal([]byte) ([]byte, error)         { return nil, errOnlySearch }
func (unsearchable) SetInternal([]byte, []byte) error           { return errOnlySearch }
func (unsearchable) DeleteInternal([]byte) error                { return errOnlySearch }
func (unsearchable) SetName(string)                             {}
func (unsearchable) Advanced() (bindex.Index, error)            { return nil, errOnlySearch }
func (unsearchable) FieldDictRange(string, []byte, []byte) (bindex.FieldDict, error) {
	return nil, errOnlySearch
}
func (unsearchable) FieldDictPrefix(string, []byte) (bindex.FieldDict, error) {
	return nil, errOnlySearch
}
