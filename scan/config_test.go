package scan

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/distrisearch/distrisearch"
)

func TestShareValidation(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "f")
	os.WriteFile(file, nil, 0o644)
	for _, tc := range []struct {
		in   string
		want string // "" = valid; else part of the message
	}{
		{"docs=" + dir, ""},
		{"my_share-2=" + dir + "/", ""},
		{"Docs=" + dir, "share name"},
		{"=" + dir, "share name"},
		{strings.Repeat("a", 65) + "=" + dir, "share name"},
		{"docs=relative/path", "not an absolute path"},
		{"docs=" + filepath.Join(dir, "missing"), "not accessible"},
		{"docs=" + file, "not a directory"},
		{"docs", "want name=/path"},
	} {
		sh, err := ParseShare(tc.in)
		if tc.want == "" {
			if err != nil || sh.Root != filepath.Clean(sh.Root) {
				t.Errorf("ParseShare(%q) = %+v, %v", tc.in, sh, err)
			}
			continue
		}
		if err == nil || !strings.Contains(err.Error(), tc.want) || distrisearch.KindOf(err) != distrisearch.KindInvalid {
			t.Errorf("ParseShare(%q) error %v, want %q", tc.in, err, tc.want)
		}
	}
}

func TestConfigValidate(t *testing.T) {
	dir := t.TempDir()
	good := Config{NodeID: "n", Shares: []Share{{Name: "a", Root: dir}}}
	if err := good.Validate(); err != nil {
		t.Fatal(err)
	}
	for name, mut := range map[string]func(c *Config){
		"no node":        func(c *Config) { c.NodeID = "" },
		"duplicate":      func(c *Config) { c.Shares = append(c.Shares, c.Shares[0]) },
		"bad pattern":    func(c *Config) { c.Ignore = []string{"[z-a"} },
		"delay<debounce": func(c *Config) { c.Debounce, c.MaxDelay = time.Second, time.Millisecond },
		"workers":        func(c *Config) { c.Workers = -1 },
	} {
		c := good
		c.Shares = append([]Share(nil), good.Shares...)
		mut(&c)
		if err := c.Validate(); err == nil {
			t.Errorf("%s: accepted", name)
		}
		if _, err := New(c, &textExtractor{}, newMemStore(), newMemStore()); err == nil {
			t.Errorf("%s: New accepted", name)
		}
	}
}

func TestIgnore(t *testing.T) {
	ig := newIgnorer(append([]string{"build/out", "*.log"}, DefaultIgnore...))
	for rel, want := range map[string]bool{
		"a.txt":                 false,
		".git":                  true,
		".git/config":           true,
		"src/.env":              true,
		"src/node_modules/x.js": true,
		"notes.txt~":            true,
		"~$report.docx":         true,
		"dir/.~lock.a.odt#":     true,
		"a.log":                 true,
		"build/out":             true,
		"build/out/x":           true,
		"build/other":           false,
		"x/build/out":           false,
		"readme.md":             false,
		"a/b/c.go":              false,
	} {
		if got := ig.matchAny(rel); got != want {
			t.Errorf("matchAny(%q) = %v, want %v", rel, got, want)
		}
	}
}
