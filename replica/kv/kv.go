package kv

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"slices"
	"sync"
	"time"

	"go.etcd.io/bbolt"
	berrors "go.etcd.io/bbolt/errors"

	"github.com/distrisearch/distrisearch/replica/merkle"
	"github.com/distrisearch/distrisearch/replica/version"
)

var (
	bucketParts = []byte("parts")
	bucketHints = []byte("hints")
)

// ErrClosed is returned by a closed store.
var ErrClosed = errors.New("kv: store closed")

// Options configure a Store.
type Options struct {
	// Merkle is the shape of the per-partition trees; it must be the same
	// on every node. Zero means merkle.DefaultConfig().
	Merkle merkle.Config
	// Resolver merges concurrent values; nil means version.Bytes.
	Resolver version.Resolver
	// OpenTimeout bounds the wait for the file lock; default 2 s.
	OpenTimeout time.Duration
}

// Store is a replica's durable envelope storage. It is safe for concurrent
// use.
type Store struct {
	db   *bbolt.DB
	opts Options

	mu    sync.Mutex // guards trees and serialises tree refreshes
	trees map[int]*merkle.Tree
}

// Open opens or creates the store at path and rebuilds the Merkle trees
// from its contents.
func Open(path string, opts Options) (*Store, error) {
	if opts.Merkle == (merkle.Config{}) {
		opts.Merkle = merkle.DefaultConfig()
	}
	if err := opts.Merkle.Validate(); err != nil {
		return nil, err
	}
	if opts.Resolver == nil {
		opts.Resolver = version.Bytes{}
	}
	if opts.OpenTimeout <= 0 {
		opts.OpenTimeout = 2 * time.Second
	}
	db, err := bbolt.Open(path, 0o600, &bbolt.Options{Timeout: opts.OpenTimeout})
	if err != nil {
		return nil, fmt.Errorf("kv: open %s: %w", path, err)
	}
	s := &Store{db: db, opts: opts, trees: map[int]*merkle.Tree{}}
	if err := s.load(); err != nil {
		db.Close()
		return nil, err
	}
	return s, nil
}

// load creates the root buckets and rebuilds every tree.
func (s *Store) load() error {
	err := s.db.Update(func(tx *bbolt.Tx) error {
		if _, err := tx.CreateBucketIfNotExists(bucketParts); err != nil {
			return err
		}
		_, err := tx.CreateBucketIfNotExists(bucketHints)
		return err
	})
	if err != nil {
		return fmt.Errorf("kv: init: %w", err)
	}
	return s.db.View(func(tx *bbolt.Tx) error {
		return tx.Bucket(bucketParts).ForEachBucket(func(name []byte) error {
			if len(name) != 4 {
				return fmt.Errorf("kv: bad partition bucket %x", name)
			}
			p := int(binary.BigEndian.Uint32(name))
			t, err := merkle.New(s.opts.Merkle)
			if err != nil {
				return err
			}
			err = tx.Bucket(bucketParts).Bucket(name).ForEach(func(k, v []byte) error {
				t.Put(string(k), sha256.Sum256(v))
				return nil
			})
			s.trees[p] = t
			return err
		})
	})
}

// Close closes the database.
func (s *Store) Close() error { return s.db.Close() }

// Path returns the database file's path.
func (s *Store) Path() string { return s.db.Path() }

// MerkleConfig returns the shape of the trees.
func (s *Store) MerkleConfig() merkle.Config { return s.opts.Merkle }

func partName(p int) []byte { return binary.BigEndian.AppendUint32(nil, uint32(p)) }

func checkPartition(p int) error {
	if p < 0 || p > 1<<31 {
		return fmt.Errorf("kv: partition %d out of range", p)
	}
	return nil
}

// Get returns the stored envelope of key in partition p.
func (s *Store) Get(p int, key string) (version.Envelope, bool, error) {
	var e version.Envelope
	var found bool
	err := s.db.View(func(tx *bbolt.Tx) error {
		b := tx.Bucket(bucketParts).Bucket(partName(p))
		if b == nil {
			return nil
		}
		raw := b.Get([]byte(key))
		if raw == nil {
			return nil
		}
		found = true
		return e.UnmarshalBinary(raw)
	})
	if err != nil {
		return version.Envelope{}, false, fmt.Errorf("kv: get %q: %w", key, err)
	}
	return e, found, nil
}

