package client_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"encoding/pem"
	"errors"
	"math/big"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	ds "github.com/distrisearch/distrisearch"
	"github.com/distrisearch/distrisearch/client"
	"github.com/distrisearch/distrisearch/client/clienttest"
)

func writePEM(t *testing.T, ts *httptest.Server) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "ca.crt")
	if err := os.WriteFile(p, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: ts.Certificate().Raw}), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// otherCA returns the PEM of a self-signed CA that signed nothing.
func otherCA(t *testing.T) []byte {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "another CA"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
}

func codeOf(err error) string {
	var e *ds.Error
	if errors.As(err, &e) {
		return e.Code
	}
	return ""
}

// TestCAFileIsTrustedAndNothingElse: a client trusts the CA it is given
// (instead of the system's roots); without it, or with another CA, the
// server's certificate is refused with a code that says so.
func TestCAFileIsTrustedAndNothingElse(t *testing.T) {
	ts := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = w.Write([]byte(`{"status":"ok"}`))
	}))
	defer ts.Close()
	ctx := context.Background()

	c, err := client.NewWithOptions(ts.URL, client.Options{CAFile: writePEM(t, ts)})
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Health(ctx); err != nil {
		t.Fatalf("with the CA: %v", err)
	}
	pemBytes, _ := os.ReadFile(writePEM(t, ts))
	if c, err = client.NewWithOptions(ts.URL, client.Options{CAPEM: pemBytes}); err != nil {
		t.Fatal(err)
	}
	if err := c.Health(ctx); err != nil {
		t.Fatalf("with the CA as PEM bytes: %v", err)
	}
	for name, o := range map[string]client.Options{
		"system roots": {},
		"another CA":   {CAPEM: otherCA(t)},
	} {
		c, err := client.NewWithOptions(ts.URL, o)
		if err != nil {
			t.Fatal(err)
		}
		err = c.Health(ctx)
		if codeOf(err) != "tls_untrusted" || ds.KindOf(err) != ds.KindUnavailable || !strings.Contains(err.Error(), "ca.crt") {
			t.Errorf("%s: %v (code %q), want tls_untrusted with advice", name, err, codeOf(err))
		}
	}
}

