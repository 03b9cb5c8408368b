package cluster

import (
	"context"
	"errors"
	"net/http"
	"time"
)

type heartbeatResponse struct {
	LeaderID string `json:"leader_id"`
	Term     uint64 `json:"term"`
	Fence    uint64 `json:"fence"`
	Index    uint64 `json:"index"`
}

// runHeartbeats tells the leader every HeartbeatInterval that this node is
// alive. A leader that does not know the node (it left, or registered with
// a lost leader) makes it register again.
func (n *Node) runHeartbeats(ctx context.Context) {
	t := time.NewTicker(n.cfg.HeartbeatInterval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		if n.IsLeader() || !n.isRegistered() {
			continue
		}
		hctx, cancel := context.WithTimeout(ctx, n.cfg.HeartbeatInterval)
		var resp heartbeatResponse
		err := n.leaderCall(hctx, nil, http.MethodPost, pathHeartbeat, struct{}{}, &resp, true)
		cancel()
		if errors.Is(err, ErrUnknownMember) {
			n.log.Info("leader does not know this node; registering again")
			n.register(ctx)
		}
	}
}

func (n *Node) handleHeartbeat(w http.ResponseWriter, r *http.Request) {
	if _, err := n.heartbeatFrom(PeerID(r)); err != nil {
		n.writeErr(w, err)
		return
	}
	v := n.View()
	writeJSON(w, http.StatusOK, heartbeatResponse{LeaderID: v.Leader.ID, Term: v.Leader.Term, Fence: v.Leader.Fence, Index: v.Index})
}
