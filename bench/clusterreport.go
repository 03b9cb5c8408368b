package bench

import (
	"fmt"
	"strings"
)

// Sections of docs/BENCHMARKS.md written by the cluster benchmark.
const (
	ClusterSection        = "cluster"
	ClusterHistorySection = "cluster-history"
)

// ClusterHistoryHeader is the header of the cluster history table.
const ClusterHistoryHeader = "| date (UTC) | revision | machine | files | runs | one node docs/s | cluster docs/s | RF | replication efficiency | one node p50 ms | gateway p50 ms | p50 ratio | top-10 overlap | identical top-10 | Cranfield nDCG@10 one node | cluster | Δ |\n" +
	"|---|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"

// Goals of the data-plane issue, shown next to the figures.
const (
	goalEfficiency = 0.8  // RF × cluster docs/s ÷ one node's docs/s, at least
	goalP50Ratio   = 1.5  // gateway p50 ÷ one node's p50, at most
	goalNDCGDelta  = 0.01 // |cluster − one node| ÷ one node nDCG@10, at most
)

// NDCGDelta is the relative difference of the cluster's nDCG@10 from the
// single node's.
func (r CranfieldRow) NDCGDelta() float64 {
	if r.Single == 0 {
		return 0
	}
	return (r.Cluster - r.Single) / r.Single
}

// Markdown returns the report as the latest-run section of the cluster
// benchmark; command is the command line that produced it.
func (r *ClusterReport) Markdown(command string) string {
	var b strings.Builder
	p := func(format string, args ...any) { fmt.Fprintf(&b, format, args...) }
	p("Latest run: %s UTC, `%s`.\n\n", r.Date.Format("2006-01-02 15:04"), command)
	p("- Machine: %s.", r.Machine)
	if r.Revision != "" {
		p(" Source: %s.", r.Revision)
	}
	p("\n- Corpus: `%s`, %d files with text, %.1f MB on disk, %.1f MB of extracted text.\n",
		r.Corpus.Source, r.Corpus.Files, float64(r.Corpus.Bytes)/1e6, float64(r.Corpus.TextBytes)/1e6)
	p("- Cluster: %d data nodes and a gateway, in-process on 127.0.0.1; %d partitions, %d cop%s of each record. Each data node shares one contiguous part of the corpus (lexical path order, cut at equal shares of text):",
		r.Nodes, r.Partitions, r.Replication, plural(r.Replication, "y", "ies"))
	for i, part := range r.Parts {
		sep := ";"
		if i == len(r.Parts)-1 {
			sep = "."
		}
		p(" node %d %d files, %.1f MB of text (`%s` … `%s`)%s", i+1, part.Files, float64(part.TextBytes)/1e6, part.First, part.Last, sep)
	}
	p("\n- One node: a one-node cluster sharing the whole corpus (RF is effectively 1). Figures are medians of %d run(s); ratios are taken within each run, then their median.\n\n", r.Runs)

	p("| Ingest: start → every file searchable | time s | docs/s | MB/s |\n|---|---:|---:|---:|\n")
	row := func(name string, t Throughput) {
		p("| %s | %.1f | %.0f | %.2f |\n", name, t.Took.Seconds(), t.DocsPerSec(), t.MBPerSec())
	}
	row("one node", r.Single)
	row(fmt.Sprintf("%d-node cluster, RF %d: searchable through the gateway", r.Nodes, r.Replication), r.Gateway)
	if r.AllCopies.Took > 0 {
		row(fmt.Sprintf("%d-node cluster, RF %d: every copy indexed (each data node counts every file)", r.Nodes, r.Replication), r.AllCopies)
	}
	p("\nReplication efficiency = RF × cluster docs/s ÷ one node's docs/s: **%.2f** (goal ≥ %.1f: %s)", r.Efficiency, goalEfficiency, verdict(r.Efficiency >= goalEfficiency))
	if r.EfficiencyAll > 0 {
		p("; counting until every copy is indexed: %.2f", r.EfficiencyAll)
	}
	p(".%s\n\n", r.perRun(func(c ClusterRun) string { return fmt.Sprintf("%.2f", c.Efficiency) }))

	p("| Search: %d queries × %d timed runs, 20 hits, HTTP API | p50 ms | p99 ms | engine p50 ms | engine p99 ms | mean hits |\n|---|---:|---:|---:|---:|---:|\n", r.Queries, r.Reps)
	for _, l := range r.Latency {
		p("| %s | %.2f | %.2f | %.2f | %.2f | %.0f |\n", l.Name, ms(l.P50), ms(l.P99), ms(l.EngineP50), ms(l.EngineP99), l.MeanHits)
	}
	p("\nGateway p50 ÷ one node's p50: **%.2f** (goal ≤ %.1f: %s); p99 ratio %.2f.%s\n\n", r.P50Ratio, goalP50Ratio, verdict(r.P50Ratio <= goalP50Ratio),
		r.P99Ratio, r.perRun(func(c ClusterRun) string { return fmt.Sprintf("%.2f", c.P50Ratio) }))

	p("| Ranking: cluster (gateway) against one node | one node | cluster | agreement |\n|---|---:|---:|---:|\n")
	a := r.Agreement
	p("| top-%d overlap, mean over the %d benchmark queries (by file path) | | | %.3f |\n", TopK, a.Queries, a.Overlap)
	p("| benchmark queries whose top-%d is identical, in order | | | %d of %d (%.0f%%) |\n", TopK, a.Identical, a.Queries, 100*a.IdenticalShare())
	if c := r.Cranfield; c != nil {
		for _, row := range c.Rows {
			p("| Cranfield nDCG@10, %s | %.4f | %.4f | Δ %+.2f%% |\n", row.System, row.Single, row.Cluster, 100*row.NDCGDelta())
			p("| Cranfield top-%d overlap / identical, %s | | | %.3f / %d of %d |\n", TopK, row.System, row.Agreement.Overlap, row.Agreement.Identical, row.Agreement.Queries)
		}
		if len(c.Rows) > 0 {
			d := c.Rows[0].NDCGDelta()
			p("\nCranfield (%d documents, %d queries, split over the data nodes like the corpus): nDCG@10 through the cluster within %.0f%% of one node's (default query): **%s** (Δ %+.2f%%).\n",
				c.Docs, c.Queries, 100*goalNDCGDelta, verdict(d <= goalNDCGDelta && d >= -goalNDCGDelta), 100*d)
		}
	}
	return b.String()
}

