package chunks

import (
	"context"
	"os"
	"slices"
	"testing"
	"time"
)

// TestCollectionPrimitives: only chunks that are not live and were not
// touched since the cutoff are candidates; a Put or Missing of a
// candidate after the cutoff (a writer about to reference it) makes
// RemoveStale keep it; removal frees the bytes.
func TestCollectionPrimitives(t *testing.T) {
	s := openTestStore(t, StoreOptions{})
	put := func(seed uint64) Hash {
		t.Helper()
		b := randBytes(seed, 1000+int(seed))
		h := Sum(b)
		if _, err := s.Put(h, b); err != nil {
			t.Fatal(err)
		}
		return h
	}
	live, old, fresh, asked, again := put(1), put(2), put(3), put(4), put(5)
	longAgo := time.Now().Add(-2 * time.Hour)
	for _, h := range []Hash{live, old, asked, again} {
		if err := os.Chtimes(s.objectPath(h), longAgo, longAgo); err != nil {
			t.Fatal(err)
		}
	}
	cutoff := time.Now().Add(-time.Hour)
	cands, err := s.Unreferenced(cutoff, func(h Hash) bool { return h == live })
	if err != nil {
		t.Fatal(err)
	}
	slices.SortFunc(cands, func(a, b Hash) int { return slices.Compare(a[:], b[:]) })
	want := []Hash{old, asked, again}
	slices.SortFunc(want, func(a, b Hash) int { return slices.Compare(a[:], b[:]) })
	if !slices.Equal(cands, want) {
		t.Fatalf("candidates %v, want the three old unreferenced chunks %v (not %v live, not %v fresh)", cands, want, live, fresh)
	}
	// Writers reach two candidates before the sweep does.
	if miss := s.Missing([]Hash{asked}); len(miss) != 0 {
		t.Fatalf("missing %v", miss)
	}
	if isNew, err := s.Put(again, randBytes(5, 1005)); err != nil || isNew {
		t.Fatalf("put of a held chunk: new=%v %v", isNew, err)
	}
	before := s.Stats()
	freed := int64(0)
	for _, h := range cands {
		n, err := s.RemoveStale(h, cutoff)
		if err != nil {
			t.Fatal(err)
		}
		freed += n
	}
	if freed != 1002 || s.Has(old) || !s.Has(asked) || !s.Has(again) || !s.Has(live) || !s.Has(fresh) {
		t.Fatalf("freed %d bytes; old %v asked %v again %v live %v fresh %v", freed, s.Has(old), s.Has(asked), s.Has(again), s.Has(live), s.Has(fresh))
	}
	if after := s.Stats(); after.Chunks != before.Chunks-1 || after.Bytes != before.Bytes-1002 {
		t.Fatalf("stats %+v after removing one chunk of 1002 bytes from %+v", after, before)
	}
	if n, err := s.RemoveStale(old, cutoff); err != nil || n != 0 {
		t.Fatalf("removing an absent chunk: %d %v", n, err)
	}
}

// TestTransferRateBoundsBackgroundTransfers: with a TransferRate, a
// transfer that would not fit the rate before the caller's deadline is
// refused at once (the limiter knows the wait), after the first burst of
// one chunk; without one, nothing waits.
func TestTransferRateBoundsBackgroundTransfers(t *testing.T) {
	st := openTestStore(t, StoreOptions{})
	cfg := DefaultConfig()
	cfg.TransferRate = 1 << 10 // 1 KiB/s
	svc, err := New(cfg, Deps{Self: "n1", View: noView{}, Client: noDoer{}, Store: st})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if err := svc.throttle(ctx, MaxChunkSize); err != nil {
		t.Fatalf("the first chunk is within the burst: %v", err)
	}
	if err := svc.throttle(ctx, 1<<20); err == nil {
		t.Fatal("1 MiB more at 1 KiB/s fit within a minute")
	}
	cfg.TransferRate = 0
	free, err := New(cfg, Deps{Self: "n1", View: noView{}, Client: noDoer{}, Store: st})
	if err != nil {
		t.Fatal(err)
	}
	for range 10 {
		if err := free.throttle(ctx, MaxChunkSize); err != nil {
			t.Fatal(err)
		}
	}
	cfg.TransferRate = -1
	if cfg.Validate() == nil {
		t.Fatal("a negative rate is valid")
	}
}
