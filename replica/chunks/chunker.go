package chunks

import (
	"errors"
	"fmt"
	"io"
	"math/bits"
)

// MaxChunkSize is the format's bound on one chunk: no node stores, sends
// or accepts a larger one, whatever its chunker configuration.
const MaxChunkSize = 8 << 20

// ChunkerConfig sets the content-defined chunking sizes. Every node should
// use the same values so that equal content splits into equal chunks
// (deduplication across nodes); correctness never depends on it, since a
// manifest names its chunks.
type ChunkerConfig struct {
	MinSize int // no cut before this many bytes (except at the end)
	AvgSize int // the normal size, a power of two
	MaxSize int // a cut is forced here; at most MaxChunkSize
}

// DefaultChunkerConfig returns 256 KiB / 1 MiB / 4 MiB, which measures at
// about 1.2 MiB per chunk on random data (DESIGN.md).
func DefaultChunkerConfig() ChunkerConfig {
	return ChunkerConfig{MinSize: 256 << 10, AvgSize: 1 << 20, MaxSize: 4 << 20}
}

// Validate reports whether c is usable.
func (c ChunkerConfig) Validate() error {
	switch {
	case c.AvgSize < 256 || c.AvgSize&(c.AvgSize-1) != 0:
		return fmt.Errorf("chunker: average size %d is not a power of two ≥ 256", c.AvgSize)
	case c.MinSize < 64 || c.MinSize >= c.AvgSize:
		return fmt.Errorf("chunker: min size %d outside 64..%d", c.MinSize, c.AvgSize-1)
	case c.MaxSize <= c.AvgSize || c.MaxSize > MaxChunkSize:
		return fmt.Errorf("chunker: max size %d outside %d..%d", c.MaxSize, c.AvgSize+1, MaxChunkSize)
	}
	return nil
}

// gear is the FastCDC gear table: 256 pseudo-random words from splitmix64
// with a fixed seed. It is part of the chunk format: changing it moves
// every boundary (which breaks deduplication with old chunks, not
// correctness).
var gear = func() (g [256]uint64) {
	x := uint64(0x6469737472697365) // "distrise"
	for i := range g {
		x += 0x9e3779b97f4a7c15
		z := x
		z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9
		z = (z ^ (z >> 27)) * 0x94d049bb133111eb
		g[i] = z ^ (z >> 31)
	}
	return g
}()

// masks returns FastCDC's normalized-chunking masks (level 2): a stricter
// one (log2(avg)+2 bits) before the average size, a looser one
// (log2(avg)-2 bits) after. The bits are the top ones of the rolling
// fingerprint, which depend on the last 64 bytes.
func (c ChunkerConfig) masks() (small, large uint64) {
	b := bits.TrailingZeros(uint(c.AvgSize))
	return ^uint64(0) << (64 - (b + 2)), ^uint64(0) << (64 - (b - 2))
}

// Cut returns the length of the first chunk of data, which must hold
// everything that remains of the stream or at least MaxSize bytes. It is
// FastCDC (Xia et al., 2016) with cut-point skipping and normalized
// chunking; c must be valid.
func (c ChunkerConfig) Cut(data []byte) int {
	small, large := c.masks()
	return c.cut(data, small, large)
}

func (c ChunkerConfig) cut(data []byte, small, large uint64) int {
	n := len(data)
	if n <= c.MinSize {
		return n
	}
	n = min(n, c.MaxSize)
	normal := min(n, c.AvgSize)
	var fp uint64
	i := c.MinSize
	for ; i < normal; i++ {
		fp = fp<<1 + gear[data[i]]
		if fp&small == 0 {
			return i + 1
		}
	}
	for ; i < n; i++ {
		fp = fp<<1 + gear[data[i]]
		if fp&large == 0 {
			return i + 1
		}
	}
	return n
}

// Chunker splits a stream into content-defined chunks, holding at most
// 2×MaxSize bytes. It is not safe for concurrent use.
type Chunker struct {
	r            io.Reader
	cfg          ChunkerConfig
	small, large uint64
	buf          []byte
	start, end   int
	eof          bool
}

// initialChunkBuffer is the chunker's first buffer size.
const initialChunkBuffer = 64 << 10

// NewChunker returns a chunker over r.
func NewChunker(r io.Reader, cfg ChunkerConfig) (*Chunker, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	s, l := cfg.masks()
	// The buffer starts small and grows up to 2·MaxSize as the stream
	// proves long: most files are far smaller than a chunk, and zeroing
	// megabytes for each of them cost more than chunking them.
	return &Chunker{r: r, cfg: cfg, small: s, large: l, buf: make([]byte, min(initialChunkBuffer, 2*cfg.MaxSize))}, nil
}

// Next returns the next chunk, or io.EOF after the last one. The slice is
// valid until the next call. An empty stream yields no chunk.
func (c *Chunker) Next() ([]byte, error) {
	if c.end-c.start < c.cfg.MaxSize && !c.eof {
		if err := c.fill(); err != nil {
			return nil, err
		}
	}
	if c.start == c.end {
		return nil, io.EOF
	}
	n := c.cfg.cut(c.buf[c.start:c.end], c.small, c.large)
	b := c.buf[c.start : c.start+n : c.start+n]
	c.start += n
	return b, nil
}

// fill moves the unread bytes to the front and reads until the buffer is
// full or the stream ends.
func (c *Chunker) fill() error {
	c.end = copy(c.buf, c.buf[c.start:c.end])
	c.start = 0
	for c.end < 2*c.cfg.MaxSize {
		if c.end == len(c.buf) {
			grown := make([]byte, min(2*len(c.buf), 2*c.cfg.MaxSize))
			copy(grown, c.buf[:c.end])
			c.buf = grown
		}
		n, err := c.r.Read(c.buf[c.end:])
		c.end += n
		if errors.Is(err, io.EOF) {
			c.eof = true
			return nil
		}
		if err != nil {
			return fmt.Errorf("chunker: read: %w", err)
		}
	}
	return nil
}
