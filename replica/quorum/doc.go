// Package quorum holds the pure decisions of Dynamo-style replication: how
// many replicas must acknowledge a write (W) or answer a read (R) at each
// consistency level, and whether an operation in flight has succeeded,
// failed or must keep waiting.
//
// Contract:
//   - Pure: no I/O, no clock, no goroutines. Timeouts are the caller's: a
//     replica that timed out is reported with Fail.
//   - Levels: STRONG waits for all replicas on writes and on reads; QUORUM
//     (the default) for ⌊n/2⌋+1 on both; EVENTUAL for one. STRONG and
//     QUORUM have W + R > n, so a read at either level sees every write
//     acknowledged at the same level (read-your-writes); a STRONG read sees
//     every acknowledged write at any level. EVENTUAL promises nothing of
//     the kind when n > 1.
//   - n is the size of the partition's replica set, which is smaller than
//     the configured RF while the cluster has fewer members.
//   - A Tracker's outcome is final once decided: late answers are counted
//     (for hinted handoff and read repair) but never change the verdict.
package quorum
