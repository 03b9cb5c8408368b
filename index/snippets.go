package index

import (
	"context"
	"slices"

	"github.com/blevesearch/bleve/v2"
	bdoc "github.com/blevesearch/bleve/v2/document"
	"github.com/blevesearch/bleve/v2/registry"
	"github.com/blevesearch/bleve/v2/search"
	"github.com/blevesearch/bleve/v2/search/highlight"
	"github.com/blevesearch/bleve/v2/search/highlight/highlighter/html"

	"github.com/distrisearch/distrisearch"
)

// TextSource returns the extracted text of a file (the record store, or
// the replicated record, keeps it). The index does not store the content
// field: loading a hit's fields would otherwise decompress its whole
// text, and every segment merge would copy it again. Snippets of the
// content are made from this text and the hit's term locations instead.
type TextSource func(ref TextRef) (string, error)

// TextRef names the file whose text a TextSource returns: its id and,
// when the hit's stored fields were loaded, its record key's parts.
type TextRef struct {
	FileID, Node, Share, Path string
}

// Key returns the record key of the file (distrisearch.RecordKey).
func (r TextRef) Key() string { return distrisearch.RecordKey(r.Node, r.Share, r.Path) }

// textIndex is a partition whose content snippets come from a TextSource.
// Every other method is the underlying index's.
type textIndex struct {
	baseIndex
	text TextSource
	hl   highlight.Highlighter
}

// baseIndex names the embedded index (a field named Index would hide
// bleve.Index's method of that name).
type baseIndex = bleve.Index

var contentHighlighter = func() highlight.Highlighter {
	h, err := registry.NewCache().HighlighterNamed(html.Name)
	if err != nil {
		panic(err) // the html highlighter is built into bleve
	}
	return h
}()

// Search is SearchInContext without a deadline.
func (t *textIndex) Search(req *bleve.SearchRequest) (*bleve.SearchResult, error) {
	return t.SearchInContext(context.Background(), req)
}

// SearchInContext searches, then fills the content snippets of the hits.
func (t *textIndex) SearchInContext(ctx context.Context, req *bleve.SearchRequest) (*bleve.SearchResult, error) {
	res, err := t.baseIndex.SearchInContext(ctx, req)
	if err != nil || res == nil || req.Highlight == nil ||
		(req.Highlight.Fields != nil && !slices.Contains(req.Highlight.Fields, fieldContent)) {
		return res, err
	}
	for _, hit := range res.Hits {
		t.snippet(hit)
	}
	return res, nil
}

func (t *textIndex) snippet(hit *search.DocumentMatch) {
	if len(hit.Locations[fieldContent]) == 0 {
		return
	}
	ref := TextRef{FileID: hit.ID}
	ref.Node, _ = hit.Fields[fieldNode].(string)
	ref.Share, _ = hit.Fields[fieldShare].(string)
	ref.Path, _ = hit.Fields[fieldPath].(string)
	text, err := t.text(ref)
	if err != nil || text == "" {
		return // a file gone since the search: no snippet, the hit stays
	}
	doc := bdoc.NewDocument(hit.ID)
	doc.AddField(bdoc.NewTextField(fieldContent, nil, []byte(text)))
	if frags := t.hl.BestFragmentsInField(hit, doc, fieldContent, 1); len(frags) > 0 {
		if hit.Fragments == nil {
			hit.Fragments = search.FieldFragmentMap{}
		}
		hit.Fragments[fieldContent] = frags
	}
}
