package main

import (
	"bytes"
	"context"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"
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

// TestCLIAgainstARunningNode runs `distrisearch node` and drives it with the
// search, get and status commands, as a user would.
func TestCLIAgainstARunningNode(t *testing.T) {
	share := t.TempDir()
	if err := os.WriteFile(filepath.Join(share, "notes.md"), []byte("# Heron\nThe grey heron waits in the reeds."), 0o644); err != nil {
		t.Fatal(err)
	}
	addr := freeAddr(t)
	server := "http://" + addr
	ctx, cancel := context.WithCancel(context.Background())
	var nodeOut, nodeErr syncBuffer
	done := make(chan int)
	go func() {
		done <- run(ctx, []string{"node", "--data", t.TempDir(), "--http-addr", addr, "--internal-addr", "127.0.0.1:0", "--share", "birds=" + share, "--log-level", "warn"}, &nodeOut, &nodeErr)
	}()
	defer func() {
		cancel()
		if code := <-done; code != 0 {
			t.Errorf("node exited with %d: %s", code, nodeErr.String())
		}
	}()
	deadline := time.Now().Add(20 * time.Second)
	for {
		out, _, code := cli(t, "status", "--server", server)
		if code == 0 && strings.Contains(out, "ready true") {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("node not ready: %s %s", out, nodeErr.String())
		}
		time.Sleep(100 * time.Millisecond)
	}

	out, errOut, code := cli(t, "search", "--server", server, "heron")
	if code != 0 || !strings.Contains(out, "1 files match") || !strings.Contains(out, "birds:notes.md") || !strings.Contains(out, "[heron]") {
		t.Fatalf("search: %d %q %q", code, out, errOut)
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

	// Errors are explained, with the exit code of the kind of mistake.
	if _, errOut, code = cli(t, "search", "--server", server, "heron)"); code != 1 || !strings.Contains(errOut, "bad_query") {
		t.Fatalf("bad query: %d %q", code, errOut)
	}
	if _, errOut, code = cli(t, "get", "--server", server, "../../etc/passwd"); code != 2 || !strings.Contains(errOut, "FILE_ID") {
		t.Fatalf("bad id: %d %q", code, errOut)
	}
	if _, errOut, code = cli(t, "search", "--server", "http://127.0.0.1:1", "x"); code != 1 || !strings.Contains(errOut, "cannot reach") {
		t.Fatalf("unreachable: %d %q", code, errOut)
	}
	// The node is its own one-member cluster: nodes shows it as the coordinator,
	// and events replays what happened (the leader election, the indexed file).
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
	if out, errOut, code = cli(t, "events", "--server", server); code != 0 || !strings.Contains(out, "leader_elected") || !strings.Contains(out, "file_indexed") {
		t.Fatalf("events: %d %q %q", code, out, errOut)
	}
	if out, errOut, code = cli(t, "events", "--server", server, "--types", "file_indexed", "--json"); code != 0 || strings.Contains(out, "leader_elected") || !strings.Contains(out, `"notes.md"`) {
		t.Fatalf("events filtered: %d %q %q", code, out, errOut)
	}
	resp, err := http.Get(server + "/api/openapi.json")
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("openapi: %v", err)
	}
	resp.Body.Close()
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
