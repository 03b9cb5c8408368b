// Package replica is the data plane's replication service: a partitioned,
// replicated key-value layer with tunable consistency, versions, hinted
// handoff, read repair and Merkle anti-entropy (DESIGN.md in this folder
// states the protocols and guarantees).
//
// Contract:
//   - Keys map to partitions and partitions to replica sets through
//     package placement over the Raft-committed membership (every storage
//     member that has not LEFT). Any node may coordinate any key.
//   - Put and Delete return after W replicas fsynced the write (STRONG:
//     all, QUORUM: ⌊RF/2⌋+1, EVENTUAL: one); the rest continue in the
//     background. A replica that is not ALIVE or fails gets a durable hint
//     on the coordinator; hints never count toward W.
//   - Get waits for R answers, returns the resolved newest envelope and
//     repairs replicas that answered with an older or no copy.
//   - Concurrent versions are merged by package replica/version; every
//     overwrite of a stored concurrent write is counted (metric and
//     Status) and published as an event.
//   - The service does I/O only through the small interfaces in deps.go;
//     its goroutines start in Start and stop in Close.
package replica
