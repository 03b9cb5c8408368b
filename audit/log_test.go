package audit

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/distrisearch/distrisearch"
)

func TestAppendAssignsChain(t *testing.T) {
	clk := newFakeClock()
	l := openLog(t, testConfig(t, clk))
	start := clk.Now()
	es := appendN(t, l, 10, clk)
	var prev Hash
	for i, e := range es {
		if e.Seq != uint64(i+1) || e.Node != "n1" || len(e.ID) != 32 {
			t.Fatalf("entry %d: seq %d node %q id %q", i, e.Seq, e.Node, e.ID)
		}
		if e.PrevHash != prev || e.Hash.IsZero() {
			t.Fatalf("entry %d: bad link", i)
		}
		if !e.Time.Equal(start.Add(time.Duration(i) * time.Second)) {
			t.Fatalf("entry %d: time %v", i, e.Time)
		}
		prev = e.Hash
	}
	rep, err := l.Verify(context.Background())
	if err != nil || !rep.OK() || rep.Entries != 10 {
		t.Fatalf("verify: %+v %v", rep, err)
	}
	h, err := l.Head()
	if err != nil || h.Seq != 10 || h.Hash != prev {
		t.Fatalf("head %+v %v", h, err)
	}
}

func TestAppendValidates(t *testing.T) {
	l := openLog(t, testConfig(t, newFakeClock()))
	for _, e := range []Entry{
		{Action: "", Result: ResultSuccess},
		{Action: "Login\n", Result: ResultSuccess},
		{Action: ActionUpload, Result: "maybe"},
	} {
		if _, err := l.Append(context.Background(), e); distrisearch.KindOf(err) != distrisearch.KindInvalid {
			t.Errorf("%+v: err %v, want invalid", e, err)
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := l.Append(ctx, Entry{Action: ActionUpload, Result: ResultSuccess}); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled ctx: %v", err)
	}
}

func TestConcurrentAppendsFormOneChain(t *testing.T) {
	clk := newFakeClock()
	cfg := testConfig(t, clk)
	cfg.MaxBatch = 7
	cfg.AnchorEvery = 10
	l := openLog(t, cfg)
	const workers, each = 16, 40
	var wg sync.WaitGroup
	seen := make([][]uint64, workers)
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < each; i++ {
				e, err := l.Append(context.Background(), Entry{Username: fmt.Sprint("w", w), Action: ActionUpload, Result: ResultSuccess})
				if err != nil {
					t.Error(err)
					return
				}
				seen[w] = append(seen[w], e.Seq)
			}
		}()
	}
	wg.Wait()
	all := map[uint64]bool{}
	for _, s := range seen {
		for i, q := range s {
			if all[q] || (i > 0 && q <= s[i-1]) {
				t.Fatalf("seq %d duplicated or out of order", q)
			}
			all[q] = true
		}
	}
	if len(all) != workers*each {
		t.Fatalf("%d seqs", len(all))
	}
	rep, err := l.Verify(context.Background())
	if err != nil || !rep.OK() || rep.Entries != workers*each {
		t.Fatalf("verify: %+v %v", rep, err)
	}
	if c := l.commits.Load(); c >= workers*each {
		t.Logf("no batching happened (%d commits)", c)
	}
}

func TestReopenContinuesChain(t *testing.T) {
	clk := newFakeClock()
	cfg := testConfig(t, clk)
	l, err := Open(cfg)
	if err != nil {
		t.Fatal(err)
	}
	first := appendN(t, l, 3, clk)
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := l.Append(context.Background(), Entry{Action: ActionUpload, Result: ResultSuccess}); !errors.Is(err, ErrClosed) {
		t.Fatalf("append after close: %v", err)
	}
	if err := l.Close(); err != nil {
		t.Fatalf("second close: %v", err)
	}
	l2 := openLog(t, cfg)
	more := appendN(t, l2, 2, clk)
	if more[0].Seq != 4 || more[0].PrevHash != first[2].Hash {
		t.Fatalf("chain not continued: %+v", more[0])
	}
	rep, err := l2.Verify(context.Background())
	if err != nil || !rep.OK() || rep.Entries != 5 {
		t.Fatalf("verify: %+v %v", rep, err)
	}
}

