package index

import (
	"errors"
	"fmt"
	"path/filepath"
	"strconv"

	"github.com/blevesearch/bleve/v2"
	"github.com/blevesearch/bleve/v2/index/scorch"
	bq "github.com/blevesearch/bleve/v2/search/query"
	bindex "github.com/blevesearch/bleve_index_api"

	"github.com/distrisearch/distrisearch"
)

// ErrIncompatible is returned by Open for an index built with another
// MappingVersion (or not by this package). The caller deletes the
// directory and rebuilds the partition from its records.
var ErrIncompatible = errors.New("index: incompatible index version")

// versionKey is the internal key holding MappingVersion.
var versionKey = []byte("ds_mapping_version")

// Index is the full-text index of one partition: a bleve scorch index with
// BM25 scoring. It is safe for concurrent use.
type Index struct {
	name string
	opts Options
	bi   bleve.Index
}

// Open opens the partition index in dir, creating it if dir holds none.
// dir "" makes an in-memory scorch index (for tests and tools; BM25 works,
// durability does not).
func Open(dir string, opts Options) (*Index, error) {
	if err := opts.Validate(); err != nil {
		return nil, err
	}
	name := opts.Name
	if name == "" {
		name = "memory"
		if dir != "" {
			name = filepath.Base(dir)
		}
	}
	var bi bleve.Index
	var err error
	if dir == "" {
		bi, err = create("", name)
	} else {
		bi, err = bleve.Open(dir)
		switch {
		case errors.Is(err, bleve.ErrorIndexPathDoesNotExist), errors.Is(err, bleve.ErrorIndexMetaMissing):
			bi, err = create(dir, name)
		case err != nil:
			err = fmt.Errorf("index: open %s: %w", name, err)
		default:
			err = checkVersion(bi)
		}
	}
	if err != nil {
		return nil, err
	}
	bi.SetName(name)
	return &Index{name: name, opts: opts, bi: bi}, nil
}

func create(dir, name string) (bleve.Index, error) {
	m, err := NewMapping()
	if err != nil {
		return nil, fmt.Errorf("index: mapping: %w", err)
	}
	bi, err := bleve.NewUsing(dir, m, scorch.Name, scorch.Name, nil)
	if err != nil {
		return nil, fmt.Errorf("index: create %s: %w", name, err)
	}
	if err := bi.SetInternal(versionKey, []byte(strconv.Itoa(MappingVersion))); err != nil {
		_ = bi.Close()
		return nil, fmt.Errorf("index: create %s: %w", name, err)
	}
	return bi, nil
}

func checkVersion(bi bleve.Index) error {
	v, err := bi.GetInternal(versionKey)
	if err == nil && string(v) == strconv.Itoa(MappingVersion) {
		return nil
	}
	_ = bi.Close()
	if err != nil {
		return fmt.Errorf("index: read version: %w", err)
	}
	return fmt.Errorf("%w: found %q, want %d", ErrIncompatible, v, MappingVersion)
}

// Name returns the partition name.
func (ix *Index) Name() string { return ix.name }

// Bleve returns the bleve index to be searched by a Searcher (possibly
// together with other partitions) or served to a remote one: with content
// snippets made from Options.Text when it is set.
func (ix *Index) Bleve() bleve.Index {
	if ix.opts.Text == nil {
		return ix.bi
	}
	return &textIndex{baseIndex: ix.bi, text: ix.opts.Text, hl: contentHighlighter}
}

