package audit

import (
	"context"
	"fmt"

	bolt "go.etcd.io/bbolt"
)

// Checkpoint is the last pruned entry of a chain: the chain now starts at
// Seq+1, whose prev_hash must equal Hash.
type Checkpoint struct {
	Node string `json:"node"`
	Seq  uint64 `json:"seq"`
	Hash Hash   `json:"hash"`
}

// PruneReport says what Prune removed.
type PruneReport struct {
	Pruned      int          `json:"pruned"`
	Checkpoints []Checkpoint `json:"checkpoints,omitempty"` // chains whose checkpoint moved
}

// Prune deletes, from the start of every chain, the entries older than
// Config.Retention (by the injected clock). It stops at a chain's first
// entry that is not old, so a chain always stays a contiguous suffix; the
// checkpoint is updated in the same transaction as each deletion, so the
// rest verifies. Deletion proceeds Config.PruneBatch entries per
// transaction.
func (l *Log) Prune(ctx context.Context) (PruneReport, error) {
	l.pruneMu.Lock()
	defer l.pruneMu.Unlock()
	var rep PruneReport
	cutoff := l.cfg.Now().Add(-l.cfg.Retention).UnixNano()
	var nodes [][]byte
	if err := l.db.View(func(tx *bolt.Tx) error {
		return tx.Bucket(bucketChains).ForEachBucket(func(k []byte) error {
			nodes = append(nodes, append([]byte(nil), k...))
			return nil
		})
	}); err != nil {
		return rep, fmt.Errorf("audit prune: %w", err)
	}
	for _, node := range nodes {
		var cp Checkpoint
		moved := false
		for more := true; more; {
			if err := ctx.Err(); err != nil {
				return rep, err
			}
			n := 0
			err := l.db.Update(func(tx *bolt.Tx) error {
				n = 0
				entries, meta, _ := chainBuckets(tx.Bucket(bucketChains), node, false)
				if entries == nil || meta == nil {
					more = false
					return nil
				}
				tidx := tx.Bucket(bucketTime)
				// Collect first, delete after: deleting under a bbolt
				// cursor can make Next skip a key.
				var old []Entry
				c := entries.Cursor()
				for k, v := c.First(); k != nil && len(old) < l.cfg.PruneBatch; k, v = c.Next() {
					e, _, err := decodeRecord(v)
					if err != nil {
						return fmt.Errorf("entry %d: %w", beUint64(k), err)
					}
					if e.Time.UnixNano() >= cutoff {
						break
					}
					old = append(old, e)
				}
				for _, e := range old {
					if err := tidx.Delete(timeKey(e.Time, e.Seq, node)); err != nil {
						return err
					}
					if err := entries.Delete(seqKey(e.Seq)); err != nil {
						return err
					}
				}
				n = len(old)
				var last *Entry
				if n > 0 {
					last = &old[n-1]
				}
				more = n == l.cfg.PruneBatch
				if last == nil {
					return nil
				}
				cp = Checkpoint{Node: string(node), Seq: last.Seq, Hash: last.Hash}
				return meta.Put(keyCheckpoint, encodeHead(head{Seq: cp.Seq, Hash: cp.Hash}))
			})
			if err != nil {
				return rep, fmt.Errorf("audit prune %s: %w", node, err)
			}
			if n > 0 {
				rep.Pruned += n
				moved = true
			}
		}
		if moved {
			rep.Checkpoints = append(rep.Checkpoints, cp)
		}
	}
	if rep.Pruned > 0 {
		if a, err := l.Head(); err == nil {
			_ = l.maybeAnchor(head{Seq: a.Seq, Hash: a.Hash}, true) // failure is logged
		}
	}
	return rep, nil
}
