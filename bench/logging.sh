#!/usr/bin/env bash
# What writing logs costs (C10): the contact-read load test (bench/contacts.sh) with the
# default logging (every request redacted, written to standard error and sealed into the
# encrypted log vault) against the same with `--log error` (nothing logged per request),
# alternating, several rounds. Reports requests/s and the server's CPU time per request;
# the CPU time is the steadier figure on a machine the load generator shares. Figures go
# into docs/benchmarks.md.
#
#   bench/logging.sh [seconds per run, default 15] [rounds, default 3]
#
# The server runs on one core and wrk on the other (BENCH_PIN=1, bench/lib.sh), which
# keeps the two from disturbing each other's figures; BENCH_PIN=0 turns that off.
set -euo pipefail
export BENCH_PIN=${BENCH_PIN:-1}
cd "$(dirname "$0")/.."
duration=${1:-15}
rounds=${2:-3}
type -P bc >/dev/null || { echo "bench: bc is not installed" >&2; exit 1; }

# For the owner's and the restricted member's reads: requests/s and server CPU µs per
# request, one server run.
measure() {
    BENCH_SERVE_ARGS="$1" bench/contacts.sh "$duration" 2>&1 | awk '
        /requests in/ { requests = $1 }
        /^Requests\/sec:/ { rate = $2 }
        /^server CPU seconds:/ { printf "%.0f %.1f ", rate, $4 * 1e6 / requests }
        END { print "" }'
}

results=$(mktemp)
trap 'rm -f "$results"' EXIT
printf '%-6s %-8s %12s %14s %12s %14s\n' round logging owner_rps owner_cpu_us restr_rps restr_cpu_us
for round in $(seq "$rounds"); do
    for mode in on off; do
        args=""
        [ "$mode" = off ] && args="--log error"
        read -r owner owner_cpu restricted restricted_cpu <<<"$(measure "$args")"
        printf '%-6s %-8s %12s %14s %12s %14s\n' "$round" "$mode" "$owner" "$owner_cpu" "$restricted" "$restricted_cpu" |
            tee -a "$results"
    done
done

# Medians per mode and column, and what logging costs against no logging.
median() { sort -n | awk '{ v[NR] = $1 } END { print (NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2) }'; }
echo
for column in 3 4 5 6; do
    on=$(awk -v c="$column" '$2 == "on" { print $c }' "$results" | median)
    off=$(awk -v c="$column" '$2 == "off" { print $c }' "$results" | median)
    name=$(echo "owner_rps owner_cpu_us restr_rps restr_cpu_us" | cut -d' ' -f$((column - 2)))
    echo "median $name: logging on $on, off $off ($(echo "scale=1; ($on - $off) * 100 / $off" | bc)%)"
done
