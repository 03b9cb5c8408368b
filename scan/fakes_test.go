package scan

import (
	"context"
	"io"
	"maps"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/distrisearch/distrisearch"
	"github.com/distrisearch/distrisearch/extract"
)

const testNode = "node-1"

// funcExtractor is an Extractor made of a function.
type funcExtractor func(ctx context.Context, name string, r io.ReaderAt, size int64) (extract.Result, error)

func (f funcExtractor) Extract(ctx context.Context, name string, r io.ReaderAt, size int64) (extract.Result, error) {
	return f(ctx, name, r, size)
}

// textExtractor reads the whole file as text and counts its calls.
type textExtractor struct {
	mu    sync.Mutex
	calls map[string]int // name → calls
	hook  func(name string)
}

func (x *textExtractor) Extract(_ context.Context, name string, r io.ReaderAt, size int64) (extract.Result, error) {
	x.mu.Lock()
	if x.calls == nil {
		x.calls = map[string]int{}
	}
	x.calls[name]++
	hook := x.hook
	x.mu.Unlock()
	if hook != nil {
		hook(name)
	}
	b, err := io.ReadAll(io.NewSectionReader(r, 0, size))
	if err != nil {
		return extract.Result{}, err
	}
	return extract.Result{Text: string(b), Type: "text", MIME: "text/plain", Extractor: "text",
		Title: strings.SplitN(string(b), "\n", 2)[0]}, nil
}

func (x *textExtractor) count(name string) int {
	x.mu.Lock()
	defer x.mu.Unlock()
	return x.calls[name]
}

func (x *textExtractor) total() int {
	x.mu.Lock()
	defer x.mu.Unlock()
	n := 0
	for _, c := range x.calls {
		n += c
	}
	return n
}

// memStore is an in-memory Catalog and Sink: the records and their states.
type memStore struct {
	mu      sync.Mutex
	recs    map[string]distrisearch.Record // record key → record
	states  map[string]State
	batches []Batch
	touches int
	fail    func(Batch) error // if set and it returns an error, Apply fails
}

func newMemStore() *memStore {
	return &memStore{recs: map[string]distrisearch.Record{}, states: map[string]State{}}
}

func (m *memStore) State(key string) (State, bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	st, ok := m.states[key]
	return st, ok, nil
}

func (m *memStore) States(prefix string, fn func(string, State) error) error {
	m.mu.Lock()
	states := maps.Clone(m.states)
	m.mu.Unlock()
	for k, st := range states {
		if strings.HasPrefix(k, prefix) {
			if err := fn(k, st); err != nil {
				return err
			}
		}
	}
	return nil
}

func (m *memStore) Apply(_ context.Context, b Batch) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.fail != nil {
		if err := m.fail(b); err != nil {
			return err
		}
	}
	seen := map[string]bool{}
	for _, r := range b.Puts {
		k := r.Key()
		if seen[k] {
			panic("key twice in one batch: " + k)
		}
		seen[k] = true
		m.recs[k] = r
		m.states[k] = State{Size: r.Size, ModTime: r.ModTime.UnixNano(), Hash: r.ContentHash}
	}
	for _, t := range b.Touches {
		r := m.recs[t.Key]
		r.Size, r.ModTime = t.Size, t.ModTime
		m.recs[t.Key] = r
		m.states[t.Key] = State{Size: t.Size, ModTime: t.ModTime.UnixNano(), Hash: r.ContentHash}
		m.touches++
	}
	for _, k := range b.Deletes {
		delete(m.recs, k)
		delete(m.states, k)
	}
	m.batches = append(m.batches, b)
	return nil
}

// get returns the record of share/rel.
func (m *memStore) get(share, rel string) (distrisearch.Record, bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	r, ok := m.recs[distrisearch.RecordKey(testNode, share, rel)]
	return r, ok
}

// paths returns the indexed paths of share.
func (m *memStore) paths(share string) map[string]bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	out := map[string]bool{}
	for _, r := range m.recs {
		if r.Share == share {
			out[r.Path] = true
		}
	}
	return out
}

// fixedClock is the injected clock of the tests.
var fixedClock = func() time.Time { return time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC) }

// testConfig returns a config for one share "docs" at root.
func testConfig(root string) Config {
	return Config{
		NodeID:   testNode,
		Shares:   []Share{{Name: "docs", Root: root}},
		Interval: -1, // no periodic walks: tests trigger them
		Now:      fixedClock,
		Logger:   testLogger(),
	}
}

// started is a running Scanner.
type started struct {
	*Scanner
	cancel context.CancelFunc
	done   chan error
}

// start runs a scanner until the test ends and waits for its first walk.
func start(t *testing.T, cfg Config, x Extractor, m *memStore) *started {
	t.Helper()
	s, err := New(cfg, x, m, m)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	st := &started{Scanner: s, cancel: cancel, done: make(chan error, 1)}
	go func() { st.done <- s.Run(ctx) }()
	t.Cleanup(st.stop)
	select {
	case <-s.Ready():
	case <-time.After(30 * time.Second):
		t.Fatal("first walk did not finish")
	}
	return st
}

// stop cancels the scanner and waits for Run to return.
func (s *started) stop() {
	s.cancel()
	<-s.done
	s.done <- nil // stop may run twice (explicitly and in Cleanup)
}

// eventually polls cond until it holds or the deadline passes. The 2 s
// default is the product's promise for changes, not a performance figure.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(2 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("not within 2s: %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// write creates or replaces a file below dir.
func write(t *testing.T, dir, rel, text string) {
	t.Helper()
	p := filepath.Join(dir, filepath.FromSlash(rel))
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
}
