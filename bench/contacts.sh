#!/usr/bin/env bash
# Load test of reading one contact over HTTPS: session check, permission check, data key
# unwrap, decryption of every field, then either the audit event of an unmasked read
# (the owner) or masking (a restricted member). Figures go into docs/benchmarks.md.
#
#   bench/contacts.sh [seconds per run, default 20]
#   BENCH_DATABASE_URL=postgres://postgres@127.0.0.1/skjold_bench bench/contacts.sh
#
# With BENCH_SERVE_ONLY=1 it sets the server up, prints what to load it with and keeps
# it serving until stopped, for bench/logging.sh.
#
# Needs wrk, curl and jq; see bench/lib.sh for the server it starts.
set -euo pipefail

source "$(dirname "$0")/lib.sh"

# The development mailer prints mails to the server's output: read links from there.
link_token() { grep -o "$1[A-Za-z0-9_-]*" "$work/out.log" | tail -1; }
verify() { api -o /dev/null "$base/api/v1/email-verification" -d "{\"token\":\"$(link_token skjv_)\"}"; }

verify
account=$(api -H "Authorization: Bearer $token" "$base/api/v1/me" | jq -r '.memberships[0].account_id')
contact=$(api -H "Authorization: Bearer $token" "$base/api/v1/accounts/$account/contacts" -d '{
    "name": "Ola Nordmann", "email": "ola.nordmann@example.com", "phone": "+47 912 34 123",
    "address": "Storgata 1\n0155 Oslo", "date_of_birth": "1985-05-17",
    "national_id": "17058510068", "notes": "Prefers phone calls", "company": "Integrera AS",
    "tags": ["kunde", "vip"]}' | jq -r .id)

restricted_email=restricted@example.no
api -o /dev/null "$base/api/v1/signup" -d "{\"account_name\":\"R\",\"email\":\"$restricted_email\",\"password\":\"$BENCH_PASSWORD\"}"
api -o /dev/null -H "Authorization: Bearer $token" "$base/api/v1/accounts/$account/invitations" \
    -d "{\"email\":\"$restricted_email\",\"role\":\"restricted\"}"
restricted=$(api "$base/api/v1/sessions" \
    -d "{\"email\":\"$restricted_email\",\"password\":\"$BENCH_PASSWORD\"}" | jq -r .token)
api -o /dev/null -H "Authorization: Bearer $restricted" "$base/api/v1/invitations/$(link_token skji_)/accept" -d '{}'

path="$base/api/v1/accounts/$account/contacts/$contact"
if [ "${BENCH_SERVE_ONLY:-0}" = 1 ]; then
    # For bench/logging.sh: name the server and what to load it with, then keep it
    # serving until this script is stopped.
    echo "server $server"
    echo "owner $path $token"
    echo "restricted $path $restricted"
    trap 'exit 0' TERM INT
    wait "$server"
    exit 0
fi
run "owner reads one contact: unmasked, audited; 64 connections" -c64 \
    -H "Authorization: Bearer $token" "$path"
run "restricted member reads one contact: masked; 64 connections" -c64 \
    -H "Authorization: Bearer $restricted" "$path"
