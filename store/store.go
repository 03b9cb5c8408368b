package store

import (
	"errors"
	"fmt"
	"regexp"
	"time"

	"github.com/distrisearch/distrisearch"
	bolt "go.etcd.io/bbolt"
	berrors "go.etcd.io/bbolt/errors"
)

// DefaultPartition is the partition a Store uses when Options.Partition is empty.
const DefaultPartition = "local"

// formatVersion is written to the meta bucket; Open refuses other versions.
const formatVersion = "1"

var (
	bucketMeta = []byte("meta")
	bucketRec  = []byte("rec")
	bucketFID  = []byte("fid")
	bucketTxt  = []byte("txt")
	bucketSt   = []byte("st")
	bucketOut  = []byte("outbox")
	keyFormat  = []byte("format")
)

var validPartition = regexp.MustCompile(`^[A-Za-z0-9_.-]{1,64}$`)

// Options configure Open. The zero value is ready to use.
type Options struct {
	// Partition names the partition bucket this Store reads and writes.
	// Empty means DefaultPartition.
	Partition string
	// NoSync skips fsync on commit. Only for tests and benchmarks: a crash
	// may then lose acknowledged writes.
	NoSync bool
	// OpenTimeout bounds the wait for the file lock held by another
	// process. Zero means one second.
	OpenTimeout time.Duration
}

// Store is a record store. It is safe for concurrent use.
type Store struct {
	db   *bolt.DB
	part []byte // name of the partition bucket
}

// Open opens or creates the store file at path.
func Open(path string, opts Options) (*Store, error) {
	if opts.Partition == "" {
		opts.Partition = DefaultPartition
	}
	if !validPartition.MatchString(opts.Partition) {
		return nil, distrisearch.Errorf(distrisearch.KindInvalid, "bad_partition", "invalid partition name %q", opts.Partition)
	}
	if opts.OpenTimeout <= 0 {
		opts.OpenTimeout = time.Second
	}
	db, err := bolt.Open(path, 0o600, &bolt.Options{Timeout: opts.OpenTimeout, NoSync: opts.NoSync})
	if err != nil {
		if errors.Is(err, berrors.ErrTimeout) {
			return nil, &distrisearch.Error{Kind: distrisearch.KindUnavailable, Code: "store_locked",
				Message: "the data directory is in use by another process", Op: "store.Open", Err: err}
		}
		return nil, fmt.Errorf("open store %s: %w", path, err)
	}
	s := &Store{db: db, part: []byte("part/" + opts.Partition)}
	if err := s.init(); err != nil {
		db.Close()
		return nil, err
	}
	return s, nil
}

// init creates the buckets and checks the format version.
func (s *Store) init() error {
	return s.db.Update(func(tx *bolt.Tx) error {
		meta, err := tx.CreateBucketIfNotExists(bucketMeta)
		if err != nil {
			return fmt.Errorf("create meta bucket: %w", err)
		}
		switch v := meta.Get(keyFormat); {
		case v == nil:
			if err := meta.Put(keyFormat, []byte(formatVersion)); err != nil {
				return fmt.Errorf("write format: %w", err)
			}
		case string(v) != formatVersion:
			return fmt.Errorf("store format %q, want %q", v, formatVersion)
		}
		part, err := tx.CreateBucketIfNotExists(s.part)
		if err != nil {
			return fmt.Errorf("create partition bucket: %w", err)
		}
		// outbox was added after format 1 was released: a database written
		// before it gets an empty outbox here.
		for _, name := range [][]byte{bucketRec, bucketFID, bucketTxt, bucketSt, bucketOut} {
			if _, err := part.CreateBucketIfNotExists(name); err != nil {
				return fmt.Errorf("create bucket %s: %w", name, err)
			}
		}
		return nil
	})
}

// Close closes the file. Pending transactions finish first.
func (s *Store) Close() error {
	if err := s.db.Close(); err != nil {
		return fmt.Errorf("close store: %w", err)
	}
	return nil
}

// buckets are the partition's buckets within one transaction.
type buckets struct {
	rec, fid, txt, st, out *bolt.Bucket
}

func (s *Store) buckets(tx *bolt.Tx) buckets {
	p := tx.Bucket(s.part)
	return buckets{rec: p.Bucket(bucketRec), fid: p.Bucket(bucketFID), txt: p.Bucket(bucketTxt), st: p.Bucket(bucketSt),
		out: p.Bucket(bucketOut)}
}

func notFound(op, what string) error {
	return &distrisearch.Error{Kind: distrisearch.KindNotFound, Code: "not_found", Message: what + " not found", Op: op}
}
