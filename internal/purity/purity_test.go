// Package purity_test holds the guard that keeps DistriSearch's pure
// packages pure: no network, filesystem, process, storage or search-engine
// imports, and no reading of the wall clock, directly or through another
// package of this module.
package purity_test

import (
	"bufio"
	"errors"
	"fmt"
	"go/ast"
	"go/build"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// purePackages are checked relative to the module root. Optional ones are
// skipped while they do not exist yet.
var purePackages = []struct {
	dir      string
	optional bool
}{
	{"clock", false},
	{"cluster/detect", false},
	{"placement", false},
	{"replica/merkle", false},
	{"replica/quorum", false},
	{"replica/version", false},
	{"events", false}, // not pure in the goroutine sense, but no I/O and no clock reads
	{"auth/rbac", true},
	{"index/query", false},
	{"index/eval", false},
	{"index/hedge", false},
}

// allowedThirdParty lists import path prefixes outside the standard
// library and this module that pure packages may use. The checker does not
// follow third-party imports, so each entry must be vetted by hand: it
// must do no I/O and read no clock.
var allowedThirdParty = []string{}

// forbiddenReason says why importPath may not be imported by a pure
// package, or "" if it may.
func forbiddenReason(importPath string) string {
	is := func(p string) bool { return importPath == p || strings.HasPrefix(importPath, p+"/") }
	switch {
	case importPath == "net/url" || importPath == "net/netip":
		return "" // value parsers, no sockets
	case is("net"):
		return "network"
	case is("os"), importPath == "io/ioutil":
		return "filesystem or process"
	case is("syscall"), is("golang.org/x/sys"):
		return "system calls"
	case is("plugin"), is("database/sql"):
		return "dynamic loading or storage"
	case is("go.etcd.io/bbolt"), is("github.com/cockroachdb/pebble"), is("github.com/cockroachdb/pebble/v2"):
		return "storage engine"
	case strings.HasPrefix(importPath, "github.com/blevesearch/"):
		return "search engine"
	case strings.HasPrefix(importPath, "github.com/hashicorp/raft"):
		return "consensus runtime"
	case is("github.com/fsnotify/fsnotify"):
		return "filesystem watching"
	}
	return ""
}

// clockReads are the time package functions that read or wait on the
// wall clock. Pure code takes time as an argument or a func() time.Time.
var clockReads = map[string]bool{
	"Now": true, "Since": true, "Until": true, "Sleep": true, "After": true,
	"AfterFunc": true, "NewTimer": true, "NewTicker": true, "Tick": true,
}

// srcFile is one parsed source file.
type srcFile struct {
	name string
	ast  *ast.File
}

// loader returns the parsed non-test files of a package of the module.
type loader func(importPath string) ([]srcFile, error)

// checker walks a package and the module packages it imports.
type checker struct {
	module string
	load   loader
	seen   map[string]bool
	found  []string
}

func newChecker(module string, load loader) *checker {
	return &checker{module: module, load: load, seen: map[string]bool{}}
}

func (c *checker) inModule(p string) bool {
	return p == c.module || strings.HasPrefix(p, c.module+"/")
}

func isStd(p string) bool {
	first, _, _ := strings.Cut(p, "/")
	return !strings.Contains(first, ".")
}

// check records every violation in pkg and, transitively, in the module
// packages it imports. chain is how pkg was reached, for the message.
func (c *checker) check(pkg string, chain []string) error {
	if c.seen[pkg] {
		return nil
	}
	c.seen[pkg] = true
	chain = append(slices.Clip(chain), pkg)
	via := strings.Join(chain, " → ")
	files, err := c.load(pkg)
	if err != nil {
		return fmt.Errorf("load %s: %w", pkg, err)
	}
	for _, sf := range files {
		f := sf.ast
		where := via + " (" + filepath.Base(sf.name) + ")"
		timeNames := map[string]bool{}
		for _, spec := range f.Imports {
			p, err := strconv.Unquote(spec.Path.Value)
			if err != nil {
				return err
			}
			if why := forbiddenReason(p); why != "" {
				c.found = append(c.found, fmt.Sprintf("%s imports %s (%s)", where, p, why))
				continue
			}
			switch {
			case c.inModule(p):
				if err := c.check(p, chain); err != nil {
					return err
				}
			case !isStd(p) && !slices.ContainsFunc(allowedThirdParty, func(a string) bool { return strings.HasPrefix(p, a) }):
				c.found = append(c.found, fmt.Sprintf("%s imports %s (third-party import not vetted as pure)", where, p))
			}
			if p == "time" {
				name := "time"
				if spec.Name != nil {
					name = spec.Name.Name
				}
				if name == "." {
					c.found = append(c.found, fmt.Sprintf("%s dot-imports time", where))
				}
				timeNames[name] = true
			}
		}
		if len(timeNames) == 0 {
			continue
		}
		ast.Inspect(f, func(n ast.Node) bool {
			sel, ok := n.(*ast.SelectorExpr)
			if !ok {
				return true
			}
			if id, ok := sel.X.(*ast.Ident); ok && timeNames[id.Name] && clockReads[sel.Sel.Name] {
				c.found = append(c.found, fmt.Sprintf("%s uses time.%s (reads the clock)", where, sel.Sel.Name))
			}
			return true
		})
	}
	return nil
}

// moduleRoot finds go.mod above the working directory and returns its
// directory and module path.
func moduleRoot(t *testing.T) (dir, module string) {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		f, err := os.Open(filepath.Join(dir, "go.mod"))
		if err == nil {
			defer f.Close()
			sc := bufio.NewScanner(f)
			for sc.Scan() {
				if m, ok := strings.CutPrefix(strings.TrimSpace(sc.Text()), "module "); ok {
					return dir, strings.Trim(strings.TrimSpace(m), `"`)
				}
			}
			t.Fatalf("no module line in %s/go.mod", dir)
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatal("go.mod not found")
		}
		dir = parent
	}
}

