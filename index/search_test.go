package index_test

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/blevesearch/bleve/v2"
	"github.com/blevesearch/bleve/v2/search"

	"github.com/distrisearch/distrisearch"
	"github.com/distrisearch/distrisearch/index"
)

// corpus is a small mixed set of code and prose in two shares on two nodes.
var corpus = []file{
	{path: "src/lock.go", typ: "code", size: 2_000, mod: now.Add(-2 * time.Hour),
		content: "package lock\n// Guard the map with a sync.Mutex.\nvar mu sync.Mutex"},
	{path: "notes/mutex.txt", size: 50_000, mod: now.AddDate(0, 0, -3),
		title: "About locks", content: "A mutex is a lock that guards shared state."},
	{path: "src/config.go", typ: "code", size: 5_000_000, mod: now.AddDate(0, 0, -20),
		content: "func parseConfig(path string) error { return read_file(path) }"},
	{path: "notes/howto.md", size: 20_000_000, mod: now.AddDate(0, -6, 0),
		content: "First parse the config, then read the file. The HTTPServer starts after."},
	{path: "reports/2024/q1.pdf", share: "archive", node: "n2", typ: "pdf", size: 200_000_000,
		mod: time.Date(2024, 3, 31, 10, 0, 0, 0, time.UTC), title: "Quarterly report", content: "Revenue grew. Costs fell."},
	{path: "reports/2024/q2.pdf", share: "archive", node: "n2", typ: "pdf", size: 300_000,
		mod: time.Date(2024, 6, 30, 10, 0, 0, 0, time.UTC), title: "Quarterly report", content: "Revenue fell. Costs grew."},
	{path: "reports/2025/summary.docx", share: "archive", node: "n2", typ: "docx", size: 9_000,
		mod: time.Date(2025, 1, 15, 10, 0, 0, 0, time.UTC), content: "Summary of <b>revenue</b> & costs.",
		meta: map[string]string{"author": "Ada Lovelace"}},
	{path: "reports2/other.txt", share: "archive", node: "n2", size: 10,
		mod: time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC), content: "unrelated words only"},
}

func corpusSearcher(t *testing.T) *index.Searcher {
	return newSearcher(t, index.DefaultSearchOptions(), openWith(t, "p0", corpus...))
}

func sorted(xs []string) []string {
	out := append([]string(nil), xs...)
	sort.Strings(out)
	return out
}

