#!/usr/bin/env bash
# firedrill's replay from a recording versus promtool evaluating the same
# scenario (100 series x 1 day at 1m, `m > 90 for 2m`). Needs hyperfine and
# promtool (Debian packages `hyperfine`, `prometheus`).
#
#     bash benches/vs_promtool.sh [SERIES] [MINUTES]
set -euo pipefail
cd "$(dirname "$0")/.."
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
cargo run --release -q --example vs_promtool -- "$dir" "${1:-100}" "${2:-1440}"
cargo build --release -q
bin=$PWD/target/release/firedrill
cd "$dir"
hyperfine -N --warmup 1 --min-runs 5 \
    "promtool test rules test.yml" \
    "$bin simulate rules.yml --data recording.parquet --format csv"
