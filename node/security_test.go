package node

import (
	"bufio"
	"context"
	"crypto/tls"
	"crypto/x509"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	ds "github.com/distrisearch/distrisearch"
	"github.com/distrisearch/distrisearch/client"
)

// TestRestrictedShareEndToEnd: a share restricted to a group is invisible
// to other users in hits, totals and facets, and its files answer 404 to
// them, on a real node over HTTPS.
func TestRestrictedShareEndToEnd(t *testing.T) {
	open, secret := t.TempDir(), t.TempDir()
	write(t, filepath.Join(open, "plan.txt"), "the budget plan for the osprey project")
	write(t, filepath.Join(secret, "salaries.txt"), "salaries budget of the osprey team")
	cfg := DefaultConfig()
	cfg.DataDir, cfg.HTTPAddr, cfg.InternalAddr = t.TempDir(), "127.0.0.1:0", "127.0.0.1:0"
	cfg.Shares = []ShareConfig{{Name: "docs", Path: open}, {Name: "finance", Path: secret, Groups: []string{"finance"}}}
	n, adm := startWith(t, cfg)
	ctx := context.Background()
	bob, carol := bobAndCarol(t, adm, n)

	req := ds.SearchRequest{Query: "osprey budget", Limit: 10, Facets: true}
	all, err := adm.Search(ctx, req)
	if err != nil || all.Total != 2 {
		t.Fatalf("admin sees %d files (%v), want 2", all.Total, err)
	}
	var secretID string
	for _, h := range all.Hits {
		if h.Share == "finance" {
			secretID = h.FileID
		}
	}
	res, err := bob.Search(ctx, req)
	if err != nil {
		t.Fatal(err)
	}
	if res.Total != 1 || len(res.Hits) != 1 || res.Hits[0].Share != "docs" {
		t.Fatalf("bob sees %d files: %+v", res.Total, res.Hits)
	}
	for name, buckets := range res.Facets {
		for _, b := range buckets {
			if b.Term == "finance" || (name != "modified" && name != "size" && b.Count > 1) {
				t.Errorf("facet %s leaks the finance share: %+v", name, buckets)
			}
		}
	}
	if res, err := carol.Search(ctx, req); err != nil || res.Total != 2 {
		t.Fatalf("carol sees %d files (%v), want 2", res.Total, err)
	}
	_, errHidden := bob.File(ctx, secretID)
	_, errAbsent := bob.File(ctx, strings.Repeat("0", 64))
	if ds.KindOf(errHidden) != ds.KindNotFound || ds.MessageOf(errHidden) != ds.MessageOf(errAbsent) || ds.CodeOf(errHidden) != ds.CodeOf(errAbsent) {
		t.Fatalf("hidden file: %v; absent file: %v", errHidden, errAbsent)
	}
	if _, err := carol.File(ctx, secretID); err != nil {
		t.Fatalf("carol cannot open the finance file: %v", err)
	}

	// Taking carol out of the group ends her session: her token carried
	// the group, and a changed account voids older tokens everywhere.
	none := []string{}
	if _, err := adm.UpdateUser(ctx, "carol", client.UserUpdate{Groups: &none}); err != nil {
		t.Fatal(err)
	}
	if _, err := carol.Search(ctx, req); ds.CodeOf(err) != "token_revoked" {
		t.Fatalf("carol's old token after a group change: %v", err)
	}
	carol = login(t, n, "carol", "carol-password")
	if res, err := carol.Search(ctx, req); err != nil || res.Total != 1 {
		t.Fatalf("carol outside the group sees %d files (%v), want 1", res.Total, err)
	}
	disabled := true
	if _, err := adm.UpdateUser(ctx, "bob", client.UserUpdate{Disabled: &disabled}); err != nil {
		t.Fatal(err)
	}
	if _, err := bob.Search(ctx, req); ds.CodeOf(err) != "token_revoked" {
		t.Fatalf("a disabled user's token: %v", err)
	}
}

// bobAndCarol creates two users through adm, bob (user) and carol (user,
// group finance), and returns their clients signed in through n.
func bobAndCarol(t *testing.T, adm *client.Client, n *Node) (bob, carol *client.Client) {
	t.Helper()
	for _, u := range []client.NewUser{
		{Username: "bob", Password: "bob-password", Roles: []string{"user"}},
		{Username: "carol", Password: "carol-password", Roles: []string{"user"}, Groups: []string{"finance"}},
	} {
		if _, err := adm.AddUser(context.Background(), u); err != nil {
			t.Fatalf("add %s: %v", u.Username, err)
		}
	}
	return login(t, n, "bob", "bob-password"), login(t, n, "carol", "carol-password")
}

