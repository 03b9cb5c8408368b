// Command vulndb builds an offline Go vulnerability database for
// govulncheck from the golang.org/x/vulndb module.
//
// govulncheck normally downloads its database from the network, which CI
// does not reach. The Go module proxy, which it does reach, serves
// golang.org/x/vulndb like any other module, and that module holds every
// report of the database as an OSV file, data/osv/<ID>.json. This command
// turns that directory into the v1 layout of the database API
// (https://go.dev/security/vuln/database#api) that
// `govulncheck -db file:///DIR` reads:
//
//	index/db.json       {"modified": T}: the newest modified time
//	index/modules.json  [{"path": M, "vulns": [{"id", "modified", "fixed"}]}]
//	                    sorted by path, each vulns list by id
//	index/vulns.json    [{"id", "modified", "aliases"}] sorted by id
//	ID/<ID>.json        each OSV report, byte for byte as in the module
//
// "fixed" is the fix that no later fix or re-introduction supersedes, or
// absent when there is none, computed as govulncheck's own index code
// (golang.org/x/vuln/internal/client) does; govulncheck skips a report for
// a module version at or past it, and otherwise reads the report's ranges.
//
// The reports in the module carry a zero "modified" time: the published
// database fills it from the git history, which a module zip does not have.
// The reports keep it as it is; index/db.json gets the module version's
// time (from -download, or -modified) when that is later, so govulncheck
// shows the snapshot's date as "DB updated".
//
// Usage:
//
//	go mod download -json golang.org/x/vulndb@latest > dl.json
//	go run ./internal/tools/vulndb -download dl.json -out DIR
//	go tool govulncheck -db file://DIR ./...
//
// or, with a directory of OSV files at hand:
//
//	go run ./internal/tools/vulndb -src VULNDB_OR_OSV_DIR [-modified RFC3339] -out DIR
//
// -src is the module's directory or its data/osv directory. -out must be
// missing or empty, so that no stale report survives a rebuild.
package main

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"golang.org/x/mod/semver"
)

func main() {
	if err := run(os.Args[1:], os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "vulndb:", err)
		os.Exit(1)
	}
}

func run(args []string, stdout io.Writer) error {
	fl := flag.NewFlagSet("vulndb", flag.ContinueOnError)
	download := fl.String("download", "", "file holding the output of `go mod download -json golang.org/x/vulndb@VERSION`")
	src := fl.String("src", "", "the golang.org/x/vulndb module directory, or a directory of OSV files")
	modified := fl.String("modified", "", "snapshot time (RFC 3339) for index/db.json, if later than every report")
	out := fl.String("out", "", "output directory (missing or empty)")
	if err := fl.Parse(args); err != nil {
		return err
	}
	if fl.NArg() != 0 || *out == "" || (*download == "") == (*src == "") {
		return errors.New("usage: vulndb (-download FILE | -src DIR [-modified TIME]) -out DIR")
	}
	var snapshot time.Time
	version := ""
	if *download != "" {
		dl, err := readDownload(*download)
		if err != nil {
			return err
		}
		*src, snapshot, version = dl.Dir, dl.Time, dl.Version
	}
	if *modified != "" {
		t, err := time.Parse(time.RFC3339, *modified)
		if err != nil {
			return fmt.Errorf("-modified: %w", err)
		}
		snapshot = t
	}
	db, err := load(*src)
	if err != nil {
		return err
	}
	if snapshot.After(db.modified) {
		db.modified = snapshot.UTC()
	}
	if err := db.write(*out); err != nil {
		return err
	}
	if version != "" {
		version = " " + version
	}
	fmt.Fprintf(stdout, "vulndb%s: %d reports on %d modules, modified %s, written to %s\n",
		version, len(db.entries), len(db.modules), db.modified.Format(time.RFC3339), *out)
	return nil
}

// download is the part of `go mod download -json` output used here.
type download struct {
	Version string
	Dir     string
	Info    string // the .info file: {"Version": ..., "Time": ...}
	Error   string
	Time    time.Time `json:"-"`
}

func readDownload(file string) (download, error) {
	var dl download
	b, err := os.ReadFile(file) // #nosec G304 -- the file the caller names on the command line
	if err != nil {
		return dl, err
	}
	if err := json.Unmarshal(b, &dl); err != nil {
		return dl, fmt.Errorf("%s: %w", file, err)
	}
	if dl.Error != "" {
		return dl, fmt.Errorf("go mod download: %s", dl.Error)
	}
	if dl.Dir == "" {
		return dl, fmt.Errorf("%s: no Dir", file)
	}
	if dl.Info != "" {
		b, err := os.ReadFile(dl.Info) // #nosec G304 -- a path in the module cache, named by the go command
		if err != nil {
			return dl, err
		}
		var info struct{ Time time.Time }
		if err := json.Unmarshal(b, &info); err != nil {
			return dl, fmt.Errorf("%s: %w", dl.Info, err)
		}
		dl.Time = info.Time
	}
	return dl, nil
}

// entry is the part of an OSV report that the indexes need.
type entry struct {
	ID       string    `json:"id"`
	Modified time.Time `json:"modified"`
	Aliases  []string  `json:"aliases,omitempty"`
	Affected []struct {
		Package struct {
			Name string `json:"name"`
		} `json:"package"`
		Ranges []osvRange `json:"ranges"`
	} `json:"affected"`

	raw []byte
}

