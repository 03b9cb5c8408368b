// Package raftstore is a durable Raft log and stable store on bbolt
// (go.etcd.io/bbolt): it implements raft.LogStore and raft.StableStore.
//
// Contract:
//   - Every StoreLog(s), DeleteRange and Set call is one bbolt transaction,
//     synced to disk before it returns.
//   - Logs are keyed by big-endian index, so FirstIndex and LastIndex are the
//     first and last keys and DeleteRange is a cursor walk.
//   - Log entries use a small versioned binary encoding (see codec.go).
//   - Get and GetUint64 of a missing key return an error whose text is
//     "not found", which is what hashicorp/raft checks for.
//
// Why not raft-wal v0.4.0: truncating the log's tail (a follower dropping
// uncommitted entries after a leader change) marks the tail segment sealed
// without writing its index block, and the next start panics with "sealed
// segment has no index block" (hashicorp/raft-wal#31, fixed after v0.4.0,
// which is the newest tagged version). Our leader-kill tests hit it.
package raftstore
