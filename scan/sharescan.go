package scan

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"time"

	"github.com/distrisearch/distrisearch"
	"github.com/fsnotify/fsnotify"
)

// shareScanner runs the loop of one share. Fields below "owned by the
// loop" are touched only by the goroutine running run (and the walk and
// event handling it calls), never by jobs.
type shareScanner struct {
	sc        *Scanner
	share     Share
	log       *slog.Logger
	keyPrefix string // distrisearch.RecordKey(node, share, "")
	stats     stats
	ops       *pendingOps

	rescanReq chan struct{}                                     // capacity 1: Rescan
	inject    chan error                                        // test seam: errors delivered as if by the watcher
	openFn    func(root *os.Root, rel string) (*os.File, error) // openFile; a test seam

	// Owned by the loop.
	root       *os.Root // the share root, reopened by each full walk
	absRoot    string   // Root with symbolic links resolved
	w          *watcher // nil when not watching
	watched    map[string]struct{}
	limitWarn  bool                // the watch limit was reported in this walk
	pending    map[string]struct{} // paths named by events, not yet handled
	firstEvent time.Time
	deadline   time.Time   // when pending is due
	debounce   *time.Timer // fires at deadline
	flush      *time.Timer // fires when unapplied changes grow old
	next       *time.Timer // next periodic walk
	retry      *time.Timer // walk again after a failure
	inEvents   bool        // processPending runs (it does not nest)
	walkAgain  bool        // a full walk is due
}

func newShareScanner(s *Scanner, sh Share) *shareScanner {
	ss := &shareScanner{
		sc:        s,
		share:     sh,
		log:       s.log.With("share", sh.Name),
		keyPrefix: distrisearch.RecordKey(s.cfg.NodeID, sh.Name, ""),
		ops:       newPendingOps(),
		rescanReq: make(chan struct{}, 1),
		inject:    make(chan error, 1),
		openFn:    openFile,
		pending:   map[string]struct{}{},
		watched:   map[string]struct{}{},
	}
	ss.stats.p = ShareProgress{Name: sh.Name, Root: sh.Root, Phase: PhaseStarting, SkipReasons: map[string]int64{}}
	return ss
}

// stoppedTimer returns a timer that has not been started.
func stoppedTimer() *time.Timer {
	t := time.NewTimer(time.Hour)
	t.Stop()
	return t
}

// run is the share's loop.
func (sh *shareScanner) run(ctx context.Context) {
	sh.debounce, sh.flush, sh.next, sh.retry = stoppedTimer(), stoppedTimer(), stoppedTimer(), stoppedTimer()
	defer func() {
		sh.drain()
		sh.closeWatcher()
		if sh.root != nil {
			sh.root.Close()
		}
		for _, t := range []*time.Timer{sh.debounce, sh.flush, sh.next, sh.retry} {
			t.Stop()
		}
		sh.stats.update(func(p *ShareProgress) { p.Phase = PhaseStopped })
	}()

	sh.fullWalk(ctx)
	if ctx.Err() == nil {
		sh.sc.firstWalkDone()
	}
	for ctx.Err() == nil {
		if sh.walkAgain {
			sh.walkAgain = false
			sh.fullWalk(ctx)
			continue
		}
		select {
		case <-ctx.Done():
			return
		case ev, ok := <-sh.w.events():
			if !ok {
				sh.watcherLost()
				continue
			}
			sh.onEvent(ev)
		case err, ok := <-sh.w.errors():
			if !ok {
				sh.watcherLost()
				continue
			}
			sh.onWatchError(err)
		case err := <-sh.inject:
			sh.onWatchError(err)
		case <-sh.debounce.C:
			sh.processPending(ctx)
		case <-sh.ops.done:
		case <-sh.flush.C:
		case <-sh.next.C:
			sh.walkAgain = true
		case <-sh.rescanReq:
			sh.walkAgain = true
		case <-sh.retry.C:
			sh.walkAgain = true
		}
		sh.settle(ctx)
	}
}

// settle applies finished changes: at once when no job is running (the end
// of an event batch), else when a batch is full or old; it arms the flush
// timer for what remains.
func (sh *shareScanner) settle(ctx context.Context) {
	if sh.ops.len() == 0 {
		return
	}
	if sh.ops.running() == 0 || sh.ops.due(&sh.sc.cfg) {
		sh.apply(ctx)
	}
	if sh.ops.len() > 0 {
		sh.flush.Reset(sh.sc.cfg.FlushInterval)
	}
}

