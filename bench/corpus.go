package bench

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"time"

	"github.com/distrisearch/distrisearch/extract"
	"github.com/distrisearch/distrisearch/scan"
)

// Doc is one corpus file and the text extracted from it.
type Doc struct {
	Path    string // slash-separated, relative to the corpus root
	Name    string // base name
	Size    int64  // file size in bytes
	ModTime time.Time
	Text    string
	// What package extract found besides the text, for product records.
	Type, MIME, Title string
	Meta              map[string]string
}

// Corpus is the set of files that both the product and the baseline index:
// the regular files of a folder that are not ignored by the scanner's
// default rules and from which package extract gets text.
type Corpus struct {
	Source    string // the folder the files come from
	Docs      []Doc  // in walk (lexical) order
	Bytes     int64  // sum of the files' sizes
	TextBytes int64  // sum of the extracted texts' sizes
	// Skipped counts files looked at and left out: no extractor for the
	// format (binaries, images, archives) or a failed extraction.
	Skipped int
	// Extraction is the wall time package extract took over every file
	// looked at (Docs and Skipped), with Workers files at once.
	Extraction time.Duration
	Workers    int
}

// LoadCorpus walks dir and extracts text from its files, workers at a time
// (0: GOMAXPROCS, as the node's scanner does), until it holds maxFiles
// documents (0: every file).
func LoadCorpus(ctx context.Context, dir string, maxFiles, workers int, x *extract.Extractor) (*Corpus, error) {
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	paths, err := candidates(dir)
	if err != nil {
		return nil, err
	}
	c := &Corpus{Source: dir, Workers: workers}
	const chunk = 256
	for start := 0; start < len(paths) && (maxFiles <= 0 || len(c.Docs) < maxFiles); start += chunk {
		batch := paths[start:min(start+chunk, len(paths))]
		t0 := time.Now()
		docs, err := extractAll(ctx, dir, batch, workers, x)
		c.Extraction += time.Since(t0)
		if err != nil {
			return nil, err
		}
		for _, d := range docs {
			if d == nil {
				c.Skipped++
				continue
			}
			if maxFiles > 0 && len(c.Docs) == maxFiles {
				break
			}
			c.Docs = append(c.Docs, *d)
			c.Bytes += d.Size
			c.TextBytes += int64(len(d.Text))
		}
	}
	if len(c.Docs) == 0 {
		return nil, fmt.Errorf("corpus %s: no file with extractable text", dir)
	}
	return c, nil
}

// candidates lists the regular files under dir that the scanner would not
// ignore, as slash-separated relative paths in lexical order.
func candidates(dir string) ([]string, error) {
	var out []string
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(dir, p)
		if err != nil {
			return err
		}
		if rel == "." {
			return nil
		}
		rel = filepath.ToSlash(rel)
		if ignored(rel, d.Name()) {
			if d.IsDir() {
				return filepath.SkipDir
			}
			return nil
		}
		if d.Type().IsRegular() {
			out = append(out, rel)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("walk corpus: %w", err)
	}
	return out, nil
}

// ignored applies the scanner's default ignore patterns: a pattern without
// "/" matches a name, one with "/" the whole relative path.
func ignored(rel, name string) bool {
	for _, p := range scan.DefaultIgnore {
		target := name
		if strings.Contains(p, "/") {
			target = rel
		}
		if ok, _ := path.Match(p, target); ok {
			return true
		}
	}
	return false
}

// extractAll extracts the files at rels, workers at a time; an entry is nil
// for a file without extractable text.
func extractAll(ctx context.Context, dir string, rels []string, workers int, x *extract.Extractor) ([]*Doc, error) {
	out := make([]*Doc, len(rels))
	errs := make([]error, len(rels))
	next := make(chan int)
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				out[i], errs[i] = extractOne(ctx, dir, rels[i], x)
			}
		}()
	}
feed:
	for i := range rels {
		select {
		case next <- i:
		case <-ctx.Done():
			break feed
		}
	}
	close(next)
	wg.Wait()
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	return out, errors.Join(errs...)
}

func extractOne(ctx context.Context, dir, rel string, x *extract.Extractor) (*Doc, error) {
	root, err := os.OpenRoot(dir)
	if err != nil {
		return nil, fmt.Errorf("open corpus: %w", err)
	}
	defer root.Close()
	f, err := root.Open(filepath.FromSlash(rel)) // a listed name cannot leave dir
	if err != nil {
		return nil, fmt.Errorf("open corpus file: %w", err)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("stat corpus file: %w", err)
	}
	res, err := x.Extract(ctx, path.Base(rel), f, fi.Size())
	if err != nil || res.Extractor == "" {
		return nil, nil // no text: left out of the corpus
	}
	return &Doc{Path: rel, Name: path.Base(rel), Size: fi.Size(), ModTime: fi.ModTime().UTC(), Text: res.Text,
		Type: res.Type, MIME: res.MIME, Title: res.Title, Meta: res.Meta}, nil
}

// Stage makes the corpus a folder of its own under root, keeping relative
// paths: hard links where the file system allows, copies otherwise. The
// product then shares exactly the files the baseline indexes.
func (c *Corpus) Stage(root string) error {
	for _, d := range c.Docs {
		src := filepath.Join(c.Source, filepath.FromSlash(d.Path))
		dst := filepath.Join(root, filepath.FromSlash(d.Path))
		if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
			return fmt.Errorf("stage corpus: %w", err)
		}
		if err := os.Link(src, dst); err == nil {
			continue
		}
		if err := copyFile(src, dst); err != nil {
			return fmt.Errorf("stage corpus: %w", err)
		}
	}
	return nil
}

func copyFile(src, dst string) error {
	in, err := os.Open(src) // #nosec G304 -- a file of the corpus the operator chose
	if err != nil {
		return err
	}
	defer in.Close()
	fi, err := in.Stat()
	if err != nil {
		return err
	}
	out, err := os.OpenFile(dst, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644) // #nosec G304 -- inside the benchmark's own temporary corpus directory
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	if err := out.Close(); err != nil {
		return err
	}
	return os.Chtimes(dst, fi.ModTime(), fi.ModTime())
}

// Paths returns the documents' relative paths.
func (c *Corpus) Paths() []string {
	out := make([]string, len(c.Docs))
	for i, d := range c.Docs {
		out[i] = d.Path
	}
	return out
}