func TestSearchMatches(t *testing.T) {
	s := corpusSearcher(t)
	tests := []struct {
		q    string
		want []string // paths, any order
	}{
		// Code-aware analysis.
		{"mutex", []string{"src/lock.go", "notes/mutex.txt"}},
		{"Mutex", []string{"src/lock.go", "notes/mutex.txt"}},
		{"sync.Mutex", []string{"src/lock.go"}},
		{"sync", []string{"src/lock.go"}},
		{"parse", []string{"src/config.go", "notes/howto.md"}},
		{"parseConfig", []string{"src/config.go"}},
		{"read_file", []string{"src/config.go"}},
		{"http", []string{"notes/howto.md"}},
		{"server", []string{"notes/howto.md"}},
		{"HTTPServer", []string{"notes/howto.md"}},
		// Phrases, also across sub-word positions.
		{`"read file"`, []string{"src/config.go"}},
		{`"sync mutex"`, []string{"src/lock.go"}},
		{`"var mu sync.Mutex"`, []string{"src/lock.go"}},
		{`"guards shared state"`, []string{"notes/mutex.txt"}},
		{`"state shared"`, nil},
		{`"the file"`, []string{"notes/howto.md", "src/config.go"}},
		// AND by default, OR, +, -.
		{"revenue costs", []string{"reports/2024/q1.pdf", "reports/2024/q2.pdf", "reports/2025/summary.docx"}},
		{"revenue mutex", nil},
		{"revenue grew zebra", nil}, // up to three terms: all must match
		{"revenue grew zebra yak", []string{"reports/2024/q1.pdf", "reports/2024/q2.pdf"}}, // four or more: any two
		{"revenue AND grew AND zebra AND yak", nil},
		{"revenue OR mutex", []string{"reports/2024/q1.pdf", "reports/2024/q2.pdf", "reports/2025/summary.docx", "src/lock.go", "notes/mutex.txt"}},
		{"revenue -quarterly", []string{"reports/2025/summary.docx"}},
		{"+mutex -sync", []string{"notes/mutex.txt"}},
		{"(mutex OR parse) -type:code", []string{"notes/mutex.txt", "notes/howto.md"}},
		{"the", nil},
		// Prefix and fuzzy.
		{"quarter*", []string{"reports/2024/q1.pdf", "reports/2024/q2.pdf"}},
		{"pars*", []string{"src/config.go", "notes/howto.md"}},
		{"mutx~1", []string{"src/lock.go", "notes/mutex.txt"}},
		{"revnue~2", []string{"reports/2024/q1.pdf", "reports/2024/q2.pdf", "reports/2025/summary.docx"}},
		// Field-restricted terms.
		{"name:mutex", []string{"notes/mutex.txt"}},
		{"title:quarterly", []string{"reports/2024/q1.pdf", "reports/2024/q2.pdf"}},
		{"content:quarterly", nil},
		{`title:"about locks"`, []string{"notes/mutex.txt"}},
		{"lovelace", []string{"reports/2025/summary.docx"}},
		{"reports", []string{"reports/2024/q1.pdf", "reports/2024/q2.pdf", "reports/2025/summary.docx", "reports2/other.txt"}},
		// Filters.
		{"type:code", []string{"src/lock.go", "src/config.go"}},
		{"type:PDF", []string{"reports/2024/q1.pdf", "reports/2024/q2.pdf"}},
		{"ext:go", []string{"src/lock.go", "src/config.go"}},
		{"ext:.md", []string{"notes/howto.md"}},
		{"share:archive -type:pdf", []string{"reports/2025/summary.docx", "reports2/other.txt"}},
		{"node:n1 lock", []string{"src/lock.go", "notes/mutex.txt"}},
		{"path:reports", []string{"reports/2024/q1.pdf", "reports/2024/q2.pdf", "reports/2025/summary.docx"}},
		{"path:/reports/2024/", []string{"reports/2024/q1.pdf", "reports/2024/q2.pdf"}},
		{"path:reports/2024/q1.pdf", []string{"reports/2024/q1.pdf"}},
		{"path:repo*", []string{"reports/2024/q1.pdf", "reports/2024/q2.pdf", "reports/2025/summary.docx", "reports2/other.txt"}},
		{"path:src", []string{"src/lock.go", "src/config.go"}},
		{"size:>1MB", []string{"src/config.go", "notes/howto.md", "reports/2024/q1.pdf"}},
		{"size:<=10", []string{"reports2/other.txt"}},
		{"size:10KB..1MB", []string{"notes/mutex.txt", "reports/2024/q2.pdf"}},
		{"size:2000", []string{"src/lock.go"}},
		{"modified:2024", []string{"reports/2024/q1.pdf", "reports/2024/q2.pdf", "notes/howto.md"}},
		{"modified:2024-03", []string{"reports/2024/q1.pdf"}},
		{"modified:>=2025-01-01 share:archive", []string{"reports/2025/summary.docx", "reports2/other.txt"}},
		{"modified:<2025-01-01 share:archive", []string{"reports/2024/q1.pdf", "reports/2024/q2.pdf"}},
		{"modified:>-7d", []string{"src/lock.go", "notes/mutex.txt"}},
		{"modified:-24h", []string{"src/lock.go"}},
		{"modified:2024-06-30..2025-01-15", []string{"notes/howto.md", "reports/2024/q2.pdf", "reports/2025/summary.docx", "reports2/other.txt"}},
		{"modified:<1000", nil},
		{"modified:>=1000", []string{"src/lock.go", "notes/mutex.txt", "src/config.go", "notes/howto.md", "reports/2024/q1.pdf", "reports/2024/q2.pdf", "reports/2025/summary.docx", "reports2/other.txt"}},
		{"*", []string{"src/lock.go", "notes/mutex.txt", "src/config.go", "notes/howto.md", "reports/2024/q1.pdf", "reports/2024/q2.pdf", "reports/2025/summary.docx", "reports2/other.txt"}},
		{"-type:pdf -type:text", []string{"src/lock.go", "src/config.go", "reports/2025/summary.docx"}},
	}
	// The same files in three partitions (global statistics) match alike.
	split := newSearcher(t, index.DefaultSearchOptions(),
		openWith(t, "a", corpus[:3]...), openWith(t, "b", corpus[3:6]...), openWith(t, "c", corpus[6:]...))
	for _, tt := range tests {
		for layout, s := range map[string]*index.Searcher{"one": s, "split": split} {
			res := run(t, s, distrisearch.SearchRequest{Query: tt.q, Facets: true})
			if got, want := sorted(paths(res)), sorted(tt.want); !reflect.DeepEqual(got, want) && !(len(got) == 0 && len(want) == 0) {
				t.Errorf("%s %q: got %q, want %q", layout, tt.q, got, want)
			}
			if res.Total != uint64(len(tt.want)) {
				t.Errorf("%s %q: total %d, want %d", layout, tt.q, res.Total, len(tt.want))
			}
		}
	}
}

