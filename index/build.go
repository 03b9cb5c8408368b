package index

import (
	"fmt"
	"time"

	"github.com/blevesearch/bleve/v2/analysis"
	"github.com/blevesearch/bleve/v2/mapping"
	bq "github.com/blevesearch/bleve/v2/search/query"

	"github.com/distrisearch/distrisearch"
	"github.com/distrisearch/distrisearch/index/query"
)

// Bounds of the datetime values bleve can index and query (nanoseconds
// since 1970 in an int64).
var (
	minTime = bq.MinRFC3339CompatibleTime
	maxTime = bq.MaxRFC3339CompatibleTime
)

// builder turns a parsed query into a bleve query made only of standard
// query types (term, phrase, prefix, fuzzy, range, boolean), so that the
// result serialises to JSON for remote partitions. Text is analyzed here,
// with the mapping's analyzers, never by bleve at search time: no query
// ever falls back to the _all field or the default analyzer.
type builder struct {
	text, exact analysis.Analyzer
	boosts      Boosts
	minShould   func(int) int
}

func newBuilder(m mapping.IndexMapping, opts SearchOptions) (*builder, error) {
	b := &builder{
		text:      m.AnalyzerNamed(TextAnalyzer),
		exact:     m.AnalyzerNamed(ExactAnalyzer),
		boosts:    opts.Boosts,
		minShould: opts.MinShould,
	}
	if b.text == nil || b.exact == nil {
		return nil, fmt.Errorf("index: mapping lacks the analyzers %s, %s", TextAnalyzer, ExactAnalyzer)
	}
	return b, nil
}

// build returns the bleve query for n; a query with nothing left to search
// (only stop words) matches nothing.
func (b *builder) build(n query.Node) bq.Query {
	q := b.node(n)
	if q == nil {
		return bq.NewMatchNoneQuery()
	}
	return q
}

// scoped restricts q to the documents of the shares in scope (nil: no
// restriction). The restriction is an unscored filter, so it changes
// which files match, never how the visible ones rank.
func scoped(q bq.Query, scope []distrisearch.ShareRef) bq.Query {
	if scope == nil {
		return q
	}
	if len(scope) == 0 {
		return bq.NewMatchNoneQuery()
	}
	shares := make([]bq.Query, 0, len(scope))
	for _, ref := range scope {
		node := bq.NewTermQuery(ref.Node)
		node.SetField(fieldNode)
		share := bq.NewTermQuery(ref.Share)
		share.SetField(fieldShare)
		shares = append(shares, bq.NewConjunctionQuery([]bq.Query{node, share}))
	}
	bo := bq.NewBooleanQuery([]bq.Query{q}, nil, nil)
	bo.AddFilter(bq.NewDisjunctionQuery(shares))
	return bo
}

// inPartitions restricts q to the documents of the given partitions (an
// unscored filter; none: nothing matches).
func inPartitions(q bq.Query, partitions []int) bq.Query {
	if len(partitions) == 0 {
		return bq.NewMatchNoneQuery()
	}
	terms := make([]bq.Query, 0, len(partitions))
	for _, p := range partitions {
		t := bq.NewTermQuery(PartitionTerm(p))
		t.SetField(fieldPartition)
		terms = append(terms, t)
	}
	bo := bq.NewBooleanQuery([]bq.Query{q}, nil, nil)
	bo.AddFilter(bq.NewDisjunctionQuery(terms))
	return bo
}

func (b *builder) node(n query.Node) bq.Query {
	switch n := n.(type) {
	case *query.All:
		return bq.NewMatchAllQuery()
	case *query.Term:
		return b.term(n, false)
	case *query.Phrase:
		return b.phrase(n)
	case *query.Keyword:
		t := bq.NewTermQuery(n.Value)
		t.SetField(n.Field) // the language's field names are the index's
		return t
	case *query.Path:
		if n.Prefix {
			p := bq.NewPrefixQuery(n.Value)
			p.SetField(fieldPath)
			return p
		}
		t := bq.NewTermQuery(n.Value)
		t.SetField(fieldPathTree)
		return t
	case *query.Range:
		return rangeQuery(n)
	case *query.Or:
		var qs []bq.Query
		for _, m := range n.Nodes {
			if q := b.node(m); q != nil {
				qs = append(qs, q)
			}
		}
		return disjunction(qs, 1)
	case *query.And:
		return b.and(n)
	}
	return nil
}

