#!/usr/bin/env bash
# Runs every check and test of DistriSearch. `.ci/run` calls this script; so
# does `make test`. Under CI=true a missing prerequisite is a failure.
set -euo pipefail
cd "$(dirname "$0")/.."

step() { printf '\n== %s\n' "$*"; }

# Build and test with the toolchain go.mod names (a patch release with the
# standard library's security fixes); the go command fetches it through the
# module proxy once. GOTOOLCHAIN=local in the environment keeps the
# installed one.
if [ "${GOTOOLCHAIN:-}" != local ]; then
  export GOTOOLCHAIN=$(sed -n 's/^toolchain //p' go.mod)
fi
go version

step "gofmt"
unformatted=$(gofmt -l $(git ls-files '*.go' 2>/dev/null || find . -name '*.go'))
if [ -n "$unformatted" ]; then
  echo "gofmt would change:"; echo "$unformatted"; exit 1
fi

step "go vet"
go vet ./...

step "staticcheck"
go tool staticcheck ./...

step "gosec"
# Test files are not scanned (gosec's -tests is off by default); testdata
# holds fixtures. A finding fails the script; a false positive is marked on
# its line with `// #nosec Gxxx -- reason`, and both the rule and the reason
# are required. The list is the rules that fit this code base: file access
# (G304, G305), HTTP servers (G112, G114, G120), TLS (G402, G123),
# randomness (G404), decompression (G110), weak crypto, injection.
gosec_rules=G102,G106,G108,G110,G111,G112,G113,G114,G116,G119,G120,G121,G122,G123,G124
gosec_rules+=,G201,G202,G203,G304,G305
gosec_rules+=,G401,G402,G403,G404,G405,G406,G407,G501,G502,G503,G504,G505,G506,G507
gosec_rules+=,G701,G702,G704,G705,G707,G708,G709,G710
go tool gosec -quiet -color=false -exclude-dir=testdata -nosec-require-rules -nosec-require-justification \
  -include="$gosec_rules" ./...

step "govulncheck"
# govulncheck's database normally comes from vuln.go.dev, which CI does not
# reach. The same reports are in the golang.org/x/vulndb module, which the
# Go module proxy serves: download it (VULNDB_VERSION pins a snapshot;
# default the newest), turn its data/osv into the database layout
# (internal/tools/vulndb) and point govulncheck at it. Exit code 3 means a
# vulnerability that the code reaches. See docs/security.md.
vulntmp=$(mktemp -d)
trap 'rm -rf "$vulntmp"' EXIT
if (cd "$vulntmp" && go mod download -json "golang.org/x/vulndb@${VULNDB_VERSION:-latest}") >"$vulntmp/download.json"; then
  go run ./internal/tools/vulndb -download "$vulntmp/download.json" -out "$vulntmp/db"
  go tool govulncheck -db "file://$vulntmp/db" ./...
else
  cat "$vulntmp/download.json"
  echo "govulncheck: cannot download golang.org/x/vulndb through the Go module proxy, so there is no vulnerability database."
  if [ "${CI:-}" = true ]; then exit 1; fi
  echo "govulncheck: SKIPPED (not CI)"
fi

step "Cranfield relevance gate"
# index.TestCranfield checks that the product ranks the Cranfield collection
# no worse than bare bleve (nDCG@10 and MAP, with and without titles); it
# runs inside the test step below when DISTRISEARCH_CRANFIELD names the
# collection. Default: ../shared/data/cranfield next to the repository.
cranfield=${DISTRISEARCH_CRANFIELD:-../shared/data/cranfield}
if [ -f "$cranfield/cran.all.1400" ]; then
  export DISTRISEARCH_CRANFIELD=$(cd "$cranfield" && pwd)
  echo "collection: $DISTRISEARCH_CRANFIELD"
else
  echo "Cranfield collection not found at $cranfield."
  if [ "${CI:-}" = true ]; then exit 1; fi
  unset DISTRISEARCH_CRANFIELD
  echo "Cranfield gate: SKIPPED (not CI)"
fi

step "go test -race"
go test -race -timeout 20m -count=1 ./... 2>&1 | tee /tmp/distrisearch-test.log

step "fuzz (short runs)"
# Every Fuzz target in the tree, run briefly on top of its committed seeds.
# Counted runs, not timed ones: a timed run can end with a spurious "context
# deadline exceeded" on Go 1.26 (golang/go#75804).
fuzztime=${FUZZTIME:-500x}
while read -r file; do
  pkg=./$(dirname "$file")
  for fn in $(grep -oE '^func (Fuzz[A-Za-z0-9_]+)' "$file" | awk '{print $2}'); do
    echo "-- $pkg $fn"
    go test -run '^$' -fuzz "^${fn}\$" -fuzztime "$fuzztime" -fuzzminimizetime 2s "$pkg" >/tmp/distrisearch-fuzz.log 2>&1 || { cat /tmp/distrisearch-fuzz.log; exit 1; }
  done
done < <(grep -rl --include='*_test.go' -E '^func Fuzz' . | sort)

step "summary"
passed=$(grep -cE '^ok ' /tmp/distrisearch-test.log || true)
failed=$(grep -cE '^(FAIL|--- FAIL)' /tmp/distrisearch-test.log || true)
echo "packages: ${passed} passed, ${failed} failed"
