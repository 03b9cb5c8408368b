package chunks

import (
	"bytes"
	"encoding/json"
	"errors"
	"reflect"
	"testing"
)

func testManifest(sizes ...uint32) Manifest {
	m := Manifest{SHA256: Sum([]byte("file"))}
	for i, s := range sizes {
		m.Chunks = append(m.Chunks, ChunkRef{Hash: Sum([]byte{byte(i)}), Size: s})
		m.Size += int64(s)
	}
	if len(sizes) == 0 {
		m.SHA256 = emptyHash
	}
	return m
}

func TestManifestRoundTrip(t *testing.T) {
	for _, m := range []Manifest{testManifest(), testManifest(1), testManifest(1<<20, 300_000, MaxChunkSize)} {
		b, err := m.MarshalBinary()
		if err != nil {
			t.Fatal(err)
		}
		var got Manifest
		if err := got.UnmarshalBinary(b); err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(got, m) {
			t.Fatalf("binary round trip: %+v != %+v", got, m)
		}
		j, err := json.Marshal(m)
		if err != nil {
			t.Fatal(err)
		}
		var gotJ Manifest
		if err := json.Unmarshal(j, &gotJ); err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(gotJ, m) {
			t.Fatalf("json round trip: %s", j)
		}
	}
}

func TestManifestRejects(t *testing.T) {
	bad := map[string]Manifest{
		"sum mismatch":  {Size: 5, SHA256: Sum(nil), Chunks: []ChunkRef{{Size: 4}}},
		"empty chunk":   {Size: 0, SHA256: emptyHash, Chunks: []ChunkRef{{Size: 0}}},
		"huge chunk":    {Size: MaxChunkSize + 1, Chunks: []ChunkRef{{Size: MaxChunkSize + 1}}},
		"empty file":    {Size: 0, SHA256: Sum([]byte("x"))},
		"negative size": {Size: -1},
	}
	for name, m := range bad {
		if _, err := m.MarshalBinary(); !errors.Is(err, ErrBadManifest) {
			t.Errorf("%s: marshal: %v", name, err)
		}
	}
	good, _ := testManifest(10, 20).MarshalBinary()
	cases := map[string][]byte{
		"empty":       nil,
		"version":     append([]byte{2}, good[1:]...),
		"truncated":   good[:len(good)-1],
		"trailing":    append(bytes.Clone(good), 0),
		"non-minimal": append(append([]byte{1, 0x80, 0x00}, emptyHash[:]...), 0),
	}
	cases["count bomb"] = append(append([]byte{1, 0}, emptyHash[:]...), 0xff, 0xff, 0xff, 0xff, 0x0f)
	for name, b := range cases {
		var m Manifest
		if err := m.UnmarshalBinary(b); !errors.Is(err, ErrBadManifest) {
			t.Errorf("%s: %v", name, err)
		}
	}
	var m Manifest
	if err := json.Unmarshal([]byte(`{"size":3,"sha256":"`+Sum(nil).String()+`","chunks":[{"sha256":"`+Sum(nil).String()+`","size":2}]}`), &m); !errors.Is(err, ErrBadManifest) {
		t.Errorf("json sum mismatch: %v", err)
	}
	if err := json.Unmarshal([]byte(`{"size":0,"sha256":"ZZ","chunks":[]}`), &m); err == nil {
		t.Error("json bad hash accepted")
	}
}

func TestManifestBounds(t *testing.T) {
	sizes := make([]uint32, MaxManifestChunks)
	for i := range sizes {
		sizes[i] = MaxChunkSize
	}
	m := testManifest(sizes...)
	b, err := m.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("largest manifest: %d chunks, %d bytes binary", len(m.Chunks), len(b))
	j, err := json.Marshal(m)
	if err != nil || len(j) > maxManifestJSON {
		t.Fatalf("largest manifest's JSON is %d bytes (bound %d): %v", len(j), maxManifestJSON, err)
	}
	m.Chunks = append(m.Chunks, ChunkRef{Size: 1})
	m.Size++
	if _, err := m.MarshalBinary(); !errors.Is(err, ErrBadManifest) {
		t.Fatalf("over-long manifest: %v", err)
	}
}

func FuzzManifestBinary(f *testing.F) {
	for _, m := range []Manifest{testManifest(), testManifest(1), testManifest(7, 1<<20)} {
		b, _ := m.MarshalBinary()
		f.Add(b)
	}
	f.Add([]byte{1, 0x80, 0x00})
	f.Fuzz(func(t *testing.T, b []byte) {
		var m Manifest
		if err := m.UnmarshalBinary(b); err != nil {
			if !errors.Is(err, ErrBadManifest) {
				t.Fatalf("error not wrapping ErrBadManifest: %v", err)
			}
			return
		}
		again, err := m.MarshalBinary()
		if err != nil {
			t.Fatalf("decoded manifest does not encode: %v", err)
		}
		if !bytes.Equal(again, b) {
			t.Fatalf("not canonical: %x decodes and re-encodes as %x", b, again)
		}
		j, err := json.Marshal(m)
		if err != nil {
			t.Fatal(err)
		}
		var mj Manifest
		if err := json.Unmarshal(j, &mj); err != nil || !reflect.DeepEqual(mj, m) {
			t.Fatalf("json round trip: %v", err)
		}
	})
}

func FuzzManifestJSON(f *testing.F) {
	for _, m := range []Manifest{testManifest(), testManifest(3, 4)} {
		j, _ := json.Marshal(m)
		f.Add(j)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		var m Manifest
		if err := json.Unmarshal(b, &m); err != nil {
			return
		}
		if err := m.Validate(); err != nil {
			t.Fatalf("decoded an invalid manifest: %v", err)
		}
		bin, err := m.MarshalBinary()
		if err != nil {
			t.Fatal(err)
		}
		var mb Manifest
		if err := mb.UnmarshalBinary(bin); err != nil || !reflect.DeepEqual(mb, m) {
			t.Fatalf("binary round trip: %v", err)
		}
	})
}
