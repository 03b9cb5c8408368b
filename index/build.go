package index

import (
	"fmt"
	"strings"
	"time"

	"github.com/blevesearch/bleve/v2/analysis"
	"github.com/blevesearch/bleve/v2/mapping"
	bq "github.com/blevesearch/bleve/v2/search/query"

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

// textField is a field a term searches, with its exact twin ("" if none)
// and its weight.
type textField struct {
	main, exact string
	weight      float64
	phrases     bool // the field has term vectors
}

func (b *builder) scope(field string) []textField {
	w := b.boosts
	all := []textField{
		{fieldName, fieldNameExact, w.Name, true},
		{fieldTitle, fieldTitleExact, w.Title, true},
		{fieldPathText, "", w.Path, true},
		{fieldContent, fieldContentExact, w.Content, true},
		{fieldMeta, "", w.Meta, false},
	}
	var out []textField
	for _, f := range all {
		if f.weight <= 0 {
			continue
		}
		switch field {
		case "":
		case query.FieldName, query.FieldTitle, query.FieldContent:
			if f.main != field {
				continue
			}
		default:
			continue
		}
		out = append(out, f)
	}
	return out
}

func (b *builder) node(n query.Node) bq.Query {
	switch n := n.(type) {
	case *query.All:
		return bq.NewMatchAllQuery()
	case *query.Term:
		return b.term(n)
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
// minShould(n) of the n plain clauses must match.
func (b *builder) and(a *query.And) bq.Query {
	var must, should, not, filters []bq.Query
	for _, c := range a.Clauses {
		q := b.node(c.Node)
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

// maxProximityTerms bounds the plain terms a proximity boost spans.
const maxProximityTerms = 8

// proximity returns an optional clause that rewards documents where the
// plain terms of a query appear next to each other, in order: the query
// read file ranks "read the file" and read_file above a document that
// mentions read and file apart. nil when it does not apply.
func (b *builder) proximity(a *query.And) bq.Query {
	if b.boosts.Phrase <= 0 {
		return nil
	}
	var words []string
	for _, c := range a.Clauses {
		t, ok := c.Node.(*query.Term)
		if !ok || c.Occur == query.Excluded || t.Field != "" || t.Prefix || t.Fuzzy > 0 {
			continue
		}
		words = append(words, t.Text)
	}
	if len(words) < 2 || len(words) > maxProximityTerms {
		return nil
	}
	positions := analyze(b.text, strings.Join(words, " "))
	if len(positions) < 2 {
		return nil
	}
	var qs []bq.Query
	for _, f := range b.scope("") {
		if f.phrases {
			q := bq.NewMultiPhraseQuery(positions, f.main)
			q.SetBoost(f.weight * b.boosts.Phrase)
			qs = append(qs, q)
		}
	}
	return disjunction(qs, 1)
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

// term searches one word in the fields of its scope. A word that the
// analyzer splits into parts (sync.Mutex, parseConfig) matches the whole
// token or its parts in sequence; an unstemmed whole-token match in the
// exact twin field adds to the score.
func (b *builder) term(t *query.Term) bq.Query {
	fields := b.scope(t.Field)
	var qs []bq.Query
	if t.Prefix || t.Fuzzy > 0 {
		word := strings.ToLower(t.Text)
		for _, f := range fields {
			for _, name := range []string{f.main, f.exact} {
				if name == "" {
					continue
				}
				w := f.weight
				if name == f.exact {
					w *= b.boosts.Exact
				}
				if w <= 0 {
					continue
				}
				var q bq.Query
				if t.Prefix {
					p := bq.NewPrefixQuery(word)
					p.SetField(name)
					p.SetBoost(w)
					q = p
				} else {
					z := bq.NewFuzzyQuery(word)
					z.SetField(name)
					z.SetFuzziness(t.Fuzzy)
					z.SetBoost(w)
					q = z
				}
				qs = append(qs, q)
			}
		}
		return disjunction(qs, 1)
	}
	positions := analyze(b.text, t.Text)
	if len(positions) == 0 {
		return nil
	}
	exact := ""
	if toks := b.exact.Analyze([]byte(t.Text)); len(toks) == 1 {
		exact = string(toks[0].Term)
	}
	for _, f := range fields {
		var q bq.Query
		switch {
		case len(positions) == 1:
			var alts []bq.Query
			for _, term := range positions[0] {
				tq := bq.NewTermQuery(term)
				tq.SetField(f.main)
				alts = append(alts, tq)
			}
			q = disjunction(alts, 1)
		case f.phrases:
			q = bq.NewMultiPhraseQuery(positions, f.main)
		default:
			var parts []bq.Query
			for _, alts := range positions {
				if len(alts) > 0 {
					tq := bq.NewTermQuery(alts[len(alts)-1])
					tq.SetField(f.main)
					parts = append(parts, tq)
				}
			}
			q = bq.NewConjunctionQuery(parts)
		}
		setBoost(q, f.weight)
		qs = append(qs, q)
		if f.exact != "" && exact != "" && b.boosts.Exact > 0 {
			tq := bq.NewTermQuery(exact)
			tq.SetField(f.exact)
			tq.SetBoost(f.weight * b.boosts.Exact)
			qs = append(qs, tq)
		}
	}
	return disjunction(qs, 1)
}

// phrase searches words in sequence in the fields of its scope that keep
// positions.
func (b *builder) phrase(p *query.Phrase) bq.Query {
	positions := analyze(b.text, p.Text)
	switch len(positions) {
	case 0:
		return nil
	case 1:
		if len(positions[0]) == 1 {
			return b.term(&query.Term{Field: p.Field, Text: p.Text})
		}
	}
	var qs []bq.Query
	for _, f := range b.scope(p.Field) {
		if !f.phrases {
			continue
		}
		q := bq.NewMultiPhraseQuery(positions, f.main)
		q.SetBoost(f.weight)
		qs = append(qs, q)
	}
	return disjunction(qs, 1)
}

func setBoost(q bq.Query, w float64) {
	if b, ok := q.(bq.BoostableQuery); ok {
		b.SetBoost(w)
	}
}

// analyze runs the analyzer and groups the terms by position, from the
// first to the last; a position left empty by a stop word stays empty.
func analyze(a analysis.Analyzer, text string) [][]string {
	toks := a.Analyze([]byte(text))
	if len(toks) == 0 {
		return nil
	}
	first, last := toks[0].Position, toks[0].Position
	for _, t := range toks {
		first = min(first, t.Position)
		last = max(last, t.Position)
	}
	out := make([][]string, last-first+1)
	for _, t := range toks {
		i := t.Position - first
		term := string(t.Term)
		dup := false
		for _, s := range out[i] {
			dup = dup || s == term
		}
		if !dup {
			out[i] = append(out[i], term)
		}
	}
	return out
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
