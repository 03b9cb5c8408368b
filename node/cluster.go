package node

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/distrisearch/distrisearch/api"
	"github.com/distrisearch/distrisearch/cluster"
)

// startCluster creates the cluster on a fresh data directory when the node
// is not told to join one, then starts the control plane.
func (n *Node) startCluster(ctx context.Context) error {
	if n.cfg.Join == "" {
		res, err := cluster.Init(n.cfg.DataDir, cluster.InitOptions{Hosts: n.cfg.Hosts, Now: n.cfg.Now, AdminPassword: n.cfg.AdminPassword})
		switch {
		case err == nil:
			n.initRes = &res
			n.log.Info("created a new cluster", "cluster", res.ClusterID, "admin", res.AdminUser,
				"token_expires", res.TokenExpires)
		case errors.Is(err, cluster.ErrAlreadyInitialised):
		default:
			return fmt.Errorf("create cluster: %w", err)
		}
	}
	ccfg := cluster.DefaultConfig()
	ccfg.DataDir = n.cfg.DataDir
	ccfg.NodeID = n.id
	ccfg.BindAddr = n.cfg.InternalAddr
	ccfg.AdvertiseAddr = n.cfg.AdvertiseAddr
	ccfg.HTTPAddr = n.listener.Addr().String()
	ccfg.Role = cluster.Role(strings.ToUpper(n.cfg.Role))
	ccfg.Hosts = n.cfg.Hosts
	ccfg.JoinAddr = n.cfg.Join
	ccfg.JoinToken = n.cfg.Token
	ccfg.Peers = n.cfg.Peers
	if n.cfg.Join != "" {
		ccfg.Peers = append(ccfg.Peers, n.cfg.Join)
	}
	if n.cfg.Cluster != nil {
		n.cfg.Cluster(&ccfg)
	}
	c, err := cluster.New(ccfg, cluster.Deps{
		Logger:      n.cfg.Logger,
		Now:         n.cfg.Now,
		Events:      n.bus,
		LockGranted: n.auditLockGrant,
	})
	if err != nil {
		return err
	}
	n.cluster = c
	if err := c.Start(ctx); err != nil {
		return fmt.Errorf("control plane: %w", err)
	}
	return nil
}

// clusterInfo serves api.Cluster from the control plane's view.
type clusterInfo struct{ n *Node }

var _ api.Cluster = clusterInfo{}

func (c clusterInfo) Info(context.Context) (api.ClusterInfo, error) {
	st := c.n.cluster.Status()
	breakers := c.n.cluster.Client().Breakers()
	info := api.ClusterInfo{
		ClusterID: st.ClusterID, Self: st.NodeID, LeaderID: st.LeaderID, Term: st.Term,
		FencingToken: st.FencingToken, RaftState: st.RaftState, Index: st.Index, Config: st.Config,
	}
	for _, m := range st.Members {
		role := string(m.Role)
		if m.ID == st.LeaderID {
			role = string(cluster.RoleCoordinator)
		}
		info.Nodes = append(info.Nodes, api.NodeInfo{
			ID: m.ID, HTTPAddr: m.HTTPAddr, InternalAddr: m.InternalAddr, Role: role, Status: string(m.Status),
			StatusSince: m.StatusSince, Self: m.ID == st.NodeID, Leader: m.ID == st.LeaderID, Voter: m.Voter,
			Standby: m.Standby, Phi: m.Phi, LastSeenAt: m.LastHeartbeat, JoinedAt: m.JoinedAt,
			Breaker: breakers[m.InternalAddr],
		})
	}
	for _, s := range st.Services {
		info.Services = append(info.Services, api.ServiceInfo{ID: s.ID, Type: s.Type, NodeID: s.NodeID, Host: s.Host,
			Port: s.Port, Health: string(s.Health), UpdatedAt: s.UpdatedAt})
	}
	return info, nil
}

func (c clusterInfo) Leave(ctx context.Context) error {
	return c.n.cluster.Leave(ctx)
}
