#!/usr/bin/env bash
# Lints the rules (only what the pull request adds or changes, on a pull
# request): annotations in the log, SARIF for code scanning. The status is
# an output; the gate step fails the job with it after the comment is posted.
set -uo pipefail
cd "${GITHUB_WORKSPACE:-.}"
source "$GITHUB_ACTION_PATH/scripts/action/base.sh"
read -r -a paths <<< "${INPUT_PATHS:-rules/}"
args=(lint "${paths[@]}" --fail-on "${INPUT_FAIL_ON:-error}")
[ -n "${INPUT_RUNBOOK:-}" ] && args+=(--runbook "$INPUT_RUNBOOK")
[ -n "${INPUT_RUNBOOK_MAP:-}" ] && args+=(--runbook-map "$INPUT_RUNBOOK_MAP")
[ -n "${INPUT_ALERTMANAGER:-}" ] && args+=(--alertmanager "$INPUT_ALERTMANAGER")
[ -n "${INPUT_BASELINE:-}" ] && args+=(--baseline "$INPUT_BASELINE")
[ -n "$base" ] && args+=(--changed-since "$base")
sarif="${RUNNER_TEMP:-/tmp}/firedrill.sarif"
firedrill "${args[@]}" --format sarif > "$sarif"
status=$?
if [ "$status" -gt 1 ]; then
    # A usage error (a bad path, ref or flag): say it and stop here.
    exit "$status"
fi
firedrill "${args[@]}" --format github || true
findings=$(python3 -c 'import json,sys; print(sum(len(r.get("results", [])) for r in json.load(open(sys.argv[1]))["runs"]))' "$sarif")
{
    echo "sarif=$sarif"
    echo "findings=$findings"
    echo "status=$status"
} >> "$GITHUB_OUTPUT"
