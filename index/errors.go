package index

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/blevesearch/bleve/v2"

	"github.com/distrisearch/distrisearch"
)

// tooExpensive reports whether a partition refused a query for expanding
// to too many terms. bleve has no sentinel errors for this, only messages.
func tooExpensive(err error) bool {
	if err == nil {
		return false
	}
	msg := err.Error()
	return strings.Contains(msg, "TooManyTermSearchers") || strings.Contains(msg, "TooManyClauses")
}

// check turns partition failures into the search's error, if any: a query
// too expensive anywhere fails the whole search (its results would be
// arbitrary); otherwise the search fails only when no partition answered.
func (s *Searcher) check(ctx context.Context, sr *bleve.SearchResult, failed map[string]error) error {
	var first error
	for _, err := range failed {
		if tooExpensive(err) {
			return &distrisearch.Error{
				Kind: distrisearch.KindInvalid, Code: "query_too_expensive", Op: "index.Search", Err: err,
				Message: fmt.Sprintf("the query expands to more than %d terms in a partition; use longer prefixes, smaller fuzzy distances or fewer terms",
					s.opts.MaxTermSearchers),
			}
		}
		if first == nil {
			first = err
		}
	}
	if sr != nil && len(failed) < len(s.parts) {
		return nil
	}
	if cerr := ctx.Err(); cerr != nil || errors.Is(first, context.DeadlineExceeded) {
		code := "timeout"
		if errors.Is(cerr, context.Canceled) {
			code = "canceled"
		}
		return &distrisearch.Error{
			Kind: distrisearch.KindUnavailable, Code: code, Op: "index.Search", Err: first,
			Message: "the search did not finish in time",
		}
	}
	return &distrisearch.Error{
		Kind: distrisearch.KindUnavailable, Code: "search_unavailable", Op: "index.Search", Err: first,
		Message: "no partition answered the search",
	}
}
