package kv

import (
	"path/filepath"
	"testing"
	"time"
)

// TestIntentsAreDurableAndInvisible: prepared intents survive a reopen,
// are not applied (no stored key, no Merkle entry), merge on a second
// prepare and disappear with RemoveTxn.
func TestIntentsAreDurableAndInvisible(t *testing.T) {
	path := filepath.Join(t.TempDir(), "r.db")
	s, err := Open(path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if txns, err := s.PendingTxns(); err != nil || len(txns) != 0 {
		t.Fatalf("a new store holds transactions: %v %v", txns, err)
	}
	if _, _, ok, err := s.TxnIntents("t1"); ok || err != nil {
		t.Fatalf("intents of an unknown transaction: %v %v", ok, err)
	}
	t0 := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	meta := TxnMeta{ID: "t1", Coordinator: "n1", Prepared: t0, Deadline: t0.Add(time.Minute)}
	created, err := s.Prepare(meta, []Intent{{Partition: 5, Envelope: env(t, "b", "n1", 1, 10, "B")}, {Partition: 2, Envelope: env(t, "a", "n1", 1, 10, "A")}})
	if err != nil || !created {
		t.Fatalf("prepare: %v %v", created, err)
	}
	if _, ok, _ := s.Get(2, "a"); ok || s.Tree(2).Len() != 0 {
		t.Fatal("an intent was applied")
	}
	s.Close()

	s = open(t, path)
	// A second prepare of the same transaction (another batch, or a retry)
	// adds and replaces intents, keeps the first coordinator and prepare
	// time, and keeps the later deadline.
	again := TxnMeta{ID: "t1", Coordinator: "other", Prepared: t0.Add(time.Hour), Deadline: t0.Add(30 * time.Second)}
	created, err = s.Prepare(again, []Intent{{Partition: 5, Envelope: env(t, "b", "n1", 2, 20, "B2")}, {Partition: 9, Envelope: tomb(t, "c", "n1", 1, t0)}})
	if err != nil || created {
		t.Fatalf("second prepare: %v %v", created, err)
	}
	m, ins, ok, err := s.TxnIntents("t1")
	if err != nil || !ok {
		t.Fatalf("intents after reopen: %v %v", ok, err)
	}
	if m.Coordinator != "n1" || !m.Prepared.Equal(t0) || !m.Deadline.Equal(t0.Add(time.Minute)) || m.Intents != 3 {
		t.Fatalf("meta %+v", m)
	}
	want := []struct {
		p     int
		key   string
		value string
	}{{2, "a", "A"}, {5, "b", "B2"}, {9, "c", ""}}
	if len(ins) != len(want) {
		t.Fatalf("%d intents, want %d", len(ins), len(want))
	}
	for i, w := range want {
		if ins[i].Partition != w.p || ins[i].Envelope.Key != w.key || string(ins[i].Envelope.Value) != w.value {
			t.Fatalf("intent %d: %d %q %q, want %+v", i, ins[i].Partition, ins[i].Envelope.Key, ins[i].Envelope.Value, w)
		}
	}
	if !ins[2].Envelope.Tombstone {
		t.Fatal("the delete intent lost its tombstone")
	}

	if _, err := s.Prepare(TxnMeta{ID: "t0", Coordinator: "n2", Prepared: t0, Deadline: t0.Add(time.Second)}, []Intent{{Partition: 1, Envelope: env(t, "z", "n2", 1, 1, "Z")}}); err != nil {
		t.Fatal(err)
	}
	txns, err := s.PendingTxns()
	if err != nil || len(txns) != 2 || txns[0].ID != "t0" || txns[1].ID != "t1" || txns[0].Intents != 1 || txns[1].Intents != 3 {
		t.Fatalf("pending by deadline: %+v %v", txns, err)
	}

	if err := s.RemoveTxn("t1"); err != nil {
		t.Fatal(err)
	}
	if err := s.RemoveTxn("t1"); err != nil {
		t.Fatalf("removing twice: %v", err)
	}
	if txns, _ := s.PendingTxns(); len(txns) != 1 || txns[0].ID != "t0" {
		t.Fatalf("pending after remove: %+v", txns)
	}
	if _, err := s.Prepare(TxnMeta{ID: ""}, nil); err == nil {
		t.Fatal("prepared a transaction without id")
	}
	if _, err := s.Prepare(TxnMeta{ID: "t2"}, []Intent{{Partition: -1, Envelope: env(t, "x", "n1", 1, 1, "")}}); err == nil {
		t.Fatal("prepared an intent for a bad partition")
	}
}
