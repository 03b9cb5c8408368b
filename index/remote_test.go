package index_test

import (
	"context"
	"encoding/json"
	"reflect"
	"testing"

	"github.com/blevesearch/bleve/v2"
	"github.com/blevesearch/bleve/v2/search"

	"github.com/distrisearch/distrisearch"
	"github.com/distrisearch/distrisearch/index"
)

// jsonIndex stands for a partition on another node: the request and the
// result cross a JSON boundary, as they would over the network, and the
// remote side answers with SearchPartitions.
type jsonIndex struct {
	bleveIndex
	name  string
	parts []bleve.Index
}

func (j jsonIndex) Name() string { return j.name }

func (j jsonIndex) SearchInContext(ctx context.Context, req *bleve.SearchRequest) (*bleve.SearchResult, error) {
	_, pre := ctx.Value(search.PreSearchKey).(bool)
	body, err := json.Marshal(req)
	if err != nil {
		return nil, err
	}
	var remote bleve.SearchRequest
	if err := json.Unmarshal(body, &remote); err != nil {
		return nil, err
	}
	res, err := index.SearchPartitions(ctx, &remote, pre, index.DefaultSearchOptions(), j.parts...)
	if err != nil {
		return nil, err
	}
	out, err := json.Marshal(res)
	if err != nil {
		return nil, err
	}
	// bleve's IndexErrMap.UnmarshalJSON writes into the map it is given:
	// it must exist before decoding.
	back := bleve.SearchResult{Status: &bleve.SearchStatus{Errors: map[string]error{}}}
	if err := json.Unmarshal(out, &back); err != nil {
		return nil, err
	}
	return &back, nil
}

// TestRemotePartitions runs the same searches over local partitions and
// over the same partitions behind a JSON boundary: results must agree,
// cursors included.
func TestRemotePartitions(t *testing.T) {
	a := openWith(t, "a", corpus[:3]...)
	b := openWith(t, "b", corpus[3:6]...)
	c := openWith(t, "c", corpus[6:]...)
	local := newSearcher(t, index.DefaultSearchOptions(), a, b, c)
	remote, err := index.NewSearcher(index.DefaultSearchOptions(),
		jsonIndex{name: "a", parts: []bleve.Index{a.Bleve()}},
		jsonIndex{name: "bc", parts: []bleve.Index{b.Bleve(), c.Bleve()}})
	if err != nil {
		t.Fatal(err)
	}
	reqs := []distrisearch.SearchRequest{
		{Query: "revenue OR mutex", Facets: true, Highlight: true},
		{Query: "* -type:pdf", Sort: distrisearch.SortModified, Desc: true, Limit: 2},
		{Query: "share:archive", Sort: distrisearch.SortSize, Limit: 3},
		{Query: "quarter* modified:2024", Facets: true},
	}
	for _, req := range reqs {
		for page := 0; page < 5; page++ {
			want := run(t, local, req)
			got := run(t, remote, req)
			want.Took, got.Took, want.TookMS, got.TookMS = 0, 0, 0, 0
			want.Partitions, got.Partitions = distrisearch.PartitionCount{}, distrisearch.PartitionCount{}
			for i := range want.Hits {
				// Scores of one index and of an alias of two may differ in
				// the last bits; the order must not.
				want.Hits[i].Score, got.Hits[i].Score = 0, 0
			}
			if !reflect.DeepEqual(got, want) {
				t.Fatalf("%+v page %d:\nremote %+v\nlocal  %+v", req, page, got, want)
			}
			if want.NextCursor == "" {
				break
			}
			req.Cursor = want.NextCursor
		}
	}
}
