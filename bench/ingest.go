package bench

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/distrisearch/distrisearch/client"
	"github.com/distrisearch/distrisearch/extract"
)

// ShareName is the name under which a target shares the staged corpus.
const ShareName = "corpus"

// IngestOptions configure RunIngestSearch. Start from
// DefaultIngestOptions.
type IngestOptions struct {
	Corpus   string // the folder whose files are indexed
	MaxFiles int    // at most this many files (0: all)
	// WorkDir holds the run's temporary directory ("" : the system's).
	WorkDir string
	Keep    bool     // keep the temporary directory
	Target  Launcher // what is measured
	// Runs: ingest runs, each on fresh indexes; figures are medians.
	Runs int
	// BareBatch is the baseline's batch size.
	BareBatch int
	// Queries run Warmup times untimed and Reps times timed.
	Queries      []string
	Warmup, Reps int
	// Verify: after ingest, this many files (evenly spread; 0: all,
	// negative: none) are looked up one by one with a path: search.
	Verify int
	// Breakdown also times the product's index and record store alone
	// (see Breakdown).
	Breakdown bool
	Wait      WaitOptions
	Log       io.Writer // progress lines; nil: none
	// CPUProfile, when set, receives a CPU profile of one more pass of
	// the API searches of the target row (no snippets, no facets), run
	// after the measurements: where an API search spends its time.
	CPUProfile string
}

// DefaultIngestOptions returns the options of `make bench` except the
// corpus.
func DefaultIngestOptions() IngestOptions {
	return IngestOptions{
		Target: NodeLauncher{}, Runs: 1, BareBatch: 256,
		Queries: DefaultQueries, Warmup: 1, Reps: 20, Verify: 200, Breakdown: true,
	}
}

// Throughput is a number of files and bytes processed in some time.
type Throughput struct {
	Files int
	Bytes int64
	Took  time.Duration
}

// DocsPerSec returns files per second.
func (t Throughput) DocsPerSec() float64 {
	if t.Took <= 0 {
		return 0
	}
	return float64(t.Files) / t.Took.Seconds()
}

// MBPerSec returns megabytes (10^6 bytes) per second.
func (t Throughput) MBPerSec() float64 {
	if t.Took <= 0 {
		return 0
	}
	return float64(t.Bytes) / 1e6 / t.Took.Seconds()
}

// CorpusSummary describes the corpus in reports.
type CorpusSummary struct {
	Source    string
	Files     int
	Bytes     int64
	TextBytes int64
	Skipped   int
}

// IngestReport is what RunIngestSearch measured.
type IngestReport struct {
	Date     time.Time
	Machine  Machine
	Revision string // the product's source revision, if the caller knows it
	Target   TargetInfo
	Corpus   CorpusSummary
	Runs     int
	// Extraction is package extract alone over the corpus (Workers at a
	// time), as the product's scanner does it.
	Extraction Throughput
	Workers    int
	// Product: from Launch until every file is searchable (median run).
	Product Throughput
	// Bare: the baseline's batch indexing of the extracted text (median
	// run).
	Bare Throughput
	// Ratio is the median over runs of product docs/s ÷ bare docs/s.
	Ratio float64
	// Breakdown, if measured, times the product's index and store alone.
	Breakdown *Breakdown
	// Verified files were each found by a path: search.
	Verified int
	// Latency: the API without and with snippets and facets, then bare
	// bleve.
	Latency       []LatencyResult
	Queries, Reps int
}

// Latency searcher names.
const (
	LatAPI     = "API"
	LatAPIFull = "API, snippets + facets"
	LatBare    = "bare bleve, in-process"
	LatBareHL  = "bare bleve, in-process, snippets"
)

