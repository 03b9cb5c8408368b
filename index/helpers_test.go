package index_test

import (
	"context"
	"path"
	"strings"
	"testing"
	"time"

	"github.com/blevesearch/bleve/v2"

	"github.com/distrisearch/distrisearch"
	"github.com/distrisearch/distrisearch/index"
)

// now is the clock of every test search.
var now = time.Date(2025, 6, 15, 12, 0, 0, 0, time.UTC)

// file describes a test record; zero fields get defaults.
type file struct {
	node, share, path string
	typ               string
	size              int64
	mod               time.Time
	title, content    string
	meta              map[string]string
}

func (f file) record() distrisearch.Record {
	if f.node == "" {
		f.node = "n1"
	}
	if f.share == "" {
		f.share = "docs"
	}
	if f.typ == "" {
		f.typ = "text"
	}
	if f.mod.IsZero() {
		f.mod = now.AddDate(-2, 0, 0)
	}
	name := path.Base(f.path)
	ext := strings.TrimPrefix(path.Ext(name), ".")
	return distrisearch.Record{
		FileID:  fileID(f.node, f.share, f.path),
		NodeID:  f.node,
		Share:   f.share,
		Path:    f.path,
		Name:    name,
		Ext:     ext,
		Type:    f.typ,
		Size:    f.size,
		ModTime: f.mod,
		Title:   f.title,
		Content: f.content,
		Meta:    f.meta,
	}
}

func fileID(node, share, p string) string { return distrisearch.FileID(node, share+"/"+p, "h") }

// openWith returns an in-memory partition holding files.
func openWith(t testing.TB, name string, files ...file) *index.Index {
	t.Helper()
	recs := make([]distrisearch.Record, len(files))
	text := map[string]string{}
	for i, f := range files {
		recs[i] = f.record()
		text[recs[i].FileID] = recs[i].Content
	}
	opts := index.DefaultOptions()
	opts.Name = name
	opts.Text = func(ref index.TextRef) (string, error) { return text[ref.FileID], nil } // the record store's part
	ix, err := index.Open("", opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ix.Close() })
	if err := ix.Apply(recs, nil); err != nil {
		t.Fatal(err)
	}
	return ix
}

func newSearcher(t testing.TB, opts index.SearchOptions, parts ...*index.Index) *index.Searcher {
	t.Helper()
	bis := make([]bleve.Index, len(parts))
	for i, p := range parts {
		bis[i] = p.Bleve()
	}
	s, err := index.NewSearcher(opts, bis...)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// run searches and fails the test on error or a partial result.
func run(t testing.TB, s *index.Searcher, req distrisearch.SearchRequest) distrisearch.SearchResult {
	t.Helper()
	res := runPartial(t, s, req)
	if res.Partial {
		t.Fatalf("search %q: partial result, missing %v", req.Query, res.Partitions.Missing)
	}
	return res
}

// runPartial searches and fails the test on error only.
func runPartial(t testing.TB, s *index.Searcher, req distrisearch.SearchRequest) distrisearch.SearchResult {
	t.Helper()
	if req.Limit == 0 {
		req.Limit = distrisearch.MaxLimit
	}
	res, err := s.Search(context.Background(), req, now)
	if err != nil {
		t.Fatalf("search %q: %v", req.Query, err)
	}
	return res
}

// paths returns the paths of the hits, in order.
func paths(res distrisearch.SearchResult) []string {
	out := make([]string, len(res.Hits))
	for i, h := range res.Hits {
		out[i] = h.Path
	}
	return out
}

func errCode(err error) string {
	if err == nil {
		return ""
	}
	return distrisearch.CodeOf(err)
}