func TestFailedTransactionLeavesNothing(t *testing.T) {
	clk := newFakeClock()
	l := openLog(t, testConfig(t, clk))
	appendN(t, l, 2, clk)
	boom := errors.New("disk on fire")
	l.failAfter = func(i int) error {
		if i == 2 {
			return boom
		}
		return nil
	}
	batch := []*request{{e: Entry{Action: ActionUpload, Result: ResultSuccess, Time: clk.Now()}},
		{e: Entry{Action: ActionDelete, Result: ResultSuccess, Time: clk.Now()}},
		{e: Entry{Action: ActionBackup, Result: ResultSuccess, Time: clk.Now()}}}
	if _, err := l.commit(batch); !errors.Is(err, boom) {
		t.Fatalf("commit: %v", err)
	}
	for _, r := range batch {
		if r.e.Seq != 0 || !r.e.Hash.IsZero() {
			t.Fatalf("failed request keeps seq %d", r.e.Seq)
		}
	}
	// Through Append too: the error reaches the caller.
	if _, err := l.Append(context.Background(), Entry{Action: ActionUpload, Result: ResultSuccess}); err != nil {
		t.Fatalf("single append with failAfter(2): %v", err)
	}
	l.failAfter = func(int) error { return boom }
	if _, err := l.Append(context.Background(), Entry{Action: ActionUpload, Result: ResultSuccess}); !errors.Is(err, boom) {
		t.Fatalf("append: %v", err)
	}
	l.failAfter = nil
	e, err := l.Append(context.Background(), Entry{Action: ActionUpload, Result: ResultSuccess})
	if err != nil || e.Seq != 4 {
		t.Fatalf("after failures: seq %d err %v", e.Seq, err)
	}
	rep, err := l.Verify(context.Background())
	if err != nil || !rep.OK() || rep.Entries != 4 {
		t.Fatalf("verify: %+v %v", rep, err)
	}
	p, err := l.Query(context.Background(), Filter{})
	if err != nil || len(p.Entries) != 4 {
		t.Fatalf("query: %d entries, %v", len(p.Entries), err)
	}
}

func TestStartClose(t *testing.T) {
	clk := newFakeClock()
	l, err := Open(testConfig(t, clk))
	if err != nil {
		t.Fatal(err)
	}
	if err := l.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	if err := l.Start(context.Background()); err == nil {
		t.Fatal("second Start succeeded")
	}
	appendN(t, l, 3, clk)
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	if err := l.Start(context.Background()); !errors.Is(err, ErrClosed) {
		t.Fatalf("Start after Close: %v", err)
	}
}

func TestConfigValidate(t *testing.T) {
	ok := DefaultConfig()
	ok.Path, ok.NodeID = "x.db", "node-1"
	if err := ok.Validate(); err != nil {
		t.Fatal(err)
	}
	for name, mut := range map[string]func(*Config){
		"no path":      func(c *Config) { c.Path = "" },
		"no node":      func(c *Config) { c.NodeID = "" },
		"bad node":     func(c *Config) { c.NodeID = "a/b" },
		"no retention": func(c *Config) { c.Retention = 0 },
		"no clock":     func(c *Config) { c.Now = nil },
		"limits":       func(c *Config) { c.DefaultQueryLimit = c.MaxQueryLimit + 1 },
		"batch":        func(c *Config) { c.MaxBatch = 0 },
	} {
		c := ok
		mut(&c)
		if c.Validate() == nil {
			t.Errorf("%s: valid", name)
		}
		if _, err := Open(c); distrisearch.KindOf(err) != distrisearch.KindInvalid {
			t.Errorf("%s: Open err %v", name, err)
		}
	}
}

// TestCommittedEntriesSurviveWithoutClose copies the file while the log is
// open (as a crash would leave it, the page cache aside): every entry whose
// Append returned is in the copy, and the copy verifies.
func TestCommittedEntriesSurviveWithoutClose(t *testing.T) {
	clk := newFakeClock()
	cfg := testConfig(t, clk)
	cfg.NoSync = false
	l := openLog(t, cfg)
	es := appendN(t, l, 5, clk)
	b, err := os.ReadFile(cfg.Path)
	if err != nil {
		t.Fatal(err)
	}
	cfg2 := cfg
	cfg2.Path = filepath.Join(t.TempDir(), "copy.db")
	cfg2.AnchorPath = cfg.Path + ".anchor" // the original's anchor
	if err := os.WriteFile(cfg2.Path, b, 0o600); err != nil {
		t.Fatal(err)
	}
	c := openLog(t, cfg2)
	rep, err := c.Verify(context.Background())
	if err != nil || !rep.OK() || rep.Entries != 5 || rep.AnchorWarning != "" {
		t.Fatalf("copy: %+v %v", rep, err)
	}
	h, _ := c.Head()
	if h.Seq != 5 || h.Hash != es[4].Hash {
		t.Fatalf("copy head %+v", h)
	}
}