// fullWalk walks the whole share with a fresh watcher and root handle, then
// reconciles deletions.
func (sh *shareScanner) fullWalk(ctx context.Context) {
	// Finish and apply earlier work first: the walk's snapshot of the
	// Catalog must include it, and the old root and watcher must be idle.
	if err := sh.waitJobs(ctx, ""); err != nil {
		return
	}
	sh.apply(ctx)
	now := sh.sc.cfg.Now()
	sh.stats.update(func(p *ShareProgress) {
		p.Phase, p.Walk, p.WalkStarted = PhaseWalking, Counters{}, now
	})
	sh.log.Debug("walk started")

	err := sh.openRoot()
	if err == nil {
		err = sh.walk(ctx, "", walkSet)
	}
	if err == nil {
		err = sh.waitJobs(ctx, "")
	}
	sh.apply(ctx)

	phase := PhaseWatching
	if sh.w == nil {
		phase = PhaseIdle
	}
	switch {
	case ctx.Err() != nil:
		return
	case err != nil:
		sh.problem("", fmt.Errorf("walk: %w", err))
		sh.retry.Reset(sh.sc.cfg.RetryDelay)
		sh.stats.update(func(p *ShareProgress) { p.Phase = phase })
	default:
		end := sh.sc.cfg.Now()
		sh.stats.update(func(p *ShareProgress) {
			p.Phase, p.WalkFinished = phase, end
			p.Walks++
		})
		c := sh.stats.snapshot().Walk
		sh.log.Info("walk finished", "seen", c.Seen, "indexed", c.Indexed, "unchanged", c.Unchanged,
			"skipped", c.Skipped, "failed", c.Failed, "deleted", c.Deleted, "took", end.Sub(now))
	}
	if sh.sc.cfg.Interval > 0 {
		sh.next.Reset(sh.sc.cfg.Interval)
	}
}

// openRoot resolves and opens the share root and starts a fresh watcher.
func (sh *shareScanner) openRoot() error {
	abs, err := filepath.EvalSymlinks(sh.share.Root)
	if err != nil {
		return fmt.Errorf("share root: %w", err)
	}
	root, err := os.OpenRoot(abs)
	if err != nil {
		return fmt.Errorf("share root: %w", err)
	}
	if sh.root != nil {
		sh.root.Close()
	}
	sh.root, sh.absRoot = root, abs
	sh.closeWatcher()
	if !sh.sc.cfg.NoWatch {
		w, err := newWatcher()
		if err != nil {
			sh.problem("", fmt.Errorf("file events unavailable, relying on walks: %w", err))
		}
		sh.w = w
	}
	return nil
}

// apply hands the pending changes to the Sink.
func (sh *shareScanner) apply(ctx context.Context) {
	b := sh.ops.take(sh.share.Name)
	if b.Len() == 0 || ctx.Err() != nil {
		return
	}
	sh.sc.applyMu.Lock()
	err := sh.sc.sink.Apply(ctx, b)
	sh.sc.applyMu.Unlock()
	if err != nil && ctx.Err() == nil {
		sh.problem("", fmt.Errorf("apply %d changes (walking again in %v): %w", b.Len(), sh.sc.cfg.RetryDelay, err))
		sh.retry.Reset(sh.sc.cfg.RetryDelay)
	}
}

// waitJobs waits until no job reads rel or a file below it ("" = any job).
func (sh *shareScanner) waitJobs(ctx context.Context, rel string) error {
	for sh.ops.conflicts(rel) {
		select {
		case <-sh.ops.done:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	return nil
}

// drain waits for every job, even after cancellation.
func (sh *shareScanner) drain() {
	for sh.ops.running() > 0 {
		<-sh.ops.done
	}
}

// problem logs err and keeps it as an error sample.
func (sh *shareScanner) problem(rel string, err error) {
	sh.log.Warn("scan problem", "path", rel, "err", err)
	sh.stats.sample(ErrorSample{Time: sh.sc.cfg.Now(), Path: rel, Error: err.Error()})
}

// onWatchError handles an error from the watcher: events may have been
// lost, so the share is walked again.
func (sh *shareScanner) onWatchError(err error) {
	if errors.Is(err, fsnotify.ErrEventOverflow) {
		err = fmt.Errorf("file event queue overflowed, walking the share again: %w", err)
	} else {
		err = fmt.Errorf("file watcher, walking the share again: %w", err)
	}
	sh.problem("", err)
	sh.walkAgain = true
}

// watcherLost handles a watcher whose channels closed on their own.
func (sh *shareScanner) watcherLost() {
	sh.closeWatcher()
	sh.problem("", errors.New("file watcher stopped, walking the share again"))
	sh.walkAgain = true
}