// and applies the AND-ish rule: required clauses must match, excluded
// ones must not, filters restrict without scoring, and at least
// minShould(n) of the n plain clauses must match. When fewer than all
// must match (a question rather than keywords), a plain term that splits
// into parts (boundary-layer) matches any of them rather than the parts in
// sequence: on Cranfield's prose questions the sequence cost 0.011
// nDCG@10 and 0.009 MAP.
func (b *builder) and(a *query.And) bq.Query {
	var must, should, not, filters []bq.Query
	plain := 0
	for _, c := range a.Clauses {
		if c.Occur == query.Default && !isFilter(c.Node) {
			plain++
		}
	}
	loose := b.minShould(plain) < plain
	for _, c := range a.Clauses {
		var q bq.Query
		if t, ok := c.Node.(*query.Term); ok && c.Occur == query.Default {
			q = b.term(t, loose)
		} else {
			q = b.node(c.Node)
		}
		if q == nil {
			continue
		}
		switch {
		case c.Occur == query.Excluded:
			not = append(not, q)
		case isFilter(c.Node):
			filters = append(filters, q)
		case c.Occur == query.Required:
			must = append(must, q)
		default:
			should = append(should, q)
		}
	}
	if min := b.minShould(len(should)); min >= len(should) {
		must = append(must, should...)
	} else if len(should) > 0 {
		must = append(must, disjunction(should, max(min, 1)))
	}
	if len(must) == 0 && len(not) == 0 && len(filters) == 0 {
		return nil
	}
	near := b.proximity(a)
	if len(must) == 1 && len(not) == 0 && len(filters) == 0 && near == nil {
		return must[0]
	}
	bo := bq.NewBooleanQuery(nil, nil, nil)
	if len(must) > 0 {
		bo.AddMust(must...)
	}
	if near != nil {
		bo.AddShould(near)
	}
	if len(not) > 0 {
		bo.AddMustNot(not...)
	}
	if len(filters) == 1 {
		bo.AddFilter(filters[0])
	} else if len(filters) > 1 {
		bo.AddFilter(bq.NewConjunctionQuery(filters))
	}
	return bo
}

func isFilter(n query.Node) bool {
	switch n.(type) {
	case *query.Keyword, *query.Path, *query.Range:
		return true
	}
	return false
}

func disjunction(qs []bq.Query, min int) bq.Query {
	switch len(qs) {
	case 0:
		return nil
	case 1:
		return qs[0]
	}
	d := bq.NewDisjunctionQuery(qs)
	if min > 1 {
		d.SetMin(float64(min))
	}
	return d
}

// rangeQuery builds a size or modified range.
func rangeQuery(r *query.Range) bq.Query {
	if r.Field == query.FieldSize {
		var lo, hi *float64
		if r.HasMin {
			v := float64(r.Min)
			lo = &v
		}
		if r.HasMax {
			v := float64(r.Max)
			hi = &v
		}
		yes := true
		q := bq.NewNumericRangeInclusiveQuery(lo, hi, &yes, &yes)
		q.SetField(fieldSize)
		return q
	}
	from, to := r.Times()
	if r.HasMin && from.After(maxTime) || r.HasMax && to.Before(minTime) {
		return bq.NewMatchNoneQuery()
	}
	if from.Before(minTime) {
		from = time.Time{}
	}
	if to.After(maxTime) {
		to = time.Time{}
	}
	if from.IsZero() && to.IsZero() {
		// Every indexable time matches: filter on having a time at all.
		from = minTime
	}
	yes := true
	q := bq.NewDateRangeInclusiveQuery(from, to, &yes, &yes)
	q.SetField(fieldModified)
	return q
}
