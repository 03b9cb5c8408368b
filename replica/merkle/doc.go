// Package merkle builds a Merkle tree per partition over (record key,
// version digest) pairs and finds the keys two replicas disagree on while
// exchanging only the parts of the trees that differ.
//
// Contract:
//   - Pure: no I/O, no clock. The exchange with another replica goes
//     through the Peer interface, which the caller implements over its
//     transport; TreePeer adapts a local *Tree for tests and in-process use.
//   - Shape is fixed by Config, not by the keys: a key lives in the leaf
//     bucket given by the first FanoutBits·Depth bits of SHA-256(key), so
//     two replicas holding different key sets still have trees of the same
//     shape whose nodes compare position by position. Both sides must use
//     the same Config (it is cluster-wide).
//   - An empty subtree hashes to the zero Hash; a leaf hashes its entries
//     sorted by key; an inner node hashes its children. Equal hashes mean
//     equal contents (up to SHA-256 collisions).
//   - Put and Delete update one bucket and mark its path dirty; hashes are
//     recomputed lazily, only along dirty paths, when one is read.
//   - A Tree is safe for concurrent use.
package merkle