func TestHitFields(t *testing.T) {
	s := corpusSearcher(t)
	res := run(t, s, distrisearch.SearchRequest{Query: "path:reports/2024/q1.pdf"})
	if len(res.Hits) != 1 {
		t.Fatalf("hits: %v", paths(res))
	}
	h := res.Hits[0]
	want := corpus[4].record()
	if h.FileID != want.FileID || h.NodeID != "n2" || h.Share != "archive" || h.Name != "q1.pdf" ||
		h.Ext != "pdf" || h.Type != "pdf" || h.Size != want.Size || !h.ModTime.Equal(want.ModTime) ||
		h.Title != "Quarterly report" || h.Score <= 0 {
		t.Errorf("hit = %+v, want fields of %+v", h, want)
	}
	if !reflect.DeepEqual(res.Partitions, distrisearch.PartitionCount{Total: 1, Answered: 1}) || res.Partial {
		t.Errorf("partitions = %+v, partial %v", res.Partitions, res.Partial)
	}
}

// TestRanking checks that exact and phrase matches rank above sub-word and
// scattered matches. Documents have equal lengths and neutral names.
func TestRanking(t *testing.T) {
	ix := openWith(t, "p0",
		file{path: "d1.txt", content: "we lock the sync.Mutex here today"},
		file{path: "d2.txt", content: "we lock the mutex here today ok"},
		file{path: "d3.txt", content: "then call parseConfig here today ok"},
		file{path: "d4.txt", content: "then call parse config here today"},
		file{path: "d5.txt", content: "first read file then stop here"},
		file{path: "d6.txt", content: "the file we then read here"},
		file{path: "d7.txt", content: "other words filler text here now"},
	)
	s := newSearcher(t, index.DefaultSearchOptions(), ix)
	tests := []struct {
		q    string
		want []string // exact order
	}{
		{"mutex", []string{"d2.txt", "d1.txt"}},
		{"sync.Mutex", []string{"d1.txt"}},
		{"parseConfig", []string{"d3.txt", "d4.txt"}},
		{"read file", []string{"d5.txt", "d6.txt"}},
		{`"read file"`, []string{"d5.txt"}},
	}
	for _, tt := range tests {
		if got := paths(run(t, s, distrisearch.SearchRequest{Query: tt.q})); !reflect.DeepEqual(got, tt.want) {
			t.Errorf("%q ranks %q, want %q", tt.q, got, tt.want)
		}
	}
}

func TestFacets(t *testing.T) {
	s := corpusSearcher(t)
	res := run(t, s, distrisearch.SearchRequest{Query: "*", Facets: true})
	want := map[string][]distrisearch.Facet{
		index.FacetType:  {{Term: "text", Count: 3}, {Term: "code", Count: 2}, {Term: "pdf", Count: 2}, {Term: "docx", Count: 1}},
		index.FacetExt:   {{Term: "go", Count: 2}, {Term: "pdf", Count: 2}, {Term: "docx", Count: 1}, {Term: "md", Count: 1}, {Term: "txt", Count: 2}},
		index.FacetShare: {{Term: "archive", Count: 4}, {Term: "docs", Count: 4}},
		index.FacetNode:  {{Term: "n1", Count: 4}, {Term: "n2", Count: 4}},
		index.FacetSize: {{Term: "<10KB", Count: 3}, {Term: "10KB-1MB", Count: 2}, {Term: "1MB-10MB", Count: 1},
			{Term: "10MB-100MB", Count: 1}, {Term: ">100MB", Count: 1}},
		index.FacetModified: {{Term: "24h", Count: 1}, {Term: "7d", Count: 2}, {Term: "30d", Count: 3},
			{Term: "1y", Count: 7}, {Term: "older", Count: 1}},
	}
	for name, w := range want {
		got := res.Facets[name]
		if name == index.FacetExt || name == index.FacetShare || name == index.FacetNode {
			// equal counts come in an order bleve chooses; compare as sets
			sort.Slice(got, func(i, j int) bool { return got[i].Term < got[j].Term })
			sort.Slice(w, func(i, j int) bool { return w[i].Term < w[j].Term })
		}
		if name == index.FacetType {
			sort.SliceStable(got[1:3], func(i, j int) bool { return got[1+i].Term < got[1+j].Term })
		}
		if !reflect.DeepEqual(got, w) {
			t.Errorf("facet %s = %v, want %v", name, got, w)
		}
	}
	// Facets follow the query.
	res = run(t, s, distrisearch.SearchRequest{Query: "share:archive", Facets: true})
	if got := res.Facets[index.FacetNode]; !reflect.DeepEqual(got, []distrisearch.Facet{{Term: "n2", Count: 4}}) {
		t.Errorf("node facet of share:archive = %v", got)
	}
	if res := run(t, s, distrisearch.SearchRequest{Query: "*"}); res.Facets != nil {
		t.Errorf("facets without asking: %v", res.Facets)
	}
}

