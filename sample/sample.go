// Package sample ships the small folder of documents that `distrisearch demo`
// shares, embedded in the binary so the demo works from any directory.
package sample

import (
	"embed"
	"io/fs"
	"os"
	"path/filepath"
)

//go:embed all:_docs
var files embed.FS

// FS returns the sample documents, rooted at the folder's top.
func FS() fs.FS {
	sub, err := fs.Sub(files, "_docs")
	if err != nil {
		panic(err) // the embedded tree always has _docs/
	}
	return sub
}

// WriteTo copies the sample documents into dir, creating it.
func WriteTo(dir string) error {
	return fs.WalkDir(FS(), ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		dst := filepath.Join(dir, filepath.FromSlash(p))
		if d.IsDir() {
			return os.MkdirAll(dst, 0o755)
		}
		b, err := fs.ReadFile(FS(), p)
		if err != nil {
			return err
		}
		return os.WriteFile(dst, b, 0o644)
	})
}
