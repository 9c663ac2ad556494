#!/usr/bin/env bash
# The server's suites (and core's rules) under libfaketime, with the machine in
# UTC, started at moments where a test that reads the wall clock for what it
# asserts would fail. The suites take their time as an input (the server's
# clock in the tests stands where each test puts it), so they must pass at any
# moment; this run is the net that catches one that does not. SQLite cases only:
# a PostgreSQL server runs on its own clock, outside libfaketime's reach.
#
# The moments (UTC, the faked clock starts there and runs on), and why:
#   2026-12-31 15:57  23:57 on New Year's Eve in the hall: the last minutes of a
#                     month and of a year in China time, crossed while the suites
#                     run; UTC is eight hours from its own midnight.
#   2027-03-31 16:01  00:01 on 1 April in the hall, still 31 March in UTC: a new
#                     day and month in China, the old ones in UTC.
#   2027-06-15 02:00  a working morning in 2027, whose holiday arrangement the
#                     server does not have (only 2025 and 2026 are published in
#                     the data it seeds): every "today" deadline is an estimate.
#   2028-02-29 04:00  a leap day, in a year no calendar knows, after the demo
#                     officers' appointments (to 2027-12-31) have ended.
#
# Usage: faketime.sh (after the workspace's tests were built, as scripts/test.sh does).
set -euo pipefail
cd "$(dirname "$0")/.."

moments=("2026-12-31 15:57:00" "2027-03-31 16:01:00" "2027-06-15 02:00:00" "2028-02-29 04:00:00")
packages=(tiyan-server tiyan-services tiyan-storage tiyan-core)

command -v faketime >/dev/null || { echo "faketime is not installed (scripts/setup.sh installs it)" >&2; exit 1; }

# The test executables cargo built for these packages, each with its package folder.
pkg_args=()
for p in "${packages[@]}"; do pkg_args+=(-p "$p"); done
mapfile -t suites < <(cargo test "${pkg_args[@]}" --no-run --message-format=json 2>/dev/null | python3 -c '
import json, os, sys
for line in sys.stdin:
    m = json.loads(line)
    if m.get("reason") == "compiler-artifact" and m.get("executable") and m["profile"]["test"]:
        print(os.path.dirname(m["manifest_path"]) + "\t" + m["executable"])
')
((${#suites[@]})) || { echo "no test executables were found for ${packages[*]}" >&2; exit 1; }

runs=0
passed=0
for moment in "${moments[@]}"; do
  for suite in "${suites[@]}"; do
    dir=${suite%%$'\t'*}
    exe=${suite#*$'\t'}
    out=$(cd "$dir" && TZ=UTC faketime -m --exclude-monotonic "$moment" \
      "$exe" --skip postgres:: --skip on_postgres_ 2>&1) || {
      printf '%s\n' "$out" >&2
      echo "FAILED under faketime at $moment UTC: $(basename "$exe")" >&2
      exit 1
    }
    n=$(printf '%s\n' "$out" | awk '/^test result: ok\./ { n += $4 } END { print n + 0 }')
    passed=$((passed + n))
    runs=$((runs + 1))
  done
  # The moment must have taken (else the run proves nothing).
  seen=$(TZ=UTC faketime -m --exclude-monotonic "$moment" date -u '+%F %R')
  [ "$seen" = "${moment:0:16}" ] || { echo "libfaketime did not take: the clock read $seen, not $moment" >&2; exit 1; }
  echo "faketime $moment UTC: ${#suites[@]} suites passed"
done
echo "faketime: $runs runs at ${#moments[@]} moments, $passed tests passed (SQLite cases of ${packages[*]})"
