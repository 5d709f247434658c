#!/usr/bin/env bash
# Replays the alerts the pull request adds or changes, before and after, on
# the server's history (or a recording), into Markdown for the comment.
set -euo pipefail
cd "${GITHUB_WORKSPACE:-.}"
source "$GITHUB_ACTION_PATH/scripts/action/base.sh"
if [ -z "$base" ]; then
    echo "firedrill: not a pull request and no base-ref: no diff"
    exit 0
fi
read -r -a paths <<< "${INPUT_PATHS:-rules/}"
args=(diff "${paths[@]}" --base "$base" --quiet)
if [ -n "${INPUT_DATA:-}" ]; then
    args+=(--data "$INPUT_DATA")
elif [ -n "${INPUT_PROMETHEUS_URL:-}" ]; then
    args+=(--prometheus "$INPUT_PROMETHEUS_URL" --range "${INPUT_RANGE:-7d}")
else
    echo "firedrill: no prometheus-url or data: no diff"
    exit 0
fi
[ -n "${INPUT_ALERTMANAGER:-}" ] && args+=(--alertmanager "$INPUT_ALERTMANAGER")
out="${RUNNER_TEMP:-/tmp}/firedrill-diff.md"
firedrill "${args[@]}" > "$out"
cat "$out" >> "${GITHUB_STEP_SUMMARY:-/dev/null}"
echo "diff=$out" >> "$GITHUB_OUTPUT"
