package main

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"text/tabwriter"
	"time"

	ds "github.com/distrisearch/distrisearch"
	"github.com/distrisearch/distrisearch/api"
	"github.com/distrisearch/distrisearch/client"
	"github.com/distrisearch/distrisearch/cluster"
	"github.com/distrisearch/distrisearch/sample"
	"github.com/distrisearch/distrisearch/transport/pki"
)

// demoNode is one child process of the demo.
type demoNode struct {
	name     string
	http     string
	internal string
	cmd      *exec.Cmd
	exited   chan error
}

// runDemo starts a real three-node cluster on 127.0.0.1: three processes of
// this binary, each with its own data directory and ports. The first node
// shares the built-in sample folder.
func runDemo(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("demo", stderr)
	dir := fs.String("dir", "", "where to keep the demo's data, logs and sample folder (default: a new temporary directory, removed at the end)")
	nodes := fs.Int("nodes", 3, "number of nodes (1-9)")
	httpPort := fs.Int("http-port", 8080, "API port of the first node; the next nodes use the following ports (free ports are used if taken)")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if *nodes < 1 || *nodes > 9 {
		return usageError{"--nodes must be from 1 to 9"}
	}
	base := *dir
	if base == "" {
		tmp, err := os.MkdirTemp("", "distrisearch-demo-")
		if err != nil {
			return err
		}
		defer os.RemoveAll(tmp)
		base = tmp
	}
	shareDir := filepath.Join(base, "sample")
	if _, err := os.Stat(shareDir); errors.Is(err, os.ErrNotExist) {
		if err := sample.WriteTo(shareDir); err != nil {
			return fmt.Errorf("write the sample folder: %w", err)
		}
	}
	exe, err := os.Executable()
	if err != nil {
		return fmt.Errorf("find this program: %w", err)
	}
	first := filepath.Join(base, "node1")
	password, generated, err := demoAdminPassword(base)
	if err != nil {
		return err
	}
	res, err := cluster.Init(first, cluster.InitOptions{AdminPassword: password})
	if err != nil && !errors.Is(err, cluster.ErrAlreadyInitialised) {
		return err
	}
	caFile := filepath.Join(first, "tls", pki.CACertFile)

	var started []*demoNode
	defer func() { stopDemo(started, stderr) }()
	for i := 1; i <= *nodes; i++ {
		dn := &demoNode{name: fmt.Sprintf("node%d", i), http: pickAddr(*httpPort + i - 1), internal: pickAddr(7080 + i - 1), exited: make(chan error, 1)}
		args := []string{"node", "--data", filepath.Join(base, dn.name), "--http-addr", dn.http,
			"--internal-addr", dn.internal, "--log-level", "info"}
		if i == 1 {
			args = append(args, "--share", "sample="+shareDir)
		} else if res.JoinToken != "" {
			args = append(args, "--join", started[0].internal, "--token", res.JoinToken)
		}
		logFile, err := os.OpenFile(filepath.Join(base, dn.name+".log"), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644) // #nosec G304 -- a fixed name in the demo's own directory
		if err != nil {
			return err
		}
		defer logFile.Close()
		dn.cmd = exec.Command(exe, args...)
		dn.cmd.Env = append(os.Environ(), "DISTRISEARCH_ADMIN_PASSWORD="+password)
		dn.cmd.Stdout, dn.cmd.Stderr = logFile, logFile
		dn.cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true} // Ctrl-C reaches the demo, which stops the nodes in order
		if err := dn.cmd.Start(); err != nil {
			return fmt.Errorf("start %s: %w", dn.name, err)
		}
		go func() { dn.exited <- dn.cmd.Wait() }()
		started = append(started, dn)
		// The first node bootstraps the cluster; the others join it.
		if err := waitHTTP(ctx, dn, caFile, 30*time.Second); err != nil {
			return fmt.Errorf("%s did not come up (log: %s): %w", dn.name, filepath.Join(base, dn.name+".log"), err)
		}
	}
	u := "https://" + started[0].http
	c, err := client.NewWithOptions(u, client.Options{CAFile: caFile})
	if err != nil {
		return err
	}
	if _, err := c.Login(ctx, cluster.AdminUsername, password); err != nil {
		if ds.CodeOf(err) == "bad_credentials" {
			return fmt.Errorf("the demo in %s was created with another admin password: set DISTRISEARCH_ADMIN_PASSWORD to it, or start a demo in a new --dir", base)
		}
		return fmt.Errorf("log in to the demo as %s: %s", cluster.AdminUsername, describe(err))
	}
	info, err := waitMembers(ctx, c, *nodes, 30*time.Second)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "DistriSearch demo: a %d-node cluster on 127.0.0.1 (data and logs in %s)\n\n", *nodes, base)
	printDemoNodes(stdout, started, info)
	pwShown, pwJSON := password, password
	if !generated {
		pwShown = "the one in DISTRISEARCH_ADMIN_PASSWORD"
		pwJSON = `'"$DISTRISEARCH_ADMIN_PASSWORD"'`
	}
	ca := shellQuote(caFile)
	fmt.Fprintf(stdout, `
administrator: user %q, password %s

The first node shares %s as "sample"; add or edit files there and search again.
Search through any node: every search covers the files shared on all live nodes, and any node
previews and downloads them (a stopped node's files are missing, and results say so).

The nodes serve HTTPS with certificates of the cluster's own CA, and every request but
health and login needs a token. In another terminal ("go run ./cmd/distrisearch" in place of
"distrisearch" from a source checkout):
  export DISTRISEARCH_SERVER=%s DISTRISEARCH_CA=%s
  distrisearch login --user %s        # password: %s
  distrisearch search mutex
  distrisearch search '"wind tunnel"'
  distrisearch search 'parse* ext:py'
  distrisearch nodes
  distrisearch events -f
  distrisearch audit --since 1h

The same with curl:
  TOKEN=$(curl -s --cacert "$DISTRISEARCH_CA" -H 'Content-Type: application/json' \
    -d '{"username":"%s","password":"%s"}' "$DISTRISEARCH_SERVER/api/auth/login" \
    | sed -E 's/.*"token":"([^"]+)".*/\1/')
  curl --cacert "$DISTRISEARCH_CA" -H "Authorization: Bearer $TOKEN" "$DISTRISEARCH_SERVER/api/search?q=report"

Press Ctrl-C to stop all nodes.
`, cluster.AdminUsername, pwShown, shareDir, u, ca, cluster.AdminUsername, pwShown, cluster.AdminUsername, pwJSON)
	for {
		select {
		case <-ctx.Done():
			fmt.Fprintln(stdout, "\nstopping the nodes")
			return nil
		default:
		}
		for _, dn := range started {
			select {
			case err := <-dn.exited:
				dn.cmd = nil
				return fmt.Errorf("%s exited unexpectedly (%v); see %s", dn.name, err, filepath.Join(base, dn.name+".log"))
			default:
			}
		}
		select {
		case <-ctx.Done():
		case <-time.After(200 * time.Millisecond):
		}
	}
}

