// Package version defines the versions of replicated values and the rules
// that order and reconcile them.
//
// Contract:
//   - Pure: no I/O, no clock reads. Timestamps come in as arguments.
//   - A Version is a vector clock, a hybrid logical clock timestamp and the
//     id of the node that coordinated the write. Compare orders two versions
//     causally by their clocks; equal clocks with different timestamps or
//     writers are Concurrent (two writes that never saw each other).
//   - An Envelope is what replicas store and exchange: key, version,
//     tombstone flag, deletion time and the value bytes.
//   - Resolve reconciles two envelopes of one key deterministically: a
//     causally newer envelope wins outright; concurrent ones are merged —
//     the scalar state of the envelope with the larger (HLC, writer) wins,
//     set-valued state is merged by the value's Resolver, and the merged
//     version's clock is the join of both clocks advanced by the winner's
//     writer, so the merge descends from both inputs and every replica that
//     merges the same pair computes the same bytes. Resolve is commutative
//     and idempotent (Resolve(a, a) = a, Resolve(Resolve(a, b), a) =
//     Resolve(a, b)); the Outcome says whether a concurrent write's scalar
//     state was overwritten so that callers count it and emit an event.
//   - A tombstone is an envelope like any other: it beats every put it
//     causally descends from, so a deleted key is never resurrected by an
//     older copy.
package version