func TestSorts(t *testing.T) {
	s := corpusSearcher(t)
	bySize := []string{"reports2/other.txt", "src/lock.go", "reports/2025/summary.docx", "notes/mutex.txt",
		"reports/2024/q2.pdf", "src/config.go", "notes/howto.md", "reports/2024/q1.pdf"}
	byMod := []string{"reports/2024/q1.pdf", "reports/2024/q2.pdf", "notes/howto.md", "reports2/other.txt",
		"reports/2025/summary.docx", "src/config.go", "notes/mutex.txt", "src/lock.go"}
	byName := []string{"src/config.go", "notes/howto.md", "src/lock.go", "notes/mutex.txt", "reports2/other.txt",
		"reports/2024/q1.pdf", "reports/2024/q2.pdf", "reports/2025/summary.docx"}
	reverse := func(xs []string) []string {
		out := make([]string, len(xs))
		for i, x := range xs {
			out[len(xs)-1-i] = x
		}
		return out
	}
	tests := []struct {
		sort string
		desc bool
		want []string
	}{
		{distrisearch.SortSize, false, bySize},
		{distrisearch.SortSize, true, reverse(bySize)},
		{distrisearch.SortModified, false, byMod},
		{distrisearch.SortModified, true, reverse(byMod)},
		{distrisearch.SortName, false, byName},
		{distrisearch.SortName, true, reverse(byName)},
	}
	for _, tt := range tests {
		res := run(t, s, distrisearch.SearchRequest{Query: "*", Sort: tt.sort, Desc: tt.desc})
		if got := paths(res); !reflect.DeepEqual(got, tt.want) {
			t.Errorf("sort %s desc=%v: %q, want %q", tt.sort, tt.desc, got, tt.want)
		}
	}
	// Relevance: best first, equal scores by file id.
	res := run(t, s, distrisearch.SearchRequest{Query: "*", Sort: distrisearch.SortRelevance})
	for i := 1; i < len(res.Hits); i++ {
		a, b := res.Hits[i-1], res.Hits[i]
		if a.Score < b.Score || a.Score == b.Score && a.FileID > b.FileID {
			t.Errorf("relevance order broken at %d: %v/%s then %v/%s", i, a.Score, a.FileID, b.Score, b.FileID)
		}
	}
}

// manyFiles returns n files with a shared word, repeated scores and sizes.
func manyFiles(n int) []file {
	fs := make([]file, n)
	for i := range fs {
		fs[i] = file{
			path:    fmt.Sprintf("bulk/f%04d.txt", i),
			size:    int64(i % 17),
			mod:     now.Add(-time.Duration(i%5) * time.Hour),
			content: "common " + strings.Repeat("filler ", i%3),
		}
	}
	return fs
}

