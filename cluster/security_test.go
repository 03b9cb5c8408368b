package cluster_test

import (
	"context"
	"errors"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/distrisearch/distrisearch/cluster"
	"github.com/distrisearch/distrisearch/internal/testcluster"
	"github.com/distrisearch/distrisearch/transport"
	"github.com/distrisearch/distrisearch/transport/pki"
	"github.com/hashicorp/raft"
)

// joinWith starts a fresh node that tries to join through seed with token.
func joinWith(t *testing.T, seed, token string) (string, error) {
	t.Helper()
	dir := t.TempDir()
	cfg := testcluster.TestConfig()
	cfg.DataDir, cfg.JoinAddr, cfg.JoinToken = dir, seed, token
	n, err := cluster.New(cfg, cluster.Deps{})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	err = n.Start(ctx)
	n.Close()
	return dir, err
}

func TestJoinNeedsAValidToken(t *testing.T) {
	c := testcluster.Start(t, 1, testcluster.Options{Voters: 1})
	leader := c.WaitLeader(5 * time.Second)
	good, err := pki.ParseJoinToken(c.Token)
	if err != nil {
		t.Fatal(err)
	}
	wrongSecret := good
	wrongSecret.Secret = append([]byte{}, good.Secret...)
	wrongSecret.Secret[0] ^= 0xff
	otherCA, _ := pki.NewCA("other", time.Now(), time.Hour)
	wrongCA := good
	wrongCA.CAHash = otherCA.Fingerprint()
	unknownID, _ := pki.NewJoinToken(good.CAHash)
	ctx := ctxT(t, 10*time.Second)
	short, _, err := leader.Get().CreateJoinToken(ctx, 50*time.Millisecond)
	if err != nil {
		t.Fatal(err)
	}
	time.Sleep(100 * time.Millisecond) // let the short token expire

	for name, tc := range map[string]struct {
		token string
		want  error
	}{
		"wrong secret":  {wrongSecret.String(), cluster.ErrBadJoinToken},
		"unknown token": {unknownID.String(), cluster.ErrBadJoinToken},
		"expired token": {short, cluster.ErrBadJoinToken},
		"malformed":     {"ds1_nonsense", cluster.ErrBadJoinToken},
		"other cluster": {wrongCA.String(), transport.ErrCAPinMismatch},
	} {
		t.Run(name, func(t *testing.T) {
			dir, err := joinWith(t, leader.Addr, tc.token)
			if !errors.Is(err, tc.want) {
				t.Fatalf("join: %v, want %v", err, tc.want)
			}
			if _, err := os.Stat(filepath.Join(dir, "tls", "node.crt")); err == nil {
				t.Fatal("a certificate was saved")
			}
		})
	}
	t.Run("fresh token works", func(t *testing.T) {
		tok, _, err := leader.Get().CreateJoinToken(ctx, time.Minute)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := joinWith(t, leader.Addr, tok); err != nil {
			t.Fatalf("join with a fresh token: %v", err)
		}
	})
}

func TestNoCertificateNoAccess(t *testing.T) {
	c := testcluster.Start(t, 1, testcluster.Options{Voters: 1})
	leader := c.WaitLeader(5 * time.Second)
	addr := leader.Addr
	now := time.Now()
	valid, _ := c.CA.IssueNode("intruder-ok", nil, now, time.Hour)
	expired, _ := c.CA.IssueNode("intruder-old", nil, now.Add(-3*time.Hour), time.Hour)
	otherCA, _ := pki.NewCA("other", now, time.Hour)
	foreign, _ := otherCA.IssueNode("intruder", nil, now, time.Hour)
	noCert := func() *pki.Identity { id := *valid; id.TLS.Certificate = nil; return &id }()

	read := func(id *pki.Identity) error {
		conf := transport.ClientConfig(id, transport.ProtoHTTP, nil)
		if id == noCert {
			conf.Certificates = nil
		}
		conf.RootCAs.AddCert(c.CA.Cert) // trust the server, so only the client side is tested
		cl := transport.NewClient(conf, transport.ClientOptions{MaxAttempts: 1})
		var v cluster.View
		return cl.DoJSON(context.Background(), http.MethodGet, "https://"+addr+"/internal/v1/state", nil, &v)
	}
	if err := read(valid); err != nil {
		t.Fatalf("control: a valid certificate cannot read: %v", err)
	}
	for name, id := range map[string]*pki.Identity{"expired": expired, "foreign ca": foreign, "no certificate": noCert} {
		if err := read(id); err == nil {
			t.Errorf("%s certificate read the metadata", name)
		}
	}
	resp, err := (&http.Client{Timeout: 2 * time.Second}).Get("http://" + addr + "/internal/v1/state")
	if err == nil {
		resp.Body.Close()
		t.Error("plaintext request answered")
	}
	// Even with a valid node certificate, a request carrying a user token
	// is refused: internal routes take node identities only.
	conf := transport.ClientConfig(valid, transport.ProtoHTTP, nil)
	conf.RootCAs.AddCert(c.CA.Cert)
	req, _ := http.NewRequest(http.MethodGet, "https://"+addr+"/internal/v1/state", nil)
	req.Header.Set("Authorization", "Bearer a-user-token")
	if resp, err := transport.NewClient(conf, transport.ClientOptions{MaxAttempts: 1}).Do(req); err != nil {
		t.Fatalf("internal request with a token: %v", err)
	} else if resp.Body.Close(); resp.StatusCode != http.StatusForbidden {
		t.Errorf("internal request with a user token: status %d, want 403", resp.StatusCode)
	}

	// Raft: a RequestVote from a valid certificate gets an answer (refused,
	// it is no member), from the others not even that.
	vote := func(id *pki.Identity) error {
		ln, _ := net.Listen("tcp", "127.0.0.1:0")
		defer ln.Close()
		conf := transport.ClientConfig(id, transport.ProtoRaft, nil)
		if id == noCert {
			conf.Certificates = nil
		}
		sl := transport.NewStreamLayer(ln, ln.Addr(), conf, nil)
		tr := raft.NewNetworkTransport(sl, 1, 2*time.Second, nil)
		defer tr.Close()
		var resp raft.RequestVoteResponse
		return tr.RequestVote(raft.ServerID(leader.ID()), raft.ServerAddress(addr), &raft.RequestVoteRequest{
			RPCHeader: raft.RPCHeader{ProtocolVersion: raft.ProtocolVersionMax, ID: []byte("intruder"), Addr: []byte(ln.Addr().String())}, Term: 1 << 40,
		}, &resp)
	}
	if err := vote(valid); err != nil {
		t.Fatalf("control: valid certificate cannot talk raft: %v", err)
	}
	for name, id := range map[string]*pki.Identity{"expired": expired, "foreign ca": foreign, "no certificate": noCert} {
		if err := vote(id); err == nil {
			t.Errorf("%s certificate talked raft", name)
		}
	}
	if !leader.Get().IsLeader() {
		t.Fatal("the leader was deposed by an intruder's vote request")
	}
}

