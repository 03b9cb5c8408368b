package cluster

import (
	"context"
	"encoding/hex"
	"time"

	"github.com/distrisearch/distrisearch/transport/pki"
)

// AuditHead is the head of one node's audit hash chain as that node
// published it: a sequence number and the entry hash there. Kept in the
// Raft state, outside every node's disk, it lets any node that holds the
// chain (the origin or a copy) detect entries removed or rewritten before
// that point.
type AuditHead struct {
	Node    string    `json:"node"`
	Seq     uint64    `json:"seq"`
	Hash    string    `json:"hash"`    // hex sha256
	Written time.Time `json:"written"` // the leader's time when it was committed
}

// RecordAuditHead publishes this node's audit chain head. Only a head newer
// than the published one replaces it: a chain whose disk was lost and
// started again keeps its old, higher anchor, so the loss stays visible.
func (n *Node) RecordAuditHead(ctx context.Context, seq uint64, hash string) error {
	_, err := n.apply(ctx, opAuditHead, AuditHead{Node: n.id, Seq: seq, Hash: hash})
	return err
}

func (s *state) applyAuditHead(p AuditHead) result {
	if !pki.ValidNodeID(p.Node) || p.Seq == 0 || len(p.Hash) != 64 {
		return failed(ErrInvalid, "an audit head needs a node id, a sequence number and a sha256 hash")
	}
	if _, err := hex.DecodeString(p.Hash); err != nil {
		return failed(ErrInvalid, "the audit head's hash is not hex")
	}
	if s.Members[p.Node] == nil {
		return failed(ErrInvalid, "audit head of an unknown member")
	}
	if cur, ok := s.AuditHeads[p.Node]; ok && cur.Seq >= p.Seq {
		return result{}
	}
	if s.AuditHeads == nil {
		s.AuditHeads = map[string]AuditHead{}
	}
	p.Written = s.Now
	s.AuditHeads[p.Node] = p
	return result{}
}
