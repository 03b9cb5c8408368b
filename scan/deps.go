package scan

import (
	"context"
	"io"
	"time"

	"github.com/distrisearch/distrisearch"
	"github.com/distrisearch/distrisearch/extract"
)

// Extractor turns a file's bytes into text and metadata. It must be safe
// for concurrent use and bound its own work (size, time); *extract.Extractor
// implements it. An error marks the file "failed" with the error's message
// as the reason; a Result with Extractor == "" marks it "metadata" only.
type Extractor interface {
	Extract(ctx context.Context, name string, r io.ReaderAt, size int64) (extract.Result, error)
}

// Catalog is what the node remembers of previous scans.
type Catalog interface {
	// State returns the scan state recorded under a record key; ok is false
	// when there is no record.
	State(key string) (st State, ok bool, err error)
	// States calls fn for every record key starting with prefix, in any
	// order. The scanner passes distrisearch.RecordKey(node, share, "") for
	// a share and RecordKey(node, share, "dir/") for a directory tree.
	States(prefix string, fn func(key string, st State) error) error
}

// State is the recorded size, modification time (Unix nanoseconds) and
// content hash (hex sha256) of a file. Its fields match store.ScanState.
type State struct {
	Size    int64
	ModTime int64
	Hash    string
}

// Sink receives changes. Apply is never called concurrently; once it
// returns nil, the Catalog must reflect the batch.
type Sink interface {
	Apply(ctx context.Context, b Batch) error
}

// Batch is a set of changes to one share; a record key appears at most once.
type Batch struct {
	Share   string
	Puts    []distrisearch.Record // new files and new versions, with Content
	Touches []Touch               // same content, new size or mtime: no re-extraction
	Deletes []string              // record keys of files that are gone
}

// Touch says that the file under Key still has the recorded content but a
// new modification time (and size, which for equal content is the same).
// The scan state and the record's ModTime should follow.
type Touch struct {
	Key     string
	Size    int64
	ModTime time.Time
}

// Len is the number of changes in b.
func (b Batch) Len() int { return len(b.Puts) + len(b.Touches) + len(b.Deletes) }
