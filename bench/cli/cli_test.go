package cli

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestCommandsWriteTheirReports runs both commands as a user would, on a
// tiny corpus and a slice of Cranfield, into report files that already
// hold prose: the prose stays, the figures are added, and a second run
// adds a history row.
func TestCommandsWriteTheirReports(t *testing.T) {
	corpus := t.TempDir()
	for i := range 12 {
		name := filepath.Join(corpus, fmt.Sprintf("f%02d.go", i))
		if err := os.WriteFile(name, []byte(fmt.Sprintf("package f\n\nvar mu%d sync.Mutex // http server\n", i)), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	docs := t.TempDir()
	bench := filepath.Join(docs, "BENCHMARKS.md")
	relevance := filepath.Join(docs, "relevance.md")
	for _, f := range []string{bench, relevance} {
		if err := os.WriteFile(f, []byte("# Title\n\nHand-written method.\n"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	work := t.TempDir()
	ingest := []string{"ingest-search", "-corpus", corpus, "-warmup", "0", "-reps", "1", "-verify", "-1", "-work", work, "-doc", bench}
	eval := []string{"eval", "-data", filepath.Join("..", "testdata", "cranfield-mini"), "-max-docs", "20", "-max-queries", "10",
		"-depth", "50", "-work", work, "-doc", relevance}
	for _, args := range [][]string{ingest, eval, eval} {
		var stdout, stderr bytes.Buffer
		if err := Run(context.Background(), args, &stdout, &stderr); err != nil {
			t.Fatalf("%s: %v\n%s", args[0], err, stderr.String())
		}
		if !strings.Contains(stdout.String(), "Latest run") {
			t.Fatalf("%s printed:\n%s", args[0], stdout.String())
		}
	}
	b, _ := os.ReadFile(bench)
	for _, want := range []string{"Hand-written method.", "12 files with text", "ingest-search -corpus", "| API |"} {
		if !strings.Contains(string(b), want) {
			t.Errorf("BENCHMARKS.md lacks %q:\n%s", want, b)
		}
	}
	r, _ := os.ReadFile(relevance)
	if !strings.Contains(string(r), "Hand-written method.") || strings.Count(string(r), "| 20 | 10 |") != 2 {
		t.Errorf("relevance.md should keep its prose and hold two history rows:\n%s", r)
	}
	if entries, _ := os.ReadDir(work); len(entries) != 0 {
		t.Errorf("work directories left behind: %v", entries)
	}
}

func TestBadCommandLines(t *testing.T) {
	for _, args := range [][]string{
		nil,
		{"frobnicate"},
		{"ingest-search", "-no-such-flag"},
		{"ingest-search", "extra"},
		{"eval", "-data", t.TempDir()}, // no Cranfield files there
		{"cluster", "extra"},
		{"cluster", "-corpus", t.TempDir(), "-nodes", "1"},             // a cluster needs two data nodes
		{"cluster", "-corpus", t.TempDir(), "-cranfield", t.TempDir()}, // no Cranfield files there: fails before the runs
	} {
		var stdout, stderr bytes.Buffer
		err := Run(context.Background(), args, &stdout, &stderr)
		if err == nil {
			t.Errorf("%q: no error", args)
		}
		if len(args) == 0 && err != flag.ErrHelp {
			t.Errorf("no command: %v, want flag.ErrHelp", err)
		}
	}
}

func TestShellJoinQuotesWhatTheShellWouldSplit(t *testing.T) {
	got := shellJoin([]string{"eval", "-doc", "", "-data", "a b", "it's", "-x=1,2"})
	want := `eval -doc '' -data 'a b' 'it'\''s' -x=1,2`
	if got != want {
		t.Fatalf("got %s, want %s", got, want)
	}
}
