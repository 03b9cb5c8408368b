package node

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"
	"testing"
	"time"

	ds "github.com/distrisearch/distrisearch"
	"github.com/distrisearch/distrisearch/api"
	"github.com/distrisearch/distrisearch/client"
	"github.com/distrisearch/distrisearch/replica"
	"github.com/distrisearch/distrisearch/replica/quorum"
)

// folderFixture uploads files and remembers their bytes by file id.
type folderFixture struct {
	t     *testing.T
	word  string // a word every file of the fixture contains
	bytes map[string][]byte
}

func (f *folderFixture) put(c *client.Client, name string) ds.Record {
	f.t.Helper()
	data := fmt.Appendf(nil, "%s record %s: %s", f.word, name, strings.Repeat("tundra ", 40))
	rec, err := c.Upload(context.Background(), name, bytes.NewReader(data), int64(len(data)), "quorum", nil)
	if err != nil {
		f.t.Fatalf("upload %s: %v", name, err)
	}
	f.bytes[rec.FileID] = data
	return rec
}

// absent reports whether file id is unknown to the node c talks to.
func absent(c *client.Client, id string) bool {
	_, err := c.File(context.Background(), id)
	return ds.KindOf(err) == ds.KindNotFound
}

// downloads checks that id downloads through c with want's bytes.
func downloads(t *testing.T, c *client.Client, id string, want []byte) {
	t.Helper()
	rc, _, _, err := c.Download(context.Background(), id, 0, "")
	if err != nil {
		t.Fatalf("download %s: %v", id, err)
	}
	got, err := io.ReadAll(rc)
	rc.Close()
	if err != nil || !bytes.Equal(got, want) {
		t.Fatalf("download %s: %d bytes (%v), not identical", id, len(got), err)
	}
}

