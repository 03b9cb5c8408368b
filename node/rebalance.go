package node

import (
	"context"
	"time"

	"github.com/distrisearch/distrisearch/replica/chunks"
	"github.com/distrisearch/distrisearch/replica/version"
)

// rebalanceInterval is how often the node looks for partitions it stores
// but no longer holds.
const rebalanceInterval = 2 * time.Second

// rebalance hands over, one at a time, the partitions this node stores
// but is no longer a replica of (a member joined or left): the data plane
// synchronises them with their current replicas and drops them only once
// all of those are ALIVE and agree (replica.Service.HandOff); before the
// drop, this node offers the chunks it holds of their files to the new
// owners and then removes the other nodes' records of those partitions
// from its index. Own records stay indexed: they are this node's files.
func (n *Node) rebalance(ctx context.Context) {
	t := time.NewTicker(rebalanceInterval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		foreign, err := n.data.Foreign()
		if err != nil {
			continue
		}
		for _, p := range foreign {
			if ctx.Err() != nil {
				return
			}
			n.handOff(ctx, p)
		}
	}
}

func (n *Node) handOff(ctx context.Context, p int) {
	var gone []string
	each := func(e version.Envelope) error {
		rec, ok := decodeReplicated(e)
		if !ok || n.replIndex.indexedLocally(e.Key) {
			return nil
		}
		gone = append(gone, rec.FileID)
		if len(rec.Manifest) == 0 {
			return nil
		}
		var m chunks.Manifest
		if err := m.UnmarshalBinary(rec.Manifest); err != nil {
			return nil // nothing to hand over for a manifest nobody can read
		}
		_, err := n.chunks.Offer(ctx, e.Key, m)
		return err
	}
	moved, err := n.data.HandOff(ctx, p, each)
	if err != nil {
		n.log.Debug("partition not handed over yet", "partition", p, "err", err)
		return
	}
	if err := n.index.Apply(nil, gone); err != nil {
		n.log.Warn("removing a handed-over partition from the index", "partition", p, "err", err)
	}
	n.log.Info("partition handed over", "partition", p, "keys_sent", moved, "files", len(gone))
}
