package node

import (
	ds "github.com/distrisearch/distrisearch"
	"github.com/distrisearch/distrisearch/cluster"
	"github.com/distrisearch/distrisearch/index"
	"github.com/distrisearch/distrisearch/placement"
	"github.com/distrisearch/distrisearch/replica"
	"github.com/distrisearch/distrisearch/store"
)

// A node holds two kinds of records: those of the files it shares or
// took as uploads (the record store, which also feeds the replicator),
// and replicas of other nodes' records for the partitions placement gives
// it (the data plane's store). The index covers both; these lookups find
// a record or its text in whichever holds it.
//
// holdings keeps the storage it reads (set once the node opened it), so
// that a lookup still running while the node closes meets a closed store,
// not a nil one.
type holdings struct {
	self    string
	cluster *cluster.Node
	store   *store.Store
	index   *index.Index
	data    *replica.Service
}

// partitionOf returns the data-plane partition of a record key, or -1
// while the cluster's partition count is not known yet.
func (h *holdings) partitionOf(key string) int {
	p := h.cluster.View().Config.PartitionCount
	if p < 1 {
		return -1
	}
	return placement.PartitionOf(key, p)
}

// replicated returns the replicated record under key, with its text, if
// this node holds a live copy of it.
func (h *holdings) replicated(key string) (ds.Record, bool, error) {
	p := h.partitionOf(key)
	if p < 0 || h.data == nil {
		return ds.Record{}, false, nil
	}
	e, ok, err := h.data.Local(p, key)
	if err != nil || !ok {
		return ds.Record{}, false, err
	}
	rec, ok := decodeReplicated(e)
	return rec, ok, nil
}

// record returns the record of file id held by this node, with its text
// when asked: its own from the record store, another node's from its
// replica.
func (h *holdings) record(id string, text bool) (ds.Record, error) {
	rec, err := h.store.ByFileID(id)
	if ds.KindOf(err) != ds.KindNotFound {
		if err == nil && text {
			rec.Content, err = h.store.Content(id)
			if ds.KindOf(err) == ds.KindNotFound {
				err = nil
			}
		}
		return rec, err
	}
	if !ds.IsFileID(id) {
		return ds.Record{}, err
	}
	key, ok, lerr := h.index.Locate(id)
	if lerr != nil {
		return ds.Record{}, lerr
	}
	if !ok {
		return ds.Record{}, err
	}
	rec, ok, rerr := h.replicated(key)
	if rerr != nil {
		return ds.Record{}, rerr
	}
	if !ok || rec.FileID != id {
		return ds.Record{}, err // indexed a moment ago, replaced since
	}
	if !text {
		rec.Content = ""
	}
	return rec, nil
}

// text is the index's TextSource: the text of a hit's file, from the
// record store for this node's files, else from the replicated record.
func (h *holdings) text(ref index.TextRef) (string, error) {
	if ref.Node == "" || ref.Node == h.self {
		return h.store.Content(ref.FileID)
	}
	rec, ok, err := h.replicated(ref.Key())
	if err != nil || !ok || rec.FileID != ref.FileID {
		return "", err
	}
	return rec.Content, nil
}
