package cluster

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/distrisearch/distrisearch/transport"
	"github.com/distrisearch/distrisearch/transport/pki"
)

// mirror holds the metadata a node without a Raft seat follows from the
// coordinators.
type mirror struct {
	mu      sync.Mutex // guards view and changed
	view    *View
	changed chan struct{}
}

func newMirror() *mirror { return &mirror{changed: make(chan struct{})} }

func (m *mirror) get() (*View, <-chan struct{}) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.view, m.changed
}

// set keeps v if it is newer than what the mirror holds.
func (m *mirror) set(v *View) bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.view != nil && v.Index <= m.view.Index {
		return false
	}
	m.view = v
	close(m.changed)
	m.changed = make(chan struct{})
	return true
}

// runFollow keeps the mirror up to date while this node has no Raft seat
// (or its Raft copy is behind): a long poll of the leader's (or a voter's)
// metadata that returns as soon as the index moves past ours.
func (n *Node) runFollow(ctx context.Context) {
	for ctx.Err() == nil {
		v, c1, c2 := n.viewWait()
		fv, _ := n.fsm.View()
		if me, ok := v.Member(n.id); ok && (me.Voter || me.Standby) && fv.Index >= v.Index && fv.Index > 0 {
			select { // Raft feeds this node; look again when something changes
			case <-ctx.Done():
			case <-c1:
			case <-c2:
			case <-time.After(time.Second):
			}
			continue
		}
		if !n.pollOnce(ctx, v.Index) {
			sleepCtx(ctx, n.cfg.RetryInterval)
		}
	}
}

func (n *Node) pollOnce(ctx context.Context, after uint64) bool {
	q := url.Values{"after": {strconv.FormatUint(after, 10)}, "wait": {n.cfg.WatchWait.String()}}
	for _, addr := range n.candidates() {
		var w viewWire
		err := n.client.DoJSON(ctx, http.MethodGet, "https://"+addr+pathState+"?"+q.Encode(), nil, &w,
			transport.WithTimeout(n.cfg.WatchWait+2*time.Second))
		if err != nil {
			continue
		}
		if v := w.view(); v.Index > 0 {
			n.mirror.set(v)
		}
		return true
	}
	return false
}

// viewWire is a View as members send it to each other: with the token
// keys, which View's own JSON leaves out. Only the internal state endpoint
// (mutual TLS) sends it, and with the keys only to current members.
type viewWire struct {
	View
	TokenKeys []TokenKey `json:"token_keys,omitempty"`
}

func wireOf(v *View) viewWire { return viewWire{View: *v, TokenKeys: v.TokenKeys} }

// wireFor returns what the state endpoint sends the caller of r: the token
// keys go only to current members, not to a node that holds a valid
// certificate but has left or is not registered yet (it gets them at its
// next poll once registered).
func (n *Node) wireFor(r *http.Request, v *View) viewWire {
	w := wireOf(v)
	if m, ok := v.Member(PeerID(r)); !ok || m.Status == StatusLeft {
		w.TokenKeys = nil
	}
	return w
}

func (w *viewWire) view() *View {
	v := w.View
	v.TokenKeys = w.TokenKeys
	return &v
}

// handleState serves the public metadata. With after=N it waits (up to
// wait) until the index passes N. With consistent=1 it answers only on the
// leader, after confirming leadership with a quorum, so the answer
// reflects every write acknowledged before the request.
func (n *Node) handleState(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	if q.Get("consistent") == "1" {
		v, err := n.consistentLocal(r.Context())
		if err != nil {
			n.writeErr(w, err)
			return
		}
		writeJSON(w, http.StatusOK, n.wireFor(r, v))
		return
	}
	after, _ := strconv.ParseUint(q.Get("after"), 10, 64)
	wait, _ := time.ParseDuration(q.Get("wait"))
	wait = min(max(wait, 0), time.Minute)
	timer := time.NewTimer(wait)
	defer timer.Stop()
	for {
		v, c1, c2 := n.viewWait()
		if v.Index > after || wait == 0 {
			writeJSON(w, http.StatusOK, n.wireFor(r, v))
			return
		}
		select {
		case <-c1:
		case <-c2:
		case <-timer.C:
			writeJSON(w, http.StatusOK, n.wireFor(r, v))
			return
		case <-r.Context().Done():
			return
		}
	}
}

// peerCache remembers internal addresses of the cluster's voters in the
// data directory, so a restarted node finds the cluster by itself.
type peerCache struct {
	path string
	seed []string
	mu   sync.Mutex // guards addr
	addr []string
}

func newPeerCache(dataDir string, seed []string) *peerCache {
	p := &peerCache{path: clusterPath(dataDir, peersFile), seed: seed}
	if b, err := os.ReadFile(p.path); err == nil {
		json.Unmarshal(b, &p.addr)
	}
	return p
}

func (p *peerCache) list() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	out := slices.Clone(p.addr)
	for _, s := range p.seed {
		if !slices.Contains(out, s) {
			out = append(out, s)
		}
	}
	return out
}

func (p *peerCache) add(addr string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if addr == "" || slices.Contains(p.addr, addr) {
		return
	}
	p.addr = append(p.addr, addr)
	p.saveLocked()
}

// replace sets the remembered voters (keeping at most 8 addresses).
func (p *peerCache) replace(addrs []string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if len(addrs) == 0 || slices.Equal(addrs, p.addr) {
		return
	}
	p.addr = slices.Clone(addrs[:min(len(addrs), 8)])
	p.saveLocked()
}

func (p *peerCache) saveLocked() {
	b, _ := json.Marshal(p.addr)
	os.MkdirAll(filepath.Dir(p.path), 0o700)
	pki.WriteFileAtomic(p.path, b, 0o600)
}