// diskLoader loads module packages from the source tree, honouring build
// constraints, without test files.
func diskLoader(root, module string) loader {
	return func(importPath string) ([]srcFile, error) {
		rel := strings.TrimPrefix(strings.TrimPrefix(importPath, module), "/")
		dir := filepath.Join(root, filepath.FromSlash(rel))
		bp, err := build.Default.ImportDir(dir, 0)
		if err != nil {
			return nil, err
		}
		fset := token.NewFileSet()
		var files []srcFile
		for _, name := range append(slices.Clone(bp.GoFiles), bp.CgoFiles...) {
			f, err := parser.ParseFile(fset, filepath.Join(dir, name), nil, parser.SkipObjectResolution)
			if err != nil {
				return nil, err
			}
			files = append(files, srcFile{name: name, ast: f})
		}
		return files, nil
	}
}

func TestPurePackagesArePure(t *testing.T) {
	root, module := moduleRoot(t)
	load := diskLoader(root, module)
	for _, p := range purePackages {
		t.Run(p.dir, func(t *testing.T) {
			if _, err := os.Stat(filepath.Join(root, filepath.FromSlash(p.dir))); errors.Is(err, os.ErrNotExist) {
				if p.optional {
					t.Skipf("%s does not exist yet", p.dir)
				}
				t.Fatalf("pure package %s is missing", p.dir)
			}
			c := newChecker(module, load)
			if err := c.check(module+"/"+p.dir, nil); err != nil {
				t.Fatal(err)
			}
			for _, v := range c.found {
				t.Error(v)
			}
		})
	}
}