func TestPausedLeaderCannotAct(t *testing.T) {
	// Every node accepts a "leader action" only with a fresh leader fence.
	accepted := make(chan uint64, 100)
	setup := func(i int, n *cluster.Node) {
		n.HandleInternal("POST /test/leader-action", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			tok := cluster.FenceOf(r)
			if err := n.CheckFence("leader", tok); err != nil {
				http.Error(w, err.Error(), http.StatusConflict)
				return
			}
			accepted <- tok
		}))
	}
	c := testcluster.Start(t, 3, testcluster.Options{Setup: setup})
	first := c.WaitLeader(5 * time.Second)
	c.Eventually(15*time.Second, "3 voters", func() bool { return len(first.Get().Status().Voters) == 3 })
	old, oldFence := leaderWithFence(t, c)
	act := func(from *testcluster.Node, to *testcluster.Node, token uint64) int {
		cl := transport.NewClient(from.Get().ClientTLS(transport.ProtoHTTP), transport.ClientOptions{MaxAttempts: 1})
		req, _ := http.NewRequest(http.MethodPost, "https://"+to.Addr+"/test/leader-action", strings.NewReader("x"))
		cluster.SetFence(req, token)
		resp, err := cl.Do(req)
		if err != nil {
			t.Fatalf("leader action: %v", err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	var others []*testcluster.Node
	for _, nd := range c.Nodes() {
		if nd != old {
			others = append(others, nd)
		}
	}
	if code := act(old, others[0], oldFence); code != http.StatusOK {
		t.Fatalf("leader's action refused: %d", code)
	}

	old.Pause()
	// Clients keep writing through the other nodes while the leader is cut off.
	ctx := ctxT(t, 30*time.Second)
	nl, newFence := leaderWithFence(t, c, old)
	for i := range 5 {
		n := others[i%2].Get()
		if err := retry(ctx, func() error { _, err := n.AcquireLock(ctx, "during-pause", "w", time.Minute); return err }); err != nil {
			t.Fatalf("write during pause: %v", err)
		}
	}
	// The old leader, cut off, cannot commit anything.
	shortCtx, cancel := context.WithTimeout(ctx, time.Second)
	if _, err := old.Get().AcquireLock(shortCtx, "stale-write", "old", time.Minute); err == nil {
		t.Fatal("the cut-off leader committed a write")
	}
	cancel()
	if newFence <= oldFence {
		t.Fatalf("new fence %d not above the old %d", newFence, oldFence)
	}

	old.Resume()
	c.Eventually(10*time.Second, "old leader steps down", func() bool {
		_, err := old.Get().LeaderFence()
		return errors.Is(err, cluster.ErrNotLeader)
	})
	// Whatever the old leader still believes, its token is refused
	// everywhere, including by a node the new leader never contacted.
	for _, nd := range others {
		if code := act(old, nd, oldFence); code != http.StatusConflict {
			t.Fatalf("node %d accepted a stale leader token: %d", nd.Index, code)
		}
	}
	if code := act(nl, others[0], newFence); code != http.StatusOK && nl.Get().IsLeader() {
		t.Fatalf("new leader's action refused: %d", code)
	}
	if code := act(old, others[0], oldFence); code != http.StatusConflict {
		t.Fatal("stale token accepted after the new one")
	}
	close(accepted)
	for tok := range accepted {
		if tok < oldFence || (tok == oldFence && tok != oldFence) {
			t.Fatalf("accepted token %d", tok)
		}
	}
	// The old leader, now a follower, writes through the new leader.
	if err := retry(ctx, func() error { _, err := old.Get().AcquireLock(ctx, "after-resume", "old", time.Minute); return err }); err != nil {
		t.Fatalf("write from the resumed node: %v", err)
	}
	c.Eventually(5*time.Second, "resumed node follows the new leader", func() bool {
		return old.Get().Status().LeaderID == c.WaitLeader(5*time.Second).ID()
	})
}
