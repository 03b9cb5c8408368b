package chunks

import (
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
)

// MaxManifestChunks bounds a manifest: 32,768 chunks, about 37 GiB at the
// default chunking, 1.2 MiB in binary form (it must fit in a file record;
// records are capped at 4 MiB). Larger files need a manifest of manifests.
const MaxManifestChunks = 1 << 15

// manifestVersion is the first byte of the binary form.
const manifestVersion = 1

// maxManifestJSON bounds the JSON form accepted by UnmarshalJSON: about
// 100 bytes per chunk plus the header.
const maxManifestJSON = 256 + 100*MaxManifestChunks

// ErrBadManifest is returned for a manifest that fails validation or does
// not decode.
var ErrBadManifest = errors.New("chunks: bad manifest")

// ChunkRef names one chunk of a file.
type ChunkRef struct {
	Hash Hash   `json:"sha256"`
	Size uint32 `json:"size"`
}

// Manifest describes a file's content: its chunks in order, and the whole
// file's size and SHA-256.
type Manifest struct {
	Size   int64      `json:"size"`
	SHA256 Hash       `json:"sha256"`
	Chunks []ChunkRef `json:"chunks"`
}

// Validate checks the manifest's internal consistency: 0..MaxManifestChunks
// chunks of 1..MaxChunkSize bytes each, summing to Size; an empty file has
// the SHA-256 of no bytes. It cannot check SHA256 against the chunks
// without their bytes.
func (m Manifest) Validate() error {
	if len(m.Chunks) > MaxManifestChunks {
		return fmt.Errorf("%w: %d chunks exceed %d", ErrBadManifest, len(m.Chunks), MaxManifestChunks)
	}
	var sum int64
	for i, c := range m.Chunks {
		if c.Size < 1 || c.Size > MaxChunkSize {
			return fmt.Errorf("%w: chunk %d has size %d outside 1..%d", ErrBadManifest, i, c.Size, MaxChunkSize)
		}
		sum += int64(c.Size)
	}
	if sum != m.Size {
		return fmt.Errorf("%w: chunks sum to %d bytes, size says %d", ErrBadManifest, sum, m.Size)
	}
	if m.Size == 0 && m.SHA256 != emptyHash {
		return fmt.Errorf("%w: empty file with a non-empty hash", ErrBadManifest)
	}
	return nil
}

// Offsets returns the starting offset of each chunk.
func (m Manifest) Offsets() []int64 {
	out := make([]int64, len(m.Chunks))
	var off int64
	for i, c := range m.Chunks {
		out[i] = off
		off += int64(c.Size)
	}
	return out
}

// Hashes returns the distinct chunk hashes in order of first appearance.
func (m Manifest) Hashes() []Hash {
	seen := make(map[Hash]bool, len(m.Chunks))
	var out []Hash
	for _, c := range m.Chunks {
		if !seen[c.Hash] {
			seen[c.Hash] = true
			out = append(out, c.Hash)
		}
	}
	return out
}

// MarshalBinary encodes the canonical binary form:
//
//	0x01 | uvarint size | sha256 (32 B) | uvarint count |
//	count × (sha256 (32 B) | uvarint chunk size)
//
// The manifest must be valid.
func (m Manifest) MarshalBinary() ([]byte, error) {
	if err := m.Validate(); err != nil {
		return nil, err
	}
	b := make([]byte, 0, 1+2*binary.MaxVarintLen64+32+len(m.Chunks)*(32+5))
	b = append(b, manifestVersion)
	b = binary.AppendUvarint(b, uint64(m.Size))
	b = append(b, m.SHA256[:]...)
	b = binary.AppendUvarint(b, uint64(len(m.Chunks)))
	for _, c := range m.Chunks {
		b = append(b, c.Hash[:]...)
		b = binary.AppendUvarint(b, uint64(c.Size))
	}
	return b, nil
}

// UnmarshalBinary decodes the binary form. It rejects anything but the
// canonical encoding of a valid manifest, and allocates in proportion to
// the input's length.
func (m *Manifest) UnmarshalBinary(b []byte) error {
	d := decoder{b: b}
	if v := d.byte(); v != manifestVersion {
		return fmt.Errorf("%w: version %d", ErrBadManifest, v)
	}
	size := d.uvarint()
	sha := d.hash()
	n := d.uvarint()
	if d.err == nil && (n > MaxManifestChunks || n*33 > uint64(len(d.b))) {
		return fmt.Errorf("%w: %d chunks in %d bytes", ErrBadManifest, n, len(d.b))
	}
	if size > 1<<62 {
		d.fail()
	}
	var out Manifest
	out.Size, out.SHA256 = int64(size), sha
	if n > 0 && d.err == nil {
		out.Chunks = make([]ChunkRef, n)
	}
	for i := range out.Chunks {
		out.Chunks[i].Hash = d.hash()
		s := d.uvarint()
		if s > MaxChunkSize {
			d.fail()
		}
		out.Chunks[i].Size = uint32(s)
	}
	if d.err != nil {
		return d.err
	}
	if len(d.b) != 0 {
		return fmt.Errorf("%w: %d trailing bytes", ErrBadManifest, len(d.b))
	}
	if err := out.Validate(); err != nil {
		return err
	}
	*m = out
	return nil
}

// decoder reads the binary form; the first error sticks.
type decoder struct {
	b   []byte
	err error
}

func (d *decoder) fail() {
	if d.err == nil {
		d.err = fmt.Errorf("%w: truncated or malformed", ErrBadManifest)
	}
	d.b = nil
}

func (d *decoder) byte() byte {
	if len(d.b) < 1 {
		d.fail()
		return 0
	}
	v := d.b[0]
	d.b = d.b[1:]
	return v
}

// uvarint reads a minimally encoded uvarint.
func (d *decoder) uvarint() uint64 {
	v, n := binary.Uvarint(d.b)
	if n <= 0 || n != len(binary.AppendUvarint(nil, v)) {
		d.fail()
		return 0
	}
	d.b = d.b[n:]
	return v
}

func (d *decoder) hash() (h Hash) {
	if len(d.b) < len(h) {
		d.fail()
		return h
	}
	copy(h[:], d.b)
	d.b = d.b[len(h):]
	return h
}

// manifestJSON is the JSON form; an alias type avoids recursion.
type manifestJSON Manifest

// MarshalJSON encodes {"size", "sha256", "chunks": [{"sha256", "size"}]}
// with hex hashes. The manifest must be valid.
func (m Manifest) MarshalJSON() ([]byte, error) {
	if err := m.Validate(); err != nil {
		return nil, err
	}
	if m.Chunks == nil {
		m.Chunks = []ChunkRef{}
	}
	return json.Marshal(manifestJSON(m))
}

// UnmarshalJSON decodes the JSON form, at most about 3.3 MB, and validates
// the result.
func (m *Manifest) UnmarshalJSON(b []byte) error {
	if len(b) > maxManifestJSON {
		return fmt.Errorf("%w: %d bytes of JSON", ErrBadManifest, len(b))
	}
	var out manifestJSON
	if err := json.Unmarshal(b, &out); err != nil {
		return fmt.Errorf("%w: %v", ErrBadManifest, err)
	}
	mm := Manifest(out)
	if err := mm.Validate(); err != nil {
		return err
	}
	if len(mm.Chunks) == 0 {
		mm.Chunks = nil
	}
	*m = mm
	return nil
}