func TestCursorPagination(t *testing.T) {
	const n = 1201
	s := newSearcher(t, index.DefaultSearchOptions(), openWith(t, "p0", manyFiles(n)...))
	for _, order := range []struct {
		sort string
		desc bool
	}{
		{distrisearch.SortRelevance, false},
		{distrisearch.SortSize, true},
		{distrisearch.SortModified, false},
		{distrisearch.SortName, true},
	} {
		seen := map[string]int{}
		req := distrisearch.SearchRequest{Query: "common", Limit: distrisearch.MaxLimit, Sort: order.sort, Desc: order.desc}
		pages := 0
		for {
			res := run(t, s, req)
			pages++
			if res.Total != n {
				t.Fatalf("%s: total %d, want %d", order.sort, res.Total, n)
			}
			for _, h := range res.Hits {
				seen[h.FileID]++
			}
			if res.NextCursor == "" {
				break
			}
			if pages > n/distrisearch.MaxLimit+2 {
				t.Fatalf("%s: too many pages", order.sort)
			}
			req.Cursor = res.NextCursor
		}
		if len(seen) != n {
			t.Errorf("%s: saw %d distinct files, want %d", order.sort, len(seen), n)
		}
		for id, c := range seen {
			if c != 1 {
				t.Errorf("%s: file %s seen %d times", order.sort, id, c)
			}
		}
		if pages != (n+distrisearch.MaxLimit-1)/distrisearch.MaxLimit {
			t.Errorf("%s: %d pages", order.sort, pages)
		}
	}
}

func TestBadRequests(t *testing.T) {
	s := corpusSearcher(t)
	first := run(t, s, distrisearch.SearchRequest{Query: "*", Limit: 2})
	if first.NextCursor == "" {
		t.Fatal("no cursor")
	}
	tests := []struct {
		req  distrisearch.SearchRequest
		code string
	}{
		{distrisearch.SearchRequest{Query: "foo:bar"}, "bad_query"},
		{distrisearch.SearchRequest{Query: "*abc"}, "bad_query"},
		{distrisearch.SearchRequest{Query: "", Limit: 1}, "bad_query"},
		{distrisearch.SearchRequest{Query: "*", Limit: distrisearch.MaxLimit + 1}, "bad_limit"},
		{distrisearch.SearchRequest{Query: "*", Limit: -1}, "bad_limit"},
		{distrisearch.SearchRequest{Query: "*", Sort: "color"}, "bad_sort"},
		{distrisearch.SearchRequest{Query: "*", Cursor: "garbage!"}, "bad_cursor"},
		{distrisearch.SearchRequest{Query: "*", Cursor: "eyJ2IjoxfQ"}, "bad_cursor"},
		{distrisearch.SearchRequest{Query: "*", Cursor: strings.Repeat("A", 5000)}, "bad_cursor"},
		{distrisearch.SearchRequest{Query: "revenue", Cursor: first.NextCursor}, "bad_cursor"},
		{distrisearch.SearchRequest{Query: "*", Sort: distrisearch.SortSize, Cursor: first.NextCursor}, "bad_cursor"},
	}
	for _, tt := range tests {
		_, err := s.Search(context.Background(), tt.req, now)
		if errCode(err) != tt.code || distrisearch.KindOf(err) != distrisearch.KindInvalid {
			t.Errorf("%+v: error %v (code %q), want KindInvalid %q", tt.req, err, errCode(err), tt.code)
		}
	}
	// The same cursor with its own query works.
	if _, err := s.Search(context.Background(), distrisearch.SearchRequest{Query: "*", Limit: 2, Cursor: first.NextCursor}, now); err != nil {
		t.Errorf("valid cursor: %v", err)
	}
	// Limit 0 takes the default.
	if res := run(t, s, distrisearch.SearchRequest{Query: "*", Limit: 0}); len(res.Hits) != len(corpus) {
		t.Errorf("default limit: %d hits", len(res.Hits))
	}
}

func TestSnippets(t *testing.T) {
	s := corpusSearcher(t)
	res := run(t, s, distrisearch.SearchRequest{Query: "revenue", Highlight: true})
	var doc distrisearch.Hit
	for _, h := range res.Hits {
		if h.Name == "summary.docx" {
			doc = h
		}
	}
	got := doc.Snippets["content"]
	if len(got) != 1 || got[0] != "Summary of &lt;b&gt;<mark>revenue</mark>&lt;/b&gt; &amp; costs." {
		t.Errorf("content snippets = %q", got)
	}
	if _, ok := doc.Snippets["name"]; ok {
		t.Errorf("a name without a match has a snippet: %q", doc.Snippets)
	}
	res = run(t, s, distrisearch.SearchRequest{Query: "mutex", Highlight: true})
	for _, h := range res.Hits {
		switch h.Name {
		case "lock.go":
			if c := h.Snippets["content"]; len(c) != 1 || !strings.Contains(c[0], "sync.<mark>Mutex</mark>") {
				t.Errorf("lock.go snippets = %q", h.Snippets)
			}
		case "mutex.txt":
			if n := h.Snippets["name"]; len(n) != 1 || n[0] != "<mark>mutex</mark>.txt" {
				t.Errorf("mutex.txt snippets = %q", h.Snippets)
			}
		}
	}
	if res := run(t, s, distrisearch.SearchRequest{Query: "mutex"}); res.Hits[0].Snippets != nil {
		t.Errorf("snippets without asking: %v", res.Hits[0].Snippets)
	}
}

