package bench

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// writeTinyCorpus makes n files with text (Go, text and Markdown) under
// dir, plus a binary file and a hidden file that are not part of the
// corpus.
func writeTinyCorpus(t *testing.T, dir string, n int) {
	t.Helper()
	write := func(rel, content string) {
		p := filepath.Join(dir, filepath.FromSlash(rel))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	for i := range n {
		switch i % 3 {
		case 0:
			write(fmt.Sprintf("pkg%d/lock%d.go", i%4, i), fmt.Sprintf("package pkg\n\n// guard%d holds a sync.Mutex.\nvar guard%d sync.Mutex\n\nfunc parseConfig%d() {}\n", i, i, i))
		case 1:
			write(fmt.Sprintf("notes/n%d.txt", i), fmt.Sprintf("note %d: the http server printed a stack trace\n", i))
		default:
			write(fmt.Sprintf("docs/d%d.md", i), fmt.Sprintf("# Doc %d\n\nA goroutine per connection; see the http server.\n", i))
		}
	}
	write("blob.bin", "\x00\x01\x02\x03binary\x00\xff\xfe")
	write(".hidden.txt", "hidden mutex")
}

func TestRunIngestSearchOnTinyCorpus(t *testing.T) {
	corpus := t.TempDir()
	writeTinyCorpus(t, corpus, 30)
	o := DefaultIngestOptions()
	o.Corpus = corpus
	o.WorkDir = t.TempDir()
	o.Queries = []string{"mutex", "http server", "parse*", `"stack trace"`, "gorutine~1"}
	o.Warmup, o.Reps, o.Verify = 1, 2, 0
	o.Wait.Poll = 20 * time.Millisecond
	rep, err := RunIngestSearch(context.Background(), o)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Corpus.Files != 30 || rep.Corpus.Skipped != 1 {
		t.Fatalf("corpus: %+v (want 30 files, the binary one skipped, the hidden one ignored)", rep.Corpus)
	}
	if rep.Verified != 30 {
		t.Fatalf("verified %d files by path, want 30", rep.Verified)
	}
	for name, tp := range map[string]Throughput{"product": rep.Product, "bare": rep.Bare, "extraction": rep.Extraction} {
		if tp.Files < 30 || tp.Took <= 0 || tp.DocsPerSec() <= 0 {
			t.Errorf("%s throughput %+v", name, tp)
		}
	}
	if bd := rep.Breakdown; bd == nil || bd.Index.Files != 30 || bd.Index.Took <= 0 || bd.Store.Took <= 0 {
		t.Errorf("breakdown %+v", rep.Breakdown)
	}
	if rep.Ratio <= 0 || rep.Target.Name != "node" {
		t.Errorf("ratio %v, target %+v", rep.Ratio, rep.Target)
	}
	if len(rep.Latency) != 4 {
		t.Fatalf("latency rows %+v", rep.Latency)
	}
	for _, l := range rep.Latency {
		if l.Samples != 5*2 || l.P50 <= 0 || l.P99 < l.P50 || l.EngineP50 <= 0 || l.EngineP50 > l.P50 {
			t.Errorf("latency %+v", l)
		}
	}
	// The product finds mutex in sync.Mutex, parse* in parseConfig and
	// the phrase, in the files that hold them: every query has hits.
	if api, _ := rep.LatencyOf(LatAPI); api.NoHits != 0 || api.MeanHits < 10 {
		t.Errorf("API hits: %+v", api)
	}

	doc := rep.UpdateDoc("# Benchmarks\n\nProse.\n", "go run ./cmd/distrisearch-bench ingest-search")
	for _, want := range []string{"Prose.", "<!-- bench:ingest-search:begin -->", "30 files with text", "Product ÷ bare docs/s", "| 30 |"} {
		if !strings.Contains(doc, want) {
			t.Errorf("report lacks %q:\n%s", want, doc)
		}
	}
}

// TestClusterTargetSearchesThroughANodeWithoutFiles: the cluster target
// searches through a node that shares no folder: every hit it returns is
// a file another node shares.
func TestClusterTargetSearchesThroughANodeWithoutFiles(t *testing.T) {
	if testing.Short() {
		t.Skip("starts three nodes")
	}
	corpus := t.TempDir()
	writeTinyCorpus(t, corpus, 12)
	o := DefaultIngestOptions()
	o.Corpus, o.WorkDir, o.Breakdown = corpus, t.TempDir(), false
	o.Target = ClusterLauncher{Nodes: 3}
	o.Queries = []string{"mutex", "parse*"}
	o.Warmup, o.Reps, o.Verify = 1, 1, 0
	o.Wait.Poll = 20 * time.Millisecond
	rep, err := RunIngestSearch(context.Background(), o)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Target.Nodes != 3 || !strings.HasPrefix(rep.Target.Name, "cluster") {
		t.Fatalf("target %+v", rep.Target)
	}
	if api, _ := rep.LatencyOf(LatAPI); api.NoHits != 0 || api.MeanHits < 1 {
		t.Fatalf("searches through the gateway found nothing: %+v", api)
	}
}

func TestRunEvalOnMiniCranfield(t *testing.T) {
	o := DefaultEvalOptions()
	o.Data = filepath.Join("testdata", "cranfield-mini")
	o.MaxQueries = 60 // of 225; enough for every system to find relevant documents
	o.WorkDir = t.TempDir()
	o.Wait.Poll = 20 * time.Millisecond
	o.Log = tlog{t}
	rep, err := RunEval(context.Background(), o)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Docs != 50 || rep.Queries != 60 || len(rep.Rows) != 3 {
		t.Fatalf("report %+v", rep)
	}
	for _, r := range rep.Rows {
		if r.NDCG10 <= 0 || r.NDCG10 > 1 || r.MAP <= 0 || r.MAP > 1 {
			t.Errorf("%s: nDCG@10 %v, MAP %v not in (0, 1]", r.System, r.NDCG10, r.MAP)
		}
		if r.Better+r.Worse > rep.Queries {
			t.Errorf("%s: %d better + %d worse of %d queries", r.System, r.Better, r.Worse, rep.Queries)
		}
	}
	doc := rep.UpdateDoc("", "go run ./cmd/distrisearch-bench eval")
	for _, want := range []string{"nDCG@10", "50 Cranfield documents", SysBare, SysProductAny} {
		if !strings.Contains(doc, want) {
			t.Errorf("report lacks %q:\n%s", want, doc)
		}
	}
}

type tlog struct{ t *testing.T }

func (l tlog) Write(p []byte) (int, error) {
	l.t.Log(time.Now().Format("15:04:05.000"), strings.TrimSpace(string(p)))
	return len(p), nil
}
