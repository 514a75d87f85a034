#!/usr/bin/env bash
# flowsql's benchmarks. Generates the data set once (bench/out/data, about 300 MB), builds
# flowsql, installs the pandas baseline if it is missing, and prints the measurements and
# how they compare with the targets.
#
#   bench/run.sh            # load: flowsql vs raw read_csv vs pandas
#   BENCH_ROWS=25000 bench/run.sh   # a quick, smaller run
set -euo pipefail
cd "$(dirname "$0")/.."
mkdir -p bench/out
go build -o bench/out/flowsql ./cmd/flowsql
if ! /usr/bin/python3 -c 'import pandas' 2>/dev/null; then
  echo "installing Debian's python3-pandas for the pandas baseline..." >&2
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q python3-pandas >/dev/null
fi
go run ./bench/load -flowsql bench/out/flowsql -files "${BENCH_FILES:-40}" -rows "${BENCH_ROWS:-250000}" \
  -dir "bench/out/data-${BENCH_FILES:-40}x${BENCH_ROWS:-250000}" "$@"
