package scan

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

func TestNewIgnorePatternDeletesRecords(t *testing.T) {
	dir := t.TempDir()
	write(t, dir, "a.txt", "a")
	write(t, dir, "logs/x.log", "x")
	write(t, dir, "y.log", "y")
	m := newMemStore()
	cfg := testConfig(dir)
	start(t, cfg, &textExtractor{}, m).stop()
	if len(m.paths("docs")) != 3 {
		t.Fatalf("indexed %v", m.paths("docs"))
	}
	cfg.Ignore = []string{"*.log", "logs"}
	start(t, cfg, &textExtractor{}, m)
	if got := m.paths("docs"); len(got) != 1 || !got["a.txt"] {
		t.Fatalf("after ignoring logs %v", got)
	}
}

func TestMissingRootKeepsRecords(t *testing.T) {
	parent := t.TempDir()
	dir := filepath.Join(parent, "share")
	write(t, dir, "a.txt", "a")
	cfg := testConfig(dir)
	cfg.NoWatch = true
	m := newMemStore()
	s := start(t, cfg, &textExtractor{}, m)
	// The share disappears (an unmounted disk, say): nothing is deleted.
	os.Rename(dir, filepath.Join(parent, "elsewhere"))
	s.Rescan("docs")
	eventually(t, "problem reported", func() bool {
		errs := s.Progress().Shares[0].Errors
		return len(errs) > 0 && strings.Contains(errs[len(errs)-1].Error, "share root")
	})
	if _, ok := m.get("docs", "a.txt"); !ok {
		t.Fatal("records deleted while the share root was missing")
	}
}

func TestTwoShares(t *testing.T) {
	d1, d2 := t.TempDir(), t.TempDir()
	write(t, d1, "same.txt", "same bytes")
	write(t, d2, "same.txt", "same bytes")
	cfg := testConfig(d1)
	cfg.Shares = append(cfg.Shares, Share{Name: "code", Root: d2})
	m := newMemStore()
	s := start(t, cfg, &textExtractor{}, m)
	a, _ := m.get("docs", "same.txt")
	b, _ := m.get("code", "same.txt")
	if a.FileID == "" || a.FileID == b.FileID || a.ContentHash != b.ContentHash {
		t.Fatalf("file ids %q %q", a.FileID, b.FileID)
	}
	p := s.Progress()
	if len(p.Shares) != 2 || p.Walk.Indexed != 2 || p.Shares[1].Name != "code" {
		t.Fatalf("progress %+v", p)
	}
	write(t, d2, "new.txt", "n")
	eventually(t, "event in second share", func() bool { _, ok := m.get("code", "new.txt"); return ok })
}

// TestContinuousWritesStillIndexed: a file rewritten without pause is
// indexed while the writes go on (MaxDelay), not only after they stop.
func TestContinuousWritesStillIndexed(t *testing.T) {
	dir := t.TempDir()
	m := newMemStore()
	s := start(t, testConfig(dir), &textExtractor{}, m)
	stop := make(chan struct{})
	var wg sync.WaitGroup
	defer wg.Wait()
	defer close(stop)
	// Writes every 100 ms never leave the 200 ms debounce quiet, so only
	// MaxDelay (1 s) gets the file handled while they go on.
	wg.Go(func() {
		for i := 0; ; i++ {
			select {
			case <-stop:
				return
			case <-time.After(100 * time.Millisecond):
			}
			os.WriteFile(filepath.Join(dir, "busy.log.txt"), []byte(fmt.Sprint("line ", i)), 0o644)
		}
	})
	deadline := time.Now().Add(5 * time.Second)
	for {
		if _, ok := m.get("docs", "busy.log.txt"); ok {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the busy file was not indexed while the writes went on")
		}
		time.Sleep(10 * time.Millisecond)
	}
	_ = s
}
