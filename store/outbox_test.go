package store

import (
	"fmt"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/distrisearch/distrisearch"
	bolt "go.etcd.io/bbolt"
)

// outbox returns all marks by key.
func outbox(t *testing.T, s *Store) map[string]uint64 {
	t.Helper()
	entries, err := s.Outbox(1 << 30)
	if err != nil {
		t.Fatal(err)
	}
	n, err := s.OutboxLen()
	if err != nil || n != len(entries) {
		t.Fatalf("OutboxLen = %d, %v; Outbox has %d entries", n, err, len(entries))
	}
	m := make(map[string]uint64, len(entries))
	for _, e := range entries {
		if e.Seq == 0 {
			t.Fatalf("mark of %q has Seq 0", e.Key)
		}
		m[e.Key] = e.Seq
	}
	return m
}

// drain clears every mark.
func drain(t *testing.T, s *Store) {
	t.Helper()
	entries, err := s.Outbox(1 << 30)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.OutboxDone(entries...); err != nil {
		t.Fatal(err)
	}
	if n, _ := s.OutboxLen(); n != 0 {
		t.Fatalf("OutboxLen after draining = %d", n)
	}
}

func TestOutboxPutMarks(t *testing.T) {
	s := open(t, filepath.Join(t.TempDir(), "s.db"))
	a, b := rec("docs", "a.txt", "h1", "one"), rec("docs", "b.txt", "h2", "two")
	if err := s.Put(a, b); err != nil {
		t.Fatal(err)
	}
	first := outbox(t, s)
	if len(first) != 2 || first[a.Key()] == 0 || first[b.Key()] == 0 {
		t.Fatalf("after Put(a, b) outbox = %v", first)
	}
	entries, err := s.Outbox(1)
	if err != nil || len(entries) != 1 || entries[0].Key != min(a.Key(), b.Key()) {
		t.Fatalf("Outbox(1) = %v, %v; want the smallest key only", entries, err)
	}
	if _, err := s.Outbox(0); distrisearch.KindOf(err) != distrisearch.KindInvalid {
		t.Fatalf("Outbox(0) = %v, want invalid", err)
	}

	a2 := rec("docs", "a.txt", "h3", "one, edited")
	if err := s.Put(a2); err != nil {
		t.Fatal(err)
	}
	second := outbox(t, s)
	if second[a.Key()] <= first[a.Key()] || second[b.Key()] != first[b.Key()] {
		t.Fatalf("after a second Put of a: outbox %v, before %v", second, first)
	}
}

func TestOutboxDoneKeepsNewerMarks(t *testing.T) {
	s := open(t, filepath.Join(t.TempDir(), "s.db"))
	a := rec("docs", "a.txt", "h1", "one")
	if err := s.Put(a); err != nil {
		t.Fatal(err)
	}
	read, err := s.Outbox(10)
	if err != nil || len(read) != 1 {
		t.Fatalf("Outbox = %v, %v", read, err)
	}
	// a changes while the replicator sends the version it read.
	if err := s.Put(rec("docs", "a.txt", "h2", "two")); err != nil {
		t.Fatal(err)
	}
	unmarked := OutboxEntry{Key: "no such key", Seq: 1}
	if err := s.OutboxDone(append(read, unmarked)...); err != nil {
		t.Fatal(err)
	}
	now := outbox(t, s)
	if now[a.Key()] <= read[0].Seq {
		t.Fatalf("OutboxDone with a stale Seq: outbox %v, stale entry %v", now, read[0])
	}
	if err := s.OutboxDone(OutboxEntry{Key: a.Key(), Seq: now[a.Key()]}); err != nil {
		t.Fatal(err)
	}
	if m := outbox(t, s); len(m) != 0 {
		t.Fatalf("OutboxDone with the current Seq left %v", m)
	}
	if err := s.OutboxDone(); err != nil {
		t.Fatal(err)
	}
}

