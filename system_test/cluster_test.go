package system

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"syscall"
	"testing"
	"time"

	ds "github.com/distrisearch/distrisearch"
	"github.com/distrisearch/distrisearch/api"
)

// startCluster runs init and starts three node processes, the first sharing
// a folder, and waits until all three are ALIVE members with a leader.
func startCluster(t *testing.T) (nodes []*proc, ids []string) {
	t.Helper()
	base := t.TempDir()
	initCmd := exec.Command(binary(t), "init", "--data", filepath.Join(base, "n1"))
	initCmd.Env = nodeEnv()
	out, err := initCmd.CombinedOutput()
	if err != nil {
		t.Fatalf("init: %v\n%s", err, out)
	}
	m := regexp.MustCompile(`join token\s+(\S+)`).FindSubmatch(out)
	if m == nil {
		t.Fatalf("no join token in init output:\n%s", out)
	}
	token := string(m[1])
	share := filepath.Join(base, "share")
	if err := os.MkdirAll(share, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(share, "osprey.txt"), []byte("the osprey hunts fish"), 0o644); err != nil {
		t.Fatal(err)
	}
	sess := &session{caFile: filepath.Join(base, "n1", "tls", "ca.crt"), joinToken: token}
	nodes = append(nodes, startProc(t, "n1", filepath.Join(base, "n1"), "--share", "birds="+share))
	for _, name := range []string{"n2", "n3"} {
		nodes = append(nodes, startProc(t, name, filepath.Join(base, name), "--join", nodes[0].internal, "--token", token))
	}
	for _, p := range nodes {
		p.sess = sess
	}
	ctx := context.Background()
	// Fault tolerant once all three vote.
	waitFor(t, 30*time.Second, "three alive voting members with a leader", func() (bool, string) {
		info, err := nodes[0].cluster(ctx)
		if err != nil {
			return false, err.Error()
		}
		voters := 0
		for _, n := range info.Nodes {
			if n.Status == "ALIVE" && n.Voter {
				voters++
			}
		}
		return voters == 3 && info.LeaderID != "", describe(info)
	})
	for _, p := range nodes {
		info, err := p.cluster(ctx)
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, info.Self)
	}
	return nodes, ids
}

// waitNewLeader waits until p knows a leader other than old and returns
// p's view at that moment.
func waitNewLeader(t *testing.T, p *proc, old string) api.ClusterInfo {
	t.Helper()
	var seen api.ClusterInfo
	waitFor(t, 10*time.Second, "a new leader", func() (bool, string) {
		info, err := p.cluster(context.Background())
		if err != nil {
			return false, err.Error()
		}
		seen = info
		return info.LeaderID != "" && info.LeaderID != old, describe(info)
	})
	return seen
}

func leaderIndex(t *testing.T, nodes []*proc, ids []string) int {
	t.Helper()
	for _, p := range nodes {
		if p.cmd == nil {
			continue
		}
		info, err := p.cluster(context.Background())
		if err != nil || info.LeaderID == "" {
			continue
		}
		for i, id := range ids {
			if id == info.LeaderID {
				return i
			}
		}
	}
	t.Fatal("no node knows a leader")
	return -1
}

// TestLeaderKillFailoverAndRejoin kills the leader process with SIGKILL: the
// survivors elect a new leader with a higher term and fencing token, declare
// the dead node DEAD, and take it back as ALIVE when it restarts with its
// persisted identity and no join flags. (SUSPECT, which lasts ~1.5 s, is
// checked with synthetic time in cluster/detect and in-process in cluster.)
func TestLeaderKillFailoverAndRejoin(t *testing.T) {
	if testing.Short() {
		t.Skip("multi-process test")
	}
	nodes, ids := startCluster(t)
	ctx := context.Background()
	li := leaderIndex(t, nodes, ids)
	before, err := nodes[li].cluster(ctx)
	if err != nil {
		t.Fatal(err)
	}
	nodes[li].kill()
	survivor := nodes[(li+1)%3]

	after := waitNewLeader(t, survivor, ids[li])
	if after.Term <= before.Term || after.FencingToken <= before.FencingToken {
		t.Fatalf("new leader must have a higher term and fencing token: before term %d fence %d, after term %d fence %d",
			before.Term, before.FencingToken, after.Term, after.FencingToken)
	}
	waitFor(t, 15*time.Second, "the killed node declared DEAD", func() (bool, string) {
		info, err := survivor.cluster(ctx)
		if err != nil {
			return false, err.Error()
		}
		return memberStatus(info, ids[li]) == "DEAD", describe(info)
	})

	// Restart with the same data directory and no --join: it rejoins by itself.
	nodes[li].args = nodes[li].baseArgs()
	nodes[li].start()
	waitFor(t, 20*time.Second, "the restarted node ALIVE again", func() (bool, string) {
		info, err := survivor.cluster(ctx)
		if err != nil {
			return false, err.Error()
		}
		return memberStatus(info, ids[li]) == "ALIVE", describe(info)
	})
	info, err := nodes[li].cluster(ctx)
	if err != nil || info.Self != ids[li] {
		t.Fatalf("restarted node has id %q, want %q (%v)", info.Self, ids[li], err)
	}
}

