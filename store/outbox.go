package store

import (
	"bytes"
	"encoding/binary"
	"fmt"

	"github.com/distrisearch/distrisearch"
	bolt "go.etcd.io/bbolt"
)

// OutboxEntry is a mark in the outbox: the record under Key changed (or was
// deleted) and the change has not been confirmed as replicated. Seq is the
// mark's sequence number; a later change of the same key has a higher one.
type OutboxEntry struct {
	Key string
	Seq uint64
}

// mark records in the outbox that the record under key changed, with a
// sequence number higher than any given before in this partition.
func (b buckets) mark(key []byte) error {
	seq, err := b.out.NextSequence()
	if err != nil {
		return err
	}
	return b.out.Put(key, binary.BigEndian.AppendUint64(make([]byte, 0, 8), seq))
}

func decodeSeq(k, v []byte) (uint64, error) {
	if len(v) != 8 {
		return 0, fmt.Errorf("outbox mark of %q: %d bytes", k, len(v))
	}
	return binary.BigEndian.Uint64(v), nil
}

// Outbox returns up to limit marks in record key order. For each, the
// replicator reads the record under Key (ByKey, Content; KindNotFound means
// the record was deleted), sends it, then calls OutboxDone. Reading the mark
// before the record makes this safe against concurrent writes: a change made
// after the mark was read has a higher Seq and keeps its mark. A limit below
// 1 is KindInvalid.
func (s *Store) Outbox(limit int) ([]OutboxEntry, error) {
	return s.OutboxAfter("", limit)
}

// OutboxAfter is Outbox starting after the key after ("": from the first),
// so that a replicator walks past keys that keep failing instead of
// retrying them forever ahead of the rest.
func (s *Store) OutboxAfter(after string, limit int) ([]OutboxEntry, error) {
	if limit < 1 {
		return nil, distrisearch.Errorf(distrisearch.KindInvalid, "bad_limit", "outbox limit %d, want at least 1", limit)
	}
	var out []OutboxEntry
	err := s.db.View(func(tx *bolt.Tx) error {
		c := s.buckets(tx).out.Cursor()
		k, v := c.First()
		if after != "" {
			if k, v = c.Seek([]byte(after)); k != nil && string(k) == after {
				k, v = c.Next()
			}
		}
		for ; k != nil && len(out) < limit; k, v = c.Next() {
			seq, err := decodeSeq(k, v)
			if err != nil {
				return err
			}
			out = append(out, OutboxEntry{Key: string(k), Seq: seq})
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("store outbox: %w", err)
	}
	return out, nil
}

// OutboxDone removes the marks of entries in one fsynced transaction. A mark
// is removed only if its Seq still equals the entry's: a key changed again
// since the entry was read stays marked. Entries without a mark are ignored.
func (s *Store) OutboxDone(entries ...OutboxEntry) error {
	if len(entries) == 0 {
		return nil
	}
	err := s.db.Update(func(tx *bolt.Tx) error {
		out := s.buckets(tx).out
		for _, e := range entries {
			key := []byte(e.Key)
			v := out.Get(key)
			if v == nil {
				continue
			}
			seq, err := decodeSeq(key, v)
			if err != nil {
				return err
			}
			if seq != e.Seq {
				continue
			}
			if err := out.Delete(key); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("store outbox done: %w", err)
	}
	return nil
}

// OutboxMark returns the mark of key, if it has one.
func (s *Store) OutboxMark(key string) (OutboxEntry, bool, error) {
	var e OutboxEntry
	var ok bool
	err := s.db.View(func(tx *bolt.Tx) error {
		v := s.buckets(tx).out.Get([]byte(key))
		if v == nil {
			return nil
		}
		seq, err := decodeSeq([]byte(key), v)
		e, ok = OutboxEntry{Key: key, Seq: seq}, err == nil
		return err
	})
	if err != nil {
		return OutboxEntry{}, false, fmt.Errorf("store outbox: %w", err)
	}
	return e, ok, nil
}

// OutboxLen returns the number of marks. Like Count, it reads the bucket's
// page headers, not its keys.
func (s *Store) OutboxLen() (int, error) {
	var n int
	err := s.db.View(func(tx *bolt.Tx) error {
		n = s.buckets(tx).out.Stats().KeyN
		return nil
	})
	return n, err
}

// markChunk is how many keys one write transaction of MarkAll marks.
const markChunk = 4096

// MarkAll marks every record in the store, for when replication must be
// redone (a placement change, an upgrade from a store without an outbox),
// and returns how many records it marked. Marks of deleted records that are
// still pending get a new Seq as well (not counted), so that a replication
// started before MarkAll cannot clear them.
//
// MarkAll works in transactions of a few thousand keys so that writers are
// not blocked for long; records written meanwhile are marked by their own
// writes. If it fails midway, the keys marked so far stay marked and calling
// it again is harmless.
func (s *Store) MarkAll() (int, error) {
	n, err := s.markEach(func(b buckets) *bolt.Bucket { return b.rec }, nil)
	if err != nil {
		return n, fmt.Errorf("store mark all: %w", err)
	}
	// Keys with a record were just marked, or were marked by a Put since.
	_, err = s.markEach(func(b buckets) *bolt.Bucket { return b.out }, func(b buckets, k []byte) bool {
		return b.rec.Get(k) == nil
	})
	if err != nil {
		return n, fmt.Errorf("store mark all: %w", err)
	}
	return n, nil
}

// MarkWhere marks every record whose key passes want (for example the
// records of the partitions whose replica sets changed) and returns how
// many it marked. Like MarkAll it works in bounded transactions.
func (s *Store) MarkWhere(want func(key string) bool) (int, error) {
	n, err := s.markEach(func(b buckets) *bolt.Bucket { return b.rec }, func(_ buckets, k []byte) bool { return want(string(k)) })
	if err != nil {
		return n, fmt.Errorf("store mark: %w", err)
	}
	return n, nil
}

// markEach marks the keys of one bucket that pass want (nil: all), in write
// transactions of at most markChunk marks, and returns how many it marked.
func (s *Store) markEach(sel func(buckets) *bolt.Bucket, want func(b buckets, k []byte) bool) (int, error) {
	total := 0
	var after []byte // last key visited; nil before the first chunk
	for {
		done := false
		var keys [][]byte
		err := s.db.Update(func(tx *bolt.Tx) error {
			b := s.buckets(tx)
			// Collect first, mark after: sel may be the outbox itself, and a
			// cursor must not walk a bucket that is being written.
			keys = keys[:0]
			c := sel(b).Cursor()
			var k []byte
			if after == nil {
				k, _ = c.First()
			} else if k, _ = c.Seek(after); bytes.Equal(k, after) {
				k, _ = c.Next()
			}
			last := after
			for scanned := 0; ; k, _ = c.Next() {
				if k == nil {
					done = true
					break
				}
				if scanned == markChunk*16 || len(keys) == markChunk {
					break
				}
				scanned++
				last = k
				if want == nil || want(b, k) {
					keys = append(keys, bytes.Clone(k))
				}
			}
			after = bytes.Clone(last)
			for _, k := range keys {
				if err := b.mark(k); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			return total, err
		}
		total += len(keys)
		if done {
			return total, nil
		}
	}
}
