package kv

import (
	"cmp"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"time"

	"go.etcd.io/bbolt"
	berrors "go.etcd.io/bbolt/errors"

	"github.com/distrisearch/distrisearch/replica/version"
)

// Intents are the prepared writes of two-phase commits this replica takes
// part in: durable, but not applied (they are not in the partition buckets
// nor the Merkle trees, and reads do not see them) until the transaction
// commits.
//
// Layout: bucket "intents" holds one bucket per transaction id, holding
// "meta" → TxnMeta as JSON and a bucket "entries" mapping 4-byte
// big-endian partition + key → version.Envelope binary encoding.

var (
	bucketIntents = []byte("intents")
	keyTxnMeta    = []byte("meta")
	bucketEntries = []byte("entries")
)

// MaxTxnIDLen bounds a transaction id in the store.
const MaxTxnIDLen = 255

// TxnMeta describes a transaction holding intents on this replica.
type TxnMeta struct {
	ID          string    `json:"-"`
	Coordinator string    `json:"coordinator"`
	Prepared    time.Time `json:"prepared"` // the first prepare, this node's clock
	Deadline    time.Time `json:"deadline"` // when to stop waiting for the coordinator
	Intents     int       `json:"-"`        // entries held (filled in by PendingTxns)
}

// Intent is one prepared write.
type Intent struct {
	Partition int
	Envelope  version.Envelope
}

func checkTxnID(id string) error {
	if id == "" || len(id) > MaxTxnIDLen {
		return fmt.Errorf("kv: bad transaction id %q", id)
	}
	return nil
}

func intentKey(p int, key string) []byte {
	return append(binary.BigEndian.AppendUint32(nil, uint32(p)), key...)
}

// Prepare stores intents for transaction meta.ID and returns once they are
// fsynced. Preparing a transaction again adds its intents (an intent for
// the same partition and key replaces the earlier one) and moves its
// deadline to the later of the two; the first prepare's time and
// coordinator stay. It reports whether the transaction was new here.
func (s *Store) Prepare(meta TxnMeta, intents []Intent) (created bool, err error) {
	if err := checkTxnID(meta.ID); err != nil {
		return false, err
	}
	encs := make([][]byte, len(intents))
	for i, in := range intents {
		if err := checkPartition(in.Partition); err != nil {
			return false, err
		}
		if encs[i], err = in.Envelope.MarshalBinary(); err != nil {
			return false, err
		}
	}
	err = s.db.Batch(func(tx *bbolt.Tx) error {
		created = false
		root, err := tx.CreateBucketIfNotExists(bucketIntents)
		if err != nil {
			return err
		}
		b := root.Bucket([]byte(meta.ID))
		m := meta
		if b == nil {
			created = true
			if b, err = root.CreateBucket([]byte(meta.ID)); err != nil {
				return err
			}
		} else if raw := b.Get(keyTxnMeta); raw != nil {
			var old TxnMeta
			if err := json.Unmarshal(raw, &old); err != nil {
				return fmt.Errorf("meta of %s: %w", meta.ID, err)
			}
			m.Coordinator, m.Prepared = old.Coordinator, old.Prepared
			if old.Deadline.After(m.Deadline) {
				m.Deadline = old.Deadline
			}
		}
		raw, err := json.Marshal(m)
		if err != nil {
			return err
		}
		if err := b.Put(keyTxnMeta, raw); err != nil {
			return err
		}
		eb, err := b.CreateBucketIfNotExists(bucketEntries)
		if err != nil {
			return err
		}
		for i, in := range intents {
			if err := eb.Put(intentKey(in.Partition, in.Envelope.Key), encs[i]); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return false, fmt.Errorf("kv: prepare %s: %w", meta.ID, err)
	}
	return created, nil
}

// TxnIntents returns transaction id's metadata and intents, ordered by
// partition and key; ok is false when this replica holds none.
func (s *Store) TxnIntents(id string) (meta TxnMeta, intents []Intent, ok bool, err error) {
	err = s.db.View(func(tx *bbolt.Tx) error {
		b := txnBucket(tx, id)
		if b == nil {
			return nil
		}
		ok = true
		if meta, err = readMeta(id, b); err != nil {
			return err
		}
		eb := b.Bucket(bucketEntries)
		if eb == nil {
			return nil
		}
		return eb.ForEach(func(k, v []byte) error {
			if len(k) <= 4 {
				return fmt.Errorf("bad intent key %x", k)
			}
			in := Intent{Partition: int(binary.BigEndian.Uint32(k))}
			if err := in.Envelope.UnmarshalBinary(v); err != nil {
				return fmt.Errorf("intent %x: %w", k, err)
			}
			intents = append(intents, in)
			return nil
		})
	})
	if err != nil {
		return TxnMeta{}, nil, false, fmt.Errorf("kv: intents of %s: %w", id, err)
	}
	meta.Intents = len(intents)
	return meta, intents, ok, nil
}

// RemoveTxn deletes transaction id's intents (after they were applied or
// on abort). Removing a transaction that holds none is not an error.
func (s *Store) RemoveTxn(id string) error {
	err := s.db.Update(func(tx *bbolt.Tx) error {
		root := tx.Bucket(bucketIntents)
		if root == nil {
			return nil
		}
		err := root.DeleteBucket([]byte(id))
		if errors.Is(err, berrors.ErrBucketNotFound) {
			return nil
		}
		return err
	})
	if err != nil {
		return fmt.Errorf("kv: remove %s: %w", id, err)
	}
	return nil
}

// PendingTxns returns every transaction holding intents here, with its
// number of intents, by deadline (then id).
func (s *Store) PendingTxns() ([]TxnMeta, error) {
	var out []TxnMeta
	err := s.db.View(func(tx *bbolt.Tx) error {
		root := tx.Bucket(bucketIntents)
		if root == nil {
			return nil
		}
		return root.ForEachBucket(func(name []byte) error {
			m, err := readMeta(string(name), root.Bucket(name))
			if err != nil {
				return err
			}
			if eb := root.Bucket(name).Bucket(bucketEntries); eb != nil {
				c := eb.Cursor()
				for k, _ := c.First(); k != nil; k, _ = c.Next() {
					m.Intents++
				}
			}
			out = append(out, m)
			return nil
		})
	})
	if err != nil {
		return nil, fmt.Errorf("kv: pending transactions: %w", err)
	}
	slices.SortFunc(out, func(a, b TxnMeta) int {
		if c := a.Deadline.Compare(b.Deadline); c != 0 {
			return c
		}
		return cmp.Compare(a.ID, b.ID)
	})
	return out, nil
}

func txnBucket(tx *bbolt.Tx, id string) *bbolt.Bucket {
	root := tx.Bucket(bucketIntents)
	if root == nil || id == "" {
		return nil
	}
	return root.Bucket([]byte(id))
}

func readMeta(id string, b *bbolt.Bucket) (TxnMeta, error) {
	var m TxnMeta
	raw := b.Get(keyTxnMeta)
	if raw == nil {
		return m, fmt.Errorf("transaction %s has no meta", id)
	}
	if err := json.Unmarshal(raw, &m); err != nil {
		return m, fmt.Errorf("meta of %s: %w", id, err)
	}
	m.ID = id
	return m, nil
}
