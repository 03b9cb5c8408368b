package cluster

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strconv"
	"time"

	"github.com/hashicorp/raft"
)

type registerRequest struct {
	Member   Member    `json:"member"`
	Services []Service `json:"services"`
}

type registerResponse struct {
	ClusterID string `json:"cluster_id"`
	Voter     bool   `json:"voter"`
	Index     uint64 `json:"index"`
}

type leaveRequest struct {
	ID string `json:"id"`
}

// registrationTTL bounds how long the membership lock is held for one
// registration.
const registrationTTL = 5 * time.Second

func (n *Node) selfMember() Member {
	return Member{ID: n.id, RaftAddr: n.advertise, InternalAddr: n.advertise, HTTPAddr: n.cfg.HTTPAddr, Role: n.cfg.Role}
}

func (n *Node) selfServices() []Service {
	var out []Service
	add := func(typ, addr string) {
		host, port, err := net.SplitHostPort(addr)
		if err != nil {
			return
		}
		p, err := strconv.Atoi(port)
		if err != nil {
			return
		}
		out = append(out, Service{ID: ServiceID(typ, n.id, p), Type: typ, NodeID: n.id, Host: host, Port: p, Health: HealthHealthy})
	}
	add("internal", n.advertise)
	if n.cfg.HTTPAddr != "" {
		add("http", n.cfg.HTTPAddr)
	}
	return out
}

// runRegistration registers this node with the leader, retrying until it
// succeeds. A restarted node re-registers the same way, with its persisted
// identity, and so rejoins by itself.
func (n *Node) runRegistration(ctx context.Context) {
	for ctx.Err() == nil {
		if err := n.register(ctx); err == nil {
			return
		} else if ctx.Err() == nil {
			n.log.Debug("registration failed, retrying", "err", err)
		}
		sleepCtx(ctx, n.cfg.RetryInterval)
	}
}

func (n *Node) register(ctx context.Context) error {
	req := registerRequest{Member: n.selfMember(), Services: n.selfServices()}
	var resp registerResponse
	err := n.leaderCall(ctx, func() error {
		var e error
		resp, e = n.registerMember(req)
		return e
	}, http.MethodPost, pathRegister, req, &resp, true)
	if err != nil {
		return err
	}
	n.markRegistered()
	n.log.Info("registered with the cluster", "cluster", resp.ClusterID, "voter", resp.Voter)
	return nil
}

func (n *Node) handleRegister(w http.ResponseWriter, r *http.Request) {
	var req registerRequest
	if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, 1<<20)).Decode(&req); err != nil {
		n.writeErr(w, fmt.Errorf("%w: %v", ErrInvalid, err))
		return
	}
	if peer := PeerID(r); peer != req.Member.ID {
		n.writeErr(w, fmt.Errorf("%w: node %s cannot register %s", ErrInvalid, peer, req.Member.ID))
		return
	}
	resp, err := n.registerMember(req)
	if err != nil {
		n.writeErr(w, err)
		return
	}
	writeJSON(w, http.StatusOK, resp)
}

