#!/usr/bin/env bash
# flowsql's benchmarks, each measuring flowsql against its baselines in one run:
#
#   bench/run.sh            # both
#   bench/run.sh load       # load: flowsql vs raw read_csv vs pandas; then every canned report
#   bench/run.sh fetch      # S3 fetch from versitygw on loopback, concurrency 1 vs the default;
#                           # then load s3:// through a 10 MB/s proxy vs fetch followed by load
#   bench/run.sh scale      # 100M rows (400 files, 1.5 GB gzip, generated once): load vs raw
#                           # read_csv at 10M and 100M, every report and nat in its own process
#                           # (about 15 minutes; needs about 10 GB of disk)
#   BENCH_ROWS=25000 bench/run.sh load   # a quick, smaller run
#
# The load data set (bench/out/data-*, about 150 MB) is generated once. pandas comes from
# Debian's python3-pandas and versitygw from the Go module proxy, installed when missing.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$(go env GOPATH)/bin:$PATH"
what="${1:-all}"
mkdir -p bench/out
if [[ "$what" == all || "$what" == load ]]; then
  go build -o bench/out/flowsql ./cmd/flowsql
  if ! /usr/bin/python3 -c 'import pandas' 2>/dev/null; then
    echo "installing Debian's python3-pandas for the pandas baseline..." >&2
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q python3-pandas >/dev/null
  fi
  go run ./bench/load -flowsql bench/out/flowsql -files "${BENCH_FILES:-40}" -rows "${BENCH_ROWS:-250000}" \
    -dir "bench/out/data-${BENCH_FILES:-40}x${BENCH_ROWS:-250000}"
  echo
fi
if [[ "$what" == scale ]]; then
  go build -o bench/out/flowsql ./cmd/flowsql
  go run ./bench/load -flowsql bench/out/flowsql -scale -files "${BENCH_FILES:-400}" -rows "${BENCH_ROWS:-250000}" \
    -small "${BENCH_SMALL:-40}" -dir "bench/out/data-${BENCH_FILES:-400}x${BENCH_ROWS:-250000}"
  exit
fi
if [[ "$what" == all || "$what" == fetch ]]; then
  if ! command -v versitygw >/dev/null; then
    echo "installing versitygw for the fetch benchmark..." >&2
    go install github.com/versity/versitygw/cmd/versitygw@v1.0.14
  fi
  go build -o bench/out/flowsql ./cmd/flowsql
  go run ./bench/fetch -objects "${BENCH_OBJECTS:-2000}" -flowsql bench/out/flowsql
fi
