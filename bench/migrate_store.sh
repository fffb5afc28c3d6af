#!/usr/bin/env bash
# `tuidang migrate-store` (issue 14) against PostgreSQL's own COPY of the same rows, in the
# same run on the same throwaway cluster (scripts/pg-cluster.sh):
#   1. a data folder of N statements, imported with `tuidang import --historic` from a
#      generated sheet (families of 2-4 one statement in 20, over DAYS days), then served
#      until its log has a checkpoint (tiles and checkpoints are migrated too);
#   2. the same rows of every table migrate-store copies dumped from SQLite as CSV (untimed);
#   3. ROUNDS (2) alternating rounds, each into empty tuidang schemas made untimed by
#      `tuidang migrate` (the same tables and indexes on both sides): migrate-store --from
#      the folder (the whole command: SQLite read, COPY, progress rows, the final check),
#      then `psql \copy` of the CSV files, then \copy of the statements table alone.
# Prints the medians, rows/s over every row copied, and the ratio migrate-store / COPY.
#
# usage: bench/migrate_store.sh [N]   (200000)   environment: BIN (build/tuidang), DAYS (2000),
#   KEEP=1 keeps the data folder in /var/tmp
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
if [ -z "${TUIDANG_TEST_POSTGRES:-}" ]; then
  exec "$here/../scripts/pg-cluster.sh" run "$0" "$@"
fi
bin=$(realpath "${BIN:-$here/../build/tuidang}")
n=${1:-200000}; days=${DAYS:-2000}
work=$(mktemp -d /var/tmp/tuidang-migstore.XXXXXX)
server=
cleanup() {
  [ -n "$server" ] && kill "$server" 2>/dev/null || true
  wait 2>/dev/null || true
  [ -n "${KEEP:-}" ] && echo "kept: $work" >&2 || rm -rf "$work"
}
trap cleanup EXIT
psql_() { "${TUIDANG_TEST_POSTGRES_BIN:-/usr/bin}/psql" -X -q -v ON_ERROR_STOP=1 "$@"; }
schema_url() {  # a new empty schema $1 of the cluster
  psql_ -d "$TUIDANG_TEST_POSTGRES" -c "SET client_min_messages = warning; DROP SCHEMA IF EXISTS $1 CASCADE; CREATE SCHEMA $1"
  echo "$TUIDANG_TEST_POSTGRES?options=-csearch_path%3D$1"
}
now() { date +%s.%N; }
echo "machine: $(nproc) cores, $(free -g | awk '/Mem:/{print $2}') GiB memory, load $(cut -d' ' -f1-3 /proc/loadavg)"
echo "bench/migrate_store.sh $n (DAYS=$days), PostgreSQL $(psql_ -d "$TUIDANG_TEST_POSTGRES" -tAc 'SHOW server_version')"

