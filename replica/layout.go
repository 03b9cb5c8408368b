package replica

import (
	"fmt"
	"sync"

	"github.com/distrisearch/distrisearch/cluster"
	"github.com/distrisearch/distrisearch/placement"
)

// Layout is the placement computed from one view: which members hold
// which partition. Every data-plane service (records, chunks) computes it
// the same way, so they agree on every replica set.
type Layout struct {
	View    *cluster.View
	Table   *placement.Table
	Members map[string]cluster.Member
}

// Alive reports whether id is an ALIVE member.
func (l *Layout) Alive(id string) bool {
	m, ok := l.Members[id]
	return ok && m.Status == cluster.StatusAlive
}

// Replicas returns the partition of key and its replica set's members.
func (l *Layout) Replicas(key string) (int, []cluster.Member) {
	p := l.Table.PartitionOf(key)
	ids := l.Table.ReplicaSet(p)
	out := make([]cluster.Member, len(ids))
	for i, id := range ids {
		out[i] = l.Members[id]
	}
	return p, out
}

// StorageMember reports whether m belongs on the ring: every member that
// has not left, except those that hold no data (gateways, coordinators).
// DEAD members stay on the ring: moving their partitions is rebalancing,
// which decides it explicitly; until then they get hints.
func StorageMember(m cluster.Member) bool {
	if m.Status == cluster.StatusLeft {
		return false
	}
	return m.Role != cluster.RoleGateway && m.Role != cluster.RoleCoordinator
}

// LayoutCache computes the Layout of a view, again only when the view
// changed. It is safe for concurrent use.
type LayoutCache struct {
	VirtualNodes int
	LoadBound    float64

	mu  sync.Mutex // guards cur
	cur *Layout
}

// Get returns the layout of v, or ErrNoPlacement when v has no storage
// member or no partitions.
func (c *LayoutCache) Get(v *cluster.View) (*Layout, error) {
	if v == nil {
		return nil, ErrNoPlacement
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.cur != nil && c.cur.View == v {
		return c.cur, nil
	}
	var ids []string
	members := make(map[string]cluster.Member, len(v.Members))
	for _, m := range v.Members {
		members[m.ID] = m
		if StorageMember(m) {
			ids = append(ids, m.ID)
		}
	}
	if len(ids) == 0 || v.Config.PartitionCount < 1 || v.Config.ReplicationFactor < 1 {
		return nil, ErrNoPlacement
	}
	t, err := placement.NewTable(placement.Config{
		Partitions:        v.Config.PartitionCount,
		ReplicationFactor: v.Config.ReplicationFactor,
		VirtualNodes:      c.VirtualNodes,
		LoadBound:         c.LoadBound,
	}, ids)
	if err != nil {
		return nil, fmt.Errorf("placement: %w", err)
	}
	c.cur = &Layout{View: v, Table: t, Members: members}
	return c.cur, nil
}
