package bench

import (
	"context"
	"fmt"
	"time"

	"github.com/blevesearch/bleve/v2"
	"github.com/blevesearch/bleve/v2/analysis/lang/en"
	"github.com/blevesearch/bleve/v2/index/scorch"
	"github.com/blevesearch/bleve/v2/mapping"
	"github.com/blevesearch/bleve/v2/search/highlight/highlighter/html"
	bindex "github.com/blevesearch/bleve_index_api"
)

// Fields of the bare index.
const (
	bareName    = "name"
	barePath    = "path"
	bareContent = "content"
)

// bareFields are the fields a bare query searches.
var bareFields = []string{bareName, barePath, bareContent}

// NewBareMapping returns the mapping of the baseline: what a plain bleve
// program would write. Documents have the text fields name, path and
// content, analyzed by bleve's English analyzer ("en"), stored and with
// term vectors (as the product keeps them, for snippets and phrases), not
// copied into _all; scoring is BM25.
func NewBareMapping() *mapping.IndexMappingImpl {
	m := mapping.NewIndexMapping()
	m.ScoringModel = bindex.BM25Scoring
	m.DefaultAnalyzer = en.AnalyzerName
	doc := mapping.NewDocumentStaticMapping()
	for _, name := range bareFields {
		f := mapping.NewTextFieldMapping()
		f.Analyzer = en.AnalyzerName
		f.IncludeInAll = false
		doc.AddFieldMappingsAt(name, f)
	}
	m.DefaultMapping = doc
	return m
}

// Bare is the baseline: a bare bleve scorch index.
type Bare struct {
	idx bleve.Index
}

// BuildBare creates a scorch index in dir ("" for memory) with
// NewBareMapping and indexes docs in batches of batch documents. took is
// the time spent in the indexing calls: scorch returns from a batch once
// it is persisted, so on disk that is the time until every document is
// durable and searchable.
func BuildBare(dir string, docs []Doc, batch int) (b *Bare, took time.Duration, err error) {
	if batch <= 0 {
		batch = 256
	}
	idx, err := bleve.NewUsing(dir, NewBareMapping(), scorch.Name, scorch.Name, nil)
	if err != nil {
		return nil, 0, fmt.Errorf("create bare index: %w", err)
	}
	b = &Bare{idx: idx}
	t0 := time.Now()
	for start := 0; start < len(docs); start += batch {
		bb := idx.NewBatch()
		for _, d := range docs[start:min(start+batch, len(docs))] {
			err := bb.Index(d.Path, map[string]any{bareName: d.Name, barePath: d.Path, bareContent: d.Text})
			if err != nil {
				idx.Close()
				return nil, 0, fmt.Errorf("bare batch: %w", err)
			}
		}
		if err := idx.Batch(bb); err != nil {
			idx.Close()
			return nil, 0, fmt.Errorf("bare batch: %w", err)
		}
	}
	return b, time.Since(t0), nil
}

// OpenBare opens a bare index that BuildBare made in dir.
func OpenBare(dir string) (*Bare, error) {
	idx, err := bleve.Open(dir)
	if err != nil {
		return nil, fmt.Errorf("open bare index: %w", err)
	}
	return &Bare{idx: idx}, nil
}

// Index returns the bleve index.
func (b *Bare) Index() bleve.Index { return b.idx }

// Close closes the index.
func (b *Bare) Close() error { return b.idx.Close() }

// bareSearcher runs benchmark queries in-process on a bare index.
type bareSearcher struct {
	name      string
	idx       bleve.Index
	highlight bool
}

func (s bareSearcher) Name() string { return s.name }

func (s bareSearcher) Search(ctx context.Context, q string) (SearchStat, error) {
	bq, err := BareQuery(q)
	if err != nil {
		return SearchStat{}, err
	}
	req := bleve.NewSearchRequestOptions(bq, pageSize, 0, false)
	req.Fields = []string{bareName, barePath}
	if s.highlight {
		req.Highlight = bleve.NewHighlightWithStyle(html.Name)
		req.Highlight.Fields = bareFields
	}
	res, err := s.idx.SearchInContext(ctx, req)
	if err != nil {
		return SearchStat{}, err
	}
	return SearchStat{Hits: res.Total, Engine: res.Took}, nil
}