type osvRange struct {
	Type   string `json:"type"`
	Events []struct {
		Introduced string `json:"introduced,omitempty"`
		Fixed      string `json:"fixed,omitempty"`
	} `json:"events"`
}

// The index files, as govulncheck's client (golang.org/x/vuln/internal/client,
// schema.go) and the database API define them.

type dbMeta struct {
	Modified time.Time `json:"modified"`
}

type moduleVuln struct {
	ID       string    `json:"id"`
	Modified time.Time `json:"modified"`
	Fixed    string    `json:"fixed,omitempty"`
}

type module struct {
	Path  string       `json:"path"`
	Vulns []moduleVuln `json:"vulns"`
}

type vuln struct {
	ID       string    `json:"id"`
	Modified time.Time `json:"modified"`
	Aliases  []string  `json:"aliases,omitempty"`
}

type database struct {
	modified time.Time
	entries  []*entry // sorted by ID
	modules  map[string]*module
}

// load reads every <ID>.json in dir (or in dir/data/osv, when dir is the
// vulndb module) and builds the indexes.
func load(dir string) (*database, error) {
	if fi, err := os.Stat(filepath.Join(dir, "data", "osv")); err == nil && fi.IsDir() {
		dir = filepath.Join(dir, "data", "osv")
	}
	root, err := os.OpenRoot(dir)
	if err != nil {
		return nil, err
	}
	defer root.Close()
	names, err := fs.Glob(root.FS(), "*.json")
	if err != nil {
		return nil, err
	}
	if len(names) == 0 {
		return nil, fmt.Errorf("%s: no OSV reports (*.json)", dir)
	}
	sort.Strings(names)
	db := &database{modules: make(map[string]*module)}
	for _, name := range names {
		b, err := root.ReadFile(name)
		if err != nil {
			return nil, err
		}
		e := &entry{raw: b}
		if err := json.Unmarshal(b, e); err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
		if e.ID == "" || name != e.ID+".json" {
			return nil, fmt.Errorf("%s: holds report %q; want <ID>.json", name, e.ID)
		}
		db.add(e)
	}
	return db, nil
}

func (db *database) add(e *entry) {
	db.entries = append(db.entries, e)
	if e.Modified.After(db.modified) {
		db.modified = e.Modified
	}
	for _, a := range e.Affected {
		m := db.modules[a.Package.Name]
		if m == nil {
			m = &module{Path: a.Package.Name, Vulns: []moduleVuln{}}
			db.modules[m.Path] = m
		}
		m.Vulns = append(m.Vulns, moduleVuln{ID: e.ID, Modified: e.Modified, Fixed: latestFix(a.Ranges)})
	}
}

// write lays the database out under dir.
func (db *database) write(dir string) error {
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return err
	}
	root, err := os.OpenRoot(dir)
	if err != nil {
		return err
	}
	defer root.Close()
	if left, err := fs.ReadDir(root.FS(), "."); err != nil {
		return err
	} else if len(left) > 0 {
		return fmt.Errorf("%s is not empty", dir)
	}
	for _, d := range []string{"index", "ID"} {
		if err := root.Mkdir(d, 0o750); err != nil {
			return err
		}
	}

	modules := make([]*module, 0, len(db.modules))
	for _, m := range db.modules {
		sort.SliceStable(m.Vulns, func(i, j int) bool { return m.Vulns[i].ID < m.Vulns[j].ID })
		modules = append(modules, m)
	}
	sort.Slice(modules, func(i, j int) bool { return modules[i].Path < modules[j].Path })
	vulns := make([]vuln, len(db.entries))
	for i, e := range db.entries {
		vulns[i] = vuln{ID: e.ID, Modified: e.Modified, Aliases: e.Aliases}
	}
	for name, v := range map[string]any{
		"index/db.json":      dbMeta{Modified: db.modified},
		"index/modules.json": modules,
		"index/vulns.json":   vulns,
	} {
		b, err := json.Marshal(v)
		if err != nil {
			return err
		}
		if err := root.WriteFile(name, b, 0o600); err != nil {
			return err
		}
	}
	for _, e := range db.entries {
		if err := root.WriteFile(path.Join("ID", e.ID+".json"), e.raw, 0o600); err != nil {
			return err
		}
	}
	return nil
}

// latestFix returns the SEMVER fix in ranges that no later fix or later
// introduction supersedes, or "" if there is none: a copy of
// NonSupersededFix in golang.org/x/vuln/internal/semver, which govulncheck
// relies on when it reads the "fixed" field of index/modules.json.
func latestFix(ranges []osvRange) string {
	var latest string
	for _, r := range ranges {
		if r.Type != "SEMVER" {
			continue
		}
		for _, e := range r.Events {
			if e.Fixed != "" && less(latest, e.Fixed) {
				latest = e.Fixed
			}
		}
		for _, e := range r.Events {
			if e.Introduced != "" && e.Introduced != "0" && less(latest, e.Introduced) {
				latest = ""
				break
			}
		}
	}
	return latest
}

// less compares OSV versions, which have no "v" (or a "go") prefix; an
// empty or invalid version sorts before every valid one.
func less(v1, v2 string) bool {
	return semver.Compare(canonical(v1), canonical(v2)) < 0
}

func canonical(v string) string {
	v = strings.TrimPrefix(strings.TrimPrefix(v, "v"), "go")
	return "v" + v
}