// Entries returns the stored envelopes of keys in partition p, skipping
// absent keys, in the order of keys.
func (s *Store) Entries(p int, keys []string) ([]version.Envelope, error) {
	var out []version.Envelope
	err := s.db.View(func(tx *bbolt.Tx) error {
		b := tx.Bucket(bucketParts).Bucket(partName(p))
		if b == nil {
			return nil
		}
		for _, k := range keys {
			raw := b.Get([]byte(k))
			if raw == nil {
				continue
			}
			var e version.Envelope
			if err := e.UnmarshalBinary(raw); err != nil {
				return fmt.Errorf("key %q: %w", k, err)
			}
			out = append(out, e)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("kv: entries: %w", err)
	}
	return out, nil
}

// Applied describes what Apply did.
type Applied struct {
	// Stored is the envelope now stored for the key.
	Stored version.Envelope
	// Changed reports that the stored envelope changed.
	Changed bool
	// Outcome is the resolution of the incoming envelope (first) against
	// the stored one (second); zero if nothing was stored before.
	Outcome version.Outcome
	// Existed reports that the key had a stored envelope before.
	Existed bool
	// Previous is that envelope (zero unless Existed).
	Previous version.Envelope
}

// Apply resolves e against the stored envelope of its key in partition p,
// stores the result and returns once it is fsynced.
func (s *Store) Apply(p int, e version.Envelope) (Applied, error) {
	if err := checkPartition(p); err != nil {
		return Applied{}, err
	}
	if err := e.Validate(); err != nil {
		return Applied{}, err
	}
	var res Applied
	err := s.db.Batch(func(tx *bbolt.Tx) error {
		res = Applied{}
		b, err := tx.Bucket(bucketParts).CreateBucketIfNotExists(partName(p))
		if err != nil {
			return err
		}
		next := e
		if raw := b.Get([]byte(e.Key)); raw != nil {
			var cur version.Envelope
			if err := cur.UnmarshalBinary(raw); err != nil {
				return fmt.Errorf("stored %q: %w", e.Key, err)
			}
			res.Existed, res.Previous = true, cur
			out, err := version.Resolve(e, cur, s.opts.Resolver)
			if err != nil {
				return err
			}
			res.Outcome = out
			next = out.Result
			enc, err := next.MarshalBinary()
			if err != nil {
				return err
			}
			if bytes.Equal(enc, raw) {
				res.Stored = cur
				return nil
			}
			res.Stored, res.Changed = next, true
			return b.Put([]byte(e.Key), enc)
		}
		enc, err := next.MarshalBinary()
		if err != nil {
			return err
		}
		res.Stored, res.Changed = next, true
		return b.Put([]byte(e.Key), enc)
	})
	if err != nil {
		return Applied{}, fmt.Errorf("kv: apply %q: %w", e.Key, err)
	}
	if res.Changed {
		if err := s.refresh(p, e.Key); err != nil {
			return res, err
		}
	}
	return res, nil
}

// refresh sets key's entry in p's tree from the committed state. Refreshes
// are serialised and each reads after its own commit, so the tree always
// ends at the latest committed state whatever order they run in.
func (s *Store) refresh(p int, key string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	t, err := s.treeLocked(p)
	if err != nil {
		return err
	}
	return s.db.View(func(tx *bbolt.Tx) error {
		var raw []byte
		if b := tx.Bucket(bucketParts).Bucket(partName(p)); b != nil {
			raw = b.Get([]byte(key))
		}
		if raw == nil {
			t.Delete(key)
		} else {
			t.Put(key, sha256.Sum256(raw))
		}
		return nil
	})
}

func (s *Store) treeLocked(p int) (*merkle.Tree, error) {
	if t := s.trees[p]; t != nil {
		return t, nil
	}
	t, err := merkle.New(s.opts.Merkle)
	if err != nil {
		return nil, err
	}
	s.trees[p] = t
	return t, nil
}

// Tree returns partition p's Merkle tree (empty if p holds nothing). The
// store updates it; callers only read it.
func (s *Store) Tree(p int) *merkle.Tree {
	s.mu.Lock()
	defer s.mu.Unlock()
	t, err := s.treeLocked(p)
	if err != nil { // the config was validated at Open
		panic(err)
	}
	return t
}

// Partitions returns the partitions with a bucket, in increasing order.
func (s *Store) Partitions() []int {
	var out []int
	_ = s.db.View(func(tx *bbolt.Tx) error {
		return tx.Bucket(bucketParts).ForEachBucket(func(name []byte) error {
			out = append(out, int(binary.BigEndian.Uint32(name)))
			return nil
		})
	})
	slices.Sort(out)
	return out
}

// ForEach calls fn for every envelope of partition p in key order, inside
// one read transaction: fn must not write to the store.
func (s *Store) ForEach(p int, fn func(version.Envelope) error) error {
	return s.db.View(func(tx *bbolt.Tx) error {
		b := tx.Bucket(bucketParts).Bucket(partName(p))
		if b == nil {
			return nil
		}
		return b.ForEach(func(k, v []byte) error {
			var e version.Envelope
			if err := e.UnmarshalBinary(v); err != nil {
				return fmt.Errorf("kv: stored %q: %w", k, err)
			}
			return fn(e)
		})
	})
}

// Remove deletes key from partition p without leaving a tombstone: for
// tombstone collection, and for tests that lose a replica's data.
func (s *Store) Remove(p int, key string) error {
	err := s.db.Update(func(tx *bbolt.Tx) error {
		b := tx.Bucket(bucketParts).Bucket(partName(p))
		if b == nil {
			return nil
		}
		return b.Delete([]byte(key))
	})
	if err != nil {
		return fmt.Errorf("kv: remove %q: %w", key, err)
	}
	return s.refresh(p, key)
}

// DropPartition deletes partition p's data and tree.
func (s *Store) DropPartition(p int) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	err := s.db.Update(func(tx *bbolt.Tx) error {
		err := tx.Bucket(bucketParts).DeleteBucket(partName(p))
		if errors.Is(err, berrors.ErrBucketNotFound) {
			return nil
		}
		return err
	})
	if err != nil {
		return fmt.Errorf("kv: drop partition %d: %w", p, err)
	}
	delete(s.trees, p)
	return nil
}

// CollectTombstones removes every tombstone deleted before cutoff and
// returns how many it removed.
func (s *Store) CollectTombstones(cutoff time.Time) (int, error) {
	type victim struct {
		p   int
		key string
	}
	var victims []victim
	err := s.db.View(func(tx *bbolt.Tx) error {
		return tx.Bucket(bucketParts).ForEachBucket(func(name []byte) error {
			p := int(binary.BigEndian.Uint32(name))
			return tx.Bucket(bucketParts).Bucket(name).ForEach(func(k, v []byte) error {
				var e version.Envelope
				if err := e.UnmarshalBinary(v); err != nil {
					return err
				}
				if e.Tombstone && e.DeletedAt.Before(cutoff) {
					victims = append(victims, victim{p, string(k)})
				}
				return nil
			})
		})
	})
	if err != nil || len(victims) == 0 {
		return 0, err
	}
	n := 0
	err = s.db.Update(func(tx *bbolt.Tx) error {
		for _, v := range victims {
			b := tx.Bucket(bucketParts).Bucket(partName(v.p))
			raw := b.Get([]byte(v.key))
			if raw == nil {
				continue
			}
			var e version.Envelope
			if err := e.UnmarshalBinary(raw); err != nil {
				return err
			}
			// Recheck: a put may have replaced the tombstone meanwhile.
			if !e.Tombstone || !e.DeletedAt.Before(cutoff) {
				continue
			}
			if err := b.Delete([]byte(v.key)); err != nil {
				return err
			}
			n++
		}
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("kv: collect tombstones: %w", err)
	}
	for _, v := range victims {
		if err := s.refresh(v.p, v.key); err != nil {
			return n, err
		}
	}
	return n, nil
}

// Resolver returns the resolver the store merges concurrent values with.
func (s *Store) Resolver() version.Resolver { return s.opts.Resolver }