// storedPaths returns the upload paths under prefix in n's record store.
func storedPaths(t *testing.T, n *Node, prefix string) []string {
	t.Helper()
	var out []string
	err := n.store.ForEach("", func(r ds.Record) error {
		if r.Share == api.UploadShare && strings.HasPrefix(r.Path, prefix) {
			out = append(out, r.Path)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// TestFolderMoveAndDelete: files uploaded through two nodes, in several
// partitions, move to another folder through a third node — every one
// found there with identical bytes, none under the old path, on every
// node and in their owners' stores — then the folder is deleted: gone
// everywhere, the other folders untouched. Bad requests get their codes.
func TestFolderMoveAndDelete(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a three-node cluster")
	}
	tc := startCluster(t, nil, nil, nil)
	n1, n2 := tc.nodes[0], tc.nodes[1]
	c1, c2, c3 := tc.admins[0], tc.admins[1], tc.admins[2]
	all := []*client.Client{c1, c2, c3}
	ctx := context.Background()
	f := &folderFixture{t: t, word: "ptarmigan", bytes: map[string][]byte{}}
	var moved []ds.Record
	for i := range 3 {
		moved = append(moved, f.put(c1, fmt.Sprintf("reports/2025/n1-%d.txt", i)), f.put(c2, fmt.Sprintf("reports/2025/eu/n2-%d.txt", i)))
	}
	keep := []ds.Record{f.put(c1, "reports/2024/old.txt"), f.put(c2, "reports/2025x/near.txt"), f.put(c2, "reports/2025")}
	for _, c := range all {
		eventually(t, 20*time.Second, "every upload searchable", func() bool { return search(t, c, "ptarmigan").Total == 9 })
	}

	// Move through node 3, which took none of them.
	res, err := c3.MoveFolder(ctx, "reports/2025", "archive/2025", "quorum")
	if err != nil || res.Count != len(moved) || len(res.Files) != len(moved) {
		t.Fatalf("move: %+v %v", res, err)
	}
	for _, mf := range res.Files {
		if want := "archive/2025" + strings.TrimPrefix(mf.Path, "reports/2025"); mf.NewPath != want || mf.NewFileID == mf.FileID {
			t.Fatalf("moved %+v, want new path %s", mf, want)
		}
		for _, c := range all {
			eventually(t, 10*time.Second, "the moved file found under its new id", func() bool { _, err := c.File(ctx, mf.NewFileID); return err == nil })
			eventually(t, 10*time.Second, "the old id gone", func() bool { return absent(c, mf.FileID) })
		}
		downloads(t, c3, mf.NewFileID, f.bytes[mf.FileID])
	}
	for _, c := range all {
		eventually(t, 10*time.Second, "searches see the new paths only", func() bool {
			return search(t, c, "ptarmigan path:archive/2025").Total == 6 && search(t, c, "ptarmigan path:reports/2025").Total == 1 &&
				search(t, c, "ptarmigan").Total == 9
		})
	}
	for _, n := range []*Node{n1, n2} {
		if got := storedPaths(t, n, "reports/2025/"); len(got) != 0 {
			t.Fatalf("the owner still stores %v", got)
		}
		if got := storedPaths(t, n, "archive/2025/"); len(got) != 3 {
			t.Fatalf("the owner stores %v under the new folder, want its 3 files", got)
		}
		eventually(t, 10*time.Second, "nothing left to replicate again", func() bool { return n.outbox.Status().Pending == 0 })
	}

	// Bad requests change nothing.
	src, dst := f.put(c1, `src "a" b/same.txt`), f.put(c1, "dst/same.txt")
	eventually(t, 10*time.Second, "the new uploads searchable", func() bool { return search(t, c2, "ptarmigan").Total == 11 })
	for _, c := range []struct {
		err  error
		code string
	}{
		{second(c2.MoveFolder(ctx, `src "a" b`, "dst", "")), "target_exists"}, // listed despite quotes and spaces
		{second(c2.DeleteFolder(ctx, "no/such/folder", "")), "folder_not_found"},
		{second(c2.DeleteFolder(ctx, "../dst", "")), "bad_path"},
		{second(c2.MoveFolder(ctx, "dst", "dst/inner", "")), "bad_path"},
		{second(c2.DeleteFolder(ctx, "", "")), "bad_path"},
	} {
		if ds.CodeOf(c.err) != c.code {
			t.Errorf("want %s, got %v", c.code, c.err)
		}
	}
	for _, id := range []string{src.FileID, dst.FileID} {
		if _, err := c3.File(ctx, id); err != nil {
			t.Fatalf("a refused move touched a file: %v", err)
		}
	}

	// Delete the moved folder through node 2.
	stale, err := n1.store.ByKey(ds.RecordKey(n1.ID(), api.UploadShare, "archive/2025/n1-0.txt"))
	if err != nil {
		t.Fatal(err)
	}
	del, err := c2.DeleteFolder(ctx, "archive/2025", "strong")
	if err != nil || del.Count != len(moved) {
		t.Fatalf("delete: %+v %v", del, err)
	}
	for _, c := range all {
		eventually(t, 10*time.Second, "the deleted folder is gone", func() bool {
			return search(t, c, "ptarmigan path:archive").Total == 0 && search(t, c, "ptarmigan").Total == 5
		})
		for _, df := range del.Files {
			eventually(t, 10*time.Second, "a deleted file is gone", func() bool { return absent(c, df.FileID) })
		}
		for _, k := range keep {
			if _, err := c.File(ctx, k.FileID); err != nil {
				t.Fatalf("a file outside the folder is gone: %s: %v", k.Path, err)
			}
		}
	}
	for _, n := range []*Node{n1, n2} {
		if got := storedPaths(t, n, "archive/"); len(got) != 0 {
			t.Fatalf("the owner still stores %v", got)
		}
	}

	// An owner that has not adopted the delete yet re-sends its old
	// record: the replicas keep their newer tombstone.
	if err := n1.store.Put(stale); err != nil {
		t.Fatal(err)
	}
	n1.outbox.Wake()
	eventually(t, 10*time.Second, "the stale record's mark handled", func() bool {
		_, marked, err := n1.store.OutboxMark(stale.Key())
		return err == nil && !marked
	})
	if r, err := n2.data.Get(ctx, stale.Key(), quorum.Quorum); err != nil || r.Found {
		t.Fatalf("a stale owner's re-send: found %v (%v)", r.Found, err)
	}
	if _, err := n1.store.Delete(stale.Key()); err != nil {
		t.Fatal(err)
	}
}

func second[T any](_ T, err error) error { return err }

// TestFolderDeleteWhileOwnerDown: an owner is down when its files'
// folder is deleted and a fourth node joins (placement changes) before it
// restarts. Back, it re-sends its records of the moved partitions — not
// those the replicas hold newer tombstones of — and drops them from its
// store once its notice reaches it: nothing comes back, on any node.
func TestFolderDeleteWhileOwnerDown(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a four-node cluster")
	}
	tc := startCluster(t, nil, nil, nil)
	n1, n2 := tc.nodes[0], tc.nodes[1]
	c1, c2, c3 := tc.admins[0], tc.admins[1], tc.admins[2]
	ctx := context.Background()
	f := &folderFixture{t: t, word: "lemming", bytes: map[string][]byte{}}
	var gone []ds.Record
	for i := range 2 {
		gone = append(gone, f.put(c1, fmt.Sprintf("logs/n1-%d.txt", i)), f.put(c2, fmt.Sprintf("logs/deep/n2-%d.txt", i)))
	}
	other := f.put(c2, "other/kept.txt")
	eventually(t, 20*time.Second, "every upload searchable", func() bool { return search(t, c1, "lemming").Total == 5 })

	cfg2 := n2.cfg
	cfg2.HTTPAddr, cfg2.InternalAddr = n2.listener.Addr().String(), n2.InternalAddr()
	if err := n2.Close(); err != nil {
		t.Fatal(err)
	}
	res, err := c1.DeleteFolder(ctx, "logs", "quorum")
	if err != nil || res.Count != len(gone) {
		t.Fatalf("delete with an owner down: %+v %v", res, err)
	}

	// Placement changes while the owner is down.
	cfg4 := DefaultConfig()
	cfg4.DataDir, cfg4.HTTPAddr, cfg4.InternalAddr = t.TempDir(), "127.0.0.1:0", "127.0.0.1:0"
	cfg4.Join, cfg4.Token = n1.InternalAddr(), n1.JoinToken()
	_, c4 := startWith(t, cfg4)

	back, err := New(cfg2)
	if err != nil {
		t.Fatal(err)
	}
	if err := back.Start(ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = back.Close() })
	eventually(t, 60*time.Second, "the restarted owner dropped the deleted files", func() bool {
		return len(storedPaths(t, back, "logs/")) == 0 && back.outbox.Status().Pending == 0
	})
	cb := login(t, back, "admin", testAdminPassword)
	for _, c := range []*client.Client{c1, cb, c3, c4} {
		eventually(t, 30*time.Second, "no deleted file found", func() bool {
			if search(t, c, "lemming").Total != 1 {
				return false
			}
			for _, g := range gone {
				if !absent(c, g.FileID) {
					return false
				}
			}
			return true
		})
		if _, err := c.File(ctx, other.FileID); err != nil {
			t.Fatalf("the file outside the folder: %v", err)
		}
	}
	// The replicas keep the tombstones: the owner's re-sends did not
	// overwrite them.
	for _, g := range gone {
		if r, err := n1.data.Get(ctx, g.Key(), quorum.Quorum); err != nil || r.Found {
			t.Fatalf("%s on the replicas after the owner's restart: found %v (%v)", g.Path, r.Found, err)
		}
	}
}

// TestFolderCoordinatorCrash: the coordinator fails right after the
// prepare — the operation aborts everywhere and every file stays — then,
// in a second operation, right after the commit was recorded, and stops:
// the participants commit by themselves, the surviving owner drops its
// files, and the coordinator, itself an owner, drops its own at restart.
func TestFolderCoordinatorCrash(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a three-node cluster")
	}
	errCrash := errors.New("coordinator crashed (test)")
	var mu sync.Mutex
	var crashNode, crashStage string
	tweak := func(cfg *Config) {
		cfg.DataPlane = func(_ *replica.Config, d *replica.Deps) {
			d.Txn = replica.TxnConfig{Timeout: time.Second, RecoveryInterval: 100 * time.Millisecond}
			self := d.Self
			d.TxnHook = func(stage, _ string) error {
				mu.Lock()
				defer mu.Unlock()
				if self == crashNode && stage == crashStage {
					return errCrash
				}
				return nil
			}
		}
	}
	tc := startClusterWith(t, tweak, nil, nil, nil)
	n1, n2, n3 := tc.nodes[0], tc.nodes[1], tc.nodes[2]
	c1, c2, c3 := tc.admins[0], tc.admins[1], tc.admins[2]
	ctx := context.Background()
	f := &folderFixture{t: t, word: "muskox", bytes: map[string][]byte{}}
	var files []ds.Record
	for i := range 2 {
		files = append(files, f.put(c1, fmt.Sprintf("herd/n1-%d.txt", i)), f.put(c2, fmt.Sprintf("herd/n2-%d.txt", i)))
	}
	eventually(t, 20*time.Second, "every upload searchable", func() bool { return search(t, c1, "muskox").Total == 4 })
	crash := func(stage string) {
		mu.Lock()
		crashNode, crashStage = n1.ID(), stage
		mu.Unlock()
	}
	settled := func(ns ...*Node) func() bool {
		return func() bool {
			for _, n := range ns {
				if n.data.TxnStatus().PendingTxns != 0 {
					return false
				}
			}
			return true
		}
	}

	// Fails before the decision: aborted everywhere.
	crash("prepared")
	if _, err := c1.DeleteFolder(ctx, "herd", "strong"); err == nil {
		t.Fatal("the delete succeeded despite the crash")
	}
	eventually(t, 20*time.Second, "every participant resolved the abandoned operation", settled(n1, n2, n3))
	for _, rec := range files {
		for _, c := range []*client.Client{c1, c2, c3} {
			if _, err := c.File(ctx, rec.FileID); err != nil {
				t.Fatalf("an aborted delete removed %s: %v", rec.Path, err)
			}
		}
		if r, err := n3.data.Get(ctx, rec.Key(), quorum.Quorum); err != nil || !r.Found {
			t.Fatalf("%s on the replicas after an abort: %v %v", rec.Path, r.Found, err)
		}
	}

	// Fails right after the decision, and stops.
	crash("decided")
	if _, err := c1.DeleteFolder(ctx, "herd", "strong"); err == nil {
		t.Fatal("the delete answered despite the crash")
	}
	cfg1 := n1.cfg
	cfg1.HTTPAddr, cfg1.InternalAddr = n1.listener.Addr().String(), n1.InternalAddr()
	if err := n1.Close(); err != nil {
		t.Fatal(err)
	}
	eventually(t, 30*time.Second, "the participants committed by themselves", settled(n2, n3))
	for _, c := range []*client.Client{c2, c3} {
		eventually(t, 10*time.Second, "no file of the deleted folder found", func() bool { return search(t, c, "muskox").Total == 0 })
	}
	eventually(t, 10*time.Second, "the surviving owner dropped its files", func() bool { return len(storedPaths(t, n2, "herd/")) == 0 })

	back, err := New(cfg1)
	if err != nil {
		t.Fatal(err)
	}
	if err := back.Start(ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = back.Close() })
	eventually(t, 30*time.Second, "the restarted coordinator dropped its own files", func() bool {
		return len(storedPaths(t, back, "herd/")) == 0 && back.data.TxnStatus().PendingTxns == 0
	})
	cb := login(t, back, "admin", testAdminPassword)
	for _, c := range []*client.Client{cb, c2, c3} {
		eventually(t, 20*time.Second, "no file of the deleted folder found", func() bool {
			if search(t, c, "muskox").Total != 0 {
				return false
			}
			for _, rec := range files {
				if !absent(c, rec.FileID) {
					return false
				}
			}
			return true
		})
	}
}
