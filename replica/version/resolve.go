package version

import (
	"bytes"
	"errors"
	"fmt"

	"github.com/distrisearch/distrisearch/clock"
)

// Resolver merges the values of two concurrent puts of one key. It must be
// deterministic and, for the merge to be commutative and idempotent,
// Merge(w, l) must keep w's scalar state and the union of both sides' set
// state, and Merge(w, l) = w whenever l's state is already in w.
type Resolver interface {
	// Merge returns winner's scalar state with the set state of both.
	// overwritten reports that loser held scalar state the result does
	// not keep: an acknowledged write was overwritten.
	Merge(winner, loser []byte) (merged []byte, overwritten bool, err error)
}

// Bytes resolves opaque values by last-write-wins on the whole value.
type Bytes struct{}

// Merge returns winner; the loser is overwritten unless it is equal.
func (Bytes) Merge(winner, loser []byte) ([]byte, bool, error) {
	return winner, !bytes.Equal(winner, loser), nil
}

var _ Resolver = Bytes{}

// Outcome is the result of reconciling two envelopes.
type Outcome struct {
	Result Envelope
	// Order is the causal relation of the first argument to the second.
	Order clock.Ordering
	// Merged reports that the envelopes were concurrent and Result is their
	// merge (a new version descending from both).
	Merged bool
	// Overwritten reports that a concurrent write lost scalar state (or a
	// concurrent delete or put lost to the other): the caller must count it.
	Overwritten bool
	// Lost is the version whose state was overwritten, if Overwritten.
	Lost Version
}

// ErrKeyMismatch is returned when envelopes of different keys are resolved.
var ErrKeyMismatch = errors.New("version: resolving envelopes of different keys")

// Resolve reconciles two envelopes of the same key (see the package
// documentation). r merges the values of concurrent puts; nil means Bytes.
func Resolve(a, b Envelope, r Resolver) (Outcome, error) {
	if a.Key != b.Key {
		return Outcome{}, fmt.Errorf("%w: %q and %q", ErrKeyMismatch, a.Key, b.Key)
	}
	if r == nil {
		r = Bytes{}
	}
	ord := a.Version.Compare(b.Version)
	switch ord {
	case clock.After:
		return Outcome{Result: a, Order: ord}, nil
	case clock.Before:
		return Outcome{Result: b, Order: ord}, nil
	}
	ea, err := a.MarshalBinary()
	if err != nil {
		return Outcome{}, err
	}
	eb, err := b.MarshalBinary()
	if err != nil {
		return Outcome{}, err
	}
	if bytes.Equal(ea, eb) {
		return Outcome{Result: a, Order: clock.Equal}, nil
	}
	// Concurrent, or one version carrying two different states: merge.
	w, l := a, b
	switch {
	case b.Version.Newer(a.Version):
		w, l = b, a
	case !a.Version.Newer(b.Version) && bytes.Compare(eb, ea) > 0:
		w, l = b, a // same stamp and writer: the larger encoding wins
	}
	out := Envelope{
		Key: a.Key,
		Version: Version{
			Clock:  join(a.Version.Clock, b.Version.Clock, w.Version.Writer),
			Stamp:  w.Version.Stamp,
			Writer: w.Version.Writer,
		},
	}
	res := Outcome{Order: ord, Merged: true}
	switch {
	case w.Tombstone:
		out.Tombstone = true
		out.DeletedAt = w.DeletedAt
		if l.Tombstone {
			if l.DeletedAt.After(out.DeletedAt) {
				out.DeletedAt = l.DeletedAt
			}
		} else {
			res.Overwritten = true // a concurrent put was deleted
		}
	case l.Tombstone:
		out.Value = w.Value
		res.Overwritten = true // a concurrent delete was undone
	default:
		v, ow, err := r.Merge(w.Value, l.Value)
		if err != nil {
			return Outcome{}, fmt.Errorf("version: merge %q: %w", a.Key, err)
		}
		out.Value = v
		res.Overwritten = ow
	}
	if res.Overwritten {
		res.Lost = l.Version
	}
	res.Result = out
	return res, nil
}