// Apply indexes puts and removes deletes (file ids) in one batch. Deletes
// apply after puts, so an id in both ends up deleted. When Apply returns
// nil on a disk index, the batch is durable.
func (ix *Index) Apply(puts []distrisearch.Record, deletes []string) error {
	if len(puts) == 0 && len(deletes) == 0 {
		return nil
	}
	b := ix.bi.NewBatch()
	for i := range puts {
		r := &puts[i]
		if !distrisearch.IsFileID(r.FileID) {
			return badFileID(r.FileID)
		}
		part := -1
		if ix.opts.PartitionOf != nil {
			part = ix.opts.PartitionOf(r.Key())
		}
		if err := b.Index(r.FileID, document(r, ix.opts.MaxContentBytes, part)); err != nil {
			return fmt.Errorf("index: map %s: %w", r.FileID, err)
		}
	}
	for _, id := range deletes {
		if !distrisearch.IsFileID(id) {
			return badFileID(id)
		}
		b.Delete(id)
	}
	if err := ix.bi.Batch(b); err != nil {
		return fmt.Errorf("index: apply batch to %s: %w", ix.name, err)
	}
	return nil
}

func badFileID(id string) error {
	if len(id) > 80 {
		id = id[:80] + "..."
	}
	return &distrisearch.Error{
		Kind: distrisearch.KindInvalid, Code: "bad_file_id", Op: "index.Apply",
		Message: fmt.Sprintf("%q is not a file id (64 lower-case hex digits)", id),
	}
}

// Get reports whether the file id is indexed.
func (ix *Index) Get(fileID string) (bool, error) {
	d, err := ix.bi.Document(fileID)
	if err != nil {
		return false, fmt.Errorf("index: get %s: %w", fileID, err)
	}
	return d != nil, nil
}

// Locate returns the record key of an indexed file, from its stored node,
// share and path fields; ok is false when the id is not indexed.
func (ix *Index) Locate(fileID string) (key string, ok bool, err error) {
	d, err := ix.bi.Document(fileID)
	if err != nil {
		return "", false, fmt.Errorf("index: locate %s: %w", fileID, err)
	}
	if d == nil {
		return "", false, nil
	}
	var node, share, path string
	d.VisitFields(func(f bindex.Field) {
		switch f.Name() {
		case fieldNode:
			node = string(f.Value())
		case fieldShare:
			share = string(f.Value())
		case fieldPath:
			path = string(f.Value())
		}
	})
	return distrisearch.RecordKey(node, share, path), true, nil
}

// ForEachForeign calls fn with the id and record key of every indexed
// file whose node is not node, in id order, a page at a time (a node
// checks its replicas' index entries against its replica store).
func (ix *Index) ForEachForeign(node string, fn func(fileID, key string) error) error {
	after := ""
	for {
		not := bq.NewTermQuery(node)
		not.SetField(fieldNode)
		q := bq.NewBooleanQuery([]bq.Query{bq.NewMatchAllQuery()}, nil, []bq.Query{not})
		req := bleve.NewSearchRequestOptions(q, 1000, 0, false)
		req.Fields = []string{fieldNode, fieldShare, fieldPath}
		req.SortBy([]string{"_id"})
		if after != "" {
			req.SearchAfter = []string{after}
		}
		res, err := ix.bi.Search(req)
		if err != nil {
			return fmt.Errorf("index: list %s: %w", ix.name, err)
		}
		for _, h := range res.Hits {
			n, _ := h.Fields[fieldNode].(string)
			sh, _ := h.Fields[fieldShare].(string)
			p, _ := h.Fields[fieldPath].(string)
			if err := fn(h.ID, distrisearch.RecordKey(n, sh, p)); err != nil {
				return err
			}
			after = h.ID
		}
		if len(res.Hits) < 1000 {
			return nil
		}
	}
}

// DocCount returns the number of indexed files.
func (ix *Index) DocCount() (uint64, error) {
	n, err := ix.bi.DocCount()
	if err != nil {
		return 0, fmt.Errorf("index: count %s: %w", ix.name, err)
	}
	return n, nil
}

// Close closes the index. Batches applied before Close are on disk.
func (ix *Index) Close() error {
	if err := ix.bi.Close(); err != nil {
		return fmt.Errorf("index: close %s: %w", ix.name, err)
	}
	return nil
}
