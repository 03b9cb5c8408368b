// Package cluster is DistriSearch's control plane: a Raft-replicated
// metadata store (members, service registry, cluster configuration, leases,
// users, token keys, share registry) run by 3 or 5 voting coordinators,
// with every other node following the metadata without a vote.
//
// Contract:
//   - Init creates a cluster in a data directory (CA, first node identity,
//     join token); New + Start run a node; a node without an identity joins
//     through any member with a join token; a restarted node rejoins with its
//     persisted identity by itself; Leave leaves gracefully.
//   - All node-to-node traffic (Raft and the internal API) is mutual TLS 1.3
//     with certificates from the cluster CA (package transport).
//   - Every change to the metadata is a versioned command committed through
//     Raft and applied deterministically: the state machine never reads a
//     clock; lease expiry uses the leader's time carried in the entry.
//   - Writes made on any node are forwarded to the leader. A write whose fate
//     is unknown (leader lost mid-request) returns ErrUnknownOutcome; one that
//     certainly did not happen returns ErrNotLeader or ErrNoLeader.
//     View is the node's latest copy; ConsistentView is linearizable.
//   - The leader detects failures (heartbeats + phi accrual, package
//     cluster/detect) and commits ALIVE/SUSPECT/DEAD, so all nodes agree; it
//     keeps the configured number of healthy voters, replacing a voter that
//     stays DEAD.
//   - Users, user token keys and token revocations are metadata too.
//     Passwords are hashed by the proposing node and the hashes stay on the
//     voters; logins and user lists are answered by the leader. The token
//     keys (private halves included) and the revocation set are in the View
//     every member follows, because every gateway signs and verifies tokens.
//   - The share registry (SetShares, View.Shares) holds every node's shared
//     folders and their roles and groups, so that any node knows them while
//     their node is down. A node writes only its own entry; an unchanged
//     list commits nothing, so nodes report theirs at every start.
//   - Fencing: each leadership has a token (the Raft index of its leader
//     entry) and each lease grant has one (the index of its grant); both only
//     grow. Receivers check them with FenceGuard / Node.CheckFence.
//
// See docs/cluster.md for how it works and the measured figures.
package cluster