// perRun lists a figure of every run, when there is more than one.
func (r *ClusterReport) perRun(f func(ClusterRun) string) string {
	if len(r.RunFigures) < 2 {
		return ""
	}
	vals := make([]string, len(r.RunFigures))
	for i, c := range r.RunFigures {
		vals[i] = f(c)
	}
	return " Runs: " + strings.Join(vals, ", ") + "."
}

// HistoryRow returns the report as one row of the cluster history table.
func (r *ClusterReport) HistoryRow() string {
	single, _ := r.LatencyOf(LatSingle)
	gw, _ := r.LatencyOf(LatGateway)
	cran := " | | "
	if r.Cranfield != nil && len(r.Cranfield.Rows) > 0 {
		c := r.Cranfield.Rows[0]
		cran = fmt.Sprintf("%.4f | %.4f | %+.2f%%", c.Single, c.Cluster, 100*c.NDCGDelta())
	}
	return fmt.Sprintf("| %s | %s | %s, %d cores, %s | %d | %d | %.0f | %.0f | %d | %.2f | %.2f | %.2f | %.2f | %.3f | %d/%d | %s |",
		r.Date.Format("2006-01-02 15:04"), r.Revision, r.Machine.CPU, r.Machine.Cores, r.Machine.GoVersion,
		r.Corpus.Files, r.Runs, r.Single.DocsPerSec(), r.Gateway.DocsPerSec(), r.Replication, r.Efficiency,
		ms(single.P50), ms(gw.P50), r.P50Ratio, r.Agreement.Overlap, r.Agreement.Identical, r.Agreement.Queries, cran)
}

// UpdateDoc returns doc with the cluster section replaced and a row added
// to the cluster history table.
func (r *ClusterReport) UpdateDoc(doc, command string) string {
	doc = ReplaceSection(doc, ClusterSection, r.Markdown(command))
	return AppendToSection(doc, ClusterHistorySection, ClusterHistoryHeader, r.HistoryRow())
}
