package chunks

import (
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
)

// Store errors.
var (
	ErrNotFound     = errors.New("chunks: chunk not found")
	ErrCorrupt      = errors.New("chunks: chunk corrupt (quarantined)")
	ErrHashMismatch = errors.New("chunks: bytes do not match the hash")
	ErrFull         = errors.New("chunks: store full")
	ErrTooLarge     = errors.New("chunks: chunk too large")
)

// StoreOptions configure a Store.
type StoreOptions struct {
	// MaxBytes bounds the bytes of all stored chunks; a Put that would
	// exceed it fails with ErrFull. 0 means no bound.
	MaxBytes int64
	// Now timestamps quarantined files; default time.Now.
	Now func() time.Time
}

// Store is a content-addressed chunk store in one directory:
//
//	objects/<first 2 hex>/<64 hex>   one file per chunk
//	tmp/                             files being written (cleared on Open)
//	quarantine/<64 hex>.<unix ns>    chunks whose bytes no longer match
//
// A chunk is written to tmp/, fsynced, renamed into objects/ and the
// directory fsynced before Put returns, so a crash leaves either no chunk
// or the whole chunk. It is safe for concurrent use.
type Store struct {
	dir  string
	opts StoreOptions

	used   atomic.Int64 // bytes of chunks in objects/
	count  atomic.Int64 // chunks in objects/
	quar   atomic.Int64 // chunks quarantined since Open
	tmpSeq atomic.Uint64

	mu     sync.Mutex           // guards locks and shards
	locks  map[Hash]*sync.Mutex // per-chunk writers, removers and quarantine
	waits  map[Hash]int         // references to each entry of locks
	shards map[string]bool      // shard directories known to exist
}

