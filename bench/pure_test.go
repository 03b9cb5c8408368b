package bench

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	bq "github.com/blevesearch/bleve/v2/search/query"

	"github.com/distrisearch/distrisearch/index/eval"
	"github.com/distrisearch/distrisearch/index/query"
)

func TestPercentile(t *testing.T) {
	ms := func(xs ...int) []time.Duration {
		out := make([]time.Duration, len(xs))
		for i, x := range xs {
			out[i] = time.Duration(x) * time.Millisecond
		}
		return out
	}
	hundred := make([]int, 100)
	for i := range hundred {
		hundred[i] = 100 - i // 100..1, unsorted
	}
	for _, tc := range []struct {
		xs   []time.Duration
		p    float64
		want time.Duration
	}{
		{nil, 50, 0},
		{ms(7), 50, 7 * time.Millisecond},
		{ms(7), 99, 7 * time.Millisecond},
		{ms(3, 1, 2), 50, 2 * time.Millisecond},
		{ms(4, 1, 3, 2), 50, 2 * time.Millisecond},
		{ms(hundred...), 50, 50 * time.Millisecond},
		{ms(hundred...), 99, 99 * time.Millisecond},
		{ms(hundred...), 100, 100 * time.Millisecond},
	} {
		in := slices.Clone(tc.xs)
		if got := Percentile(tc.xs, tc.p); got != tc.want {
			t.Errorf("Percentile(%v, %v) = %v, want %v", tc.xs, tc.p, got, tc.want)
		}
		if !slices.Equal(in, tc.xs) {
			t.Errorf("Percentile modified its input")
		}
	}
}

func TestMedian(t *testing.T) {
	for _, tc := range []struct {
		xs   []float64
		want float64
	}{
		{nil, 0}, {[]float64{3}, 3}, {[]float64{5, 1, 3}, 3}, {[]float64{4, 1, 3, 2}, 2.5},
	} {
		if got := Median(tc.xs); got != tc.want {
			t.Errorf("Median(%v) = %v, want %v", tc.xs, got, tc.want)
		}
	}
}

func TestSpread(t *testing.T) {
	xs := []string{"a", "b", "c", "d", "e", "f", "g", "h", "i", "j"}
	if got := spread(xs, 0); len(got) != 10 {
		t.Errorf("spread(xs, 0) = %v, want all", got)
	}
	if got := spread(xs, 20); len(got) != 10 {
		t.Errorf("spread(xs, 20) = %v, want all", got)
	}
	if got := spread(xs, 3); !slices.Equal(got, []string{"a", "d", "g"}) {
		t.Errorf("spread(xs, 3) = %v", got)
	}
}

func TestSectionsKeepProseAndAppendRows(t *testing.T) {
	doc := "# Benchmarks\n\nHow we measure.\n"
	doc = ReplaceSection(doc, "latest", "figures 1")
	doc = AppendToSection(doc, "history", "| a |\n|---|", "| 1 |")
	doc += "\nClosing words.\n"
	doc = ReplaceSection(doc, "latest", "figures 2\n\n")
	doc = AppendToSection(doc, "history", "| a |\n|---|", "| 2 |")
	want := "# Benchmarks\n\nHow we measure.\n\n" +
		"<!-- bench:latest:begin -->\nfigures 2\n<!-- bench:latest:end -->\n\n" +
		"<!-- bench:history:begin -->\n| a |\n|---|\n| 1 |\n| 2 |\n<!-- bench:history:end -->\n" +
		"\nClosing words.\n"
	if doc != want {
		t.Fatalf("got:\n%s\nwant:\n%s", doc, want)
	}
	// An empty section gets its header back.
	empty := "x\n<!-- bench:h:begin -->\n<!-- bench:h:end -->\ny\n"
	if got := AppendToSection(empty, "h", "| a |", "| 1 |"); got != "x\n<!-- bench:h:begin -->\n| a |\n| 1 |\n<!-- bench:h:end -->\ny\n" {
		t.Fatalf("empty section: %q", got)
	}
}

func TestUpdateFileCreatesAndEdits(t *testing.T) {
	path := filepath.Join(t.TempDir(), "docs", "r.md")
	for i := range 2 {
		err := UpdateFile(path, "Report", func(s string) string {
			return AppendToSection(s, "h", "| n |\n|---|", "| row |")
		})
		if err != nil {
			t.Fatal(err)
		}
		b, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.HasPrefix(string(b), "# Report\n") || strings.Count(string(b), "| row |") != i+1 {
			t.Fatalf("after %d updates:\n%s", i+1, b)
		}
	}
}

func TestBenchmarkQueriesParseAndTranslate(t *testing.T) {
	if len(DefaultQueries) < 40 {
		t.Fatalf("only %d benchmark queries", len(DefaultQueries))
	}
	now := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	for _, q := range DefaultQueries {
		if _, err := query.Parse(q, now); err != nil {
			t.Errorf("product cannot parse %q: %v", q, err)
		}
		if _, err := BareQuery(q); err != nil {
			t.Errorf("BareQuery(%q): %v", q, err)
		}
	}
	for _, bad := range []string{"", `"open`, "ext:go", "a OR b", "-x", "x~3"} {
		if _, err := BareQuery(bad); err == nil {
			t.Errorf("BareQuery(%q) accepted", bad)
		}
	}
}

