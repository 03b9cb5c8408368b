package node

import (
	"context"
	"fmt"
	"path/filepath"

	"github.com/distrisearch/distrisearch/api"
	"github.com/distrisearch/distrisearch/replica"
	"github.com/distrisearch/distrisearch/replica/chunks"
	"github.com/distrisearch/distrisearch/replica/kv"
	"github.com/distrisearch/distrisearch/replica/version"
)

// startDataPlane opens the replicated record store and builds the replica
// service on the control plane's membership and node-to-node transport,
// registering its internal routes, then the chunk service of file
// contents (startChunks). Its loops start with the node's.
//
// Every record this node writes to its record store is written to the
// data plane by the replicator (replicate.go); every replica this node
// receives of another node's record is indexed by the replica indexer
// (replindex.go); every folder notice it receives is delivered to its
// owner by the notice box (foldernotice.go).
func (n *Node) startDataPlane() (err error) {
	if n.replicas, err = kv.Open(filepath.Join(n.cfg.DataDir, "replica.db"), kv.Options{Resolver: version.RecordResolver{}}); err != nil {
		return err
	}
	rcfg := replica.DefaultConfig()
	n.notices = newNoticeBox(n)
	deps := replica.Deps{
		Self: n.id, View: n.cluster, Client: n.cluster.Client(), Store: n.replicas,
		Now: n.cfg.Now, Logger: n.cfg.Logger.With("node", n.id), Registerer: n.registry, Events: n.bus,
		Applied: n.applied, Decider: n.cluster,
	}
	if n.cfg.DataPlane != nil {
		n.cfg.DataPlane(&rcfg, &deps)
	}
	n.layouts = replica.LayoutCache{VirtualNodes: rcfg.VirtualNodes, LoadBound: rcfg.LoadBound}
	n.replIndex = newReplicaIndexer(n.id, n.index, n.replicas.Get, func(msg string, args ...any) { n.log.Error(msg, args...) })
	n.replIndex.inStore = func(key string) bool {
		_, ok, err := n.store.State(key)
		return ok || err != nil
	}
	n.replIndex.startup = func() {
		// The one walk through the replica store at start also finds the
		// folder notices this node holds.
		each := func(p int, fn func(version.Envelope) error) error {
			return n.replicas.ForEach(p, func(e version.Envelope) error {
				if isNoticeKey(e.Key) {
					n.notices.observe(p, e)
					return nil
				}
				return fn(e)
			})
		}
		added, removed, err := n.replIndex.reconcile(n.replicas.Partitions(), each, n.held.partitionOf)
		switch {
		case err != nil:
			n.log.Error("reconciling the index with the replicas", "err", err)
		case added+removed > 0:
			n.log.Warn("index reconciled with the replicas", "indexed", added, "removed", removed)
		}
	}
	n.data, err = replica.New(rcfg, deps)
	if err != nil {
		return err
	}
	n.held.data = n.data
	n.data.Register(n.cluster)
	return n.startChunks(rcfg)
}

// applied is the data plane's Deps.Applied: folder notices go to the
// notice box, records to the replica indexer.
func (n *Node) applied(p int, a kv.Applied) {
	if isNoticeKey(a.Stored.Key) {
		n.notices.observe(p, a.Stored)
		return
	}
	n.replIndex.Notify(p, a)
	n.chunkFix.Notify(p, a)
}

// startChunks opens the chunk store (DATA/chunks, bounded by
// ChunkStoreMaxBytes) and builds the chunk service on the same membership,
// transport and placement as the records, so that an uploaded file's
// chunks live on the replicas of its record's partition.
func (n *Node) startChunks(rcfg replica.Config) error {
	st, err := chunks.OpenStore(filepath.Join(n.cfg.DataDir, "chunks"), chunks.StoreOptions{MaxBytes: n.cfg.ChunkStoreMaxBytes, Now: n.cfg.Now})
	if err != nil {
		return fmt.Errorf("chunk store: %w", err)
	}
	ccfg := chunks.DefaultConfig()
	ccfg.VirtualNodes, ccfg.LoadBound = rcfg.VirtualNodes, rcfg.LoadBound
	ccfg.TransferRate = max(n.cfg.TransferBytesPerSecond, 0)
	if n.chunks, err = chunks.New(ccfg, chunks.Deps{Self: n.id, View: n.cluster, Client: n.cluster.Client(), Store: st,
		Logger: n.cfg.Logger.With("node", n.id)}); err != nil {
		return err
	}
	n.chunks.Register(n.cluster)
	return nil
}

// dataPlane serves api.DataPlane from the replica service and the
// replicator.
type dataPlane struct {
	s      *replica.Service
	outbox *replicator
	chunks *chunkGC
}

var _ api.DataPlane = dataPlane{}

// dataStatus is the data plane's part of GET /api/cluster: the replica
// service's status and, under "outbox", this node's record changes not
// yet written to their replicas, and under "chunks" its chunk store and
// garbage collection.
type dataStatus struct {
	replica.Status
	Outbox replicationStatus `json:"outbox"`
	Chunks chunkGCStatus     `json:"chunks"`
}

func (d dataPlane) DataStatus(context.Context) (any, error) {
	st, err := d.s.Status()
	return dataStatus{Status: st, Outbox: d.outbox.Status(), Chunks: d.chunks.Status()}, err
}
