package cluster

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"

	"github.com/distrisearch/distrisearch"
	"github.com/distrisearch/distrisearch/transport"
)

// Internal API paths (mutual TLS). The join endpoint is separate (ProtoJoin).
const (
	pathApply     = "/internal/v1/apply"
	pathJoin      = "/internal/v1/join"
	pathRegister  = "/internal/v1/register"
	pathLeave     = "/internal/v1/leave"
	pathHeartbeat = "/internal/v1/heartbeat"
	pathState     = "/internal/v1/state"
	pathRaft      = "/internal/v1/raft"
	pathAuth      = "/internal/v1/auth"
	pathUsers     = "/internal/v1/users"
	pathEnroll    = "/join"
)

// leaderHeader carries the leader's internal address on a 421 answer.
const leaderHeader = "X-DS-Leader"

type errorBody struct {
	Code string `json:"code"`
	Msg  string `json:"msg"`
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}

func (n *Node) writeErr(w http.ResponseWriter, err error) {
	status := http.StatusInternalServerError
	switch distrisearch.KindOf(err) {
	case distrisearch.KindInvalid:
		status = http.StatusBadRequest
	case distrisearch.KindNotFound:
		status = http.StatusNotFound
	case distrisearch.KindConflict:
		status = http.StatusConflict
	case distrisearch.KindUnauthorized:
		status = http.StatusUnauthorized
	case distrisearch.KindForbidden:
		status = http.StatusForbidden
	case distrisearch.KindUnavailable:
		status = http.StatusServiceUnavailable
	}
	if errors.Is(err, ErrNotLeader) {
		status = http.StatusMisdirectedRequest
		if addr := n.leaderAddr(); addr != "" && addr != n.advertise {
			w.Header().Set(leaderHeader, addr)
		}
	}
	writeJSON(w, status, errorBody{Code: codeOf(err), Msg: err.Error()})
}

func decodeStatusError(se *transport.StatusError) error {
	var b errorBody
	if json.Unmarshal(se.Body, &b) == nil && b.Code != "" {
		if base, ok := errByCode[b.Code]; ok {
			if detailed[b.Code] && b.Msg != "" {
				return detail(base, "%s", b.Msg)
			}
			return fmt.Errorf("%w (remote: %s)", base, b.Msg)
		}
	}
	return se
}

// leaderAddr is this node's best guess of the leader's internal address.
func (n *Node) leaderAddr() string {
	v := n.View()
	if n.raft != nil {
		if addr, id := n.raft.LeaderWithID(); id != "" {
			if m, ok := v.Member(string(id)); ok && m.InternalAddr != "" {
				return m.InternalAddr
			}
			return string(addr)
		}
	}
	if m, ok := v.Member(v.Leader.ID); ok {
		return m.InternalAddr
	}
	return ""
}

// candidates lists where to look for the leader: the best guess, then the
// voters, then remembered peers; never this node itself.
func (n *Node) candidates() []string {
	var out []string
	add := func(a string) {
		if a != "" && a != n.advertise && !slices.Contains(out, a) {
			out = append(out, a)
		}
	}
	add(n.leaderAddr())
	v := n.View()
	for _, m := range v.Members {
		if m.Voter && m.Status != StatusLeft {
			add(m.InternalAddr)
		}
	}
	for _, a := range n.peers.list() {
		add(a)
	}
	return out
}

// leaderCall runs local if this node is the leader, else sends in to the
// leader at path, following 421 hints, until a definite answer or ctx ends.
// A request that is not idempotent is sent to a second address only if it
// certainly never reached the first; otherwise the outcome is unknown.
func (n *Node) leaderCall(ctx context.Context, local func() error, method, path string, in, out any, idempotent bool) error {
	if _, ok := ctx.Deadline(); !ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, 2*n.cfg.ApplyTimeout)
		defer cancel()
	}
	var lastErr error = ErrNoLeader
	for {
		if n.isClosed() {
			return ErrClosed
		}
		if local != nil && n.IsLeader() {
			err := local()
			if !errors.Is(err, ErrNotLeader) {
				return err
			}
			lastErr = err
		} else if n.client != nil {
			err, definite := n.tryCandidates(ctx, method, path, in, out, idempotent)
			if definite {
				return err
			}
			lastErr = err
		}
		if !sleepCtx(ctx, n.cfg.RetryInterval) {
			return fmt.Errorf("%w: %v", ErrNoLeader, lastErr)
		}
	}
}

func (n *Node) tryCandidates(ctx context.Context, method, path string, in, out any, idempotent bool) (err error, definite bool) {
	queue := n.candidates()
	tried := map[string]bool{}
	err = ErrNoLeader
	for len(queue) > 0 && ctx.Err() == nil {
		addr := queue[0]
		queue = queue[1:]
		if tried[addr] {
			continue
		}
		tried[addr] = true
		e := n.client.DoJSON(ctx, method, "https://"+addr+path, in, out, transport.Idempotent(idempotent))
		if e == nil {
			n.peers.add(addr)
			return nil, true
		}
		var se *transport.StatusError
		if errors.As(e, &se) {
			if se.Status == http.StatusMisdirectedRequest {
				if hint := se.Header.Get(leaderHeader); hint != "" && !tried[hint] && hint != n.advertise {
					queue = append([]string{hint}, queue...)
				}
				err = ErrNotLeader
				continue
			}
			return decodeStatusError(se), true
		}
		if !idempotent && !transport.NotSent(e) {
			return fmt.Errorf("%w: %v", ErrUnknownOutcome, e), true
		}
		err = e
	}
	return err, false
}

// apply commits a command, here if this node leads, else through the
// leader. Leader-only commands cannot be forwarded.
func (n *Node) apply(ctx context.Context, o op, data any) (result, error) {
	c, err := newCommand(o, data)
	if err != nil {
		return result{}, err
	}
	var r result
	err = n.leaderCall(ctx, func() error {
		var e error
		r, e = n.applyCommand(c)
		return e
	}, http.MethodPost, pathApply, c, &r, false)
	if err != nil {
		return r, err
	}
	return r, r.err()
}

// forwardable lists the commands a follower may send to the leader.
var forwardable = map[op]bool{opServicePut: true, opServiceDelete: true, opTokenAdd: true,
	opLockAcquire: true, opLockRenew: true, opLockRelease: true,
	opUserAdd: true, opUserUpdate: true, opTokenKey: true, opTokenRevoke: true, opAuditHead: true,
	opShares: true}

// maxApplyBody bounds a forwarded command; the largest is a share list at
// its limits (about 2.2 MB).
const maxApplyBody = 4 << 20

func (n *Node) handleApply(w http.ResponseWriter, r *http.Request) {
	var c command
	if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, maxApplyBody)).Decode(&c); err != nil {
		n.writeErr(w, fmt.Errorf("%w: %v", ErrInvalid, err))
		return
	}
	if !forwardable[c.Op] {
		n.writeErr(w, fmt.Errorf("%w: command %q cannot be forwarded", ErrInvalid, c.Op))
		return
	}
	if c.Op == opShares {
		var p sharesCmd
		if err := json.Unmarshal(c.Data, &p); err != nil || p.Node != PeerID(r) {
			n.writeErr(w, fmt.Errorf("%w: a node may set only its own shares", ErrInvalid))
			return
		}
	}
	if !n.IsLeader() {
		n.writeErr(w, ErrNotLeader)
		return
	}
	c.Fence = 0
	res, err := n.applyCommand(c)
	if err != nil && res.Code == "" {
		n.writeErr(w, err)
		return
	}
	writeJSON(w, http.StatusOK, res)
}
