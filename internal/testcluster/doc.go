// Package testcluster starts in-process control-plane clusters for tests:
// N cluster.Node instances on 127.0.0.1 ephemeral ports, each with its own
// data directory, talking real mutual TLS over real sockets. A node can be
// killed (closed without leaving), restarted with its data directory and
// address, or paused: its network is cut (every connection closed, new ones
// refused), which stops its heartbeats and its Raft traffic while its
// goroutines keep running, like a partitioned or frozen process.
//
// Timings are shortened (see TestConfig) so failures are detected in a few
// hundred milliseconds even under the race detector.
package testcluster
