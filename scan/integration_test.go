package scan_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/distrisearch/distrisearch"
	"github.com/distrisearch/distrisearch/extract"
	"github.com/distrisearch/distrisearch/scan"
	"github.com/distrisearch/distrisearch/store"
)

var _ scan.Extractor = (*extract.Extractor)(nil)

// storeCatalog and storeSink are the adapters a node needs between a
// store.Store and a Scanner.
type storeCatalog struct{ s *store.Store }

func (c storeCatalog) State(key string) (scan.State, bool, error) {
	st, ok, err := c.s.State(key)
	return scan.State(st), ok, err
}

func (c storeCatalog) States(prefix string, fn func(string, scan.State) error) error {
	return c.s.States(prefix, func(k string, st store.ScanState) error { return fn(k, scan.State(st)) })
}

type storeSink struct{ s *store.Store }

func (k storeSink) Apply(_ context.Context, b scan.Batch) error {
	if err := k.s.Put(b.Puts...); err != nil {
		return err
	}
	for _, t := range b.Touches {
		if _, err := k.s.Touch(t.Key, t.Size, t.ModTime); err != nil {
			return err
		}
	}
	_, err := k.s.Delete(b.Deletes...)
	return err
}

// countingExtractor counts the calls to the real extractor.
type countingExtractor struct {
	x     *extract.Extractor
	calls atomic.Int64
}

func (c *countingExtractor) Extract(ctx context.Context, name string, r io.ReaderAt, size int64) (extract.Result, error) {
	c.calls.Add(1)
	return c.x.Extract(ctx, name, r, size)
}

func runScan(t *testing.T, dir string, st *store.Store, x scan.Extractor) {
	t.Helper()
	s, err := scan.New(scan.Config{
		NodeID: "n1", Shares: []scan.Share{{Name: "docs", Root: dir}}, NoWatch: true, Interval: -1,
	}, x, storeCatalog{st}, storeSink{st})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { s.Run(ctx); close(done) }()
	select {
	case <-s.Ready():
	case <-time.After(30 * time.Second):
		t.Fatal("walk did not finish")
	}
	cancel()
	<-done
}

func fileID(path, content string) string {
	h := sha256.Sum256([]byte(content))
	return distrisearch.FileID("n1", path, hex.EncodeToString(h[:]))
}

func TestWithStoreAndExtractor(t *testing.T) {
	dir, db := t.TempDir(), filepath.Join(t.TempDir(), "records.db")
	files := map[string]string{
		"notes/plan.md":  "# Launch plan\n\nShip the **scanner** first.\n",
		"code/main.go":   "package main\n\nfunc parseConfig() {}\n",
		"web/index.html": "<html><head><title>Home page</title></head><body><p>Welcome</p></body></html>",
	}
	for p, text := range files {
		os.MkdirAll(filepath.Join(dir, filepath.Dir(p)), 0o755)
		os.WriteFile(filepath.Join(dir, p), []byte(text), 0o644)
	}
	st, err := store.Open(db, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	x := &countingExtractor{x: extract.New(extract.DefaultLimits())}
	runScan(t, dir, st, x)
	if n, _ := st.Count(); n != 3 || x.calls.Load() != 3 {
		t.Fatalf("%d records, %d extractions", n, x.calls.Load())
	}
	r, err := st.ByFileID(fileID("docs/web/index.html", files["web/index.html"]))
	if err != nil || r.Title != "Home page" || r.Type != "html" || r.Extraction.State != distrisearch.ExtractOK {
		t.Fatalf("html record %+v, %v", r, err)
	}
	if text, _ := st.Content(r.FileID); !strings.Contains(text, "Welcome") || strings.Contains(text, "<p>") {
		t.Fatalf("html text %q", text)
	}
	st.Close()

	// Restart on the reopened store: one file changed, one touched.
	os.WriteFile(filepath.Join(dir, "notes/plan.md"), []byte("# Launch plan\n\nShip the index too.\n"), 0o644)
	later := time.Now().Add(time.Hour).Truncate(time.Second)
	os.Chtimes(filepath.Join(dir, "code/main.go"), later, later)
	st, err = store.Open(db, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	x = &countingExtractor{x: extract.New(extract.DefaultLimits())}
	runScan(t, dir, st, x)
	if x.calls.Load() != 1 {
		t.Fatalf("restart extracted %d files, want 1", x.calls.Load())
	}
	if _, err := st.ByFileID(fileID("docs/notes/plan.md", files["notes/plan.md"])); distrisearch.KindOf(err) != distrisearch.KindNotFound {
		t.Fatalf("old version still found: %v", err)
	}
	code, err := st.ByKey(distrisearch.RecordKey("n1", "docs", "code/main.go"))
	if err != nil || !code.ModTime.Equal(later) {
		t.Fatalf("touched record %+v, %v", code, err)
	}
	if n, _ := st.Count(); n != 3 {
		t.Fatalf("%d records after restart", n)
	}
}
