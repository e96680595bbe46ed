#!/usr/bin/env bash
# What writing logs costs (C10): the contact-read load test of bench/contacts.sh against
# two servers running side by side, one with the default logging (every request
# redacted, written to standard error and sealed into the encrypted log vault) and one
# with `--log error` (nothing logged per request). Rounds of short wrk runs alternate
# between the two (on, off, then off, on), so whatever else slows the machine down
# during the run slows both alike; each round gives a pair, and the cost is the median
# of the pairs' differences. Besides requests/s it reports the server's CPU time per
# request (from /proc), which varies less. Figures go into docs/benchmarks.md.
#
#   bench/logging.sh [seconds per wrk run, default 5] [rounds, default 10]
#
# Both servers run on the first core and wrk on the second (BENCH_PIN=1, bench/lib.sh);
# the server not under load is idle. BENCH_PIN=0 turns the pinning off.
set -euo pipefail
export BENCH_PIN=${BENCH_PIN:-1}
cd "$(dirname "$0")/.."
duration=${1:-5}
rounds=${2:-10}
for tool in wrk bc; do
    type -P "$tool" >/dev/null || { echo "bench: $tool is not installed" >&2; exit 1; }
done

scratch=$(mktemp -d)
helpers=()
cleanup() {
    for pid in "${helpers[@]}"; do
        kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
    done
    rm -rf "$scratch"
}
trap cleanup EXIT

# start MODE ARGS: a server set up by bench/contacts.sh, serving until the end.
start() {
    BENCH_SERVE_ONLY=1 BENCH_SERVE_ARGS="$2" bench/contacts.sh >"$scratch/$1.out" 2>&1 &
    helpers+=($!)
    for _ in $(seq 600); do
        grep -q '^restricted ' "$scratch/$1.out" && return
        sleep 0.5
    done
    cat "$scratch/$1.out" >&2
    exit 1
}
echo "== starting the server with logging (default) and the one without (--log error)"
start on ""
start off "--log error"

field() { awk -v k="$2" '$1 == k { print $3 }' "$scratch/$1.out"; }
cpu() {
    awk -v tck="$(getconf CLK_TCK)" '{ printf "%.4f", ($14 + $15) / tck }' \
        "/proc/$(awk '$1 == "server" { print $2 }' "$scratch/$1.out")/stat"
}
client_pin=()
if [ "$BENCH_PIN" = 1 ] && type -P taskset >/dev/null && [ "$(nproc)" -ge 2 ]; then
    client_pin=(taskset -c 1)
fi

# measure MODE READ: one wrk run; prints requests/s and server CPU µs per request.
measure() {
    local url token before after out
    # wrk does not check certificates: the development CA is not needed.
    url=$(awk -v k="$2" '$1 == k { print $2 }' "$scratch/$1.out")
    token=$(field "$1" "$2")
    before=$(cpu "$1")
    out=$("${client_pin[@]}" wrk -t2 -c64 -d"${duration}s" -H "Authorization: Bearer $token" "$url")
    after=$(cpu "$1")
    echo "$out" | awk -v cpu="$(echo "$after - $before" | bc)" '
        /requests in/ { requests = $1 }
        /^Requests\/sec:/ { rate = $2 }
        END { printf "%.0f %.1f\n", rate, cpu * 1e6 / requests }'
}

results="$scratch/results"
printf '%-6s %-11s %-4s %10s %10s\n' round read log rps cpu_us
for round in $(seq "$rounds"); do
    order="on off"
    [ $((round % 2)) = 0 ] && order="off on"
    for read in owner restricted; do
        for mode in $order; do
            read -r rps cpu_us <<<"$(measure "$mode" "$read")"
            printf '%-6s %-11s %-4s %10s %10s\n' "$round" "$read" "$mode" "$rps" "$cpu_us" |
                tee -a "$results"
        done
    done
done

median() { sort -g | awk '{ v[NR] = $1 } END { print (NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2) }'; }
echo
for read in owner restricted; do
    # Per round: logging on against off, in per cent, for both figures.
    awk -v r="$read" '$2 == r { v[$1, $3, "rps"] = $4; v[$1, $3, "cpu"] = $5; n = $1 }
        END { for (i = 1; i <= n; i++)
            printf "%.2f %.2f\n", (v[i, "on", "rps"] - v[i, "off", "rps"]) * 100 / v[i, "off", "rps"],
                                  (v[i, "on", "cpu"] - v[i, "off", "cpu"]) * 100 / v[i, "off", "cpu"] }' \
        "$results" >"$scratch/$read.pairs"
    on_rps=$(awk -v r="$read" '$2 == r && $3 == "on" { print $4 }' "$results" | median)
    off_rps=$(awk -v r="$read" '$2 == r && $3 == "off" { print $4 }' "$results" | median)
    on_cpu=$(awk -v r="$read" '$2 == r && $3 == "on" { print $5 }' "$results" | median)
    off_cpu=$(awk -v r="$read" '$2 == r && $3 == "off" { print $5 }' "$results" | median)
    echo "$read: requests/s median on $on_rps, off $off_rps; median of the rounds' differences $(cut -d' ' -f1 "$scratch/$read.pairs" | median)%"
    echo "$read: CPU µs/request median on $on_cpu, off $off_cpu; median of the rounds' differences $(cut -d' ' -f2 "$scratch/$read.pairs" | median)%"
done
