package scan

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/distrisearch/distrisearch"
	"github.com/distrisearch/distrisearch/extract"
	"github.com/fsnotify/fsnotify"
	"go.uber.org/goleak"
)

func sha(s string) string {
	h := sha256.Sum256([]byte(s))
	return hex.EncodeToString(h[:])
}

func TestInitialScan(t *testing.T) {
	defer goleak.VerifyNone(t)
	dir := t.TempDir()
	write(t, dir, "a.txt", "Alpha\nfirst file")
	write(t, dir, "sub/deeper/B.MD", "Beta")
	write(t, dir, ".hidden", "secret")
	write(t, dir, ".git/config", "ignored dir")
	write(t, dir, "node_modules/x.js", "ignored dir")
	write(t, dir, "draft.txt~", "backup")
	x, m := &textExtractor{}, newMemStore()
	s := start(t, testConfig(dir), x, m)

	if got := m.paths("docs"); len(got) != 2 || !got["a.txt"] || !got["sub/deeper/B.MD"] {
		t.Fatalf("indexed %v", got)
	}
	r, _ := m.get("docs", "sub/deeper/B.MD")
	want := distrisearch.Record{
		FileID: distrisearch.FileID(testNode, "docs/sub/deeper/B.MD", sha("Beta")),
		NodeID: testNode, Share: "docs", Path: "sub/deeper/B.MD", Name: "B.MD", Ext: "md",
		Type: "text", MIME: "text/plain", Size: 4, ContentHash: sha("Beta"), Title: "Beta", Content: "Beta",
		Extraction: distrisearch.Extraction{State: distrisearch.ExtractOK, Extractor: "text"},
		IndexedAt:  fixedClock(),
	}
	fi, _ := os.Stat(filepath.Join(dir, "sub/deeper/B.MD"))
	want.ModTime = fi.ModTime().UTC()
	if r.Meta != nil || r.FileID != want.FileID || r.ContentHash != want.ContentHash || r.Ext != want.Ext ||
		r.Name != want.Name || r.Type != want.Type || r.MIME != want.MIME || r.Size != want.Size ||
		!r.ModTime.Equal(want.ModTime) || r.Title != want.Title || r.Content != want.Content ||
		r.Extraction != want.Extraction || !r.IndexedAt.Equal(want.IndexedAt) || r.NodeID != testNode {
		t.Fatalf("record\n got %+v\nwant %+v", r, want)
	}

	p := s.Progress()
	sp := p.Shares[0]
	if sp.Walks != 1 || sp.Phase != PhaseWatching || p.Phase != PhaseWatching {
		t.Fatalf("walks %d, phase %s/%s", sp.Walks, sp.Phase, p.Phase)
	}
	// Seen: a.txt, B.MD, .hidden, draft.txt~ (ignored directories are not entered).
	c := p.Walk
	if c.Seen != 4 || c.Indexed != 2 || c.Skipped != 2 || c.Unchanged != 0 || c.Failed != 0 || c.BytesProcessed != int64(len("Alpha\nfirst file")+4) {
		t.Fatalf("counters %+v", c)
	}
	if sp.SkipReasons[reasonIgnored] != 4 { // two files, two directories
		t.Fatalf("skip reasons %v", sp.SkipReasons)
	}
	if sp.WatchedDirs != 3 { // ., sub, sub/deeper
		t.Fatalf("watched %d directories", sp.WatchedDirs)
	}
	if !sp.WalkStarted.Equal(fixedClock()) || !sp.WalkFinished.Equal(fixedClock()) {
		t.Fatalf("walk times %v %v", sp.WalkStarted, sp.WalkFinished)
	}
	if _, err := json.Marshal(p); err != nil {
		t.Fatal(err)
	}
	s.stop()
	if got := s.Progress().Phase; got != PhaseStopped {
		t.Fatalf("phase after stop %s", got)
	}
}