// pickAddr returns 127.0.0.1:port if that port is free, else a free port.
func pickAddr(port int) string {
	for _, addr := range []string{fmt.Sprintf("127.0.0.1:%d", port), "127.0.0.1:0"} {
		l, err := net.Listen("tcp", addr)
		if err == nil {
			a := l.Addr().String()
			l.Close()
			return a
		}
	}
	return "127.0.0.1:0"
}

// waitHTTP waits until the node answers its health check over HTTPS with
// a certificate of the cluster CA.
func waitHTTP(ctx context.Context, dn *demoNode, caFile string, within time.Duration) error {
	c, err := client.NewWithOptions("https://"+dn.http, client.Options{CAFile: caFile})
	if err != nil {
		return err
	}
	deadline := time.Now().Add(within)
	for time.Now().Before(deadline) {
		select {
		case err := <-dn.exited:
			dn.cmd = nil
			return fmt.Errorf("exited: %v", err)
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(200 * time.Millisecond):
		}
		if err := c.Health(ctx); err == nil {
			return nil
		}
	}
	return errors.New("timed out")
}

// demoAdminPassword returns the administrator's password of the demo:
// DISTRISEARCH_ADMIN_PASSWORD, else the one a previous run kept in dir,
// else a new one, kept there (0600) for the next run.
func demoAdminPassword(dir string) (password string, generated bool, err error) {
	if pw := os.Getenv("DISTRISEARCH_ADMIN_PASSWORD"); pw != "" {
		return pw, false, nil
	}
	file := filepath.Join(dir, "admin-password")
	if b, err := os.ReadFile(file); err == nil && len(strings.TrimSpace(string(b))) > 0 { // #nosec G304 -- a fixed name in the demo's own directory
		return strings.TrimSpace(string(b)), true, nil
	}
	const alphabet = "abcdefghjkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789"
	b := make([]byte, 20)
	if _, err := rand.Read(b); err != nil {
		return "", false, err
	}
	for i := range b {
		b[i] = alphabet[int(b[i])%len(alphabet)]
	}
	if err := os.WriteFile(file, append(b, '\n'), 0o600); err != nil {
		return "", false, fmt.Errorf("keep the demo's admin password: %w", err)
	}
	return string(b), true, nil
}

