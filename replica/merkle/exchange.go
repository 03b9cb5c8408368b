package merkle

import (
	"context"
	"fmt"
)

// Peer is the other replica in an exchange, as the caller's transport
// exposes it. Each method is one round trip; the paths of one level
// travel together.
type Peer interface {
	// Root returns the peer's root hash.
	Root(ctx context.Context) (Hash, error)
	// Children returns, for each inner node in paths, its children's hashes.
	Children(ctx context.Context, paths []Path) ([][]Hash, error)
	// Leaves returns, for each leaf in paths, its entries sorted by key.
	Leaves(ctx context.Context, paths []Path) ([][]Entry, error)
}

// TreePeer adapts a local tree to Peer: for tests, and for a replica
// comparing two trees it holds.
func TreePeer(t *Tree) Peer { return treePeer{t} }

type treePeer struct{ t *Tree }

func (p treePeer) Root(context.Context) (Hash, error) { return p.t.Root(), nil }
func (p treePeer) Children(_ context.Context, paths []Path) ([][]Hash, error) {
	return p.t.Children(paths)
}
func (p treePeer) Leaves(_ context.Context, paths []Path) ([][]Entry, error) {
	return p.t.Leaves(paths)
}

var _ Peer = treePeer{}

// Difference is one key the two replicas disagree on.
type Difference struct {
	Key      string
	Local    Hash // local version digest, if InLocal
	Remote   Hash // remote version digest, if InRemote
	InLocal  bool
	InRemote bool
}

// Stats counts what an exchange cost.
type Stats struct {
	RoundTrips     int // calls to the peer
	HashesReceived int // child hashes received
	EntriesRecv    int // leaf entries received
	LeavesCompared int // leaf buckets that differed
}

// Reconcile compares local with peer and returns the keys that differ,
// sorted by key, and what the exchange cost. It walks down both trees
// level by level, asking the peer only for the children of nodes whose
// hashes differ, and at the bottom only for the entries of differing
// leaves. Both trees must have the same Config. Changes made to either
// tree during the walk may or may not be reflected; run it again later.
func Reconcile(ctx context.Context, local *Tree, peer Peer) ([]Difference, Stats, error) {
	var st Stats
	cfg := local.cfg
	remoteRoot, err := peer.Root(ctx)
	st.RoundTrips++
	if err != nil {
		return nil, st, fmt.Errorf("merkle: peer root: %w", err)
	}
	if remoteRoot == local.Root() {
		return nil, st, nil
	}
	frontier := []Path{RootPath}
	for level := 0; level < cfg.Depth && len(frontier) > 0; level++ {
		remote, err := peer.Children(ctx, frontier)
		st.RoundTrips++
		if err != nil {
			return nil, st, fmt.Errorf("merkle: peer children at level %d: %w", level, err)
		}
		if len(remote) != len(frontier) {
			return nil, st, fmt.Errorf("%w: %d child lists for %d paths", ErrBadResponse, len(remote), len(frontier))
		}
		mine, err := local.Children(frontier)
		if err != nil {
			return nil, st, err
		}
		var next []Path
		for i, p := range frontier {
			if len(remote[i]) != cfg.Fanout() {
				return nil, st, fmt.Errorf("%w: %d children for %v, want %d", ErrBadResponse, len(remote[i]), p, cfg.Fanout())
			}
			st.HashesReceived += len(remote[i])
			for _, c := range CompareChildren(mine[i], remote[i]) {
				next = append(next, p.Child(cfg, c))
			}
		}
		frontier = next
	}
	if len(frontier) == 0 {
		return nil, st, nil
	}
	st.LeavesCompared = len(frontier)
	remote, err := peer.Leaves(ctx, frontier)
	st.RoundTrips++
	if err != nil {
		return nil, st, fmt.Errorf("merkle: peer leaves: %w", err)
	}
	if len(remote) != len(frontier) {
		return nil, st, fmt.Errorf("%w: %d leaves for %d paths", ErrBadResponse, len(remote), len(frontier))
	}
	mine, err := local.Leaves(frontier)
	if err != nil {
		return nil, st, err
	}
	var out []Difference
	for i, p := range frontier {
		if err := checkLeaf(cfg, p, remote[i]); err != nil {
			return nil, st, err
		}
		st.EntriesRecv += len(remote[i])
		out = append(out, DiffEntries(mine[i], remote[i])...)
	}
	// Leaves come in bucket order; order the result by key.
	sortDifferences(out)
	return out, st, nil
}

// checkLeaf verifies a peer's leaf: sorted unique keys, all in bucket p.
func checkLeaf(cfg Config, p Path, entries []Entry) error {
	for j, e := range entries {
		if j > 0 && entries[j-1].Key >= e.Key {
			return fmt.Errorf("%w: leaf %v not sorted", ErrBadResponse, p)
		}
		if BucketOf(cfg, e.Key) != p.Index {
			return fmt.Errorf("%w: key %q does not belong to leaf %v", ErrBadResponse, e.Key, p)
		}
	}
	return nil
}