// memLoader serves packages from source text: import path → file name →
// source. Test files are skipped, as the disk loader skips them.
func memLoader(pkgs map[string]map[string]string) loader {
	return func(importPath string) ([]srcFile, error) {
		srcs, ok := pkgs[importPath]
		if !ok {
			return nil, fmt.Errorf("no package %s", importPath)
		}
		names := make([]string, 0, len(srcs))
		for n := range srcs {
			names = append(names, n)
		}
		slices.Sort(names)
		fset := token.NewFileSet()
		var files []srcFile
		for _, n := range names {
			if strings.HasSuffix(n, "_test.go") {
				continue
			}
			f, err := parser.ParseFile(fset, n, srcs[n], parser.SkipObjectResolution)
			if err != nil {
				return nil, err
			}
			files = append(files, srcFile{name: n, ast: f})
		}
		return files, nil
	}
}

// The checker itself, on tiny in-memory modules: it must flag every kind
// of violation, follow module imports, and leave clean code alone.
func TestCheckerCatchesViolations(t *testing.T) {
	const mod = "example.com/m"
	tests := []struct {
		name string
		pkgs map[string]map[string]string
		want []string // substrings, one per expected violation
	}{
		{"clean", map[string]map[string]string{
			mod + "/a": {"a.go": `package a
import ("fmt"; "net/url"; "time"; "example.com/m/b")
func F(now func() time.Time, d time.Duration) string { return fmt.Sprint(now().Add(d), url.PathEscape("x"), b.G()) }`},
			mod + "/b": {"b.go": `package b
func G() int { return 1 }`, "b_test.go": `package b
import ("os"; "time")
var _ = os.Getenv
var _ = time.Now`},
		}, nil},
		{"network import", map[string]map[string]string{
			mod + "/a": {"a.go": `package a
import _ "net/http"`},
		}, []string{"imports net/http (network)"}},
		{"forbidden list", map[string]map[string]string{
			mod + "/a": {"a.go": `package a
import (
	_ "net"
	_ "os"
	_ "os/exec"
	_ "io/ioutil"
	_ "syscall"
	_ "go.etcd.io/bbolt"
	_ "github.com/blevesearch/bleve/v2"
	_ "github.com/hashicorp/raft"
	_ "github.com/hashicorp/raft-wal"
)`},
		}, []string{"imports net ", "imports os ", "imports os/exec", "imports io/ioutil", "imports syscall",
			"imports go.etcd.io/bbolt", "imports github.com/blevesearch/bleve/v2", "imports github.com/hashicorp/raft ",
			"imports github.com/hashicorp/raft-wal"}},
		{"transitive through the module", map[string]map[string]string{
			mod + "/a": {"a.go": `package a
import "example.com/m/b"
var X = b.Y`},
			mod + "/b": {"b.go": `package b
import "example.com/m/c"
var Y = c.Z`},
			mod + "/c": {"c.go": `package c
import "os"
var Z = os.Args`},
		}, []string{"example.com/m/a → example.com/m/b → example.com/m/c (c.go) imports os"}},
		{"clock reads", map[string]map[string]string{
			mod + "/a": {"a.go": `package a
import (
	"time"
	tm "time"
)
func F() time.Time { return time.Now() }
func G(t time.Time) time.Duration { return tm.Since(t) }
var Default = time.Now
func H() { <-time.After(1) }`},
		}, []string{"uses time.Now", "uses time.Since", "uses time.Now", "uses time.After"}},
		{"dot import of time", map[string]map[string]string{
			mod + "/a": {"a.go": `package a
import . "time"
var D = Second`},
		}, []string{"dot-imports time"}},
		{"unvetted third party", map[string]map[string]string{
			mod + "/a": {"a.go": `package a
import _ "github.com/someone/lib"`},
		}, []string{"github.com/someone/lib (third-party import not vetted"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := newChecker(mod, memLoader(tt.pkgs))
			if err := c.check(mod+"/a", nil); err != nil {
				t.Fatal(err)
			}
			if len(c.found) != len(tt.want) {
				t.Fatalf("found %d violations, want %d:\n%s", len(c.found), len(tt.want), strings.Join(c.found, "\n"))
			}
			for i, w := range tt.want {
				if !strings.Contains(c.found[i]+" ", w) {
					t.Errorf("violation %d = %q, want it to mention %q", i, c.found[i], w)
				}
			}
		})
	}
}