// TestInternalPortRefusesUserTokens: the node-to-node port takes only a
// cluster certificate; a client with a valid user token and no
// certificate does not get through the TLS handshake.
func TestInternalPortRefusesUserTokens(t *testing.T) {
	n, adm := startNode(t, t.TempDir(), t.TempDir())
	pem, err := os.ReadFile(n.CAFile())
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(pem)
	hc := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}, Timeout: 10 * time.Second}
	for _, path := range []string{"/internal/v1/state", "/internal/v1/users", "/internal/audit/head?node=x"} {
		req, _ := http.NewRequest("GET", "https://"+n.InternalAddr()+path, nil)
		req.Header.Set("Authorization", "Bearer "+adm.Token)
		resp, err := hc.Do(req)
		if err == nil {
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode < 400 {
				t.Fatalf("%s with a user token and no certificate: %d %s", path, resp.StatusCode, body)
			}
		}
	}
}

// TestSlowHeadersAreCut: a client that never finishes its headers is
// disconnected after the read-header timeout.
func TestSlowHeadersAreCut(t *testing.T) {
	cfg := DefaultConfig()
	cfg.DataDir, cfg.HTTPAddr, cfg.InternalAddr = t.TempDir(), "127.0.0.1:0", "127.0.0.1:0"
	cfg.ReadHeaderTimeout = 300 * time.Millisecond
	n, _ := startWith(t, cfg)
	pem, err := os.ReadFile(n.CAFile())
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(pem)
	conn, err := tls.Dial("tcp", strings.TrimPrefix(n.URL(), "https://"), &tls.Config{RootCAs: pool})
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if _, err := io.WriteString(conn, "GET /api/health HTTP/1.1\r\nHost: x\r\nX-Slow: "); err != nil {
		t.Fatal(err)
	}
	_ = conn.SetReadDeadline(time.Now().Add(10 * time.Second)) // a bound for the test, not the assertion
	line, err := bufio.NewReader(conn).ReadString('\n')
	if err == nil && !strings.Contains(line, "408") {
		t.Fatalf("the server answered a request whose headers never ended: %q", line)
	}
	if ne, ok := err.(interface{ Timeout() bool }); ok && ne.Timeout() {
		t.Fatal("the server kept a connection open whose headers never ended")
	}
}

// TestAuditIsReplicatedAndSurvivesItsNode: audit entries recorded on one
// node reach the others' stores, so they survive when that node is gone.
func TestAuditIsReplicatedAndSurvivesItsNode(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a three-node cluster")
	}
	first := DefaultConfig()
	first.DataDir, first.HTTPAddr, first.InternalAddr = t.TempDir(), "127.0.0.1:0", "127.0.0.1:0"
	first.AuditAnchorInterval = 100 * time.Millisecond
	n1, c1 := startWith(t, first)
	var others []*client.Client
	for i := 0; i < 2; i++ {
		cfg := DefaultConfig()
		cfg.DataDir, cfg.HTTPAddr, cfg.InternalAddr = t.TempDir(), "127.0.0.1:0", "127.0.0.1:0"
		cfg.Join, cfg.Token = n1.InternalAddr(), n1.JoinToken()
		_, c := startWith(t, cfg)
		others = append(others, c)
	}
	ctx := context.Background()
	if _, err := c1.AddUser(ctx, client.NewUser{Username: "erin", Password: "erin-password", Roles: []string{"user"}}); err != nil {
		t.Fatal(err)
	}
	for i, c := range others {
		eventually(t, 20*time.Second, "node 1's audit entries on another node", func() bool {
			page, err := c.Audit(ctx, client.AuditFilter{Node: n1.ID(), Action: "user_add"})
			if err != nil {
				t.Logf("audit query on node %d: %v", i+2, err)
				return false
			}
			return slices.ContainsFunc(page.Entries, func(e client.AuditEntry) bool { return e.Resource == "user:erin" })
		})
	}
	// Node 1's chain head is anchored in the Raft state, and every holder
	// of the chain verifies against it.
	eventually(t, 10*time.Second, "node 1's audit head in the Raft state", func() bool {
		return n1.Cluster().View().AuditHeads[n1.ID()].Seq >= 2
	})
	for i, c := range append([]*client.Client{c1}, others...) {
		v, err := c.VerifyAudit(ctx)
		if err != nil || !v.OK {
			t.Fatalf("audit verify on node %d: %+v (%v)", i+1, v, err)
		}
	}
	// An anchor beyond what node 1 holds (as after its tail was cut) makes
	// its own verification fail; the copies, which simply have not received
	// that far, stay intact.
	if err := n1.Cluster().RecordAuditHead(ctx, 1_000_000, strings.Repeat("ab", 32)); err != nil {
		t.Fatal(err)
	}
	eventually(t, 10*time.Second, "node 1 sees its chain as broken", func() bool {
		v, err := c1.VerifyAudit(ctx)
		return err == nil && !v.OK
	})
	if v, err := others[0].VerifyAudit(ctx); err != nil || !v.OK {
		t.Fatalf("a copy that lags is reported broken: %+v (%v)", v, err)
	}
	// The data plane sees three live replicas for every partition.
	eventually(t, 20*time.Second, "every partition fully replicated", func() bool {
		st, err := others[0].ClusterStatus(ctx)
		return err == nil && st.Data != nil && len(st.Data.Partitions) > 0 && len(st.Data.UnderReplicated) == 0 &&
			len(st.Data.Partitions[0].Replicas) == 3
	})
	// Node 1 called the others (audit copies): its breakers towards them
	// are closed, and GET /api/nodes says so.
	info, err := c1.Cluster(ctx)
	if err != nil {
		t.Fatal(err)
	}
	closed := 0
	for _, m := range info.Nodes {
		if !m.Self && m.Breaker == "closed" {
			closed++
		}
	}
	if closed == 0 {
		t.Fatalf("no closed breaker towards the other members: %+v", info.Nodes)
	}
	// The leader took the membership lock to register the other two.
	locks, err := others[0].Audit(ctx, client.AuditFilter{Node: n1.ID(), Action: "lock_grant"})
	if err != nil || len(locks.Entries) < 2 || !strings.HasPrefix(locks.Entries[0].Resource, "lock:") {
		t.Fatalf("lock grants in the audit log: %+v (%v)", locks.Entries, err)
	}
	if err := n1.Close(); err != nil {
		t.Fatal(err)
	}
	page, err := others[0].Audit(ctx, client.AuditFilter{Node: n1.ID()})
	if err != nil || len(page.Entries) < 2 {
		t.Fatalf("after node 1 is gone: %d of its entries (%v)", len(page.Entries), err)
	}
}

