package bench

import (
	"fmt"
	"strings"
)

// Sections of docs/BENCHMARKS.md written by the ingest-search benchmark.
const (
	IngestSection        = "ingest-search"
	IngestHistorySection = "ingest-search-history"
)

// IngestHistoryHeader is the header of the history table: one row per run
// of the benchmark.
const IngestHistoryHeader = "| date (UTC) | revision | machine | target | files | MB | product docs/s | bare docs/s | ratio | API p50 ms | bare p50 ms | Δ p50 ms | API p99 ms | bare p99 ms |\n" +
	"|---|---|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"

// Targets of issue 2, shown next to the figures.
const (
	targetRatio  = 0.9 // product docs/s ÷ bare docs/s, at least
	targetP50Gap = 1.0 // API p50 − bare p50 in ms, at most
)

func verdict(ok bool) string {
	if ok {
		return "met"
	}
	return "NOT met"
}

// Markdown returns the report as the latest-run section of
// docs/BENCHMARKS.md; command is the command line that produced it.
func (r *IngestReport) Markdown(command string) string {
	var b strings.Builder
	p := func(format string, args ...any) { fmt.Fprintf(&b, format, args...) }
	p("Latest run: %s UTC, `%s`.\n\n", r.Date.Format("2006-01-02 15:04"), command)
	p("- Machine: %s.", r.Machine)
	if r.Revision != "" {
		p(" Source: %s.", r.Revision)
	}
	p("\n- Corpus: `%s`, %d files with text, %.1f MB on disk, %.1f MB of extracted text; %d files without text (binaries, images, archives) left out of both sides.\n",
		r.Corpus.Source, r.Corpus.Files, float64(r.Corpus.Bytes)/1e6, float64(r.Corpus.TextBytes)/1e6, r.Corpus.Skipped)
	p("- Target: %s (%d node(s), %d cop%s of each record). Figures are medians of %d run(s).\n\n",
		r.Target.Name, r.Target.Nodes, r.Target.Replication, plural(r.Target.Replication, "y", "ies"), r.Runs)

	p("| Ingest | time s | docs/s | MB/s |\n|---|---:|---:|---:|\n")
	row := func(name string, t Throughput) {
		p("| %s | %.1f | %.0f | %.2f |\n", name, t.Took.Seconds(), t.DocsPerSec(), t.MBPerSec())
	}
	row("product: Start → every file searchable (walk, hash, extract, store, index)", r.Product)
	row("bare bleve: batch-index the pre-extracted text", r.Bare)
	row(fmt.Sprintf("extraction alone (package extract, %d at a time; not part of the bare figure)", r.Workers), r.Extraction)
	if bd := r.Breakdown; bd != nil {
		row("product's index alone: package index applies the records, on disk (in-process)", bd.Index)
		row("product's record store alone: package store puts the records and text, fsynced (in-process)", bd.Store)
	}
	p("\nProduct ÷ bare docs/s: **%.2f** (target ≥ %.1f: %s).", r.Ratio, targetRatio, verdict(r.Ratio >= targetRatio))
	if r.Verified > 0 {
		p(" %d files, spread over the corpus, were each found by a `path:` search after ingest.", r.Verified)
	}
	p("\n\n")

	p("| Search: %d queries × %d timed runs, 20 hits | p50 ms | p99 ms | engine p50 ms | engine p99 ms | mean hits | queries without hits |\n|---|---:|---:|---:|---:|---:|---:|\n", r.Queries, r.Reps)
	for _, l := range r.Latency {
		p("| %s | %.2f | %.2f | %.2f | %.2f | %.0f | %d |\n", l.Name, ms(l.P50), ms(l.P99), ms(l.EngineP50), ms(l.EngineP99), l.MeanHits, l.NoHits)
	}
	api, _ := r.LatencyOf(LatAPI)
	bare, _ := r.LatencyOf(LatBare)
	gap := ms(api.P50) - ms(bare.P50)
	p("\nAPI p50 − bare p50: **%.2f ms** (target ≤ %.0f ms: %s); p99 difference %.2f ms. "+
		"\"Engine\" is the search time the engine reports: the API's `took_ms` (query parsing, the bleve search, hits, snippets and facets; no HTTP or JSON), bleve's `Took` for the bare index.\n",
		gap, targetP50Gap, verdict(gap <= targetP50Gap), ms(api.P99)-ms(bare.P99))
	return b.String()
}

// HistoryRow returns the report as one row of the history table.
func (r *IngestReport) HistoryRow() string {
	api, _ := r.LatencyOf(LatAPI)
	bare, _ := r.LatencyOf(LatBare)
	return fmt.Sprintf("| %s | %s | %s, %d cores, %s | %s | %d | %.1f | %.0f | %.0f | %.2f | %.2f | %.2f | %.2f | %.2f | %.2f |",
		r.Date.Format("2006-01-02 15:04"), r.Revision, r.Machine.CPU, r.Machine.Cores, r.Machine.GoVersion, r.Target.Name,
		r.Corpus.Files, float64(r.Corpus.Bytes)/1e6, r.Product.DocsPerSec(), r.Bare.DocsPerSec(), r.Ratio,
		ms(api.P50), ms(bare.P50), ms(api.P50)-ms(bare.P50), ms(api.P99), ms(bare.P99))
}

// UpdateDoc returns doc with the latest-run section replaced and a row
// added to the history table.
func (r *IngestReport) UpdateDoc(doc, command string) string {
	doc = ReplaceSection(doc, IngestSection, r.Markdown(command))
	return AppendToSection(doc, IngestHistorySection, IngestHistoryHeader, r.HistoryRow())
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}
