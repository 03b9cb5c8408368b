package distrisearch

import (
	"crypto/sha256"
	"encoding/hex"
	"time"
)

// Extraction states of a record.
const (
	ExtractOK       = "ok"       // text was extracted
	ExtractMetaOnly = "metadata" // no extractor for this format: name, path and metadata only
	ExtractFailed   = "failed"   // the extractor failed; Reason says why
)

// Extraction tells what became of a file's content.
type Extraction struct {
	State     string `json:"state"`
	Reason    string `json:"reason,omitempty"`
	Truncated bool   `json:"truncated,omitempty"` // text was cut at the byte limit
	Extractor string `json:"extractor,omitempty"` // e.g. "pdf", "docx", "text"
}

// Record is one version of one file: its identity, metadata and extracted
// text. The record key (NodeID, Share, Path) is stable across edits and
// decides placement; FileID names this version.
type Record struct {
	FileID      string            `json:"file_id"`
	NodeID      string            `json:"node_id"`
	Share       string            `json:"share"`
	Path        string            `json:"path"` // slash-separated, relative to the share root
	Name        string            `json:"name"`
	Ext         string            `json:"ext"`  // lower case, without the dot
	Type        string            `json:"type"` // coarse type: text, code, pdf, docx, html, ...
	MIME        string            `json:"mime"`
	Size        int64             `json:"size"`
	ModTime     time.Time         `json:"modified"`
	ContentHash string            `json:"content_hash"` // hex sha256 of the bytes
	Title       string            `json:"title,omitempty"`
	Content     string            `json:"-"` // extracted text; served separately
	Meta        map[string]string `json:"meta,omitempty"`
	Extraction  Extraction        `json:"extraction"`
	IndexedAt   time.Time         `json:"indexed_at"`
	// Manifest is the binary chunk manifest (replica/chunks.Manifest) of
	// an uploaded file, whose bytes live in the chunk store; nil for a
	// file of a shared folder. The store and node-to-node calls keep it;
	// the public API leaves it out (Public).
	Manifest []byte `json:"manifest,omitempty"`
}

// Public returns r without what the public API does not show: the chunk
// manifest, which can be large and only nodes need.
func (r Record) Public() Record {
	r.Manifest = nil
	return r
}

// Key returns the record key: stable across edits of the same file.
func (r *Record) Key() string { return RecordKey(r.NodeID, r.Share, r.Path) }

// RecordKey joins node, share and path into the record key.
func RecordKey(nodeID, share, path string) string {
	return nodeID + "\x00" + share + "\x00" + path
}

// FileID computes sha256(node_id + path + content_hash) as hex. path is the
// share-qualified path "share/rel/path" so that equal files in two shares
// of one node get different ids.
func FileID(nodeID, path, contentHash string) string {
	h := sha256.New()
	h.Write([]byte(nodeID))
	h.Write([]byte(path))
	h.Write([]byte(contentHash))
	return hex.EncodeToString(h.Sum(nil))
}

// IsFileID reports whether s has the form of a file id (64 lower-case hex
// digits). Anything else is refused before it reaches a store.
func IsFileID(s string) bool {
	if len(s) != 64 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f') {
			return false
		}
	}
	return true
}
