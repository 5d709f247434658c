#!/usr/bin/env bash
# Installs firedrill from the action's own checkout, once per runner (a
# firedrill already on PATH, from a cache or an earlier step, is used).
set -euo pipefail
if command -v firedrill >/dev/null 2>&1; then
    echo "firedrill already installed: $(command -v firedrill)"
    exit 0
fi
root="${RUNNER_TEMP:-/tmp}/firedrill"
cargo install --locked --path "$GITHUB_ACTION_PATH" --root "$root"
echo "$root/bin" >> "$GITHUB_PATH"