func TestQueryTooExpensive(t *testing.T) {
	fs := make([]file, 300)
	for i := range fs {
		fs[i] = file{path: fmt.Sprintf("w/%d.txt", i), content: fmt.Sprintf("word%03d", i)}
	}
	opts := index.DefaultSearchOptions()
	opts.MaxTermSearchers = 100
	s := newSearcher(t, opts, openWith(t, "p0", fs...))
	_, err := s.Search(context.Background(), distrisearch.SearchRequest{Query: "word*", Limit: 10}, now)
	if errCode(err) != "query_too_expensive" || distrisearch.KindOf(err) != distrisearch.KindInvalid {
		t.Errorf("word*: error %v, want query_too_expensive", err)
	}
	if !strings.Contains(distrisearch.MessageOf(err), "100") {
		t.Errorf("message %q does not give the limit", distrisearch.MessageOf(err))
	}
	res := run(t, s, distrisearch.SearchRequest{Query: "word01*"})
	if res.Total != 10 {
		t.Errorf("word01*: %d hits, want 10", res.Total)
	}
	_, err = s.Search(context.Background(), distrisearch.SearchRequest{Query: "*ord01"}, now)
	if errCode(err) != "bad_query" || !strings.Contains(distrisearch.MessageOf(err), "leading wildcard") {
		t.Errorf("leading wildcard: %v", err)
	}
}

// TestGlobalScoring checks that two partitions rank like one index holding
// the same files, although their sizes differ a lot (which, scored
// locally, would favour the big partition's files).
func TestGlobalScoring(t *testing.T) {
	doc := func(p string, tf int) file {
		words := strings.Repeat("alpha ", tf) + strings.Repeat("pad ", 8-tf)
		return file{path: p, content: words}
	}
	var small, big []file
	small = append(small, doc("s/four.txt", 4), doc("s/one.txt", 1), file{path: "s/x.txt", content: "beta"})
	big = append(big, doc("b/three.txt", 3), doc("b/two.txt", 2))
	for i := 0; i < 40; i++ {
		big = append(big, file{path: fmt.Sprintf("b/filler%d.txt", i), content: "beta gamma delta"})
	}
	single := newSearcher(t, index.DefaultSearchOptions(), openWith(t, "all", append(append([]file{}, small...), big...)...))
	p1, p2 := openWith(t, "p1", small...), openWith(t, "p2", big...)
	split := newSearcher(t, index.DefaultSearchOptions(), p1, p2)

	want := []string{"s/four.txt", "b/three.txt", "b/two.txt", "s/one.txt"}
	req := distrisearch.SearchRequest{Query: "alpha"}
	if got := paths(run(t, single, req)); !reflect.DeepEqual(got, want) {
		t.Fatalf("one index ranks %q, want %q", got, want)
	}
	res := run(t, split, req)
	if got := paths(res); !reflect.DeepEqual(got, want) {
		t.Errorf("two partitions rank %q, want %q", got, want)
	}
	if !reflect.DeepEqual(res.Partitions, distrisearch.PartitionCount{Total: 2, Answered: 2}) || res.Partial {
		t.Errorf("partitions %+v partial %v", res.Partitions, res.Partial)
	}

	// Without the statistics phase the ranking differs: the test is not
	// vacuous.
	mq := bleve.NewMatchQuery("alpha")
	mq.SetField("content")
	local, err := bleve.NewIndexAlias(p1.Bleve(), p2.Bleve()).Search(bleve.NewSearchRequest(mq))
	if err != nil {
		t.Fatal(err)
	}
	if len(local.Hits) != 4 || local.Hits[0].ID != fileID("n1", "docs", "b/three.txt") {
		t.Errorf("local scoring unexpectedly ranks like global scoring")
	}
}

