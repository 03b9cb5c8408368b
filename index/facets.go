package index

import (
	"time"

	"github.com/blevesearch/bleve/v2"
	"github.com/blevesearch/bleve/v2/search"

	"github.com/distrisearch/distrisearch"
)

// Facet names in SearchResult.Facets.
const (
	FacetType     = "type"
	FacetExt      = "ext"
	FacetShare    = "share"
	FacetNode     = "node"
	FacetSize     = "size"
	FacetModified = "modified"
)

var termFacets = []string{FacetType, FacetExt, FacetShare, FacetNode}

// sizeBucket is one bucket of the size facet: [min, max) bytes, nil open.
type sizeBucket struct {
	name     string
	min, max *float64
}

func f64(v float64) *float64 { return &v }

// sizeBuckets use decimal units, like the query language.
var sizeBuckets = []sizeBucket{
	{"<10KB", nil, f64(10e3)},
	{"10KB-1MB", f64(10e3), f64(1e6)},
	{"1MB-10MB", f64(1e6), f64(10e6)},
	{"10MB-100MB", f64(10e6), f64(100e6)},
	{">100MB", f64(100e6), nil},
}

// modifiedBucket is one bucket of the modified facet. The buckets are
// cumulative ("changed within the last N"), except "older", which holds
// what is older than a year. Each equals a query clause, given in docs.
type modifiedBucket struct {
	name string
	back func(now time.Time) time.Time
}

var modifiedBuckets = []modifiedBucket{
	{"24h", func(t time.Time) time.Time { return t.Add(-24 * time.Hour) }},
	{"7d", func(t time.Time) time.Time { return t.AddDate(0, 0, -7) }},
	{"30d", func(t time.Time) time.Time { return t.AddDate(0, 0, -30) }},
	{"1y", func(t time.Time) time.Time { return t.AddDate(-1, 0, 0) }},
}

const modifiedOlder = "older"

// addFacets asks for every facet.
func addFacets(r *bleve.SearchRequest, size int, now time.Time) {
	now = now.UTC().Truncate(time.Second)
	for _, f := range termFacets {
		r.AddFacet(f, bleve.NewFacetRequest(f, size))
	}
	sf := bleve.NewFacetRequest(fieldSize, len(sizeBuckets))
	for _, b := range sizeBuckets {
		sf.AddNumericRange(b.name, b.min, b.max)
	}
	r.AddFacet(FacetSize, sf)
	mf := bleve.NewFacetRequest(fieldModified, len(modifiedBuckets)+1)
	for _, b := range modifiedBuckets {
		mf.AddDateTimeRange(b.name, b.back(now), time.Time{})
	}
	mf.AddDateTimeRange(modifiedOlder, time.Time{}, modifiedBuckets[len(modifiedBuckets)-1].back(now))
	r.AddFacet(FacetModified, mf)
}

// facets converts bleve's facet results. Term facets list buckets by
// count; range facets list every bucket in their fixed order, zeros too.
func facets(res search.FacetResults) map[string][]distrisearch.Facet {
	if len(res) == 0 {
		return nil
	}
	out := make(map[string][]distrisearch.Facet, len(res))
	for _, name := range termFacets {
		fr, ok := res[name]
		if !ok {
			continue
		}
		list := []distrisearch.Facet{}
		if fr.Terms != nil {
			for _, t := range fr.Terms.Terms() {
				list = append(list, distrisearch.Facet{Term: t.Term, Count: t.Count})
			}
		}
		out[name] = list
	}
	if fr, ok := res[FacetSize]; ok {
		counts := map[string]int{}
		for _, r := range fr.NumericRanges {
			counts[r.Name] = r.Count
		}
		list := make([]distrisearch.Facet, 0, len(sizeBuckets))
		for _, b := range sizeBuckets {
			list = append(list, distrisearch.Facet{Term: b.name, Count: counts[b.name]})
		}
		out[FacetSize] = list
	}
	if fr, ok := res[FacetModified]; ok {
		counts := map[string]int{}
		for _, r := range fr.DateRanges {
			counts[r.Name] = r.Count
		}
		list := make([]distrisearch.Facet, 0, len(modifiedBuckets)+1)
		for _, b := range modifiedBuckets {
			list = append(list, distrisearch.Facet{Term: b.name, Count: counts[b.name]})
		}
		list = append(list, distrisearch.Facet{Term: modifiedOlder, Count: counts[modifiedOlder]})
		out[FacetModified] = list
	}
	return out
}
