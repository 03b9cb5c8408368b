package audit

import (
	"bytes"
	"context"
	"errors"
	"fmt"

	bolt "go.etcd.io/bbolt"
)

// verifyChunk is the number of entries Verify reads per read transaction,
// so a long walk never holds one transaction open (which would stall
// bbolt's remapping for writers).
const verifyChunk = 4096

// Break is the first broken link found in a chain.
type Break struct {
	Node   string `json:"node"`
	Seq    uint64 `json:"seq"` // the sequence number of the missing, edited or misplaced entry
	Reason string `json:"reason"`
}

// ChainReport summarises one node's chain.
type ChainReport struct {
	Node       string `json:"node"`
	Checkpoint uint64 `json:"checkpoint"` // last pruned seq (0: nothing pruned)
	First      uint64 `json:"first"`      // first stored seq (0: none)
	Last       uint64 `json:"last"`       // last stored seq (0: none)
	Entries    int    `json:"entries"`
	Broken     *Break `json:"broken,omitempty"`
}

// Report is the result of Verify.
type Report struct {
	Chains  []ChainReport `json:"chains"`
	Entries int           `json:"entries"`
	// Anchors lists the anchors checked; AnchorWarning says why the local
	// anchor file could not be used, if it could not.
	Anchors       []Anchor `json:"anchors,omitempty"`
	AnchorWarning string   `json:"anchor_warning,omitempty"`
}

// OK reports whether no chain is broken.
func (r Report) OK() bool { return r.FirstBreak() == nil }

// FirstBreak returns the first broken link, in chain order, or nil.
func (r Report) FirstBreak() *Break {
	for _, c := range r.Chains {
		if c.Broken != nil {
			return c.Broken
		}
	}
	return nil
}

// Verify walks every chain in the log and reports the first broken link of
// each, checking the local chain against the anchor file too. The error is
// for failures to read (including ctx ending), not for broken chains.
func (l *Log) Verify(ctx context.Context) (Report, error) {
	return l.VerifyAnchors(ctx)
}

// VerifyAnchors is Verify with extra anchors obtained elsewhere (the Raft
// state, another node): each must still be reachable in its chain.
func (l *Log) VerifyAnchors(ctx context.Context, extra ...Anchor) (Report, error) {
	l.pruneMu.Lock() // a prune during the walk would look like a gap
	defer l.pruneMu.Unlock()
	var rep Report
	anchors := append([]Anchor(nil), extra...)
	switch a, err := readAnchor(l.cfg.AnchorPath, l.cfg.AnchorKey); {
	case err == nil:
		anchors = append(anchors, a)
	case errors.Is(err, errNoAnchor):
		rep.AnchorWarning = "no anchor file: a truncated tail cannot be detected"
	default:
		rep.AnchorWarning = err.Error()
	}
	rep.Anchors = anchors
	var nodes [][]byte
	err := l.db.View(func(tx *bolt.Tx) error {
		return tx.Bucket(bucketChains).ForEachBucket(func(k []byte) error {
			nodes = append(nodes, bytes.Clone(k))
			return nil
		})
	})
	if err != nil {
		return rep, fmt.Errorf("audit verify: %w", err)
	}
	for _, n := range nodes {
		var mine []Anchor
		for _, a := range anchors {
			if a.Node == string(n) {
				mine = append(mine, a)
			}
		}
		cr, err := l.verifyChain(ctx, n, mine)
		if err != nil {
			return rep, err
		}
		rep.Entries += cr.Entries
		rep.Chains = append(rep.Chains, cr)
	}
	return rep, nil
}

// chainWalk is the state carried across the chunks of one chain's walk.
type chainWalk struct {
	rep      ChainReport
	expected uint64 // next seq
	prev     Hash   // hash the next entry must link to
	hashes   map[uint64]Hash
}