// shellQuote quotes s for a POSIX shell when it needs it.
func shellQuote(s string) string {
	if s != "" && !strings.ContainsFunc(s, func(r rune) bool {
		return !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("-_./=:,+@%", r))
	}) {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

func waitMembers(ctx context.Context, c *client.Client, want int, within time.Duration) (api.ClusterInfo, error) {
	deadline := time.Now().Add(within)
	for {
		info, err := c.Cluster(ctx)
		alive := 0
		for _, n := range info.Nodes {
			if n.Status == string(cluster.StatusAlive) {
				alive++
			}
		}
		if err == nil && info.LeaderID != "" && alive >= want {
			return info, nil
		}
		if time.Now().After(deadline) {
			return info, fmt.Errorf("the cluster did not form: %d of %d nodes alive, leader %q (%v)", alive, want, info.LeaderID, err)
		}
		select {
		case <-ctx.Done():
			return info, ctx.Err()
		case <-time.After(200 * time.Millisecond):
		}
	}
}

func printDemoNodes(w io.Writer, started []*demoNode, info api.ClusterInfo) {
	byHTTP := map[string]api.NodeInfo{}
	for _, n := range info.Nodes {
		byHTTP[n.HTTPAddr] = n
	}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "  \tAPI\tINTERNAL\tROLE\tSTATUS\tNODE ID")
	for _, dn := range started {
		n := byHTTP[dn.http]
		role := strings.ToLower(n.Role)
		if n.Leader {
			role = "coordinator (Raft leader)"
		}
		fmt.Fprintf(tw, "  %s\thttps://%s\t%s\t%s\t%s\t%s\n", dn.name, dn.http, dn.internal, role, n.Status, n.ID)
	}
	_ = tw.Flush()
}

// stopDemo stops the nodes with SIGTERM, last started first, and waits.
func stopDemo(nodes []*demoNode, stderr io.Writer) {
	for i := len(nodes) - 1; i >= 0; i-- {
		dn := nodes[i]
		if dn.cmd == nil || dn.cmd.Process == nil {
			continue
		}
		_ = dn.cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-dn.exited:
		case <-time.After(10 * time.Second):
			fmt.Fprintf(stderr, "%s did not stop in 10 s; killing it\n", dn.name)
			_ = dn.cmd.Process.Kill()
			<-dn.exited
		}
	}
}
