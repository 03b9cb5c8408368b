package index

import (
	"context"
	"fmt"
	"go/build"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/blevesearch/bleve/v2"
	"github.com/blevesearch/bleve/v2/index/scorch"

	"github.com/distrisearch/distrisearch"
)

// benchCorpus returns up to n Go source files of the Go tree as records,
// in a fixed order, and their total content size.
func benchCorpus(b *testing.B, n int) ([]distrisearch.Record, int64) {
	b.Helper()
	root := filepath.Join(build.Default.GOROOT, "src")
	var recs []distrisearch.Record
	var total int64
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil || len(recs) >= n {
			return fs.SkipDir
		}
		if d.IsDir() || !strings.HasSuffix(p, ".go") {
			return nil
		}
		data, err := os.ReadFile(p)
		if err != nil || len(data) > 1<<20 {
			return nil
		}
		rel, _ := filepath.Rel(root, p)
		rel = filepath.ToSlash(rel)
		info, _ := d.Info()
		recs = append(recs, distrisearch.Record{
			FileID: distrisearch.FileID("bench", rel, ""), NodeID: "bench", Share: "go", Path: rel,
			Name: path.Base(rel), Ext: "go", Type: "code", Size: int64(len(data)), ModTime: info.ModTime(),
			Content: string(data),
		})
		total += int64(len(data))
		return nil
	})
	if err != nil && err != fs.SkipDir {
		b.Fatal(err)
	}
	if len(recs) == 0 {
		b.Skip("no Go source tree found")
	}
	return recs, total
}

func dirSize(dir string) int64 {
	var n int64
	filepath.WalkDir(dir, func(_ string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			if info, err := d.Info(); err == nil {
				n += info.Size()
			}
		}
		return nil
	})
	return n
}

// BenchmarkApply indexes the Go tree in batches of 100 files, durable on
// disk or in memory.
func BenchmarkApply(b *testing.B) {
	recs, _ := benchCorpus(b, 2000)
	b.Run("disk", func(b *testing.B) { benchApply(b, recs, b.TempDir()) })
	b.Run("memory", func(b *testing.B) { benchApply(b, recs, "") })
}

func benchApply(b *testing.B, recs []distrisearch.Record, dir string) {
	ix, err := Open(dir, DefaultOptions())
	if err != nil {
		b.Fatal(err)
	}
	defer ix.Close()
	const batch = 100
	b.ResetTimer()
	docs := 0
	for i := 0; i < b.N; i++ {
		start := (i * batch) % len(recs)
		end := min(start+batch, len(recs))
		if err := ix.Apply(recs[start:end], nil); err != nil {
			b.Fatal(err)
		}
		docs += end - start
	}
	b.ReportMetric(float64(docs)/b.Elapsed().Seconds(), "docs/s")
}

// BenchmarkIndexSize reports the disk size of an index of 2,000 Go files,
// with the content stored (for snippets) and without.
func BenchmarkIndexSize(b *testing.B) {
	recs, raw := benchCorpus(b, 2000)
	for _, store := range []bool{true, false} {
		b.Run(fmt.Sprintf("store_content=%v", store), func(b *testing.B) {
			for i := 0; i < b.N; i++ {
				dir := filepath.Join(b.TempDir(), "ix")
				m, err := NewMapping()
				if err != nil {
					b.Fatal(err)
				}
				for _, f := range m.DefaultMapping.Properties[fieldContent].Fields {
					if f.Name == fieldContent {
						f.Store = store
					}
				}
				bi, err := bleve.NewUsing(dir, m, scorch.Name, scorch.Name, nil)
				if err != nil {
					b.Fatal(err)
				}
				for start := 0; start < len(recs); start += 200 {
					batch := bi.NewBatch()
					for j := start; j < min(start+200, len(recs)); j++ {
						if err := batch.Index(recs[j].FileID, document(&recs[j], 8<<20, -1)); err != nil {
							b.Fatal(err)
						}
					}
					if err := bi.Batch(batch); err != nil {
						b.Fatal(err)
					}
				}
				if err := bi.Close(); err != nil {
					b.Fatal(err)
				}
				size := dirSize(dir)
				b.ReportMetric(float64(size)/(1<<20), "MB")
				b.ReportMetric(float64(size)/float64(raw), "x_raw")
				b.ReportMetric(float64(size)/float64(len(recs)), "B/doc")
			}
		})
	}
}