func TestEventsReflected(t *testing.T) {
	dir := t.TempDir()
	write(t, dir, "keep.txt", "keep")
	write(t, dir, "change.txt", "v1")
	write(t, dir, "remove.txt", "bye")
	write(t, dir, "old/inner/f.txt", "in a directory that moves")
	write(t, dir, "rename-me.txt", "renamed file")
	x, m := &textExtractor{}, newMemStore()
	s := start(t, testConfig(dir), x, m)

	write(t, dir, "new.txt", "fresh")
	eventually(t, "new file indexed", func() bool { _, ok := m.get("docs", "new.txt"); return ok })

	write(t, dir, "change.txt", "version two")
	eventually(t, "changed file re-indexed", func() bool {
		r, _ := m.get("docs", "change.txt")
		return r.Content == "version two" && r.ContentHash == sha("version two")
	})

	os.Remove(filepath.Join(dir, "remove.txt"))
	eventually(t, "deleted file removed", func() bool { _, ok := m.get("docs", "remove.txt"); return !ok })

	write(t, dir, "made/later/g.txt", "in a new directory")
	eventually(t, "file in a new directory indexed", func() bool { _, ok := m.get("docs", "made/later/g.txt"); return ok })
	// The new directory is watched: a second file there is found too.
	write(t, dir, "made/later/h.txt", "second")
	eventually(t, "file added to the new directory indexed", func() bool { _, ok := m.get("docs", "made/later/h.txt"); return ok })

	if err := os.Rename(filepath.Join(dir, "old"), filepath.Join(dir, "moved")); err != nil {
		t.Fatal(err)
	}
	eventually(t, "renamed directory reflected", func() bool {
		_, oldOK := m.get("docs", "old/inner/f.txt")
		_, newOK := m.get("docs", "moved/inner/f.txt")
		return !oldOK && newOK
	})
	// The moved directory's subdirectory is watched under its new name.
	write(t, dir, "moved/inner/n.txt", "after the move")
	eventually(t, "file in the moved directory indexed", func() bool { _, ok := m.get("docs", "moved/inner/n.txt"); return ok })

	if err := os.Rename(filepath.Join(dir, "rename-me.txt"), filepath.Join(dir, "renamed.txt")); err != nil {
		t.Fatal(err)
	}
	eventually(t, "renamed file reflected", func() bool {
		_, oldOK := m.get("docs", "rename-me.txt")
		r, newOK := m.get("docs", "renamed.txt")
		return !oldOK && newOK && r.FileID == distrisearch.FileID(testNode, "docs/renamed.txt", sha("renamed file"))
	})
	// A directory removed with its files.
	os.RemoveAll(filepath.Join(dir, "made"))
	eventually(t, "removed directory's files deleted", func() bool {
		got := m.paths("docs")
		return !got["made/later/g.txt"] && !got["made/later/h.txt"]
	})
	if x.count("keep.txt") != 1 {
		t.Fatalf("keep.txt extracted %d times", x.count("keep.txt"))
	}
	if ev := s.Progress().Events; ev.Indexed < 6 || ev.Deleted < 5 {
		t.Fatalf("event counters %+v", ev)
	}
}

func TestRestartDoesNotReextract(t *testing.T) {
	dir := t.TempDir()
	for _, f := range []string{"a.txt", "b/c.txt", "b/d.txt"} {
		write(t, dir, f, "content of "+f)
	}
	m := newMemStore()
	x1 := &textExtractor{}
	s1 := start(t, testConfig(dir), x1, m)
	s1.stop()
	if x1.total() != 3 {
		t.Fatalf("first run extracted %d files", x1.total())
	}
	write(t, dir, "b/d.txt", "edited while stopped")
	os.Remove(filepath.Join(dir, "a.txt"))

	x2 := &textExtractor{}
	s2 := start(t, testConfig(dir), x2, m)
	if x2.total() != 1 || x2.count("b/d.txt") != 1 {
		t.Fatalf("second run extracted %v", x2.calls)
	}
	c := s2.Progress().Walk
	if c.Unchanged != 1 || c.Indexed != 1 || c.Deleted != 1 {
		t.Fatalf("second run counters %+v", c)
	}
	if got := m.paths("docs"); len(got) != 2 || got["a.txt"] {
		t.Fatalf("after restart %v", got)
	}
}

