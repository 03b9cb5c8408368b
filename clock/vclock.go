package clock

import (
	"sort"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Bounds of a vector clock. The decoders reject input beyond them.
const (
	// MaxEntries bounds the number of nodes in one vector clock. A version
	// is normally written by a handful of replicas; 1024 leaves room for a
	// large cluster whose placement moved many times.
	MaxEntries = 1024
	// MaxNodeIDLen bounds one node id in bytes.
	MaxNodeIDLen = 255
)

// Entry is one node's counter in a vector clock.
type Entry struct {
	Node    string `json:"node"`
	Counter uint64 `json:"counter"`
}

// VClock is a vector clock: a counter per node.
//
// It is a value type stored as a slice of entries sorted by node id rather
// than a map, for three reasons: the encoding is deterministic without a
// sort at encode time (equal clocks encode to equal bytes, so a version
// digest can hash the encoding); Merge, Compare and Descends are one linear
// merge-join of two sorted lists without hashing; and a clock of a few
// entries (typically RF of them) is one small allocation instead of a map.
//
// The zero value is the empty clock. Operations never modify their
// receiver or arguments; they return new clocks. Entries with a zero
// counter are never stored.
type VClock struct {
	e []Entry // sorted by Node, unique, Counter > 0; never mutated in place
}

// Ordering is the causal relation between two vector clocks.
type Ordering int

// The possible results of VClock.Compare.
const (
	Equal      Ordering = iota // same counters
	Before                     // the receiver happened before the argument
	After                      // the receiver happened after the argument
	Concurrent                 // neither descends from the other
)

// String returns the ordering's name.
func (o Ordering) String() string {
	switch o {
	case Equal:
		return "equal"
	case Before:
		return "before"
	case After:
		return "after"
	case Concurrent:
		return "concurrent"
	}
	return "Ordering(" + strconv.Itoa(int(o)) + ")"
}

// FromMap builds a clock from a map of counters. Zero counters are
// skipped; invalid node ids or too many entries are an error.
func FromMap(m map[string]uint64) (VClock, error) {
	e := make([]Entry, 0, len(m))
	for n, c := range m {
		if c != 0 {
			e = append(e, Entry{Node: n, Counter: c})
		}
	}
	sort.Slice(e, func(i, j int) bool { return e[i].Node < e[j].Node })
	v := VClock{e: e}
	if err := v.Validate(); err != nil {
		return VClock{}, err
	}
	return v, nil
}

// Get returns node's counter, 0 if absent.
func (v VClock) Get(node string) uint64 {
	i := sort.Search(len(v.e), func(i int) bool { return v.e[i].Node >= node })
	if i < len(v.e) && v.e[i].Node == node {
		return v.e[i].Counter
	}
	return 0
}

// Len returns the number of nodes with a non-zero counter.
func (v VClock) Len() int { return len(v.e) }

// IsZero reports whether v is the empty clock.
func (v VClock) IsZero() bool { return len(v.e) == 0 }

// Entries returns a copy of the entries, sorted by node id.
func (v VClock) Entries() []Entry {
	return append([]Entry(nil), v.e...)
}

// Map returns the counters as a new map.
func (v VClock) Map() map[string]uint64 {
	m := make(map[string]uint64, len(v.e))
	for _, e := range v.e {
		m[e.Node] = e.Counter
	}
	return m
}

// Copy returns a clock that shares no memory with v. Since operations never
// mutate a clock, sharing is already safe; Copy exists for callers that
// want to release a large backing array.
func (v VClock) Copy() VClock {
	if len(v.e) == 0 {
		return VClock{}
	}
	return VClock{e: append([]Entry(nil), v.e...)}
}

// Increment returns a copy of v with node's counter advanced by one: the
// clock of a new version written by node. Node ids must be non-empty valid UTF-8
// of at most MaxNodeIDLen bytes for the result to be encodable.
func (v VClock) Increment(node string) VClock {
	i := sort.Search(len(v.e), func(i int) bool { return v.e[i].Node >= node })
	if i < len(v.e) && v.e[i].Node == node {
		e := append([]Entry(nil), v.e...)
		e[i].Counter++
		return VClock{e: e}
	}
	e := make([]Entry, 0, len(v.e)+1)
	e = append(e, v.e[:i]...)
	e = append(e, Entry{Node: node, Counter: 1})
	e = append(e, v.e[i:]...)
	return VClock{e: e}
}

// Merge returns the pointwise maximum of v and o: the least clock that
// descends from both. It is commutative, associative and idempotent.
func (v VClock) Merge(o VClock) VClock {
	out := make([]Entry, 0, len(v.e)+len(o.e))
	i, j := 0, 0
	for i < len(v.e) && j < len(o.e) {
		a, b := v.e[i], o.e[j]
		switch {
		case a.Node < b.Node:
			out = append(out, a)
			i++
		case a.Node > b.Node:
			out = append(out, b)
			j++
		default:
			out = append(out, Entry{Node: a.Node, Counter: max(a.Counter, b.Counter)})
			i++
			j++
		}
	}
	out = append(out, v.e[i:]...)
	out = append(out, o.e[j:]...)
	if len(out) == 0 {
		return VClock{}
	}
	return VClock{e: out}
}

// Compare returns the causal relation of v to o.
func (v VClock) Compare(o VClock) Ordering {
	vGreater, oGreater := false, false
	i, j := 0, 0
	for i < len(v.e) && j < len(o.e) {
		a, b := v.e[i], o.e[j]
		switch {
		case a.Node < b.Node: // o has 0 for a.Node
			vGreater = true
			i++
		case a.Node > b.Node:
			oGreater = true
			j++
		default:
			if a.Counter > b.Counter {
				vGreater = true
			} else if a.Counter < b.Counter {
				oGreater = true
			}
			i++
			j++
		}
		if vGreater && oGreater {
			return Concurrent
		}
	}
	if i < len(v.e) {
		vGreater = true
	}
	if j < len(o.e) {
		oGreater = true
	}
	switch {
	case vGreater && oGreater:
		return Concurrent
	case vGreater:
		return After
	case oGreater:
		return Before
	}
	return Equal
}

// Descends reports whether v has seen everything o has: every counter of
// v is at least o's. A clock descends from itself.
func (v VClock) Descends(o VClock) bool {
	c := v.Compare(o)
	return c == After || c == Equal
}

// Equal reports whether v and o have the same counters.
func (v VClock) Equal(o VClock) bool { return v.Compare(o) == Equal }

// String formats v as {node:counter,...} in node order.
func (v VClock) String() string {
	var b strings.Builder
	b.WriteByte('{')
	for i, e := range v.e {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(strconv.Quote(e.Node))
		b.WriteByte(':')
		b.WriteString(strconv.FormatUint(e.Counter, 10))
	}
	b.WriteByte('}')
	return b.String()
}

// Validate reports whether v is canonical and within bounds: at most
// MaxEntries entries, node ids of 1..MaxNodeIDLen bytes of valid UTF-8 in strictly
// increasing order, non-zero counters. Clocks built with this package's
// operations are canonical; only node ids can make them invalid.
func (v VClock) Validate() error {
	if len(v.e) > MaxEntries {
		return ErrTooManyEntries
	}
	for i, e := range v.e {
		if e.Node == "" || len(e.Node) > MaxNodeIDLen || !utf8.ValidString(e.Node) {
			return ErrBadNodeID
		}
		if e.Counter == 0 {
			return ErrNotCanonical
		}
		if i > 0 && v.e[i-1].Node >= e.Node {
			return ErrNotCanonical
		}
	}
	return nil
}
