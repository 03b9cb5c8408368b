package system

import (
	"context"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	ds "github.com/distrisearch/distrisearch"
	"github.com/distrisearch/distrisearch/client"
)

// TestTokensAreClusterWide: every node serves HTTPS with a certificate of
// the cluster CA and refuses requests without a token; a token issued by one
// node is accepted by the others, an account created through one node logs
// in through another, and a logout through one node revokes the token on
// all of them. The command line logs in to a node as a person would.
func TestTokensAreClusterWide(t *testing.T) {
	if testing.Short() {
		t.Skip("multi-process test")
	}
	nodes, _ := startCluster(t)
	ctx := context.Background()
	ca := nodes[0].sess.caFile
	tlsConf, err := client.TLSConfig(ca, nil)
	if err != nil {
		t.Fatal(err)
	}
	hc := &http.Client{Transport: &http.Transport{TLSClientConfig: tlsConf}, Timeout: 5 * time.Second}
	for _, p := range nodes {
		for path, want := range map[string]int{"/api/health": 200, "/api/search?q=osprey": 401, "/api/nodes": 401} {
			resp, err := hc.Get("https://" + p.http + path)
			if err != nil {
				t.Fatalf("%s %s: %v", p.name, path, err)
			}
			resp.Body.Close()
			if resp.StatusCode != want {
				t.Errorf("%s: anonymous GET %s = %d, want %d", p.name, path, resp.StatusCode, want)
			}
		}
	}

	// The administrator's token (issued by n1) works everywhere.
	for _, p := range nodes {
		if me, err := p.client().Me(ctx); err != nil || me.Username != "admin" {
			t.Fatalf("%s: me with n1's token: %+v %v", p.name, me, err)
		}
	}

	// An account created through n2 logs in through n3.
	const pw = "kingfisher-by-the-river"
	if _, err := nodes[1].client().AddUser(ctx, client.NewUser{Username: "ana", Password: pw, Roles: []string{"user"}}); err != nil {
		t.Fatalf("add a user through n2: %v", err)
	}
	ana, err := client.NewWithOptions("https://"+nodes[2].http, client.Options{CAFile: ca})
	if err != nil {
		t.Fatal(err)
	}
	waitFor(t, 10*time.Second, "ana logs in through n3", func() (bool, string) {
		_, err := ana.Login(ctx, "ana", pw)
		return err == nil, ds.CodeOf(err) + " " + errString(err)
	})
	if res, err := ana.Search(ctx, ds.SearchRequest{Query: "osprey"}); err != nil {
		t.Fatalf("ana searches through n3: %+v %v", res, err)
	}
	if _, err := ana.ListUsers(ctx); ds.KindOf(err) != ds.KindForbidden {
		t.Fatalf("a a plain user lists users: %v", err)
	}

	// Her logout through n3 revokes the token on n1 and n2 too.
	token := ana.Token
	if err := ana.Logout(ctx); err != nil {
		t.Fatal(err)
	}
	for _, p := range nodes[:2] {
		c, _ := client.NewWithOptions("https://"+p.http, client.Options{CAFile: ca, Token: token})
		waitFor(t, 10*time.Second, "the revoked token refused by "+p.name, func() (bool, string) {
			_, err := c.Me(ctx)
			return ds.KindOf(err) == ds.KindUnauthorized, errString(err)
		})
	}

	// The command line: login saves the session; whoami uses it.
	home := t.TempDir()
	cli := func(stdin string, args ...string) (string, error) {
		cmd := exec.Command(binary(t), args...)
		cmd.Env = append(os.Environ(), "XDG_CONFIG_HOME="+home, "HOME="+home, "DISTRISEARCH_TOKEN=", "DISTRISEARCH_CA=", "DISTRISEARCH_SERVER=https://"+nodes[1].http)
		cmd.Stdin = strings.NewReader(stdin)
		out, err := cmd.CombinedOutput()
		return string(out), err
	}
	if out, err := cli(adminPassword+"\n", "login", "--ca", ca, "--user", "admin", "--password-stdin"); err != nil || !strings.Contains(out, "as admin") {
		t.Fatalf("distrisearch login: %v\n%s", err, out)
	}
	if fi, err := os.Stat(filepath.Join(home, "distrisearch", "credentials.json")); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("credentials file: %v %v", fi, err)
	}
	if out, err := cli("", "whoami"); err != nil || !strings.Contains(out, "admin (id ") {
		t.Fatalf("distrisearch whoami: %v\n%s", err, out)
	}
	if out, err := cli("", "search", "osprey"); err != nil || !strings.Contains(out, "files match") {
		t.Fatalf("distrisearch search: %v\n%s", err, out)
	}
	if out, err := cli("", "logout"); err != nil || !strings.Contains(out, "logged out") {
		t.Fatalf("distrisearch logout: %v\n%s", err, out)
	}
	if out, err := cli("", "whoami"); err == nil || !strings.Contains(out, "not logged in or session expired") {
		t.Fatalf("whoami after logout: %v\n%s", err, out)
	}
}

func errString(err error) string {
	if err == nil {
		return "<nil>"
	}
	return err.Error()
}
