#!/usr/bin/env bash
# Live fetching against a real Prometheus (Debian package `prometheus`):
# SERIES gauges × DAYS of one-minute history are backfilled with promtool,
# served on 127.0.0.1, and replayed by `firedrill simulate --prometheus`:
# - chunked requests sequentially (--concurrency 1) versus in parallel
#   (--concurrency 4), timed by hyperfine;
# - the peak resident memory of one parallel run (GNU time), next to the
#   raw samples' size (16 bytes each: timestamp and value);
# - the peak memory of `record` writing the window as a recording and of
#   `simulate --data` replaying it.
#
#     bash benches/live_fetch.sh [SERIES] [DAYS]
#
# 1,000 series × 30 days: about 3 minutes to generate and backfill.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/prometheus.sh
series=${1:-1000}
days=${2:-30}
dir=$(mktemp -d)
cleanup() {
    stop_prometheus
    rm -rf "$dir"
}
trap cleanup EXIT

cargo build --release -q --example bench_history --bin firedrill
read -r start end < <(target/release/examples/bench_history "$series" "$days" "$dir/history.om" 2>&1)
backfill "$dir/history.om" "$dir/tsdb"
rm "$dir/history.om"
printf 'groups:\n- name: bench\n  rules:\n  - alert: BenchSignalHigh\n    expr: bench_signal > 0.9\n    for: 2m\n' >"$dir/rules.yml"
start_prometheus "$dir/tsdb"

run="target/release/firedrill simulate $dir/rules.yml --prometheus $prometheus_url --start $start --end $end --format csv -q"
samples=$((series * (days * 1440 + 1)))
echo "history: $series series x $days days = $samples samples, raw $((samples * 16 / 1048576)) MiB"
hyperfine --warmup 1 --min-runs 3 -N "$run --concurrency 1" "$run --concurrency 4"
/usr/bin/time -f 'peak RSS %M KiB, %e s' $run --concurrency 4 >/dev/null

# The same window as a recording: peak memory writing it (`record`) and
# replaying it offline (`simulate --data`).
/usr/bin/time -f 'record: peak RSS %M KiB, %e s' target/release/firedrill record "$dir/rules.yml" \
    --prometheus "$prometheus_url" --start "$start" --end "$end" --out "$dir/recording.parquet" -q
ls -l "$dir/recording.parquet"
/usr/bin/time -f 'simulate --data: peak RSS %M KiB, %e s' target/release/firedrill simulate "$dir/rules.yml" \
    --data "$dir/recording.parquet" --format csv -q >/dev/null