// TestNodeLeavesGracefully: a node that leaves is LEFT, not DEAD, and the
// rest keep a leader.
func TestNodeLeavesGracefully(t *testing.T) {
	if testing.Short() {
		t.Skip("multi-process test")
	}
	nodes, ids := startCluster(t)
	ctx := context.Background()
	li := leaderIndex(t, nodes, ids)
	leaving := (li + 1) % 3
	if err := nodes[leaving].client().Leave(ctx); err != nil {
		t.Fatalf("leave: %v", err)
	}
	nodes[leaving].signal(syscall.SIGTERM)
	other := nodes[(leaving+1)%3]
	waitFor(t, 15*time.Second, "the node LEFT", func() (bool, string) {
		info, err := other.cluster(ctx)
		if err != nil {
			return false, err.Error()
		}
		return memberStatus(info, ids[leaving]) == "LEFT" && info.LeaderID != "", describe(info)
	})
	// The shared file is still searchable on its node.
	if res, err := nodes[0].client().Search(ctx, ds.SearchRequest{Query: "osprey"}); err != nil || res.Total != 1 {
		t.Fatalf("search after leave: %+v %v", res, err)
	}
}

// TestJoinWithoutValidTokenIsRefused: a wrong token gets no certificate, and
// the node does not start.
func TestJoinWithoutValidTokenIsRefused(t *testing.T) {
	if testing.Short() {
		t.Skip("multi-process test")
	}
	nodes, _ := startCluster(t)
	bad := startProc(t, "intruder", t.TempDir(), "--join", nodes[0].internal, "--token", "ds1_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA")
	select {
	case <-bad.done:
	case <-time.After(20 * time.Second):
		t.Fatal("a node with a forged token kept running")
	}
	if bad.cmd.ProcessState.ExitCode() == 0 {
		t.Fatalf("forged token: exit code 0\n%s", bad.log.String())
	}
	bad.cmd = nil
	info, err := nodes[0].cluster(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if len(info.Nodes) != 3 {
		t.Fatalf("intruder became a member: %s", describe(info))
	}
}

// TestPausedLeaderStepsDown freezes the leader process (SIGSTOP) for longer
// than its lease: the others elect a new leader; when the old one resumes it
// must not act as leader any more, and the cluster ends with one leader.
func TestPausedLeaderStepsDown(t *testing.T) {
	if testing.Short() {
		t.Skip("multi-process test")
	}
	nodes, ids := startCluster(t)
	ctx := context.Background()
	li := leaderIndex(t, nodes, ids)
	before, err := nodes[li].cluster(ctx)
	if err != nil {
		t.Fatal(err)
	}
	nodes[li].signal(syscall.SIGSTOP)
	resumed := false
	defer func() {
		if !resumed {
			nodes[li].signal(syscall.SIGCONT)
		}
	}()
	during := waitNewLeader(t, nodes[(li+1)%3], ids[li])
	time.Sleep(2 * time.Second) // frozen well past the 100 ms leader lease
	nodes[li].signal(syscall.SIGCONT)
	resumed = true
	waitFor(t, 10*time.Second, "the resumed node follows the new leader", func() (bool, string) {
		info, err := nodes[li].cluster(ctx)
		if err != nil {
			return false, err.Error()
		}
		return info.RaftState != "Leader" && info.LeaderID != ids[li] && info.LeaderID != "" && info.Term >= during.Term, describe(info) + " state=" + info.RaftState
	})
	// Every node agrees on one leader, and its fencing token is newer.
	waitFor(t, 10*time.Second, "one leader with a newer fencing token everywhere", func() (bool, string) {
		leaders := map[string]bool{}
		state := ""
		for _, p := range nodes {
			info, err := p.cluster(ctx)
			if err != nil {
				return false, err.Error()
			}
			if info.FencingToken <= before.FencingToken {
				return false, fmt.Sprintf("fencing token %d not past %d", info.FencingToken, before.FencingToken)
			}
			leaders[info.LeaderID] = true
			state += describe(info) + "; "
		}
		return len(leaders) == 1, state
	})
}
