package node

import (
	"bytes"
	"context"
	"io"
	"os"
	"path/filepath"
	"testing"
	"time"

	ds "github.com/distrisearch/distrisearch"
	"github.com/distrisearch/distrisearch/client"
)

func startNode(t *testing.T, dataDir, shareDir string) (*Node, *client.Client) {
	t.Helper()
	cfg := DefaultConfig()
	cfg.DataDir = dataDir
	cfg.HTTPAddr = "127.0.0.1:0"
	cfg.InternalAddr = "127.0.0.1:0"
	cfg.Shares = []ShareConfig{{Name: "docs", Path: shareDir}}
	return startWith(t, cfg)
}

// testAdminPassword is the first administrator's password in node tests.
const testAdminPassword = "admin-password-for-tests"

// startWith starts a node from cfg (a new cluster unless cfg.Join) and
// returns it with a client signed in as the administrator over HTTPS,
// trusting the cluster CA.
func startWith(t *testing.T, cfg Config) (*Node, *client.Client) {
	t.Helper()
	cfg.AdminPassword = testAdminPassword
	// Tests poll; the limits themselves are tested in package api.
	cfg.RateLimits = RateLimits{PerIP: 100_000, PerUser: 100_000, Login: 100_000}
	n, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if err := n.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = n.Close() })
	select {
	case <-n.Ready():
	case <-time.After(30 * time.Second):
		t.Fatal("first scan did not finish")
	}
	return n, login(t, n, "admin", testAdminPassword)
}

// login returns a client of n signed in as username.
func login(t *testing.T, n *Node, username, password string) *client.Client {
	t.Helper()
	c, err := client.NewWithOptions(n.URL(), client.Options{CAFile: n.CAFile()})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.Login(context.Background(), username, password); err != nil {
		t.Fatalf("login as %s: %v", username, err)
	}
	return c
}

func search(t *testing.T, c *client.Client, q string) ds.SearchResult {
	t.Helper()
	res, err := c.Search(context.Background(), ds.SearchRequest{Query: q, Limit: 50})
	if err != nil {
		t.Fatalf("search %q: %v", q, err)
	}
	return res
}