// RunIngestSearch runs the ingest and search-latency benchmark: see the
// package documentation.
func RunIngestSearch(ctx context.Context, o IngestOptions) (*IngestReport, error) {
	if o.Target == nil {
		o.Target = NodeLauncher{}
	}
	o.Runs = max(o.Runs, 1)
	logf := func(format string, args ...any) {
		if o.Log != nil {
			fmt.Fprintf(o.Log, format+"\n", args...)
		}
	}
	rep := &IngestReport{Date: time.Now().UTC(), Machine: ReadMachine(), Runs: o.Runs, Queries: len(o.Queries), Reps: o.Reps}

	work, err := os.MkdirTemp(o.WorkDir, "distrisearch-bench-")
	if err != nil {
		return nil, fmt.Errorf("work directory: %w", err)
	}
	if o.Keep {
		logf("work directory: %s", work)
	} else {
		defer os.RemoveAll(work)
	}

	logf("extracting %s ...", o.Corpus)
	corpus, err := LoadCorpus(ctx, o.Corpus, o.MaxFiles, 0, extract.New(extract.DefaultLimits()))
	if err != nil {
		return nil, err
	}
	rep.Corpus = CorpusSummary{Source: o.Corpus, Files: len(corpus.Docs), Bytes: corpus.Bytes, TextBytes: corpus.TextBytes, Skipped: corpus.Skipped}
	rep.Extraction = Throughput{Files: len(corpus.Docs) + corpus.Skipped, Bytes: corpus.Bytes, Took: corpus.Extraction}
	rep.Workers = corpus.Workers
	logf("corpus: %d files, %.1f MB (%d without text left out); extraction alone %.1f s",
		len(corpus.Docs), float64(corpus.Bytes)/1e6, corpus.Skipped, corpus.Extraction.Seconds())
	share := Share{Name: ShareName, Root: filepath.Join(work, "share")}
	if err := corpus.Stage(share.Root); err != nil {
		return nil, err
	}

	// Each side runs alone: the bare index is closed (stopping its
	// background merges) before the product starts, and reopened for the
	// latency runs.
	var (
		target          Target
		bareDir         string
		productT, bareT []float64
		ratios          []float64
		indexT, storeT  []float64
		closeTarget     = func() {}
	)
	defer func() { closeTarget() }()
	for run := 1; run <= o.Runs; run++ {
		closeTarget()
		dir := filepath.Join(work, fmt.Sprintf("run%d", run))
		bareDir = filepath.Join(dir, "bare")
		b, took, err := BuildBare(bareDir, corpus.Docs, o.BareBatch)
		if err != nil {
			return nil, err
		}
		if err := b.Close(); err != nil {
			return nil, err
		}
		bareTP := Throughput{Files: len(corpus.Docs), Bytes: corpus.Bytes, Took: took}
		logf("run %d: bare bleve %.1f s, %.0f docs/s", run, took.Seconds(), bareTP.DocsPerSec())

		if o.Breakdown {
			bd, err := MeasureBreakdown(filepath.Join(dir, "breakdown"), corpus.Records(), corpus.Bytes, o.BareBatch)
			if err != nil {
				return nil, err
			}
			indexT, storeT = append(indexT, bd.Index.Took.Seconds()), append(storeT, bd.Store.Took.Seconds())
			logf("run %d: product index alone %.1f s, record store alone %.1f s", run, bd.Index.Took.Seconds(), bd.Store.Took.Seconds())
		}

		t0 := time.Now()
		t, err := o.Target.Launch(ctx, share, filepath.Join(dir, "target"))
		if err != nil {
			return nil, err
		}
		target, closeTarget = t, func() { t.Close() }
		if err := WaitSearchable(ctx, t, uint64(len(corpus.Docs)), o.Wait); err != nil {
			return nil, fmt.Errorf("run %d: %w", run, err)
		}
		prodTP := Throughput{Files: len(corpus.Docs), Bytes: corpus.Bytes, Took: time.Since(t0)}
		logf("run %d: product %.1f s, %.0f docs/s", run, prodTP.Took.Seconds(), prodTP.DocsPerSec())

		productT = append(productT, prodTP.Took.Seconds())
		bareT = append(bareT, took.Seconds())
		ratios = append(ratios, prodTP.DocsPerSec()/bareTP.DocsPerSec())
	}
	rep.Target = target.Info()
	secs := func(s float64) time.Duration { return time.Duration(s * float64(time.Second)) }
	tp := func(s float64) Throughput {
		return Throughput{Files: len(corpus.Docs), Bytes: corpus.Bytes, Took: secs(s)}
	}
	rep.Product, rep.Bare, rep.Ratio = tp(Median(productT)), tp(Median(bareT)), Median(ratios)
	if o.Breakdown {
		rep.Breakdown = &Breakdown{Index: tp(Median(indexT)), Store: tp(Median(storeT))}
	}
	bare, err := OpenBare(bareDir)
	if err != nil {
		return nil, err
	}
	defer bare.Close()

	c, err := client.NewWithOptions(target.SearchURL(), target.ClientOptions())
	if err != nil {
		return nil, err
	}
	if o.Verify >= 0 {
		paths := spread(corpus.Paths(), o.Verify)
		missing, err := VerifyPaths(ctx, c, paths)
		if err != nil {
			return nil, err
		}
		if len(missing) > 0 {
			return nil, fmt.Errorf("%d of %d files not found by path after ingest, e.g. %q", len(missing), len(paths), missing[0])
		}
		rep.Verified = len(paths)
		logf("verified %d files by path", len(paths))
	}

	logf("search latency: %d queries, %d warm-up + %d timed runs ...", len(o.Queries), o.Warmup, o.Reps)
	rep.Latency, err = MeasureLatency(ctx, []Searcher{
		APISearcher(LatAPI, c, false, false),
		APISearcher(LatAPIFull, c, true, true),
		BareSearcher(LatBare, bare),
		BareHighlightSearcher(LatBareHL, bare),
	}, o.Queries, o.Warmup, o.Reps)
	if err != nil {
		return nil, err
	}
	if o.CPUProfile != "" {
		stop, err := startCPUProfile(o.CPUProfile)
		if err != nil {
			return nil, err
		}
		_, err = MeasureLatency(ctx, []Searcher{APISearcher(LatAPI, c, false, false)}, o.Queries, 0, o.Reps)
		stop()
		if err != nil {
			return nil, err
		}
		logf("CPU profile of %d API searches written to %s", len(o.Queries)*o.Reps, o.CPUProfile)
	}
	return rep, nil
}

// spread returns n elements of xs evenly spread (all of them for n == 0 or
// n ≥ len(xs)).
func spread(xs []string, n int) []string {
	if n == 0 || n >= len(xs) {
		return xs
	}
	out := make([]string, n)
	for i := range out {
		out[i] = xs[i*len(xs)/n]
	}
	return out
}

// LatencyOf returns the result of the named searcher.
func (r *IngestReport) LatencyOf(name string) (LatencyResult, bool) {
	for _, l := range r.Latency {
		if l.Name == name {
			return l, true
		}
	}
	return LatencyResult{}, false
}
