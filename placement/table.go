package placement

import (
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"slices"
	"sort"
)

// ErrNoMembers is returned when a table is built without members.
var ErrNoMembers = errors.New("placement: no members")

// Table maps every partition to its replica set. It is immutable and safe
// for concurrent use.
type Table struct {
	cfg      Config
	members  []string  // sorted, unique
	replicas [][]int32 // partition → member indexes, primary first
}

// vnode is one position on the ring.
type vnode struct {
	pos    uint32
	member int32 // index into the sorted members
}

// NewTable computes the placement of cfg.Partitions partitions over
// members. The order of members does not matter; ids must be non-empty and
// unique.
func NewTable(cfg Config, members []string) (*Table, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if len(members) == 0 {
		return nil, ErrNoMembers
	}
	sorted := slices.Clone(members)
	slices.Sort(sorted)
	for i, m := range sorted {
		if m == "" {
			return nil, errors.New("placement: empty member id")
		}
		if i > 0 && sorted[i-1] == m {
			return nil, fmt.Errorf("placement: duplicate member %q", m)
		}
	}
	ring := buildRing(sorted, cfg.VirtualNodes)
	rf := min(cfg.ReplicationFactor, len(sorted))
	t := &Table{cfg: cfg, members: sorted, replicas: make([][]int32, cfg.Partitions)}
	flat := make([]int32, cfg.Partitions*rf) // one allocation for all sets
	seen := make([]bool, len(sorted))
	load := make([]int, len(sorted))
	capacity := math.MaxInt // no bound
	if cfg.LoadBound > 0 {
		// Plain IEEE division and multiplication (no x*y+z the compiler
		// could fuse), so every platform computes the same capacity.
		avg := float64(cfg.Partitions*rf) / float64(len(sorted))
		capacity = int(math.Ceil(avg * (1 + cfg.LoadBound)))
	}
	for p := range cfg.Partitions {
		set := flat[p*rf : p*rf : (p+1)*rf]
		start := partitionStart(p, cfg.Partitions)
		i := sort.Search(len(ring), func(i int) bool { return ring[i].pos >= start })
		for n := 0; len(set) < rf && n < len(ring); n++ {
			v := ring[(i+n)%len(ring)]
			if !seen[v.member] && load[v.member] < capacity {
				seen[v.member] = true
				load[v.member]++
				set = append(set, v.member)
			}
		}
		for _, m := range set {
			seen[m] = false
		}
		t.replicas[p] = set
	}
	return t, nil
}

// buildRing places every member's virtual nodes, sorted by position. Two
// virtual nodes on one position are ordered by member index, so the ring
// is the same everywhere.
func buildRing(members []string, vnodes int) []vnode {
	ring := make([]vnode, 0, len(members)*vnodes)
	for m, id := range members {
		for i := range vnodes {
			ring = append(ring, vnode{pos: vnodePosition(id, i), member: int32(m)})
		}
	}
	slices.SortFunc(ring, func(a, b vnode) int {
		if a.pos != b.pos {
			if a.pos < b.pos {
				return -1
			}
			return 1
		}
		return int(a.member - b.member)
	})
	return ring
}

// Config returns the configuration the table was built with.
func (t *Table) Config() Config { return t.cfg }

// Partitions returns the partition count P.
func (t *Table) Partitions() int { return t.cfg.Partitions }

// Members returns the member ids, sorted.
func (t *Table) Members() []string { return slices.Clone(t.members) }

// PartitionOf returns the partition of a record key.
func (t *Table) PartitionOf(key string) int { return PartitionOf(key, t.cfg.Partitions) }

// ReplicaSet returns the members holding partition p, primary first:
// min(RF, members) distinct ids. It returns nil if p is out of range.
func (t *Table) ReplicaSet(p int) []string {
	if p < 0 || p >= len(t.replicas) {
		return nil
	}
	out := make([]string, len(t.replicas[p]))
	for i, m := range t.replicas[p] {
		out[i] = t.members[m]
	}
	return out
}

// Primary returns the first member of partition p's replica set, or "" if
// p is out of range.
func (t *Table) Primary(p int) string {
	if p < 0 || p >= len(t.replicas) {
		return ""
	}
	return t.members[t.replicas[p][0]]
}

// Holds reports whether member is in partition p's replica set.
func (t *Table) Holds(member string, p int) bool {
	if p < 0 || p >= len(t.replicas) {
		return false
	}
	for _, m := range t.replicas[p] {
		if t.members[m] == member {
			return true
		}
	}
	return false
}

// PartitionsOf returns the partitions member holds, in increasing order.
func (t *Table) PartitionsOf(member string) []int {
	var out []int
	for p, set := range t.replicas {
		for _, m := range set {
			if t.members[m] == member {
				out = append(out, p)
				break
			}
		}
	}
	return out
}

// Load returns how many partition replicas each member holds.
func (t *Table) Load() map[string]int {
	out := make(map[string]int, len(t.members))
	for _, m := range t.members {
		out[m] = 0
	}
	for _, set := range t.replicas {
		for _, m := range set {
			out[t.members[m]]++
		}
	}
	return out
}

// Digest returns a SHA-256 over the configuration, the members and every
// replica set. Two nodes agree on placement iff their digests are equal.
func (t *Table) Digest() [32]byte {
	h := sha256.New()
	var b []byte
	b = binary.AppendUvarint(b, uint64(t.cfg.Partitions))
	b = binary.AppendUvarint(b, uint64(t.cfg.ReplicationFactor))
	b = binary.AppendUvarint(b, uint64(t.cfg.VirtualNodes))
	b = binary.AppendUvarint(b, uint64(len(t.members)))
	for _, m := range t.members {
		b = binary.AppendUvarint(b, uint64(len(m)))
		b = append(b, m...)
	}
	h.Write(b)
	for _, set := range t.replicas {
		b = binary.AppendUvarint(b[:0], uint64(len(set)))
		for _, m := range set {
			b = binary.AppendUvarint(b, uint64(m))
		}
		h.Write(b)
	}
	var sum [32]byte
	h.Sum(sum[:0])
	return sum
}
