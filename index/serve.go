package index

import (
	"context"
	"errors"

	"github.com/blevesearch/bleve/v2"
	"github.com/blevesearch/bleve/v2/search"
)

// SearchPartitions answers, on the node that holds parts, a request that a
// remote Searcher sent through its wrapper for those partitions. preSearch
// says whether the wrapper's context carried search.PreSearchKey (the
// statistics phase). The request and the result serialise to JSON
// (bleve.SearchRequest, bleve.SearchResult); failures of single partitions
// come back in the result's Status.Errors, keyed by partition name.
//
// It applies the same per-partition bound on term expansion as a local
// search (opts.MaxTermSearchers).
func SearchPartitions(ctx context.Context, req *bleve.SearchRequest, preSearch bool, opts SearchOptions, parts ...bleve.Index) (*bleve.SearchResult, error) {
	if len(parts) == 0 {
		return nil, errors.New("index: no partitions to search")
	}
	if opts.MaxTermSearchers > 0 {
		ctx = context.WithValue(ctx, search.MaxTermSearchersKey, opts.MaxTermSearchers)
	}
	if preSearch {
		ctx = context.WithValue(ctx, search.PreSearchKey, true)
	}
	if len(parts) == 1 {
		return parts[0].SearchInContext(ctx, req)
	}
	alias := bleve.NewIndexAlias(parts...)
	// The alias gathers BM25 statistics only if its mapping says BM25.
	if err := alias.SetIndexMapping(parts[0].Mapping()); err != nil {
		return nil, err
	}
	return alias.SearchInContext(ctx, req)
}
