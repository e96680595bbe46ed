# Shared by the load tests: builds the release binary, starts `skjold serve` with default
# settings in a temporary directory (on BENCH_DATABASE_URL's PostgreSQL if set, with the
# extra flags of BENCH_SERVE_ARGS if set), and offers `api` (curl against it) and `run`
# (wrk against it). Source it; it stops the server on exit.

duration=${1:-20}
cd "$(dirname "$0")/.."
for tool in wrk curl jq; do
    type -P "$tool" >/dev/null || { echo "bench: $tool is not installed" >&2; exit 1; }
done

echo "== building the release binary"
cargo build --release --quiet
binary=$PWD/target/release/skjold

work=$(mktemp -d)
server=
cleanup() {
    [ -n "$server" ] && kill "$server" 2>/dev/null && wait "$server" 2>/dev/null
    rm -rf "$work"
}
trap cleanup EXIT

database=()
[ -n "${BENCH_DATABASE_URL:-}" ] && database=(--database-url "$BENCH_DATABASE_URL")
# The load generator stands in for many clients: it is a trusted proxy naming a random
# client address per request, so the per-address rate limits (C14) apply as they would
# to real users instead of refusing one busy address.
echo "== starting skjold serve (${BENCH_DATABASE_URL:+PostgreSQL, }default settings, 127.0.0.1 as trusted proxy)"
# BENCH_PIN=1 keeps the server on the first core and wrk on the second, so the two do not
# take turns on one core and a run's CPU time is the server's alone.
server_pin=() client_pin=()
if [ "${BENCH_PIN:-0}" = 1 ] && type -P taskset >/dev/null && [ "$(nproc)" -ge 2 ]; then
    server_pin=(taskset -c 0) client_pin=(taskset -c 1)
fi
# BENCH_SERVER_WRAPPER runs the server under another program (bench/logging_instructions.sh
# counts its instructions under valgrind): words, split as the shell splits them.
read -r -a server_wrapper <<<"${BENCH_SERVER_WRAPPER:-}"
(cd "$work" && exec "${server_pin[@]}" "${server_wrapper[@]}" "$binary" serve --listen 127.0.0.1:0 --redirect-listen 127.0.0.1:0 \
    --metrics-listen 127.0.0.1:0 --trusted-proxies 127.0.0.1/32 "${database[@]}" \
    ${BENCH_SERVE_ARGS:-} >out.log 2>&1) &
server=$!
# Up to two minutes: under valgrind the server starts slowly.
for _ in $(seq 1200); do
    grep -q '^skjold: serving https://' "$work/out.log" 2>/dev/null && break
    kill -0 "$server" 2>/dev/null || break
    sleep 0.1
done
https=$(sed -n 's|^skjold: serving https://||p' "$work/out.log")
metrics=$(sed -n 's|^skjold: metrics at ||p' "$work/out.log")
[ -n "$https" ] || { cat "$work/out.log" >&2; exit 1; }
base="https://localhost:${https##*:}"
ca="$work/skjold-keys/tls/dev-ca.pem"
api() { curl -sS --fail-with-body --cacert "$ca" -H 'Content-Type: application/json' "$@"; }

export BENCH_EMAIL=bench@example.no BENCH_PASSWORD='a long enough benchmark passphrase'
api -o /dev/null "$base/api/v1/signup" \
    -d "{\"account_name\":\"Bench\",\"email\":\"$BENCH_EMAIL\",\"password\":\"$BENCH_PASSWORD\"}"
token=$(api "$base/api/v1/sessions" \
    -d "{\"email\":\"$BENCH_EMAIL\",\"password\":\"$BENCH_PASSWORD\"}" | jq -r .token)

# The server's CPU time so far, in seconds (user + system, from /proc).
server_cpu() {
    awk -v tck="$(getconf CLK_TCK)" '{ printf "%.2f", ($14 + $15) / tck }' "/proc/$server/stat"
}

run() {
    local title=$1
    shift
    printf '\n== %s\n' "$title"
    local before after
    before=$(server_cpu)
    "${client_pin[@]}" wrk --latency -t2 -d"${duration}s" "$@"
    after=$(server_cpu)
    echo "server CPU seconds: $(echo "$after - $before" | bc)"
}
