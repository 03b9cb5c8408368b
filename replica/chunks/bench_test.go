package chunks

import (
	"bytes"
	"encoding/binary"
	"io"
	"path/filepath"
	"testing"

	bolt "go.etcd.io/bbolt"
)

func BenchmarkChunker(b *testing.B) {
	data := randBytes(40, 64<<20)
	b.SetBytes(int64(len(data)))
	b.ResetTimer()
	for b.Loop() {
		c, err := NewChunker(bytes.NewReader(data), DefaultChunkerConfig())
		if err != nil {
			b.Fatal(err)
		}
		n := 0
		for {
			_, err := c.Next()
			if err == io.EOF {
				break
			}
			n++
		}
		b.ReportMetric(float64(len(data))/float64(n)/1024, "KiB/chunk")
	}
}

// BenchmarkChunkAndHash is what PutStream does per byte before any I/O:
// chunk, hash each chunk, hash the whole file.
func BenchmarkChunkAndHash(b *testing.B) {
	data := randBytes(41, 64<<20)
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		c, _ := NewChunker(bytes.NewReader(data), DefaultChunkerConfig())
		for {
			chunk, err := c.Next()
			if err == io.EOF {
				break
			}
			_ = Sum(chunk)
			_ = Sum(chunk) // stands for the streaming whole-file hash
		}
	}
}

const benchChunk = 1 << 20

// BenchmarkStorePut writes distinct 1 MiB chunks, each fsynced with its
// directory (temp file + rename + dir sync).
func BenchmarkStorePut(b *testing.B) {
	s := openTestStore(b, StoreOptions{})
	data := randBytes(42, benchChunk)
	b.SetBytes(benchChunk)
	i := uint64(0)
	for b.Loop() {
		i++
		binary.LittleEndian.PutUint64(data, i)
		if _, err := s.Put(Sum(data), data); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkStorePutParallel is BenchmarkStorePut from 4 writers.
func BenchmarkStorePutParallel(b *testing.B) {
	s := openTestStore(b, StoreOptions{})
	b.SetBytes(benchChunk)
	var seq uint64
	var mu = make(chan struct{}, 1)
	b.SetParallelism(2) // 2 × GOMAXPROCS(2) = 4 writers
	b.RunParallel(func(pb *testing.PB) {
		data := randBytes(43, benchChunk)
		for pb.Next() {
			mu <- struct{}{}
			seq++
			binary.LittleEndian.PutUint64(data, seq)
			<-mu
			if _, err := s.Put(Sum(data), data); err != nil {
				b.Error(err)
				return
			}
		}
	})
}

// BenchmarkStoreGet reads and verifies 1 MiB chunks.
func BenchmarkStoreGet(b *testing.B) {
	s := openTestStore(b, StoreOptions{})
	data := randBytes(44, benchChunk)
	var hs []Hash
	for i := range 64 {
		binary.LittleEndian.PutUint64(data, uint64(i))
		h := Sum(data)
		if _, err := s.Put(h, data); err != nil {
			b.Fatal(err)
		}
		hs = append(hs, h)
	}
	b.SetBytes(benchChunk)
	i := 0
	for b.Loop() {
		if _, err := s.Get(hs[i%len(hs)]); err != nil {
			b.Fatal(err)
		}
		i++
	}
}

// BenchmarkBoltPut is the alternative measured for DESIGN.md: one bbolt
// transaction (fsync) per 1 MiB chunk, hash verified as in Store.Put.
func BenchmarkBoltPut(b *testing.B) {
	db, err := bolt.Open(filepath.Join(b.TempDir(), "chunks.db"), 0o600, nil)
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	data := randBytes(45, benchChunk)
	b.SetBytes(benchChunk)
	i := uint64(0)
	for b.Loop() {
		i++
		binary.LittleEndian.PutUint64(data, i)
		h := Sum(data)
		err := db.Update(func(tx *bolt.Tx) error {
			bk, err := tx.CreateBucketIfNotExists([]byte("chunks"))
			if err != nil {
				return err
			}
			if bk.Get(h[:]) != nil {
				return nil
			}
			return bk.Put(h[:], data)
		})
		if err != nil {
			b.Fatal(err)
		}
	}
}
