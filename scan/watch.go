package scan

import (
	"errors"
	"fmt"
	"io/fs"
	"path/filepath"
	"strings"
	"syscall"

	"github.com/fsnotify/fsnotify"
)

// eventBuffer is the watcher's channel capacity: room for a burst while the
// loop is busy starting a job.
const eventBuffer = 1024

// watcher is an fsnotify watcher; a nil *watcher has nil channels, which
// never deliver.
type watcher struct {
	fw *fsnotify.Watcher
}

func newWatcher() (*watcher, error) {
	fw, err := fsnotify.NewBufferedWatcher(eventBuffer)
	if err != nil {
		return nil, err
	}
	return &watcher{fw: fw}, nil
}

func (w *watcher) events() <-chan fsnotify.Event {
	if w == nil {
		return nil
	}
	return w.fw.Events
}

func (w *watcher) errors() <-chan error {
	if w == nil {
		return nil
	}
	return w.fw.Errors
}

func (sh *shareScanner) closeWatcher() {
	if sh.w != nil {
		sh.w.fw.Close()
		sh.w = nil
	}
	clear(sh.watched)
	sh.limitWarn = false
	sh.stats.update(func(p *ShareProgress) { p.WatchedDirs = 0 })
}

// abs turns a share-relative path into an absolute one.
func (sh *shareScanner) abs(rel string) string {
	return filepath.Join(sh.absRoot, filepath.FromSlash(rel))
}

// relOf turns an event's absolute path into a share-relative one.
func (sh *shareScanner) relOf(name string) (string, bool) {
	if name == sh.absRoot {
		return ".", true
	}
	prefix := sh.absRoot
	if !strings.HasSuffix(prefix, string(filepath.Separator)) {
		prefix += string(filepath.Separator)
	}
	if !strings.HasPrefix(name, prefix) {
		return "", false
	}
	rel := filepath.ToSlash(name[len(prefix):])
	return rel, fs.ValidPath(rel)
}

// watch adds a watch on the directory rel. It is called before the
// directory is read, so nothing created meanwhile is missed.
func (sh *shareScanner) watch(rel string) {
	if sh.w == nil {
		return
	}
	if _, ok := sh.watched[rel]; ok {
		return
	}
	if err := sh.w.fw.Add(sh.abs(rel)); err != nil {
		if errors.Is(err, syscall.ENOSPC) && !sh.limitWarn {
			sh.limitWarn = true
			sh.problem(rel, fmt.Errorf("file watch limit reached (raise fs.inotify.max_user_watches); changes below here are found by periodic walks: %w", err))
		} else {
			sh.log.Debug("watch failed", "path", rel, "err", err)
		}
		return
	}
	sh.watched[rel] = struct{}{}
	n := len(sh.watched)
	sh.stats.update(func(p *ShareProgress) { p.WatchedDirs = n })
}

// unwatchTree removes the watches on rel and the directories below it.
func (sh *shareScanner) unwatchTree(rel string) {
	if sh.w == nil {
		return
	}
	for d := range sh.watched {
		if d == rel || strings.HasPrefix(d, rel+"/") || rel == "." {
			sh.w.fw.Remove(sh.abs(d)) // the kernel may have dropped it already
			delete(sh.watched, d)
		}
	}
	n := len(sh.watched)
	sh.stats.update(func(p *ShareProgress) { p.WatchedDirs = n })
}
