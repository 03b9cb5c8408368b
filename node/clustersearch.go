package node

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
	"time"

	"github.com/blevesearch/bleve/v2"
	bsearch "github.com/blevesearch/bleve/v2/search"

	ds "github.com/distrisearch/distrisearch"
	"github.com/distrisearch/distrisearch/api"
	"github.com/distrisearch/distrisearch/auth/rbac"
	"github.com/distrisearch/distrisearch/cluster"
	"github.com/distrisearch/distrisearch/index"
	"github.com/distrisearch/distrisearch/placement"
	"github.com/distrisearch/distrisearch/replica"
	"github.com/distrisearch/distrisearch/transport"
)

// Node-to-node routes of the cluster-wide search and file access (mutual
// TLS, members only). Each node answers for the files it holds and applies
// its own share ACLs to the principal the calling gateway sends along.
const (
	pathSearch       = "/internal/search"
	pathFiles        = "/internal/files/"
	maxSearchBody    = 1 << 20          // a query is ≤ 1 KiB, a cursor ≤ 4 KiB: this is generous
	maxRemoteSize    = 1000             // hits one remote search may ask for (a page is ≤ MaxLimit+1)
	maxRemoteFrom    = 10_000           // the Searcher pages by cursors and sends From 0
	remoteSearchWait = 5 * time.Second  // per-node deadline of a search when the caller has none
	maxRemoteWait    = 30 * time.Second // the longest a node searches for another
)

// viewerOf returns whom an API request is for. A context without a
// principal (none of the API's routes) sees nothing.
func viewerOf(ctx context.Context) ds.Viewer {
	p, ok := api.PrincipalFrom(ctx)
	if !ok || p == nil {
		return ds.Viewer{}
	}
	return ds.Viewer{Roles: p.Roles, Groups: p.Groups}
}

// scopeFor returns the shares of this node v may see, as a search
// restriction: nil when v sees everything (an administrator). It is
// api.Server.scope for this node's shares, with the same rbac checks.
func (a access) scopeFor(v ds.Viewer) []ds.ShareRef {
	if rbac.Allowed(v.Roles, "*:*") {
		return nil
	}
	refs := []ds.ShareRef{}
	for _, sh := range a.shares {
		if rbac.CanSee(v.Roles, v.Groups, sh.ACL) {
			refs = append(refs, ds.ShareRef{Node: sh.Node, Share: sh.Share})
		}
	}
	return refs
}

// canSee reports whether v may learn that rec, a record this node holds,
// exists: api.Server.visible for this node's shares.
func (a access) canSee(v ds.Viewer, rec ds.Record) bool {
	if rbac.Allowed(v.Roles, "*:*") {
		return true
	}
	for _, sh := range a.shares {
		if sh.Node == rec.NodeID && sh.Share == rec.Share {
			return rbac.CanSee(v.Roles, v.Groups, sh.ACL)
		}
	}
	return false
}

// holdsData reports whether m keeps files that searches must cover.
// Gateways route and merge only.
func holdsData(m cluster.Member) bool {
	switch m.Role {
	case cluster.RoleHybrid, cluster.RoleWorker, cluster.RoleCoordinator:
		return true
	}
	return false
}

// peers returns the other members that hold data: those that may answer
// (ALIVE or SUSPECT, with an internal address) and the ids of those that
// cannot (DEAD). Members that LEFT are not part of the data any more.
func (n *Node) peers() (live []cluster.Member, down []string) {
	for _, m := range n.cluster.View().Members {
		if m.ID == n.id || !holdsData(m) || m.Status == cluster.StatusLeft {
			continue
		}
		if m.Status == cluster.StatusDead || m.InternalAddr == "" {
			down = append(down, m.ID)
			continue
		}
		live = append(live, m)
	}
	return live, down
}

// errNoReplica names partitions none of whose replicas is up.
var errNoReplica = errors.New("no replica of the partition is up")

