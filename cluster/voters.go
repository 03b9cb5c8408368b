package cluster

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"time"

	"github.com/distrisearch/distrisearch/transport"
	"github.com/hashicorp/raft"
)

// raftInfo is what a node reports about its Raft instance.
type raftInfo struct {
	State        string `json:"state"`
	Term         uint64 `json:"term"`
	AppliedIndex uint64 `json:"applied_index"`
	LastIndex    uint64 `json:"last_index"`
}

func (n *Node) handleRaftInfo(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, raftInfo{State: n.raft.State().String(), Term: n.raft.CurrentTerm(),
		AppliedIndex: n.raft.AppliedIndex(), LastIndex: n.raft.LastIndex()})
}

var rolePreference = map[Role]int{RoleCoordinator: 0, RoleHybrid: 1, RoleWorker: 2, RoleGateway: 3}

// reconcileVoters keeps the Raft configuration at the configured number of
// healthy voters (and warm standbys), and the metadata's voter flags equal
// to it. It makes at most one configuration change per call:
//  1. members that left are removed from Raft;
//  2. with fewer healthy voters than wanted, the best healthy member (a
//     standby first, then by role: COORDINATOR, HYBRID, WORKER, GATEWAY) is
//     added as a non-voter, allowed to catch up, then promoted;
//  3. a voter DEAD for VoterReplaceAfter is removed once enough others vote;
//  4. standbys are kept at the configured count.
func (n *Node) reconcileVoters(ctx context.Context) error {
	n.lead.voters.Lock()
	defer n.lead.voters.Unlock()
	if _, err := n.LeaderFence(); err != nil {
		return nil
	}
	conf, err := n.raftConfig()
	if err != nil {
		return err
	}
	suffrage := map[string]raft.ServerSuffrage{}
	for _, s := range conf.Servers {
		suffrage[string(s.ID)] = s.Suffrage
	}
	v := n.View()
	now := n.now()

	// Keep the metadata's flags equal to the Raft configuration.
	for _, m := range v.Members {
		s, in := suffrage[m.ID]
		if m.Status == StatusLeft && in {
			return n.removeServer(m.ID)
		}
		wantVoter, wantStandby := in && s == raft.Voter, in && s == raft.Nonvoter
		if m.Voter != wantVoter || m.Standby != wantStandby {
			if _, err := n.proposeFenced(opVoter, voterCmd{ID: m.ID, Voter: wantVoter, Standby: wantStandby}); err != nil {
				return err
			}
		}
	}

	// A member that restarted on another address: tell Raft where it is now.
	for _, srv := range conf.Servers {
		m, ok := v.Member(string(srv.ID))
		if !ok || m.Status != StatusAlive || m.RaftAddr == "" || raft.ServerAddress(m.RaftAddr) == srv.Address {
			continue
		}
		n.log.Info("raft address changed", "member", m.ID, "from", srv.Address, "to", m.RaftAddr)
		var f raft.IndexFuture
		if srv.Suffrage == raft.Voter {
			f = n.raft.AddVoter(srv.ID, raft.ServerAddress(m.RaftAddr), 0, n.cfg.ApplyTimeout)
		} else {
			f = n.raft.AddNonvoter(srv.ID, raft.ServerAddress(m.RaftAddr), 0, n.cfg.ApplyTimeout)
		}
		return raftErr(f.Error())
	}

	desired := v.Config.Voters
	if desired == 0 {
		desired = 3
	}
	var voters, standbys, dead []string
	for _, s := range conf.Servers {
		id := string(s.ID)
		m, ok := v.Member(id)
		if !ok || (m.Status == StatusDead && now.Sub(m.StatusSince) >= n.cfg.VoterReplaceAfter) {
			dead = append(dead, id)
			continue
		}
		if s.Suffrage == raft.Voter {
			voters = append(voters, id)
		} else {
			standbys = append(standbys, id)
		}
	}
	if len(voters) < desired {
		if cand, ok := n.pickCandidate(v, suffrage); ok {
			return n.promote(ctx, cand, suffrage[cand] == raft.Nonvoter)
		}
	}
	for _, id := range dead {
		// A dead voter goes only once enough healthy voters replace it; while
		// there is no replacement it keeps its seat and may come back.
		if suffrage[id] == raft.Nonvoter || len(voters) >= desired {
			n.log.Info("removing dead server from raft", "member", id)
			return n.removeServer(id)
		}
	}
	if len(standbys) < v.Config.Standbys {
		if cand, ok := n.pickCandidate(v, suffrage); ok && suffrage[cand] != raft.Nonvoter {
			n.log.Info("adding warm standby", "member", cand)
			m, _ := v.Member(cand)
			if err := n.raft.AddNonvoter(raft.ServerID(cand), raft.ServerAddress(m.RaftAddr), 0, n.cfg.ApplyTimeout).Error(); err != nil {
				return fmt.Errorf("add standby %s: %w", cand, err)
			}
			_, err := n.proposeFenced(opVoter, voterCmd{ID: cand, Standby: true})
			return err
		}
	}
	return nil
}

