package scan

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"strings"
	"syscall"
	"unicode/utf8"
)

// walk walks the directory prefix ("" = the whole share), watching every
// directory before reading it, starting jobs for new and changed files, and
// then deletes the records below prefix whose files are gone.
func (sh *shareScanner) walk(ctx context.Context, prefix string, set counterSet) error {
	start, keyPrefix := ".", sh.keyPrefix
	if prefix != "" {
		start, keyPrefix = prefix, sh.keyPrefix+prefix+"/"
	}
	if err := sh.waitJobs(ctx, prefix); err != nil {
		return err
	}
	// unseen: records below prefix that the walk has not met yet.
	unseen, err := sh.known(keyPrefix)
	if err != nil {
		return err
	}
	err = fs.WalkDir(sh.root.FS(), start, func(p string, d fs.DirEntry, err error) error {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		sh.poll(ctx)
		if sh.ops.due(&sh.sc.cfg) {
			sh.apply(ctx)
		}
		if err != nil {
			switch {
			case p == start:
				return err // nothing was read: abort, delete nothing
			case errors.Is(err, fs.ErrNotExist):
				sh.skipDir(p, reasonVanished, nil)
			default:
				// Files below keep their records: reconcile cannot see them gone.
				sh.skipDir(p, reasonUnreadableDir, err)
			}
			return nil
		}
		if p == start {
			if d.IsDir() {
				sh.watch(p)
			}
			return nil
		}
		if sh.sc.ignore.match(p, d.Name()) || !utf8.ValidString(p) {
			reason := reasonIgnored
			if !utf8.ValidString(p) {
				reason = reasonBadName
			}
			if d.IsDir() {
				sh.skipDir(p, reason, nil)
				return fs.SkipDir
			}
			sh.countSeen(set, 0)
			sh.skip(set, p, reason, nil)
			return nil // its record, if any, goes in reconcile
		}
		if d.IsDir() {
			sh.watch(p)
			return nil
		}
		delete(unseen, p)
		return sh.visit(ctx, p, d.Type(), d.Info, set)
	})
	if err != nil {
		return err
	}
	return sh.reconcile(unseen, set)
}

