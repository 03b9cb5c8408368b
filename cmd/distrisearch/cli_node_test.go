package main

import (
	"errors"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/distrisearch/distrisearch/node"
)

// buildNodeConfig parses node flags as `distrisearch node` does.
func buildNodeConfig(t *testing.T, args ...string) (node.Config, error) {
	t.Helper()
	fs := newFlags("node", io.Discard)
	build := nodeFlags(fs, io.Discard)
	if err := parseFlags(fs, args); err != nil {
		return node.Config{}, err
	}
	return build()
}

func TestShareAccessFlag(t *testing.T) {
	for _, tc := range []struct {
		value         string
		roles, groups []string
		err           string
	}{
		{value: "fin=role:admin,group:finance", roles: []string{"admin"}, groups: []string{"finance"}},
		{value: "fin=group:a,group:b", groups: []string{"a", "b"}},
		{value: "fin=role:user", roles: []string{"user"}},
		{value: "fin= role:user , group:x", roles: []string{"user"}, groups: []string{"x"}},
		{value: "fin", err: "NAME=role:ROLE,group:GROUP"},
		{value: "=role:admin", err: "NAME=role:ROLE,group:GROUP"},
		{value: "fin=", err: "NAME=role:ROLE,group:GROUP"},
		{value: "fin=admin", err: `"admin"`},
		{value: "fin=user:ana", err: `"user:ana"`},
		{value: "fin=role:", err: `"role:"`},
		{value: "fin=role:a,", err: `""`},
		{value: "fin=group:two words", err: "two words"},
	} {
		var f shareAccessFlags
		err := f.Set(tc.value)
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("%q: error %v, want one with %q", tc.value, err, tc.err)
			}
			continue
		}
		if err != nil || len(f) != 1 || f[0].share != "fin" || !slices.Equal(f[0].roles, tc.roles) || !slices.Equal(f[0].groups, tc.groups) {
			t.Errorf("%q: %+v %v", tc.value, f, err)
		}
	}
}

func TestNodeSecurityFlagsOverrideTheConfigFile(t *testing.T) {
	dir := t.TempDir()
	conf := filepath.Join(dir, "node.yaml")
	if err := os.WriteFile(conf, []byte(`
data_dir: /srv/ds
shares:
  - {name: docs, path: /srv/docs}
  - {name: finance, path: /srv/finance, roles: [admin], groups: [old]}
tls_cert: /etc/ds/file.crt
tls_key: /etc/ds/file.key
anonymous_search: true
rate_limits: {per_ip: 50, per_user: 60, login: 5}
`), 0o644); err != nil {
		t.Fatal(err)
	}

	// The file alone.
	cfg, err := buildNodeConfig(t, "--config", conf)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.TLSCert != "/etc/ds/file.crt" || cfg.TLSKey != "/etc/ds/file.key" || cfg.InsecureHTTP || !cfg.AnonymousSearch ||
		cfg.RateLimits != (node.RateLimits{PerIP: 50, PerUser: 60, Login: 5}) || !slices.Equal(cfg.Shares[1].Groups, []string{"old"}) {
		t.Fatalf("from the file: %+v", cfg)
	}

	// Flags win over the file; --share-access replaces a share's access
	// from the file and adds up on the command line; other shares keep
	// theirs.
	cfg, err = buildNodeConfig(t, "--config", conf, "--tls-cert", "/x.crt", "--tls-key", "/x.key", "--anonymous-search=false",
		"--rate-per-ip", "1000", "--rate-login", "3",
		"--share", "hr=/srv/hr", "--share-access", "finance=group:finance", "--share-access", "finance=role:user", "--share-access", "hr=group:hr",
		"--share-access", "uploads=group:editors", "--max-upload-bytes", "1048576")
	if err != nil {
		t.Fatal(err)
	}
	if cfg.TLSCert != "/x.crt" || cfg.TLSKey != "/x.key" || cfg.AnonymousSearch || cfg.RateLimits != (node.RateLimits{PerIP: 1000, PerUser: 60, Login: 3}) {
		t.Fatalf("flags over the file: %+v", cfg)
	}
	access := map[string][2][]string{}
	for _, s := range cfg.Shares {
		access[s.Name] = [2][]string{s.Roles, s.Groups}
	}
	if len(access["docs"][0])+len(access["docs"][1]) != 0 ||
		!slices.Equal(access["finance"][0], []string{"user"}) || !slices.Equal(access["finance"][1], []string{"finance"}) ||
		!slices.Equal(access["hr"][1], []string{"hr"}) {
		t.Fatalf("share access: %v", access)
	}
	if !slices.Equal(cfg.UploadGroups, []string{"editors"}) || len(cfg.UploadRoles) != 0 || cfg.MaxUploadBytes != 1<<20 {
		t.Fatalf("uploads access and size: %v %v %d", cfg.UploadRoles, cfg.UploadGroups, cfg.MaxUploadBytes)
	}

	// Without a file, the flags' defaults: HTTPS with the cluster CA, no
	// anonymous search, the server's default rates.
	cfg, err = buildNodeConfig(t, "--share", "docs=/srv/docs", "--insecure-http")
	if err != nil {
		t.Fatal(err)
	}
	if !cfg.InsecureHTTP || cfg.TLSCert != "" || cfg.AnonymousSearch || cfg.RateLimits != (node.RateLimits{}) {
		t.Fatalf("defaults: %+v", cfg)
	}
}

func TestNodeFlagMistakes(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--share", "docs=/srv/docs", "--share-access", "finance=role:admin"}, `no share named "finance" (configured: docs`},
		{[]string{"--share-access", "finance=role:admin"}, "none is configured"},
		{[]string{"--tls-cert", "/x.crt"}, "--tls-cert and --tls-key go together"},
		{[]string{"--rate-per-user", "-1"}, "--rate-per-user must not be negative"},
		{[]string{"--share-access", "nope"}, "NAME=role:ROLE,group:GROUP"},
	} {
		_, err := buildNodeConfig(t, tc.args...)
		var ue usageError
		if err == nil || !errors.As(err, &ue) || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%q: %v, want a usage error with %q", tc.args, err, tc.want)
		}
	}
	// Through the command: exit code 2 and the message.
	if _, errOut, code := cli(t, "node", "--data", t.TempDir(), "--share-access", "x=role:admin"); code != 2 || !strings.Contains(errOut, `no share named "x"`) {
		t.Fatalf("node with an unknown share: %d %q", code, errOut)
	}
}
