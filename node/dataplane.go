package node

import (
	"context"
	"path/filepath"

	"github.com/distrisearch/distrisearch/api"
	"github.com/distrisearch/distrisearch/replica"
	"github.com/distrisearch/distrisearch/replica/kv"
	"github.com/distrisearch/distrisearch/replica/version"
)

// startDataPlane opens the replicated record store and builds the replica
// service on the control plane's membership and node-to-node transport,
// registering its internal routes. Its loops start with the node's.
//
// The scanner does not route records through it yet: records are indexed
// where their files are shared, and the service holds what is written to
// it (see replica/DESIGN.md for what comes next).
func (n *Node) startDataPlane() (err error) {
	if n.replicas, err = kv.Open(filepath.Join(n.cfg.DataDir, "replica.db"), kv.Options{Resolver: version.RecordResolver{}}); err != nil {
		return err
	}
	n.data, err = replica.New(replica.DefaultConfig(), replica.Deps{
		Self: n.id, View: n.cluster, Client: n.cluster.Client(), Store: n.replicas,
		Now: n.cfg.Now, Logger: n.cfg.Logger.With("node", n.id), Registerer: n.registry, Events: n.bus,
	})
	if err != nil {
		return err
	}
	n.data.Register(n.cluster)
	return nil
}

// dataPlane serves api.DataPlane from the replica service.
type dataPlane struct{ s *replica.Service }

var _ api.DataPlane = dataPlane{}

func (d dataPlane) DataStatus(context.Context) (any, error) { return d.s.Status() }
