package scan

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/distrisearch/distrisearch"
	"github.com/distrisearch/distrisearch/extract"
)

// job is the reading of one regular file that may have changed.
type job struct {
	root *os.Root
	rel  string
	key  string
	info fs.FileInfo // from the listing (lstat)
	prev State       // the recorded state, if had
	had  bool
	set  counterSet
}

// dispatch starts j when a worker token is free.
func (sh *shareScanner) dispatch(ctx context.Context, j job) error {
	select {
	case sh.sc.sem <- struct{}{}:
	case <-ctx.Done():
		return ctx.Err()
	}
	sh.ops.begin(j.rel)
	go func() {
		defer func() {
			<-sh.sc.sem
			sh.ops.end(j.rel)
		}()
		sh.runJob(ctx, j)
	}()
	return nil
}

// errChanged: the file is not the one listed any more, or shrank while read.
var errChanged = errors.New("changed while being read")

// runJob hashes the file and, if its content is new, extracts it. It opens
// the file once, so hash and text come from the same file.
func (sh *shareScanner) runJob(ctx context.Context, j job) {
	f, err := sh.openFn(j.root, j.rel)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			sh.skip(j.set, j.rel, reasonVanished, nil)
			if j.had {
				sh.ops.add(j.key, op{kind: opDelete})
				sh.stats.count(j.set, func(c *Counters) { c.Deleted++ })
			}
			return
		}
		sh.skip(j.set, j.rel, reasonUnreadable, err)
		return
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		sh.skip(j.set, j.rel, reasonUnreadable, err)
		return
	}
	if !fi.Mode().IsRegular() || !os.SameFile(fi, j.info) {
		sh.skip(j.set, j.rel, reasonChanged, nil)
		return
	}
	size, mtime := fi.Size(), fi.ModTime()
	st := State{Size: size, ModTime: mtime.UnixNano()}
	if j.had && j.prev.Size == st.Size && j.prev.ModTime == st.ModTime {
		sh.stats.count(j.set, func(c *Counters) { c.Unchanged++ })
		return
	}
	st.Hash, err = hashFile(ctx, f, size)
	switch {
	case ctx.Err() != nil:
		return
	case errors.Is(err, errChanged):
		sh.skip(j.set, j.rel, reasonChanged, nil)
		return
	case err != nil:
		sh.skip(j.set, j.rel, reasonUnreadable, err)
		return
	}
	if j.had && st.Hash == j.prev.Hash {
		sh.ops.add(j.key, op{kind: opTouch, st: st, touch: Touch{Key: j.key, Size: size, ModTime: mtime.UTC()}})
		sh.stats.count(j.set, func(c *Counters) {
			c.Unchanged++
			c.BytesProcessed += size
		})
		return
	}
	res, xerr := sh.runExtractor(ctx, j.rel, f, size)
	if ctx.Err() != nil {
		return // cancelled, not failed: the next run does it again
	}
	rec := sh.record(j.rel, st, mtime, res, xerr)
	sh.ops.add(j.key, op{kind: opPut, st: st, rec: rec})
	sh.stats.count(j.set, func(c *Counters) {
		if rec.Extraction.State == distrisearch.ExtractFailed {
			c.Failed++
		} else {
			c.Indexed++
		}
		c.BytesProcessed += size
	})
	if xerr != nil {
		sh.log.Info("extraction failed", "path", j.rel, "err", xerr)
	}
}

// runExtractor runs the Extractor, turning a panic into an error.
func (sh *shareScanner) runExtractor(ctx context.Context, rel string, r io.ReaderAt, size int64) (res extract.Result, err error) {
	defer func() {
		if v := recover(); v != nil {
			err = fmt.Errorf("extractor panicked: %v", v)
		}
	}()
	return sh.sc.x.Extract(ctx, rel, r, size)
}

// record builds the record of a new version.
func (sh *shareScanner) record(rel string, st State, mtime time.Time, res extract.Result, xerr error) distrisearch.Record {
	return NewRecord(sh.sc.cfg.NodeID, sh.share.Name, rel, st.Size, st.Hash, mtime, sh.sc.cfg.Now(), res, xerr)
}

// NewRecord builds the record of one version of a file: share-relative
// path rel (slash-separated), its size and content sha256 (hex), its
// modification time, when it was indexed, and what the extractor made of
// it (xerr: why it failed). The scanner and uploads build records alike.
func NewRecord(nodeID, share, rel string, size int64, contentHash string, mtime, now time.Time, res extract.Result, xerr error) distrisearch.Record {
	name := path.Base(rel)
	x := distrisearch.Extraction{State: distrisearch.ExtractOK, Truncated: res.Truncated, Extractor: res.Extractor}
	switch {
	case xerr != nil:
		x.State, x.Reason = distrisearch.ExtractFailed, xerr.Error()
	case res.Extractor == "":
		x.State = distrisearch.ExtractMetaOnly
	}
	if res.Type == "" {
		res.Type = "binary"
	}
	if res.MIME == "" {
		res.MIME = "application/octet-stream"
	}
	return distrisearch.Record{
		FileID:      distrisearch.FileID(nodeID, share+"/"+rel, contentHash),
		NodeID:      nodeID,
		Share:       share,
		Path:        rel,
		Name:        name,
		Ext:         strings.ToLower(strings.TrimPrefix(path.Ext(name), ".")),
		Type:        res.Type,
		MIME:        res.MIME,
		Size:        size,
		ModTime:     mtime.UTC(),
		ContentHash: contentHash,
		Title:       res.Title,
		Content:     res.Text,
		Meta:        res.Meta,
		Extraction:  x,
		IndexedAt:   now.UTC(),
	}
}

var bufPool = sync.Pool{New: func() any { b := make([]byte, 256<<10); return &b }}

// hashFile returns the hex sha256 of the first size bytes of r; errChanged
// if there are fewer.
func hashFile(ctx context.Context, r io.ReaderAt, size int64) (string, error) {
	bp := bufPool.Get().(*[]byte)
	defer bufPool.Put(bp)
	buf := *bp
	h := sha256.New()
	for off := int64(0); off < size; {
		if err := ctx.Err(); err != nil {
			return "", err
		}
		n, err := r.ReadAt(buf[:min(int64(len(buf)), size-off)], off)
		h.Write(buf[:n])
		off += int64(n)
		if err != nil && !(errors.Is(err, io.EOF) && off == size) {
			if errors.Is(err, io.EOF) {
				return "", errChanged
			}
			return "", err
		}
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// evalSymlinks is filepath.EvalSymlinks.
var evalSymlinks = filepath.EvalSymlinks

// within reports whether target is root or below it.
func within(root, target string) bool {
	rel, err := filepath.Rel(root, target)
	return err == nil && !filepath.IsAbs(rel) && rel != ".." && !strings.HasPrefix(rel, ".."+string(filepath.Separator))
}