func TestBareQueryShapes(t *testing.T) {
	fieldsOf := func(q bq.Query) []string {
		d, ok := q.(*bq.DisjunctionQuery)
		if !ok {
			t.Fatalf("%T, want a disjunction over the fields", q)
		}
		var out []string
		for _, c := range d.Disjuncts {
			out = append(out, c.(bq.FieldableQuery).Field())
		}
		return out
	}
	q, err := BareQuery(`parse* "stack trace" mutx~1`)
	if err != nil {
		t.Fatal(err)
	}
	conj, ok := q.(*bq.ConjunctionQuery)
	if !ok || len(conj.Conjuncts) != 3 {
		t.Fatalf("%#v: want a conjunction of 3", q)
	}
	for i, want := range []string{"prefix", "phrase", "fuzzy"} {
		if f := fieldsOf(conj.Conjuncts[i]); !slices.Equal(f, bareFields) {
			t.Errorf("clause %d searches %v", i, f)
		}
		got := conj.Conjuncts[i].(*bq.DisjunctionQuery).Disjuncts[0]
		if g := kindOf(got); g != want {
			t.Errorf("clause %d is a %s query, want %s", i, g, want)
		}
	}
	if p := conj.Conjuncts[0].(*bq.DisjunctionQuery).Disjuncts[0].(*bq.PrefixQuery); p.Prefix != "parse" {
		t.Errorf("prefix %q", p.Prefix)
	}
	if z := conj.Conjuncts[2].(*bq.DisjunctionQuery).Disjuncts[0].(*bq.FuzzyQuery); z.Term != "mutx" || z.Fuzziness != 1 {
		t.Errorf("fuzzy %+v", z)
	}
}

func kindOf(v bq.Query) string {
	switch v.(type) {
	case *bq.PrefixQuery:
		return "prefix"
	case *bq.MatchPhraseQuery:
		return "phrase"
	case *bq.FuzzyQuery:
		return "fuzzy"
	}
	return "other"
}

// PlainQuery must turn any text into terms only: no field, phrase, prefix,
// fuzzy, exclusion or operator may come out of punctuation in the text.
func TestPlainQueryKeepsEveryWordLiteral(t *testing.T) {
	c, err := LoadCranfield(filepath.Join("testdata", "cranfield-mini"), 0)
	if err != nil {
		t.Fatal(err)
	}
	texts := []string{`a:b (c) "d -e +f OR AND NOT \ g* h~1 type:pdf size:>1MB path:x/ ) (`}
	for _, q := range c.Queries {
		texts = append(texts, q.Text)
	}
	now := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	for _, text := range texts {
		for _, anyWord := range []bool{false, true} {
			q := PlainQuery(text, anyWord)
			n, err := query.Parse(q, now)
			if err != nil {
				t.Fatalf("PlainQuery(%q, %v) = %q: %v", text, anyWord, q, err)
			}
			var terms []string
			collectTerms(t, n, anyWord, &terms)
			if want := strings.Fields(text); !slices.Equal(terms, want) {
				t.Fatalf("PlainQuery(%q, %v) searches %q, want %q", text, anyWord, terms, want)
			}
		}
	}
}

func collectTerms(t *testing.T, n query.Node, anyWord bool, out *[]string) {
	t.Helper()
	switch n := n.(type) {
	case *query.Term:
		if n.Field != "" || n.Prefix || n.Fuzzy != 0 {
			t.Fatalf("term %+v is not a plain word", n)
		}
		*out = append(*out, n.Text)
	case *query.Or:
		if !anyWord {
			t.Fatalf("OR in a default-mode query: %s", n)
		}
		for _, m := range n.Nodes {
			collectTerms(t, m, anyWord, out)
		}
	case *query.And:
		for _, c := range n.Clauses {
			if c.Occur != query.Default {
				t.Fatalf("clause %s has occurrence %d", c.Node, c.Occur)
			}
			collectTerms(t, c.Node, anyWord, out)
		}
	default:
		t.Fatalf("%T %s in a plain query", n, n)
	}
}

func TestLoadCranfieldJoinsByPosition(t *testing.T) {
	c, err := LoadCranfield(filepath.Join("testdata", "cranfield-mini"), 20)
	if err != nil {
		t.Fatal(err)
	}
	if len(c.Docs) != 20 || len(c.Queries) != 225 {
		t.Fatalf("%d docs, %d queries", len(c.Docs), len(c.Queries))
	}
	// cran.qry numbers its third query 004; cranqrel calls it 3.
	if q := c.Queries[2]; q.Num != 3 || q.ID != "004" {
		t.Fatalf("third query: %+v", q)
	}
	if g := c.Qrels.Gains(1); g["184"] != eval.Gain(2) {
		t.Fatalf("query 1 judgements: %v", g)
	}
}

// Both file formats carry the same words; Markdown names the title once,
// as its heading.
func TestCranfileFormatsCarryTheSameWords(t *testing.T) {
	c, err := LoadCranfield(filepath.Join("testdata", "cranfield-mini"), 0)
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range c.Docs {
		txtName, txt, err := cranFile(d, FormatText)
		if err != nil {
			t.Fatal(err)
		}
		mdName, md, err := cranFile(d, FormatMarkdown)
		if err != nil {
			t.Fatal(err)
		}
		if cranID(txtName) != d.ID || cranID(mdName) != d.ID {
			t.Fatalf("names %q, %q for document %s", txtName, mdName, d.ID)
		}
		heading, _, _ := strings.Cut(md, "\n")
		if want := "# " + strings.Join(strings.Fields(d.Title), " "); heading != want {
			t.Fatalf("document %s: heading %q, want %q", d.ID, heading, want)
		}
		if !slices.Equal(strings.Fields(strings.TrimPrefix(md, "# ")), strings.Fields(txt)) {
			t.Fatalf("document %s: the formats differ in words:\n%s\n---\n%s", d.ID, txt, md)
		}
	}
	if _, _, err := cranFile(c.Docs[0], "pdf"); err == nil {
		t.Fatal("unknown format accepted")
	}
}
