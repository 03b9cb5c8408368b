package replica

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/distrisearch/distrisearch/clock"
	"github.com/distrisearch/distrisearch/cluster"
	"github.com/distrisearch/distrisearch/events"
	"github.com/distrisearch/distrisearch/replica/kv"
	"github.com/distrisearch/distrisearch/replica/version"
)

// Errors returned by the service.
var (
	// ErrQuorumUnavailable: too few replicas acknowledged (or answered) for
	// the requested level. A failed write may still have landed on some
	// replicas, and hints for the others are kept: its outcome is unknown.
	ErrQuorumUnavailable = errors.New("replica: quorum unavailable")
	// ErrNoPlacement: the view has no storage members or no cluster config.
	ErrNoPlacement = errors.New("replica: no placement (no storage members in the view)")
	// ErrClosed: the service was closed.
	ErrClosed = errors.New("replica: service closed")
)

// EventConflict is the type of the event published when a concurrent write
// is overwritten.
const EventConflict = "replica_conflict_overwritten"

// Conflict describes an overwritten concurrent write.
type Conflict struct {
	Node      string `json:"node"` // the replica where it happened
	Partition int    `json:"partition"`
	Key       string `json:"key"`
	Lost      string `json:"lost"`   // version whose state was overwritten
	Result    string `json:"result"` // version now stored
}

// Service is one node's replication service.
type Service struct {
	cfg   Config
	deps  Deps
	self  string
	store *kv.Store
	hlc   *clock.HLC
	log   *slog.Logger
	m     *metrics

	counterMu   sync.Mutex // guards lastCounter
	lastCounter uint64     // largest clock counter this node issued

	layouts LayoutCache

	stats stats
	txn   *txnState // two-phase commit (txn.go)

	ctx     context.Context // cancelled by Close; background work derives from it
	cancel  context.CancelFunc
	wg      sync.WaitGroup // background work and loops
	started atomic.Bool
	closed  atomic.Bool
	bgMu    sync.Mutex // orders wg.Add after Close's check, so Wait never races an Add

	aeRun sync.Mutex // serialises anti-entropy rounds
	aeMu  sync.Mutex // guards ae
	ae    AntiEntropyStatus
}

// stats are the counters Status reports (the metrics hold the same).
type stats struct {
	conflicts, overwritten, readRepairs      atomic.Uint64
	hintsStored, hintsReplayed, hintsDropped atomic.Uint64
	handedOff, keysMoved                     atomic.Uint64 // partitions handed over, keys they sent
}

// New returns a service. It starts nothing: call Register, then Start.
func New(cfg Config, deps Deps) (*Service, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if deps.Self == "" || deps.View == nil || deps.Client == nil || deps.Store == nil {
		return nil, errors.New("replica: Self, View, Client and Store are required")
	}
	if deps.Now == nil {
		deps.Now = time.Now
	}
	if deps.Logger == nil {
		deps.Logger = slog.New(slog.DiscardHandler)
	}
	if deps.PeerID == nil {
		deps.PeerID = cluster.PeerID
	}
	hlc, err := clock.NewHLC(clock.DefaultHLCConfig(deps.Now))
	if err != nil {
		return nil, err
	}
	s := &Service{cfg: cfg, deps: deps, self: deps.Self, store: deps.Store, hlc: hlc,
		layouts: LayoutCache{VirtualNodes: cfg.VirtualNodes, LoadBound: cfg.LoadBound},
		log:     deps.Logger.With("component", "replica")}
	s.m, err = newMetrics(deps.Registerer, s)
	if err != nil {
		return nil, err
	}
	if s.txn, err = newTxnState(deps.Txn, deps.Registerer, s); err != nil {
		return nil, err
	}
	s.txn.hook = deps.TxnHook
	s.ctx, s.cancel = context.WithCancel(context.Background())
	return s, nil
}

// Register adds the node-to-node routes to r, each behind MemberOnly.
func (s *Service) Register(r Router) {
	h := func(f http.HandlerFunc) http.Handler { return r.MemberOnly(f) }
	r.HandleInternal("POST "+PathWrite, h(s.handleWrite))
	r.HandleInternal("GET "+PathRead+"{resource_id}", h(s.handleRead))
	r.HandleInternal("GET "+PathMerkleRoot, h(s.handleRoot))
	r.HandleInternal("POST "+PathMerkleRoots, h(s.handleRoots))
	r.HandleInternal("POST "+PathMerkleChildren, h(s.handleChildren))
	r.HandleInternal("POST "+PathMerkleLeaves, h(s.handleLeaves))
	r.HandleInternal("POST "+PathEntries, h(s.handleEntries))
	r.HandleInternal("POST "+PathTxnPrepare, h(s.handleTxnPrepare))
	r.HandleInternal("POST "+PathTxnCommit, h(s.handleTxnCommit))
	r.HandleInternal("POST "+PathTxnAbort, h(s.handleTxnAbort))
}

