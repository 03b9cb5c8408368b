package node

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"time"

	ds "github.com/distrisearch/distrisearch"
	"github.com/distrisearch/distrisearch/audit"
	"github.com/distrisearch/distrisearch/cluster"
	"github.com/distrisearch/distrisearch/transport"
)

// Internal routes of audit replication (mutual TLS, members only).
const (
	pathAuditHead   = "/internal/audit/head"
	pathAuditIngest = "/internal/audit/ingest"
)

// auditPushBatch is how many entries one push carries (audit.MaxIngest at most).
const auditPushBatch = 500

// auditSync copies this node's audit chain to RF−1 other members, so that
// losing a node loses none of its audit log. The holders of a chain are
// the members ranked first by rendezvous hashing of (member, chain): every
// node computes the same holders from the same membership. Each holder is
// told only what it lacks: the loop asks a holder for its head of the
// chain once, then pushes entries after it. A push starts as soon as an
// entry is recorded (wake) and at least every interval, so copies lag the
// origin by about a round trip while the holders are reachable.
//
// Every anchorEvery it also publishes the chain's head to the Raft state
// (cluster.RecordAuditHead), where no single node's disk can change it.
type auditSync struct {
	log         *audit.Log
	c           *cluster.Node
	self        string
	interval    time.Duration
	anchorEvery time.Duration
	wake        <-chan struct{}
	logger      *slog.Logger
	published   uint64 // the head seq last anchored in Raft; owned by Run
	// acked is what each holder is known to hold of our chain. Owned by
	// the Run goroutine.
	acked map[string]uint64
}

// newAuditSync builds the node's audit replication loop.
func (n *Node) newAuditSync() *auditSync {
	return &auditSync{log: n.audit, c: n.cluster, self: n.id, interval: time.Second, anchorEvery: n.cfg.AuditAnchorInterval,
		wake: n.auditWake, logger: n.log.With("component", "audit-sync"), acked: map[string]uint64{}}
}

// Run pushes until ctx ends.
func (a *auditSync) Run(ctx context.Context) {
	t := time.NewTicker(a.interval)
	defer t.Stop()
	anchor := time.NewTicker(a.anchorEvery)
	defer anchor.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-anchor.C:
			a.anchor(ctx)
			continue
		case <-t.C:
		case <-a.wake:
		}
		v := a.c.View()
		copies := v.Config.ReplicationFactor - 1
		if copies < 1 {
			copies = 2
		}
		holders := auditHolders(a.self, v.Members, copies)
		for id := range a.acked {
			if !slices.ContainsFunc(holders, func(m cluster.Member) bool { return m.ID == id }) {
				delete(a.acked, id)
			}
		}
		for _, m := range holders {
			if err := a.push(ctx, m); err != nil && ctx.Err() == nil {
				delete(a.acked, m.ID) // ask for its head again next time
				a.logger.Debug("audit copy push failed", "holder", m.ID, "err", err)
			}
		}
	}
}

// anchor publishes the chain's head to the Raft state when it moved.
func (a *auditSync) anchor(ctx context.Context) {
	h, err := a.log.Head()
	if err != nil || h.Seq <= a.published {
		return
	}
	if err := a.c.RecordAuditHead(ctx, h.Seq, h.Hash.String()); err != nil {
		a.logger.Debug("audit head not anchored", "seq", h.Seq, "err", err)
		return
	}
	a.published = h.Seq
}

// push sends the holder what it lacks of our chain, a batch at a time.
func (a *auditSync) push(ctx context.Context, m cluster.Member) error {
	base := "https://" + m.InternalAddr
	after, known := a.acked[m.ID]
	if !known {
		var h struct {
			Seq uint64 `json:"seq"`
		}
		q := url.Values{"node": {a.self}}
		if err := a.c.Client().DoJSON(ctx, http.MethodGet, base+pathAuditHead+"?"+q.Encode(), nil, &h, transport.Idempotent(true)); err != nil {
			return err
		}
		after = h.Seq
		a.acked[m.ID] = after
	}
	for {
		entries, err := a.log.Entries(ctx, a.self, after, auditPushBatch)
		if err != nil || len(entries) == 0 {
			return err
		}
		if err := a.c.Client().DoJSON(ctx, http.MethodPost, base+pathAuditIngest, entries, nil, transport.Idempotent(true)); err != nil {
			return err
		}
		after = entries[len(entries)-1].Seq
		a.acked[m.ID] = after
	}
}

