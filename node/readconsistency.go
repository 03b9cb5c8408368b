package node

import (
	"context"
	"errors"
	"strings"
	"time"

	ds "github.com/distrisearch/distrisearch"
	"github.com/distrisearch/distrisearch/api"
	"github.com/distrisearch/distrisearch/replica"
)

// readWait bounds the replica read of a file request.
const readWait = 5 * time.Second

// errFileSuperseded: the replicas hold a newer version of the file, or
// its deletion; the id asked for is no longer current.
var errFileSuperseded = ds.Errorf(ds.KindNotFound, "file_not_found",
	"no current file has this id: the file was changed or deleted since (search again for its new id)")

// confirm checks rec, found by the nearest lookup (this node's store or
// replicas, else another node), against the replicas of its partition at
// the request's read consistency (api.ReadConsistencyFrom), repairing
// stale replicas on the way (replica.Service.Get). A file this node shares
// is its own truth and is not read back. The origin of a record stamps
// IndexedAt with its own clock, so versions of one key compare by it:
//   - the replicas hold the same version, or an older one (the origin's
//     replicator has not written the newest yet), or nothing: rec is
//     current (the replicas' copy is served when it is the same file);
//   - they hold a newer version, or a tombstone newer than rec: the id is
//     superseded, not found.
//
// When the replicas cannot answer at the level, a request that named it
// (Strict) fails with quorum_unavailable; one that did not is served the
// lookup's copy, and Achieved says "local".
func (n *Node) confirm(ctx context.Context, rec ds.Record) (ds.Record, error) {
	rc := api.ReadConsistencyFrom(ctx)
	if rc == nil {
		return rec, nil
	}
	rc.Achieved = "local"
	if n.data == nil || rec.NodeID == n.id && rec.Share != api.UploadShare || n.cluster.View().Config.PartitionCount < 1 {
		return rec, nil
	}
	rctx, cancel := context.WithTimeout(ctx, readWait)
	defer cancel()
	res, err := n.data.Get(rctx, rec.Key(), rc.Level)
	if err != nil {
		unavailable := errors.Is(err, replica.ErrQuorumUnavailable) || errors.Is(err, replica.ErrNoPlacement) || rctx.Err() != nil && ctx.Err() == nil
		if !unavailable || rc.Strict {
			return ds.Record{}, readError(err, rc)
		}
		n.log.Debug("file read served from the nearest copy", "file", rec.FileID, "err", err)
		return rec, nil
	}
	rc.Achieved = strings.ToLower(rc.Level.String())
	e := res.Envelope
	switch {
	case e.Key == "":
		return rec, nil // not replicated yet
	case e.Tombstone:
		if e.DeletedAt.After(rec.IndexedAt) {
			return ds.Record{}, errFileSuperseded
		}
		return rec, nil
	}
	got, ok := decodeReplicated(e)
	switch {
	case !ok:
		return rec, nil
	case got.FileID == rec.FileID:
		got.Content = ""
		return got, nil
	case got.IndexedAt.After(rec.IndexedAt):
		return ds.Record{}, errFileSuperseded
	}
	return rec, nil
}

// readError turns a failed replica read into what the API answers.
func readError(err error, rc *api.ReadConsistency) error {
	level := strings.ToLower(rc.Level.String())
	switch {
	case errors.Is(err, replica.ErrQuorumUnavailable), errors.Is(err, context.DeadlineExceeded):
		return &ds.Error{Kind: ds.KindUnavailable, Code: "quorum_unavailable",
			Message: "too few replicas of the file's record answered for consistency=" + level + "; try again later or with a weaker consistency", Err: err}
	case errors.Is(err, replica.ErrNoPlacement):
		return &ds.Error{Kind: ds.KindUnavailable, Code: "no_placement", Message: "the cluster has no storage members yet", Err: err}
	case errors.Is(err, replica.ErrClosed):
		return &ds.Error{Kind: ds.KindUnavailable, Code: "shutting_down", Message: "the node is shutting down", Err: err}
	}
	return err
}
