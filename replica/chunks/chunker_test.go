package chunks

import (
	"bytes"
	"io"
	"testing"
	"testing/iotest"
)

// split returns the chunks of data as hashes and sizes.
func split(t testing.TB, r io.Reader, cfg ChunkerConfig) []ChunkRef {
	t.Helper()
	c, err := NewChunker(r, cfg)
	if err != nil {
		t.Fatal(err)
	}
	var out []ChunkRef
	for {
		b, err := c.Next()
		if err == io.EOF {
			return out
		}
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, ChunkRef{Hash: Sum(b), Size: uint32(len(b))})
	}
}

func smallConfig() ChunkerConfig {
	return ChunkerConfig{MinSize: 2 << 10, AvgSize: 8 << 10, MaxSize: 32 << 10}
}

func TestChunkerConfigValidate(t *testing.T) {
	bad := []ChunkerConfig{
		{MinSize: 1 << 10, AvgSize: 3 << 10, MaxSize: 8 << 10},  // avg not a power of two
		{MinSize: 8 << 10, AvgSize: 8 << 10, MaxSize: 32 << 10}, // min ≥ avg
		{MinSize: 2 << 10, AvgSize: 8 << 10, MaxSize: 8 << 10},  // max ≤ avg
		{MinSize: 2 << 10, AvgSize: 8 << 10, MaxSize: 16 << 20}, // max > MaxChunkSize
		{MinSize: 10, AvgSize: 8 << 10, MaxSize: 32 << 10},      // min too small
	}
	for _, c := range bad {
		if c.Validate() == nil {
			t.Errorf("%+v validated", c)
		}
	}
	if err := DefaultChunkerConfig().Validate(); err != nil {
		t.Fatal(err)
	}
}

func TestChunkerDeterministicAndComplete(t *testing.T) {
	cfg := smallConfig()
	data := randBytes(20, 1<<20)
	a := split(t, bytes.NewReader(data), cfg)
	// The same bytes delivered one at a time give the same boundaries.
	b := split(t, iotest.OneByteReader(bytes.NewReader(data)), cfg)
	c := split(t, iotest.HalfReader(bytes.NewReader(data)), cfg)
	if len(a) != len(b) || len(a) != len(c) {
		t.Fatalf("chunk counts %d %d %d", len(a), len(b), len(c))
	}
	var total int
	for i := range a {
		if a[i] != b[i] || a[i] != c[i] {
			t.Fatalf("chunk %d differs across read patterns", i)
		}
		if i < len(a)-1 && (a[i].Size < uint32(cfg.MinSize) || a[i].Size > uint32(cfg.MaxSize)) {
			t.Fatalf("chunk %d has size %d outside min/max", i, a[i].Size)
		}
		total += int(a[i].Size)
	}
	if total != len(data) {
		t.Fatalf("chunks cover %d of %d bytes", total, len(data))
	}
	avg := len(data) / len(a)
	if avg < cfg.AvgSize*3/4 || avg > cfg.AvgSize*3/2 {
		t.Fatalf("average chunk %d bytes, configured %d", avg, cfg.AvgSize)
	}
	// Golden: the gear table and algorithm are part of the format.
	if got := a[0].Hash.String()[:16]; got != goldenFirstChunk {
		t.Errorf("first chunk of the golden stream is %s (size %d), want %s: the chunk format changed", got, a[0].Size, goldenFirstChunk)
	}
}

const goldenFirstChunk = "f34100b41ba752ff" // first 8 bytes of its hash (9,067 bytes)

func TestChunkerEdgeCases(t *testing.T) {
	cfg := smallConfig()
	if got := split(t, bytes.NewReader(nil), cfg); len(got) != 0 {
		t.Fatalf("empty stream gave %d chunks", len(got))
	}
	small := randBytes(21, 100)
	if got := split(t, bytes.NewReader(small), cfg); len(got) != 1 || got[0].Size != 100 {
		t.Fatalf("short stream: %v", got)
	}
	zeros := make([]byte, 200<<10) // no content boundary: cut at MaxSize
	got := split(t, bytes.NewReader(zeros), cfg)
	for i, c := range got[:len(got)-1] {
		if c.Size != uint32(cfg.MaxSize) {
			t.Fatalf("zeros chunk %d has size %d, want max %d", i, c.Size, cfg.MaxSize)
		}
	}
	if _, err := NewChunker(bytes.NewReader(nil), ChunkerConfig{}); err == nil {
		t.Fatal("zero config accepted")
	}
	errR := iotest.ErrReader(io.ErrUnexpectedEOF)
	c, _ := NewChunker(errR, cfg)
	if _, err := c.Next(); err == nil || err == io.EOF {
		t.Fatalf("read error not reported: %v", err)
	}
}

// dedupRatio returns the fraction of b's bytes held in chunks also in a.
func dedupRatio(a, b []ChunkRef) float64 {
	have := map[Hash]bool{}
	for _, c := range a {
		have[c.Hash] = true
	}
	var shared, total int
	for _, c := range b {
		total += int(c.Size)
		if have[c.Hash] {
			shared += int(c.Size)
		}
	}
	return float64(shared) / float64(total)
}

// editMiddle inserts 100 bytes in the middle of data.
func editMiddle(data []byte) []byte {
	mid := len(data) / 2
	out := append([]byte{}, data[:mid]...)
	out = append(out, bytes.Repeat([]byte("edit!"), 20)...)
	return append(out, data[mid:]...)
}

func TestChunkerDedupAfterEdit(t *testing.T) {
	cfg := smallConfig()
	data := randBytes(22, 2<<20)
	edited := editMiddle(data)
	r := dedupRatio(split(t, bytes.NewReader(data), cfg), split(t, bytes.NewReader(edited), cfg))
	if r < 0.95 {
		t.Fatalf("content-defined chunking kept %.1f%% of an edited file, want ≥ 95%%", 100*r)
	}
	fixed := dedupRatio(fixedSplit(data, cfg.AvgSize), fixedSplit(edited, cfg.AvgSize))
	t.Logf("shared bytes after a 100-byte insert in the middle: CDC %.1f%%, fixed-size %.1f%%", 100*r, 100*fixed)
	if fixed > 0.6 {
		t.Fatalf("fixed-size kept %.1f%%: the comparison is broken", 100*fixed)
	}
}

// fixedSplit is the fixed-size alternative, for comparison.
func fixedSplit(data []byte, size int) []ChunkRef {
	var out []ChunkRef
	for len(data) > 0 {
		n := min(size, len(data))
		out = append(out, ChunkRef{Hash: Sum(data[:n]), Size: uint32(n)})
		data = data[n:]
	}
	return out
}