func (l *Log) verifyChain(ctx context.Context, node []byte, anchors []Anchor) (ChainReport, error) {
	w := chainWalk{rep: ChainReport{Node: string(node)}, hashes: map[uint64]Hash{}}
	want := map[uint64]bool{}
	for _, a := range anchors {
		want[a.Seq] = true
	}
	var from []byte
	var hd head
	var hasHead bool
	for done := false; !done; {
		if err := ctx.Err(); err != nil {
			return w.rep, err
		}
		err := l.db.View(func(tx *bolt.Tx) error {
			entries, meta, _ := chainBuckets(tx.Bucket(bucketChains), node, false)
			if entries == nil || meta == nil {
				done = true
				return nil
			}
			if from == nil {
				cp, _ := decodeHead(meta.Get(keyCheckpoint))
				w.rep.Checkpoint, w.expected, w.prev = cp.Seq, cp.Seq+1, cp.Hash
				if want[cp.Seq] {
					w.hashes[cp.Seq] = cp.Hash
				}
			}
			c := entries.Cursor()
			var k, v []byte
			if from == nil {
				k, v = c.First()
			} else {
				k, v = c.Seek(from)
			}
			for i := 0; k != nil && i < verifyChunk; i++ {
				if !w.step(k, v, want) {
					done = true
					return nil
				}
				k, v = c.Next()
			}
			if k != nil {
				from = bytes.Clone(k)
				return nil
			}
			done = true
			hd, hasHead = decodeHead(meta.Get(keyHead))
			return nil
		})
		if err != nil {
			return w.rep, fmt.Errorf("audit verify: %w", err)
		}
	}
	if w.rep.Broken != nil {
		return w.rep, nil
	}
	last := w.expected - 1
	brk := func(seq uint64, format string, args ...any) {
		w.rep.Broken = &Break{Node: string(node), Seq: seq, Reason: fmt.Sprintf(format, args...)}
	}
	switch {
	case hasHead && hd.Seq > last:
		brk(last+1, "entries %d..%d missing: the recorded head is %d (tail truncated)", last+1, hd.Seq, hd.Seq)
		return w.rep, nil
	case hasHead && hd.Seq == last && hd.Hash != w.prev:
		brk(last, "entry %d does not match the recorded head hash", last)
		return w.rep, nil
	}
	for _, a := range anchors {
		switch h, ok := w.hashes[a.Seq]; {
		case a.Seq > last:
			brk(last+1, "entries %d..%d missing: an anchor records seq %d (tail truncated)", last+1, a.Seq, a.Seq)
		case ok && h != a.Hash:
			brk(a.Seq, "entry %d differs from the anchor's hash", a.Seq)
		}
		if w.rep.Broken != nil {
			break
		}
	}
	return w.rep, nil
}

// step checks one stored entry; false means the chain is broken (w.rep.Broken set).
func (w *chainWalk) step(k, v []byte, want map[uint64]bool) bool {
	brk := func(seq uint64, format string, args ...any) bool {
		w.rep.Broken = &Break{Node: w.rep.Node, Seq: seq, Reason: fmt.Sprintf(format, args...)}
		return false
	}
	if len(k) != 8 {
		return brk(w.expected, "malformed key %x", k)
	}
	ks := beUint64(k)
	switch {
	case ks > w.expected:
		if ks == w.expected+1 {
			return brk(w.expected, "entry %d missing (deleted)", w.expected)
		}
		return brk(w.expected, "entries %d..%d missing (deleted)", w.expected, ks-1)
	case ks < w.expected:
		return brk(ks, "entry %d is at or before the checkpoint %d", ks, w.rep.Checkpoint)
	}
	e, canon, err := decodeRecord(v)
	switch {
	case err != nil:
		return brk(ks, "entry %d unreadable: %v", ks, err)
	case e.Seq != ks:
		return brk(ks, "entry stored at %d claims seq %d (entries reordered or moved)", ks, e.Seq)
	case e.Node != w.rep.Node:
		return brk(ks, "entry %d claims node %q", ks, e.Node)
	case chainHash(e.PrevHash, canon) != e.Hash:
		return brk(ks, "entry %d edited: its content does not match its hash", ks)
	case e.PrevHash != w.prev:
		return brk(ks, "entry %d does not link to entry %d (an entry was replaced)", ks, ks-1)
	}
	if w.rep.First == 0 {
		w.rep.First = ks
	}
	w.rep.Last = ks
	w.rep.Entries++
	w.prev = e.Hash
	w.expected = ks + 1
	if want[ks] {
		w.hashes[ks] = e.Hash
	}
	return true
}

func beUint64(b []byte) uint64 {
	var v uint64
	for _, c := range b[:8] {
		v = v<<8 | uint64(c)
	}
	return v
}
