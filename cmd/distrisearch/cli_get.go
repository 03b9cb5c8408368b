package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"

	ds "github.com/distrisearch/distrisearch"
	"github.com/distrisearch/distrisearch/client"
)

func runGet(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("get", stderr)
	srv := addServerFlags(fs)
	out := fs.String("o", "", "output path (default: the file's name in the current directory)")
	quiet := fs.Bool("q", false, "no progress bar")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: distrisearch get [flags] FILE_ID\n\nAn interrupted download resumes from PATH.part when run again.")
		fs.PrintDefaults()
	}
	rest, err := parseInterleaved(fs, args)
	if err != nil {
		return err
	}
	if len(rest) != 1 {
		return usageError{"exactly one FILE_ID (64 hex digits, from 'distrisearch search') is required"}
	}
	id := rest[0]
	if !ds.IsFileID(id) {
		return usageError{"a FILE_ID (64 hex digits, from 'distrisearch search') is required"}
	}
	c, err := srv.connect()
	if err != nil {
		return err
	}
	rec, err := c.File(ctx, id)
	if err != nil {
		return err
	}
	path := *out
	if path == "" {
		path = filepath.Base(filepath.Clean("/" + rec.Name))
		if path == "/" || path == "." {
			path = id
		}
	}
	var progress io.Writer = io.Discard
	var pb *progressBar
	if !*quiet {
		pb = newProgressBar(stderr, filepath.Base(path), rec.Size)
		progress = pb
	}
	if err := download(ctx, c, rec, path, progress); err != nil {
		if pb != nil {
			fmt.Fprintln(stderr)
		}
		return err
	}
	if pb != nil {
		pb.Done()
	}
	fmt.Fprintf(stdout, "saved %s (%s, sha256 verified)\n", path, humanBytes(rec.Size))
	return nil
}

// download fetches rec into path through path+".part", resuming a previous
// partial download, and verifies the content hash before renaming.
func download(ctx context.Context, c *client.Client, rec ds.Record, path string, progress io.Writer) error {
	part := path + ".part"
	f, err := os.OpenFile(part, os.O_CREATE|os.O_RDWR, 0o644) // #nosec G304 -- the user's -o path, or the server's name reduced to a bare base name
	if err != nil {
		return err
	}
	defer f.Close()
	offset, err := f.Seek(0, io.SeekEnd)
	if err != nil {
		return err
	}
	if offset > rec.Size {
		offset = 0
	}
	body, _, ranged, err := c.Download(ctx, rec.FileID, offset, rec.ContentHash)
	if err != nil {
		var e *ds.Error
		if errors.As(err, &e) && e.Kind == ds.KindRangeNotSatisfiable {
			offset = 0
			body, _, ranged, err = c.Download(ctx, rec.FileID, 0, "")
		}
		if err != nil {
			return err
		}
	}
	defer body.Close()
	if !ranged {
		offset = 0
	}
	if err := f.Truncate(offset); err != nil {
		return err
	}
	if _, err := f.Seek(offset, io.SeekStart); err != nil {
		return err
	}
	h := sha256.New()
	if offset > 0 {
		if _, err := io.Copy(h, io.NewSectionReader(f, 0, offset)); err != nil {
			return err
		}
		if _, err := progress.Write(make([]byte, offset)); err != nil {
			return err
		}
	}
	if _, err := io.Copy(io.MultiWriter(f, h, progress), body); err != nil {
		return fmt.Errorf("download interrupted (run the same command again to resume): %w", err)
	}
	if got := hex.EncodeToString(h.Sum(nil)); got != rec.ContentHash {
		_ = os.Remove(part)
		return fmt.Errorf("downloaded bytes have sha256 %s, expected %s; the partial file was removed, try again", got, rec.ContentHash)
	}
	if err := f.Sync(); err != nil {
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	return os.Rename(part, path)
}
