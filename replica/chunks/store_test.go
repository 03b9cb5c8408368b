package chunks

import (
	"bytes"
	"errors"
	"math/rand/v2"
	"os"
	"path/filepath"
	"sync"
	"testing"
)

func randBytes(seed uint64, n int) []byte {
	b := make([]byte, n)
	r := rand.NewChaCha8([32]byte{byte(seed), byte(seed >> 8), byte(seed >> 16), 7})
	_, _ = r.Read(b)
	return b
}

func openTestStore(t testing.TB, opts StoreOptions) *Store {
	t.Helper()
	s, err := OpenStore(t.TempDir(), opts)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestStorePutGetDedup(t *testing.T) {
	s := openTestStore(t, StoreOptions{})
	data := randBytes(1, 100_000)
	h := Sum(data)
	if s.Has(h) {
		t.Fatal("empty store has a chunk")
	}
	isNew, err := s.Put(h, data)
	if err != nil || !isNew {
		t.Fatalf("first put: new=%v err=%v", isNew, err)
	}
	isNew, err = s.Put(h, data)
	if err != nil || isNew {
		t.Fatalf("second put: new=%v err=%v, want a no-op", isNew, err)
	}
	isNew, err = s.PutFrom(h, iotestErrReader{})
	if err != nil || isNew {
		t.Fatalf("PutFrom of a held chunk: new=%v err=%v, want a no-op that does not read", isNew, err)
	}
	got, err := s.Get(h)
	if err != nil || !bytes.Equal(got, data) {
		t.Fatalf("get: %v", err)
	}
	if st := s.Stats(); st.Chunks != 1 || st.Bytes != int64(len(data)) {
		t.Fatalf("stats %+v", st)
	}
	// Reopening counts what is on disk and clears temporary files.
	if err := os.WriteFile(filepath.Join(s.dir, "tmp", "leftover"), []byte("x"), 0o600); err != nil {
		t.Fatal(err)
	}
	s2, err := OpenStore(s.dir, StoreOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if st := s2.Stats(); st.Chunks != 1 || st.Bytes != int64(len(data)) {
		t.Fatalf("reopened stats %+v", st)
	}
	if ents, _ := os.ReadDir(filepath.Join(s.dir, "tmp")); len(ents) != 0 {
		t.Fatalf("tmp not cleared: %d entries", len(ents))
	}
}

type iotestErrReader struct{}

func (iotestErrReader) Read([]byte) (int, error) { return 0, errors.New("must not be read") }

func TestStoreRejectsBadChunks(t *testing.T) {
	s := openTestStore(t, StoreOptions{})
	data := randBytes(2, 1000)
	wrong := Sum([]byte("something else"))
	if _, err := s.Put(wrong, data); !errors.Is(err, ErrHashMismatch) {
		t.Fatalf("put under a wrong hash: %v", err)
	}
	if _, err := s.PutFrom(wrong, bytes.NewReader(data)); !errors.Is(err, ErrHashMismatch) {
		t.Fatalf("PutFrom under a wrong hash: %v", err)
	}
	big := make([]byte, MaxChunkSize+1)
	if _, err := s.PutFrom(Sum(big), bytes.NewReader(big)); !errors.Is(err, ErrTooLarge) {
		t.Fatalf("oversized PutFrom: %v", err)
	}
	if s.Has(wrong) || s.Stats().Chunks != 0 || s.Stats().Bytes != 0 {
		t.Fatalf("a rejected chunk was stored: %+v", s.Stats())
	}
	// A failed write leaves nothing behind (atomicity): no temp file, no object.
	if ents, _ := os.ReadDir(filepath.Join(s.dir, "tmp")); len(ents) != 0 {
		t.Fatalf("temp files left: %d", len(ents))
	}
	if _, err := s.Get(wrong); !errors.Is(err, ErrNotFound) {
		t.Fatalf("get absent: %v", err)
	}
}

// failAfter returns n bytes then an error: a writer that dies mid-chunk.
type failAfter struct {
	data []byte
}

func (f *failAfter) Read(p []byte) (int, error) {
	if len(f.data) == 0 {
		return 0, errors.New("connection reset")
	}
	n := copy(p, f.data)
	f.data = f.data[n:]
	return n, nil
}

func TestStoreInterruptedWriteIsInvisible(t *testing.T) {
	s := openTestStore(t, StoreOptions{})
	data := randBytes(3, 300_000)
	h := Sum(data)
	if _, err := s.PutFrom(h, &failAfter{data: data[:1000]}); err == nil {
		t.Fatal("interrupted put succeeded")
	}
	if s.Has(h) {
		t.Fatal("a partial chunk became visible")
	}
	if _, err := s.PutFrom(h, bytes.NewReader(data)); err != nil {
		t.Fatal(err)
	}
	if got, err := s.Get(h); err != nil || !bytes.Equal(got, data) {
		t.Fatalf("get after retry: %v", err)
	}
}

func TestStoreCorruptionQuarantined(t *testing.T) {
	s := openTestStore(t, StoreOptions{})
	data := randBytes(4, 50_000)
	h := Sum(data)
	if _, err := s.Put(h, data); err != nil {
		t.Fatal(err)
	}
	bad := bytes.Clone(data)
	bad[len(bad)/2] ^= 1
	if err := os.WriteFile(s.objectPath(h), bad, 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Get(h); !errors.Is(err, ErrCorrupt) {
		t.Fatalf("get of a flipped bit: %v, want ErrCorrupt", err)
	}
	if s.Has(h) {
		t.Fatal("corrupt chunk still in objects/")
	}
	if _, err := s.Get(h); !errors.Is(err, ErrNotFound) {
		t.Fatalf("second get: %v, want ErrNotFound (never served)", err)
	}
	q, _ := os.ReadDir(filepath.Join(s.dir, "quarantine"))
	if len(q) != 1 {
		t.Fatalf("quarantine holds %d files", len(q))
	}
	st := s.Stats()
	if st.Chunks != 0 || st.Bytes != 0 || st.Quarantined != 1 {
		t.Fatalf("stats %+v", st)
	}
	// A good copy can be stored again.
	if isNew, err := s.Put(h, data); err != nil || !isNew {
		t.Fatalf("re-put: %v %v", isNew, err)
	}
	// Truncation is corruption too.
	if err := os.Truncate(s.objectPath(h), 10); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Get(h); !errors.Is(err, ErrCorrupt) {
		t.Fatalf("truncated: %v", err)
	}
}

func TestStoreConcurrentWritersSameChunk(t *testing.T) {
	s := openTestStore(t, StoreOptions{})
	data := randBytes(5, 1<<20)
	h := Sum(data)
	const writers = 8
	var wg sync.WaitGroup
	news := make(chan bool, writers)
	for i := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var isNew bool
			var err error
			if i%2 == 0 {
				isNew, err = s.Put(h, data)
			} else {
				isNew, err = s.PutFrom(h, bytes.NewReader(data))
			}
			if err != nil {
				t.Error(err)
			}
			news <- isNew
		}()
	}
	wg.Wait()
	close(news)
	n := 0
	for isNew := range news {
		if isNew {
			n++
		}
	}
	if n != 1 {
		t.Fatalf("%d writers stored the chunk, want exactly 1", n)
	}
	if st := s.Stats(); st.Chunks != 1 || st.Bytes != int64(len(data)) {
		t.Fatalf("stats %+v", st)
	}
	if got, err := s.Get(h); err != nil || !bytes.Equal(got, data) {
		t.Fatalf("get: %v", err)
	}
}

func TestStoreBoundAndRemove(t *testing.T) {
	s := openTestStore(t, StoreOptions{MaxBytes: 250_000})
	var hs []Hash
	for i := range 3 {
		data := randBytes(uint64(10+i), 100_000)
		h := Sum(data)
		_, err := s.Put(h, data)
		if i < 2 && err != nil {
			t.Fatal(err)
		}
		if i == 2 {
			if !errors.Is(err, ErrFull) {
				t.Fatalf("third chunk: %v, want ErrFull", err)
			}
			if s.Has(h) {
				t.Fatal("chunk stored beyond the bound")
			}
			continue
		}
		hs = append(hs, h)
	}
	listed := map[Hash]int64{}
	if err := s.Walk(func(h Hash, size int64) error { listed[h] = size; return nil }); err != nil {
		t.Fatal(err)
	}
	if len(listed) != 2 || listed[hs[0]] != 100_000 || listed[hs[1]] != 100_000 {
		t.Fatalf("walk: %v", listed)
	}
	if got := s.Missing([]Hash{hs[0], Sum(nil), hs[1]}); len(got) != 1 || got[0] != Sum(nil) {
		t.Fatalf("missing: %v", got)
	}
	if err := s.Remove(hs[0]); err != nil {
		t.Fatal(err)
	}
	if err := s.Remove(hs[0]); err != nil {
		t.Fatalf("removing an absent chunk: %v", err)
	}
	if st := s.Stats(); st.Chunks != 1 || st.Bytes != 100_000 {
		t.Fatalf("stats after remove %+v", st)
	}
	data := randBytes(12, 100_000)
	if _, err := s.Put(Sum(data), data); err != nil {
		t.Fatalf("put after freeing space: %v", err)
	}
}