// BenchmarkSearch runs typical queries over 2,000 Go files in one
// partition, and over the same files split in four partitions (global
// statistics, so one extra round per search).
func BenchmarkSearch(b *testing.B) {
	recs, _ := benchCorpus(b, 2000)
	one, err := Open("", Options{Name: "one", MaxContentBytes: 8 << 20})
	if err != nil {
		b.Fatal(err)
	}
	defer one.Close()
	if err := one.Apply(recs, nil); err != nil {
		b.Fatal(err)
	}
	parts := make([]bleve.Index, 4)
	for p := range parts {
		ix, err := Open("", Options{Name: fmt.Sprintf("p%d", p), MaxContentBytes: 8 << 20})
		if err != nil {
			b.Fatal(err)
		}
		defer ix.Close()
		var mine []distrisearch.Record
		for i := p; i < len(recs); i += len(parts) {
			mine = append(mine, recs[i])
		}
		if err := ix.Apply(mine, nil); err != nil {
			b.Fatal(err)
		}
		parts[p] = ix.Bleve()
	}
	queries := []struct {
		name string
		req  distrisearch.SearchRequest
	}{
		{"term", distrisearch.SearchRequest{Query: "mutex"}},
		{"code_term", distrisearch.SearchRequest{Query: "sync.Mutex"}},
		{"two_terms", distrisearch.SearchRequest{Query: "read file"}},
		{"phrase", distrisearch.SearchRequest{Query: `"return nil"`}},
		{"prefix", distrisearch.SearchRequest{Query: "conf*"}},
		{"fuzzy", distrisearch.SearchRequest{Query: "mutx~1"}},
		{"filters_sort", distrisearch.SearchRequest{Query: "error path:net size:>10KB", Sort: distrisearch.SortModified, Desc: true}},
		{"facets_snippets", distrisearch.SearchRequest{Query: "buffer", Facets: true, Highlight: true}},
		{"long_question", distrisearch.SearchRequest{Query: "how does the scheduler decide which goroutine runs next"}},
	}
	now := time.Now()
	for _, layout := range []struct {
		name  string
		parts []bleve.Index
	}{{"1part", []bleve.Index{one.Bleve()}}, {"4parts", parts}} {
		s, err := NewSearcher(DefaultSearchOptions(), layout.parts...)
		if err != nil {
			b.Fatal(err)
		}
		for _, q := range queries {
			b.Run(layout.name+"/"+q.name, func(b *testing.B) {
				req := q.req
				req.Limit = 20
				for i := 0; i < b.N; i++ {
					if _, err := s.Search(context.Background(), req, now); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	}
}

// BenchmarkAnalyze measures the analyzers on Go source, next to bleve's
// standard and English analyzers for scale.
func BenchmarkAnalyze(b *testing.B) {
	recs, raw := benchCorpus(b, 300)
	m, err := NewMapping()
	if err != nil {
		b.Fatal(err)
	}
	for _, name := range []string{TextAnalyzer, ExactAnalyzer, "standard", "en"} {
		a := m.AnalyzerNamed(name)
		if a == nil {
			b.Fatalf("no analyzer %s", name)
		}
		b.Run(name, func(b *testing.B) {
			var size int64
			for i := 0; i < b.N; i++ {
				for _, r := range recs {
					a.Analyze([]byte(r.Content))
				}
				size += raw
			}
			b.SetBytes(raw)
		})
	}
}

// BenchmarkGroupedVsPerPartition compares the two layouts the design
// allows for the partitions a node holds: one index whose documents carry
// their partition (what the node does; a search for some partitions adds
// a filter) against one index per partition searched together with global
// statistics. 2,000 Go files in 64 partitions, on disk, durable batches.
func BenchmarkGroupedVsPerPartition(b *testing.B) {
	recs, _ := benchCorpus(b, 2000)
	const parts = 64
	partOf := func(key string) int {
		var h uint32 = 2166136261
		for i := 0; i < len(key); i++ {
			h = (h ^ uint32(key[i])) * 16777619
		}
		return int(h % parts)
	}
	queries := []distrisearch.SearchRequest{{Query: "mutex", Limit: 20}, {Query: "read file", Limit: 20}}
	now := time.Now()
	half := make([]int, 0, parts/2)
	for p := range parts / 2 {
		half = append(half, p)
	}
	b.Run("grouped", func(b *testing.B) {
		opts := DefaultOptions()
		opts.PartitionOf = partOf
		ix, err := Open(filepath.Join(b.TempDir(), "g"), opts)
		if err != nil {
			b.Fatal(err)
		}
		defer ix.Close()
		start := time.Now()
		for i := 0; i < len(recs); i += 256 {
			if err := ix.Apply(recs[i:min(i+256, len(recs))], nil); err != nil {
				b.Fatal(err)
			}
		}
		ingest := float64(len(recs)) / time.Since(start).Seconds()
		defer func() { b.ReportMetric(ingest, "ingest_docs/s") }() // after ResetTimer, which clears metrics
		all := make([]int, parts)
		for p := range all {
			all[p] = p
		}
		every, _ := NewSearcher(DefaultSearchOptions(), ScopedPartitions("g", ix.Bleve(), nil, all, true))
		some, _ := NewSearcher(DefaultSearchOptions(), ScopedPartitions("g", ix.Bleve(), nil, half, false))
		b.ResetTimer()
		for i := 0; i < b.N; i++ {
			for _, q := range queries {
				if _, err := every.Search(context.Background(), q, now); err != nil {
					b.Fatal(err)
				}
				if _, err := some.Search(context.Background(), q, now); err != nil {
					b.Fatal(err)
				}
			}
		}
	})
	b.Run("per_partition", func(b *testing.B) {
		ixs := make([]*Index, parts)
		dir := b.TempDir()
		for p := range ixs {
			ix, err := Open(filepath.Join(dir, fmt.Sprint(p)), Options{Name: fmt.Sprint(p), MaxContentBytes: 8 << 20})
			if err != nil {
				b.Fatal(err)
			}
			defer ix.Close()
			ixs[p] = ix
		}
		start := time.Now()
		for i := 0; i < len(recs); i += 256 {
			byPart := map[int][]distrisearch.Record{}
			for _, r := range recs[i:min(i+256, len(recs))] {
				p := partOf(r.Key())
				byPart[p] = append(byPart[p], r)
			}
			for p, rs := range byPart {
				if err := ixs[p].Apply(rs, nil); err != nil {
					b.Fatal(err)
				}
			}
		}
		ingest := float64(len(recs)) / time.Since(start).Seconds()
		defer func() { b.ReportMetric(ingest, "ingest_docs/s") }() // after ResetTimer, which clears metrics
		var allParts, halfParts []bleve.Index
		for p, ix := range ixs {
			allParts = append(allParts, ix.Bleve())
			if p < parts/2 {
				halfParts = append(halfParts, ix.Bleve())
			}
		}
		every, _ := NewSearcher(DefaultSearchOptions(), allParts...)
		some, _ := NewSearcher(DefaultSearchOptions(), halfParts...)
		b.ResetTimer()
		for i := 0; i < b.N; i++ {
			for _, q := range queries {
				if _, err := every.Search(context.Background(), q, now); err != nil {
					b.Fatal(err)
				}
				if _, err := some.Search(context.Background(), q, now); err != nil {
					b.Fatal(err)
				}
			}
		}
	})
}
