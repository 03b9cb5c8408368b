package audit

import (
	"context"
	"errors"
	"fmt"

	"github.com/distrisearch/distrisearch"
	bolt "go.etcd.io/bbolt"
)

// MaxIngest bounds the entries one Ingest or Entries call handles.
const MaxIngest = 1000

// Entries returns up to limit entries of node's chain with seq > after,
// in chain order: what a replica that holds the chain up to after needs
// next. limit is clamped to 1..MaxIngest.
func (l *Log) Entries(ctx context.Context, node string, after uint64, limit int) ([]Entry, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	limit = max(1, min(limit, MaxIngest))
	var out []Entry
	err := l.db.View(func(tx *bolt.Tx) error {
		entries, _, _ := chainBuckets(tx.Bucket(bucketChains), []byte(node), false)
		if entries == nil {
			return nil
		}
		c := entries.Cursor()
		for k, v := c.Seek(seqKey(after + 1)); k != nil && len(out) < limit; k, v = c.Next() {
			e, _, err := decodeRecord(v)
			if err != nil {
				return fmt.Errorf("entry %d: %w", beUint64(k), err)
			}
			out = append(out, e)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("audit entries: %w", err)
	}
	return out, nil
}

// Ingest stores entries recorded by another node (replication). They must
// belong to one node other than this one and be in chain order. Each entry
// must extend that node's chain: seq = head+1, prev_hash = head hash, and a
// hash that matches its content. Entries at or below the head that are
// already stored with the same hash are skipped, so delivery may repeat.
// On an empty chain the first entry is accepted as given (its seq-1 and
// prev_hash become the chain's checkpoint), since the origin may have
// pruned earlier entries. All entries are written in one transaction or
// none is; the result is the number of new entries.
func (l *Log) Ingest(ctx context.Context, entries []Entry) (int, error) {
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	bad := func(format string, args ...any) (int, error) {
		err := fmt.Errorf(format, args...)
		return 0, &distrisearch.Error{Kind: distrisearch.KindInvalid, Code: "bad_audit_ingest", Message: err.Error(), Op: "audit.Ingest", Err: err}
	}
	if len(entries) == 0 {
		return 0, nil
	}
	if len(entries) > MaxIngest {
		return bad("at most %d entries per call", MaxIngest)
	}
	node := entries[0].Node
	if node == l.cfg.NodeID || !validNode(node) {
		return bad("cannot ingest entries of node %q", bound(node, MaxActionLen))
	}
	for i := range entries {
		e := &entries[i]
		if e.Node != node {
			return bad("entries of several nodes in one call")
		}
		n, err := normalize(*e)
		if err != nil || len(e.ID) > MaxFieldLen || chainHash(e.PrevHash, canonical(&n)) != e.Hash || chainHash(e.PrevHash, canonical(e)) != e.Hash {
			return bad("entry %d of %s does not match its hash or is not normalized", e.Seq, node)
		}
	}
	added := 0
	err := l.db.Update(func(tx *bolt.Tx) error {
		added = 0
		eb, meta, err := chainBuckets(tx.Bucket(bucketChains), []byte(node), true)
		if err != nil {
			return err
		}
		h, ok := decodeHead(meta.Get(keyHead))
		tidx := tx.Bucket(bucketTime)
		for i := range entries {
			e := &entries[i]
			switch {
			case ok && e.Seq <= h.Seq:
				v := eb.Get(seqKey(e.Seq))
				if v == nil {
					continue // pruned here already
				}
				old, _, err := decodeRecord(v)
				if err != nil || old.Hash != e.Hash {
					return fmt.Errorf("%w: entry %d of %s conflicts with the stored one", ErrInvalid, e.Seq, node)
				}
				continue
			case !ok:
				if e.Seq == 0 {
					return fmt.Errorf("%w: seq 0", ErrInvalid)
				}
				if e.Seq > 1 || !e.PrevHash.IsZero() {
					if err := meta.Put(keyCheckpoint, encodeHead(head{Seq: e.Seq - 1, Hash: e.PrevHash})); err != nil {
						return err
					}
				}
			case e.Seq != h.Seq+1 || e.PrevHash != h.Hash:
				return fmt.Errorf("%w: entry %d of %s does not extend the chain at %d", ErrInvalid, e.Seq, node, h.Seq)
			}
			if err := eb.Put(seqKey(e.Seq), encodeRecord(e)); err != nil {
				return err
			}
			if err := tidx.Put(timeKey(e.Time, e.Seq, []byte(node)), nil); err != nil {
				return err
			}
			h, ok = head{Seq: e.Seq, Hash: e.Hash}, true
			added++
		}
		return meta.Put(keyHead, encodeHead(h))
	})
	if errors.Is(err, ErrInvalid) {
		return 0, &distrisearch.Error{Kind: distrisearch.KindConflict, Code: "audit_chain_conflict", Message: err.Error(), Op: "audit.Ingest", Err: err}
	}
	if err != nil {
		return 0, fmt.Errorf("audit ingest: %w", err)
	}
	return added, nil
}

// ChainHead returns the highest sequence number this store holds of
// node's chain (its own or a copy), or 0 when it holds none: where a
// replica's next Ingest must start.
func (l *Log) ChainHead(node string) (uint64, error) {
	var seq uint64
	err := l.db.View(func(tx *bolt.Tx) error {
		_, meta, _ := chainBuckets(tx.Bucket(bucketChains), []byte(node), false)
		if meta == nil {
			return nil
		}
		if h, ok := decodeHead(meta.Get(keyHead)); ok {
			seq = h.Seq
		}
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("audit chain head: %w", err)
	}
	return seq, nil
}
