package store

import (
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/distrisearch/distrisearch"
)

const node = "host-1"

func rec(share, path, hash, text string) distrisearch.Record {
	return distrisearch.Record{
		FileID:      distrisearch.FileID(node, share+"/"+path, hash),
		NodeID:      node,
		Share:       share,
		Path:        path,
		Name:        filepath.Base(path),
		Size:        int64(len(text)),
		ModTime:     time.Unix(1700000000, 123456789).UTC(),
		ContentHash: hash,
		Content:     text,
		Meta:        map[string]string{"author": "ana"},
		Extraction:  distrisearch.Extraction{State: distrisearch.ExtractOK, Extractor: "text"},
		IndexedAt:   time.Unix(1700000100, 0).UTC(),
	}
}

func open(t *testing.T, path string) *Store {
	t.Helper()
	s, err := Open(path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func TestPutGet(t *testing.T) {
	s := open(t, filepath.Join(t.TempDir(), "s.db"))
	long := strings.Repeat("the quick brown fox jumps over the lazy dog ", 1000)
	a, b := rec("docs", "a.txt", "h1", "hello"), rec("docs", "sub/b.txt", "h2", long)
	if err := s.Put(a, b); err != nil {
		t.Fatal(err)
	}
	got, err := s.ByFileID(b.FileID)
	if err != nil {
		t.Fatal(err)
	}
	if got.Path != "sub/b.txt" || got.Content != "" || got.Meta["author"] != "ana" || !got.ModTime.Equal(b.ModTime) {
		t.Fatalf("ByFileID = %+v", got)
	}
	if got, err := s.ByKey(a.Key()); err != nil || got.FileID != a.FileID {
		t.Fatalf("ByKey = %+v, %v", got, err)
	}
	for _, r := range []distrisearch.Record{a, b} {
		text, err := s.Content(r.FileID)
		if err != nil || text != r.Content {
			t.Fatalf("Content(%s) = %d bytes, %v; want %d bytes", r.Path, len(text), err, len(r.Content))
		}
	}
	if n, _ := s.Count(); n != 2 {
		t.Fatalf("Count = %d", n)
	}
}

func TestNotFoundAndInvalid(t *testing.T) {
	s := open(t, filepath.Join(t.TempDir(), "s.db"))
	id := distrisearch.FileID("x", "y", "z")
	for name, err := range map[string]error{
		"ByFileID": second(s.ByFileID(id)),
		"ByKey":    second(s.ByKey("nope")),
		"Content":  second(s.Content(id)),
		"Touch":    second(s.Touch("nope", 1, time.Now())),
	} {
		if distrisearch.KindOf(err) != distrisearch.KindNotFound {
			t.Errorf("%s: %v, want not found", name, err)
		}
	}
	if _, err := s.ByFileID("../../etc/passwd"); distrisearch.KindOf(err) != distrisearch.KindInvalid {
		t.Errorf("ByFileID(bad) = %v, want invalid", err)
	}
}

func second[T any](_ T, err error) error { return err }

func TestReplaceDropsOldFileID(t *testing.T) {
	s := open(t, filepath.Join(t.TempDir(), "s.db"))
	v1, v2 := rec("docs", "a.txt", "h1", "one"), rec("docs", "a.txt", "h2", "")
	if err := s.Put(v1); err != nil {
		t.Fatal(err)
	}
	if err := s.Put(v2); err != nil {
		t.Fatal(err)
	}
	if _, err := s.ByFileID(v1.FileID); distrisearch.KindOf(err) != distrisearch.KindNotFound {
		t.Fatalf("old file id still resolves: %v", err)
	}
	if text, err := s.Content(v2.FileID); err != nil || text != "" {
		t.Fatalf("Content after replace with empty text = %q, %v", text, err)
	}
	if n, _ := s.Count(); n != 1 {
		t.Fatalf("Count = %d", n)
	}
	if err := checkConsistent(s); err != nil {
		t.Fatal(err)
	}
}

func TestDelete(t *testing.T) {
	s := open(t, filepath.Join(t.TempDir(), "s.db"))
	a, b := rec("docs", "a.txt", "h1", "one"), rec("docs", "b.txt", "h2", "two")
	if err := s.Put(a, b); err != nil {
		t.Fatal(err)
	}
	gone, err := s.Delete(a.Key(), "missing")
	if err != nil || len(gone) != 1 || gone[0].FileID != a.FileID {
		t.Fatalf("Delete = %+v, %v", gone, err)
	}
	if _, err := s.ByFileID(a.FileID); distrisearch.KindOf(err) != distrisearch.KindNotFound {
		t.Fatalf("deleted file id resolves: %v", err)
	}
	if _, ok, _ := s.State(a.Key()); ok {
		t.Fatal("deleted record keeps its scan state")
	}
	if n, _ := s.Count(); n != 1 {
		t.Fatalf("Count = %d", n)
	}
	if err := checkConsistent(s); err != nil {
		t.Fatal(err)
	}
}

func TestTouch(t *testing.T) {
	s := open(t, filepath.Join(t.TempDir(), "s.db"))
	a := rec("docs", "a.txt", "h1", "one")
	if err := s.Put(a); err != nil {
		t.Fatal(err)
	}
	later := a.ModTime.Add(time.Hour)
	got, err := s.Touch(a.Key(), 3, later)
	if err != nil || !got.ModTime.Equal(later) || got.FileID != a.FileID {
		t.Fatalf("Touch = %+v, %v", got, err)
	}
	st, ok, err := s.State(a.Key())
	if err != nil || !ok || st != (ScanState{Size: 3, ModTime: later.UnixNano(), Hash: "h1"}) {
		t.Fatalf("State = %+v %v %v", st, ok, err)
	}
	if text, _ := s.Content(a.FileID); text != "one" {
		t.Fatalf("Touch lost the text: %q", text)
	}
}

func TestForEachAndStates(t *testing.T) {
	// NoSync: this test commits 700 small transactions; durability is not its subject.
	s, err := Open(filepath.Join(t.TempDir(), "s.db"), Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	var recs []distrisearch.Record
	for i := range 700 { // more than two iteration chunks
		share := []string{"docs", "code"}[i%2]
		recs = append(recs, rec(share, fmt.Sprintf("d%d/f%04d.txt", i%3, i), fmt.Sprint(i), ""))
	}
	if err := s.Put(recs...); err != nil {
		t.Fatal(err)
	}
	count := func(share string) int {
		n := 0
		err := s.ForEach(share, func(r distrisearch.Record) error {
			if share != "" && r.Share != share {
				t.Fatalf("ForEach(%q) visited share %q", share, r.Share)
			}
			n++
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		return n
	}
	if a, d, c := count(""), count("docs"), count("code"); a != 700 || d != 350 || c != 350 {
		t.Fatalf("ForEach counts all=%d docs=%d code=%d", a, d, c)
	}
	// The callback may write: delete every record while iterating.
	err = s.ForEach("", func(r distrisearch.Record) error {
		_, err := s.Delete(r.Key())
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if n, _ := s.Count(); n != 0 {
		t.Fatalf("Count after deleting in ForEach = %d", n)
	}
	if err := s.Put(recs...); err != nil {
		t.Fatal(err)
	}
	var keys []string
	err = s.States(distrisearch.RecordKey(node, "docs", "d1/"), func(k string, st ScanState) error {
		keys = append(keys, k)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	want := 0
	for _, r := range recs {
		if r.Share == "docs" && strings.HasPrefix(r.Path, "d1/") {
			want++
		}
	}
	if len(keys) != want || want == 0 {
		t.Fatalf("States(docs d1/) = %d keys, want %d", len(keys), want)
	}
	stop := errors.New("stop")
	if err := s.ForEach("", func(distrisearch.Record) error { return stop }); err != stop {
		t.Fatalf("ForEach did not return fn's error: %v", err)
	}
}

func TestInvalidRecordWritesNothing(t *testing.T) {
	s := open(t, filepath.Join(t.TempDir(), "s.db"))
	good, bad := rec("docs", "a.txt", "h1", "one"), rec("docs", "b.txt", "h2", "two")
	bad.FileID = "not-an-id"
	if err := s.Put(good, bad); distrisearch.KindOf(err) != distrisearch.KindInvalid {
		t.Fatalf("Put(bad) = %v, want invalid", err)
	}
	if n, _ := s.Count(); n != 0 {
		t.Fatalf("a failed Put wrote %d records", n)
	}
}

func TestReopen(t *testing.T) {
	path := filepath.Join(t.TempDir(), "s.db")
	s, err := Open(path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	a := rec("docs", "a.txt", "h1", strings.Repeat("text ", 200))
	if err := s.Put(a); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s = open(t, path)
	if text, err := s.Content(a.FileID); err != nil || text != a.Content {
		t.Fatalf("after reopen Content = %d bytes, %v", len(text), err)
	}
}

func TestLockedAndPartitions(t *testing.T) {
	path := filepath.Join(t.TempDir(), "s.db")
	s, err := Open(path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Open(path, Options{OpenTimeout: 50 * time.Millisecond}); distrisearch.KindOf(err) != distrisearch.KindUnavailable {
		t.Fatalf("second Open = %v, want unavailable", err)
	}
	if err := s.Put(rec("docs", "a.txt", "h1", "one")); err != nil {
		t.Fatal(err)
	}
	s.Close()
	other, err := Open(path, Options{Partition: "p7"})
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	if n, _ := other.Count(); n != 0 {
		t.Fatalf("partition p7 sees %d records of partition local", n)
	}
	if _, err := Open(path, Options{Partition: "../x"}); distrisearch.KindOf(err) != distrisearch.KindInvalid {
		t.Fatalf("bad partition name = %v", err)
	}
}

func TestTextCodec(t *testing.T) {
	random := make([]byte, 4096)
	for i := range random {
		random[i] = byte(i*7919 + i*i*31)
	}
	for _, text := range []string{"", "short", strings.Repeat("abc", 1000), string(random)} {
		got, err := decodeText(encodeText(text))
		if err != nil || got != text {
			t.Fatalf("codec roundtrip of %d bytes: %d bytes, %v", len(text), len(got), err)
		}
	}
	if v := encodeText(strings.Repeat("abc", 1000)); v[0] != codecSnappy || len(v) > 500 {
		t.Fatalf("repetitive text not compressed: codec %d, %d bytes", v[0], len(v))
	}
}
