#!/usr/bin/env bash
# Live fetching against a real Prometheus (Debian package `prometheus`):
# SERIES gauges × DAYS of one-minute history are backfilled with promtool,
# served on 127.0.0.1, and replayed by `firedrill simulate --prometheus`:
# - chunked requests sequentially (--concurrency 1) versus in parallel
#   (--concurrency 4), timed by hyperfine;
# - the peak resident memory of one parallel run (GNU time), next to the
#   raw samples' size (16 bytes each: timestamp and value).
#
#     bash benches/live_fetch.sh [SERIES] [DAYS]
set -euo pipefail
cd "$(dirname "$0")/.."
series=${1:-1000}
days=${2:-30}
dir=$(mktemp -d)
pid=
cleanup() {
    [ -n "$pid" ] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
    rm -rf "$dir"
}
trap cleanup EXIT

cargo build --release -q --example bench_history --bin firedrill
read -r start end < <(target/release/examples/bench_history "$series" "$days" "$dir/history.om" 2>&1)
# promtool backfills a month of 1,000 series in well over half an hour.
promtool tsdb create-blocks-from openmetrics "$dir/history.om" "$dir/tsdb" >/dev/null
rm "$dir/history.om"
printf 'global:\n  scrape_interval: 1m\nscrape_configs: []\n' >"$dir/prometheus.yml"
printf 'groups:\n- name: bench\n  rules:\n  - alert: BenchSignalHigh\n    expr: bench_signal > 0.9\n    for: 2m\n' >"$dir/rules.yml"
port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
prometheus --config.file="$dir/prometheus.yml" --storage.tsdb.path="$dir/tsdb" \
    --storage.tsdb.retention.time=100y --web.listen-address="127.0.0.1:$port" \
    --query.max-samples=200000000 2>"$dir/prometheus.log" &
pid=$!
for _ in $(seq 600); do
    curl -sf "http://127.0.0.1:$port/-/ready" >/dev/null && break
    sleep 0.2
done

run="target/release/firedrill simulate $dir/rules.yml --prometheus http://127.0.0.1:$port --start $start --end $end --format csv -q"
samples=$((series * (days * 1440 + 1)))
echo "history: $series series x $days days = $samples samples, raw $((samples * 16 / 1048576)) MiB"
hyperfine --warmup 1 --min-runs 3 -N "$run --concurrency 1" "$run --concurrency 4"
/usr/bin/time -f 'peak RSS %M KiB, %e s' $run --concurrency 4 >/dev/null