func TestOutboxDeleteAndTouch(t *testing.T) {
	s := open(t, filepath.Join(t.TempDir(), "s.db"))
	a, b := rec("docs", "a.txt", "h1", "one"), rec("docs", "b.txt", "h2", "two")
	if err := s.Put(a, b); err != nil {
		t.Fatal(err)
	}
	before := outbox(t, s)
	drain(t, s)

	if gone, err := s.Delete("missing", distrisearch.RecordKey(node, "docs", "nope.txt")); err != nil || len(gone) != 0 {
		t.Fatalf("Delete of absent keys = %v, %v", gone, err)
	}
	if m := outbox(t, s); len(m) != 0 {
		t.Fatalf("Delete of absent keys marked %v", m)
	}

	if _, err := s.Delete(a.Key(), "missing"); err != nil {
		t.Fatal(err)
	}
	m := outbox(t, s)
	if len(m) != 1 || m[a.Key()] <= before[a.Key()] {
		t.Fatalf("after Delete(a, missing) outbox = %v", m)
	}
	// The replicator finds no record under the key: it replicates a delete.
	if _, err := s.ByKey(a.Key()); distrisearch.KindOf(err) != distrisearch.KindNotFound {
		t.Fatalf("ByKey of a deleted key = %v", err)
	}
	drain(t, s)

	if _, err := s.Touch(b.Key(), 10, b.ModTime.Add(time.Minute)); err != nil {
		t.Fatal(err)
	}
	if m := outbox(t, s); len(m) != 1 || m[b.Key()] <= before[b.Key()] {
		t.Fatalf("after Touch(b) outbox = %v", m)
	}
	if _, err := s.Touch("missing", 1, time.Now()); distrisearch.KindOf(err) != distrisearch.KindNotFound {
		t.Fatalf("Touch(missing) = %v", err)
	}
	if m := outbox(t, s); len(m) != 1 {
		t.Fatalf("a failed Touch marked: %v", m)
	}
}

func TestOutboxInvalidPutMarksNothing(t *testing.T) {
	s := open(t, filepath.Join(t.TempDir(), "s.db"))
	good, bad := rec("docs", "a.txt", "h1", "one"), rec("docs", "b.txt", "h2", "two")
	bad.FileID = "not-an-id"
	if err := s.Put(good, bad); distrisearch.KindOf(err) != distrisearch.KindInvalid {
		t.Fatalf("Put(bad) = %v, want invalid", err)
	}
	if m := outbox(t, s); len(m) != 0 {
		t.Fatalf("a failed Put marked %v", m)
	}
}

func TestOutboxReopen(t *testing.T) {
	path := filepath.Join(t.TempDir(), "s.db")
	s, err := Open(path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	a, b := rec("docs", "a.txt", "h1", "one"), rec("docs", "b.txt", "h2", "two")
	if err := s.Put(a, b); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Delete(b.Key()); err != nil {
		t.Fatal(err)
	}
	before := outbox(t, s)
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}

	s = open(t, path)
	after := outbox(t, s)
	if len(after) != 2 || after[a.Key()] != before[a.Key()] || after[b.Key()] != before[b.Key()] {
		t.Fatalf("after reopen outbox = %v, before %v", after, before)
	}
	// The sequence survives too: a change after reopening ranks higher.
	if err := s.Put(a); err != nil {
		t.Fatal(err)
	}
	if m := outbox(t, s); m[a.Key()] <= before[b.Key()] {
		t.Fatalf("Put after reopen got Seq %d, below %d", m[a.Key()], before[b.Key()])
	}
}

