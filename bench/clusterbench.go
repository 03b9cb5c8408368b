package bench

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/distrisearch/distrisearch/client"
	"github.com/distrisearch/distrisearch/extract"
)

// ClusterOptions configure RunCluster. Start from DefaultClusterOptions.
type ClusterOptions struct {
	Corpus   string // the folder whose files are indexed
	MaxFiles int    // at most this many files (0: all)
	// Nodes is the number of data nodes of the cluster (besides its
	// gateway); each shares 1/Nodes of the corpus.
	Nodes int
	// Runs: each run ingests on fresh nodes and measures everything
	// again; figures are medians, ratios are taken within a run.
	Runs int
	// Queries run Warmup times untimed and Reps times timed on every
	// system; their top-10 lists are compared once per run.
	Queries      []string
	Warmup, Reps int
	// Cranfield is the directory of the Cranfield collection ("": the
	// relevance comparison is skipped); CranMaxDocs and CranMaxQueries
	// keep the first documents and queries only (0: all).
	Cranfield                   string
	CranMaxDocs, CranMaxQueries int
	WorkDir                     string // holds the run's temporary directory ("": the system's)
	Keep                        bool   // keep the temporary directory
	NodeLogger                  *slog.Logger
	Wait                        WaitOptions
	Log                         io.Writer // progress lines; nil: none
	// CPUProfile, when set, receives a CPU profile of the first run's
	// cluster ingest (from the data nodes' start until every file is
	// searchable through the gateway): where replication spends its time.
	CPUProfile string
}

// DefaultClusterOptions returns the options of `make bench-cluster`
// except the corpus and the Cranfield directory.
func DefaultClusterOptions() ClusterOptions {
	return ClusterOptions{Nodes: 3, Runs: 1, Queries: DefaultQueries, Warmup: 1, Reps: 20}
}

// Latency searcher names of the cluster benchmark.
const (
	LatSingle   = "one node"
	LatGateway  = "cluster, through the gateway"
	LatDataNode = "cluster, through a data node (every partition local)"
)

// PartSummary describes the share of one data node.
type PartSummary struct {
	Files       int
	TextBytes   int64
	First, Last string // first and last path, in lexical order
}

// ClusterRun holds the figures of one run.
type ClusterRun struct {
	Single, Gateway, AllCopies time.Duration // ingest, from start to searchable
	Efficiency                 float64       // RF × cluster docs/s (gateway) ÷ single docs/s
	EfficiencyAll              float64       // the same with every copy indexed
	Latency                    []LatencyResult
	P50Ratio, P99Ratio         float64 // gateway ÷ one node
	Agreement                  Agreement
}

// CranfieldRow is one query form's nDCG@10 on both systems.
type CranfieldRow struct {
	System          string
	Single, Cluster float64 // mean nDCG@10
	Agreement       Agreement
}

// CranfieldAgreement compares the cluster with one node on Cranfield.
type CranfieldAgreement struct {
	Docs, Queries int
	Rows          []CranfieldRow
}

// ClusterReport is what RunCluster measured.
type ClusterReport struct {
	Date     time.Time
	Machine  Machine
	Revision string
	Corpus   CorpusSummary
	Parts    []PartSummary
	// Nodes (data nodes), Replication (copies of each record) and
	// Partitions describe the cluster.
	Nodes, Replication, Partitions int
	Runs                           int
	RunFigures                     []ClusterRun
	// Medians over runs.
	Single, Gateway, AllCopies Throughput
	Efficiency, EfficiencyAll  float64
	Latency                    []LatencyResult
	P50Ratio, P99Ratio         float64
	Agreement                  Agreement
	Queries, Reps              int
	Cranfield                  *CranfieldAgreement // nil when skipped
}