// auditHolders ranks the other live members by rendezvous hash with the
// chain's node and returns the first n.
func auditHolders(chain string, members []cluster.Member, n int) []cluster.Member {
	type ranked struct {
		m cluster.Member
		w uint64
	}
	var rs []ranked
	for _, m := range members {
		if m.ID == chain || m.Status == cluster.StatusLeft || m.Status == cluster.StatusDead || m.InternalAddr == "" {
			continue
		}
		h := sha256.Sum256([]byte("audit\x00" + chain + "\x00" + m.ID))
		rs = append(rs, ranked{m, binary.BigEndian.Uint64(h[:8])})
	}
	slices.SortFunc(rs, func(a, b ranked) int {
		switch {
		case a.w > b.w:
			return -1
		case a.w < b.w:
			return 1
		}
		return 0
	})
	out := make([]cluster.Member, 0, n)
	for i := 0; i < len(rs) && i < n; i++ {
		out = append(out, rs[i].m)
	}
	return out
}

// auditHandlers serves the holder side: the head of a chain it holds, and
// ingesting entries. A member may push only its own chain.
func auditHandlers(l *audit.Log) (head, ingest http.HandlerFunc) {
	head = func(w http.ResponseWriter, r *http.Request) {
		seq, err := l.ChainHead(r.URL.Query().Get("node"))
		if err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"seq":` + strconv.FormatUint(seq, 10) + `}`))
	}
	ingest = func(w http.ResponseWriter, r *http.Request) {
		var entries []audit.Entry
		dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, 8<<20))
		if err := dec.Decode(&entries); err != nil {
			http.Error(w, "bad audit entries: "+err.Error(), http.StatusBadRequest)
			return
		}
		peer := cluster.PeerID(r)
		for _, e := range entries {
			if e.Node != peer {
				http.Error(w, "a member may push only its own audit chain", http.StatusForbidden)
				return
			}
		}
		if _, err := l.Ingest(r.Context(), entries); err != nil {
			status := http.StatusInternalServerError
			switch ds.KindOf(err) {
			case ds.KindInvalid:
				status = http.StatusBadRequest
			case ds.KindConflict:
				status = http.StatusConflict
			}
			http.Error(w, err.Error(), status)
			return
		}
		w.WriteHeader(http.StatusNoContent)
	}
	return head, ingest
}

// auditLog is the node's audit log as the API and the control plane use
// it: every recorded entry also wakes the replication loop, and Verify
// checks the chains against the heads anchored in the Raft state too.
type auditLog struct {
	*audit.Log
	wake chan<- struct{}
	c    *cluster.Node
	self string
}

func (n *Node) auditLog() auditLog {
	return auditLog{Log: n.audit, wake: n.auditWake, c: n.cluster, self: n.id}
}

// Verify checks every chain held against its local anchor and the Raft
// anchors: all of them for this node's own chain; for a copy of another
// node's chain, those it has already received (a copy that lags behind
// is not a broken one).
func (a auditLog) Verify(ctx context.Context) (audit.Report, error) {
	var anchors []audit.Anchor
	for node, h := range a.c.View().AuditHeads {
		var hash audit.Hash
		if hash.UnmarshalText([]byte(h.Hash)) != nil {
			continue
		}
		if node != a.self {
			if held, err := a.ChainHead(node); err != nil || held < h.Seq {
				continue
			}
		}
		anchors = append(anchors, audit.Anchor{Node: node, Seq: h.Seq, Hash: hash, Written: h.Written})
	}
	return a.VerifyAnchors(ctx, anchors...)
}

// Append records e and asks for it to be copied now.
func (a auditLog) Append(ctx context.Context, e audit.Entry) (audit.Entry, error) {
	out, err := a.Log.Append(ctx, e)
	if err == nil {
		select {
		case a.wake <- struct{}{}:
		default: // a push is already due
		}
	}
	return out, err
}
