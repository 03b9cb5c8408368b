package scan

import (
	"context"
	"io"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/distrisearch/distrisearch/extract"
)

// nullExtractor extracts nothing, so a benchmark measures walking, hashing,
// batching and watching.
var nullExtractor = funcExtractor(func(context.Context, string, io.ReaderAt, int64) (extract.Result, error) {
	return extract.Result{}, nil
})

// goSrc is the source tree of the Go toolchain, about 11k files.
func goSrc(b *testing.B) string {
	out, err := exec.Command("go", "env", "GOROOT").Output()
	if err != nil {
		b.Skip("no go command:", err)
	}
	return filepath.Join(strings.TrimSpace(string(out)), "src")
}

// scanOnce runs a scanner over root until its first walk is done.
func scanOnce(b *testing.B, cfg Config, m *memStore) Progress {
	s, err := New(cfg, nullExtractor, m, m)
	if err != nil {
		b.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { s.Run(ctx); close(done) }()
	<-s.Ready()
	p := s.Progress()
	cancel()
	<-done
	return p
}

// BenchmarkScanGoroot scans the Go source tree: "initial" finds every file
// new (hash all, batch all), "unchanged" rescans it against a full catalog
// (stat only), as after a restart.
func BenchmarkScanGoroot(b *testing.B) {
	root := goSrc(b)
	cfg := testConfig(root)
	for _, watch := range []bool{true, false} {
		cfg.NoWatch = !watch
		name := "watch"
		if !watch {
			name = "nowatch"
		}
		var full *memStore
		b.Run("initial/"+name, func(b *testing.B) {
			var p Progress
			for b.Loop() {
				full = newMemStore()
				p = scanOnce(b, cfg, full)
			}
			report(b, p)
		})
		b.Run("unchanged/"+name, func(b *testing.B) {
			if full == nil { // run alone: fill the catalog first
				full = newMemStore()
				scanOnce(b, cfg, full)
			}
			var p Progress
			for b.Loop() {
				p = scanOnce(b, cfg, full)
			}
			if p.Walk.Unchanged != p.Walk.Seen-p.Walk.Skipped {
				b.Fatalf("rescan not unchanged: %+v", p.Walk)
			}
			report(b, p)
		})
	}
}

func report(b *testing.B, p Progress) {
	per := b.Elapsed().Seconds() / float64(b.N)
	b.ReportMetric(float64(p.Walk.Seen)/per, "files/s")
	b.ReportMetric(float64(p.Walk.BytesSeen)/1e6/per, "MB/s")
	b.ReportMetric(float64(p.Walk.Seen), "files")
	b.ReportMetric(float64(p.Shares[0].WatchedDirs), "dirs")
	b.ReportMetric(float64(p.Events.Seen), "event-files")
}

// BenchmarkScanGorootExtract is the initial scan of the Go source tree with
// the real extractor: walking, hashing and text extraction, no indexing.
func BenchmarkScanGorootExtract(b *testing.B) {
	cfg := testConfig(goSrc(b))
	cfg.NoWatch = true
	x := extract.New(extract.DefaultLimits())
	var p Progress
	for b.Loop() {
		m := newMemStore()
		s, err := New(cfg, x, m, m)
		if err != nil {
			b.Fatal(err)
		}
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan struct{})
		go func() { s.Run(ctx); close(done) }()
		<-s.Ready()
		p = s.Progress()
		cancel()
		<-done
	}
	report(b, p)
}
