package main

import (
	"bytes"
	"context"
	"crypto/tls"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/distrisearch/distrisearch/client"
)

// syncBuffer is a bytes.Buffer safe for a writer goroutine and a reader.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func freeAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

func cli(t *testing.T, args ...string) (string, string, int) {
	t.Helper()
	var out, errOut bytes.Buffer
	code := run(context.Background(), args, &out, &errOut)
	return out.String(), errOut.String(), code
}

// adminPassword is the first administrator's password of the nodes the
// tests start (through DISTRISEARCH_ADMIN_PASSWORD).
const adminPassword = "heron-watcher-2025"

// TestCLIAgainstARunningNode runs `distrisearch node`, logs in as the
// administrator over HTTPS with the cluster CA, and drives the node with the
// search, get, status, user and audit commands, as a user would.
func TestCLIAgainstARunningNode(t *testing.T) {
	isolate(t)
	t.Setenv("DISTRISEARCH_ADMIN_PASSWORD", adminPassword)
	share := t.TempDir()
	if err := os.WriteFile(filepath.Join(share, "notes.md"), []byte("# Heron\nThe grey heron waits in the reeds."), 0o644); err != nil {
		t.Fatal(err)
	}
	vault := t.TempDir()
	if err := os.WriteFile(filepath.Join(vault, "ledger.md"), []byte("The kingfisher ledger."), 0o644); err != nil {
		t.Fatal(err)
	}
	addr := freeAddr(t)
	server := "https://" + addr
	data := t.TempDir()
	ca := filepath.Join(data, "tls", "ca.crt")
	ctx, cancel := context.WithCancel(context.Background())
	var nodeOut, nodeErr syncBuffer
	done := make(chan int)
	go func() {
		done <- run(ctx, []string{"node", "--data", data, "--http-addr", addr, "--internal-addr", "127.0.0.1:0", "--share", "birds=" + share,
			"--share", "vault=" + vault, "--share-access", "vault=group:finance",
			"--log-level", "warn", "--rate-per-ip", "100000", "--rate-per-user", "100000", "--rate-login", "1000"}, &nodeOut, &nodeErr)
	}()
	defer func() {
		cancel()
		if code := <-done; code != 0 {
			t.Errorf("node exited with %d: %s", code, nodeErr.String())
		}
	}()
	// Health needs no token; everything else does.
	tlsConf, err := waitForTLS(t, ca, server)
	if err != nil {
		t.Fatalf("node not serving HTTPS with the cluster CA: %v\n%s", err, nodeErr.String())
	}
	hc := &http.Client{Transport: &http.Transport{TLSClientConfig: tlsConf}}
	for path, want := range map[string]int{"/api/health": 200, "/api/openapi.json": 200, "/api/search?q=heron": 401, "/api/status": 401} {
		resp, err := hc.Get(server + path)
		if err != nil || resp.StatusCode != want {
			t.Fatalf("anonymous GET %s: %v %v, want %d", path, resp, err, want)
		}
		resp.Body.Close()
	}
	if !strings.Contains(nodeOut.String(), "--ca "+ca) {
		t.Errorf("the node does not say which CA clients trust:\n%s", nodeOut.String())
	}
	if _, errOut, code := cli(t, "status", "--server", server, "--ca", ca); code != 1 || !strings.Contains(errOut, "not logged in or session expired") {
		t.Fatalf("status before login: %d %q", code, errOut)
	}
	deadline := time.Now().Add(20 * time.Second)
	for {
		out, errOut, code := cliIn(t, adminPassword+"\n", "login", "--server", server, "--ca", ca, "--user", "admin", "--password-stdin")
		if code == 0 && strings.Contains(out, "as admin") {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("login: %d %q %q\n%s", code, out, errOut, nodeErr.String())
		}
		time.Sleep(200 * time.Millisecond)
	}
	// The saved session carries the CA and the token: --server is enough.
	deadline = time.Now().Add(20 * time.Second)
	for {
		out, _, code := cli(t, "status", "--server", server)
		if code == 0 && strings.Contains(out, "ready true") {
			if !strings.Contains(out, "data plane: holds ") {
				t.Fatalf("status without the data plane: %s", out)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("node not ready: %s %s", out, nodeErr.String())
		}
		time.Sleep(100 * time.Millisecond)
	}
	if out, errOut, code := cli(t, "whoami", "--server", server); code != 0 || !strings.Contains(out, "admin (id ") || !strings.Contains(out, "roles   admin") {
		t.Fatalf("whoami: %d %q %q", code, out, errOut)
	}

	out, errOut, code := cli(t, "search", "--server", server, "heron")
	if code != 0 || !strings.Contains(out, "1 files match") || !strings.Contains(out, "birds:notes.md") || !strings.Contains(out, "[heron]") {
		t.Fatalf("search: %d %q %q", code, out, errOut)
	}
	if out, errOut, code := cli(t, "search", "--server", server, "kingfisher"); code != 0 || !strings.Contains(out, "vault:ledger.md") {
		t.Fatalf("the administrator searches the vault: %d %q %q", code, out, errOut)
	}
	id := regexp.MustCompile(`id ([0-9a-f]{64})`).FindStringSubmatch(out)
	if id == nil {
		t.Fatalf("no id in %q", out)
	}

	dst := filepath.Join(t.TempDir(), "copy.md")
	// A leftover partial download is resumed, and the result is verified.
	if err := os.WriteFile(dst+".part", []byte("# Heron\nThe"), 0o644); err != nil {
		t.Fatal(err)
	}
	if out, errOut, code = cli(t, "get", "--server", server, "-q", id[1], "-o", dst); code != 0 {
		t.Fatalf("get: %d %q %q", code, out, errOut)
	}
	if b, _ := os.ReadFile(dst); string(b) != "# Heron\nThe grey heron waits in the reeds." {
		t.Fatalf("downloaded %q", b)
	}

	// Upload a file, find it, fetch it back and delete it; a shared file
	// cannot be deleted.
	up := filepath.Join(t.TempDir(), "tern.txt")
	if err := os.WriteFile(up, []byte("The arctic tern migrates from pole to pole."), 0o644); err != nil {
		t.Fatal(err)
	}
	if out, errOut, code = cli(t, "put", "--server", server, up, "--name", "tern log.txt", "--consistency", "strong"); code != 0 || !strings.Contains(out, "uploaded tern log.txt") {
		t.Fatalf("put: %d %q %q", code, out, errOut)
	}
	upID := regexp.MustCompile(`file id ([0-9a-f]{64})`).FindStringSubmatch(out)
	if upID == nil {
		t.Fatalf("no file id in %q", out)
	}
	for deadline := time.Now().Add(10 * time.Second); ; {
		out, errOut, code = cli(t, "search", "--server", server, "tern")
		if code == 0 && strings.Contains(out, "uploads:tern log.txt") {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("search for the upload: %d %q %q", code, out, errOut)
		}
		time.Sleep(100 * time.Millisecond)
	}
	upCopy := filepath.Join(t.TempDir(), "tern copy.txt")
	if out, errOut, code = cli(t, "get", "--server", server, "-q", upID[1], "-o", upCopy); code != 0 {
		t.Fatalf("get the upload: %d %q %q", code, out, errOut)
	}
	if b, _ := os.ReadFile(upCopy); string(b) != "The arctic tern migrates from pole to pole." {
		t.Fatalf("downloaded upload %q", b)
	}
	if out, errOut, code = cli(t, "rm", "--server", server, upID[1]); code != 0 || !strings.Contains(out, "deleted") {
		t.Fatalf("rm: %d %q %q", code, out, errOut)
	}
	if _, errOut, code = cli(t, "rm", "--server", server, upID[1]); code != 1 || !strings.Contains(errOut, "file_not_found") {
		t.Fatalf("rm twice: %d %q", code, errOut)
	}
	if _, errOut, code = cli(t, "rm", "--server", server, id[1]); code != 1 || !strings.Contains(errOut, "not_deletable") {
		t.Fatalf("rm of a shared file: %d %q", code, errOut)
	}

	// A folder of uploads: put a file in it, move the folder, delete it.
	if out, errOut, code = cli(t, "put", "--server", server, "-q", up, "--folder", "birds/2025"); code != 0 || !strings.Contains(out, "uploaded birds/2025/tern.txt") {
		t.Fatalf("put --folder: %d %q %q", code, out, errOut)
	}
	searchShows := func(q, want string) {
		t.Helper()
		for deadline := time.Now().Add(10 * time.Second); ; {
			out, errOut, code = cli(t, "search", "--server", server, q)
			if code == 0 && strings.Contains(out, want) {
				return
			}
			if time.Now().After(deadline) {
				t.Fatalf("search %q for %q: %d %q %q", q, want, code, out, errOut)
			}
			time.Sleep(100 * time.Millisecond)
		}
	}
	searchShows("tern", "uploads:birds/2025/tern.txt")
	if out, errOut, code = cli(t, "mvdir", "--server", server, "birds/2025", "archive/birds"); code != 0 || !strings.Contains(out, "moved 1 files") || !strings.Contains(out, "archive/birds/tern.txt") {
		t.Fatalf("mvdir: %d %q %q", code, out, errOut)
	}
	searchShows("tern", "uploads:archive/birds/tern.txt")
	if out, errOut, code = cli(t, "rmdir", "--server", server, "archive/birds"); code != 0 || !strings.Contains(out, "deleted 1 files") {
		t.Fatalf("rmdir: %d %q %q", code, out, errOut)
	}
	if _, errOut, code = cli(t, "rmdir", "--server", server, "archive/birds"); code != 1 || !strings.Contains(errOut, "folder_not_found") {
		t.Fatalf("rmdir twice: %d %q", code, errOut)
	}

	// Errors are explained, with the exit code of the kind of mistake.
	if _, errOut, code = cli(t, "search", "--server", server, "heron)"); code != 1 || !strings.Contains(errOut, "bad_query") {
		t.Fatalf("bad query: %d %q", code, errOut)
	}
	if _, errOut, code = cli(t, "get", "--server", server, "../../etc/passwd"); code != 2 || !strings.Contains(errOut, "FILE_ID") {
		t.Fatalf("bad id: %d %q", code, errOut)
	}
	if _, errOut, code = cli(t, "search", "--server", "https://127.0.0.1:1", "x"); code != 1 || !strings.Contains(errOut, "cannot reach") {
		t.Fatalf("unreachable: %d %q", code, errOut)
	}
	if _, errOut, code = cli(t, "search", "--server", "http://"+addr, "x"); code != 1 {
		t.Fatalf("plain HTTP to an HTTPS node: %d %q", code, errOut)
	}
	// The node is its own one-member cluster: nodes shows it as the coordinator,
	// and events replays what happened (the indexed files; a node's first view
	// of the cluster is its baseline, so its own election may not be news).
	for deadline := time.Now().Add(10 * time.Second); ; {
		out, errOut, code = cli(t, "nodes", "--server", server)
		if code == 0 && strings.Contains(out, "COORDINATOR") && strings.Contains(out, "ALIVE") {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("nodes: %d %q %q", code, out, errOut)
		}
		time.Sleep(100 * time.Millisecond)
	}
	if out, errOut, code = cli(t, "events", "--server", server); code != 0 || !strings.Contains(out, "file_indexed") || !strings.Contains(out, `"notes.md"`) {
		t.Fatalf("events: %d %q %q", code, out, errOut)
	}
	if out, errOut, code = cli(t, "events", "--server", server, "--types", "node_joined", "--json"); code != 0 || strings.Contains(out, "file_indexed") {
		t.Fatalf("events filtered: %d %q %q", code, out, errOut)
	}

	// Users: a plain user logs in and searches; it may not administer.
	if out, errOut, code = cliIn(t, "osprey-watcher-1\n", "user", "add", "ana", "--server", server, "--role", "user", "--group", "birders", "--password-stdin"); code != 0 || !strings.Contains(out, "created user ana") {
		t.Fatalf("user add: %d %q %q", code, out, errOut)
	}
	if out, errOut, code = cli(t, "user", "list", "--server", server); code != 0 || !regexp.MustCompile(`ana\s+user\s+birders\s+active`).MatchString(out) {
		t.Fatalf("user list: %d %q %q", code, out, errOut)
	}
	if _, errOut, code = cliIn(t, "x-wrong-password\n", "user", "add", "ana", "--server", server, "--role", "user", "--password-stdin"); code != 1 || !strings.Contains(errOut, "user_exists") {
		t.Fatalf("user add twice: %d %q", code, errOut)
	}
	if out, errOut, code = cli(t, "audit", "--server", server, "--since", "1h"); code != 0 || !strings.Contains(out, "login_success") || !strings.Contains(out, "user_add") {
		t.Fatalf("audit: %d %q %q", code, out, errOut)
	}
	if out, errOut, code = cli(t, "audit", "verify", "--server", server); code != 0 || !strings.Contains(out, "every link intact") {
		t.Fatalf("audit verify: %d %q %q", code, out, errOut)
	}
	if out, errOut, code = cli(t, "keys", "rotate", "--server", server); code != 0 || !strings.Contains(out, "new tokens are signed with key") {
		t.Fatalf("keys rotate: %d %q %q", code, out, errOut)
	}
	// The administrator's session survives the rotation.
	if _, errOut, code = cli(t, "whoami", "--server", server); code != 0 {
		t.Fatalf("whoami after rotation: %d %q", code, errOut)
	}
	if out, errOut, code = cliIn(t, "osprey-watcher-1\n", "login", "--server", server, "--user", "ana", "--password-stdin"); code != 0 || !strings.Contains(out, "as ana") {
		t.Fatalf("login as ana: %d %q %q", code, out, errOut)
	}
	if out, errOut, code = cli(t, "search", "--server", server, "heron"); code != 0 || !strings.Contains(out, "1 files match") {
		t.Fatalf("search as ana: %d %q %q", code, out, errOut)
	}
	// The vault is for the finance group: ana (a birder) does not see it.
	if out, errOut, code = cli(t, "search", "--server", server, "kingfisher"); code != 0 || !strings.Contains(out, "0 files match") {
		t.Fatalf("search the vault as ana: %d %q %q", code, out, errOut)
	}
	if _, errOut, code = cli(t, "user", "list", "--server", server); code != 1 || !strings.Contains(errOut, "whoami") {
		t.Fatalf("user list as a plain user: %d %q", code, errOut)
	}
	// Logout revokes the token: the next command asks for a login.
	store, _ := defaultCredStore()
	saved, _, _ := store.get(server)
	if out, errOut, code = cli(t, "logout", "--server", server); code != 0 || !strings.Contains(out, "logged out of") {
		t.Fatalf("logout: %d %q %q", code, out, errOut)
	}
	t.Setenv("DISTRISEARCH_TOKEN", saved.Token)
	if _, errOut, code = cli(t, "search", "--server", server, "heron"); code != 1 || !strings.Contains(errOut, "not logged in or session expired") || !strings.Contains(errOut, "token_revoked") {
		t.Fatalf("search with a revoked token: %d %q", code, errOut)
	}
}

// waitForTLS waits until the cluster CA exists and the node answers its
// health check over HTTPS with a certificate the CA signed.
func waitForTLS(t *testing.T, caFile, server string) (*tls.Config, error) {
	t.Helper()
	var err error
	for deadline := time.Now().Add(20 * time.Second); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
		var conf *tls.Config
		if conf, err = client.TLSConfig(caFile, nil); err != nil {
			continue
		}
		var c *client.Client
		if c, err = client.NewWithOptions(server, client.Options{CAFile: caFile}); err != nil {
			continue
		}
		if err = c.Health(context.Background()); err == nil {
			return conf, nil
		}
	}
	return nil, err
}

func TestUsageErrors(t *testing.T) {
	if _, _, code := cli(t); code != 2 {
		t.Fatalf("no args: %d", code)
	}
	if _, errOut, code := cli(t, "frobnicate"); code != 2 || !strings.Contains(errOut, "unknown command") {
		t.Fatalf("unknown: %d %q", code, errOut)
	}
	if _, errOut, code := cli(t, "node", "--share", "nopath"); code != 2 || !strings.Contains(errOut, "NAME=PATH") {
		t.Fatalf("bad share flag: %d %q", code, errOut)
	}
	if _, errOut, code := cli(t, "node", "--data", t.TempDir(), "--share", "x=/does/not/exist"); code != 2 || !strings.Contains(errOut, "not accessible") {
		t.Fatalf("missing share folder: %d %q", code, errOut)
	}
	if out, _, code := cli(t, "version"); code != 0 || strings.TrimSpace(out) == "" {
		t.Fatalf("version: %d %q", code, out)
	}
}
