#!/usr/bin/env bash
# Load test of the brute-force defence (C14): BENCH_GUESSES (default 10,000) wrong
# passwords against one account from 50 client addresses, while the account's owner
# keeps signing in from a device that has signed in before. Prints what each side got
# and what the server counted. Figures go into docs/benchmarks.md.
#
#   bench/brute_force.sh
#   BENCH_DATABASE_URL=postgres://postgres@127.0.0.1/skjold_bench bench/brute_force.sh
#
# Needs wrk, curl and jq; starts its own server (see lib.sh) and stops it at the end.
# wrk stops sending after BENCH_GUESSES answers but runs for BENCH_ATTACK_SECONDS
# (default 90) in any case: the owner keeps signing in for all of that time.
set -euo pipefail

source "$(dirname "$0")/lib.sh"
export BENCH_GUESSES=${BENCH_GUESSES:-10000} BENCH_THREADS=2

owner() {
    curl -sS --cacert "$ca" -H 'Content-Type: application/json' \
        -H 'X-Forwarded-For: 198.51.100.7' "$base/api/v1/sessions" "$@"
}
device=$(owner -d "{\"email\":\"$BENCH_EMAIL\",\"password\":\"$BENCH_PASSWORD\"}" | jq -r .device_token)
[ "$device" != null ] || { echo "bench: no device token" >&2; exit 1; }

# The owner signs in every 5 seconds from the known device (from their own address,
# within its 20 sign-ins a minute) for as long as the attack runs.
(
    ok=0 refused=0 codes=
    while [ ! -e "$work/attack.done" ]; do
        code=$(owner -o /dev/null -w '%{http_code}' -d "{\"email\":\"$BENCH_EMAIL\",\"password\":\"$BENCH_PASSWORD\",\"device_token\":\"$device\"}")
        if [ "$code" = 201 ]; then ok=$((ok + 1)); else refused=$((refused + 1)) codes="$codes $code"; fi
        sleep 5
    done
    echo "owner on the known device during the attack: $ok signed in, $refused refused${codes:+ (answers:$codes)}"
) > "$work/owner.txt" &
owner_loop=$!

printf '\n== %s guesses from 50 addresses, 50 connections\n' "$BENCH_GUESSES"
wrk --latency -t"$BENCH_THREADS" -c50 -d"${BENCH_ATTACK_SECONDS:-90}s" -s bench/guess.lua "$base/api/v1/sessions"
touch "$work/attack.done"
wait "$owner_loop"
cat "$work/owner.txt"

printf '\n== what the server counted\n'
curl -sS "$metrics" | grep -E '^skjold_(auth_attempts|rate_limited)_total'
printf '\n== alert to the owner\n'
grep -c 'Sign-in from new devices stopped' "$work/out.log" | sed 's/^/mails "Sign-in from new devices stopped": /'
