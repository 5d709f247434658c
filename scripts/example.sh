#!/usr/bin/env bash
# The main job on the shipped example, no server needed:
#   1. lint rules/ (the Wecare alerts) against their runbook, rules/runbook.md;
#   2. replay a recorded week of their signals (fixtures/wecare-7d.parquet),
#      and through the team's Alertmanager routes (rules/alertmanager.yml):
#      which alerts fired, and what paged whom;
#   3. tune the alert that paged for nothing that week, against the team's
#      marks (rules/incidents.toml), and count the pages it would save.
# Each command is printed before it runs; the first build takes a few minutes.
set -euo pipefail
cd "$(dirname "$0")/.."

cargo build --release

run() {
    printf '\n$ firedrill %s\n\n' "$*"
    cargo run --release --quiet -- "$@"
}

run lint rules/ --runbook rules/runbook.md \
    --runbook-map https://docs.wecare.example/ops/incident-response=rules/runbook.md \
    --alertmanager rules/alertmanager.yml
run simulate rules/ --data fixtures/wecare-7d.parquet \
    --alertmanager rules/alertmanager.yml --timezone Europe/Athens
run tune rules/ --alert FPMPoolSaturation --data fixtures/wecare-7d.parquet --marks rules/incidents.toml \
    --alertmanager rules/alertmanager.yml --timezone Europe/Athens
