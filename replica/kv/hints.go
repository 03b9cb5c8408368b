package kv

import (
	"encoding/binary"
	"errors"
	"fmt"

	"go.etcd.io/bbolt"

	"github.com/distrisearch/distrisearch/replica/version"
)

// Hint is a write held for a replica that did not acknowledge it.
type Hint struct {
	Seq       uint64
	Target    string
	Partition int
	Envelope  version.Envelope
}

// AddHint stores e for target durably.
func (s *Store) AddHint(target string, p int, e version.Envelope) error {
	if target == "" {
		return errors.New("kv: hint without target")
	}
	if err := checkPartition(p); err != nil {
		return err
	}
	enc, err := e.AppendBinary(binary.BigEndian.AppendUint32(nil, uint32(p)))
	if err != nil {
		return err
	}
	err = s.db.Batch(func(tx *bbolt.Tx) error {
		b, err := tx.Bucket(bucketHints).CreateBucketIfNotExists([]byte(target))
		if err != nil {
			return err
		}
		seq, err := b.NextSequence()
		if err != nil {
			return err
		}
		return b.Put(binary.BigEndian.AppendUint64(nil, seq), enc)
	})
	if err != nil {
		return fmt.Errorf("kv: add hint for %s: %w", target, err)
	}
	return nil
}

// Hints returns up to limit hints for target, oldest first.
func (s *Store) Hints(target string, limit int) ([]Hint, error) {
	var out []Hint
	err := s.db.View(func(tx *bbolt.Tx) error {
		b := tx.Bucket(bucketHints).Bucket([]byte(target))
		if b == nil {
			return nil
		}
		c := b.Cursor()
		for k, v := c.First(); k != nil && len(out) < limit; k, v = c.Next() {
			if len(k) != 8 || len(v) < 4 {
				return fmt.Errorf("bad hint entry %x", k)
			}
			h := Hint{Seq: binary.BigEndian.Uint64(k), Target: target, Partition: int(binary.BigEndian.Uint32(v))}
			if err := h.Envelope.UnmarshalBinary(v[4:]); err != nil {
				return fmt.Errorf("hint %d: %w", h.Seq, err)
			}
			out = append(out, h)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("kv: hints for %s: %w", target, err)
	}
	return out, nil
}

// DeleteHints removes target's hints with the given sequence numbers.
func (s *Store) DeleteHints(target string, seqs []uint64) error {
	if len(seqs) == 0 {
		return nil
	}
	err := s.db.Update(func(tx *bbolt.Tx) error {
		b := tx.Bucket(bucketHints).Bucket([]byte(target))
		if b == nil {
			return nil
		}
		for _, seq := range seqs {
			if err := b.Delete(binary.BigEndian.AppendUint64(nil, seq)); err != nil {
				return err
			}
		}
		if k, _ := b.Cursor().First(); k == nil {
			return tx.Bucket(bucketHints).DeleteBucket([]byte(target))
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("kv: delete hints for %s: %w", target, err)
	}
	return nil
}

// PendingHints returns the number of hints held per target.
func (s *Store) PendingHints() map[string]int {
	out := map[string]int{}
	_ = s.db.View(func(tx *bbolt.Tx) error {
		return tx.Bucket(bucketHints).ForEachBucket(func(name []byte) error {
			n := 0
			c := tx.Bucket(bucketHints).Bucket(name).Cursor()
			for k, _ := c.First(); k != nil; k, _ = c.Next() {
				n++
			}
			out[string(name)] = n
			return nil
		})
	})
	return out
}
