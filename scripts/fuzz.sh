#!/usr/bin/env bash
# Fuzz firedrill's input parsers with cargo-fuzz (libFuzzer).
#
#     scripts/fuzz.sh [SECONDS_PER_TARGET] [TARGET...]
#     scripts/fuzz.sh --totals
#
# Needs a nightly toolchain and `cargo install cargo-fuzz`. Seeds each
# target's corpus (fuzz/corpus/<target>, not committed) from fixtures/,
# rules/ and tests/corpus, runs it for the given time (default 60 s),
# and appends date, target, executions and seconds to fuzz/runs.tsv, the
# running total docs/fuzzing.md quotes. `recording` runs under
# AddressSanitizer (polars decodes Parquet with much unsafe code); the
# others, whose parsers are safe Rust, run without a sanitizer at several
# times the speed (panics, hangs and memory blow-ups are still caught).
# FUZZ_SANITIZER=address|none overrides that for every target. A crash lands in
# fuzz/artifacts/<target>/; fix it, then copy the input to
# fuzz/regressions/<target>/ so `cargo test` replays it for ever.
set -euo pipefail
cd "$(dirname "$0")/.."

# `scripts/fuzz.sh --totals`: the Markdown table docs/fuzzing.md quotes.
if [ "${1:-}" = --totals ]; then
    printf '| target | executions | of which under ASan | seconds | runs that found a crash |\n| --- | ---: | ---: | ---: | ---: |\n'
    awk -F'\t' 'NR > 1 { runs[$2] += $3; secs[$2] += $4; found[$2] += ($5 > 0); asan[$2] += ($6 == "address") * $3 }
        END { for (t in runs) printf "| `%s` | %d | %d | %d | %d |\n", t, runs[t], asan[t], secs[t], found[t] }' \
        fuzz/runs.tsv | sort
    exit 0
fi

seconds=${1:-60}
shift || true
targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
    targets=(rule_file promql template runbook recording query_range)
fi
shared=tests/corpus

seed() {
    local target=$1 dir=fuzz/corpus/$1
    mkdir -p "$dir"
    [ -n "$(ls -A "$dir")" ] && return 0
    case $target in
        rule_file)
            find fixtures rules "$shared" -type f \( -name '*.yml' -o -name '*.yaml' \) \
                -size -200k -exec cp --backup=numbered -t "$dir" {} + ;;
        promql)
            # One expression per file: the single-line `expr:` values.
            find rules "$shared" -type f \( -name '*.yml' -o -name '*.yaml' \) -print0 |
                xargs -0 grep -hoP '^\s*expr:\s*\K[^|>].+' | sort -u |
                awk -v dir="$dir" '{ f = dir "/expr-" NR; print > f; close(f) }' ;;
        template)
            find rules "$shared" -type f \( -name '*.yml' -o -name '*.yaml' \) -print0 |
                xargs -0 grep -hoP '^\s*(summary|description|message):\s*\K.*\{\{.+' | sort -u |
                awk -v dir="$dir" '{ f = dir "/template-" NR; print > f; close(f) }' ;;
        runbook)
            # ../shared/seed, when it is beside the checkout, adds a real
            # runbook page as a web page renders it.
            find "$shared" $( [ -d ../shared/seed ] && echo ../shared/seed ) -type f \( -name '*.md' -o -name '*.txt' \) \
                -size -100k -exec cp --backup=numbered -t "$dir" {} + ;;
        recording | query_range)
            local seeds
            seeds=$(mktemp -d)
            cargo run --quiet --release --example fuzz_seeds -- "$seeds"
            cp "$seeds/$target"/* "$dir"/
            rm -rf "$seeds" ;;
    esac
    # Inputs that once crashed are seeds too.
    if [ -d "fuzz/regressions/$target" ]; then
        cp fuzz/regressions/"$target"/* "$dir"/ 2>/dev/null || true
    fi
}

# CI's smoke runs pass FUZZ_LOG=/dev/null: only real campaigns are counted.
log=${FUZZ_LOG:-fuzz/runs.tsv}
[ -s "$log" ] || [ "$log" = /dev/null ] || printf 'date\ttarget\texecutions\tseconds\tcrashes\tsanitizer\n' > "$log"
status=0
for target in "${targets[@]}"; do
    seed "$target"
    mkdir -p "fuzz/artifacts/$target"
    before=$(ls "fuzz/artifacts/$target" | wc -l)
    out=$(mktemp)
    # One process, fail on the first crash; 2 GiB RSS and 10 s per input are
    # the limits a finding breaks (memory blow-up, hang).
    sanitizer=${FUZZ_SANITIZER:-}
    if [ -z "$sanitizer" ]; then
        case $target in recording) sanitizer=address ;; *) sanitizer=none ;; esac
    fi
    # A build per sanitizer, each in its own folder: switching flags in one
    # folder would rebuild everything each time.
    target_dir=${FUZZ_TARGET_DIR:-target}
    [ "$sanitizer" = address ] || target_dir=$target_dir-$sanitizer
    if (cd fuzz && cargo +nightly fuzz run --release -s "$sanitizer" --target-dir "$target_dir" \
            "$target" "corpus/$target" -- \
            -max_total_time="$seconds" -rss_limit_mb=2048 -timeout=10 \
            -max_len="${FUZZ_MAX_LEN:-16384}" -print_final_stats=1) >"$out" 2>&1; then
        :
    else
        status=1
    fi
    runs=$(grep -oP 'stat::number_of_executed_units:\s*\K\d+' "$out" | tail -1 || true)
    took=$(grep -oP 'Done \d+ runs in \K\d+' "$out" | tail -1 || true)
    if [ -z "$took" ]; then
        # A run stopped by a crash prints no "Done" line: its average rate
        # gives the time it ran (the wall clock would count the build too).
        rate=$(grep -oP 'stat::average_exec_per_sec:\s*\K\d+' "$out" | tail -1 || true)
        [ "${rate:-0}" -gt 0 ] && took=$(( (${runs:-0} + rate - 1) / rate ))
    fi
    after=$(ls "fuzz/artifacts/$target" | wc -l)
    printf '%s\t%s\t%s\t%s\t%s\t%s\n' "$(date -u +%F)" "$target" "${runs:-0}" "${took:-$seconds}" \
        "$((after - before))" "$sanitizer" >> "$log"
    echo "$target: ${runs:-0} executions, $((after - before)) new crash inputs"
    if [ "$after" -gt "$before" ]; then
        # The panic and the input's file, not libFuzzer's byte dump of it.
        grep -A2 -E "panicked at|ERROR: libFuzzer|SUMMARY|^\s+(fuzz/)?artifacts/" "$out" | cut -c1-300 | head -20
    fi
    rm -f "$out"
done
exit $status