# 1. The SQLite center.
data=$work/data
mkdir -m 700 "$data"
cp "$here/bench.toml" "$data/tuidang.toml"
"$bin" init --data "$data" >/dev/null
"$bin" user add archivist --role admin --data "$data" >/dev/null 2>&1 </dev/null
python3 - "$work/sheet.csv" "$n" "$days" <<'PY'
import datetime, random, sys
path, n, days = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
surnames = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈"
given = ["伟", "芳", "娜", "秀英", "敏", "静", "丽", "强", "磊", "军", "洋", "勇", "艳", "杰"]
orgs = ["党", "团", "队", "党、团", "团、队", "党团队"]
regions = ["广东", "北京", "上海", "四川", "河南", "山东", "辽宁", "湖北", "海外", ""]
texts = ["我自愿退出中共及其附属组织。", "退出共青团，声明作废。", "三退保平安。", ""]
rng = random.Random(14)
start = datetime.date(2004, 12, 3)
with open(path, "w", encoding="utf-8") as f:
    f.write("编号,姓名,组织,地区,内容,分组,日期\n")
    row = 0
    for i in range(n):
        day = start + datetime.timedelta(days=i * days // n)
        size = rng.choice([2, 3, 4]) if rng.random() < 0.05 else 1
        group = f"g{i}" if size > 1 else ""
        for _ in range(size):
            f.write(f"{row},{rng.choice(surnames)}{rng.choice(given)},{rng.choice(orgs)},"
                    f"{rng.choice(regions)},{rng.choice(texts)},{group},{day.isoformat()}\n")
            row += 1
PY
t0=$(now)
"$bin" import "$work/sheet.csv" --channel sheet --operator archivist --historic --data "$data" >/dev/null
echo "import: $n statements in $(python3 -c "print(round($(now) - $t0, 1))") s"
rm "$work/sheet.csv"
# Served until the log's checkpoint covers every leaf: its tiles and checkpoint exist.
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
"$bin" serve --data "$data" --listen "127.0.0.1:$port" >"$work/serve.log" 2>&1 &
server=$!
leaves=$(python3 -c "import sqlite3; print(sqlite3.connect('file:$data/tuidang.db?mode=ro', uri=True).execute('SELECT count(*) FROM leaves').fetchone()[0])")
for _ in $(seq 1 1200); do
  size=$(curl -fs "http://127.0.0.1:$port/log/checkpoint" | sed -n 2p || true)
  [ "${size:-0}" -ge "$leaves" ] && break
  sleep 0.5
done
kill "$server"; wait "$server" 2>/dev/null || true; server=
echo "SQLite store: $(du -sh "$data/tuidang.db" | cut -f1), $leaves leaves"

# 2. The rows as CSV for the baseline (the same tables and columns as migrate-store).
python3 - "$data/tuidang.db" "$work/csv" <<'PY'
import csv, os, sqlite3, sys
db = sqlite3.connect(f"file:{sys.argv[1]}?mode=ro", uri=True)
out = sys.argv[2]
os.makedirs(out)
# The tables and columns migrate-store copies (src/store/postgres/pg_from_sqlite.cc).
tables = {
    "statements": ("statements", "id, number, receipt, status, day, channel, language, region,"
                   " occupation, persons_count, text, leaf_index, salt, record, operator, consent, place"),
    "persons": ("persons", "statement, position, name, name_fold, real_name, organisations, day, number"),
    "sources": ("sources", "key, statement"),
    "sealed": ("sealed", "statement, field, box"),
    "holds": ("holds", "statement, reason, grp"),
    "rejections": ("rejections", "statement, hour"),
    "leaves": ("leaves", "idx, entry"),
    "tiles": ("tiles", "level, idx, width, data"),
    "checkpoints": ("checkpoint_sizes", "size, CASE WHEN size = (SELECT MAX(size) FROM checkpoint_sizes)"
                    " THEN COALESCE((SELECT value FROM meta WHERE key = 'checkpoint'), '') ELSE '' END AS note"),
    "day_anchors": ("day_anchors", "day, block, number"),
    "daily": ("daily", "day, statements, persons, party, league, pioneers"),
    "categories": ("categories", "dim, code, statements, persons"),
    "moderation_daily": ("moderation_daily", "day, event, reason, statements"),
    "operators": ("operators", "id, name, role, password_hash, totp_secret, setup_hash, disabled"),
    "audit_trail": ("audit_trail", "id, day, operator, action, object"),
}
with open(os.path.join(out, "columns"), "w") as cols:
    for target, (source, columns) in tables.items():
        cur = db.execute(f"SELECT {columns} FROM {source}")
        names = [d[0] for d in cur.description]
        cols.write(f"{target} {','.join(names)}\n")
        with open(os.path.join(out, target + ".csv"), "w", newline="", encoding="utf-8") as f:
            w = csv.writer(f, quoting=csv.QUOTE_NONNUMERIC)
            for row in cur:
                w.writerow(["\\x" + v.hex() if isinstance(v, bytes) else v for v in row])
PY
# Alternating rounds (ROUNDS, 2): migrate-store into an empty schema, then \copy of the
# same rows into another, each dropped before the next round; the machine is shared and
# its load moves within a minute, so each side gets the same spread of it. Medians.
copy_script=$work/copy.sql
{
  echo "SET search_path = bench_copy;"
  while read -r table columns; do
    echo "\\copy $table($columns) FROM '$work/csv/$table.csv' WITH (FORMAT csv)"
  done <"$work/csv/columns"
} >"$copy_script"
st_cols=$(sed -n 's/^statements //p' "$work/csv/columns")
: >"$work/times"
for round in $(seq 1 "${ROUNDS:-2}"); do
  url_a=$(schema_url bench_migrate)
  "$bin" migrate --data "$data" --database "$url_a" >/dev/null 2>&1  # both sides: tables made untimed
  t0=$(now)
  "$bin" migrate-store --from "$data" --to "$url_a" 2>/dev/null | grep 'rows copied' >"$work/migrate.txt"
  m=$(python3 -c "print(round($(now) - $t0, 2))")
  rows=$(sed -n 's/.*; \([0-9]*\) rows copied.*/\1/p' "$work/migrate.txt")
  url_b=$(schema_url bench_copy)
  "$bin" migrate --data "$data" --database "$url_b" >/dev/null 2>&1
  t0=$(now)
  psql_ -d "$TUIDANG_TEST_POSTGRES" -f "$copy_script"
  c=$(python3 -c "print(round($(now) - $t0, 2))")
  check=$(psql_ -d "$TUIDANG_TEST_POSTGRES" -tAc "SELECT (SELECT count(*) FROM bench_migrate.statements) = (SELECT count(*) FROM bench_copy.statements) AND (SELECT count(*) FROM bench_migrate.persons) = (SELECT count(*) FROM bench_copy.persons)")
  [ "$check" = t ] || { echo "the two copies differ" >&2; exit 1; }
  url_c=$(schema_url bench_copy_statements)
  "$bin" migrate --data "$data" --database "$url_c" >/dev/null 2>&1
  t0=$(now)
  psql_ -d "$TUIDANG_TEST_POSTGRES" -c "SET search_path = bench_copy_statements" \
    -c "\\copy statements($st_cols) FROM '$work/csv/statements.csv' WITH (FORMAT csv)"
  cs=$(python3 -c "print(round($(now) - $t0, 2))")
  echo "round $round: migrate-store $m s, \\copy $c s, \\copy statements alone $cs s (load $(cut -d' ' -f1 /proc/loadavg))"
  echo "$m $c $cs" >>"$work/times"
  psql_ -d "$TUIDANG_TEST_POSTGRES" -c "SET client_min_messages = warning; DROP SCHEMA bench_migrate CASCADE; DROP SCHEMA bench_copy CASCADE; DROP SCHEMA bench_copy_statements CASCADE"
done
python3 - "$rows" "$n" "$work/times" <<'PY'
import statistics, sys
rows, n = int(sys.argv[1]), int(sys.argv[2])
t = [list(map(float, l.split())) for l in open(sys.argv[3])]
m, c, cs = (statistics.median(x[i] for x in t) for i in range(3))
print(f"migrate-store: {rows} rows in {m:.1f} s = {rows / m:,.0f} rows/s ({n / m:,.0f} statements/s), median of {len(t)}")
print(f"psql \\copy of the same rows: {c:.1f} s = {rows / c:,.0f} rows/s")
print(f"psql \\copy of the statements table alone: {n} rows in {cs:.1f} s = {n / cs:,.0f} rows/s")
print(f"ratio migrate-store / COPY (same rows): {c / m:.2f} (per round: {', '.join(f'{x[1] / x[0]:.2f}' for x in t)})")
PY