// partitions returns what a search for v covers: one replica of every
// data-plane partition, this node for the partitions it holds, else the
// first replica in placement order that is ALIVE (else SUSPECT), grouped
// by node, each restricted to the shares v may see (the cluster's share
// registry) and to the partitions it was chosen for. Partitions without a
// replica up are named missing. Before the cluster has a placement (no
// storage member yet), this node's index alone.
func (n *Node) partitions(v ds.Viewer, failed func(node string)) []bleve.Index {
	scope := n.access().scopeFor(v)
	l, err := n.layouts.Get(n.cluster.View())
	if err != nil {
		return []bleve.Index{index.Scoped(n.id, n.index.Bleve(), scope)}
	}
	total := l.Table.Partitions()
	byNode := map[string][]int{}
	var order []string
	var missing []int
	load := l.Table.Load() // replicas per member: prefer those holding most
	for p := range total {
		pick := n.pickReplica(l, l.Table.ReplicaSet(p), load, "")
		if pick == "" {
			missing = append(missing, p)
			continue
		}
		if byNode[pick] == nil {
			order = append(order, pick)
		}
		byNode[pick] = append(byNode[pick], p)
	}
	caller := hedgedCaller{
		peer: peerSearch{n: n, failed: n.shun}, h: n.hedging, shun: n.shun, failed: failed,
		alternates: func(node string, ps []int) map[string][]int {
			groups := map[string][]int{}
			for _, p := range ps {
				alt := n.pickReplica(l, l.Table.ReplicaSet(p), load, node)
				if alt == "" {
					return nil
				}
				groups[alt] = append(groups[alt], p)
			}
			return groups
		},
	}
	var parts []bleve.Index
	for _, id := range order {
		ps := byNode[id]
		if id == n.id {
			parts = append(parts, index.ScopedPartitions(n.id, n.index.Bleve(), scope, ps, len(ps) == total))
			continue
		}
		parts = append(parts, index.NewRemotePartitions(id, v, caller, ps))
	}
	if len(missing) > 0 {
		parts = append(parts, index.UnavailablePartitions("unavailable", missing, errNoReplica))
	}
	return parts
}

// coversAll reports whether ps names every partition of the cluster (or is
// nil): a search for them needs no partition filter.
func (n *Node) coversAll(ps []int) bool {
	if ps == nil {
		return true
	}
	total := n.cluster.View().Config.PartitionCount
	if len(ps) != total {
		return false
	}
	seen := make([]bool, total)
	for _, p := range ps {
		if p < 0 || p >= total || seen[p] {
			return false
		}
		seen[p] = true
	}
	return true
}

// pickReplica returns the replica of a set a search asks: this node when
// it is one, else an ALIVE one, else a SUSPECT one, in each case
// preferring nodes that did not just fail a search (avoiding) and, among
// those, the node holding the most partitions (then the smallest id), so
// that a search asks as few nodes as it can — on three nodes with RF 3, one.
// "" when none is up. except, when set, is never picked (a hedge asks
// the other replicas of a node's partitions).
func (n *Node) pickReplica(l *replica.Layout, set []string, load map[string]int, except string) string {
	if n.id != except && slices.Contains(set, n.id) {
		return n.id
	}
	for _, shunned := range []bool{false, true} {
		for _, want := range []cluster.MemberStatus{cluster.StatusAlive, cluster.StatusSuspect} {
			best := ""
			for _, id := range set {
				m := l.Members[id]
				if id == except || m.Status != want || m.InternalAddr == "" || n.avoiding(id) != shunned {
					continue
				}
				if best == "" || load[id] > load[best] || load[id] == load[best] && id < best {
					best = id
				}
			}
			if best != "" {
				return best
			}
		}
	}
	return ""
}

// avoidFor is how long searches prefer other replicas to a node that
// failed one (the failure detector takes longer to declare it dead).
const avoidFor = 5 * time.Second

// shun makes searches prefer other replicas to node for avoidFor.
func (n *Node) shun(node string) {
	n.avoidMu.Lock()
	defer n.avoidMu.Unlock()
	if n.avoid == nil {
		n.avoid = map[string]time.Time{}
	}
	n.avoid[node] = n.cfg.Now().Add(avoidFor)
}

func (n *Node) avoiding(node string) bool {
	n.avoidMu.Lock()
	defer n.avoidMu.Unlock()
	until, ok := n.avoid[node]
	if ok && !n.cfg.Now().Before(until) {
		delete(n.avoid, node)
		return false
	}
	return ok
}

// peerSearch calls other nodes' search endpoint. failed, when set, hears
// of every node whose answer did not come (not of refused queries).
type peerSearch struct {
	n      *Node
	failed func(node string)
}

var _ index.Caller = peerSearch{}