func TestSameContentNewMtimeIsTouched(t *testing.T) {
	dir := t.TempDir()
	write(t, dir, "a.txt", "same")
	x, m := &textExtractor{}, newMemStore()
	s := start(t, testConfig(dir), x, m)
	before, _ := m.get("docs", "a.txt")

	later := time.Now().Add(time.Hour).Truncate(time.Second)
	if err := os.Chtimes(filepath.Join(dir, "a.txt"), later, later); err != nil {
		t.Fatal(err)
	}
	eventually(t, "new mtime recorded", func() bool {
		r, _ := m.get("docs", "a.txt")
		return r.ModTime.Equal(later)
	})
	// Rewriting the same bytes (new mtime again) is no new version either.
	write(t, dir, "a.txt", "same")
	eventually(t, "rewrite recorded", func() bool {
		r, _ := m.get("docs", "a.txt")
		return !r.ModTime.Equal(later)
	})
	after, _ := m.get("docs", "a.txt")
	if x.count("a.txt") != 1 || after.FileID != before.FileID || after.Content != "same" {
		t.Fatalf("extracted %d times; file id %s → %s", x.count("a.txt"), before.FileID, after.FileID)
	}
	if s.Progress().Events.Unchanged < 2 {
		t.Fatalf("events %+v", s.Progress().Events)
	}
}

func TestSymlinks(t *testing.T) {
	dir, outside := t.TempDir(), t.TempDir()
	write(t, outside, "secret.txt", "outside the share")
	write(t, dir, "real/inside.txt", "inside")
	for link, target := range map[string]string{
		"out-file": filepath.Join(outside, "secret.txt"),
		"out-dir":  outside,
		"in-file":  filepath.Join(dir, "real/inside.txt"),
		"in-dir":   filepath.Join(dir, "real"),
		"rel-out":  "../" + filepath.Base(outside),
		"broken":   filepath.Join(dir, "nothing-here"),
	} {
		if err := os.Symlink(target, filepath.Join(dir, link)); err != nil {
			t.Fatal(err)
		}
	}
	m := newMemStore()
	s := start(t, testConfig(dir), &textExtractor{}, m)
	if got := m.paths("docs"); len(got) != 1 || !got["real/inside.txt"] {
		t.Fatalf("indexed %v", got)
	}
	sp := s.Progress().Shares[0]
	if sp.SkipReasons[reasonLinkOutside] != 3 || sp.SkipReasons[reasonLinkInside] != 2 || sp.SkipReasons[reasonLinkBroken] != 1 {
		t.Fatalf("skip reasons %v", sp.SkipReasons)
	}
	if len(sp.Errors) != 3 || !strings.Contains(sp.Errors[0].Error, "leading out of the share") {
		t.Fatalf("error samples %+v", sp.Errors)
	}
	// A link created later, by event, is skipped the same way.
	os.Symlink(filepath.Join(outside, "secret.txt"), filepath.Join(dir, "late-link"))
	eventually(t, "late link skipped", func() bool {
		return s.Progress().Shares[0].SkipReasons[reasonLinkOutside] == 4
	})
	if _, ok := m.get("docs", "late-link"); ok {
		t.Fatal("link out of the share indexed")
	}
}

func TestUnreadableFileKeepsRecord(t *testing.T) {
	dir := t.TempDir()
	write(t, dir, "open.txt", "readable")
	write(t, dir, "secret.txt", "v1")
	m := newMemStore()
	s1 := start(t, testConfig(dir), &textExtractor{}, m)
	s1.stop()
	write(t, dir, "secret.txt", "version two, unreadable now")

	// Running as root, permissions do not stop reads: deny through the open seam.
	s, err := New(testConfig(dir), &textExtractor{}, m, m)
	if err != nil {
		t.Fatal(err)
	}
	for _, sh := range s.shares {
		sh.openFn = func(root *os.Root, rel string) (*os.File, error) {
			if rel == "secret.txt" {
				return nil, &os.PathError{Op: "open", Path: rel, Err: syscall.EACCES}
			}
			return openFile(root, rel)
		}
	}
	runUntilReady(t, s)
	r, ok := m.get("docs", "secret.txt")
	if !ok || r.Content != "v1" {
		t.Fatalf("unreadable file lost its record: %v %+v", ok, r)
	}
	sp := s.Progress().Shares[0]
	if sp.SkipReasons[reasonUnreadable] != 1 || len(sp.Errors) != 1 || !strings.Contains(sp.Errors[0].Error, "permission denied") {
		t.Fatalf("reasons %v, errors %+v", sp.SkipReasons, sp.Errors)
	}
}

func TestUnreadableFileByPermission(t *testing.T) {
	if os.Geteuid() == 0 {
		t.Skip("root reads files whatever their mode; TestUnreadableFileKeepsRecord covers this through a seam")
	}
	dir := t.TempDir()
	write(t, dir, "secret.txt", "x")
	os.Chmod(filepath.Join(dir, "secret.txt"), 0)
	m := newMemStore()
	s := start(t, testConfig(dir), &textExtractor{}, m)
	if n := s.Progress().Shares[0].SkipReasons[reasonUnreadable]; n != 1 {
		t.Fatalf("unreadable skipped %d", n)
	}
}

