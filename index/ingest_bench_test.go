package index

import (
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/blevesearch/bleve/v2"
	"github.com/blevesearch/bleve/v2/analysis/lang/en"
	"github.com/blevesearch/bleve/v2/index/scorch"
	"github.com/blevesearch/bleve/v2/mapping"
	bindex "github.com/blevesearch/bleve_index_api"
)

// BenchmarkIngestVsBare indexes the same Go files on disk, in durable
// batches of 256, through Apply and through a bare bleve index with three
// `en` fields (name, path, content; stored, with term vectors), and
// reports both rates and their ratio. Run with -benchtime=1x.
func BenchmarkIngestVsBare(b *testing.B) {
	recs, _ := benchCorpus(b, 2000)
	const batch = 256
	ourBatch := batch
	if v, err := strconv.Atoi(os.Getenv("DS_BATCH")); err == nil {
		ourBatch = v
	}
	for i := 0; i < b.N; i++ {
		ix, err := Open(b.TempDir(), DefaultOptions())
		if err != nil {
			b.Fatal(err)
		}
		start := time.Now()
		for s := 0; s < len(recs); s += ourBatch {
			if err := ix.Apply(recs[s:min(s+ourBatch, len(recs))], nil); err != nil {
				b.Fatal(err)
			}
		}
		ours := time.Since(start)
		ix.Close()

		m := mapping.NewIndexMapping()
		m.ScoringModel = bindex.BM25Scoring
		m.DefaultAnalyzer = en.AnalyzerName
		doc := mapping.NewDocumentStaticMapping()
		for _, name := range []string{"name", "path", "content"} {
			f := mapping.NewTextFieldMapping()
			f.Analyzer = en.AnalyzerName
			f.IncludeInAll = false
			doc.AddFieldMappingsAt(name, f)
		}
		m.DefaultMapping = doc
		bi, err := bleve.NewUsing(b.TempDir(), m, scorch.Name, scorch.Name, nil)
		if err != nil {
			b.Fatal(err)
		}
		start = time.Now()
		for s := 0; s < len(recs); s += batch {
			bb := bi.NewBatch()
			for _, r := range recs[s:min(s+batch, len(recs))] {
				if err := bb.Index(string(r.FileID), map[string]any{"name": r.Name, "path": r.Path, "content": r.Content}); err != nil {
					b.Fatal(err)
				}
			}
			if err := bi.Batch(bb); err != nil {
				b.Fatal(err)
			}
		}
		bare := time.Since(start)
		bi.Close()
		b.ReportMetric(float64(len(recs))/ours.Seconds(), "ours-docs/s")
		b.ReportMetric(float64(len(recs))/bare.Seconds(), "bare-docs/s")
		b.ReportMetric(bare.Seconds()/ours.Seconds(), "ratio")
	}
}