// bleveIndex lets brokenIndex embed the interface (its method Index
// clashes with an embedded field of that name).
type bleveIndex = bleve.Index

// brokenIndex is a partition whose node does not answer. Like a remote
// wrapper, it implements only Name and SearchInContext.
type brokenIndex struct {
	bleveIndex
	name  string
	block bool // wait for the context instead of failing at once
}

func (b brokenIndex) Name() string { return b.name }

func (b brokenIndex) SearchInContext(ctx context.Context, _ *bleve.SearchRequest) (*bleve.SearchResult, error) {
	if b.block {
		<-ctx.Done()
		return nil, ctx.Err()
	}
	return nil, errors.New("connection refused")
}

func TestPartialResults(t *testing.T) {
	ix := openWith(t, "good", corpus...)
	s, err := index.NewSearcher(index.DefaultSearchOptions(), ix.Bleve(), brokenIndex{name: "down"})
	if err != nil {
		t.Fatal(err)
	}
	res := runPartial(t, s, distrisearch.SearchRequest{Query: "mutex"})
	if len(res.Hits) != 2 || !res.Partial ||
		!reflect.DeepEqual(res.Partitions, distrisearch.PartitionCount{Total: 2, Answered: 1, Missing: []string{"down"}}) {
		t.Errorf("hits %q partial %v partitions %+v", paths(res), res.Partial, res.Partitions)
	}

	s, err = index.NewSearcher(index.DefaultSearchOptions(), brokenIndex{name: "a"}, brokenIndex{name: "b"})
	if err != nil {
		t.Fatal(err)
	}
	_, err = s.Search(context.Background(), distrisearch.SearchRequest{Query: "mutex"}, now)
	if distrisearch.KindOf(err) != distrisearch.KindUnavailable || errCode(err) != "search_unavailable" {
		t.Errorf("no partition: %v", err)
	}

	// A partition that hangs is cut off by the deadline.
	s, err = index.NewSearcher(index.DefaultSearchOptions(), brokenIndex{name: "slow", block: true})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err = s.Search(ctx, distrisearch.SearchRequest{Query: "mutex"}, now)
	if distrisearch.KindOf(err) != distrisearch.KindUnavailable || errCode(err) != "canceled" {
		t.Errorf("canceled: %v", err)
	}
	opts := index.DefaultSearchOptions()
	opts.Timeout = time.Millisecond
	s, err = index.NewSearcher(opts, brokenIndex{name: "slow", block: true}, brokenIndex{name: "slow2", block: true})
	if err != nil {
		t.Fatal(err)
	}
	_, err = s.Search(context.Background(), distrisearch.SearchRequest{Query: "mutex"}, now)
	if distrisearch.KindOf(err) != distrisearch.KindUnavailable || errCode(err) != "timeout" {
		t.Errorf("timeout: %v", err)
	}
}

func TestNewSearcherChecks(t *testing.T) {
	a := openWith(t, "same")
	b := openWith(t, "same")
	if _, err := index.NewSearcher(index.DefaultSearchOptions(), a.Bleve(), b.Bleve()); err == nil {
		t.Error("duplicate partition names accepted")
	}
	if _, err := index.NewSearcher(index.DefaultSearchOptions()); err == nil {
		t.Error("no partitions accepted")
	}
	bad := index.DefaultSearchOptions()
	bad.MaxTermSearchers = 0
	if _, err := index.NewSearcher(bad, a.Bleve()); err == nil {
		t.Error("bad options accepted")
	}
}

// TestBM25 checks that scoring really is BM25.
func TestBM25(t *testing.T) {
	ix := openWith(t, "p0", file{path: "a.txt", content: "alpha beta"}, file{path: "b.txt", content: "gamma"})
	tq := bleve.NewTermQuery("alpha")
	tq.SetField("content")
	req := bleve.NewSearchRequest(tq)
	req.Explain = true
	res, err := ix.Bleve().Search(req)
	if err != nil || len(res.Hits) != 1 {
		t.Fatalf("search: %v %v", err, res)
	}
	if !strings.Contains(explain(res.Hits[0].Expl), "bm25") {
		t.Errorf("explanation does not mention bm25: %s", explain(res.Hits[0].Expl))
	}
}

func explain(e *search.Explanation) string {
	if e == nil {
		return ""
	}
	s := e.Message
	for _, c := range e.Children {
		s += " " + explain(c)
	}
	return s
}