func TestBadCAOptions(t *testing.T) {
	notPEM := filepath.Join(t.TempDir(), "x.crt")
	if err := os.WriteFile(notPEM, []byte("hello"), 0o644); err != nil {
		t.Fatal(err)
	}
	for name, o := range map[string]client.Options{
		"missing file":           {CAFile: filepath.Join(t.TempDir(), "nope.crt")},
		"not PEM":                {CAFile: notPEM},
		"bad PEM bytes":          {CAPEM: []byte("nope")},
		"HTTPClient with CAFile": {CAFile: notPEM, HTTPClient: http.DefaultClient},
	} {
		if _, err := client.NewWithOptions("https://127.0.0.1:1", o); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
	if _, err := client.NewWithOptions("127.0.0.1:8080", client.Options{}); err == nil || !strings.Contains(err.Error(), "https://host:port") {
		t.Errorf("no scheme: %v", err)
	}
}

// TestTLSBelow12IsRefused: a server that offers only TLS 1.1 gets no
// connection.
func TestTLSBelow12IsRefused(t *testing.T) {
	ts := httptest.NewUnstartedServer(http.NotFoundHandler())
	ts.TLS = &tls.Config{MaxVersion: tls.VersionTLS11}
	ts.StartTLS()
	defer ts.Close()
	conf, err := client.TLSConfig(writePEM(t, ts), nil)
	if err != nil {
		t.Fatal(err)
	}
	if conf.MinVersion != tls.VersionTLS12 {
		t.Fatalf("MinVersion %x", conf.MinVersion)
	}
	c, _ := client.NewWithOptions(ts.URL, client.Options{CAFile: writePEM(t, ts)})
	if err := c.Health(context.Background()); err == nil {
		t.Fatal("a TLS 1.1 server was accepted")
	}
}

// TestWrongSchemeIsExplained: https:// to a plain HTTP server says so.
func TestWrongSchemeIsExplained(t *testing.T) {
	ts := httptest.NewServer(http.NotFoundHandler())
	defer ts.Close()
	c, _ := client.New(strings.Replace(ts.URL, "http://", "https://", 1), nil)
	if err := c.Health(context.Background()); codeOf(err) != "tls_not_served" || !strings.Contains(err.Error(), "http://") {
		t.Fatalf("https to plain HTTP: %v (%q)", err, codeOf(err))
	}
}

func TestLoginTokenAndLogout(t *testing.T) {
	fake := clienttest.New(t)
	ctx := context.Background()
	c, err := client.NewWithOptions(fake.URL, client.Options{CAFile: fake.CAFile})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.Me(ctx); ds.KindOf(err) != ds.KindUnauthorized || codeOf(err) != "token_missing" {
		t.Fatalf("me without a token: %v", err)
	}
	if _, err := c.Login(ctx, "admin", "wrong password"); ds.KindOf(err) != ds.KindUnauthorized || codeOf(err) != "bad_credentials" {
		t.Fatalf("bad login: %v", err)
	}
	s, err := c.Login(ctx, "admin", clienttest.AdminPassword)
	if err != nil {
		t.Fatal(err)
	}
	if s.Token == "" || s.TokenType != "Bearer" || s.ExpiresAt.Before(time.Now()) || s.User.Username != "admin" || s.User.Roles[0] != "admin" {
		t.Fatalf("session %+v", s)
	}
	if c.Token != s.Token {
		t.Fatal("login did not keep the token")
	}
	me, err := c.Me(ctx)
	if err != nil || me.Username != "admin" || !me.ExpiresAt.Equal(s.ExpiresAt) {
		t.Fatalf("me: %+v %v", me, err)
	}
	if got := fake.LastAuthorization("/api/auth/me"); got != "Bearer "+s.Token {
		t.Fatalf("Authorization %q", got)
	}
	// A second client with the token from Options speaks for the same user.
	c2, _ := client.NewWithOptions(fake.URL+"/", client.Options{CAFile: fake.CAFile, Token: s.Token})
	if me, err := c2.Me(ctx); err != nil || me.Username != "admin" {
		t.Fatalf("me with Options.Token: %+v %v", me, err)
	}
	if err := c.Logout(ctx); err != nil || c.Token != "" {
		t.Fatalf("logout: %v, token %q", err, c.Token)
	}
	if _, err := c2.Me(ctx); codeOf(err) != "token_revoked" {
		t.Fatalf("me after logout: %v", err)
	}
}

func TestUserAdministration(t *testing.T) {
	fake := clienttest.New(t)
	ctx := context.Background()
	c, _ := client.NewWithOptions(fake.URL, client.Options{CAFile: fake.CAFile})
	if _, err := c.Login(ctx, "admin", clienttest.AdminPassword); err != nil {
		t.Fatal(err)
	}
	u, err := c.AddUser(ctx, client.NewUser{Username: "ana", Password: "ana's password", Roles: []string{"user"}, Groups: []string{"finance"}})
	if err != nil || u.Username != "ana" || u.Roles[0] != "user" || u.Groups[0] != "finance" || u.CreatedAt.IsZero() {
		t.Fatalf("add: %+v %v", u, err)
	}
	if _, err := c.AddUser(ctx, client.NewUser{Username: "ana", Password: "another password"}); ds.KindOf(err) != ds.KindConflict || codeOf(err) != "user_exists" {
		t.Fatalf("add twice: %v", err)
	}
	if _, err := c.AddUser(ctx, client.NewUser{Username: "bob", Password: "short"}); ds.KindOf(err) != ds.KindInvalid || codeOf(err) != "bad_password" {
		t.Fatalf("short password: %v", err)
	}
	// Only the fields that are set change; an empty list clears.
	disabled, none := true, []string{}
	u, err = c.UpdateUser(ctx, "ana", client.UserUpdate{Disabled: &disabled, Groups: &none})
	if err != nil || !u.Disabled || len(u.Groups) != 0 || u.Roles[0] != "user" {
		t.Fatalf("update: %+v %v", u, err)
	}
	if _, err := c.UpdateUser(ctx, "nobody", client.UserUpdate{Disabled: &disabled}); ds.KindOf(err) != ds.KindNotFound || codeOf(err) != "user_not_found" {
		t.Fatalf("update a missing user: %v", err)
	}
	if _, err := c.UpdateUser(ctx, "admin", client.UserUpdate{Roles: &none}); ds.KindOf(err) != ds.KindConflict || codeOf(err) != "last_admin" {
		t.Fatalf("demote the last admin: %v", err)
	}
	users, err := c.ListUsers(ctx)
	if err != nil || len(users) != 2 || users[0].Username != "admin" || users[1].Username != "ana" || !users[1].Disabled {
		t.Fatalf("list: %+v %v", users, err)
	}
	rot, err := c.RotateTokenKey(ctx)
	if err != nil || rot.KID == "" || rot.PreviousRetiresAt.IsZero() {
		t.Fatalf("rotate: %+v %v", rot, err)
	}

	// A user without the admin role is forbidden.
	pw := "bob's password"
	if _, err := c.AddUser(ctx, client.NewUser{Username: "bob", Password: pw, Roles: []string{"user"}}); err != nil {
		t.Fatal(err)
	}
	bob, _ := client.NewWithOptions(fake.URL, client.Options{CAFile: fake.CAFile})
	if _, err := bob.Login(ctx, "bob", pw); err != nil {
		t.Fatal(err)
	}
	if _, err := bob.ListUsers(ctx); ds.KindOf(err) != ds.KindForbidden || codeOf(err) != "forbidden" {
		t.Fatalf("a plain user lists users: %v", err)
	}
}

func TestUpdateUserSendsOnlyWhatIsSet(t *testing.T) {
	var got []string
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b := make([]byte, 1024)
		n, _ := r.Body.Read(b)
		got = append(got, r.Method+" "+r.URL.EscapedPath()+" "+string(b[:n]))
		_, _ = w.Write([]byte(`{"username":"x"}`))
	}))
	defer ts.Close()
	c, _ := client.New(ts.URL, nil)
	f := false
	pw := "new password"
	roles := []string{"guest"}
	ctx := context.Background()
	_, _ = c.UpdateUser(ctx, "a b/c", client.UserUpdate{Disabled: &f})
	_, _ = c.UpdateUser(ctx, "ana", client.UserUpdate{Password: &pw, Roles: &roles})
	want := []string{
		`PATCH /api/users/a%20b%2Fc {"disabled":false}`,
		`PATCH /api/users/ana {"password":"new password","roles":["guest"]}`,
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("requests:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

func TestAuditFilterAndLooseEntries(t *testing.T) {
	var query string
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		query = r.URL.RawQuery
		_, _ = w.Write([]byte(`{"entries":[
			{"id":"a1","node":"n1","seq":7,"timestamp":"2025-03-01T10:00:00Z","user_id":"u1","username":"ana","action":"search","resource":"share:docs","ip_address":"10.0.0.1","result":"success","detail":{"q":"x"},"extra":1},
			{"id":42,"seq":"8","timestamp":"not a time","username":null,"action":"login_failure","result":"failure","details":{"reason":"bad_credentials"}}
		],"next_cursor":"c2"}`))
	}))
	defer ts.Close()
	c, _ := client.New(ts.URL, nil)
	since := time.Date(2025, 3, 1, 0, 0, 0, 0, time.UTC)
	page, err := c.Audit(context.Background(), client.AuditFilter{Since: since, User: "ana", Action: "search", Limit: 5, Cursor: "c1"})
	if err != nil {
		t.Fatal(err)
	}
	if query != "action=search&cursor=c1&limit=5&since=2025-03-01T00%3A00%3A00Z&user=ana" {
		t.Fatalf("query %s", query)
	}
	if page.NextCursor != "c2" || len(page.Entries) != 2 {
		t.Fatalf("page %+v", page)
	}
	e := page.Entries[0]
	if e.ID != "a1" || e.Node != "n1" || e.Seq != 7 || !e.Timestamp.Equal(time.Date(2025, 3, 1, 10, 0, 0, 0, time.UTC)) ||
		e.UserID != "u1" || e.Username != "ana" || e.Action != "search" || e.Resource != "share:docs" || e.IPAddress != "10.0.0.1" ||
		e.Result != "success" || string(e.Detail) != `{"q":"x"}` {
		t.Fatalf("entry %+v", e)
	}
	e = page.Entries[1]
	if e.ID != "42" || e.Seq != 8 || !e.Timestamp.IsZero() || e.Username != "" || string(e.Detail) != `{"reason":"bad_credentials"}` {
		t.Fatalf("loose entry %+v", e)
	}
	// An entry encodes back to what the server sent, unknown fields included.
	b, _ := json.Marshal(page.Entries[0])
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil || m["extra"] != float64(1) || m["seq"] != float64(7) {
		t.Fatalf("re-encoded %s", b)
	}
}

func TestRateLimitedSaysWhenToRetry(t *testing.T) {
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Retry-After", "12")
		w.WriteHeader(http.StatusTooManyRequests)
		_, _ = w.Write([]byte(`{"error":{"code":"rate_limited","message":"too many login attempts","request_id":"r1"}}`))
	}))
	defer ts.Close()
	c, _ := client.New(ts.URL, nil)
	_, err := c.Login(context.Background(), "admin", "x")
	if ds.KindOf(err) != ds.KindRateLimited || codeOf(err) != "rate_limited" || !strings.Contains(err.Error(), "retry after 12s") {
		t.Fatalf("429: %v", err)
	}
}