// runUntilReady runs s until the test ends and waits for its first walk.
func runUntilReady(t *testing.T, s *Scanner) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { s.Run(ctx); close(done) }()
	t.Cleanup(func() { cancel(); <-done })
	select {
	case <-s.Ready():
	case <-time.After(30 * time.Second):
		t.Fatal("first walk did not finish")
	}
}

func TestVanishedMidScan(t *testing.T) {
	dir := t.TempDir()
	write(t, dir, "a.txt", "a")
	write(t, dir, "b.txt", "b")
	m := newMemStore()
	start(t, testConfig(dir), &textExtractor{}, m).stop()

	// Both changed; while a.txt is extracted, b.txt disappears. With one
	// worker, b.txt is listed before it vanishes or while it vanishes, and
	// read after: either way it is found gone.
	write(t, dir, "a.txt", "a2")
	write(t, dir, "b.txt", "b2")
	x := &textExtractor{hook: func(name string) {
		if name == "a.txt" {
			os.Remove(filepath.Join(dir, "b.txt"))
		}
	}}
	cfg := testConfig(dir)
	cfg.Workers = 1
	cfg.NoWatch = true
	s := start(t, cfg, x, m)
	if got := m.paths("docs"); len(got) != 1 || !got["a.txt"] {
		t.Fatalf("indexed %v", got)
	}
	if n := s.Progress().Shares[0].SkipReasons[reasonVanished]; n != 1 {
		t.Fatalf("vanished: %d (reasons %v)", n, s.Progress().Shares[0].SkipReasons)
	}
	if d := s.Progress().Walk.Deleted; d != 1 {
		t.Fatalf("deleted %d", d)
	}
}

func TestOverflowTriggersRescan(t *testing.T) {
	dir := t.TempDir()
	write(t, dir, "a.txt", "a")
	cfg := testConfig(dir)
	cfg.NoWatch = true // no events: only the rescan can find the new file
	m := newMemStore()
	s := start(t, cfg, &textExtractor{}, m)
	if s.Progress().Shares[0].Phase != PhaseIdle {
		t.Fatalf("phase %s", s.Progress().Shares[0].Phase)
	}
	write(t, dir, "b.txt", "b")
	s.shares[0].inject <- fsnotify.ErrEventOverflow
	eventually(t, "rescan after overflow", func() bool { _, ok := m.get("docs", "b.txt"); return ok })
	sp := s.Progress().Shares[0]
	if sp.Walks != 2 || len(sp.Errors) != 1 || !strings.Contains(sp.Errors[0].Error, "overflow") {
		t.Fatalf("walks %d, errors %+v", sp.Walks, sp.Errors)
	}
}

func TestRescanRequest(t *testing.T) {
	dir := t.TempDir()
	cfg := testConfig(dir)
	cfg.NoWatch = true
	m := newMemStore()
	s := start(t, cfg, &textExtractor{}, m)
	write(t, dir, "late.txt", "late")
	if err := s.Rescan("docs"); err != nil {
		t.Fatal(err)
	}
	eventually(t, "rescan", func() bool { _, ok := m.get("docs", "late.txt"); return ok })
	if err := s.Rescan("nope"); distrisearch.KindOf(err) != distrisearch.KindNotFound {
		t.Fatalf("Rescan(unknown) = %v", err)
	}
}

