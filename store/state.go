package store

import (
	"encoding/binary"
	"fmt"

	"github.com/distrisearch/distrisearch"
	bolt "go.etcd.io/bbolt"
)

// ScanState is what a scanner needs to tell whether a file changed: the
// size and modification time (Unix nanoseconds) it had when its content
// hash (hex sha256) was taken.
type ScanState struct {
	Size    int64
	ModTime int64
	Hash    string
}

func stateOf(r *distrisearch.Record) ScanState {
	return ScanState{Size: r.Size, ModTime: r.ModTime.UnixNano(), Hash: r.ContentHash}
}

func encodeState(st ScanState) []byte {
	b := make([]byte, 16, 16+len(st.Hash))
	binary.BigEndian.PutUint64(b[0:8], uint64(st.Size))
	binary.BigEndian.PutUint64(b[8:16], uint64(st.ModTime))
	return append(b, st.Hash...)
}

func decodeState(v []byte) (ScanState, error) {
	if len(v) < 16 {
		return ScanState{}, fmt.Errorf("decode scan state: %d bytes", len(v))
	}
	return ScanState{
		Size:    int64(binary.BigEndian.Uint64(v[0:8])),
		ModTime: int64(binary.BigEndian.Uint64(v[8:16])),
		Hash:    string(v[16:]),
	}, nil
}

// State returns the scan state of the record under key; ok is false when
// there is no such record.
func (s *Store) State(key string) (st ScanState, ok bool, err error) {
	err = s.db.View(func(tx *bolt.Tx) error {
		v := s.buckets(tx).st.Get([]byte(key))
		if v == nil {
			return nil
		}
		ok = true
		st, err = decodeState(v)
		return err
	})
	return st, ok, err
}

// States calls fn with the key and scan state of every record whose key
// starts with prefix, in key order. With prefix
// distrisearch.RecordKey(node, share, "") it lists one share; with
// RecordKey(node, share, "dir/") one directory tree. fn runs outside any
// transaction.
func (s *Store) States(prefix string, fn func(key string, st ScanState) error) error {
	return s.iterate(func(b buckets) *bolt.Bucket { return b.st }, []byte(prefix), nil, func(k, v []byte) error {
		st, err := decodeState(v)
		if err != nil {
			return err
		}
		return fn(string(k), st)
	})
}
