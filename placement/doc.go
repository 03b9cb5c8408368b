// Package placement decides which nodes hold which partition: a
// consistent-hashing ring of 2^32 positions with virtual nodes, cut into a
// fixed number of partitions.
//
// Contract:
//   - Pure and deterministic: a Table depends only on the sorted member
//     ids, the partition count P, the replication factor RF and the
//     virtual node count. Every node that knows the Raft-committed
//     membership computes the same Table (compare Digest to check).
//   - A record key belongs to one partition for the life of the cluster:
//     PartitionOf hashes the key to a ring position (the first 4 bytes of
//     its SHA-256) and partition p is the arc of positions
//     [⌈p·2^32/P⌉, ⌈(p+1)·2^32/P⌉). Membership never changes it; only P
//     would, and P is fixed when the cluster is created.
//   - Members sit on the ring at the SHA-256 positions of their virtual
//     nodes. Partition p is held by the first RF distinct members found
//     clockwise from the start of its arc; the first is its primary. With
//     fewer members than RF, every member holds every partition. With a
//     load bound (the default), partitions are assigned in order and a
//     member already holding ⌈(1+bound)·mean⌉ replicas is passed over.
//   - Moves lists how replica sets differ between two tables, for
//     rebalancing: adding the Nth member moves about 1/N of the replicas.
package placement
