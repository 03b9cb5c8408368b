#!/usr/bin/env bash
# Runs every check and test of DistriSearch. `.ci/run` calls this script; so
# does `make test`. Under CI=true a missing prerequisite is a failure.
set -euo pipefail
cd "$(dirname "$0")/.."

step() { printf '\n== %s\n' "$*"; }

step "gofmt"
unformatted=$(gofmt -l $(git ls-files '*.go' 2>/dev/null || find . -name '*.go'))
if [ -n "$unformatted" ]; then
  echo "gofmt would change:"; echo "$unformatted"; exit 1
fi

step "go vet"
go vet ./...

step "staticcheck"
go tool staticcheck ./...

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
