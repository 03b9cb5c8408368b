package scan

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"sync/atomic"

	"github.com/distrisearch/distrisearch"
)

// Scanner scans the shares of one node. Create it with New, start it with
// Run; Progress, Rescan and Ready are safe for concurrent use at any time.
type Scanner struct {
	cfg    Config
	x      Extractor
	cat    Catalog
	sink   Sink
	log    *slog.Logger
	ignore ignorer

	sem     chan struct{} // one token per running job, over all shares
	applyMu sync.Mutex    // serialises Sink.Apply

	shares []*shareScanner
	byName map[string]*shareScanner

	started   atomic.Bool
	readyOnce sync.Once
	ready     chan struct{} // closed when every share finished its first walk
	readyLeft atomic.Int32
}

// New checks cfg and returns a Scanner that has not started anything.
func New(cfg Config, x Extractor, cat Catalog, sink Sink) (*Scanner, error) {
	cfg = cfg.withDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if x == nil || cat == nil || sink == nil {
		return nil, errors.New("scan: Extractor, Catalog and Sink are required")
	}
	s := &Scanner{
		cfg:    cfg,
		x:      x,
		cat:    cat,
		sink:   sink,
		log:    cfg.Logger.With("component", "scan"),
		ignore: newIgnorer(cfg.Ignore),
		sem:    make(chan struct{}, cfg.Workers),
		byName: map[string]*shareScanner{},
		ready:  make(chan struct{}),
	}
	for _, sh := range cfg.Shares {
		ss := newShareScanner(s, sh)
		s.shares = append(s.shares, ss)
		s.byName[sh.Name] = ss
	}
	s.readyLeft.Store(int32(len(s.shares)))
	if len(s.shares) == 0 { // a node without shares (a gateway) is ready at once
		s.readyOnce.Do(func() { close(s.ready) })
	}
	return s, nil
}

// Run scans until ctx is cancelled, then waits for everything it started and
// returns nil. It may be called once.
func (s *Scanner) Run(ctx context.Context) error {
	if !s.started.CompareAndSwap(false, true) {
		return errors.New("scan: Run called twice")
	}
	var wg sync.WaitGroup
	for _, sh := range s.shares {
		wg.Go(func() { sh.run(ctx) })
	}
	wg.Wait()
	return nil
}

// Ready is closed once every share has finished its first full walk (or
// failed to start it). It stays open if Run stops earlier.
func (s *Scanner) Ready() <-chan struct{} { return s.ready }

func (s *Scanner) firstWalkDone() {
	if s.readyLeft.Add(-1) == 0 {
		s.readyOnce.Do(func() { close(s.ready) })
	}
}

// Rescan asks for a full walk of the named share as soon as its loop is
// free. It does not wait for the walk.
func (s *Scanner) Rescan(share string) error {
	sh, ok := s.byName[share]
	if !ok {
		return distrisearch.Errorf(distrisearch.KindNotFound, "share_not_found", "no share named %q", share)
	}
	select {
	case sh.rescanReq <- struct{}{}:
	default: // one is already requested
	}
	return nil
}

// Shares returns the configured shares.
func (s *Scanner) Shares() []Share { return append([]Share(nil), s.cfg.Shares...) }

// Progress returns a snapshot of the scanner's counters and phases.
func (s *Scanner) Progress() Progress {
	shares := make([]ShareProgress, len(s.shares))
	for i, sh := range s.shares {
		shares[i] = sh.stats.snapshot()
	}
	return summarize(shares)
}
