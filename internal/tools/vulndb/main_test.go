package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// The fixture testdata/osv holds three reports: one fixed, re-introduced
// and fixed again; one re-introduced without a fix in a module and fixed
// (through a pre-release) in the standard library, with the zero modified
// time of the vulndb module's files; one fixed in a pseudo-version.
const wantModules = `[` +
	`{"path":"example.com/a","vulns":[` +
	`{"id":"GO-2099-0001","modified":"2099-01-02T03:04:05Z","fixed":"1.6.1"},` +
	`{"id":"GO-2099-0002","modified":"0001-01-01T00:00:00Z"}]},` +
	`{"path":"example.com/b","vulns":[` +
	`{"id":"GO-2099-0003","modified":"2098-06-01T00:00:00Z","fixed":"0.0.0-20200101000000-abcdefabcdef"}]},` +
	`{"path":"stdlib","vulns":[` +
	`{"id":"GO-2099-0002","modified":"0001-01-01T00:00:00Z","fixed":"1.22.0-rc.2"}]}]`

const wantVulns = `[` +
	`{"id":"GO-2099-0001","modified":"2099-01-02T03:04:05Z","aliases":["CVE-2099-0001"]},` +
	`{"id":"GO-2099-0002","modified":"0001-01-01T00:00:00Z"},` +
	`{"id":"GO-2099-0003","modified":"2098-06-01T00:00:00Z"}]`

