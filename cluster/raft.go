package cluster

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"os"
	"time"

	"github.com/distrisearch/distrisearch/cluster/raftstore"
	"github.com/distrisearch/distrisearch/transport"
	"github.com/hashicorp/go-hclog"
	"github.com/hashicorp/raft"
)

// startRaft opens the Raft log (package raftstore, on bbolt) and snapshot store, creates the
// Raft instance over the mutual-TLS stream layer and, on the first start
// after Init, bootstraps a one-voter configuration.
func (n *Node) startRaft() error {
	hlog := hclog.New(&hclog.LoggerOptions{
		Name:   "raft",
		Level:  hclog.LevelFromString(n.cfg.RaftLogLevel),
		Output: &slogWriter{log: n.log.With("component", "raft")},
	})
	if err := os.MkdirAll(snapPath(n.cfg.DataDir), 0o700); err != nil {
		return fmt.Errorf("create raft dir: %w", err)
	}
	w, err := raftstore.Open(logPath(n.cfg.DataDir))
	if err != nil {
		return err
	}
	n.logs = w
	snaps, err := raft.NewFileSnapshotStoreWithLogger(snapPath(n.cfg.DataDir), 2, hlog.Named("snapshots"))
	if err != nil {
		return fmt.Errorf("open snapshot store: %w", err)
	}
	stream := transport.NewStreamLayer(n.mux.Listener(transport.ProtoRaft), strAddr(n.advertise),
		transport.ClientConfig(n.identity, transport.ProtoRaft, n.now), n.deps.Dial)
	trans := raft.NewNetworkTransportWithConfig(&raft.NetworkTransportConfig{
		Stream: stream, MaxPool: 3, Timeout: 2 * time.Second, Logger: hlog.Named("transport"),
	})
	rc := raft.DefaultConfig()
	rc.LocalID = raft.ServerID(n.id)
	rc.HeartbeatTimeout = n.cfg.HeartbeatTimeout
	rc.ElectionTimeout = n.cfg.ElectionTimeout
	rc.LeaderLeaseTimeout = n.cfg.LeaderLeaseTimeout
	rc.CommitTimeout = n.cfg.CommitTimeout
	rc.SnapshotInterval = n.cfg.SnapshotInterval
	rc.SnapshotThreshold = n.cfg.SnapshotThreshold
	rc.TrailingLogs = n.cfg.TrailingLogs
	rc.ShutdownOnRemove = false // a removed node stays quiet and can be promoted again
	rc.NoLegacyTelemetry = true
	rc.Logger = hlog
	if err := raft.ValidateConfig(rc); err != nil {
		trans.Close()
		return fmt.Errorf("raft config: %w", err)
	}
	existing, err := raft.HasExistingState(w, w, snaps)
	if err != nil {
		trans.Close()
		return fmt.Errorf("raft state: %w", err)
	}
	r, err := raft.NewRaft(rc, n.fsm, w, w, snaps, trans)
	if err != nil {
		trans.Close()
		return fmt.Errorf("start raft: %w", err)
	}
	n.raft = r
	if !existing && n.boot != nil {
		boot := raft.Configuration{Servers: []raft.Server{{Suffrage: raft.Voter, ID: rc.LocalID, Address: raft.ServerAddress(n.advertise)}}}
		if err := r.BootstrapCluster(boot).Error(); err != nil {
			return fmt.Errorf("bootstrap raft: %w", err)
		}
	}
	return nil
}

// raftConfig returns the latest Raft configuration this node knows.
func (n *Node) raftConfig() (raft.Configuration, error) {
	f := n.raft.GetConfiguration()
	if err := f.Error(); err != nil {
		return raft.Configuration{}, err
	}
	return f.Configuration(), nil
}

// strAddr is an advertised address as a net.Addr.
type strAddr string

func (a strAddr) Network() string { return "tcp" }
func (a strAddr) String() string  { return string(a) }

// slogWriter turns hclog's lines into slog records.
type slogWriter struct{ log *slog.Logger }

func (w *slogWriter) Write(p []byte) (int, error) {
	for _, line := range bytes.Split(bytes.TrimRight(p, "\n"), []byte("\n")) {
		level := slog.LevelInfo
		switch {
		case bytes.Contains(line, []byte("[ERROR]")):
			level = slog.LevelError
		case bytes.Contains(line, []byte("[WARN]")):
			level = slog.LevelWarn
		case bytes.Contains(line, []byte("[DEBUG]")), bytes.Contains(line, []byte("[TRACE]")):
			level = slog.LevelDebug
		}
		w.log.Log(context.Background(), level, string(line))
	}
	return len(p), nil
}