// Search posts req to node with a per-node deadline: the caller's, or
// remoteSearchWait when it has none. Only a request that never reached
// the node is retried (by the transport).
func (p peerSearch) Search(ctx context.Context, node string, req index.RemoteRequest) (*bleve.SearchResult, error) {
	caller := ctx // cancelled by the caller (a hedge won): not the node's failure
	m, ok := p.n.cluster.View().Member(node)
	if !ok || m.InternalAddr == "" {
		return nil, fmt.Errorf("node %s is not a member", node)
	}
	wait := remoteSearchWait
	if d, ok := ctx.Deadline(); ok {
		wait = min(time.Until(d), maxRemoteWait)
	}
	ctx, cancel := context.WithTimeout(ctx, wait)
	defer cancel()
	req.TimeoutMS = wait.Milliseconds()
	// bleve's IndexErrMap.UnmarshalJSON writes into the map it is given.
	out := &bleve.SearchResult{Status: &bleve.SearchStatus{Errors: map[string]error{}}}
	err := p.n.cluster.Client().DoJSON(ctx, http.MethodPost, "https://"+m.InternalAddr+pathSearch, req, out, transport.WithTimeout(wait))
	if err != nil {
		err = peerError(err)
		if p.failed != nil && ds.KindOf(err) != ds.KindInvalid && caller.Err() == nil {
			p.failed(node)
		}
		return nil, err
	}
	return out, nil
}

// peerError turns a peer's error answer into an error carrying its code
// and message (so that "query_too_expensive" is recognised upstream).
func peerError(err error) error {
	var se *transport.StatusError
	if !errors.As(err, &se) {
		return err
	}
	var body internalError
	if json.Unmarshal(se.Body, &body) != nil || body.Message == "" {
		return err
	}
	kind := ds.KindUnavailable
	switch se.Status {
	case http.StatusBadRequest, http.StatusUnprocessableEntity:
		kind = ds.KindInvalid
	case http.StatusNotFound:
		kind = ds.KindNotFound
	case http.StatusConflict:
		kind = ds.KindConflict
	}
	return &ds.Error{Kind: kind, Code: body.Code, Message: body.Message, Err: err}
}

// internalError is the body of a node-to-node error answer.
type internalError struct {
	Code    string `json:"code"`
	Message string `json:"message"`
}

func writeInternalError(w http.ResponseWriter, status int, code, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(internalError{Code: code, Message: msg})
}

// handleSearch answers POST /internal/search: it searches this node's
// index for another node's Searcher, restricted to the shares the viewer
// may see here, with the global statistics the request carries, and
// returns bleve's result (or the statistics, for a pre-search).
func (o owner) handleSearch(w http.ResponseWriter, r *http.Request) {
	var req index.RemoteRequest
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, maxSearchBody))
	if err := dec.Decode(&req); err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			writeInternalError(w, http.StatusRequestEntityTooLarge, "body_too_large", "the search request is too large")
			return
		}
		writeInternalError(w, http.StatusBadRequest, "bad_json", "bad search request: "+err.Error())
		return
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		writeInternalError(w, http.StatusBadRequest, "bad_json", "data after the search request")
		return
	}
	br := req.Request
	switch {
	case br == nil || br.Query == nil:
		writeInternalError(w, http.StatusBadRequest, "bad_request", "the search request has no query")
		return
	case br.Size < 0 || br.Size > maxRemoteSize || br.From < 0 || br.From > maxRemoteFrom:
		writeInternalError(w, http.StatusBadRequest, "bad_limit", "size or from out of range")
		return
	case len(req.Partitions) > placement.MaxPartitions:
		writeInternalError(w, http.StatusBadRequest, "bad_partitions", "too many partitions")
		return
	}
	for _, p := range req.Partitions {
		if p < 0 || p >= placement.MaxPartitions {
			writeInternalError(w, http.StatusBadRequest, "bad_partitions", "a partition number is out of range")
			return
		}
	}
	wait := remoteSearchWait
	if req.TimeoutMS > 0 {
		wait = min(time.Duration(req.TimeoutMS)*time.Millisecond, maxRemoteWait)
	}
	ctx, cancel := context.WithTimeout(r.Context(), wait)
	defer cancel()
	if req.GlobalScoring {
		ctx = context.WithValue(ctx, bsearch.SearchTypeKey, bsearch.GlobalScoring)
	}
	part := index.ScopedPartitions(o.n.id, o.index.Bleve(), o.n.access().scopeFor(req.Viewer), req.Partitions, o.n.coversAll(req.Partitions))
	res, err := index.SearchPartitions(ctx, br, req.PreSearch, index.DefaultSearchOptions(), part)
	if err != nil {
		status, code := http.StatusUnprocessableEntity, "search_failed"
		if ctx.Err() != nil {
			status, code = http.StatusGatewayTimeout, "timeout"
		}
		writeInternalError(w, status, code, err.Error())
		return
	}
	w.Header().Set("Content-Type", "application/json")
	if err := json.NewEncoder(w).Encode(res); err != nil {
		o.n.log.Debug("search answer not sent", "peer", cluster.PeerID(r), "err", err)
	}
}