// eventually polls cond until it holds or the correctness deadline passes.
func eventually(t *testing.T, within time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(within)
	for time.Now().Before(deadline) {
		if cond() {
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("%s: not true within %s", what, within)
}

func write(t *testing.T, path, content string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestNodeIndexesSearchesAndFollowsChanges(t *testing.T) {
	share := t.TempDir()
	write(t, filepath.Join(share, "a.txt"), "the albatross flies over the ocean")
	write(t, filepath.Join(share, "src", "lock.go"), "package lock\n\nvar mu sync.Mutex\n")
	_, c := startNode(t, t.TempDir(), share)

	if res := search(t, c, "albatross"); res.Total != 1 || res.Hits[0].Path != "a.txt" {
		t.Fatalf("albatross: %+v", res)
	}
	if res := search(t, c, "mutex"); res.Total != 1 || res.Hits[0].Path != "src/lock.go" {
		t.Fatalf("mutex: %+v", res)
	}

	// A new file in a new directory, a changed file and a deleted file are
	// reflected within 2 seconds.
	write(t, filepath.Join(share, "new", "deep", "b.md"), "# Pelican\nnotes about the pelican")
	write(t, filepath.Join(share, "a.txt"), "the cormorant dives")
	if err := os.Remove(filepath.Join(share, "src", "lock.go")); err != nil {
		t.Fatal(err)
	}
	eventually(t, 2*time.Second, "changes searchable", func() bool {
		return search(t, c, "pelican").Total == 1 && search(t, c, "cormorant").Total == 1 &&
			search(t, c, "albatross").Total == 0 && search(t, c, "mutex").Total == 0
	})
}

func TestDownloadServesIndexedBytesAndRefusesChangedFiles(t *testing.T) {
	share := t.TempDir()
	content := bytes.Repeat([]byte("0123456789"), 1000)
	write(t, filepath.Join(share, "digits.txt"), string(content))
	_, c := startNode(t, t.TempDir(), share)
	ctx := context.Background()

	res := search(t, c, "name:digits")
	if res.Total != 1 {
		t.Fatalf("hits %d", res.Total)
	}
	id := res.Hits[0].FileID
	rec, err := c.File(ctx, id)
	if err != nil || rec.Size != int64(len(content)) || rec.Extraction.State != ds.ExtractOK {
		t.Fatalf("record %+v err %v", rec, err)
	}
	body, _, ranged, err := c.Download(ctx, id, 0, "")
	if err != nil || ranged {
		t.Fatalf("download: ranged=%v err=%v", ranged, err)
	}
	got, _ := io.ReadAll(body)
	body.Close()
	if !bytes.Equal(got, content) {
		t.Fatalf("downloaded %d bytes, want %d", len(got), len(content))
	}
	body, _, ranged, err = c.Download(ctx, id, 9990, rec.ContentHash)
	if err != nil || !ranged {
		t.Fatalf("resume: ranged=%v err=%v", ranged, err)
	}
	got, _ = io.ReadAll(body)
	body.Close()
	if string(got) != "0123456789" {
		t.Fatalf("resumed tail %q", got)
	}

	// Change the file behind the record's back: the old id must not serve new bytes.
	write(t, filepath.Join(share, "digits.txt"), "changed")
	_, _, _, err = c.Download(ctx, id, 0, "")
	if k := ds.KindOf(err); k != ds.KindConflict && k != ds.KindNotFound {
		t.Fatalf("download of a changed file: %v", err)
	}
}

func TestRestartDoesNotReextractAndRepairsTheIndex(t *testing.T) {
	share, data := t.TempDir(), t.TempDir()
	for _, name := range []string{"one.txt", "two.txt", "three.txt"} {
		write(t, filepath.Join(share, name), "kestrel "+name)
	}
	n, c := startNode(t, data, share)
	if res := search(t, c, "kestrel"); res.Total != 3 {
		t.Fatalf("hits %d", res.Total)
	}
	id := n.ID()
	if err := n.Close(); err != nil {
		t.Fatal(err)
	}
	// Lose the index entirely, as after a crash between store and index.
	if err := os.RemoveAll(filepath.Join(data, "index")); err != nil {
		t.Fatal(err)
	}
	n2, c2 := startNode(t, data, share)
	if n2.ID() != id {
		t.Fatalf("node id changed across restart: %s → %s", id, n2.ID())
	}
	if res := search(t, c2, "kestrel"); res.Total != 3 {
		t.Fatalf("after restart: hits %d", res.Total)
	}
	p := n2.scanner.Progress()
	if p.Walk.Indexed != 0 || p.Walk.Unchanged != 3 {
		t.Fatalf("restart re-extracted files: %+v", p.Walk)
	}
}

func TestConfigValidation(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "f")
	write(t, file, "x")
	bad := []Config{
		{DataDir: "", HTTPAddr: "127.0.0.1:0", ScanInterval: time.Minute, Role: "hybrid"},
		{DataDir: dir, HTTPAddr: "nonsense", ScanInterval: time.Minute, Role: "hybrid"},
		{DataDir: dir, HTTPAddr: "127.0.0.1:0", ScanInterval: time.Millisecond, Role: "hybrid"},
		{DataDir: dir, HTTPAddr: "127.0.0.1:0", ScanInterval: time.Minute, Role: "king"},
		{DataDir: dir, HTTPAddr: "127.0.0.1:0", ScanInterval: time.Minute, Role: "hybrid", Shares: []ShareConfig{{Name: "../x", Path: dir}}},
		{DataDir: dir, HTTPAddr: "127.0.0.1:0", ScanInterval: time.Minute, Role: "hybrid", Shares: []ShareConfig{{Name: "a", Path: file}}},
		{DataDir: dir, HTTPAddr: "127.0.0.1:0", ScanInterval: time.Minute, Role: "hybrid", Shares: []ShareConfig{{Name: "a", Path: dir}, {Name: "a", Path: dir}}},
	}
	for i, cfg := range bad {
		if err := cfg.Validate(); err == nil {
			t.Errorf("config %d accepted: %+v", i, cfg)
		}
	}
}

func TestFirstNodeCreatesClusterWithAdmin(t *testing.T) {
	cfg := DefaultConfig()
	cfg.DataDir, cfg.HTTPAddr, cfg.InternalAddr = t.TempDir(), "127.0.0.1:0", "127.0.0.1:0"
	n, err := New(cfg) // no AdminPassword: one is generated
	if err != nil {
		t.Fatal(err)
	}
	if err := n.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = n.Close() })
	pw := n.AdminPassword()
	if pw == "" || n.JoinToken() == "" {
		t.Fatalf("a new cluster must show its admin password and join token once: %q %q", pw, n.JoinToken())
	}
	eventually(t, 10*time.Second, "admin committed to the cluster state", func() bool {
		u, ok := n.Cluster().UserByName("admin")
		return ok && u.CheckPassword(pw)
	})
	c := login(t, n, "admin", pw)
	if me, err := c.Me(context.Background()); err != nil || me.Username != "admin" {
		t.Fatalf("me: %+v %v", me, err)
	}
}

func TestIndexOfAnotherVersionIsRebuilt(t *testing.T) {
	share, data := t.TempDir(), t.TempDir()
	write(t, filepath.Join(share, "a.txt"), "the puffin nests on cliffs")
	n, c := startNode(t, data, share)
	if res := search(t, c, "puffin"); res.Total != 1 {
		t.Fatalf("hits %d", res.Total)
	}
	// Mark the index as written by another mapping version.
	if err := n.index.Bleve().SetInternal([]byte("ds_mapping_version"), []byte("0")); err != nil {
		t.Fatal(err)
	}
	if err := n.Close(); err != nil {
		t.Fatal(err)
	}
	_, c2 := startNode(t, data, share)
	if res := search(t, c2, "puffin"); res.Total != 1 {
		t.Fatalf("after rebuild: hits %d", res.Total)
	}
}
