// Package detect turns heartbeat arrival times into failure suspicion: a
// phi-accrual failure detector (Hayashibara et al., "The φ Accrual Failure
// Detector", 2004) and a small status machine on top of it.
//
// Contract:
//   - Pure: no goroutines, no I/O, no clock reads. Every time is an
//     argument; the caller passes the time a heartbeat arrived and the time
//     to evaluate at. Tests drive it with synthetic times.
//   - Phi(node, now) measures how unlikely the current silence is given the
//     node's recent heartbeat intervals (a bounded window); φ = 8 means the
//     silence would happen by chance once in 10^8.
//   - Status machine: ALIVE → SUSPECT when φ exceeds Config.Threshold;
//     SUSPECT → DEAD once it has been suspect for Config.DeadAfter; any
//     newer heartbeat → ALIVE. During Config.StartupGrace after the
//     detector starts (a newly elected leader) nobody is suspected, so
//     nodes not heard from yet are ALIVE until the grace expires.
//   - Transitions happen only in Evaluate and Heartbeat, which return them;
//     the caller commits them (through Raft) so every node sees one view.
//   - A Detector is safe for concurrent use.
package detect
