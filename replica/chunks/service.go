package chunks

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"golang.org/x/time/rate"

	"github.com/distrisearch/distrisearch/cluster"
	"github.com/distrisearch/distrisearch/placement"
	"github.com/distrisearch/distrisearch/replica"
	"github.com/distrisearch/distrisearch/transport"
)

// Service errors.
var (
	// ErrQuorumUnavailable: fewer than W replicas stored every chunk. Some
	// chunks may remain on some replicas; they are garbage until a
	// manifest names them.
	ErrQuorumUnavailable = errors.New("chunks: quorum unavailable")
	// ErrUnavailable: no replica could serve a chunk.
	ErrUnavailable = errors.New("chunks: chunk unavailable on every replica")
	// ErrNoPlacement: the view has no storage members or no cluster config.
	ErrNoPlacement = replica.ErrNoPlacement
	// ErrFileTooLarge: the stream has more than MaxManifestChunks chunks.
	ErrFileTooLarge = errors.New("chunks: file too large for one manifest")
	// ErrClosed: the service was closed.
	ErrClosed = errors.New("chunks: service closed")
)

// The collaborators are the record layer's (package replica): the same
// membership, route registration and node-to-node transport.
type (
	// ViewSource gives the Raft-committed membership (*cluster.Node does).
	ViewSource = replica.ViewSource
	// Router registers node-to-node routes (*cluster.Node does).
	Router = replica.Router
	// Doer sends node-to-node requests over mutual TLS (*transport.Client does).
	Doer = replica.Doer
)

var (
	_ ViewSource = (*cluster.Node)(nil)
	_ Router     = (*cluster.Node)(nil)
	_ Doer       = (*transport.Client)(nil)
)

// Config tunes the service. Every node must use the same VirtualNodes and
// LoadBound as the record layer (replica.Config), so that chunks land on
// the replicas of their record's partition.
type Config struct {
	VirtualNodes int
	LoadBound    float64
	Chunking     ChunkerConfig
	// RequestTimeout bounds one call to a replica (one chunk transfer).
	RequestTimeout time.Duration
	// BackgroundTimeout bounds the sends that continue after PutStream
	// returned (replicas slower than the W-th).
	BackgroundTimeout time.Duration
	// Window is how many chunks one upload holds in memory at once: the
	// producer waits until every replica finished with the oldest.
	Window int
	// MissingBatch is the most hashes in one missing query.
	MissingBatch int
	// TransferRate bounds the bytes per second of background transfers —
	// chunks handed to a partition's new owners (Offer) and fetched to
	// repair this node's copies (Repair) — so that rebalancing and repair
	// leave room for uploads and downloads. 0: unbounded.
	TransferRate int64
}

// DefaultConfig returns the production defaults.
func DefaultConfig() Config {
	return Config{
		VirtualNodes:      placement.DefaultVirtualNodes,
		LoadBound:         placement.DefaultLoadBound,
		Chunking:          DefaultChunkerConfig(),
		RequestTimeout:    30 * time.Second,
		BackgroundTimeout: 2 * time.Minute,
		Window:            8,
		MissingBatch:      64,
	}
}

// Validate reports whether c is usable.
func (c Config) Validate() error {
	var errs []error
	if c.VirtualNodes < 1 || c.VirtualNodes > placement.MaxVirtualNodes {
		errs = append(errs, fmt.Errorf("virtual nodes %d outside 1..%d", c.VirtualNodes, placement.MaxVirtualNodes))
	}
	errs = append(errs, c.Chunking.Validate())
	if c.RequestTimeout <= 0 || c.BackgroundTimeout <= 0 {
		errs = append(errs, errors.New("timeouts must be positive"))
	}
	if c.TransferRate < 0 {
		errs = append(errs, errors.New("transfer rate must not be negative"))
	}
	if c.Window < 1 || c.MissingBatch < 1 || c.MissingBatch > MaxMissingBatch {
		errs = append(errs, fmt.Errorf("window must be positive and missing batch in 1..%d", MaxMissingBatch))
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("chunks config: %w", err)
	}
	return nil
}

// Deps are the service's collaborators.
type Deps struct {
	Self   string     // this node's id
	View   ViewSource // required
	Client Doer       // required
	Store  *Store     // required; the caller opens it
	Logger *slog.Logger
}

// Service replicates and serves chunks for one node.
type Service struct {
	cfg   Config
	deps  Deps
	store *Store
	log   *slog.Logger

	layouts replica.LayoutCache
	limiter *rate.Limiter // background transfers (TransferRate); nil: unbounded

	ctx    context.Context // cancelled by Close; sends that outlive PutStream derive from it
	cancel context.CancelFunc
	wg     sync.WaitGroup // senders
	bgMu   sync.Mutex     // orders wg.Add after Close's check
	closed bool           // guarded by bgMu
}

// New returns a service. It starts no goroutine: call Register to serve
// the routes.
func New(cfg Config, deps Deps) (*Service, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if deps.Self == "" || deps.View == nil || deps.Client == nil || deps.Store == nil {
		return nil, errors.New("chunks: Self, View, Client and Store are required")
	}
	if deps.Logger == nil {
		deps.Logger = slog.New(slog.DiscardHandler)
	}
	s := &Service{cfg: cfg, deps: deps, store: deps.Store, log: deps.Logger.With("component", "chunks")}
	s.layouts.VirtualNodes, s.layouts.LoadBound = cfg.VirtualNodes, cfg.LoadBound
	if cfg.TransferRate > 0 {
		s.limiter = rate.NewLimiter(rate.Limit(cfg.TransferRate), MaxChunkSize)
	}
	s.ctx, s.cancel = context.WithCancel(context.Background())
	return s, nil
}

// throttle waits until n more bytes of background transfer fit the
// TransferRate.
func (s *Service) throttle(ctx context.Context, n int) error {
	if s.limiter == nil {
		return nil
	}
	return s.limiter.WaitN(ctx, min(n, MaxChunkSize))
}

// Store returns the local chunk store.
func (s *Service) Store() *Store { return s.store }

// Close cancels the sends still running for earlier uploads and waits for
// them. It does not close the store. Safe to call more than once.
func (s *Service) Close() error {
	s.bgMu.Lock()
	s.closed = true
	s.bgMu.Unlock()
	s.cancel()
	s.wg.Wait()
	return nil
}

// goTracked runs f on a goroutine Close waits for; false if closed.
func (s *Service) goTracked(f func()) bool {
	s.bgMu.Lock()
	defer s.bgMu.Unlock()
	if s.closed {
		return false
	}
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		f()
	}()
	return true
}

// layout returns the placement for the current view: the record layer's
// (replica.Layout), so chunks live where their file's record does.
func (s *Service) layout() (*replica.Layout, error) { return s.layouts.Get(s.deps.View.View()) }
