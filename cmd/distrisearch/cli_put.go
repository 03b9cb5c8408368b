package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"

	ds "github.com/distrisearch/distrisearch"
	"github.com/distrisearch/distrisearch/client"
)

func runPut(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("put", stderr)
	srv := addServerFlags(fs)
	name := fs.String("name", "", "the file's name on the cluster, folders allowed: reports/q1.pdf (default: the local file's base name)")
	folder := fs.String("folder", "", "put the file(s) in this folder of the uploads share: reports/2025 (the name becomes FOLDER/NAME)")
	level := fs.String("consistency", "quorum", "replicas that must hold the file before the answer: strong (all), quorum or eventual (one)")
	quiet := fs.Bool("q", false, "no progress bar")
	atomic := fs.Bool("atomic", false, "upload every FILE as one operation: all of them become visible, or none")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: distrisearch put [flags] FILE\n       distrisearch put --atomic [flags] FILE...\n\nUploads FILE to the node's \"uploads\" share; it becomes searchable and\ndownloadable through every node. An upload of an existing name replaces it.\nWith --atomic, the files are committed together (two-phase commit).\n'distrisearch rmdir' and 'mvdir' delete and move folders of uploads.")
		fs.PrintDefaults()
	}
	rest, err := parseInterleaved(fs, args)
	if err != nil {
		return err
	}
	switch strings.ToLower(*level) {
	case "strong", "quorum", "eventual":
	default:
		return usageError{"--consistency must be strong, quorum or eventual"}
	}
	dir := strings.TrimSuffix(*folder, "/")
	if *atomic {
		if len(rest) == 0 || *name != "" {
			return usageError{"--atomic needs one or more FILEs (named by their base names, in --folder if given; --name does not apply)"}
		}
		return putAtomic(ctx, srv, rest, dir, strings.ToLower(*level), *quiet, stdout, stderr)
	}
	if len(rest) != 1 {
		return usageError{"exactly one FILE to upload is required (several: --atomic)"}
	}
	f, fi, err := openUpload(rest[0])
	if err != nil {
		return err
	}
	defer f.Close()
	if *name == "" {
		*name = filepath.Base(rest[0])
	}
	*name = inFolder(dir, *name)
	c, err := srv.connect()
	if err != nil {
		return err
	}
	progress, done := uploadProgress(stderr, *name, fi.Size(), *quiet)
	rec, err := c.Upload(ctx, *name, f, fi.Size(), strings.ToLower(*level), progress)
	done()
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "uploaded %s (%s, %s consistency)\nfile id %s\n", rec.Path, humanBytes(rec.Size), strings.ToLower(*level), rec.FileID)
	return nil
}

// inFolder returns name inside folder ("": name itself).
func inFolder(folder, name string) string {
	if folder == "" {
		return name
	}
	return folder + "/" + name
}

// uploadProgress returns the progress callback of an upload of total
// bytes and the function that ends its bar (both no-ops when quiet). The
// transport may still read the body after the upload returned (an early
// error answer): the bar is drawn under a lock.
func uploadProgress(stderr io.Writer, label string, total int64, quiet bool) (func(int64), func()) {
	if quiet {
		return nil, func() {}
	}
	var mu sync.Mutex
	pb := newProgressBar(stderr, label, total)
	return func(n int64) {
			mu.Lock()
			defer mu.Unlock()
			pb.Set(min(n, total))
		}, func() {
			mu.Lock()
			defer mu.Unlock()
			pb.Done()
		}
}

// openUpload opens a regular file the user named to upload.
func openUpload(path string) (*os.File, os.FileInfo, error) {
	f, err := os.Open(path) // #nosec G304 -- a file the user named on the command line to upload
	if err != nil {
		return nil, nil, err
	}
	fi, err := f.Stat()
	if err == nil && !fi.Mode().IsRegular() {
		err = usageError{path + " is not a regular file"}
	}
	if err != nil {
		f.Close()
		return nil, nil, err
	}
	return f, fi, nil
}

