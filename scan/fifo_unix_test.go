//go:build unix

package scan

import (
	"os"
	"path/filepath"
	"syscall"
	"testing"
)

func TestFifoDoesNotBlock(t *testing.T) {
	dir := t.TempDir()
	write(t, dir, "a.txt", "a")
	if err := syscall.Mkfifo(filepath.Join(dir, "pipe"), 0o644); err != nil {
		t.Skip("no fifos here:", err)
	}
	m := newMemStore()
	s := start(t, testConfig(dir), &textExtractor{}, m) // returns only if the walk finished
	if got := m.paths("docs"); len(got) != 1 {
		t.Fatalf("indexed %v", got)
	}
	if n := s.Progress().Shares[0].SkipReasons[reasonSpecial]; n != 1 {
		t.Fatalf("special files skipped: %d", n)
	}
	// The same through an event, and a file after it still gets indexed.
	syscall.Mkfifo(filepath.Join(dir, "pipe2"), 0o644)
	write(t, dir, "b.txt", "b")
	eventually(t, "file after fifo indexed", func() bool { _, ok := m.get("docs", "b.txt"); return ok })
	eventually(t, "fifo by event skipped", func() bool { return s.Progress().Shares[0].SkipReasons[reasonSpecial] == 2 })
}

// TestOpenFifoDirectly checks that opening a fifo that replaced a listed
// file does not block.
func TestOpenFifoDirectly(t *testing.T) {
	dir := t.TempDir()
	if err := syscall.Mkfifo(filepath.Join(dir, "pipe"), 0o644); err != nil {
		t.Skip("no fifos here:", err)
	}
	root, err := os.OpenRoot(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer root.Close()
	f, err := openFile(root, "pipe")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if fi, _ := f.Stat(); fi.Mode().IsRegular() {
		t.Fatal("fifo reported as a regular file")
	}
}