// RunCluster runs the data-plane benchmark: ingest, search latency and
// ranking agreement of a cluster of o.Nodes data nodes and a gateway
// against one node, on the same files, in the same run. See
// docs/BENCHMARKS.md for the method.
func RunCluster(ctx context.Context, o ClusterOptions) (*ClusterReport, error) {
	o.Runs = max(o.Runs, 1)
	if o.Nodes < 2 {
		return nil, fmt.Errorf("bench: a cluster needs at least 2 data nodes, not %d", o.Nodes)
	}
	logf := func(format string, args ...any) {
		if o.Log != nil {
			fmt.Fprintf(o.Log, format+"\n", args...)
		}
	}
	rep := &ClusterReport{Date: time.Now().UTC(), Machine: ReadMachine(), Nodes: o.Nodes, Runs: o.Runs,
		Queries: len(o.Queries), Reps: o.Reps}

	work, err := os.MkdirTemp(o.WorkDir, "distrisearch-cluster-")
	if err != nil {
		return nil, fmt.Errorf("work directory: %w", err)
	}
	if o.Keep {
		logf("work directory: %s", work)
	} else {
		defer os.RemoveAll(work)
	}

	var cran *Cranfield
	if o.Cranfield != "" { // read first: a bad path fails before the long runs
		if cran, err = LoadCranfield(o.Cranfield, o.CranMaxDocs); err != nil {
			return nil, err
		}
		if o.CranMaxQueries > 0 && o.CranMaxQueries < len(cran.Queries) {
			cran.Queries = cran.Queries[:o.CranMaxQueries]
		}
	}

	logf("extracting %s ...", o.Corpus)
	corpus, err := LoadCorpus(ctx, o.Corpus, o.MaxFiles, 0, extract.New(extract.DefaultLimits()))
	if err != nil {
		return nil, err
	}
	rep.Corpus = CorpusSummary{Source: o.Corpus, Files: len(corpus.Docs), Bytes: corpus.Bytes, TextBytes: corpus.TextBytes, Skipped: corpus.Skipped}
	whole := Share{Name: ShareName, Root: filepath.Join(work, "share")}
	if err := corpus.Stage(whole.Root); err != nil {
		return nil, err
	}
	split, err := SplitDocs(corpus.Docs, o.Nodes)
	if err != nil {
		return nil, err
	}
	var thirds []Share
	for i, docs := range split {
		sh := Share{Name: ShareName, Root: filepath.Join(work, fmt.Sprintf("share%d", i+1))}
		part := &Corpus{Source: corpus.Source, Docs: docs}
		if err := part.Stage(sh.Root); err != nil {
			return nil, err
		}
		ps := PartSummary{Files: len(docs), First: docs[0].Path, Last: docs[len(docs)-1].Path}
		for _, d := range docs {
			ps.TextBytes += int64(len(d.Text))
		}
		rep.Parts = append(rep.Parts, ps)
		thirds = append(thirds, sh)
	}
	logf("corpus: %d files, %.1f MB, split over %d data nodes: %v files", len(corpus.Docs), float64(corpus.Bytes)/1e6, o.Nodes, partFiles(rep.Parts))

	want := uint64(len(corpus.Docs))
	for run := 1; run <= o.Runs; run++ {
		dir := filepath.Join(work, fmt.Sprintf("run%d", run))
		fig, err := clusterRun(ctx, o, rep, dir, whole, thirds, want, func(format string, args ...any) {
			logf("run %d: "+format, append([]any{run}, args...)...)
		})
		if err != nil {
			return nil, fmt.Errorf("run %d: %w", run, err)
		}
		rep.RunFigures = append(rep.RunFigures, fig)
		o.CPUProfile = "" // the first run's ingest only
		if !o.Keep {
			if err := os.RemoveAll(dir); err != nil {
				return nil, err
			}
		}
	}
	rep.summarise(len(corpus.Docs), corpus.Bytes)

	if cran != nil {
		if rep.Cranfield, err = cranfieldAgreement(ctx, o, cran, filepath.Join(work, "cranfield"), logf); err != nil {
			return nil, fmt.Errorf("cranfield: %w", err)
		}
	}
	return rep, nil
}

func partFiles(ps []PartSummary) []int {
	out := make([]int, len(ps))
	for i, p := range ps {
		out[i] = p.Files
	}
	return out
}