// pickCandidate returns the best member to promote: ALIVE, heard from by
// this leader, not a voter yet.
func (n *Node) pickCandidate(v *View, suffrage map[string]raft.ServerSuffrage) (string, bool) {
	_, _, det := n.lead.get()
	if det == nil {
		return "", false
	}
	heard := map[string]bool{}
	for _, s := range det.Snapshot(n.now()) {
		heard[s.Node] = s.Heard && s.Phi < n.cfg.Detector.Threshold/2
	}
	var cands []Member
	for _, m := range v.Members {
		if m.Status != StatusAlive || m.ID == n.id || !heard[m.ID] || m.RaftAddr == "" {
			continue
		}
		if s, in := suffrage[m.ID]; in && s == raft.Voter {
			continue
		}
		cands = append(cands, m)
	}
	if len(cands) == 0 {
		return "", false
	}
	slices.SortFunc(cands, func(a, b Member) int {
		sa, sb := suffrage[a.ID] == raft.Nonvoter, suffrage[b.ID] == raft.Nonvoter
		if sa != sb {
			if sa {
				return -1
			}
			return 1
		}
		if d := rolePreference[a.Role] - rolePreference[b.Role]; d != 0 {
			return d
		}
		return cmpStr(a.ID, b.ID)
	})
	return cands[0].ID, true
}

// promote makes id a voter: added as a non-voter first (unless it already
// is one), given time to catch up with the log, then made a voter, so the
// quorum never waits on an empty follower.
func (n *Node) promote(ctx context.Context, id string, standby bool) error {
	m, _ := n.View().Member(id)
	n.log.Info("promoting member to voter", "member", id)
	if !standby {
		if err := n.raft.AddNonvoter(raft.ServerID(id), raft.ServerAddress(m.RaftAddr), 0, n.cfg.ApplyTimeout).Error(); err != nil {
			return fmt.Errorf("add non-voter %s: %w", id, err)
		}
	}
	target := n.raft.LastIndex()
	deadline := time.Now().Add(2 * n.cfg.ApplyTimeout)
	for {
		var info raftInfo
		err := n.client.DoJSON(ctx, http.MethodGet, "https://"+m.InternalAddr+pathRaft, nil, &info,
			transport.WithTimeout(n.cfg.ApplyTimeout/4))
		if err == nil && info.AppliedIndex >= target {
			break
		}
		cur, _ := n.View().Member(id)
		if cur.Status != StatusAlive || time.Now().After(deadline) || !sleepCtx(ctx, 50*time.Millisecond) {
			if !standby {
				n.removeServer(id)
			}
			return fmt.Errorf("promote %s: it did not catch up (applied %d of %d): %v", id, info.AppliedIndex, target, err)
		}
	}
	if err := n.raft.AddVoter(raft.ServerID(id), raft.ServerAddress(m.RaftAddr), 0, n.cfg.ApplyTimeout).Error(); err != nil {
		return fmt.Errorf("add voter %s: %w", id, err)
	}
	_, err := n.proposeFenced(opVoter, voterCmd{ID: id, Voter: true})
	return err
}

func (n *Node) removeServer(id string) error {
	if err := n.raft.RemoveServer(raft.ServerID(id), 0, n.cfg.ApplyTimeout).Error(); err != nil {
		return fmt.Errorf("remove server %s: %w", id, raftErr(err))
	}
	m, ok := n.View().Member(id)
	if ok && (m.Voter || m.Standby) {
		_, err := n.proposeFenced(opVoter, voterCmd{ID: id})
		return err
	}
	return nil
}
