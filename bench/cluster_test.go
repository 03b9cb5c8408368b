package bench

import (
	"context"
	"fmt"
	"math"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

func TestSplitPoints(t *testing.T) {
	for _, tc := range []struct {
		w    []int64
		k    int
		want []int
	}{
		{[]int64{1, 1, 1}, 1, []int{3}},
		{[]int64{1, 1, 1}, 3, []int{1, 2, 3}},
		{[]int64{1, 1, 1, 1, 1, 1}, 3, []int{2, 4, 6}},
		{[]int64{10, 10, 10, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1}, 3, []int{2, 7, 23}}, // heavy files first
		{[]int64{100, 0, 0, 0}, 3, []int{1, 2, 4}},                                                            // one giant: the rest still get a file each
		{[]int64{0, 0, 0, 0, 0, 100}, 3, []int{4, 5, 6}},                                                      // the giant last: the others still get a file each
		{[]int64{1, 1, 1, 1, 1, 1, 1, 100}, 2, []int{7, 8}},
	} {
		got, err := SplitPoints(tc.w, tc.k)
		if err != nil || !slices.Equal(got, tc.want) {
			t.Errorf("SplitPoints(%v, %d) = %v, %v; want %v", tc.w, tc.k, got, err, tc.want)
		}
	}
	for _, bad := range []struct {
		n, k int
	}{{2, 3}, {3, 0}} {
		if _, err := SplitPoints(make([]int64, bad.n), bad.k); err == nil {
			t.Errorf("SplitPoints of %d items into %d parts: no error", bad.n, bad.k)
		}
	}
}

func TestSplitDocsKeepsOrderAndBalancesText(t *testing.T) {
	var docs []Doc
	for i := range 300 {
		docs = append(docs, Doc{Path: fmt.Sprintf("d/%03d.go", i), Text: strings.Repeat("x", 100+i%37)})
	}
	parts, err := SplitDocs(docs, 3)
	if err != nil {
		t.Fatal(err)
	}
	var joined []Doc
	var total int
	for _, p := range parts {
		joined = append(joined, p...)
	}
	for _, d := range docs {
		total += len(d.Text)
	}
	if !slices.EqualFunc(joined, docs, func(a, b Doc) bool { return a.Path == b.Path }) {
		t.Fatal("the parts are not the documents in their order")
	}
	for i, p := range parts {
		text := 0
		for _, d := range p {
			text += len(d.Text)
		}
		if share := float64(text) / float64(total); math.Abs(share-1.0/3) > 0.01 {
			t.Errorf("part %d holds %.3f of the text", i, share)
		}
	}
}

func TestTopOverlapAndCompare(t *testing.T) {
	for _, tc := range []struct {
		a, b []string
		want float64
	}{
		{nil, nil, 1},
		{[]string{"a"}, nil, 0},
		{[]string{"a", "b", "c"}, []string{"c", "b", "a"}, 1},
		{[]string{"a", "b", "c", "d"}, []string{"a", "b"}, 0.5},
		{[]string{"a", "b", "x"}, []string{"a", "b", "y"}, 2.0 / 3},
		{[]string{"a", "a"}, []string{"a", "b"}, 0.5}, // a key counts once
	} {
		if got := TopOverlap(tc.a, tc.b, 10); math.Abs(got-tc.want) > 1e-9 {
			t.Errorf("TopOverlap(%v, %v) = %v, want %v", tc.a, tc.b, got, tc.want)
		}
	}
	// Only the first k count.
	if got := TopOverlap([]string{"a", "b", "x"}, []string{"a", "b", "y"}, 2); got != 1 {
		t.Errorf("top-2 overlap %v, want 1", got)
	}
	a := [][]string{{"a", "b"}, {"a", "b"}, {"x"}, nil}
	b := [][]string{{"a", "b"}, {"b", "a"}, {"y"}, nil}
	got := Compare(a, b, 10)
	if got.Queries != 4 || got.Identical != 2 || math.Abs(got.Overlap-0.75) > 1e-9 || got.IdenticalShare() != 0.5 {
		t.Errorf("Compare = %+v", got)
	}
}

func TestClusterReportTakesMediansAndWritesItsSections(t *testing.T) {
	lat := func(single, gw time.Duration) []LatencyResult {
		return []LatencyResult{
			{Name: LatSingle, Samples: 10, P50: single, P99: 10 * single, MeanHits: 5},
			{Name: LatGateway, Samples: 10, P50: gw, P99: 10 * gw, MeanHits: 5},
		}
	}
	r := &ClusterReport{Date: time.Date(2026, 12, 2, 12, 0, 0, 0, time.UTC), Machine: Machine{CPU: "cpu", Cores: 2, GoVersion: "go"},
		Corpus: CorpusSummary{Source: "src", Files: 300, Bytes: 3e6, TextBytes: 3e6}, Nodes: 3, Replication: 3, Partitions: 64, Runs: 3,
		Parts:   []PartSummary{{Files: 100, TextBytes: 1e6, First: "a", Last: "b"}, {Files: 100, First: "c", Last: "d"}, {Files: 100, First: "e", Last: "f"}},
		Queries: 2, Reps: 5,
		RunFigures: []ClusterRun{
			{Single: 10 * time.Second, Gateway: 40 * time.Second, Efficiency: 0.75, P50Ratio: 2, P99Ratio: 2, Latency: lat(time.Millisecond, 2*time.Millisecond), Agreement: Agreement{Queries: 2, Overlap: 1, Identical: 2}},
			{Single: 12 * time.Second, Gateway: 30 * time.Second, Efficiency: 1.2, P50Ratio: 1.5, P99Ratio: 1, Latency: lat(2*time.Millisecond, 3*time.Millisecond), Agreement: Agreement{Queries: 2, Overlap: 0.9, Identical: 1}},
			{Single: 11 * time.Second, Gateway: 50 * time.Second, Efficiency: 0.66, P50Ratio: 3, P99Ratio: 3, Latency: lat(3*time.Millisecond, 9*time.Millisecond), Agreement: Agreement{Queries: 2, Overlap: 0.95, Identical: 1}},
		},
		Cranfield: &CranfieldAgreement{Docs: 1400, Queries: 225, Rows: []CranfieldRow{{System: "default", Single: 0.40, Cluster: 0.398}}},
	}
	r.summarise(300, 3e6)
	if r.Single.Took != 11*time.Second || r.Gateway.Took != 40*time.Second || r.Efficiency != 0.75 || r.P50Ratio != 2 {
		t.Fatalf("medians: single %v, gateway %v, efficiency %v, p50 ratio %v", r.Single.Took, r.Gateway.Took, r.Efficiency, r.P50Ratio)
	}
	if gw, _ := r.LatencyOf(LatGateway); gw.P50 != 3*time.Millisecond || r.Agreement.Overlap != 0.95 || r.Agreement.Identical != 1 {
		t.Fatalf("gateway latency %+v, agreement %+v", gw, r.Agreement)
	}
	doc := r.UpdateDoc("# Benchmarks\n\nProse.\n", "go run ./cmd/distrisearch-bench cluster")
	doc = r.UpdateDoc(doc, "go run ./cmd/distrisearch-bench cluster")
	for _, want := range []string{"Prose.", "<!-- bench:cluster:begin -->", "Replication efficiency", "**0.75** (goal ≥ 0.8: NOT met)",
		"Runs: 0.75, 1.20, 0.66.", "**2.00** (goal ≤ 1.5: NOT met)", "| 0.4000 | 0.3980 | Δ -0.50% |", "1% of one node's (default query): **met**",
		"node 2 100 files", "| 300 | 3 | 27 | 8 | 3 | 0.75 | 2.00 | 3.00 | 2.00 | 0.950 | 1/2 | 0.4000 | 0.3980 | -0.50% |"} {
		if !strings.Contains(doc, want) {
			t.Errorf("report lacks %q:\n%s", want, doc)
		}
	}
	if n := strings.Count(doc, "| 2026-12-02 12:00 |"); n != 2 {
		t.Errorf("%d history rows, want 2:\n%s", n, doc)
	}
}

// TestRunClusterOnTinyCorpus runs the whole benchmark on a few files and a
// slice of Cranfield: one node and a cluster of three data nodes and a
// gateway, twice.
func TestRunClusterOnTinyCorpus(t *testing.T) {
	if testing.Short() {
		t.Skip("starts ten nodes")
	}
	corpus := t.TempDir()
	writeTinyCorpus(t, corpus, 15)
	o := DefaultClusterOptions()
	o.Corpus, o.WorkDir = corpus, t.TempDir()
	o.Queries = []string{"mutex", "http server", "parse*"}
	o.Warmup, o.Reps = 0, 2
	o.Cranfield, o.CranMaxDocs, o.CranMaxQueries = filepath.Join("testdata", "cranfield-mini"), 30, 20
	o.Wait.Poll = 20 * time.Millisecond
	o.Log = tlog{t}
	rep, err := RunCluster(context.Background(), o)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Corpus.Files != 15 || len(rep.Parts) != 3 || rep.Parts[0].Files+rep.Parts[1].Files+rep.Parts[2].Files != 15 {
		t.Fatalf("corpus %+v split %+v", rep.Corpus, rep.Parts)
	}
	if rep.Replication != 3 || rep.Partitions == 0 || rep.Efficiency <= 0 || rep.EfficiencyAll <= 0 || rep.AllCopies.Took < rep.Gateway.Took {
		t.Fatalf("cluster %d copies, %d partitions; efficiency %v / %v; gateway %v, all copies %v",
			rep.Replication, rep.Partitions, rep.Efficiency, rep.EfficiencyAll, rep.Gateway.Took, rep.AllCopies.Took)
	}
	if len(rep.Latency) != 3 || rep.P50Ratio <= 0 {
		t.Fatalf("latency %+v, p50 ratio %v", rep.Latency, rep.P50Ratio)
	}
	for _, l := range rep.Latency {
		if l.Samples != 3*2 || l.P50 <= 0 || l.MeanHits < 1 {
			t.Errorf("latency %+v", l)
		}
	}
	if a := rep.Agreement; a.Queries != 3 || a.Overlap <= 0 || a.Overlap > 1 {
		t.Errorf("agreement %+v", a)
	}
	c := rep.Cranfield
	if c == nil || c.Docs != 30 || c.Queries != 20 || len(c.Rows) != 2 {
		t.Fatalf("cranfield %+v", c)
	}
	for _, row := range c.Rows {
		if row.Single <= 0 || row.Single > 1 || row.Cluster <= 0 || row.Cluster > 1 || row.Agreement.Queries != 20 {
			t.Errorf("cranfield row %+v", row)
		}
	}
}