// clusterRun ingests the corpus on one node, then on a fresh cluster, and
// measures both while both are up.
func clusterRun(ctx context.Context, o ClusterOptions, rep *ClusterReport, dir string, whole Share, parts []Share, want uint64,
	logf func(string, ...any)) (ClusterRun, error) {
	var fig ClusterRun
	rate := func(d time.Duration) float64 { return float64(want) / d.Seconds() }

	// One node, alone on the machine.
	t0 := time.Now()
	single, err := NodeLauncher{Logger: o.NodeLogger}.Launch(ctx, whole, filepath.Join(dir, "single"))
	if err != nil {
		return fig, err
	}
	cl := &GatewayCluster{Logger: o.NodeLogger}
	defer closeAll(single, cl)
	if err := WaitSearchable(ctx, single, want, o.Wait); err != nil {
		return fig, fmt.Errorf("one node: %w", err)
	}
	fig.Single = time.Since(t0)
	logf("one node: %.1f s, %.0f docs/s", fig.Single.Seconds(), rate(fig.Single))
	if err := WaitQuiet(ctx, single.(replicationPending), 0); err != nil {
		return fig, fmt.Errorf("one node: %w", err)
	}

	// The cluster: the gateway first (not timed: the cluster exists),
	// then the data nodes join and walk their shares.
	if err := cl.StartGateway(ctx, dir); err != nil {
		return fig, err
	}
	stopProfile, err := startCPUProfile(o.CPUProfile)
	if err != nil {
		return fig, err
	}
	t0 = time.Now()
	if err := cl.AddDataNodes(ctx, parts, dir); err != nil {
		stopProfile()
		return fig, err
	}
	err = WaitSearchable(ctx, cl, want, o.Wait)
	stopProfile()
	if err != nil {
		return fig, fmt.Errorf("cluster: %w", err)
	}
	fig.Gateway = time.Since(t0)
	rep.Replication, rep.Partitions = cl.Replication(), cl.Partitions()
	logf("cluster: every file searchable through the gateway in %.1f s, %.0f docs/s", fig.Gateway.Seconds(), rate(fig.Gateway))
	if rep.Replication == o.Nodes {
		// Every data node holds every partition and searches them
		// locally: its count is what its copies hold.
		if err := WaitCounts(ctx, cl.DataURLs(), cl.ClientOptions(), want, o.Wait); err != nil {
			return fig, fmt.Errorf("cluster: %w", err)
		}
		fig.AllCopies = time.Since(t0)
		logf("cluster: every copy indexed in %.1f s", fig.AllCopies.Seconds())
	}
	if err := WaitQuiet(ctx, cl, 0); err != nil {
		return fig, fmt.Errorf("cluster: %w", err)
	}
	rf := float64(rep.Replication)
	fig.Efficiency = rf * fig.Single.Seconds() / fig.Gateway.Seconds()
	if fig.AllCopies > 0 {
		fig.EfficiencyAll = rf * fig.Single.Seconds() / fig.AllCopies.Seconds()
	}
	logf("replication efficiency %.2f (every copy indexed: %.2f)", fig.Efficiency, fig.EfficiencyAll)

	one, err := client.NewWithOptions(single.SearchURL(), single.ClientOptions())
	if err != nil {
		return fig, err
	}
	gw, err := client.NewWithOptions(cl.SearchURL(), cl.ClientOptions())
	if err != nil {
		return fig, err
	}
	dn, err := client.NewWithOptions(cl.DataURLs()[0], cl.ClientOptions())
	if err != nil {
		return fig, err
	}
	searchers := []Searcher{APISearcher(LatSingle, one, false, false), APISearcher(LatGateway, gw, false, false)}
	if rep.Replication == o.Nodes {
		searchers = append(searchers, APISearcher(LatDataNode, dn, false, false))
	}
	logf("search latency: %d queries, %d warm-up + %d timed runs ...", len(o.Queries), o.Warmup, o.Reps)
	if fig.Latency, err = MeasureLatency(ctx, searchers, o.Queries, o.Warmup, o.Reps); err != nil {
		return fig, err
	}
	fig.P50Ratio = float64(fig.Latency[1].P50) / float64(fig.Latency[0].P50)
	fig.P99Ratio = float64(fig.Latency[1].P99) / float64(fig.Latency[0].P99)
	logf("search p50: one node %.2f ms, gateway %.2f ms (%.2f×)", ms(fig.Latency[0].P50), ms(fig.Latency[1].P50), fig.P50Ratio)

	a, err := TopHits(ctx, one, o.Queries, TopK)
	if err != nil {
		return fig, err
	}
	b, err := TopHits(ctx, gw, o.Queries, TopK)
	if err != nil {
		return fig, err
	}
	fig.Agreement = Compare(HitKeys(a, hitPath), HitKeys(b, hitPath), TopK)
	for i, q := range o.Queries {
		if TopOverlap(HitKeys(a[i:i+1], hitPath)[0], HitKeys(b[i:i+1], hitPath)[0], TopK) < 1 {
			logf("%s", describeDiff(q, a[i], b[i], hitPath, TopK))
		}
	}
	logf("top-%d overlap %.3f, identical order %d of %d queries", TopK, fig.Agreement.Overlap, fig.Agreement.Identical, fig.Agreement.Queries)
	return fig, nil
}

