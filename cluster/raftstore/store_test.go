package raftstore

import (
	"bytes"
	"errors"
	"path/filepath"
	"testing"
	"time"

	"github.com/hashicorp/raft"
)

func TestLogRoundTripAndRanges(t *testing.T) {
	path := filepath.Join(t.TempDir(), "raft.db")
	s, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	if f, _ := s.FirstIndex(); f != 0 {
		t.Fatalf("empty first index %d", f)
	}
	at := time.Unix(1700000000, 123)
	var logs []*raft.Log
	for i := uint64(1); i <= 10; i++ {
		logs = append(logs, &raft.Log{Index: i, Term: 2, Type: raft.LogCommand, Data: []byte{byte(i)}, AppendedAt: at})
	}
	logs[3].Extensions = []byte("ext")
	logs[4].Data = nil
	if err := s.StoreLogs(logs); err != nil {
		t.Fatal(err)
	}
	// Tail truncation (a follower dropping a conflicting suffix), then a
	// restart: the case raft-wal v0.4.0 cannot reopen.
	if err := s.DeleteRange(8, 10); err != nil {
		t.Fatal(err)
	}
	if err := s.StoreLog(&raft.Log{Index: 8, Term: 3, Data: []byte("new")}); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if s, err = Open(path); err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if err := s.DeleteRange(1, 2); err != nil {
		t.Fatal(err)
	}
	first, _ := s.FirstIndex()
	last, _ := s.LastIndex()
	if first != 3 || last != 8 {
		t.Fatalf("range %d..%d, want 3..8", first, last)
	}
	var l raft.Log
	if err := s.GetLog(4, &l); err != nil {
		t.Fatal(err)
	}
	if l.Index != 4 || l.Term != 2 || !bytes.Equal(l.Data, []byte{4}) || string(l.Extensions) != "ext" || !l.AppendedAt.Equal(at) {
		t.Fatalf("entry 4: %+v", l)
	}
	if err := s.GetLog(5, &l); err != nil || l.Data != nil || l.Extensions != nil {
		t.Fatalf("entry 5: %+v %v", l, err)
	}
	if err := s.GetLog(8, &l); err != nil || l.Term != 3 || string(l.Data) != "new" {
		t.Fatalf("entry 8: %+v %v", l, err)
	}
	if err := s.GetLog(9, &l); !errors.Is(err, raft.ErrLogNotFound) {
		t.Fatalf("entry 9: %v", err)
	}
}

func TestStableStore(t *testing.T) {
	s, err := Open(filepath.Join(t.TempDir(), "raft.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if _, err := s.GetUint64([]byte("CurrentTerm")); err == nil || err.Error() != "not found" {
		t.Fatalf("missing key: %v", err)
	}
	s.SetUint64([]byte("CurrentTerm"), 7)
	s.Set([]byte("LastVoteCand"), []byte("n1"))
	if v, _ := s.GetUint64([]byte("CurrentTerm")); v != 7 {
		t.Fatalf("term %d", v)
	}
	if v, _ := s.Get([]byte("LastVoteCand")); string(v) != "n1" {
		t.Fatalf("vote %q", v)
	}
}

func TestDecodeRejectsGarbage(t *testing.T) {
	good := encodeLog(&raft.Log{Index: 1, Term: 1, Data: []byte("abc")})
	for _, b := range [][]byte{nil, {9}, good[:len(good)-1], append(append([]byte{}, good...), 0)} {
		var l raft.Log
		if err := decodeLog(b, &l); !errors.Is(err, ErrCorrupt) {
			t.Errorf("decoded %x: %v", b, err)
		}
	}
}

func FuzzDecodeLog(f *testing.F) {
	f.Add(encodeLog(&raft.Log{Index: 1, Term: 1, Data: []byte("abc"), Extensions: []byte("x")}))
	f.Fuzz(func(t *testing.T, b []byte) {
		var l raft.Log
		if decodeLog(b, &l) == nil {
			if !bytes.Equal(encodeLog(&l), b) {
				t.Fatalf("round trip changed %x", b)
			}
		}
	})
}