// TestOutboxOldDatabase opens a database written before the outbox existed.
func TestOutboxOldDatabase(t *testing.T) {
	path := filepath.Join(t.TempDir(), "s.db")
	s, err := Open(path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	a, b := rec("docs", "a.txt", "h1", "one"), rec("docs", "b.txt", "h2", "two")
	if err := s.Put(a, b); err != nil {
		t.Fatal(err)
	}
	err = s.db.Update(func(tx *bolt.Tx) error { return tx.Bucket(s.part).DeleteBucket(bucketOut) })
	if err != nil {
		t.Fatal(err)
	}
	s.Close()

	s = open(t, path)
	if m := outbox(t, s); len(m) != 0 {
		t.Fatalf("old database: outbox = %v", m)
	}
	if n, err := s.MarkAll(); err != nil || n != 2 {
		t.Fatalf("MarkAll = %d, %v", n, err)
	}
	if m := outbox(t, s); len(m) != 2 || m[a.Key()] == 0 || m[b.Key()] == 0 {
		t.Fatalf("after MarkAll outbox = %v", m)
	}
	if err := checkConsistent(s); err != nil {
		t.Fatal(err)
	}
}

func TestMarkAll(t *testing.T) {
	// NoSync: MarkAll of this many records commits several transactions.
	s, err := Open(filepath.Join(t.TempDir(), "s.db"), Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if n, err := s.MarkAll(); err != nil || n != 0 {
		t.Fatalf("MarkAll of an empty store = %d, %v", n, err)
	}

	// More than two transactions' worth, plus a pending delete and a
	// pending change whose replication started before MarkAll.
	total := 2*markChunk + 3
	var recs []distrisearch.Record
	for i := range total {
		recs = append(recs, rec("docs", fmt.Sprintf("f%06d.txt", i), fmt.Sprint(i), ""))
	}
	if err := s.Put(recs...); err != nil {
		t.Fatal(err)
	}
	gone := rec("docs", "gone.txt", "g", "")
	if err := s.Put(gone); err != nil {
		t.Fatal(err)
	}
	drain(t, s)
	if err := s.Put(recs[5]); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Delete(gone.Key()); err != nil {
		t.Fatal(err)
	}
	inFlight, err := s.Outbox(10)
	if err != nil || len(inFlight) != 2 {
		t.Fatalf("Outbox = %v, %v", inFlight, err)
	}

	n, err := s.MarkAll()
	if err != nil || n != total {
		t.Fatalf("MarkAll = %d, %v; want %d", n, err, total)
	}
	m := outbox(t, s)
	if len(m) != total+1 {
		t.Fatalf("after MarkAll %d marks, want %d", len(m), total+1)
	}
	for _, r := range recs {
		if m[r.Key()] == 0 {
			t.Fatalf("MarkAll did not mark %q", r.Key())
		}
	}
	// The replication that started before MarkAll must not clear the marks.
	if err := s.OutboxDone(inFlight...); err != nil {
		t.Fatal(err)
	}
	for _, e := range inFlight {
		if after := outbox(t, s)[e.Key]; after <= e.Seq {
			t.Fatalf("mark of %q: Seq %d after MarkAll, %d before", e.Key, after, e.Seq)
		}
	}
	seqs := make([]uint64, 0, len(m))
	for _, seq := range m {
		seqs = append(seqs, seq)
	}
	slices.Sort(seqs)
	if len(slices.Compact(seqs)) != len(m) {
		t.Fatal("MarkAll gave two keys the same Seq")
	}
}

func TestOutboxAfterWalksPastKeys(t *testing.T) {
	s := open(t, filepath.Join(t.TempDir(), "s.db"))
	a, b, c := rec("docs", "a.txt", "h1", "one"), rec("docs", "b.txt", "h2", "two"), rec("docs", "c.txt", "h3", "three")
	if err := s.Put(a, b, c); err != nil {
		t.Fatal(err)
	}
	var got []string
	after := ""
	for {
		entries, err := s.OutboxAfter(after, 1)
		if err != nil {
			t.Fatal(err)
		}
		if len(entries) == 0 {
			break
		}
		got = append(got, entries[0].Key)
		after = entries[0].Key
	}
	if want := []string{a.Key(), b.Key(), c.Key()}; !slices.Equal(got, want) {
		t.Fatalf("walk = %q, want %q", got, want)
	}
	// A key that is not marked itself starts the walk at the next one.
	if entries, err := s.OutboxAfter(a.Key()+"\x00", 5); err != nil || len(entries) != 2 || entries[0].Key != b.Key() {
		t.Fatalf("OutboxAfter(between a and b) = %v, %v", entries, err)
	}
}

func TestMarkWhere(t *testing.T) {
	s := open(t, filepath.Join(t.TempDir(), "s.db"))
	a, b := rec("docs", "a.txt", "h1", "one"), rec("docs", "b.txt", "h2", "two")
	if err := s.Put(a, b); err != nil {
		t.Fatal(err)
	}
	drain(t, s)
	n, err := s.MarkWhere(func(key string) bool { return key == b.Key() })
	if err != nil || n != 1 {
		t.Fatalf("MarkWhere = %d, %v", n, err)
	}
	got := outbox(t, s)
	if len(got) != 1 || got[b.Key()] == 0 {
		t.Fatalf("outbox after MarkWhere(b) = %v", got)
	}
	if e, ok, err := s.OutboxMark(b.Key()); err != nil || !ok || e.Seq != got[b.Key()] {
		t.Fatalf("OutboxMark(b) = %+v %v %v", e, ok, err)
	}
	if _, ok, err := s.OutboxMark(a.Key()); err != nil || ok {
		t.Fatalf("OutboxMark(a) = %v %v; a has no mark", ok, err)
	}
}
