// Package store keeps file records on disk in one bbolt file.
//
// Contract:
//   - A Store is one bbolt database opened by one process (a second Open of
//     the same file waits Options.OpenTimeout and fails with KindUnavailable).
//   - Every write method but MarkAll is one transaction, fsynced before it
//     returns (unless Options.NoSync): it happens completely or not at all.
//   - Records are addressed by their record key (distrisearch.RecordKey:
//     node, share, path), which is stable across edits, and by file id, which
//     names one version. Put replaces the version under a record key and
//     drops the old file id; a file id never points at a stale version.
//   - Metadata, extracted text and the scan state of a record live apart, so
//     listing records or checking for changes never reads megabytes of text.
//     Text is compressed with snappy (measured on the Go source tree: 2.7x at
//     about 250 MB/s; flate level 1 gave 3.6x at a tenth of the speed).
//   - Methods that return records return metadata only (Content empty); the
//     text comes from Content.
//   - Iteration (ForEach, States) reads in short transactions of a few hundred
//     entries, so the callback may call any Store method, including writes.
//   - Outbox: every Put, Touch and Delete that changes a record marks its
//     record key in the outbox bucket in the same transaction, so a crash
//     cannot separate a change from its mark. A replicator lists the marks
//     (Outbox), sends the record or, when none is left under the key, its
//     deletion, and clears the marks (OutboxDone) only if no newer change
//     re-marked the key meanwhile; MarkAll marks everything again.
//
// Layout: all buckets of a store sit under one partition bucket
// "part/<partition>" (Options.Partition, default "local"): rec (record key →
// JSON metadata), fid (file id → record key), txt (record key → codec byte +
// text), st (record key → size, mtime, hash) and outbox (record key →
// sequence number of its latest unreplicated change). A node that later holds
// several partition replicas opens one partition bucket each, and dropping a
// partition is deleting one bucket.
package store
