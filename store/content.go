package store

import (
	"fmt"

	"github.com/golang/snappy"
	bolt "go.etcd.io/bbolt"
)

// Text codecs: the first byte of a txt value.
const (
	codecRaw    byte = 0
	codecSnappy byte = 1
)

// minCompress is the text length below which compression is not tried.
const minCompress = 256

// encodeText returns the stored form of text, or nil for empty text.
func encodeText(text string) []byte {
	if text == "" {
		return nil
	}
	if len(text) >= minCompress {
		out := make([]byte, 1+snappy.MaxEncodedLen(len(text)))
		out[0] = codecSnappy
		n := len(snappy.Encode(out[1:], []byte(text)))
		if n < len(text)*9/10 {
			return out[:1+n]
		}
	}
	out := make([]byte, 1+len(text))
	out[0] = codecRaw
	copy(out[1:], text)
	return out
}

func decodeText(v []byte) (string, error) {
	if len(v) == 0 {
		return "", nil
	}
	switch v[0] {
	case codecRaw:
		return string(v[1:]), nil
	case codecSnappy:
		b, err := snappy.Decode(nil, v[1:])
		if err != nil {
			return "", fmt.Errorf("decode text: %w", err)
		}
		return string(b), nil
	default:
		return "", fmt.Errorf("decode text: unknown codec %d", v[0])
	}
}

// Content returns the extracted text of the version with file id id: ""
// when nothing was extracted, KindNotFound for an unknown or superseded id.
func (s *Store) Content(id string) (string, error) {
	var stored []byte
	err := s.db.View(func(tx *bolt.Tx) error {
		b := s.buckets(tx)
		key := b.fid.Get([]byte(id))
		if key == nil {
			return notFound("store.Content", "file")
		}
		stored = append(stored, b.txt.Get(key)...)
		return nil
	})
	if err != nil {
		return "", err
	}
	return decodeText(stored)
}
