package store

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/distrisearch/distrisearch"
	bolt "go.etcd.io/bbolt"
)

// encoded is a record ready to write: everything that can fail or take time
// happens before the write transaction starts.
type encoded struct {
	key, fid, meta, txt, st []byte
}

func encodeRecord(r *distrisearch.Record) (encoded, error) {
	if r.NodeID == "" || r.Share == "" || r.Path == "" {
		return encoded{}, distrisearch.Errorf(distrisearch.KindInvalid, "bad_record", "record without node, share or path: %q", r.Key())
	}
	if !distrisearch.IsFileID(r.FileID) {
		return encoded{}, distrisearch.Errorf(distrisearch.KindInvalid, "bad_record", "record %q has an invalid file id", r.Path)
	}
	meta, err := json.Marshal(r)
	if err != nil {
		return encoded{}, fmt.Errorf("encode record %q: %w", r.Path, err)
	}
	return encoded{
		key:  []byte(r.Key()),
		fid:  []byte(r.FileID),
		meta: meta,
		txt:  encodeText(r.Content),
		st:   encodeState(stateOf(r)),
	}, nil
}

func decodeRecord(v []byte) (distrisearch.Record, error) {
	var r distrisearch.Record
	if err := json.Unmarshal(v, &r); err != nil {
		return r, fmt.Errorf("decode record: %w", err)
	}
	return r, nil
}

// fileIDOf reads only the file id of an encoded record.
func fileIDOf(v []byte) ([]byte, error) {
	var r struct {
		FileID string `json:"file_id"`
	}
	if err := json.Unmarshal(v, &r); err != nil {
		return nil, fmt.Errorf("decode record: %w", err)
	}
	return []byte(r.FileID), nil
}