// putAtomic uploads paths as one atomic operation.
func putAtomic(ctx context.Context, srv serverFlags, paths []string, folder, level string, quiet bool, stdout, stderr io.Writer) error {
	var files []client.NamedFile
	var total int64
	seen := map[string]bool{}
	for _, p := range paths {
		f, fi, err := openUpload(p)
		if err != nil {
			return err
		}
		defer f.Close()
		base := filepath.Base(p)
		if seen[base] {
			return usageError{"two files are named " + base}
		}
		seen[base] = true
		total += fi.Size()
		files = append(files, client.NamedFile{Name: inFolder(folder, base), Body: f})
	}
	c, err := srv.connect()
	if err != nil {
		return err
	}
	progress, done := uploadProgress(stderr, fmt.Sprintf("%d files", len(files)), total, quiet)
	recs, err := c.UploadAtomic(ctx, files, level, progress)
	done()
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "uploaded %d files atomically (%s consistency)\n", len(recs), level)
	for _, rec := range recs {
		fmt.Fprintf(stdout, "%s  %s (%s)\n", rec.FileID, rec.Path, humanBytes(rec.Size))
	}
	return nil
}

func runRm(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("rm", stderr)
	srv := addServerFlags(fs)
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: distrisearch rm [flags] FILE_ID\n\nDeletes an uploaded file (files of shared folders are removed from their folder).")
		fs.PrintDefaults()
	}
	rest, err := parseInterleaved(fs, args)
	if err != nil {
		return err
	}
	if len(rest) != 1 || !ds.IsFileID(rest[0]) {
		return usageError{"exactly one FILE_ID (64 hex digits, from 'distrisearch put' or 'search') is required"}
	}
	c, err := srv.connect()
	if err != nil {
		return err
	}
	if err := c.DeleteFile(ctx, rest[0]); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "deleted %s\n", rest[0])
	return nil
}

func runRmdir(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("rmdir", stderr)
	srv := addServerFlags(fs)
	level := fs.String("consistency", "quorum", "replicas that must take part: strong (all), quorum or eventual (one)")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: distrisearch rmdir [flags] FOLDER\n\nDeletes every uploaded file under FOLDER (reports/2025), whichever node took\nit, as one operation: all of them or none.")
		fs.PrintDefaults()
	}
	rest, err := parseInterleaved(fs, args)
	if err != nil {
		return err
	}
	if len(rest) != 1 {
		return usageError{"exactly one FOLDER is required"}
	}
	c, err := srv.connect()
	if err != nil {
		return err
	}
	res, err := c.DeleteFolder(ctx, rest[0], strings.ToLower(*level))
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "deleted %d files under %s\n", res.Count, res.Folder)
	for _, f := range res.Files {
		fmt.Fprintf(stdout, "%s  %s\n", f.FileID, f.Path)
	}
	return nil
}

func runMvdir(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("mvdir", stderr)
	srv := addServerFlags(fs)
	level := fs.String("consistency", "quorum", "replicas that must take part: strong (all), quorum or eventual (one)")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: distrisearch mvdir [flags] FROM TO\n\nMoves every uploaded file under folder FROM to the same path under TO,\nwhichever node took it, as one operation: all of them or none. Each file\nkeeps its bytes and gets a new file id.")
		fs.PrintDefaults()
	}
	rest, err := parseInterleaved(fs, args)
	if err != nil {
		return err
	}
	if len(rest) != 2 {
		return usageError{"FROM and TO folders are required"}
	}
	c, err := srv.connect()
	if err != nil {
		return err
	}
	res, err := c.MoveFolder(ctx, rest[0], rest[1], strings.ToLower(*level))
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "moved %d files from %s to %s\n", res.Count, res.Folder, res.To)
	for _, f := range res.Files {
		fmt.Fprintf(stdout, "%s  %s -> %s  %s\n", f.FileID, f.Path, f.NewFileID, f.NewPath)
	}
	return nil
}
