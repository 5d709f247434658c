# Shell functions shared by the scripts that need a real, backfilled
# Prometheus (Debian package `prometheus`: prometheus and promtool; curl,
# python3). Source it, then:
#
#     backfill HISTORY.om TSDB_DIR     # promtool, two hours at a time
#     start_prometheus TSDB_DIR        # sets $prometheus_url and $prometheus_pid
#     stop_prometheus
#
# promtool 2.42 re-reads its whole input once per two-hour block, so a month
# in one file costs 360 passes (over half an hour for 1,000 series); split
# by block first, every sample is read once.

backfill() {
    local history=$1 tsdb=$2 parts
    parts=$(mktemp -d)
    awk -v dir="$parts" '
        /^# TYPE/ { header = header $0 "\n"; next }
        /^#/ { next }
        {
            f = dir "/" int($NF / 7200) ".om"
            if (!(f in open)) { open[f] = 1; printf "%s", header > f }
            print > f
        }
        END { for (f in open) { print "# EOF" > f; close(f) } }' "$history"
    for part in "$parts"/*.om; do
        promtool tsdb create-blocks-from openmetrics "$part" "$tsdb" >/dev/null
    done
    rm -rf "$parts"
}

start_prometheus() {
    local tsdb=$1 config port
    config=$(mktemp)
    printf 'global:\n  scrape_interval: 1m\nscrape_configs: []\n' >"$config"
    port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
    prometheus --config.file="$config" --storage.tsdb.path="$tsdb" \
        --storage.tsdb.retention.time=100y --web.listen-address="127.0.0.1:$port" \
        --query.max-samples=200000000 2>"$tsdb.log" &
    prometheus_pid=$!
    prometheus_url="http://127.0.0.1:$port"
    for _ in $(seq 600); do
        curl -sf "$prometheus_url/-/ready" >/dev/null && return 0
        kill -0 "$prometheus_pid" 2>/dev/null || break
        sleep 0.2
    done
    echo "prometheus did not become ready; its log: $tsdb.log" >&2
    return 1
}

stop_prometheus() {
    if [ -n "${prometheus_pid:-}" ]; then
        kill "$prometheus_pid" 2>/dev/null && wait "$prometheus_pid" 2>/dev/null
        prometheus_pid=
    fi
    return 0
}
