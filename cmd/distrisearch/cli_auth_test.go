package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/distrisearch/distrisearch/client/clienttest"
)

// cliIn runs the command line with stdin.
func cliIn(t *testing.T, stdin string, args ...string) (string, string, int) {
	t.Helper()
	var out, errOut bytes.Buffer
	code := runIn(context.Background(), args, strings.NewReader(stdin), &out, &errOut)
	return out.String(), errOut.String(), code
}

// TestAuthCommandsAgainstTheContract drives login, whoami, user, audit,
// keys and logout against a fake of the API's authentication contract,
// over HTTPS with its CA, as a person would.
func TestAuthCommandsAgainstTheContract(t *testing.T) {
	isolate(t)
	fake := clienttest.New(t)
	srv := []string{"--server", fake.URL}

	// Without the CA the server is not trusted, and the advice says what to pass.
	if _, errOut, code := cliIn(t, clienttest.AdminPassword+"\n", append([]string{"login", "--user", "admin", "--password-stdin"}, srv...)...); code != 1 ||
		!strings.Contains(errOut, "tls_untrusted") || !strings.Contains(errOut, "--ca FILE") {
		t.Fatalf("login without the CA: %d %q", code, errOut)
	}
	// Before login: not logged in.
	if _, errOut, code := cli(t, "whoami", "--server", fake.URL, "--ca", fake.CAFile); code != 1 ||
		!strings.Contains(errOut, "not logged in or session expired: run 'distrisearch login'") || !strings.Contains(errOut, "token_missing") {
		t.Fatalf("whoami before login: %d %q", code, errOut)
	}
	if _, errOut, code := cliIn(t, "wrong password\n", "login", "--server", fake.URL, "--ca", fake.CAFile, "--user", "admin", "--password-stdin"); code != 1 ||
		!strings.Contains(errOut, "wrong username or password") {
		t.Fatalf("bad login: %d %q", code, errOut)
	}
	if _, errOut, code := cliIn(t, "", "login", "--server", fake.URL, "--ca", fake.CAFile); code != 2 || !strings.Contains(errOut, "--user NAME is required") {
		t.Fatalf("login without a user off a terminal: %d %q", code, errOut)
	}
	out, errOut, code := cliIn(t, clienttest.AdminPassword+"\n", "login", "--server", fake.URL+"/", "--ca", fake.CAFile, "--user", "admin", "--password-stdin")
	if code != 0 || !strings.Contains(out, "logged in to "+fake.URL+" as admin (roles: admin)") {
		t.Fatalf("login: %d %q %q", code, out, errOut)
	}
	// The session is saved for this server, with the CA as an absolute path.
	store, _ := defaultCredStore()
	saved, ok, err := store.get(fake.URL)
	if err != nil || !ok || saved.Token == "" || saved.CAFile != fake.CAFile || saved.Username != "admin" || saved.ExpiresAt.Before(time.Now()) {
		t.Fatalf("saved %+v %v %v", saved, ok, err)
	}
	if fi, err := os.Stat(store.path); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("credentials file: %v %v", fi, err)
	}

	// From now on --server is enough: the token and the CA come from the saved session.
	out, errOut, code = cli(t, "whoami", "--server", fake.URL)
	if code != 0 || !strings.Contains(out, "admin (id u-admin)") || !strings.Contains(out, "roles   admin") {
		t.Fatalf("whoami: %d %q %q", code, out, errOut)
	}
	if got := fake.LastAuthorization("/api/auth/me"); got != "Bearer "+saved.Token {
		t.Fatalf("whoami sent %q", got)
	}
	// DISTRISEARCH_SERVER works like --server.
	t.Setenv("DISTRISEARCH_SERVER", fake.URL)
	if out, errOut, code = cli(t, "status"); code != 0 || !strings.Contains(out, "node fake") {
		t.Fatalf("status through DISTRISEARCH_SERVER: %d %q %q", code, out, errOut)
	}

	// Users.
	out, errOut, code = cliIn(t, "ana's password\n", "user", "add", "ana", "--role", "user", "--group", "finance", "--group", "hr", "--password-stdin")
	if code != 0 || !strings.Contains(out, "created user ana: roles user, groups finance,hr") {
		t.Fatalf("user add: %d %q %q", code, out, errOut)
	}
	if _, _, _, _, _, ok := fake.User("ana"); !ok {
		t.Fatal("ana was not created")
	}
	if _, errOut, code = cliIn(t, "another password\n", "user", "add", "ana", "--role", "user", "--password-stdin"); code != 1 || !strings.Contains(errOut, "user_exists") {
		t.Fatalf("user add twice: %d %q", code, errOut)
	}
	if _, errOut, code = cliIn(t, "x\n", "user", "add", "bob", "--password-stdin"); code != 2 || !strings.Contains(errOut, "at least one --role") {
		t.Fatalf("user add without a role: %d %q", code, errOut)
	}
	if _, errOut, code = cliIn(t, "short\n", "user", "add", "bob", "--role", "user", "--password-stdin"); code != 1 || !strings.Contains(errOut, "bad_password") {
		t.Fatalf("user add with a short password: %d %q", code, errOut)
	}
	// Without --password-stdin off a terminal, the password is a line of stdin too.
	if out, errOut, code = cliIn(t, "ana's new password\n", "user", "passwd", "ana"); code != 0 || !strings.Contains(out, "changed the password of user ana") {
		t.Fatalf("user passwd: %d %q %q", code, out, errOut)
	}
	if _, pw, _, _, _, _ := fake.User("ana"); pw != "ana's new password" {
		t.Fatalf("password %q", pw)
	}
	if out, errOut, code = cli(t, "user", "roles", "ana", "--role", "guest", "--role", "user"); code != 0 || !strings.Contains(out, "roles guest,user") {
		t.Fatalf("user roles: %d %q %q", code, out, errOut)
	}
	if out, errOut, code = cli(t, "user", "groups", "ana", "--none"); code != 0 || !strings.Contains(out, "groups -") {
		t.Fatalf("user groups --none: %d %q %q", code, out, errOut)
	}
	if _, errOut, code = cli(t, "user", "groups", "ana"); code != 2 || !strings.Contains(errOut, "--group, or --none") {
		t.Fatalf("user groups without groups: %d %q", code, errOut)
	}
	if out, errOut, code = cli(t, "user", "disable", "ana"); code != 0 || !strings.Contains(out, "disabled user ana") {
		t.Fatalf("user disable: %d %q %q", code, out, errOut)
	}
	if _, _, roles, groups, disabled, _ := fake.User("ana"); !disabled || !slices.Equal(roles, []string{"guest", "user"}) || len(groups) != 0 {
		t.Fatalf("ana: roles %v groups %v disabled %v", roles, groups, disabled)
	}
	out, errOut, code = cli(t, "user", "list")
	if code != 0 || !strings.Contains(out, "USERNAME") || !regexpMatch(`ana\s+guest,user\s+-\s+disabled`, out) {
		t.Fatalf("user list: %d %q %q", code, out, errOut)
	}
	if out, errOut, code = cli(t, "user", "enable", "ana"); code != 0 || !strings.Contains(out, "enabled user ana") {
		t.Fatalf("user enable: %d %q %q", code, out, errOut)
	}
	out, _, code = cli(t, "user", "list", "--json")
	var listed struct{ Users []struct{ Username string } }
	if code != 0 || json.Unmarshal([]byte(out), &listed) != nil || len(listed.Users) != 2 {
		t.Fatalf("user list --json: %d %q", code, out)
	}
	if _, errOut, code = cli(t, "user", "roles", "admin", "--role", "user"); code != 1 || !strings.Contains(errOut, "last_admin") {
		t.Fatalf("demote the last admin: %d %q", code, errOut)
	}
	if _, errOut, code = cli(t, "user", "disable", "nobody"); code != 1 || !strings.Contains(errOut, "user_not_found") {
		t.Fatalf("disable a missing user: %d %q", code, errOut)
	}
	if _, errOut, code = cli(t, "user", "frob", "x"); code != 2 || !strings.Contains(errOut, "unknown subcommand") {
		t.Fatalf("user frob: %d %q", code, errOut)
	}
	if _, errOut, code = cli(t, "user", "disable"); code != 2 || !strings.Contains(errOut, "exactly one username") {
		t.Fatalf("user disable without a name: %d %q", code, errOut)
	}

	// Keys and audit.
	if out, errOut, code = cli(t, "keys", "rotate"); code != 0 || !strings.Contains(out, "new tokens are signed with key k1") {
		t.Fatalf("keys rotate: %d %q %q", code, out, errOut)
	}
	if _, errOut, code = cli(t, "keys"); code != 2 {
		t.Fatalf("keys: %d %q", code, errOut)
	}
	fake.Audit(map[string]any{"id": 99, "timestamp": time.Now().UTC().Format(time.RFC3339), "username": "ana", "action": "search",
		"result": "denied", "resource": "share:finance", "detail": map[string]any{"q": "salaries"}})
	out, errOut, code = cli(t, "audit", "--since", "1h", "--user", "ana")
	if code != 0 || !strings.Contains(out, "ACTION") || !regexpMatch(`ana\s+search\s+share:finance\s+denied`, out) || !strings.Contains(out, `{"q":"salaries"}`) {
		t.Fatalf("audit: %d %q %q", code, out, errOut)
	}
	out, _, code = cli(t, "audit", "--limit", "2", "--json")
	var page struct {
		Entries    []map[string]any `json:"entries"`
		NextCursor string           `json:"next_cursor"`
	}
	if code != 0 || json.Unmarshal([]byte(out), &page) != nil || len(page.Entries) != 2 || page.NextCursor == "" || page.Entries[0]["id"] != float64(99) {
		t.Fatalf("audit --json: %d %q", code, out)
	}
	if out, _, code = cli(t, "audit", "--limit", "2", "--cursor", page.NextCursor); code != 0 || !strings.Contains(out, "admin") {
		t.Fatalf("audit next page: %d %q", code, out)
	}
	if _, errOut, code = cli(t, "audit", "--since", "yesterday"); code != 2 || !strings.Contains(errOut, "--since") {
		t.Fatalf("audit --since yesterday: %d %q", code, errOut)
	}

	// A plain user is forbidden to administer, and told how to see their roles.
	if _, _, code = cliIn(t, "ana's new password\n", "login", "--user", "ana", "--password-stdin"); code != 0 {
		t.Fatal("ana cannot log in")
	}
	if _, errOut, code = cli(t, "user", "list"); code != 1 || !strings.Contains(errOut, "admin role") || !strings.Contains(errOut, "whoami") {
		t.Fatalf("a plain user lists users: %d %q", code, errOut)
	}
	// DISTRISEARCH_TOKEN overrides the saved session.
	t.Setenv("DISTRISEARCH_TOKEN", saved.Token)
	if out, _, code = cli(t, "whoami"); code != 0 || !strings.Contains(out, "admin (id u-admin)") {
		t.Fatalf("whoami with DISTRISEARCH_TOKEN: %d %q", code, out)
	}
	t.Setenv("DISTRISEARCH_TOKEN", "")

	// DISTRISEARCH_PASSWORD and DISTRISEARCH_USER log in without a prompt.
	t.Setenv("DISTRISEARCH_USER", "admin")
	t.Setenv("DISTRISEARCH_PASSWORD", clienttest.AdminPassword)
	if out, errOut, code = cliIn(t, "", "login"); code != 0 || !strings.Contains(out, "as admin") {
		t.Fatalf("login from the environment: %d %q %q", code, out, errOut)
	}

	// An expired session asks for a new login.
	fake.ExpireAll()
	if _, errOut, code = cli(t, "search", "x"); code != 1 || !strings.Contains(errOut, "not logged in or session expired") || !strings.Contains(errOut, "token_expired") {
		t.Fatalf("search with an expired token: %d %q", code, errOut)
	}
	if out, errOut, code = cli(t, "logout"); code != 0 || !strings.Contains(out, "already ended") {
		t.Fatalf("logout of an expired session: %d %q %q", code, out, errOut)
	}
	if s, _, _ := store.get(fake.URL); s.Token != "" || s.CAFile != fake.CAFile {
		t.Fatalf("after logout the token must go and the CA stay: %+v", s)
	}

	// Logout revokes the token on the server.
	if _, _, code = cliIn(t, "", "login"); code != 0 {
		t.Fatal("login again")
	}
	saved, _, _ = store.get(fake.URL)
	if out, errOut, code = cli(t, "logout"); code != 0 || !strings.Contains(out, "logged out of") {
		t.Fatalf("logout: %d %q %q", code, out, errOut)
	}
	t.Setenv("DISTRISEARCH_TOKEN", saved.Token)
	if _, errOut, code = cli(t, "whoami"); code != 1 || !strings.Contains(errOut, "token_revoked") {
		t.Fatalf("whoami with a revoked token: %d %q", code, errOut)
	}
	t.Setenv("DISTRISEARCH_TOKEN", "")
	if out, _, code = cli(t, "logout"); code != 0 || !strings.Contains(out, "not logged in") {
		t.Fatalf("logout twice: %d %q", code, out)
	}
}