// TestKeyRotation: after a rotation old tokens keep working; after an
// emergency rotation (retire now) they are refused, and signing in again
// works with the new key.
func TestKeyRotation(t *testing.T) {
	n, adm := startNode(t, t.TempDir(), t.TempDir())
	ctx := context.Background()
	if _, err := adm.RotateTokenKey(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := adm.Me(ctx); err != nil {
		t.Fatalf("the old key's token after a rotation: %v", err)
	}
	if _, err := adm.RotateTokenKeyRetireNow(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := adm.Me(ctx); ds.KindOf(err) != ds.KindUnauthorized {
		t.Fatalf("the old key's token after an emergency rotation: %v", err)
	}
	again := login(t, n, "admin", testAdminPassword)
	if _, err := again.Me(ctx); err != nil {
		t.Fatal(err)
	}
}

// TestQueryBombs: leading wildcards, deep nesting, huge fuzzy expansions
// and huge pages through the real API end in a clear 400 or a bounded
// answer, never a 500 or a hang.
func TestQueryBombs(t *testing.T) {
	share := t.TempDir()
	for i := 0; i < 30; i++ {
		write(t, filepath.Join(share, "f"+strings.Repeat("x", i%5)+string(rune('a'+i%26))+".txt"), strings.Repeat("abracadabra alakazam ", 20+i))
	}
	_, c := startNode(t, t.TempDir(), share)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second) // a bound for the test, not the assertion
	defer cancel()
	for _, q := range []string{
		"*a*", "*", "a*", "*a", "?????*", "abracadabra~2 alakazam~2 zzzzzz~2",
		strings.Repeat("(", 200) + "x" + strings.Repeat(")", 200),
		strings.Repeat("a OR ", 200) + "a", strings.Repeat(`"`, 101), strings.Repeat("-", 500),
		"size:>99999999999999999999PB", "modified:>=99999-01-01", "path:" + strings.Repeat("../", 100),
	} {
		_, err := c.Search(ctx, ds.SearchRequest{Query: q, Limit: 20})
		if err != nil && ds.KindOf(err) != ds.KindInvalid {
			t.Errorf("query %.40q: %v (kind %s), want a result or a 400", q, err, ds.KindOf(err))
		}
	}
	if _, err := c.Search(ctx, ds.SearchRequest{Query: "a", Limit: 100000}); ds.KindOf(err) != ds.KindInvalid {
		t.Errorf("a page of 100,000 hits: %v", err)
	}
}