// registerMember records a member under the membership lock: the lock's
// fencing token goes into the register entry and the state machine refuses
// the entry unless that token still holds the lock.
func (n *Node) registerMember(req registerRequest) (registerResponse, error) {
	if !n.IsLeader() {
		return registerResponse{}, ErrNotLeader
	}
	m := req.Member
	if m.InternalAddr == "" || m.RaftAddr == "" || (m.Role != "" && !m.Role.Valid()) {
		return registerResponse{}, fmt.Errorf("%w: member needs addresses and a known role", ErrInvalid)
	}
	owner := "register/" + m.ID + "/" + newUUID()[:8]
	deadline := time.Now().Add(n.cfg.ApplyTimeout)
	var lock result
	for {
		var err error
		lock, err = n.proposeLocal(opLockAcquire, lockCmd{Name: MembershipLock, Owner: owner, TTL: registrationTTL}, 0)
		if err == nil {
			n.lockGranted(lockOf(lock))
			break
		}
		if !errors.Is(err, ErrLockHeld) || time.Now().After(deadline) {
			return registerResponse{}, fmt.Errorf("membership lock: %w", err)
		}
		time.Sleep(10 * time.Millisecond)
	}
	_, err := n.proposeLocal(opRegister, registerCmd{Member: m, Services: req.Services, LockName: MembershipLock, LockToken: lock.Token}, 0)
	if _, rerr := n.proposeLocal(opLockRelease, lockCmd{Name: MembershipLock, Owner: owner, Token: lock.Token}, 0); rerr != nil {
		n.log.Debug("release membership lock", "err", rerr)
	}
	if err != nil {
		return registerResponse{}, err
	}
	if _, _, det := n.lead.get(); det != nil && m.ID != n.id {
		now := n.now()
		det.Track(m.ID, now)
		det.Heartbeat(m.ID, now)
	}
	n.kickLeader()
	v := n.View()
	got, _ := v.Member(m.ID)
	return registerResponse{ClusterID: v.Config.ClusterID, Voter: got.Voter, Index: v.Index}, nil
}

// Leave leaves the cluster gracefully: a leader first hands leadership to
// another voter; the leader then removes this node from Raft and marks it
// LEFT. The node is closed afterwards.
func (n *Node) Leave(ctx context.Context) error {
	if n.IsLeader() {
		if conf, err := n.raftConfig(); err == nil && countVoters(conf) > 1 {
			if err := n.raft.LeadershipTransfer().Error(); err != nil {
				n.log.Warn("leadership transfer", "err", err)
			}
		}
	}
	err := n.leaderCall(ctx, func() error { return n.leaveMember(n.id) },
		http.MethodPost, pathLeave, leaveRequest{ID: n.id}, nil, true)
	if err != nil {
		return fmt.Errorf("leave: %w", err)
	}
	n.log.Info("left the cluster")
	return n.Close()
}

func countVoters(c raft.Configuration) int {
	k := 0
	for _, s := range c.Servers {
		if s.Suffrage == raft.Voter {
			k++
		}
	}
	return k
}

func (n *Node) handleLeave(w http.ResponseWriter, r *http.Request) {
	var req leaveRequest
	if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, 1<<16)).Decode(&req); err != nil {
		n.writeErr(w, fmt.Errorf("%w: %v", ErrInvalid, err))
		return
	}
	if peer := PeerID(r); peer != req.ID {
		n.writeErr(w, fmt.Errorf("%w: node %s cannot remove %s", ErrInvalid, peer, req.ID))
		return
	}
	if err := n.leaveMember(req.ID); err != nil {
		n.writeErr(w, err)
		return
	}
	writeJSON(w, http.StatusOK, struct{}{})
}

// leaveMember removes id from Raft (if it is there) and marks it LEFT. The
// leader cannot remove itself while other voters exist: it must hand over
// leadership first.
func (n *Node) leaveMember(id string) error {
	if !n.IsLeader() {
		return ErrNotLeader
	}
	if _, ok := n.View().Member(id); !ok {
		return ErrUnknownMember
	}
	n.lead.voters.Lock()
	conf, err := n.raftConfig()
	if err == nil {
		for _, s := range conf.Servers {
			if string(s.ID) != id {
				continue
			}
			if id == n.id && countVoters(conf) > 1 {
				n.lead.voters.Unlock()
				return fmt.Errorf("%w: the leader must hand over leadership before leaving", ErrNotLeader)
			}
			if id != n.id {
				err = raftErr(n.raft.RemoveServer(s.ID, 0, n.cfg.ApplyTimeout).Error())
			}
		}
	}
	n.lead.voters.Unlock()
	if err != nil {
		return fmt.Errorf("remove %s from raft: %w", id, err)
	}
	if _, err := n.proposeFenced(opLeave, leaveCmd{ID: id}); err != nil {
		return err
	}
	if _, _, det := n.lead.get(); det != nil {
		det.Remove(id)
	}
	n.kickLeader()
	return nil
}