// Prefix and fuzzy words reach stemmed content: the content has no
// unstemmed twin.
func TestPrefixFuzzyReachStems(t *testing.T) {
	ix := openWith(t, "p0",
		file{path: "a.txt", content: "we parse it"},
		file{path: "b.txt", content: "one goroutine each"},
		file{path: "c.txt", content: "nothing relevant"},
	)
	s := newSearcher(t, index.DefaultSearchOptions(), ix)
	for q, want := range map[string][]string{"parse*": {"a.txt"}, "gorutine~1": {"b.txt"}, "goroutines": {"b.txt"}} {
		if got := paths(run(t, s, distrisearch.SearchRequest{Query: q})); !reflect.DeepEqual(got, want) {
			t.Errorf("%q finds %q, want %q", q, got, want)
		}
	}
}

// The first relevance page is searched by score alone; pages must still
// hold every file once, in score then file-id order, whether the page
// boundary falls in a run of equal scores or between two scores.
func TestRelevancePagesWithTies(t *testing.T) {
	var files []file
	for i := range 9 {
		files = append(files, file{path: fmt.Sprintf("tie%d.txt", i), content: "alpha beta gamma"})
	}
	for i := range 5 {
		files = append(files, file{path: fmt.Sprintf("more%d.txt", i), content: fmt.Sprintf("alpha alpha alpha words %d", i)})
	}
	s := newSearcher(t, index.DefaultSearchOptions(), openWith(t, "p0", files...))
	var want []string
	for _, h := range run(t, s, distrisearch.SearchRequest{Query: "alpha", Limit: 100}).Hits {
		want = append(want, h.FileID)
	}
	if len(want) != len(files) {
		t.Fatalf("%d hits, want %d", len(want), len(files))
	}
	for limit := 1; limit <= len(files); limit++ {
		var got []string
		req := distrisearch.SearchRequest{Query: "alpha", Limit: limit}
		for {
			res := run(t, s, req)
			for _, h := range res.Hits {
				got = append(got, h.FileID)
			}
			if res.NextCursor == "" || len(got) > len(files) {
				break
			}
			req.Cursor = res.NextCursor
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("limit %d: pages give %q, want %q", limit, got, want)
		}
	}
}

// TestScope: a scoped search neither returns nor counts files outside the
// scope — totals, facets and hits all agree — and scores of visible files
// do not change.
func TestScope(t *testing.T) {
	s := corpusSearcher(t)
	docs := []distrisearch.ShareRef{{Node: "n1", Share: "docs"}}
	res := run(t, s, distrisearch.SearchRequest{Query: "revenue OR mutex", Facets: true, Scope: docs})
	if res.Total != 2 || len(res.Hits) != 2 {
		t.Fatalf("scoped to n1/docs: total %d, hits %d, want 2", res.Total, len(res.Hits))
	}
	for _, h := range res.Hits {
		if h.Share != "docs" || h.NodeID != "n1" {
			t.Errorf("hit outside the scope: %s/%s/%s", h.NodeID, h.Share, h.Path)
		}
	}
	if got := res.Facets[index.FacetShare]; !reflect.DeepEqual(got, []distrisearch.Facet{{Term: "docs", Count: 2}}) {
		t.Errorf("share facet leaks other shares: %v", got)
	}
	all := run(t, s, distrisearch.SearchRequest{Query: "revenue OR mutex"})
	if all.Total != 5 {
		t.Fatalf("unscoped total %d, want 5", all.Total)
	}
	scores := map[string]float64{}
	for _, h := range all.Hits {
		scores[h.FileID] = h.Score
	}
	for _, h := range res.Hits {
		if scores[h.FileID] != h.Score {
			t.Errorf("%s: scoped score %v, unscoped %v", h.Path, h.Score, scores[h.FileID])
		}
	}
	// Same share name on another node is another share.
	if res := run(t, s, distrisearch.SearchRequest{Query: "*", Scope: []distrisearch.ShareRef{{Node: "n2", Share: "docs"}}}); res.Total != 0 {
		t.Errorf("n2/docs matched %d files", res.Total)
	}
	if res := run(t, s, distrisearch.SearchRequest{Query: "*", Scope: []distrisearch.ShareRef{}}); res.Total != 0 || len(res.Hits) != 0 {
		t.Errorf("empty scope matched %d files", res.Total)
	}
}
