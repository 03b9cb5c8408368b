package bench

import (
	"context"
	"fmt"
	"slices"

	ds "github.com/distrisearch/distrisearch"
	"github.com/distrisearch/distrisearch/client"
)

// TopK is how many of the first hits the agreement figures compare.
const TopK = 10

// Agreement says how closely two systems rank the same queries: their
// top-k lists, compared by a key that names the same file on both (its
// path: file ids include the node id, which differs).
type Agreement struct {
	Queries int
	// Overlap is the mean over queries of |top-k(a) ∩ top-k(b)| divided
	// by k, or by the longer list when a query has fewer than k hits (1
	// when neither has any).
	Overlap float64
	// Identical counts the queries whose top-k lists are equal, in order.
	Identical int
}

// IdenticalShare is the fraction of queries with identical top-k lists.
func (a Agreement) IdenticalShare() float64 {
	if a.Queries == 0 {
		return 0
	}
	return float64(a.Identical) / float64(a.Queries)
}

// TopOverlap returns |a ∩ b| over the longer of the two lists, after
// cutting both to their first k entries; 1 when both are empty.
func TopOverlap(a, b []string, k int) float64 {
	a, b = a[:min(len(a), k)], b[:min(len(b), k)]
	n := max(len(a), len(b))
	if n == 0 {
		return 1
	}
	in := make(map[string]bool, len(a))
	for _, x := range a {
		in[x] = true
	}
	common := 0
	for _, x := range b {
		if in[x] {
			common++
			in[x] = false // a key counts once
		}
	}
	return float64(common) / float64(n)
}

// Compare returns the agreement of two systems' ranked lists, query by
// query (a[i] and b[i] answer the same query).
func Compare(a, b [][]string, k int) Agreement {
	out := Agreement{Queries: min(len(a), len(b))}
	if out.Queries == 0 {
		return out
	}
	var sum float64
	for i := range out.Queries {
		sum += TopOverlap(a[i], b[i], k)
		if slices.Equal(a[i][:min(len(a[i]), k)], b[i][:min(len(b[i]), k)]) {
			out.Identical++
		}
	}
	out.Overlap = sum / float64(out.Queries)
	return out
}

// TopHits runs each query through the API and returns its first k hits,
// best first.
func TopHits(ctx context.Context, c *client.Client, queries []string, k int) ([][]ds.Hit, error) {
	out := make([][]ds.Hit, len(queries))
	for i, q := range queries {
		res, err := c.Search(ctx, ds.SearchRequest{Query: q, Limit: k})
		if err != nil {
			return nil, fmt.Errorf("%s: query %q: %w", c.BaseURL(), q, err)
		}
		if res.Partial {
			return nil, fmt.Errorf("%s: query %q: partial result (%d of %d partitions answered)", c.BaseURL(), q, res.Partitions.Answered, res.Partitions.Total)
		}
		out[i] = res.Hits
	}
	return out, nil
}

// HitKeys maps every hit of every list to its key.
func HitKeys(lists [][]ds.Hit, key func(ds.Hit) string) [][]string {
	out := make([][]string, len(lists))
	for i, hits := range lists {
		for _, h := range hits {
			out[i] = append(out[i], key(h))
		}
	}
	return out
}

// hitPath is the key of a hit in a corpus shared under the same relative
// paths on every system.
func hitPath(h ds.Hit) string { return h.Path }

// hitCranID is the key of a hit in the Cranfield collection: the
// document id its file is named after.
func hitCranID(h ds.Hit) string { return cranID(h.Name) }

// describeDiff returns the two top-k lists of a query side by side, for
// the log, when they differ: rank, key and score on each side.
func describeDiff(q string, a, b []ds.Hit, key func(ds.Hit) string, k int) string {
	s := fmt.Sprintf("query %q: top-%d differs (one node | cluster):", q, k)
	for i := range min(max(len(a), len(b)), k) {
		cell := func(hs []ds.Hit) string {
			if i >= len(hs) {
				return "-"
			}
			return fmt.Sprintf("%s %.4f", key(hs[i]), hs[i].Score)
		}
		s += fmt.Sprintf("\n  %2d. %s | %s", i+1, cell(a), cell(b))
	}
	return s
}
