package cluster

import "net/http"

// routes registers the control plane's internal API.
func (n *Node) routes() {
	n.internal.HandleFunc("POST "+pathApply, n.handleApply)
	n.internal.HandleFunc("POST "+pathJoin, n.handleJoin)
	n.internal.HandleFunc("POST "+pathRegister, n.handleRegister)
	n.internal.HandleFunc("POST "+pathLeave, n.handleLeave)
	n.internal.HandleFunc("POST "+pathHeartbeat, n.handleHeartbeat)
	n.internal.HandleFunc("GET "+pathState, n.handleState)
	n.internal.HandleFunc("GET "+pathRaft, n.handleRaftInfo)
	n.internal.Handle("POST "+pathAuth, n.MemberOnly(http.HandlerFunc(n.handleAuth)))
	n.internal.Handle("GET "+pathUsers, n.MemberOnly(http.HandlerFunc(n.handleUsers)))
	n.internal.HandleFunc("/internal/v1/", func(w http.ResponseWriter, r *http.Request) { http.NotFound(w, r) })
}
