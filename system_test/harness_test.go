package system

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/distrisearch/distrisearch/api"
	"github.com/distrisearch/distrisearch/client"
)

var (
	buildOnce sync.Once
	binPath   string
	buildErr  error
)

// binary builds cmd/distrisearch once per test run.
func binary(t *testing.T) string {
	t.Helper()
	buildOnce.Do(func() {
		dir, err := os.MkdirTemp("", "distrisearch-bin-")
		if err != nil {
			buildErr = err
			return
		}
		binPath = filepath.Join(dir, "distrisearch")
		out, err := exec.Command("go", "build", "-o", binPath, "../cmd/distrisearch").CombinedOutput()
		if err != nil {
			buildErr = fmt.Errorf("go build: %v\n%s", err, out)
		}
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return binPath
}

// proc is one node process.
type proc struct {
	t        *testing.T
	name     string
	dataDir  string
	args     []string
	http     string
	internal string
	cmd      *exec.Cmd
	log      *bytes.Buffer
	done     chan struct{}
}

func freePort(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

// startProc starts `distrisearch node` with the given extra flags.
func startProc(t *testing.T, name, dataDir string, extra ...string) *proc {
	t.Helper()
	p := &proc{t: t, name: name, dataDir: dataDir, http: freePort(t), internal: freePort(t)}
	p.args = append([]string{"node", "--data", dataDir, "--http-addr", p.http, "--internal-addr", p.internal, "--log-level", "info"}, extra...)
	p.start()
	t.Cleanup(p.kill)
	return p
}

func (p *proc) start() {
	p.log = &bytes.Buffer{}
	p.cmd = exec.Command(binary(p.t), p.args...)
	p.cmd.Stdout, p.cmd.Stderr = p.log, p.log
	p.done = make(chan struct{})
	if err := p.cmd.Start(); err != nil {
		p.t.Fatal(err)
	}
	go func() { _ = p.cmd.Wait(); close(p.done) }()
}

// kill sends SIGKILL: no goodbye, as in a crash or a power cut.
func (p *proc) kill() {
	if p.cmd == nil || p.cmd.Process == nil {
		return
	}
	_ = p.cmd.Process.Kill()
	<-p.done
	if p.t.Failed() {
		p.t.Logf("--- log of %s ---\n%s", p.name, p.log.String())
	}
	p.cmd = nil
}

func (p *proc) signal(sig syscall.Signal) {
	if p.cmd != nil && p.cmd.Process != nil {
		_ = p.cmd.Process.Signal(sig)
	}
}

func (p *proc) client() *client.Client {
	c, err := client.New("http://"+p.http, nil)
	if err != nil {
		p.t.Fatal(err)
	}
	return c
}

func (p *proc) cluster(ctx context.Context) (api.ClusterInfo, error) {
	ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	return p.client().Cluster(ctx)
}

// waitFor polls cond until it holds; the deadline is a correctness bound,
// not a performance measurement.
func waitFor(t *testing.T, within time.Duration, what string, cond func() (bool, string)) {
	t.Helper()
	deadline := time.Now().Add(within)
	last := ""
	for time.Now().Before(deadline) {
		ok, state := cond()
		if ok {
			return
		}
		last = state
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatalf("%s: not within %s; last state: %s", what, within, last)
}

func memberStatus(info api.ClusterInfo, id string) string {
	for _, n := range info.Nodes {
		if n.ID == id {
			return n.Status
		}
	}
	return "absent"
}

func describe(info api.ClusterInfo) string {
	s := fmt.Sprintf("leader=%q term=%d:", info.LeaderID, info.Term)
	for _, n := range info.Nodes {
		s += fmt.Sprintf(" %s=%s(voter=%v)", n.ID, n.Status, n.Voter)
	}
	return s
}