func TestUsageListsTheNewCommands(t *testing.T) {
	out, _, code := cli(t, "help")
	if code != 0 {
		t.Fatalf("help: %d", code)
	}
	for _, want := range []string{"login", "logout", "whoami", "user", "audit", "keys", "DISTRISEARCH_CA", "credentials.json"} {
		if !strings.Contains(out, want) {
			t.Errorf("usage lacks %q:\n%s", want, out)
		}
	}
	var errOut bytes.Buffer
	if code := runIn(context.Background(), []string{"user"}, strings.NewReader(""), io.Discard, &errOut); code != 2 || !strings.Contains(errOut.String(), "user add NAME --role R") {
		t.Fatalf("user without a subcommand: %d %q", code, errOut.String())
	}
}

func TestParseWhen(t *testing.T) {
	now := time.Date(2025, 3, 10, 12, 0, 0, 0, time.UTC)
	for in, want := range map[string]time.Time{
		"":                     {},
		"2025-03-01T08:00:00Z": time.Date(2025, 3, 1, 8, 0, 0, 0, time.UTC),
		"2025-03-01":           time.Date(2025, 3, 1, 0, 0, 0, 0, time.UTC),
		"2025-03-01T09:30":     time.Date(2025, 3, 1, 9, 30, 0, 0, time.UTC),
		"90m":                  now.Add(-90 * time.Minute),
		"7d":                   now.AddDate(0, 0, -7),
	} {
		got, err := parseWhen(in, now)
		if err != nil || !got.Equal(want) {
			t.Errorf("parseWhen(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	for _, bad := range []string{"yesterday", "-1h", "2025-13-01"} {
		if _, err := parseWhen(bad, now); err == nil {
			t.Errorf("parseWhen(%q): no error", bad)
		}
	}
}

func regexpMatch(pattern, s string) bool { return regexp.MustCompile(pattern).MatchString(s) }
