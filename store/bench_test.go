package store

import (
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/distrisearch/distrisearch"
)

// benchText is about 9 KB of source-like text, the mean size of a Go file.
var benchText = strings.Repeat("func (s *Store) Put(recs ...distrisearch.Record) error { return nil }\n", 130)

// BenchmarkPutBatch writes batches of 100 records with text, fsynced.
func BenchmarkPutBatch(b *testing.B) {
	s, err := Open(filepath.Join(b.TempDir(), "s.db"), Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	b.SetBytes(100 * int64(len(benchText)))
	n := 0
	for b.Loop() {
		recs := make([]distrisearch.Record, 100)
		for i := range recs {
			recs[i] = rec("docs", fmt.Sprintf("d/f%08d.go", n), fmt.Sprint(n), benchText)
			n++
		}
		if err := s.Put(recs...); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "records/s")
}

func BenchmarkReads(b *testing.B) {
	s, err := Open(filepath.Join(b.TempDir(), "s.db"), Options{NoSync: true})
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	var recs []distrisearch.Record
	for i := range 10000 {
		recs = append(recs, rec("docs", fmt.Sprintf("d/f%08d.go", i), fmt.Sprint(i), benchText))
	}
	if err := s.Put(recs...); err != nil {
		b.Fatal(err)
	}
	b.Run("ByFileID", func(b *testing.B) {
		i := 0
		for b.Loop() {
			if _, err := s.ByFileID(recs[i%len(recs)].FileID); err != nil {
				b.Fatal(err)
			}
			i++
		}
	})
	b.Run("State", func(b *testing.B) {
		i := 0
		for b.Loop() {
			if _, ok, err := s.State(recs[i%len(recs)].Key()); !ok || err != nil {
				b.Fatal(err)
			}
			i++
		}
	})
	b.Run("Content", func(b *testing.B) {
		i := 0
		b.SetBytes(int64(len(benchText)))
		for b.Loop() {
			if _, err := s.Content(recs[i%len(recs)].FileID); err != nil {
				b.Fatal(err)
			}
			i++
		}
	})
}
