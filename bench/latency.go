package bench

import (
	"context"
	"fmt"
	"time"

	ds "github.com/distrisearch/distrisearch"
	"github.com/distrisearch/distrisearch/client"
)

// pageSize is the hits per search in the latency runs: the API's default.
const pageSize = 20

// Searcher runs one benchmark query.
type Searcher interface {
	Name() string
	Search(ctx context.Context, q string) (SearchStat, error)
}

// SearchStat is what a search reports besides its latency.
type SearchStat struct {
	Hits uint64 // total hits
	// Engine is the time the search engine reports for the search itself:
	// the API's took_ms (query parsing and building, bleve, hits, snippets
	// and facets; no HTTP, no JSON), or bleve's Took.
	Engine time.Duration
}

// APISearcher searches through the public REST API with the Go client:
// the first page of 20 hits, with or without snippets and facets.
func APISearcher(name string, c *client.Client, highlight, facets bool) Searcher {
	return apiSearcher{name: name, c: c, highlight: highlight, facets: facets}
}

// BareSearcher searches the bare index in-process with BareQuery: the
// first page of 20 hits with their name and path.
func BareSearcher(name string, b *Bare) Searcher { return bareSearcher{name: name, idx: b.idx} }

// BareHighlightSearcher is BareSearcher with bleve's HTML highlighter on
// the three fields: the counterpart of the API with snippets.
func BareHighlightSearcher(name string, b *Bare) Searcher {
	return bareSearcher{name: name, idx: b.idx, highlight: true}
}

type apiSearcher struct {
	name              string
	c                 *client.Client
	highlight, facets bool
}

func (s apiSearcher) Name() string { return s.name }

func (s apiSearcher) Search(ctx context.Context, q string) (SearchStat, error) {
	res, err := s.c.Search(ctx, ds.SearchRequest{Query: q, Limit: pageSize, Highlight: s.highlight, Facets: s.facets})
	if err != nil {
		return SearchStat{}, err
	}
	if res.Partial {
		return SearchStat{}, fmt.Errorf("partial result: %d of %d partitions answered", res.Partitions.Answered, res.Partitions.Total)
	}
	return SearchStat{Hits: res.Total, Engine: time.Duration(res.TookMS * float64(time.Millisecond))}, nil
}

// LatencyResult is the search latency of one searcher.
type LatencyResult struct {
	Name     string
	Samples  int
	P50, P99 time.Duration // as the caller sees it
	// EngineP50 and EngineP99 are percentiles of SearchStat.Engine.
	EngineP50, EngineP99 time.Duration
	MeanHits             float64 // mean total hits of a query
	NoHits               int     // queries that found nothing
}

// MeasureLatency runs every query warmup times untimed, then reps times
// timed, on every searcher. Runs are interleaved (query by query, searcher
// by searcher) so that noise from other processes falls on all alike.
func MeasureLatency(ctx context.Context, searchers []Searcher, queries []string, warmup, reps int) ([]LatencyResult, error) {
	samples := make([][]time.Duration, len(searchers))
	engine := make([][]time.Duration, len(searchers))
	hits := make([][]uint64, len(searchers))
	for i := range searchers {
		hits[i] = make([]uint64, len(queries))
	}
	for r := 0; r < warmup+reps; r++ {
		for qi, q := range queries {
			for si, s := range searchers {
				t0 := time.Now()
				st, err := s.Search(ctx, q)
				d := time.Since(t0)
				if err != nil {
					return nil, fmt.Errorf("%s: query %q: %w", s.Name(), q, err)
				}
				hits[si][qi] = st.Hits
				if r >= warmup {
					samples[si] = append(samples[si], d)
					engine[si] = append(engine[si], st.Engine)
				}
			}
		}
	}
	out := make([]LatencyResult, len(searchers))
	for si, s := range searchers {
		res := LatencyResult{Name: s.Name(), Samples: len(samples[si]),
			P50: Percentile(samples[si], 50), P99: Percentile(samples[si], 99),
			EngineP50: Percentile(engine[si], 50), EngineP99: Percentile(engine[si], 99)}
		var sum float64
		for _, n := range hits[si] {
			sum += float64(n)
			if n == 0 {
				res.NoHits++
			}
		}
		if len(queries) > 0 {
			res.MeanHits = sum / float64(len(queries))
		}
		out[si] = res
	}
	return out, nil
}