// closeAll stops targets at the same time (a node takes about a second).
func closeAll(ts ...Target) {
	var wg sync.WaitGroup
	for _, t := range ts {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_ = t.Close()
		}()
	}
	wg.Wait()
}

// summarise sets the report's medians from its runs.
func (r *ClusterReport) summarise(files int, bytes int64) {
	col := func(f func(ClusterRun) float64) float64 {
		xs := make([]float64, len(r.RunFigures))
		for i, run := range r.RunFigures {
			xs[i] = f(run)
		}
		return Median(xs)
	}
	tp := func(f func(ClusterRun) time.Duration) Throughput {
		return Throughput{Files: files, Bytes: bytes, Took: time.Duration(col(func(c ClusterRun) float64 { return float64(f(c)) }))}
	}
	r.Single = tp(func(c ClusterRun) time.Duration { return c.Single })
	r.Gateway = tp(func(c ClusterRun) time.Duration { return c.Gateway })
	r.AllCopies = tp(func(c ClusterRun) time.Duration { return c.AllCopies })
	r.Efficiency = col(func(c ClusterRun) float64 { return c.Efficiency })
	r.EfficiencyAll = col(func(c ClusterRun) float64 { return c.EfficiencyAll })
	r.P50Ratio = col(func(c ClusterRun) float64 { return c.P50Ratio })
	r.P99Ratio = col(func(c ClusterRun) float64 { return c.P99Ratio })
	r.Agreement = Agreement{
		Queries:   r.RunFigures[0].Agreement.Queries,
		Overlap:   col(func(c ClusterRun) float64 { return c.Agreement.Overlap }),
		Identical: int(col(func(c ClusterRun) float64 { return float64(c.Agreement.Identical) }) + 0.5),
	}
	r.Latency = nil
	for i, l := range r.RunFigures[0].Latency {
		at := func(f func(LatencyResult) time.Duration) time.Duration {
			return time.Duration(col(func(c ClusterRun) float64 { return float64(f(c.Latency[i])) }))
		}
		r.Latency = append(r.Latency, LatencyResult{Name: l.Name, Samples: l.Samples,
			P50:       at(func(l LatencyResult) time.Duration { return l.P50 }),
			P99:       at(func(l LatencyResult) time.Duration { return l.P99 }),
			EngineP50: at(func(l LatencyResult) time.Duration { return l.EngineP50 }),
			EngineP99: at(func(l LatencyResult) time.Duration { return l.EngineP99 }),
			MeanHits:  col(func(c ClusterRun) float64 { return c.Latency[i].MeanHits }),
			NoHits:    int(col(func(c ClusterRun) float64 { return float64(c.Latency[i].NoHits) }) + 0.5),
		})
	}
}

// LatencyOf returns the median result of the named searcher.
func (r *ClusterReport) LatencyOf(name string) (LatencyResult, bool) {
	for _, l := range r.Latency {
		if l.Name == name {
			return l, true
		}
	}
	return LatencyResult{}, false
}
