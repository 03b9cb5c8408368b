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

// adminPassword is the first administrator's password of the clusters the
// tests create; init and the nodes get it through the environment.
const adminPassword = "osprey-over-the-lake"

// nodeEnv is the environment of every process the tests start.
func nodeEnv() []string {
	return append(os.Environ(), "DISTRISEARCH_ADMIN_PASSWORD="+adminPassword)
}

// generousLimits lift the API's rate limits, which the tests' polling of
// 127.0.0.1 would otherwise hit; they are tested in auth/ratelimit and api.
var generousLimits = []string{"--rate-per-ip", "1000000", "--rate-per-user", "1000000", "--rate-login", "10000"}

// session is the administrator's login to one cluster, shared by its
// processes: a token issued by one node is valid on all of them.
type session struct {
	caFile    string // the cluster CA, which signs every node's public certificate
	joinToken string // what `distrisearch init` printed

	mu    sync.Mutex // guards token
	token string
}

// login returns the token, logging in through p the first time.
func (s *session) login(ctx context.Context, p *proc) (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.token != "" {
		return s.token, nil
	}
	c, err := client.NewWithOptions("https://"+p.http, client.Options{CAFile: s.caFile})
	if err != nil {
		return "", err
	}
	res, err := c.Login(ctx, "admin", adminPassword)
	if err != nil {
		return "", fmt.Errorf("log in through %s: %w", p.name, err)
	}
	s.token = res.Token
	return s.token, nil
}

// proc is one node process.
type proc struct {
	t        *testing.T
	name     string
	dataDir  string
	args     []string
	http     string
	internal string
	sess     *session // nil until the process belongs to a cluster the tests log in to
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
	p.args = append(p.baseArgs(), extra...)
	p.start()
	t.Cleanup(p.kill)
	return p
}

// baseArgs are the flags every start of p gets: its data, its addresses.
func (p *proc) baseArgs() []string {
	args := []string{"node", "--data", p.dataDir, "--http-addr", p.http, "--internal-addr", p.internal, "--log-level", "info"}
	return append(args, generousLimits...)
}

func (p *proc) start() {
	p.log = &bytes.Buffer{}
	p.cmd = exec.Command(binary(p.t), p.args...)
	p.cmd.Env = nodeEnv()
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

// connect returns a client of p's API over HTTPS, trusting the cluster CA,
// with the administrator's token.
func (p *proc) connect(ctx context.Context) (*client.Client, error) {
	if p.sess == nil {
		return nil, fmt.Errorf("%s belongs to no cluster the test logged in to", p.name)
	}
	token, err := p.sess.login(ctx, p)
	if err != nil {
		return nil, err
	}
	return client.NewWithOptions("https://"+p.http, client.Options{CAFile: p.sess.caFile, Token: token})
}

// client is connect for a cluster known to be up.
func (p *proc) client() *client.Client {
	p.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, err := p.connect(ctx)
	if err != nil {
		p.t.Fatal(err)
	}
	return c
}

func (p *proc) cluster(ctx context.Context) (api.ClusterInfo, error) {
	ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	c, err := p.connect(ctx)
	if err != nil {
		return api.ClusterInfo{}, err
	}
	return c.Cluster(ctx)
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