func readFile(t *testing.T, name string) string {
	t.Helper()
	b, err := os.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func build(t *testing.T, args ...string) (string, error) {
	t.Helper()
	var out bytes.Buffer
	err := run(args, &out)
	return out.String(), err
}

func TestBuild(t *testing.T) {
	out := filepath.Join(t.TempDir(), "db")
	msg, err := build(t, "-src", "testdata/osv", "-out", out)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(msg, "3 reports on 3 modules") {
		t.Errorf("summary %q", msg)
	}
	if got := readFile(t, filepath.Join(out, "index", "modules.json")); got != wantModules {
		t.Errorf("modules.json:\n got %s\nwant %s", got, wantModules)
	}
	if got := readFile(t, filepath.Join(out, "index", "vulns.json")); got != wantVulns {
		t.Errorf("vulns.json:\n got %s\nwant %s", got, wantVulns)
	}
	// The newest report's time, with no snapshot time given.
	if got, want := readFile(t, filepath.Join(out, "index", "db.json")), `{"modified":"2099-01-02T03:04:05Z"}`; got != want {
		t.Errorf("db.json = %s, want %s", got, want)
	}
	for _, id := range []string{"GO-2099-0001", "GO-2099-0002", "GO-2099-0003"} {
		got := readFile(t, filepath.Join(out, "ID", id+".json"))
		if want := readFile(t, filepath.Join("testdata", "osv", id+".json")); got != want {
			t.Errorf("ID/%s.json differs from the report", id)
		}
	}
	entries, err := os.ReadDir(filepath.Join(out, "ID"))
	if err != nil || len(entries) != 3 {
		t.Errorf("ID/ holds %d files (%v), want 3", len(entries), err)
	}

	// A second build into the same directory could leave stale reports.
	if _, err := build(t, "-src", "testdata/osv", "-out", out); err == nil || !strings.Contains(err.Error(), "not empty") {
		t.Errorf("rebuild into a full directory: err = %v", err)
	}
}

// TestDownload builds from a module laid out as `go mod download -json`
// describes it (reports under data/osv, time in the .info file), whose
// snapshot time is later than every report's.
func TestDownload(t *testing.T) {
	tmp := t.TempDir()
	mod := filepath.Join(tmp, "golang.org", "x", "vulndb@v0.0.0-21000101000000-000000000000")
	if err := os.MkdirAll(filepath.Join(mod, "data"), 0o750); err != nil {
		t.Fatal(err)
	}
	abs, err := filepath.Abs(filepath.Join("testdata", "osv"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(abs, filepath.Join(mod, "data", "osv")); err != nil {
		t.Fatal(err)
	}
	info := filepath.Join(tmp, "v.info")
	if err := os.WriteFile(info, []byte(`{"Version":"v0.0.0-21000101000000-000000000000","Time":"2100-01-01T00:00:00Z"}`), 0o600); err != nil {
		t.Fatal(err)
	}
	dl, _ := json.Marshal(map[string]string{"Path": "golang.org/x/vulndb", "Version": "v0.0.0-21000101000000-000000000000", "Info": info, "Dir": mod})
	dlFile := filepath.Join(tmp, "download.json")
	if err := os.WriteFile(dlFile, dl, 0o600); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(tmp, "db")
	msg, err := build(t, "-download", dlFile, "-out", out)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(msg, "vulndb v0.0.0-21000101000000-000000000000: 3 reports") {
		t.Errorf("summary %q", msg)
	}
	if got, want := readFile(t, filepath.Join(out, "index", "db.json")), `{"modified":"2100-01-01T00:00:00Z"}`; got != want {
		t.Errorf("db.json = %s, want %s", got, want)
	}
	if got := readFile(t, filepath.Join(out, "index", "modules.json")); got != wantModules {
		t.Errorf("modules.json:\n got %s\nwant %s", got, wantModules)
	}

	// A failed download is reported, not built from.
	if err := os.WriteFile(dlFile, []byte(`{"Path":"golang.org/x/vulndb","Error":"module lookup disabled"}`), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := build(t, "-download", dlFile, "-out", filepath.Join(tmp, "db2")); err == nil || !strings.Contains(err.Error(), "module lookup disabled") {
		t.Errorf("failed download: err = %v", err)
	}
}

func TestBadInput(t *testing.T) {
	src := t.TempDir()
	if err := os.WriteFile(filepath.Join(src, "GO-2099-0009.json"), []byte(`{"id":"GO-2099-0008"}`), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := build(t, "-src", src, "-out", filepath.Join(t.TempDir(), "db")); err == nil || !strings.Contains(err.Error(), "want <ID>.json") {
		t.Errorf("misnamed report: err = %v", err)
	}
	if _, err := build(t, "-src", t.TempDir(), "-out", filepath.Join(t.TempDir(), "db")); err == nil || !strings.Contains(err.Error(), "no OSV reports") {
		t.Errorf("empty source: err = %v", err)
	}
	if _, err := build(t, "-out", filepath.Join(t.TempDir(), "db")); err == nil || !strings.Contains(err.Error(), "usage") {
		t.Errorf("no source: err = %v", err)
	}
}

func TestLatestFix(t *testing.T) {
	r := func(events ...string) osvRange {
		var rg osvRange
		rg.Type = "SEMVER"
		for _, e := range events {
			kind, v, _ := strings.Cut(e, " ")
			ev := struct {
				Introduced string `json:"introduced,omitempty"`
				Fixed      string `json:"fixed,omitempty"`
			}{}
			if kind == "i" {
				ev.Introduced = v
			} else {
				ev.Fixed = v
			}
			rg.Events = append(rg.Events, ev)
		}
		return rg
	}
	for _, tc := range []struct {
		ranges []osvRange
		want   string
	}{
		{nil, ""},
		{[]osvRange{r("i 0")}, ""},
		{[]osvRange{r("i 0", "f 1.2.3")}, "1.2.3"},
		{[]osvRange{r("i 0", "f 1.2.3", "i 1.3.0")}, ""},
		{[]osvRange{r("i 0", "f 1.10.0", "i 1.9.0", "f 1.9.5")}, "1.10.0"},
		{[]osvRange{r("i 0", "f 1.2.0"), r("i 2.0.0", "f 2.0.4")}, "2.0.4"},
		{[]osvRange{r("i 0", "f 1.0.0-rc.1"), r("i 0", "f 1.0.0")}, "1.0.0"},
		{[]osvRange{{Type: "ECOSYSTEM"}}, ""},
	} {
		if got := latestFix(tc.ranges); got != tc.want {
			t.Errorf("latestFix(%+v) = %q, want %q", tc.ranges, got, tc.want)
		}
	}
}
