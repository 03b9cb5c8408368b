// Package kv is a replica's durable storage: envelopes (replica/version)
// grouped by partition in one bbolt file, a Merkle tree per partition kept
// in step with it, and the hints a coordinator holds for replicas that
// were down.
//
// It is named kv, not store, so that code wiring the data plane can import
// it next to the node's record store (package store) without aliases.
//
// Contract:
//   - Every write (Apply, Remove, DropPartition, AddHint, DeleteHints,
//     CollectTombstones) is one bbolt transaction, fsynced before it
//     returns: when Apply returns nil the envelope survives a crash.
//     Concurrent Apply calls share one commit (bbolt's Batch).
//   - Apply never stores an envelope blindly: it resolves the incoming
//     envelope against the stored one with version.Resolve, so replaying,
//     reordering or duplicating writes (hints, repairs, anti-entropy) is
//     harmless, and a tombstone beats every put it descends from.
//   - The Merkle tree of a partition holds (key, SHA-256 of the stored
//     encoding) for every stored key, tombstones included. It is rebuilt
//     from the bucket at Open and updated after each commit; Tree returns
//     it for reading only.
//   - Tombstones stay until CollectTombstones removes those deleted before
//     a cutoff (now minus the grace period). A replica that was away longer
//     than the grace period may bring a deleted key back: the grace period
//     must exceed the longest outage hints and anti-entropy are expected to
//     cover.
//   - Hints are keyed by target node and a per-store sequence, so they
//     replay in the order they were written.
//
// Layout: bucket "parts" holds one bucket per partition (4-byte big-endian
// partition number) mapping key → version.Envelope binary encoding;
// bucket "hints" holds one bucket per target node id mapping an 8-byte
// big-endian sequence → 4-byte partition + envelope encoding.
package kv
