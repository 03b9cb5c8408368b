package bench

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"path"
	"path/filepath"
	"strings"
	"time"

	ds "github.com/distrisearch/distrisearch"
	"github.com/distrisearch/distrisearch/index"
	"github.com/distrisearch/distrisearch/store"
)

// Breakdown times the product's storage stages alone, in-process, on the
// corpus's pre-extracted text: where the product's ingest time goes, next
// to the bare baseline.
type Breakdown struct {
	// Index: the product's partition index (package index, its mapping
	// and analyzers) applying the records in batches, on disk.
	Index Throughput
	// Store: the record store (package store, bbolt, fsynced) putting the
	// records with their text in batches.
	Store Throughput
}

// Records returns the file records a node would make of the corpus
// (node "bench", share ShareName); ids and hashes are derived from the
// text, not read from disk.
func (c *Corpus) Records() []ds.Record {
	recs := make([]ds.Record, len(c.Docs))
	for i, d := range c.Docs {
		sum := sha256.Sum256([]byte(d.Text))
		hash := hex.EncodeToString(sum[:])
		recs[i] = ds.Record{
			FileID: ds.FileID("bench", ShareName+"/"+d.Path, hash), NodeID: "bench", Share: ShareName,
			Path: d.Path, Name: d.Name, Ext: strings.ToLower(strings.TrimPrefix(path.Ext(d.Name), ".")),
			Type: d.Type, MIME: d.MIME, Size: d.Size, ModTime: d.ModTime, ContentHash: hash,
			Title: d.Title, Content: d.Text, Meta: d.Meta,
			Extraction: ds.Extraction{State: ds.ExtractOK},
		}
	}
	return recs
}

// MeasureBreakdown applies recs to a fresh product index in dir/index and
// to a fresh record store in dir/records.db, batch records at a time, and
// times each.
func MeasureBreakdown(dir string, recs []ds.Record, bytes int64, batch int) (Breakdown, error) {
	if batch <= 0 {
		batch = 256
	}
	var b Breakdown
	ix, err := index.Open(filepath.Join(dir, "index"), index.DefaultOptions())
	if err != nil {
		return b, fmt.Errorf("product index: %w", err)
	}
	t0 := time.Now()
	for start := 0; start < len(recs); start += batch {
		if err := ix.Apply(recs[start:min(start+batch, len(recs))], nil); err != nil {
			ix.Close()
			return b, fmt.Errorf("product index: %w", err)
		}
	}
	b.Index = Throughput{Files: len(recs), Bytes: bytes, Took: time.Since(t0)}
	if err := ix.Close(); err != nil {
		return b, fmt.Errorf("product index: %w", err)
	}

	st, err := store.Open(filepath.Join(dir, "records.db"), store.Options{})
	if err != nil {
		return b, fmt.Errorf("record store: %w", err)
	}
	t0 = time.Now()
	for start := 0; start < len(recs); start += batch {
		if err := st.Put(recs[start:min(start+batch, len(recs))]...); err != nil {
			st.Close()
			return b, fmt.Errorf("record store: %w", err)
		}
	}
	b.Store = Throughput{Files: len(recs), Bytes: bytes, Took: time.Since(t0)}
	if err := st.Close(); err != nil {
		return b, fmt.Errorf("record store: %w", err)
	}
	return b, nil
}