// Put writes recs in one fsynced transaction. Each record replaces the
// version stored under its record key, and the old version's file id stops
// resolving. An invalid record fails the whole call: nothing is written.
// Every key written is marked in the outbox, even when the record did not
// change.
func (s *Store) Put(recs ...distrisearch.Record) error {
	if len(recs) == 0 {
		return nil
	}
	encs := make([]encoded, len(recs))
	for i := range recs {
		e, err := encodeRecord(&recs[i])
		if err != nil {
			return fmt.Errorf("store put: %w", err)
		}
		encs[i] = e
	}
	err := s.db.Update(func(tx *bolt.Tx) error {
		b := s.buckets(tx)
		for _, e := range encs {
			if err := b.dropFileID(e.key); err != nil {
				return err
			}
			if err := b.rec.Put(e.key, e.meta); err != nil {
				return err
			}
			if err := b.fid.Put(e.fid, e.key); err != nil {
				return err
			}
			if err := b.st.Put(e.key, e.st); err != nil {
				return err
			}
			var err error
			if e.txt == nil {
				err = b.txt.Delete(e.key)
			} else {
				err = b.txt.Put(e.key, e.txt)
			}
			if err != nil {
				return err
			}
			if err := b.mark(e.key); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("store put: %w", err)
	}
	return nil
}

// dropFileID removes the file id mapping of the version stored under key, if
// it still points at key.
func (b buckets) dropFileID(key []byte) error {
	old := b.rec.Get(key)
	if old == nil {
		return nil
	}
	id, err := fileIDOf(old)
	if err != nil {
		return err
	}
	if bytes.Equal(b.fid.Get(id), key) {
		return b.fid.Delete(id)
	}
	return nil
}

// Delete removes the records under keys in one fsynced transaction and
// returns the metadata of those that existed. The keys of those records are
// marked in the outbox; absent keys are ignored and not marked.
func (s *Store) Delete(keys ...string) ([]distrisearch.Record, error) {
	if len(keys) == 0 {
		return nil, nil
	}
	var gone []distrisearch.Record
	err := s.db.Update(func(tx *bolt.Tx) error {
		gone = gone[:0] // a retried closure starts over
		b := s.buckets(tx)
		for _, k := range keys {
			key := []byte(k)
			v := b.rec.Get(key)
			if v == nil {
				continue
			}
			r, err := decodeRecord(v)
			if err != nil {
				return err
			}
			if err := b.dropFileID(key); err != nil {
				return err
			}
			for _, bk := range []*bolt.Bucket{b.rec, b.txt, b.st} {
				if err := bk.Delete(key); err != nil {
					return err
				}
			}
			if err := b.mark(key); err != nil {
				return err
			}
			gone = append(gone, r)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("store delete: %w", err)
	}
	return gone, nil
}

// Touch records that the file under key changed size or modification time
// but not content: it updates the record's Size and ModTime and the scan
// state, keeps the text and the file id, and returns the updated metadata.
// The key is marked in the outbox: Size and ModTime are part of the record
// that replicas hold (and index), so they must see the change.
func (s *Store) Touch(key string, size int64, modTime time.Time) (distrisearch.Record, error) {
	var r distrisearch.Record
	err := s.db.Update(func(tx *bolt.Tx) error {
		b := s.buckets(tx)
		v := b.rec.Get([]byte(key))
		if v == nil {
			return notFound("store.Touch", "record")
		}
		var err error
		if r, err = decodeRecord(v); err != nil {
			return err
		}
		r.Size, r.ModTime = size, modTime
		meta, err := json.Marshal(&r)
		if err != nil {
			return fmt.Errorf("encode record: %w", err)
		}
		if err := b.rec.Put([]byte(key), meta); err != nil {
			return err
		}
		if err := b.st.Put([]byte(key), encodeState(stateOf(&r))); err != nil {
			return err
		}
		return b.mark([]byte(key))
	})
	if err != nil {
		return distrisearch.Record{}, fmt.Errorf("store touch: %w", err)
	}
	return r, nil
}

// ByKey returns the metadata of the record under key, or a KindNotFound
// error.
func (s *Store) ByKey(key string) (distrisearch.Record, error) {
	var r distrisearch.Record
	err := s.db.View(func(tx *bolt.Tx) error {
		v := s.buckets(tx).rec.Get([]byte(key))
		if v == nil {
			return notFound("store.ByKey", "record")
		}
		var err error
		r, err = decodeRecord(v)
		return err
	})
	return r, err
}

// ByFileID returns the metadata of the record whose current version has
// file id id. It returns KindInvalid for a malformed id and KindNotFound for
// an unknown or superseded one.
func (s *Store) ByFileID(id string) (distrisearch.Record, error) {
	if !distrisearch.IsFileID(id) {
		return distrisearch.Record{}, distrisearch.Errorf(distrisearch.KindInvalid, "bad_file_id", "%q is not a file id", id)
	}
	var r distrisearch.Record
	err := s.db.View(func(tx *bolt.Tx) error {
		b := s.buckets(tx)
		key := b.fid.Get([]byte(id))
		if key == nil {
			return notFound("store.ByFileID", "file")
		}
		v := b.rec.Get(key)
		if v == nil {
			return fmt.Errorf("file id %s points at missing record", id)
		}
		var err error
		r, err = decodeRecord(v)
		return err
	})
	return r, err
}

// ForEach calls fn with the metadata of every record of share, in record key
// order; share "" means every share. fn runs outside any transaction, so it
// may use the Store; records written meanwhile may or may not be visited.
// An error from fn stops the iteration and is returned.
func (s *Store) ForEach(share string, fn func(distrisearch.Record) error) error {
	filter := func(k []byte) bool {
		if share == "" {
			return true
		}
		parts := strings.SplitN(string(k), "\x00", 3)
		return len(parts) == 3 && parts[1] == share
	}
	return s.iterate(func(b buckets) *bolt.Bucket { return b.rec }, nil, filter, func(_, v []byte) error {
		r, err := decodeRecord(v)
		if err != nil {
			return err
		}
		return fn(r)
	})
}

// Count returns the number of records.
func (s *Store) Count() (int, error) {
	var n int
	err := s.db.View(func(tx *bolt.Tx) error {
		n = s.buckets(tx).st.Stats().KeyN
		return nil
	})
	return n, err
}

// chunk is how many entries one read transaction of an iteration collects.
const chunk = 256

// iterate walks the keys of one bucket that start with prefix and pass
// filter (nil: all), calling fn outside the read transactions.
func (s *Store) iterate(sel func(buckets) *bolt.Bucket, prefix []byte, filter func(k []byte) bool, fn func(k, v []byte) error) error {
	type kv struct{ k, v []byte }
	var after []byte // last key visited; nil before the first chunk
	for {
		var batch []kv
		done := false
		err := s.db.View(func(tx *bolt.Tx) error {
			c := sel(s.buckets(tx)).Cursor()
			var k, v []byte
			if after == nil {
				k, v = c.Seek(prefix)
			} else if k, v = c.Seek(after); bytes.Equal(k, after) {
				k, v = c.Next()
			}
			for scanned := 0; ; k, v = c.Next() {
				if k == nil || !bytes.HasPrefix(k, prefix) {
					done = true
					return nil
				}
				if scanned == chunk*16 || len(batch) == chunk {
					return nil
				}
				scanned++
				after = append(after[:0], k...)
				if filter == nil || filter(k) {
					batch = append(batch, kv{bytes.Clone(k), bytes.Clone(v)})
				}
			}
		})
		if err != nil {
			return fmt.Errorf("store iterate: %w", err)
		}
		for _, e := range batch {
			if err := fn(e.k, e.v); err != nil {
				return err
			}
		}
		if done {
			return nil
		}
	}
}
