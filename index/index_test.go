package index_test

import (
	"errors"
	"path/filepath"
	"strings"
	"testing"

	"github.com/distrisearch/distrisearch"
	"github.com/distrisearch/distrisearch/index"
)

func TestDurability(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "p7")
	ix, err := index.Open(dir, index.DefaultOptions())
	if err != nil {
		t.Fatal(err)
	}
	if ix.Name() != "p7" {
		t.Errorf("name %q, want the directory's base name", ix.Name())
	}
	recs := make([]distrisearch.Record, len(corpus))
	for i, f := range corpus {
		recs[i] = f.record()
	}
	if err := ix.Apply(recs[:4], nil); err != nil {
		t.Fatal(err)
	}
	// The last batch right before Close must survive (bleve's unsafe_batch
	// lost it).
	if err := ix.Apply(recs[4:], []string{recs[0].FileID}); err != nil {
		t.Fatal(err)
	}
	if err := ix.Close(); err != nil {
		t.Fatal(err)
	}

	ix, err = index.Open(dir, index.DefaultOptions())
	if err != nil {
		t.Fatal(err)
	}
	defer ix.Close()
	n, err := ix.DocCount()
	if err != nil || n != uint64(len(recs)-1) {
		t.Fatalf("after reopen: %d documents (%v), want %d", n, err, len(recs)-1)
	}
	for i, r := range recs {
		ok, err := ix.Get(r.FileID)
		if err != nil || ok != (i != 0) {
			t.Errorf("Get(%s) = %v, %v", r.Path, ok, err)
		}
	}
	s := newSearcher(t, index.DefaultSearchOptions(), ix)
	if got := paths(run(t, s, distrisearch.SearchRequest{Query: "revenue"})); len(got) != 3 {
		t.Errorf("search after reopen: %q", got)
	}
}

func TestApply(t *testing.T) {
	ix := openWith(t, "p0")
	a, b := corpus[0].record(), corpus[1].record()
	if err := ix.Apply(nil, nil); err != nil {
		t.Errorf("empty apply: %v", err)
	}
	if err := ix.Apply([]distrisearch.Record{a, b}, []string{b.FileID}); err != nil {
		t.Fatal(err)
	}
	if ok, _ := ix.Get(b.FileID); ok {
		t.Error("a file both put and deleted in one batch is indexed")
	}
	// Re-putting a file replaces it.
	a.Content = "completely different words"
	if err := ix.Apply([]distrisearch.Record{a}, nil); err != nil {
		t.Fatal(err)
	}
	s := newSearcher(t, index.DefaultSearchOptions(), ix)
	if res := run(t, s, distrisearch.SearchRequest{Query: "mutex"}); res.Total != 0 {
		t.Errorf("old content still found: %q", paths(res))
	}
	if res := run(t, s, distrisearch.SearchRequest{Query: "different"}); res.Total != 1 {
		t.Errorf("new content not found: %q", paths(res))
	}
	if n, _ := ix.DocCount(); n != 1 {
		t.Errorf("DocCount = %d, want 1", n)
	}
	// Deleting an unknown file is fine.
	if err := ix.Apply(nil, []string{b.FileID}); err != nil {
		t.Errorf("delete unknown: %v", err)
	}

	bad := a
	bad.FileID = "not-an-id"
	for _, err := range []error{ix.Apply([]distrisearch.Record{bad}, nil), ix.Apply(nil, []string{"../x"})} {
		if distrisearch.KindOf(err) != distrisearch.KindInvalid || errCode(err) != "bad_file_id" {
			t.Errorf("bad id: %v", err)
		}
	}
}

func TestContentLimit(t *testing.T) {
	opts := index.DefaultOptions()
	opts.MaxContentBytes = 20
	ix, err := index.Open("", opts)
	if err != nil {
		t.Fatal(err)
	}
	defer ix.Close()
	r := file{path: "big.txt", content: "early words héhé then late words"}.record()
	if err := ix.Apply([]distrisearch.Record{r}, nil); err != nil {
		t.Fatal(err)
	}
	s := newSearcher(t, index.DefaultSearchOptions(), ix)
	if res := run(t, s, distrisearch.SearchRequest{Query: "early"}); res.Total != 1 {
		t.Error("the start of the content is not indexed")
	}
	if res := run(t, s, distrisearch.SearchRequest{Query: "late"}); res.Total != 0 {
		t.Error("content past MaxContentBytes is indexed")
	}
}

func TestIncompatibleVersion(t *testing.T) {
	dir := t.TempDir()
	ix, err := index.Open(dir, index.DefaultOptions())
	if err != nil {
		t.Fatal(err)
	}
	if err := ix.Bleve().SetInternal([]byte("ds_mapping_version"), []byte("0")); err != nil {
		t.Fatal(err)
	}
	if err := ix.Close(); err != nil {
		t.Fatal(err)
	}
	_, err = index.Open(dir, index.DefaultOptions())
	if !errors.Is(err, index.ErrIncompatible) {
		t.Errorf("open of an old index: %v, want ErrIncompatible", err)
	}
}

func TestOptionsValidate(t *testing.T) {
	if err := index.DefaultOptions().Validate(); err != nil {
		t.Errorf("default options: %v", err)
	}
	if err := index.DefaultSearchOptions().Validate(); err != nil {
		t.Errorf("default search options: %v", err)
	}
	bad := index.DefaultOptions()
	bad.MaxContentBytes = 0
	if _, err := index.Open("", bad); err == nil {
		t.Error("MaxContentBytes 0 accepted")
	}
	bad = index.DefaultOptions()
	bad.Name = strings.Repeat("x", 300)
	if err := bad.Validate(); err == nil {
		t.Error("long name accepted")
	}
	so := index.DefaultSearchOptions()
	so.Boosts.Title = -1
	if err := so.Validate(); err == nil {
		t.Error("negative boost accepted")
	}
}

func TestMinShouldMatch(t *testing.T) {
	for n, want := range map[int]int{0: 0, 1: 1, 2: 2, 3: 3, 4: 2, 20: 2} {
		if got := index.MinShouldMatch(n); got != want {
			t.Errorf("MinShouldMatch(%d) = %d, want %d", n, got, want)
		}
	}
}
