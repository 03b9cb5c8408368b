package chunks

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"time"
)

// Garbage collection by reference. A chunk is garbage when no record this
// node holds names it in its manifest; the node (which knows its records)
// computes what is live, the store knows when each chunk was last written
// or asked about — its file's modification time, set by Put and Missing
// (Touch). A collection removes only chunks that are not live and were
// not touched since a cutoff well in the past, so a file being uploaded,
// whose chunks arrive before its record, is never collected under it:
//
//	cutoff := now - grace
//	candidates := Unreferenced(cutoff, live1)   // live1: records now
//	for each candidate not in live2:            // live2: records again
//	        RemoveStale(candidate, cutoff)      // re-checked under the chunk's lock
//
// A writer that stores or asks about a candidate after the cutoff touches
// it, and RemoveStale, which holds the chunk's lock, then leaves it.

// Touch refreshes h's modification time, if the store holds h, and
// reports whether it does.
func (s *Store) Touch(h Hash) bool {
	unlock := s.lock(h)
	defer unlock()
	return s.touchLocked(h)
}

func (s *Store) touchLocked(h Hash) bool {
	now := s.opts.Now()
	err := os.Chtimes(s.objectPath(h), now, now)
	return err == nil
}

// Unreferenced returns the stored chunks that live does not name and that
// were last touched before cutoff.
func (s *Store) Unreferenced(cutoff time.Time, live func(Hash) bool) ([]Hash, error) {
	var out []Hash
	err := s.Walk(func(h Hash, _ int64) error {
		if live(h) {
			return nil
		}
		fi, err := os.Stat(s.objectPath(h))
		if err == nil && fi.ModTime().Before(cutoff) {
			out = append(out, h)
		}
		return nil
	})
	return out, err
}

// RemoveStale removes h if it was last touched before cutoff, checked
// under h's lock so that a concurrent Put or Missing wins. It returns the
// bytes freed (0 when h was kept or absent).
func (s *Store) RemoveStale(h Hash, cutoff time.Time) (int64, error) {
	unlock := s.lock(h)
	defer unlock()
	p := s.objectPath(h)
	fi, err := os.Stat(p)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return 0, nil
	case err != nil:
		return 0, fmt.Errorf("chunks: collect %s: %w", h, err)
	case !fi.ModTime().Before(cutoff):
		return 0, nil
	}
	if err := os.Remove(p); err != nil {
		return 0, fmt.Errorf("chunks: collect %s: %w", h, err)
	}
	s.used.Add(-fi.Size())
	s.count.Add(-1)
	return fi.Size(), syncDir(filepath.Dir(p))
}

// CollectResult is what one collection did.
type CollectResult struct {
	Chunks  int   // chunks stored when it started
	Removed int   // chunks removed
	Bytes   int64 // bytes freed
}

// Collect removes the chunks that no record names and that were last
// touched before cutoff. live is called twice — before the store is
// walked and again before anything is removed — and returns the set of
// chunks the node's records name at that moment; a chunk live in either
// is kept. An error of live stops the collection before anything is
// removed: a node that cannot read all of its manifests removes nothing.
func (s *Service) Collect(ctx context.Context, cutoff time.Time, live func(context.Context) (func(Hash) bool, error)) (CollectResult, error) {
	res := CollectResult{Chunks: int(s.store.Stats().Chunks)}
	before, err := live(ctx)
	if err != nil {
		return res, err
	}
	cands, err := s.store.Unreferenced(cutoff, before)
	if err != nil || len(cands) == 0 {
		return res, err
	}
	after, err := live(ctx)
	if err != nil {
		return res, err
	}
	for _, h := range cands {
		if err := ctx.Err(); err != nil {
			return res, err
		}
		if after(h) {
			continue
		}
		n, err := s.store.RemoveStale(h, cutoff)
		if err != nil {
			return res, err
		}
		if n > 0 {
			res.Removed++
			res.Bytes += n
		}
	}
	return res, nil
}
