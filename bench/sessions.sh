#!/usr/bin/env bash
# Load test of sign-in (argon2id at the default parameters, on the bounded hashing pool)
# and of session validation per request, against a release build on the embedded
# database, over HTTPS on loopback. Figures go into docs/benchmarks.md.
#
#   bench/sessions.sh [seconds per run, default 20]
#   BENCH_DATABASE_URL=postgres://postgres@127.0.0.1/skjold_bench bench/sessions.sh
#
# Needs wrk, curl and jq. Starts its own server in a temporary directory, with default
# settings except for the ports, and stops it at the end. With BENCH_DATABASE_URL it
# runs on that PostgreSQL database (an empty one: the benchmark user is signed up).
set -euo pipefail

source "$(dirname "$0")/lib.sh"

run "sign-in: POST /api/v1/sessions, 8 connections" -c8 -s bench/login.lua "$base/api/v1/sessions"
printf '\nhash queue after the sign-in run:\n'
curl -sS "$metrics" | grep -E '^skjold_password_hash_queue_seconds_(sum|count)'
run "baseline: GET /healthz (no session), 16 connections" -c16 "$base/healthz"
run "session validated: GET /api/v1/me with a bearer token, 16 connections" -c16 \
    -H "Authorization: Bearer $token" "$base/api/v1/me"