// known returns the share-relative paths of the records whose key starts
// with keyPrefix, counting changes not yet applied.
func (sh *shareScanner) known(keyPrefix string) (map[string]struct{}, error) {
	m := map[string]struct{}{}
	err := sh.sc.cat.States(keyPrefix, func(key string, _ State) error {
		m[strings.TrimPrefix(key, sh.keyPrefix)] = struct{}{}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("catalog: %w", err)
	}
	sh.ops.overlay(keyPrefix, func(key string, o op) {
		rel := strings.TrimPrefix(key, sh.keyPrefix)
		if o.kind == opDelete {
			delete(m, rel)
		} else {
			m[rel] = struct{}{}
		}
	})
	return m, nil
}

// visit handles one non-directory entry: counts it, skips what is not a
// regular file, and starts a job for a regular file that changed.
func (sh *shareScanner) visit(ctx context.Context, rel string, typ fs.FileMode, info func() (fs.FileInfo, error), set counterSet) error {
	switch {
	case typ&fs.ModeSymlink != 0:
		sh.countSeen(set, 0)
		sh.skip(set, rel, sh.symlinkReason(rel), nil)
		return sh.deleteIfKnown(set, rel)
	case !typ.IsRegular():
		sh.countSeen(set, 0)
		sh.skip(set, rel, reasonSpecial, nil)
		return sh.deleteIfKnown(set, rel)
	}
	if sh.ops.busy(rel) {
		return nil // a job of an event pass is reading it right now
	}
	fi, err := info()
	if err != nil {
		sh.countSeen(set, 0)
		if errors.Is(err, fs.ErrNotExist) {
			sh.skip(set, rel, reasonVanished, nil)
			return sh.deleteIfKnown(set, rel)
		}
		sh.skip(set, rel, reasonUnreadable, err)
		return nil
	}
	if !fi.Mode().IsRegular() {
		sh.countSeen(set, 0)
		sh.skip(set, rel, reasonChanged, nil)
		return nil
	}
	sh.countSeen(set, fi.Size())
	key := sh.key(rel)
	st, ok, err := sh.state(key)
	if err != nil {
		return err
	}
	if ok && st.Size == fi.Size() && st.ModTime == fi.ModTime().UnixNano() {
		sh.stats.count(set, func(c *Counters) { c.Unchanged++ })
		return nil
	}
	return sh.dispatch(ctx, job{root: sh.root, rel: rel, key: key, info: fi, prev: st, had: ok, set: set})
}

// reconcile deletes the records of unseen paths that are really gone: not
// there any more, ignored, or no longer a regular file. A path that cannot
// be examined keeps its record.
func (sh *shareScanner) reconcile(unseen map[string]struct{}, set counterSet) error {
	for rel := range unseen {
		if sh.ops.busy(rel) {
			continue
		}
		switch k, _ := sh.classify(rel); k {
		case kindGone, kindIgnored, kindDir, kindOther:
			if err := sh.deleteIfKnown(set, rel); err != nil {
				return err
			}
		}
	}
	return nil
}

// entryKind is what a share-relative path is now.
type entryKind int

const (
	kindGone    entryKind = iota // does not exist
	kindIgnored                  // matches an ignore pattern (itself or a parent), or has an invalid name
	kindDir                      // a directory
	kindFile                     // a regular file
	kindOther                    // a symbolic link, device, fifo or socket, or below a linked directory
	kindUnknown                  // cannot be examined
)

// classify looks at rel without following symbolic links anywhere on its path.
func (sh *shareScanner) classify(rel string) (entryKind, fs.FileInfo) {
	if sh.sc.ignore.matchAny(rel) || !utf8.ValidString(rel) {
		return kindIgnored, nil
	}
	for i := range len(rel) {
		if rel[i] != '/' {
			continue
		}
		fi, err := sh.root.Lstat(rel[:i])
		switch {
		case err != nil:
			return lstatKind(err), nil
		case fi.Mode()&fs.ModeSymlink != 0:
			return kindOther, nil
		case !fi.IsDir():
			return kindGone, nil
		}
	}
	fi, err := sh.root.Lstat(rel)
	switch {
	case err != nil:
		return lstatKind(err), nil
	case fi.IsDir():
		return kindDir, fi
	case fi.Mode().IsRegular():
		return kindFile, fi
	default:
		return kindOther, fi
	}
}

func lstatKind(err error) entryKind {
	if errors.Is(err, fs.ErrNotExist) || errors.Is(err, syscall.ENOTDIR) {
		return kindGone
	}
	return kindUnknown
}

func (sh *shareScanner) key(rel string) string { return sh.keyPrefix + rel }

// state returns the scan state of key, counting changes not yet applied.
func (sh *shareScanner) state(key string) (State, bool, error) {
	if st, ok, known := sh.ops.state(key); known {
		return st, ok, nil
	}
	st, ok, err := sh.sc.cat.State(key)
	if err != nil {
		return State{}, false, fmt.Errorf("catalog: %w", err)
	}
	return st, ok, nil
}

// deleteIfKnown deletes the record of rel if there is one.
func (sh *shareScanner) deleteIfKnown(set counterSet, rel string) error {
	key := sh.key(rel)
	if _, ok, err := sh.state(key); err != nil || !ok {
		return err
	}
	sh.ops.add(key, op{kind: opDelete})
	sh.stats.count(set, func(c *Counters) { c.Deleted++ })
	return nil
}

// deleteChildren deletes the records below the directory rel.
func (sh *shareScanner) deleteChildren(set counterSet, rel string) error {
	below, err := sh.known(sh.key(rel) + "/")
	if err != nil {
		return err
	}
	for p := range below {
		sh.ops.add(sh.key(p), op{kind: opDelete})
	}
	sh.stats.count(set, func(c *Counters) { c.Deleted += int64(len(below)) })
	return nil
}

// deleteTree deletes the records of rel and below it.
func (sh *shareScanner) deleteTree(set counterSet, rel string) error {
	if err := sh.deleteIfKnown(set, rel); err != nil {
		return err
	}
	return sh.deleteChildren(set, rel)
}

// Reasons for skipping, the keys of ShareProgress.SkipReasons.
const (
	reasonIgnored       = "ignored"
	reasonBadName       = "name is not valid UTF-8"
	reasonLinkInside    = "symbolic link inside the share (its target is indexed under its own path)"
	reasonLinkOutside   = "symbolic link leading out of the share"
	reasonLinkBroken    = "broken symbolic link"
	reasonSpecial       = "not a regular file (device, fifo or socket)"
	reasonVanished      = "vanished during the scan"
	reasonChanged       = "changed while being read (handled by its next event or walk)"
	reasonUnreadable    = "unreadable"
	reasonUnreadableDir = "unreadable directory"
)

// worrying reasons are logged as warnings and kept as error samples.
var worrying = map[string]bool{
	reasonLinkOutside: true, reasonUnreadable: true, reasonUnreadableDir: true, reasonBadName: true,
}

// symlinkReason tells where the symbolic link rel leads.
func (sh *shareScanner) symlinkReason(rel string) string {
	target, err := evalSymlinks(sh.abs(rel))
	if err != nil {
		return reasonLinkBroken
	}
	if within(sh.absRoot, target) {
		return reasonLinkInside
	}
	return reasonLinkOutside
}

func (sh *shareScanner) countSeen(set counterSet, size int64) {
	sh.stats.count(set, func(c *Counters) {
		c.Seen++
		c.BytesSeen += size
	})
}

// skip counts the file rel as skipped for reason and logs it.
func (sh *shareScanner) skip(set counterSet, rel, reason string, err error) {
	sh.stats.update(func(p *ShareProgress) {
		p.SkipReasons[reason]++
		if set == eventSet {
			p.Events.Skipped++
		} else {
			p.Walk.Skipped++
		}
	})
	sh.logSkip(rel, reason, err)
}

// skipDir counts the directory rel as skipped (in SkipReasons only: the
// counters count files) and logs it.
func (sh *shareScanner) skipDir(rel, reason string, err error) {
	sh.stats.update(func(p *ShareProgress) { p.SkipReasons[reason]++ })
	sh.logSkip(rel, reason, err)
}

func (sh *shareScanner) logSkip(rel, reason string, err error) {
	if worrying[reason] {
		msg := reason
		if err != nil {
			msg += ": " + err.Error()
		}
		sh.problem(rel, errors.New(msg))
		return
	}
	sh.log.Debug("skipped", "path", rel, "reason", reason, "err", err)
}
