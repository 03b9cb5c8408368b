package version

import (
	"fmt"

	"github.com/distrisearch/distrisearch/clock"
)

// Version identifies one write of one key.
type Version struct {
	Clock  clock.VClock    `json:"clock"`
	Stamp  clock.Timestamp `json:"hlc"`
	Writer string          `json:"writer"`
}

// IsZero reports whether v is the zero version (no write yet).
func (v Version) IsZero() bool { return v.Clock.IsZero() && v.Stamp.IsZero() && v.Writer == "" }

// Compare returns the causal relation of v to o: Before, After, Equal or
// Concurrent. Clocks decide; equal clocks with a different timestamp or
// writer are Concurrent, so two writes that claim the same history but
// carry different data are never mistaken for one.
func (v Version) Compare(o Version) clock.Ordering {
	c := v.Clock.Compare(o.Clock)
	if c == clock.Equal && (v.Stamp != o.Stamp || v.Writer != o.Writer) {
		return clock.Concurrent
	}
	return c
}

// Newer reports whether v wins last-write-wins against o: the larger HLC
// timestamp, then the larger writer id. It is a strict total order on
// (Stamp, Writer).
func (v Version) Newer(o Version) bool {
	if c := v.Stamp.Compare(o.Stamp); c != 0 {
		return c > 0
	}
	return v.Writer > o.Writer
}

// String formats v for logs.
func (v Version) String() string {
	return fmt.Sprintf("%s@%s/%s", v.Clock, v.Stamp, v.Writer)
}

// Counter returns the counter a node that writes at timestamp ts puts in its
// own clock entry: the timestamp packed into 64 bits (microseconds ×1024 +
// logical mod 1024), raised to at least floor+1 and base's counter for the
// node +1. Using the HLC as the counter makes every write a node
// coordinates strictly newer than the previous one it coordinated, even
// when it did not read the key first (a blind write from a stale copy);
// floor is the largest counter the node issued before (kept by the caller)
// and covers two writes within one microsecond.
func Counter(base clock.VClock, node string, ts clock.Timestamp, floor uint64) uint64 {
	var packed uint64
	if ts.Wall > 0 {
		packed = uint64(ts.Wall)/1000*1024 + uint64(ts.Logical%1024)
	}
	return max(packed, floor+1, base.Get(node)+1)
}

// Next returns the version of a write that node coordinates at timestamp
// ts over a base version (the zero Version for a first write): base's
// clock with node's entry set to counter, which must exceed base's entry
// for node (see Counter).
func Next(base Version, node string, ts clock.Timestamp, counter uint64) (Version, error) {
	if counter <= base.Clock.Get(node) {
		return Version{}, fmt.Errorf("version: counter %d does not advance %q past %d", counter, node, base.Clock.Get(node))
	}
	m := base.Clock.Map()
	m[node] = counter
	c, err := clock.FromMap(m)
	if err != nil {
		return Version{}, err
	}
	return Version{Clock: c, Stamp: ts, Writer: node}, nil
}

// join returns the least clock that descends from a and b, advanced by one
// for writer: the clock of a merge, strictly after both inputs.
func join(a, b clock.VClock, writer string) clock.VClock {
	return a.Merge(b).Increment(writer)
}
