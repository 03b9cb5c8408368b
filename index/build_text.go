package index

import (
	"strings"

	"github.com/blevesearch/bleve/v2/analysis"
	bq "github.com/blevesearch/bleve/v2/search/query"

	"github.com/distrisearch/distrisearch/index/query"
)

// textField is a field a term searches, with its exact twin ("" if none)
// and its weight.
type textField struct {
	main, exact string
	weight      float64
	phrases     bool // the field has term vectors (positions)
}

func (b *builder) scope(field string) []textField {
	w := b.boosts
	all := []textField{
		{fieldName, fieldNameExact, w.Name, true},
		{fieldTitle, fieldTitleExact, w.Title, true},
		{fieldPathText, "", w.Path, false},
		{fieldContent, "", w.Content, true},
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

// term searches one word in the fields of its scope. A word that the
// analyzer splits into parts (sync.Mutex, parseConfig) matches the whole
// token or its parts in sequence; with loose (a term of a question-like
// query, where only some terms must match), any of the whole token and its
// parts. An unstemmed whole-token match in an exact twin field adds to the
// score.
func (b *builder) term(t *query.Term, loose bool) bq.Query {
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
			if f.exact == "" && f.weight > 0 {
				qs = append(qs, b.stemmed(word, t, f)...)
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
		case loose:
			var alts []bq.Query
			for _, terms := range positions {
				for _, term := range terms {
					tq := bq.NewTermQuery(term)
					tq.SetField(f.main)
					alts = append(alts, tq)
				}
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

// stemmed returns the clauses that let a prefix or fuzzy word reach the
// stemmed terms of a field without an exact twin: parse* also matches the
// word parse, indexed as pars, and gorutine~1 matches goroutine, indexed
// as goroutin (by way of the stem gorutin). nil when the word has no
// other stem.
func (b *builder) stemmed(word string, t *query.Term, f textField) []bq.Query {
	positions := analyze(b.text, word)
	if len(positions) != 1 || len(positions[0]) != 1 || positions[0][0] == word {
		return nil
	}
	stem := positions[0][0]
	if t.Prefix {
		tq := bq.NewTermQuery(stem)
		tq.SetField(f.main)
		tq.SetBoost(f.weight)
		return []bq.Query{tq}
	}
	z := bq.NewFuzzyQuery(stem)
	z.SetField(f.main)
	z.SetFuzziness(t.Fuzzy)
	z.SetBoost(f.weight)
	return []bq.Query{z}
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
			return b.term(&query.Term{Field: p.Field, Text: p.Text}, false)
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

// maxProximityTerms bounds the plain terms a proximity boost spans as one
// phrase; a longer query is rewarded pair by pair instead.
const maxProximityTerms = 8

// proximity returns an optional clause that rewards documents where the
// plain terms of a query appear next to each other, in order: the query
// read file ranks "read the file" and read_file above a document that
// mentions read and file apart. Up to maxProximityTerms terms form one
// phrase (weight Phrase); a longer, question-like query (where a phrase of
// all its words would almost never match) rewards each pair of neighbouring
// words instead (weight Bigram): "boundary layer" in "what is the effect
// of the boundary layer on ..." . nil when it does not apply.
func (b *builder) proximity(a *query.And) bq.Query {
	var words []string
	for _, c := range a.Clauses {
		t, ok := c.Node.(*query.Term)
		if !ok || c.Occur == query.Excluded || t.Field != "" || t.Prefix || t.Fuzzy > 0 {
			continue
		}
		words = append(words, t.Text)
	}
	if len(words) < 2 {
		return nil
	}
	phrases, w := [][][]string(nil), b.boosts.Phrase
	if len(words) > maxProximityTerms {
		w = b.boosts.Bigram
	}
	if w <= 0 {
		return nil
	}
	positions := analyze(b.text, strings.Join(words, " "))
	if len(positions) < 2 {
		return nil
	}
	if len(words) > maxProximityTerms {
		phrases = bigrams(positions)
	} else {
		phrases = [][][]string{positions}
	}
	var qs []bq.Query
	for _, f := range b.scope("") {
		if !f.phrases {
			continue
		}
		for _, p := range phrases {
			q := bq.NewMultiPhraseQuery(p, f.main)
			q.SetBoost(f.weight * w)
			qs = append(qs, q)
		}
	}
	return disjunction(qs, 1)
}

// bigrams returns each pair of neighbouring positions that hold terms,
// with the empty positions (stop words) between them kept as gaps.
func bigrams(positions [][]string) [][][]string {
	var out [][][]string
	prev := -1
	for i, p := range positions {
		if len(p) == 0 {
			continue
		}
		if prev >= 0 {
			out = append(out, positions[prev:i+1])
		}
		prev = i
	}
	return out
}
