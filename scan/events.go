package scan

import (
	"context"
	"errors"
	"io/fs"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/fsnotify/fsnotify"
)

// onEvent records the path an event names and (re)arms the debounce timer.
func (sh *shareScanner) onEvent(ev fsnotify.Event) {
	rel, ok := sh.relOf(ev.Name)
	if !ok {
		return
	}
	if rel == "." {
		// The share root itself was removed, moved or changed.
		sh.walkAgain = true
		return
	}
	now := time.Now()
	if len(sh.pending) == 0 {
		sh.firstEvent = now
	}
	sh.pending[rel] = struct{}{}
	sh.deadline = now.Add(sh.sc.cfg.Debounce)
	if last := sh.firstEvent.Add(sh.sc.cfg.MaxDelay); last.Before(sh.deadline) {
		sh.deadline = last
	}
	sh.debounce.Reset(time.Until(sh.deadline))
}

// poll is called between the entries of a walk and the paths of an event
// batch: it takes the watcher's news, so the watcher never waits on a busy
// loop, and, outside an event batch, handles pending events when they are
// due, so a long walk does not delay them.
func (sh *shareScanner) poll(ctx context.Context) {
	for range eventBuffer {
		select {
		case ev, ok := <-sh.w.events():
			if !ok {
				sh.watcherLost()
				return
			}
			sh.onEvent(ev)
			continue
		case err, ok := <-sh.w.errors():
			if !ok {
				sh.watcherLost()
				return
			}
			sh.onWatchError(err)
			continue
		case err := <-sh.inject:
			sh.onWatchError(err)
			continue
		default:
		}
		break
	}
	if !sh.inEvents && len(sh.pending) > 0 && !time.Now().Before(sh.deadline) {
		sh.processPending(ctx)
		sh.apply(ctx) // what needed no job goes out now; the rest with the walk's batches
	}
}

// processPending handles the paths named by events: paths that are gone
// first (so the watches of a moved directory are dropped before its new
// name is watched), then the others in order, each as what it is now.
func (sh *shareScanner) processPending(ctx context.Context) {
	if len(sh.pending) == 0 || sh.inEvents {
		return
	}
	sh.inEvents = true
	defer func() { sh.inEvents = false }()
	paths := slices.Sorted(maps.Keys(sh.pending))
	clear(sh.pending)
	sh.debounce.Stop()

	// A job still reading one of these paths must finish first, so that
	// the changes for a path reach the Sink in the order they happened.
	for _, p := range paths {
		if err := sh.waitJobs(ctx, p); err != nil {
			return
		}
	}
	type item struct {
		rel  string
		kind entryKind
		fi   fs.FileInfo
	}
	items := make([]item, 0, len(paths))
	for _, p := range paths {
		k, fi := sh.classify(p)
		items = append(items, item{p, k, fi})
	}
	for _, it := range items {
		if it.kind == kindGone || it.kind == kindIgnored {
			sh.unwatchTree(it.rel)
			if err := sh.deleteTree(eventSet, it.rel); err != nil {
				sh.problem(it.rel, err)
			}
		}
	}
	var walked []string // directories walked in this pass
	for _, it := range items {
		if slices.ContainsFunc(walked, func(d string) bool { return strings.HasPrefix(it.rel, d+"/") }) {
			continue // covered by the walk of a parent
		}
		sh.poll(ctx)
		var err error
		switch it.kind {
		case kindDir:
			if err = sh.deleteIfKnown(eventSet, it.rel); err == nil {
				err = sh.walk(ctx, it.rel, eventSet)
			}
			walked = append(walked, it.rel)
		case kindFile, kindOther:
			sh.unwatchTree(it.rel)
			if err = sh.deleteChildren(eventSet, it.rel); err == nil {
				err = sh.visit(ctx, it.rel, it.fi.Mode().Type(), func() (fs.FileInfo, error) { return it.fi, nil }, eventSet)
			}
		case kindUnknown:
			sh.log.Debug("cannot examine changed path", "path", it.rel)
		}
		switch {
		case err == nil:
		case ctx.Err() != nil:
			return
		case errors.Is(err, fs.ErrNotExist):
			// Gone again since it was classified; its removal is an event of its own.
		default:
			sh.problem(it.rel, err)
		}
	}
}