// Start runs the hint replay, anti-entropy, tombstone collection and
// transaction recovery loops until ctx ends or Close is called.
func (s *Service) Start(ctx context.Context) error {
	s.bgMu.Lock()
	defer s.bgMu.Unlock()
	if s.closed.Load() {
		return ErrClosed
	}
	if !s.started.CompareAndSwap(false, true) {
		return errors.New("replica: already started")
	}
	stop := context.AfterFunc(ctx, s.cancel)
	s.loop(s.cfg.HintInterval, func(ctx context.Context) {
		if _, err := s.ReplayHints(ctx); err != nil && ctx.Err() == nil {
			s.log.Debug("hint replay", "err", err)
		}
	})
	var placed [32]byte // the placement last synchronised (owned by this loop)
	var retryAt time.Time
	s.loop(s.cfg.HintInterval, func(ctx context.Context) {
		placed, retryAt = s.syncOnPlacementChange(ctx, placed, retryAt)
	})
	s.loop(s.cfg.AntiEntropyInterval, func(ctx context.Context) {
		if _, err := s.RunAntiEntropy(ctx); err != nil && ctx.Err() == nil {
			s.log.Debug("anti-entropy", "err", err)
		}
	})
	s.loop(s.cfg.GCInterval, func(context.Context) {
		n, err := s.store.CollectTombstones(s.deps.Now().Add(-s.cfg.TombstoneGrace))
		if err != nil {
			s.log.Warn("collect tombstones", "err", err)
		} else if n > 0 {
			s.log.Info("collected tombstones", "count", n)
		}
	})
	s.loop(s.txn.cfg.RecoveryInterval, s.recoverTxns)
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		<-s.ctx.Done()
		stop()
	}()
	return nil
}

// syncOnPlacementChange runs an anti-entropy round as soon as this node
// sees a placement it has not synchronised yet — at start, and whenever a
// member joins or leaves the ring. That is how partitions move: a new
// replica of a partition and the replicas it already had compare their
// Merkle trees and the newcomer pulls every key it lacks (both sides run
// it, whichever sees the change first). A round that failed is retried
// after a pause; the periodic round remains the backstop.
func (s *Service) syncOnPlacementChange(ctx context.Context, placed [32]byte, retryAt time.Time) ([32]byte, time.Time) {
	l, err := s.layout()
	if err != nil {
		return placed, retryAt
	}
	d := l.Table.Digest()
	if d == placed || s.deps.Now().Before(retryAt) {
		return placed, retryAt
	}
	rd, err := s.RunAntiEntropy(ctx)
	if err != nil {
		if ctx.Err() == nil {
			s.log.Debug("anti-entropy after a placement change", "err", err)
		}
		return placed, s.deps.Now().Add(5 * s.cfg.HintInterval)
	}
	if rd.Keys > 0 {
		s.log.Info("partitions synchronised after a placement change", "compared", rd.Compared, "differed", rd.Differed, "keys", rd.Keys)
	}
	return d, time.Time{}
}

// loop runs f every interval on its own goroutine until the service stops.
func (s *Service) loop(every time.Duration, f func(context.Context)) {
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		t := time.NewTicker(every)
		defer t.Stop()
		for {
			select {
			case <-s.ctx.Done():
				return
			case <-t.C:
				f(s.ctx)
			}
		}
	}()
}

// Close stops the loops and waits for them and for background writes and
// repairs. It does not close the store. It is safe to call more than once
// and without Start.
func (s *Service) Close() error {
	s.bgMu.Lock()
	s.closed.Store(true)
	s.bgMu.Unlock()
	s.cancel()
	s.wg.Wait()
	return nil
}

// background runs f on a tracked goroutine with a context bounded by
// BackgroundTimeout and cancelled by Close.
func (s *Service) background(f func(ctx context.Context)) {
	s.bgMu.Lock()
	defer s.bgMu.Unlock()
	if s.closed.Load() {
		return
	}
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		ctx, cancel := context.WithTimeout(s.ctx, s.cfg.BackgroundTimeout)
		defer cancel()
		f(ctx)
	}()
}

// layout returns the placement for the current view.
func (s *Service) layout() (*Layout, error) { return s.layouts.Get(s.deps.View.View()) }

// applyLocal stores e in this node's copy of partition p, counting and
// reporting an overwritten concurrent write.
func (s *Service) applyLocal(p int, e version.Envelope) (kv.Applied, error) {
	res, err := s.store.Apply(p, e)
	if err != nil {
		return res, err
	}
	if res.Changed && s.deps.Applied != nil {
		s.deps.Applied(p, res)
	}
	if res.Outcome.Merged {
		s.stats.conflicts.Add(1)
		s.m.conflicts.Inc()
	}
	if res.Outcome.Overwritten {
		s.stats.overwritten.Add(1)
		s.m.overwritten.Inc()
		c := Conflict{Node: s.self, Partition: p, Key: e.Key, Lost: res.Outcome.Lost.String(), Result: res.Stored.Version.String()}
		s.log.Warn("concurrent write overwritten", "partition", p, "key", e.Key, "lost", c.Lost, "result", c.Result)
		if s.deps.Events != nil {
			if ev, err := events.New(EventConflict, c); err == nil {
				ev.Node = s.self
				if _, err := s.deps.Events.Publish(ev); err != nil {
					s.log.Warn("publish conflict event", "err", err)
				}
			}
		}
	}
	return res, nil
}

// Local returns this node's stored copy of key in partition p (a
// tombstone included), without asking any other replica.
func (s *Service) Local(p int, key string) (version.Envelope, bool, error) {
	return s.store.Get(p, key)
}

// MaxValueBytes is the largest value Put accepts.
func (s *Service) MaxValueBytes() int { return s.cfg.MaxValueBytes }

// MaxTxnOps returns the most writes one Atomic call may carry
// (TxnConfig.MaxOps).
func (s *Service) MaxTxnOps() int { return s.txn.cfg.MaxOps }

// nextVersion returns the version of a new write of key over base.
func (s *Service) nextVersion(base version.Version) (version.Version, error) {
	ts := s.hlc.Now()
	s.counterMu.Lock()
	c := version.Counter(base.Clock, s.self, ts, s.lastCounter)
	s.lastCounter = c
	s.counterMu.Unlock()
	return version.Next(base, s.self, ts, c)
}
