package index_test

import (
	"fmt"
	"hash/fnv"
	"slices"
	"testing"

	"github.com/blevesearch/bleve/v2"

	"github.com/distrisearch/distrisearch"
	"github.com/distrisearch/distrisearch/index"
)

const testPartitions = 4

func partitionOf(key string) int {
	h := fnv.New32a()
	h.Write([]byte(key))
	return int(h.Sum32() % testPartitions)
}

// openPartitioned returns an in-memory index whose documents carry their
// partition, holding files.
func openPartitioned(t *testing.T, files ...file) *index.Index {
	t.Helper()
	opts := index.DefaultOptions()
	opts.PartitionOf = partitionOf
	ix, err := index.Open("", opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ix.Close() })
	recs := make([]distrisearch.Record, len(files))
	for i, f := range files {
		recs[i] = f.record()
	}
	if err := ix.Apply(recs, nil); err != nil {
		t.Fatal(err)
	}
	return ix
}

func ids(hits []distrisearch.Hit) []string {
	var out []string
	for _, h := range hits {
		out = append(out, h.FileID)
	}
	slices.Sort(out)
	return out
}

// TestScopedPartitions: two replicas of the same data, each asked for
// half the partitions, give exactly the hits of the whole index, each
// once; a searcher counts data partitions; partitions without a replica
// are named one by one and their files are missing, nothing else.
func TestScopedPartitions(t *testing.T) {
	var files []file
	for i := range 40 {
		files = append(files, file{share: "docs", path: fmt.Sprintf("petrel-%02d.txt", i), content: "storm petrel over the waves"})
	}
	ix := openPartitioned(t, files...)
	whole := newSearcher(t, index.DefaultSearchOptions(), ix)
	req := distrisearch.SearchRequest{Query: "petrel", Limit: 100}
	want := run(t, whole, req)
	if want.Total != 40 {
		t.Fatalf("whole index: %d hits", want.Total)
	}

	split, err := index.NewSearcher(index.DefaultSearchOptions(),
		index.ScopedPartitions("a", ix.Bleve(), nil, []int{0, 1}, false),
		index.ScopedPartitions("b", ix.Bleve(), nil, []int{2, 3}, false))
	if err != nil {
		t.Fatal(err)
	}
	got := run(t, split, req)
	if got.Total != 40 || !slices.Equal(ids(got.Hits), ids(want.Hits)) {
		t.Fatalf("two halves: %d hits; want the whole index's 40, each once", got.Total)
	}
	if got.Partitions.Total != testPartitions || got.Partitions.Answered != testPartitions || got.Partial {
		t.Fatalf("partitions %+v", got.Partitions)
	}

	// every: the whole index, no filter, counted as every partition.
	all, err := index.NewSearcher(index.DefaultSearchOptions(), index.ScopedPartitions("a", ix.Bleve(), nil, []int{0, 1, 2, 3}, true))
	if err != nil {
		t.Fatal(err)
	}
	if got := run(t, all, req); got.Total != 40 || got.Partitions.Total != testPartitions {
		t.Fatalf("every partition: %d hits, %+v", got.Total, got.Partitions)
	}

	half, err := index.NewSearcher(index.DefaultSearchOptions(),
		index.ScopedPartitions("a", ix.Bleve(), nil, []int{0, 1}, false),
		index.UnavailablePartitions("lost", []int{3, 2}, nil))
	if err != nil {
		t.Fatal(err)
	}
	res, err := half.Search(t.Context(), req, now)
	if err != nil {
		t.Fatal(err)
	}
	inHalf := 0
	for _, f := range files {
		r := f.record()
		if p := partitionOf(r.Key()); p < 2 {
			inHalf++
		}
	}
	if !res.Partial || res.Partitions.Total != 4 || res.Partitions.Answered != 2 ||
		!slices.Equal(res.Partitions.Missing, []string{"partition 2", "partition 3"}) || res.Total != uint64(inHalf) {
		t.Fatalf("two partitions lost: %d hits (want %d), %+v", res.Total, inHalf, res.Partitions)
	}
	for _, h := range res.Hits {
		if p := partitionOf(distrisearch.RecordKey(h.NodeID, h.Share, h.Path)); p >= 2 {
			t.Fatalf("hit %s of lost partition %d", h.Path, p)
		}
	}

	// Locate gives the record key of an indexed file.
	r := files[7].record()
	if key, ok, err := ix.Locate(r.FileID); err != nil || !ok || key != r.Key() {
		t.Fatalf("Locate = %q %v %v, want %q", key, ok, err, r.Key())
	}
	if _, ok, err := ix.Locate(fileID("n1", "docs", "absent")); err != nil || ok {
		t.Fatalf("Locate of an absent file: %v %v", ok, err)
	}
	var _ bleve.Index = index.ScopedPartitions("x", ix.Bleve(), nil, nil, false)
}

// TestForEachForeign lists every file of other nodes, across pages.
func TestForEachForeign(t *testing.T) {
	var files []file
	want := map[string]string{}
	for i := range 2500 {
		f := file{node: "n1", share: "docs", path: fmt.Sprintf("own-%04d.txt", i), content: "shearwater"}
		if i%2 == 1 {
			f.node, f.path = "n2", fmt.Sprintf("theirs-%04d.txt", i)
			r := f.record()
			want[r.FileID] = r.Key()
		}
		files = append(files, f)
	}
	ix := openPartitioned(t, files...)
	got := map[string]string{}
	var order []string
	if err := ix.ForEachForeign("n1", func(id, key string) error {
		got[id] = key
		order = append(order, id)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if len(got) != len(want) || len(order) != len(want) || !slices.IsSorted(order) {
		t.Fatalf("listed %d files (%d calls), want %d, in id order", len(got), len(order), len(want))
	}
	for id, key := range want {
		if got[id] != key {
			t.Fatalf("file %s: key %q, want %q", id, got[id], key)
		}
	}
}
