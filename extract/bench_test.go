package extract

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"testing"
)

// BenchmarkExtract extracts each committed fixture; the MB/s figures are
// input bytes.
func BenchmarkExtract(b *testing.B) {
	x := New(DefaultLimits())
	for _, fx := range fixtures {
		data, err := os.ReadFile(filepath.Join("testdata", fx.file))
		if err != nil {
			b.Fatal(err)
		}
		b.Run(fx.file, func(b *testing.B) {
			b.SetBytes(int64(len(data)))
			b.ReportAllocs()
			for b.Loop() {
				if _, err := x.Extract(context.Background(), filepath.Base(fx.file), bytes.NewReader(data), int64(len(data))); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
