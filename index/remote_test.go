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
	return overTheWire(index.SearchPartitions(ctx, &remote, pre, index.DefaultSearchOptions(), j.parts...))
}

// overTheWire returns res as it arrives after a JSON round trip.
func overTheWire(res *bleve.SearchResult, err error) (*bleve.SearchResult, error) {
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

// jsonCaller stands for the node package's caller and the search endpoint
// of the nodes: each request and answer crosses a JSON boundary, and the
// "node" restricts its partition with Scoped for the viewer, as the real
// endpoint does.
type jsonCaller struct {
	parts map[string]bleve.Index
	scope func(node string, v distrisearch.Viewer) []distrisearch.ShareRef
}

func (c jsonCaller) Search(ctx context.Context, node string, rr index.RemoteRequest) (*bleve.SearchResult, error) {
	body, err := json.Marshal(rr)
	if err != nil {
		return nil, err
	}
	var got index.RemoteRequest
	if err := json.Unmarshal(body, &got); err != nil {
		return nil, err
	}
	part := index.Scoped(node, c.parts[node], c.scope(node, got.Viewer))
	return overTheWire(index.SearchPartitions(ctx, got.Request, got.PreSearch, index.DefaultSearchOptions(), part))
}

// TestRemoteAndScopedPartitions: remote partitions answer as local ones;
// a viewer's scope hides other shares' hits, totals and facets without
// changing the visible hits' scores; an unavailable partition is named
// missing.
func TestRemoteAndScopedPartitions(t *testing.T) {
	a := openWith(t, "a", corpus[:3]...)
	b := openWith(t, "b", corpus[3:6]...)
	c := openWith(t, "c", corpus[6:]...)
	admin := distrisearch.Viewer{Roles: []string{"admin"}}
	user := distrisearch.Viewer{Roles: []string{"user"}}
	scope := func(node string, v distrisearch.Viewer) []distrisearch.ShareRef {
		if len(v.Roles) > 0 && v.Roles[0] == "admin" {
			return nil
		}
		return []distrisearch.ShareRef{{Node: "n1", Share: "docs"}} // not the archive of n2
	}
	caller := jsonCaller{parts: map[string]bleve.Index{"b": b.Bleve(), "c": c.Bleve()}, scope: scope}
	searcherFor := func(v distrisearch.Viewer, extra ...bleve.Index) *index.Searcher {
		parts := append([]bleve.Index{index.Scoped("a", a.Bleve(), scope("a", v)),
			index.NewRemote("b", v, caller), index.NewRemote("c", v, caller)}, extra...)
		s, err := index.NewSearcher(index.DefaultSearchOptions(), parts...)
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	local := newSearcher(t, index.DefaultSearchOptions(), a, b, c)
	for _, req := range []distrisearch.SearchRequest{
		{Query: "revenue OR mutex", Facets: true, Highlight: true},
		{Query: "* -type:pdf", Sort: distrisearch.SortModified, Desc: true, Limit: 2},
		{Query: "quarter* modified:2024", Facets: true},
	} {
		want, got := run(t, local, req), run(t, searcherFor(admin), req)
		want.Took, got.Took, want.TookMS, got.TookMS = 0, 0, 0, 0
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("%+v:\nremote %+v\nlocal  %+v", req, got, want)
		}
	}

	req := distrisearch.SearchRequest{Query: "revenue OR mutex OR parse", Facets: true}
	all, mine := run(t, searcherFor(admin), req), run(t, searcherFor(user), req)
	scores := map[string]float64{}
	for _, h := range all.Hits {
		scores[h.FileID] = h.Score
	}
	if mine.Total == 0 || mine.Total >= all.Total {
		t.Fatalf("user sees %d of %d files", mine.Total, all.Total)
	}
	for _, h := range mine.Hits {
		if h.Share != "docs" || h.Score != scores[h.FileID] {
			t.Fatalf("user hit %s/%s score %v, admin's %v", h.Share, h.Path, h.Score, scores[h.FileID])
		}
	}
	for name, buckets := range mine.Facets {
		for _, bk := range buckets {
			if bk.Term == "archive" || bk.Term == "n2" || bk.Term == "pdf" {
				t.Fatalf("facet %s counts a hidden share: %+v", name, buckets)
			}
		}
	}

	res := runPartial(t, searcherFor(user, index.Unavailable("d", nil)), req)
	if !res.Partial || res.Partitions.Answered != 3 || !reflect.DeepEqual(res.Partitions.Missing, []string{"d"}) || res.Total != mine.Total {
		t.Fatalf("with a dead partition: %+v, %d hits", res.Partitions, res.Total)
	}
	if _, err := index.NewRemote("b", user, caller).Document("x"); err == nil {
		t.Fatal("a remote partition answered Document")
	}
}
