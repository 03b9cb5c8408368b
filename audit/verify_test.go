package audit

import (
	"bytes"
	"context"
	"os"
	"strings"
	"testing"

	bolt "go.etcd.io/bbolt"
)

// tamperLog returns a log with 10 entries (seq 1..10) and an anchor at 10.
func tamperLog(t *testing.T) *Log {
	clk := newFakeClock()
	l := openLog(t, testConfig(t, clk))
	appendN(t, l, 10, clk)
	if b := verifyBreak(t, l); b != nil {
		t.Fatalf("untampered log broken: %+v", b)
	}
	return l
}

func wantBreak(t *testing.T, l *Log, seq uint64, reason string) {
	t.Helper()
	b := verifyBreak(t, l)
	if b == nil {
		t.Fatalf("tampering not detected (want seq %d)", seq)
	}
	if b.Seq != seq || !strings.Contains(b.Reason, reason) {
		t.Fatalf("break %+v, want seq %d with %q", b, seq, reason)
	}
}

func TestVerifyDetectsEditedEntry(t *testing.T) {
	l := tamperLog(t)
	rawUpdate(t, l, func(entries, _ *bolt.Bucket) error {
		v := bytes.Clone(entries.Get(seqKey(5)))
		i := bytes.Index(v, []byte("alice"))
		copy(v[i:], "mallo")
		return entries.Put(seqKey(5), v)
	})
	wantBreak(t, l, 5, "edited")
}

func TestVerifyDetectsEditedEntryWithRecomputedHash(t *testing.T) {
	l := tamperLog(t)
	rawUpdate(t, l, func(entries, _ *bolt.Bucket) error {
		e, _, err := decodeRecord(entries.Get(seqKey(5)))
		if err != nil {
			return err
		}
		e.Result = ResultDenied
		e.Hash = chainHash(e.PrevHash, canonical(&e))
		return entries.Put(seqKey(5), encodeRecord(&e))
	})
	wantBreak(t, l, 6, "does not link")
}

func TestVerifyDetectsDeletedEntry(t *testing.T) {
	l := tamperLog(t)
	rawUpdate(t, l, func(entries, _ *bolt.Bucket) error { return entries.Delete(seqKey(5)) })
	wantBreak(t, l, 5, "missing")
}

func TestVerifyDetectsDeletedFirstEntry(t *testing.T) {
	l := tamperLog(t)
	rawUpdate(t, l, func(entries, _ *bolt.Bucket) error { return entries.Delete(seqKey(1)) })
	wantBreak(t, l, 1, "missing")
}

func TestVerifyDetectsSwappedEntries(t *testing.T) {
	l := tamperLog(t)
	rawUpdate(t, l, func(entries, _ *bolt.Bucket) error {
		a, b := bytes.Clone(entries.Get(seqKey(4))), bytes.Clone(entries.Get(seqKey(5)))
		if err := entries.Put(seqKey(4), b); err != nil {
			return err
		}
		return entries.Put(seqKey(5), a)
	})
	wantBreak(t, l, 4, "reordered")
}

func TestVerifyDetectsRenumberedEntries(t *testing.T) {
	// Swap two entries and renumber them consistently: the hashes no
	// longer match (seq is inside the hashed encoding).
	l := tamperLog(t)
	rawUpdate(t, l, func(entries, _ *bolt.Bucket) error {
		a, _, _ := decodeRecord(entries.Get(seqKey(4)))
		b, _, _ := decodeRecord(entries.Get(seqKey(5)))
		a.Seq, b.Seq = 5, 4
		if err := entries.Put(seqKey(4), encodeRecord(&b)); err != nil {
			return err
		}
		return entries.Put(seqKey(5), encodeRecord(&a))
	})
	wantBreak(t, l, 4, "edited")
}

func TestVerifyDetectsTruncatedTail(t *testing.T) {
	l := tamperLog(t)
	// Deleting the last entries alone contradicts the recorded head.
	rawUpdate(t, l, func(entries, _ *bolt.Bucket) error {
		if err := entries.Delete(seqKey(10)); err != nil {
			return err
		}
		return entries.Delete(seqKey(9))
	})
	wantBreak(t, l, 9, "tail truncated")
	// Rewriting the head too is caught by the anchor file.
	rawUpdate(t, l, func(entries, meta *bolt.Bucket) error {
		e, _, _ := decodeRecord(entries.Get(seqKey(8)))
		return meta.Put(keyHead, encodeHead(head{Seq: 8, Hash: e.Hash}))
	})
	wantBreak(t, l, 9, "anchor records seq 10")
	// Without the anchor file it is not detectable, and Verify says so.
	if err := os.Remove(l.cfg.AnchorPath); err != nil {
		t.Fatal(err)
	}
	rep, err := l.Verify(context.Background())
	if err != nil || !rep.OK() || !strings.Contains(rep.AnchorWarning, "cannot be detected") {
		t.Fatalf("without anchor: %+v %v", rep, err)
	}
	// An anchor kept elsewhere (e.g. in the Raft state) still catches it.
	rep, err = l.VerifyAnchors(context.Background(), Anchor{Node: "n1", Seq: 10})
	if err != nil || rep.OK() || rep.FirstBreak().Seq != 9 {
		t.Fatalf("external anchor: %+v %v", rep, err)
	}
}

func TestVerifyDetectsRewrittenHistoryAgainstAnchor(t *testing.T) {
	// An attacker rewrites entry 10 and recomputes its hash and the head:
	// the chain is self-consistent, but the anchor's hash differs.
	l := tamperLog(t)
	rawUpdate(t, l, func(entries, meta *bolt.Bucket) error {
		e, _, _ := decodeRecord(entries.Get(seqKey(10)))
		e.Username = "nobody"
		e.Hash = chainHash(e.PrevHash, canonical(&e))
		if err := meta.Put(keyHead, encodeHead(head{Seq: 10, Hash: e.Hash})); err != nil {
			return err
		}
		return entries.Put(seqKey(10), encodeRecord(&e))
	})
	wantBreak(t, l, 10, "anchor")
}

func TestSignedAnchor(t *testing.T) {
	clk := newFakeClock()
	cfg := testConfig(t, clk)
	cfg.AnchorKey = []byte("0123456789abcdef0123456789abcdef")
	l := openLog(t, cfg)
	appendN(t, l, 3, clk)
	rep, err := l.Verify(context.Background())
	if err != nil || !rep.OK() || rep.AnchorWarning != "" || len(rep.Anchors) != 1 || rep.Anchors[0].Seq != 3 {
		t.Fatalf("signed anchor: %+v %v", rep, err)
	}
	// A forged anchor (lower seq, to hide a truncation) fails its signature.
	b, _ := os.ReadFile(l.cfg.AnchorPath)
	b = bytes.Replace(b, []byte(`"seq":3`), []byte(`"seq":2`), 1)
	if err := os.WriteFile(l.cfg.AnchorPath, b, 0o600); err != nil {
		t.Fatal(err)
	}
	rep, err = l.Verify(context.Background())
	if err != nil || !strings.Contains(rep.AnchorWarning, "signature") {
		t.Fatalf("forged anchor: %+v %v", rep, err)
	}
}

func TestVerifyHonoursContext(t *testing.T) {
	l := tamperLog(t)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := l.Verify(ctx); err == nil {
		t.Fatal("verify with cancelled context succeeded")
	}
}
