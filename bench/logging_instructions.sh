#!/usr/bin/env bash
# What writing logs costs (C10), counted instead of timed: the contact-read requests of
# bench/contacts.sh against two servers, one with the default logging (every request
# redacted, written to standard error and sealed into the encrypted log vault) and one
# with `--log error` (nothing logged per request), each running under valgrind's
# callgrind, which counts the instructions every thread of the server executes. The
# count does not depend on what else the machine is doing, so the two servers' figures
# per request can be compared to a fraction of a per cent, where timed runs on a shared
# machine scatter by tens of per cent (bench/logging.sh measures the same in requests/s).
#
#   bench/logging_instructions.sh [requests per count, default 500] [rounds, default 5]
#
# The count is not quite free of timing. Most of a contact read's instructions are
# SQLCipher decrypting (and authenticating) database pages that are not in the page
# cache of the pooled connection the request happens to get; which connection that is,
# and whether another connection's write emptied its cache, depends on timing, and it
# moves a count by several per cent either way. Each count is therefore also given
# without those page reads (callgrind's inclusive cost of SQLite's readDbPage), which
# both servers do alike when their caches are alike. Each round counts both servers
# (alternating which goes first), and the figures are the medians of the rounds.
#
# Counting starts after the servers are set up (their counters are zeroed) and stops after the requests: each read
# is one curl that sends its requests one after another over one kept-alive HTTPS
# connection, so the count covers exactly that many requests and one TLS handshake.
# What the count leaves out: time in the kernel (the write(2) calls for standard error
# and the vault's segments), and cache misses. Needs valgrind, curl, jq and wrk (for
# bench/lib.sh). Takes a few minutes: the server runs about 50 times slower under
# valgrind.
set -euo pipefail
cd "$(dirname "$0")/.."
requests=${1:-500}
rounds=${2:-5}
for tool in valgrind callgrind_control curl; do
    type -P "$tool" >/dev/null || { echo "bench: $tool is not installed" >&2; exit 1; }
done

scratch=$(mktemp -d)
# BENCH_CALLGRIND_DIR keeps callgrind's files there, to see where the instructions go
# (callgrind_annotate --inclusive=yes <file>).
dumps=${BENCH_CALLGRIND_DIR:-$scratch}
mkdir -p "$dumps"
helpers=()
cleanup() {
    for pid in "${helpers[@]}"; do
        kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
    done
    rm -rf "$scratch"
}
trap cleanup EXIT

# start MODE ARGS: a server set up by bench/contacts.sh, under callgrind.
start() {
    BENCH_SERVE_ONLY=1 BENCH_SERVE_ARGS="$2" \
        BENCH_SERVER_WRAPPER="valgrind --tool=callgrind --callgrind-out-file=$dumps/$1.callgrind" \
        bench/contacts.sh >"$scratch/$1.out" 2>&1 &
    helpers+=($!)
}
wait_ready() {
    for _ in $(seq 1200); do
        grep -q '^restricted ' "$scratch/$1.out" && return
        sleep 0.5
    done
    cat "$scratch/$1.out" >&2
    exit 1
}
echo "== building, then starting both servers under callgrind (this takes a while)"
cargo build --release --quiet
start on ""
start off "--log error"
wait_ready on
wait_ready off

# count MODE READ ROUND: the server's instructions for $requests reads, per request.
count() {
    local url token pid config dump
    url=$(awk -v k="$2" '$1 == k { print $2 }' "$scratch/$1.out")
    token=$(awk -v k="$2" '$1 == k { print $3 }' "$scratch/$1.out")
    pid=$(awk '$1 == "server" { print $2 }' "$scratch/$1.out")
    config="$scratch/$1.$2.curl"
    {
        echo "header = \"Authorization: Bearer $token\""
        for _ in $(seq "$requests"); do
            printf 'url = "%s"\noutput = "/dev/null"\n' "$url"
        done
    } >"$config"
    # Forget what setting up cost; count from here.
    callgrind_control --zero "$pid" >/dev/null 2>&1
    # wrk-like: the certificate is not checked (the development CA is not needed).
    curl -sSk -K "$config" -w '%{http_code}\n' >"$scratch/$1.$2.codes"
    local ok
    ok=$(grep -c '^200$' "$scratch/$1.$2.codes" || true)
    [ "$ok" = "$requests" ] || { echo "bench: $ok of $requests reads succeeded ($1, $2)" >&2; exit 1; }
    callgrind_control --dump="$1-$2-$3" "$pid" >/dev/null 2>&1
    # The dump is written by the server's next scheduled thread switch: wait for it.
    for _ in $(seq 600); do
        dump=$(grep -l "^desc: Trigger: dump $1-$2-$3\$" "$dumps/$1.callgrind"* 2>/dev/null | head -1 || true)
        [ -n "$dump" ] && grep -q '^totals:' "$dump" && break
        sleep 0.2
    done
    [ -n "$dump" ] || { echo "bench: callgrind wrote no dump for $1 $2" >&2; exit 1; }
    local pages
    pages=$(callgrind_annotate --inclusive=yes "$dump" 2>/dev/null |
        awk '/:readDbPage / { gsub(",", "", $1); print $1; exit }')
    awk -v n="$requests" -v pages="${pages:-0}" \
        '/^totals:/ { printf "%.0f %.0f\n", $2 / n, ($2 - pages) / n }' "$dump"
}

results="$scratch/results"
printf '%-6s %-11s %-4s %12s %22s\n' round read log Ir/request "without page reads"
for round in $(seq "$rounds"); do
    order="on off"
    [ $((round % 2)) = 0 ] && order="off on"
    for read in owner restricted; do
        for mode in $order; do
            read -r all rest <<<"$(count "$mode" "$read" "$round")"
            printf '%-6s %-11s %-4s %12s %22s\n' "$round" "$read" "$mode" "$all" "$rest" |
                tee -a "$results"
        done
    done
done

median() { sort -g | awk '{ v[NR] = $1 } END { print (NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2) }'; }
echo
# The cost of logging is the difference without page reads (which timing does not
# disturb), as a share of everything a request costs with logging off (page reads
# included: they are real work, only their amount per count wanders).
printf '%-11s %-20s %15s %15s %10s\n' read count "on (Ir/req)" "off (Ir/req)" difference
for read in owner restricted; do
    for column in 4 5; do
        on=$(awk -v r="$read" -v c="$column" '$2 == r && $3 == "on" { print $c }' "$results" | median)
        off=$(awk -v r="$read" -v c="$column" '$2 == r && $3 == "off" { print $c }' "$results" | median)
        what=all
        [ "$column" = 5 ] && what="without page reads"
        printf '%-11s %-20s %15s %15s %9.2f%%\n' "$read" "$what" "$on" "$off" \
            "$(echo "($on - $off) * 100 / $off" | bc -l)"
        if [ "$column" = 4 ]; then
            whole=$off
        else
            printf '%-11s logging costs %s instructions a request: %.2f%% of the %s a request costs\n' \
                "$read" "$((on - off))" "$(echo "($on - $off) * 100 / $whole" | bc -l)" "$whole"
        fi
    done
done
