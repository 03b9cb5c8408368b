package index_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/blevesearch/bleve/v2"
	"github.com/blevesearch/bleve/v2/analysis/lang/en"
	"github.com/blevesearch/bleve/v2/index/scorch"
	"github.com/blevesearch/bleve/v2/mapping"
	bindex "github.com/blevesearch/bleve_index_api"

	"github.com/distrisearch/distrisearch"
	"github.com/distrisearch/distrisearch/index"
	"github.com/distrisearch/distrisearch/index/eval"
	"github.com/distrisearch/distrisearch/index/query"
)

// cranfieldDepth is how many results per query the metrics see.
const cranfieldDepth = 1000

type cranfield struct {
	docs    []eval.Doc
	queries []eval.Query
	qrels   eval.Qrels
}

// loadCranfield reads the collection from $DISTRISEARCH_CRANFIELD (a
// directory with cran.all.1400, cran.qry and cranqrel); the test is
// skipped without it.
func loadCranfield(t testing.TB) *cranfield {
	dir := os.Getenv("DISTRISEARCH_CRANFIELD")
	if dir == "" {
		t.Skip("set DISTRISEARCH_CRANFIELD to the Cranfield directory to run")
	}
	open := func(name string) *os.File {
		f, err := os.Open(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { f.Close() })
		return f
	}
	c := &cranfield{}
	var err error
	if c.docs, err = eval.ParseDocs(open("cran.all.1400")); err != nil {
		t.Fatal(err)
	}
	if c.queries, err = eval.ParseQueries(open("cran.qry")); err != nil {
		t.Fatal(err)
	}
	if c.qrels, err = eval.ParseQrels(open("cranqrel")); err != nil {
		t.Fatal(err)
	}
	return c
}

func cranID(id string) string { return distrisearch.FileID("cranfield", id, "") }

// evaluate runs every query through rank and returns nDCG@10 and MAP.
func (c *cranfield) evaluate(t testing.TB, rank func(q string) []string) (ndcg, mAP float64) {
	var ns, aps []float64
	for _, q := range c.queries {
		gains := map[string]int{}
		for doc, g := range c.qrels.Gains(q.Num) {
			gains[cranID(doc)] = g
		}
		ranked := rank(q.Text)
		ns = append(ns, eval.NDCG(ranked, gains, 10))
		aps = append(aps, eval.AveragePrecision(ranked, gains))
	}
	return eval.Mean(ns), eval.Mean(aps)
}

// bareEnglish ranks with a plain bleve index: one text field analyzed by
// "en", BM25, a match query (OR of the words).
func (c *cranfield) bareEnglish(t testing.TB) func(string) []string {
	m := mapping.NewIndexMapping()
	m.ScoringModel = bindex.BM25Scoring
	m.DefaultAnalyzer = en.AnalyzerName
	bi, err := bleve.NewUsing("", m, scorch.Name, scorch.Name, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { bi.Close() })
	b := bi.NewBatch()
	for _, d := range c.docs {
		if err := b.Index(cranID(d.ID), map[string]any{"text": d.Text}); err != nil {
			t.Fatal(err)
		}
	}
	if err := bi.Batch(b); err != nil {
		t.Fatal(err)
	}
	return func(q string) []string {
		mq := bleve.NewMatchQuery(q)
		mq.SetField("text")
		res, err := bi.Search(bleve.NewSearchRequestOptions(mq, cranfieldDepth, 0, false))
		if err != nil {
			t.Fatal(err)
		}
		ids := make([]string, len(res.Hits))
		for i, h := range res.Hits {
			ids[i] = h.ID
		}
		return ids
	}
}

// ours ranks through the product's path: records in a partition index and
// the query, words escaped, through the query language and the Searcher.
// With plain, each document is a plain-text file: no title field (the
// .W text, which is the content, starts with the title).
func (c *cranfield) ours(t testing.TB, opts index.SearchOptions, plain bool) func(string) []string {
	ix, err := index.Open("", index.DefaultOptions())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ix.Close() })
	recs := make([]distrisearch.Record, len(c.docs))
	for i, d := range c.docs {
		recs[i] = distrisearch.Record{
			FileID: cranID(d.ID), NodeID: "n1", Share: "cranfield", Path: d.ID, Name: d.ID,
			Type: "text", Title: d.Title, Content: d.Text,
		}
		if plain {
			recs[i].Name, recs[i].Title = d.ID+".txt", ""
		}
	}
	if err := ix.Apply(recs, nil); err != nil {
		t.Fatal(err)
	}
	s, err := index.NewSearcher(opts, ix.Bleve())
	if err != nil {
		t.Fatal(err)
	}
	now := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	return func(q string) []string {
		words := strings.Fields(q)
		for i, w := range words {
			words[i] = query.EscapeTerm(w)
		}
		var ids []string
		req := distrisearch.SearchRequest{Query: strings.Join(words, " "), Limit: distrisearch.MaxLimit}
		for len(ids) < cranfieldDepth {
			res, err := s.Search(context.Background(), req, now)
			if err != nil {
				t.Fatalf("%q: %v", req.Query, err)
			}
			for _, h := range res.Hits {
				ids = append(ids, h.FileID)
			}
			if res.NextCursor == "" {
				break
			}
			req.Cursor = res.NextCursor
		}
		return ids
	}
}

// TestCranfield compares our analysis and query semantics with bare
// bleve English BM25 on the Cranfield collection: ours must not be worse.
func TestCranfield(t *testing.T) {
	c := loadCranfield(t)
	n0, m0 := c.evaluate(t, c.bareEnglish(t))
	t.Logf("bare en BM25, OR:        nDCG@10 %.4f  MAP %.4f", n0, m0)
	n1, m1 := c.evaluate(t, c.ours(t, index.DefaultSearchOptions(), false))
	t.Logf("ours (default options):  nDCG@10 %.4f  MAP %.4f", n1, m1)
	if n1 < n0 || m1 < m0 {
		t.Errorf("ours is worse than bare en: nDCG@10 %.4f < %.4f or MAP %.4f < %.4f", n1, n0, m1, m0)
	}
	n2, m2 := c.evaluate(t, c.ours(t, index.DefaultSearchOptions(), true))
	t.Logf("ours, plain-text files:  nDCG@10 %.4f  MAP %.4f", n2, m2)
	if n2 < n0 || m2 < m0 {
		t.Errorf("ours on plain-text files is worse than bare en: nDCG@10 %.4f < %.4f or MAP %.4f < %.4f", n2, n0, m2, m0)
	}
	if os.Getenv("DISTRISEARCH_CRANFIELD_VARIANTS") != "" {
		or := index.DefaultSearchOptions()
		or.MinShould = func(int) int { return 1 }
		n, m := c.evaluate(t, c.ours(t, or, false))
		t.Logf("ours, OR of terms:       nDCG@10 %.4f  MAP %.4f", n, m)
		and := index.DefaultSearchOptions()
		and.MinShould = func(n int) int { return n }
		n, m = c.evaluate(t, c.ours(t, and, false))
		t.Logf("ours, strict AND:        nDCG@10 %.4f  MAP %.4f", n, m)
		alone := or
		alone.Boosts = index.Boosts{Content: 1}
		n, m = c.evaluate(t, c.ours(t, alone, false))
		t.Logf("ours, content only, OR:  nDCG@10 %.4f  MAP %.4f", n, m)
	}
}
