#!/usr/bin/env bash
# Backup and restore throughput (C9) of a database of about 1 GB, beside restic backing
# up the same database file to a local repository, in the same run. Figures go into
# docs/benchmarks.md.
#
#   bench/backup.sh [contacts, default 240000]
#   BENCH_DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres bench/backup.sh
#
# How the database is made: a server on a fresh PostgreSQL database (BENCH_DATABASE_URL
# names the server; the script creates and drops its own database there) signs up one
# account; then SQL adds the contacts directly, each with 4 KiB of random bytes as its
# sealed notes (ciphertext does not compress, and neither does this) and a random name.
# `skjold backup create` copies that database (PostgreSQL → archive), `skjold backup
# restore` loads it into an embedded SQLite data directory (archive → SQLite), and then
# the SQLite database of about 1 GB is what both tools back up and restore:
#   skjold backup create   (rows read, CBOR, zstd, age encryption, file written and fsynced)
#   skjold backup restore  (into a new data directory: decryption, zstd, rows inserted)
#   restic backup          (the database file, into a new local repository)
#   restic restore         (into a new directory)
# MB/s is the SQLite database file's size divided by the wall time of the command.
# Needs restic and psql (and curl, jq, wrk for bench/lib.sh).
set -euo pipefail
contacts=${1:-240000}
for tool in restic psql; do
    type -P "$tool" >/dev/null || { echo "bench: $tool is not installed" >&2; exit 1; }
done
admin=${BENCH_DATABASE_URL:-postgres://postgres@127.0.0.1:5432/postgres}
bench_db=skjold_bench_backup
psql -q "$admin" -c "DROP DATABASE IF EXISTS $bench_db" -c "CREATE DATABASE $bench_db"
BENCH_DATABASE_URL="${admin%/*}/$bench_db"
export BENCH_DATABASE_URL

# Builds the binary, starts the server on that database and signs up (bench/lib.sh).
source "$(dirname "$0")/lib.sh"
bench_url=$BENCH_DATABASE_URL
kill "$server" && wait "$server" || true
server=
cleanup_backup() {
    cd /
    cleanup
    psql -q "$admin" -c "DROP DATABASE IF EXISTS $bench_db" || true
}
trap cleanup_backup EXIT

echo "== adding $contacts contacts of 4 KiB random notes each, by SQL"
started=$(date +%s)
psql -q "$bench_url" -v ON_ERROR_STOP=1 <<SQL
CREATE EXTENSION IF NOT EXISTS pgcrypto;
INSERT INTO contacts (id, account_id, key_version, name_sealed, notes_sealed, created_at, updated_at)
SELECT 'bench-' || g, (SELECT id FROM accounts LIMIT 1), 1, gen_random_bytes(64),
       gen_random_bytes(1024) || gen_random_bytes(1024) || gen_random_bytes(1024) || gen_random_bytes(1024),
       0, 0
FROM generate_series(1, $contacts) AS g;
SQL
echo "   took $(( $(date +%s) - started )) s"

cd "$work"
skjold() { "$binary" "$@"; }
# seconds COMMAND...: runs it, prints its output, leaves its wall time in $took.
seconds() {
    local start end
    start=$(date +%s.%N)
    "$@"
    end=$(date +%s.%N)
    took=$(echo "$end - $start" | bc)
}
id_of() { awk '$1 == "backup" && $3 == "created:" { print $2 }' "$1"; }

echo "== PostgreSQL → archive → SQLite (makes the database both tools back up)"
skjold backup create --database-url "$bench_url" --backup-store backups | tee pg.out
skjold backup restore "$(id_of pg.out)" --data-dir sqlite --backup-store backups
size=$(stat -c %s sqlite/skjold.db)
mb() { echo "scale=1; $size / 1000000 / $1" | bc; }
echo "SQLite database: $(echo "scale=1; $size / 1000000" | bc) MB"
rm -rf backups

echo "== skjold backup create"
seconds skjold backup create --data-dir sqlite --backup-store backups
skjold backup list --data-dir sqlite --backup-store backups >list.out
id=$(awk 'NR == 1 { print $1 }' list.out)
create=$took
archive=$(du -b backups/*.backup | awk '{ print $1 }')
echo "== skjold backup restore"
seconds skjold backup restore "$id" --data-dir restored --backup-store backups
restore=$took

export RESTIC_PASSWORD="bench only"
echo "== restic backup"
restic init --quiet --repo restic-repo
seconds restic backup --quiet --repo restic-repo sqlite/skjold.db
restic_backup=$took
repo=$(du -sb restic-repo | awk '{ print $1 }')
echo "== restic restore"
seconds restic restore --quiet --repo restic-repo latest --target restic-restored
restic_restore=$took
# The copy restic gives back is the same file (where it lands under the target depends
# on restic's version).
cmp sqlite/skjold.db "$(find restic-restored -name skjold.db)"

printf '\n%-24s %10s %10s %12s\n' "" seconds MB/s "stored (MB)"
printf '%-24s %10.1f %10s %12s\n' "skjold backup create" "$create" "$(mb "$create")" "$(echo "scale=1; $archive / 1000000" | bc)"
printf '%-24s %10.1f %10s\n' "skjold backup restore" "$restore" "$(mb "$restore")"
printf '%-24s %10.1f %10s %12s\n' "restic backup" "$restic_backup" "$(mb "$restic_backup")" "$(echo "scale=1; $repo / 1000000" | bc)"
printf '%-24s %10.1f %10s\n' "restic restore" "$restic_restore" "$(mb "$restic_restore")"
echo "(restic $(restic version | awk '{ print $2 }'); $(nproc) cores)"