// OpenStore opens (creating if needed) the store in dir. It removes
// leftovers of interrupted writes and counts the stored chunks, which
// reads every directory entry once.
func OpenStore(dir string, opts StoreOptions) (*Store, error) {
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.MaxBytes < 0 {
		return nil, errors.New("chunks: negative MaxBytes")
	}
	s := &Store{dir: dir, opts: opts, locks: map[Hash]*sync.Mutex{}, waits: map[Hash]int{}, shards: map[string]bool{}}
	if err := os.RemoveAll(s.path("tmp")); err != nil {
		return nil, fmt.Errorf("chunks: clear tmp: %w", err)
	}
	for _, d := range []string{"objects", "tmp", "quarantine"} {
		if err := os.MkdirAll(s.path(d), 0o700); err != nil {
			return nil, fmt.Errorf("chunks: open: %w", err)
		}
	}
	if err := syncDir(dir); err != nil {
		return nil, err
	}
	err := s.Walk(func(h Hash, size int64) error {
		s.used.Add(size)
		s.count.Add(1)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return s, nil
}

func (s *Store) path(elem ...string) string {
	return filepath.Join(append([]string{s.dir}, elem...)...)
}

func (s *Store) objectPath(h Hash) string {
	x := h.String()
	return s.path("objects", x[:2], x)
}

// lock takes h's chunk lock and returns its release.
func (s *Store) lock(h Hash) func() {
	s.mu.Lock()
	m, ok := s.locks[h]
	if !ok {
		m = new(sync.Mutex)
		s.locks[h] = m
	}
	s.waits[h]++
	s.mu.Unlock()
	m.Lock()
	return func() {
		m.Unlock()
		s.mu.Lock()
		if s.waits[h]--; s.waits[h] == 0 {
			delete(s.waits, h)
			delete(s.locks, h)
		}
		s.mu.Unlock()
	}
}

// Has reports whether the store holds h (without verifying its bytes).
func (s *Store) Has(h Hash) bool {
	_, err := os.Stat(s.objectPath(h))
	return err == nil
}

// Missing returns the hashes among hs that the store does not hold. The
// chunks it holds are touched (see Touch): a writer that asks is about to
// reference them, and garbage collection must leave them alone.
func (s *Store) Missing(hs []Hash) []Hash {
	var out []Hash
	for _, h := range hs {
		if !s.Touch(h) {
			out = append(out, h)
		}
	}
	return out
}

// Put stores data under h after checking that h is its hash. It reports
// whether the chunk was new; storing a chunk already held only touches it.
func (s *Store) Put(h Hash, data []byte) (bool, error) {
	if len(data) > MaxChunkSize {
		return false, ErrTooLarge
	}
	if Sum(data) != h {
		return false, ErrHashMismatch
	}
	return s.put(h, func(w io.Writer) (int64, Hash, error) {
		n, err := w.Write(data)
		return int64(n), h, err
	})
}

// PutFrom streams a chunk of at most MaxChunkSize bytes from r, verifying
// that its hash is h before storing it. If the chunk is already held, r
// is not read.
func (s *Store) PutFrom(h Hash, r io.Reader) (bool, error) {
	return s.put(h, func(w io.Writer) (int64, Hash, error) {
		sum := sha256.New()
		n, err := io.Copy(io.MultiWriter(w, sum), io.LimitReader(r, MaxChunkSize+1))
		var got Hash
		sum.Sum(got[:0])
		if err == nil && n > MaxChunkSize {
			err = ErrTooLarge
		}
		return n, got, err
	})
}

// put writes a chunk through write into a temporary file and commits it.
func (s *Store) put(h Hash, write func(io.Writer) (int64, Hash, error)) (bool, error) {
	unlock := s.lock(h)
	defer unlock()
	if s.touchLocked(h) {
		return false, nil
	}
	tmp := s.path("tmp", h.String()+"."+strconv.FormatUint(s.tmpSeq.Add(1), 10))
	f, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600) // #nosec G304 -- the store's own directory and a hash's hex digits
	if err != nil {
		return false, fmt.Errorf("chunks: put %s: %w", h, err)
	}
	committed := false
	defer func() {
		if !committed {
			f.Close()
			os.Remove(tmp)
		}
	}()
	n, got, err := write(f)
	switch {
	case err != nil:
		return false, fmt.Errorf("chunks: put %s: %w", h, err)
	case got != h:
		return false, fmt.Errorf("chunks: put %s: %w", h, ErrHashMismatch)
	case n == 0:
		return false, fmt.Errorf("chunks: put %s: empty chunk", h)
	}
	if !s.reserve(n) {
		return false, fmt.Errorf("chunks: put %s (%d bytes, %d of %d used): %w", h, n, s.used.Load(), s.opts.MaxBytes, ErrFull)
	}
	if err := s.commit(f, tmp, h); err != nil {
		s.used.Add(-n)
		return false, fmt.Errorf("chunks: put %s: %w", h, err)
	}
	committed = true
	s.count.Add(1)
	return true, nil
}

// commit fsyncs f, renames it to h's name and fsyncs the directory.
func (s *Store) commit(f *os.File, tmp string, h Hash) error {
	if err := f.Sync(); err != nil {
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	final := s.objectPath(h)
	shard := filepath.Dir(final)
	if err := s.ensureShard(shard); err != nil {
		return err
	}
	if err := os.Rename(tmp, final); err != nil {
		os.Remove(tmp)
		return err
	}
	return syncDir(shard)
}

// ensureShard creates a shard directory once, durably.
func (s *Store) ensureShard(dir string) error {
	s.mu.Lock()
	ok := s.shards[dir]
	s.mu.Unlock()
	if ok {
		return nil
	}
	if err := os.Mkdir(dir, 0o700); err != nil && !errors.Is(err, fs.ErrExist) {
		return err
	}
	if err := syncDir(filepath.Dir(dir)); err != nil {
		return err
	}
	s.mu.Lock()
	s.shards[dir] = true
	s.mu.Unlock()
	return nil
}

// reserve adds n to the used bytes unless that would exceed MaxBytes.
func (s *Store) reserve(n int64) bool {
	for {
		u := s.used.Load()
		if s.opts.MaxBytes > 0 && u+n > s.opts.MaxBytes {
			return false
		}
		if s.used.CompareAndSwap(u, u+n) {
			return true
		}
	}
}

// Get returns h's bytes after verifying them. A chunk whose bytes do not
// match is quarantined and ErrCorrupt returned; ErrNotFound if absent.
func (s *Store) Get(h Hash) ([]byte, error) {
	b, err := readChunk(s.objectPath(h))
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, fmt.Errorf("chunks: get %s: %w", h, ErrNotFound)
		}
		if !errors.Is(err, ErrTooLarge) {
			return nil, fmt.Errorf("chunks: get %s: %w", h, err)
		}
	} else if Sum(b) == h {
		return b, nil
	}
	return s.quarantine(h)
}

