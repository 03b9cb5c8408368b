package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// isolate points the user configuration directory at a fresh folder and
// clears the environment the commands read.
func isolate(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	t.Setenv("XDG_CONFIG_HOME", dir)
	t.Setenv("HOME", dir) // os.UserConfigDir on systems without XDG
	for _, v := range []string{"DISTRISEARCH_SERVER", "DISTRISEARCH_CA", "DISTRISEARCH_TOKEN", "DISTRISEARCH_USER", "DISTRISEARCH_PASSWORD", "DISTRISEARCH_ADMIN_PASSWORD"} {
		t.Setenv(v, "")
	}
	return dir
}

func TestCredStoreKeepsOneLoginPerServerPrivately(t *testing.T) {
	isolate(t)
	store, err := defaultCredStore()
	if err != nil {
		t.Fatal(err)
	}
	if _, ok, err := store.get("https://a:1"); ok || err != nil {
		t.Fatalf("empty store: %v %v", ok, err)
	}
	exp := time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)
	if err := store.put(credentials{Server: "https://A:1/", Token: "tok-a", ExpiresAt: exp, CAFile: "/ca/a.crt", Username: "ana"}); err != nil {
		t.Fatal(err)
	}
	if err := store.put(credentials{Server: "https://b:2", Token: "tok-b"}); err != nil {
		t.Fatal(err)
	}
	// Spellings of one server share a login; other servers have their own.
	got, ok, err := store.get("https://a:1")
	if err != nil || !ok || got.Token != "tok-a" || !got.ExpiresAt.Equal(exp) || got.CAFile != "/ca/a.crt" || got.Server != "https://a:1" {
		t.Fatalf("get a: %+v %v %v", got, ok, err)
	}
	if got, _, _ := store.get("https://b:2/"); got.Token != "tok-b" {
		t.Fatalf("get b: %+v", got)
	}
	if err := store.put(credentials{Server: "https://a:1", Token: "tok-a2"}); err != nil {
		t.Fatal(err)
	}
	if got, _, _ := store.get("https://a:1"); got.Token != "tok-a2" {
		t.Fatalf("replaced: %+v", got)
	}

	// Only the owner can read the file and enter its directory.
	if !strings.HasSuffix(store.path, filepath.Join("distrisearch", "credentials.json")) {
		t.Fatalf("path %s", store.path)
	}
	fi, err := os.Stat(store.path)
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("file mode %v %v", fi.Mode(), err)
	}
	di, err := os.Stat(filepath.Dir(store.path))
	if err != nil || di.Mode().Perm() != 0o700 {
		t.Fatalf("dir mode %v %v", di.Mode(), err)
	}

	// Forgetting drops the token and keeps the CA for the next login.
	if err := store.put(credentials{Server: "https://a:1", Token: "tok-a3", CAFile: "/ca/a.crt"}); err != nil {
		t.Fatal(err)
	}
	if had, err := store.forget("https://a:1"); !had || err != nil {
		t.Fatalf("forget: %v %v", had, err)
	}
	if had, _ := store.forget("https://a:1"); had {
		t.Fatal("forgot a token twice")
	}
	if got, ok, _ := store.get("https://a:1"); !ok || got.Token != "" || got.CAFile != "/ca/a.crt" {
		t.Fatalf("after forget: %+v", got)
	}
	if had, _ := store.forget("https://b:2"); !had {
		t.Fatal("forget b")
	}
	if _, ok, _ := store.get("https://b:2"); ok {
		t.Fatal("a login without a CA is kept after forget")
	}
	if err := store.put(credentials{Server: "https://b:2", Token: "tok-b"}); err != nil {
		t.Fatal(err)
	}
	if _, ok, _ := store.get("https://b:2"); !ok {
		t.Fatal("the other server's login went too")
	}
}

// TestCredStoreReplacesTheFileAtomically: the file is written beside and
// renamed over the old one, so readers see the old or the new content,
// never a mix; no temporary file is left, and a file someone loosened is
// private again.
func TestCredStoreReplacesTheFileAtomically(t *testing.T) {
	isolate(t)
	store, _ := defaultCredStore()
	if err := store.put(credentials{Server: "https://a:1", Token: "one"}); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(store.path, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(filepath.Dir(store.path), 0o755); err != nil {
		t.Fatal(err)
	}
	before, _ := os.Stat(store.path)
	if err := store.put(credentials{Server: "https://a:1", Token: "two"}); err != nil {
		t.Fatal(err)
	}
	after, _ := os.Stat(store.path)
	if os.SameFile(before, after) {
		t.Fatal("the file was rewritten in place, not replaced")
	}
	if after.Mode().Perm() != 0o600 {
		t.Fatalf("mode %v", after.Mode())
	}
	if di, _ := os.Stat(filepath.Dir(store.path)); di.Mode().Perm() != 0o700 {
		t.Fatalf("dir mode %v", di.Mode())
	}
	entries, _ := os.ReadDir(filepath.Dir(store.path))
	if len(entries) != 1 {
		t.Fatalf("left behind: %v", entries)
	}
	// A damaged file is reported with what to do, and not overwritten.
	if err := os.WriteFile(store.path, []byte("{not json"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, _, err := store.get("https://a:1"); err == nil || !strings.Contains(err.Error(), "log in again") {
		t.Fatalf("damaged: %v", err)
	}
	if err := store.put(credentials{Server: "https://a:1", Token: "three"}); err == nil {
		t.Fatal("a damaged file was overwritten")
	}
}

func TestServerKey(t *testing.T) {
	for in, want := range map[string]string{
		"https://127.0.0.1:8080":       "https://127.0.0.1:8080",
		"https://127.0.0.1:8080/":      "https://127.0.0.1:8080",
		" HTTPS://Search.Example:443 ": "https://search.example:443",
		"https://gw.example/ds/":       "https://gw.example/ds",
		"http://127.0.0.1:8080":        "http://127.0.0.1:8080",
	} {
		if got := serverKey(in); got != want {
			t.Errorf("serverKey(%q) = %q, want %q", in, got, want)
		}
	}
}
