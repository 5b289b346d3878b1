#!/usr/bin/env bash
# Before and after for the bulk ingest (issue 14), alternating in one command so that both meet the same load:
#   bash bench/ingest-before-after.sh <baseline checkout> [rounds=2] [rows=2000000]
# Each round: DuckDB's own read_csv, then a first ingest on the baseline and on this checkout, then the same file
# again on each (every row a duplicate), each in a process of its own, with wall time, CPU seconds (user + system,
# DuckDB's threads included) and peak RSS from /usr/bin/time. The CSV is bench/ingest.ts's (written on first use).
set -euo pipefail
base=$(cd "$1" && pwd); here=$(cd "$(dirname "$0")/.." && pwd)
rounds=${2:-2}; rows=${3:-2000000}
file=$(cd "$here" && node --import tsx -e "import('./bench/ingest.ts').then(async (m) => console.log(await m.spotifyCsvOfRows($rows)))")
dir=$(mktemp -d); trap 'rm -rf "$dir"' EXIT
run() { # checkout mode store
  (cd "$1" && /usr/bin/time -f "wall=%e user=%U sys=%S maxrss_kb=%M" node --import tsx bench/ingest-run.ts "$2" "$file" "$3" 2>&1 | tail -2 | tr '\n' ' ')
  echo
}
for i in $(seq 1 "$rounds"); do
  echo "round $i, load $(cut -d' ' -f1-3 /proc/loadavg)"
  rm -rf "$dir"/*
  echo "read_csv     $(run "$here" duckdb-read-csv "$dir/d.duckdb")"
  echo "before       $(run "$base" ingest-bulk "$dir/b.duckdb")"
  echo "after        $(run "$here" ingest-bulk "$dir/a.duckdb")"
  echo "before again $(run "$base" ingest-bulk "$dir/b.duckdb")"
  echo "after again  $(run "$here" ingest-bulk "$dir/a.duckdb")"
done
echo "load $(cut -d' ' -f1-3 /proc/loadavg)"