// readChunk reads a chunk file of at most MaxChunkSize bytes.
func readChunk(path string) ([]byte, error) {
	f, err := os.Open(path) // #nosec G304 -- the store's own directory and a hash's hex digits
	if err != nil {
		return nil, err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if fi.Size() > MaxChunkSize {
		return nil, ErrTooLarge
	}
	b := make([]byte, fi.Size())
	if _, err := io.ReadFull(f, b); err != nil {
		return nil, err
	}
	return b, nil
}

// quarantine re-checks h under its lock (a writer may have replaced it)
// and moves a chunk that still does not match out of objects/.
func (s *Store) quarantine(h Hash) ([]byte, error) {
	unlock := s.lock(h)
	defer unlock()
	p := s.objectPath(h)
	b, err := readChunk(p)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("chunks: get %s: %w", h, ErrNotFound)
	}
	if err == nil && Sum(b) == h {
		return b, nil
	}
	fi, statErr := os.Stat(p)
	dst := s.path("quarantine", h.String()+"."+strconv.FormatInt(s.opts.Now().UnixNano(), 10))
	if err := os.Rename(p, dst); err != nil {
		return nil, fmt.Errorf("chunks: quarantine %s: %w", h, err)
	}
	if statErr == nil {
		s.used.Add(-fi.Size())
	}
	s.count.Add(-1)
	s.quar.Add(1)
	_ = syncDir(filepath.Dir(p))
	return nil, fmt.Errorf("chunks: get %s: %w", h, ErrCorrupt)
}

// Remove deletes h whatever references it; removing an absent chunk is
// not an error. Garbage collection uses RemoveStale, which keeps a chunk
// a writer touched; Remove is for losing a chunk on purpose (tests of
// repair).
func (s *Store) Remove(h Hash) error {
	unlock := s.lock(h)
	defer unlock()
	p := s.objectPath(h)
	fi, err := os.Stat(p)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("chunks: remove %s: %w", h, err)
	}
	if err := os.Remove(p); err != nil {
		return fmt.Errorf("chunks: remove %s: %w", h, err)
	}
	s.used.Add(-fi.Size())
	s.count.Add(-1)
	return syncDir(filepath.Dir(p))
}

// Walk calls fn for every stored chunk with its size on disk, in no
// particular order, until fn returns an error. Files that are not chunk
// names are skipped.
func (s *Store) Walk(fn func(h Hash, size int64) error) error {
	shards, err := os.ReadDir(s.path("objects"))
	if err != nil {
		return fmt.Errorf("chunks: walk: %w", err)
	}
	for _, sh := range shards {
		if !sh.IsDir() {
			continue
		}
		ents, err := os.ReadDir(s.path("objects", sh.Name()))
		if err != nil {
			return fmt.Errorf("chunks: walk: %w", err)
		}
		for _, e := range ents {
			h, err := ParseHash(e.Name())
			if err != nil || !e.Type().IsRegular() || e.Name()[:2] != sh.Name() {
				continue
			}
			fi, err := e.Info()
			if err != nil {
				continue // removed meanwhile
			}
			if err := fn(h, fi.Size()); err != nil {
				return err
			}
		}
	}
	return nil
}

// StoreStats describe the store.
type StoreStats struct {
	Chunks      int64 `json:"chunks"`
	Bytes       int64 `json:"bytes"`
	MaxBytes    int64 `json:"max_bytes"` // 0: unbounded
	Quarantined int64 `json:"quarantined"`
}

// Stats returns the current counts.
func (s *Store) Stats() StoreStats {
	return StoreStats{Chunks: s.count.Load(), Bytes: s.used.Load(), MaxBytes: s.opts.MaxBytes, Quarantined: s.quar.Load()}
}

// syncDir fsyncs a directory so that entries created or renamed in it are
// durable.
func syncDir(dir string) error {
	d, err := os.Open(dir) // #nosec G304 -- one of the store's own directories
	if err != nil {
		return err
	}
	defer d.Close()
	if err := d.Sync(); err != nil {
		return fmt.Errorf("chunks: sync %s: %w", dir, err)
	}
	return nil
}
