package merkle

import (
	"crypto/sha256"
	"encoding/binary"
	"slices"
	"sync"
)

// Entry is one record in a leaf: its key and version digest.
type Entry struct {
	Key     string `json:"key"`
	Version Hash   `json:"version"`
}

// Tree is the Merkle tree of one partition replica. It is safe for
// concurrent use.
type Tree struct {
	cfg Config

	mu      sync.Mutex        // guards everything below
	levels  [][]Hash          // levels[l] has Fanout^l hashes; levels[Depth] are the leaves
	buckets []map[string]Hash // leaf index → key → version; nil when empty
	dirty   []int             // leaves changed since hashes were last computed
	isDirty []bool            // leaf index → listed in dirty
	n       int               // number of entries
}

// New returns an empty tree with the given shape.
func New(cfg Config) (*Tree, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	t := &Tree{
		cfg:     cfg,
		levels:  make([][]Hash, cfg.Depth+1),
		buckets: make([]map[string]Hash, cfg.Buckets()),
		isDirty: make([]bool, cfg.Buckets()),
	}
	for l := range t.levels {
		t.levels[l] = make([]Hash, 1<<(cfg.FanoutBits*l))
	}
	return t, nil
}

// Config returns the tree's shape.
func (t *Tree) Config() Config { return t.cfg }

// Put sets key's version digest, adding the key if absent.
func (t *Tree) Put(key string, version Hash) {
	b := BucketOf(t.cfg, key)
	t.mu.Lock()
	defer t.mu.Unlock()
	m := t.buckets[b]
	if m == nil {
		m = make(map[string]Hash)
		t.buckets[b] = m
	}
	if old, ok := m[key]; ok && old == version {
		return
	} else if !ok {
		t.n++
	}
	m[key] = version
	t.markDirty(b)
}

// Delete removes key and reports whether it was present.
func (t *Tree) Delete(key string) bool {
	b := BucketOf(t.cfg, key)
	t.mu.Lock()
	defer t.mu.Unlock()
	m := t.buckets[b]
	if _, ok := m[key]; !ok {
		return false
	}
	delete(m, key)
	if len(m) == 0 {
		t.buckets[b] = nil
	}
	t.n--
	t.markDirty(b)
	return true
}

// Get returns key's version digest.
func (t *Tree) Get(key string) (Hash, bool) {
	b := BucketOf(t.cfg, key)
	t.mu.Lock()
	defer t.mu.Unlock()
	v, ok := t.buckets[b][key]
	return v, ok
}

// Len returns the number of keys.
func (t *Tree) Len() int {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.n
}

// Root returns the root hash: zero for an empty tree.
func (t *Tree) Root() Hash {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.flush()
	return t.levels[0][0]
}

// Hash returns the hash of the node at p.
func (t *Tree) Hash(p Path) (Hash, error) {
	if err := p.valid(t.cfg); err != nil {
		return Hash{}, err
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	t.flush()
	return t.levels[p.Level][p.Index], nil
}

// Children returns the hashes of the children of each inner node in
// paths, in order: the answer to a peer descending the tree.
func (t *Tree) Children(paths []Path) ([][]Hash, error) {
	for _, p := range paths {
		if err := p.valid(t.cfg); err != nil {
			return nil, err
		}
		if p.Level == t.cfg.Depth {
			return nil, ErrBadPath // a leaf has no children
		}
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	t.flush()
	out := make([][]Hash, len(paths))
	f := t.cfg.Fanout()
	for i, p := range paths {
		first := p.Index * f
		out[i] = slices.Clone(t.levels[p.Level+1][first : first+f])
	}
	return out, nil
}

// Leaves returns the entries of each leaf bucket in paths, sorted by key:
// the last step of an exchange.
func (t *Tree) Leaves(paths []Path) ([][]Entry, error) {
	for _, p := range paths {
		if err := p.valid(t.cfg); err != nil {
			return nil, err
		}
		if p.Level != t.cfg.Depth {
			return nil, ErrBadPath // not a leaf
		}
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	out := make([][]Entry, len(paths))
	for i, p := range paths {
		out[i] = sortedEntries(t.buckets[p.Index])
	}
	return out, nil
}

func (t *Tree) markDirty(leaf int) {
	if !t.isDirty[leaf] {
		t.isDirty[leaf] = true
		t.dirty = append(t.dirty, leaf)
	}
}

// flush recomputes the hashes along every dirty path, bottom-up. The
// caller holds t.mu.
func (t *Tree) flush() {
	if len(t.dirty) == 0 {
		return
	}
	idx := t.dirty
	for _, b := range idx {
		t.levels[t.cfg.Depth][b] = leafHash(sortedEntries(t.buckets[b]))
		t.isDirty[b] = false
	}
	f := t.cfg.Fanout()
	for l := t.cfg.Depth - 1; l >= 0; l-- {
		// Parents overwrite idx in place: each index is read before its
		// slot can be written.
		parents := idx[:0]
		for _, i := range idx {
			parents = append(parents, i>>t.cfg.FanoutBits)
		}
		slices.Sort(parents)
		parents = slices.Compact(parents)
		for _, p := range parents {
			t.levels[l][p] = innerHash(t.levels[l+1][p*f : p*f+f])
		}
		idx = parents
	}
	t.dirty = t.dirty[:0]
}

func sortedEntries(m map[string]Hash) []Entry {
	if len(m) == 0 {
		return nil
	}
	out := make([]Entry, 0, len(m))
	for k, v := range m {
		out = append(out, Entry{Key: k, Version: v})
	}
	slices.SortFunc(out, func(a, b Entry) int {
		switch {
		case a.Key < b.Key:
			return -1
		case a.Key > b.Key:
			return 1
		}
		return 0
	})
	return out
}

// leafHash hashes entries sorted by key; no entries hash to zero.
func leafHash(entries []Entry) Hash {
	if len(entries) == 0 {
		return Hash{}
	}
	h := sha256.New()
	h.Write([]byte{'L'})
	var buf [binary.MaxVarintLen64]byte
	for _, e := range entries {
		h.Write(buf[:binary.PutUvarint(buf[:], uint64(len(e.Key)))])
		h.Write([]byte(e.Key))
		h.Write(e.Version[:])
	}
	var out Hash
	h.Sum(out[:0])
	return out
}

// innerHash hashes children; all-zero children (an empty subtree) hash to zero.
func innerHash(children []Hash) Hash {
	empty := true
	for _, c := range children {
		if !c.IsZero() {
			empty = false
			break
		}
	}
	if empty {
		return Hash{}
	}
	h := sha256.New()
	h.Write([]byte{'N'})
	for _, c := range children {
		h.Write(c[:])
	}
	var out Hash
	h.Sum(out[:0])
	return out
}