func TestExtractionStates(t *testing.T) {
	dir := t.TempDir()
	for _, f := range []string{"ok.txt", "bad.pdf", "boom.doc", "blob.bin"} {
		write(t, dir, f, f)
	}
	x := funcExtractor(func(_ context.Context, name string, _ io.ReaderAt, _ int64) (extract.Result, error) {
		switch name {
		case "ok.txt":
			return extract.Result{Text: "ok", Type: "text", MIME: "text/plain", Extractor: "text", Truncated: true}, nil
		case "bad.pdf":
			return extract.Result{Type: "pdf", MIME: "application/pdf", Text: "partial"}, errors.New("corrupt pdf: no xref")
		case "boom.doc":
			panic("parser bug")
		}
		return extract.Result{}, nil
	})
	m := newMemStore()
	s := start(t, testConfig(dir), x, m)
	check := func(p, state, reason, typ string) {
		t.Helper()
		r, ok := m.get("docs", p)
		if !ok || r.Extraction.State != state || !strings.Contains(r.Extraction.Reason, reason) || r.Type != typ {
			t.Errorf("%s: %v %+v (type %q)", p, ok, r.Extraction, r.Type)
		}
	}
	check("ok.txt", distrisearch.ExtractOK, "", "text")
	check("bad.pdf", distrisearch.ExtractFailed, "corrupt pdf", "pdf")
	check("boom.doc", distrisearch.ExtractFailed, "panicked: parser bug", "binary")
	check("blob.bin", distrisearch.ExtractMetaOnly, "", "binary")
	if r, _ := m.get("docs", "bad.pdf"); r.Content != "partial" {
		t.Errorf("partial text of a failed extraction dropped: %q", r.Content)
	}
	if r, _ := m.get("docs", "ok.txt"); !r.Extraction.Truncated {
		t.Error("truncation not recorded")
	}
	if c := s.Progress().Walk; c.Indexed != 2 || c.Failed != 2 {
		t.Fatalf("counters %+v", c)
	}
}

func TestFailedApplyIsRetried(t *testing.T) {
	dir := t.TempDir()
	write(t, dir, "a.txt", "a")
	m := newMemStore()
	fails := 1
	m.fail = func(Batch) error {
		if fails > 0 {
			fails--
			return errors.New("disk full")
		}
		return nil
	}
	cfg := testConfig(dir)
	cfg.RetryDelay = 20 * time.Millisecond
	s := start(t, cfg, &textExtractor{}, m)
	eventually(t, "retried after a failed apply", func() bool { _, ok := m.get("docs", "a.txt"); return ok })
	if errs := s.Progress().Shares[0].Errors; len(errs) == 0 || !strings.Contains(errs[0].Error, "disk full") {
		t.Fatalf("errors %+v", errs)
	}
}

func TestBatchesHoldEachKeyOnce(t *testing.T) {
	dir := t.TempDir()
	for i := range 50 {
		write(t, dir, filepath.Join("d", string(rune('a'+i%26))+strings.Repeat("x", i/26)+".txt"), "v1")
	}
	cfg := testConfig(dir)
	cfg.BatchSize = 7
	m := newMemStore() // Apply panics on a key seen twice in a batch
	s := start(t, cfg, &textExtractor{}, m)
	if len(m.paths("docs")) != 50 || len(m.batches) < 50/7 {
		t.Fatalf("%d files in %d batches", len(m.paths("docs")), len(m.batches))
	}
	for _, b := range m.batches {
		if b.Share != "docs" || b.Len() > 7+s.cfg.Workers {
			t.Fatalf("batch of %d for %q", b.Len(), b.Share)
		}
	}
}

func TestRunTwiceAndCancel(t *testing.T) {
	defer goleak.VerifyNone(t)
	dir := t.TempDir()
	write(t, dir, "a.txt", "a")
	m := newMemStore()
	s, err := New(testConfig(dir), &textExtractor{}, m, m)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() { done <- s.Run(ctx) }()
	<-s.Ready()
	if err := s.Run(ctx); err == nil {
		t.Fatal("second Run accepted")
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("Run = %v", err)
	}
}

func TestCancelDuringWalkDeletesNothing(t *testing.T) {
	dir := t.TempDir()
	for i := range 20 {
		write(t, dir, filepath.Join("d", strings.Repeat("f", i+1)), "x")
	}
	m := newMemStore()
	start(t, testConfig(dir), &textExtractor{}, m).stop()
	// A second run is cancelled inside its first extraction: nothing it had
	// not finished may count as gone.
	write(t, dir, "d/f", "changed")
	ctx, cancel := context.WithCancel(context.Background())
	x := funcExtractor(func(context.Context, string, io.ReaderAt, int64) (extract.Result, error) {
		cancel()
		return extract.Result{}, nil
	})
	s, err := New(testConfig(dir), x, m, m)
	if err != nil {
		t.Fatal(err)
	}
	s.Run(ctx)
	if got := len(m.paths("docs")); got != 20 {
		t.Fatalf("%d records after a cancelled walk, want 20", got)
	}
	if r, _ := m.get("docs", "d/f"); r.Content != "x" {
		t.Fatalf("a cancelled extraction was applied: %+v", r)
	}
}
