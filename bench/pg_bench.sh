#!/usr/bin/env bash
# Durable submissions/s on PostgreSQL (issue 14, "Speed"), in one run on this machine:
#   1. a throwaway cluster (scripts/pg-cluster.sh), two `tuidang serve --database` processes
#      on one schema (one log, one signing key), wrk POSTing durable statements at both
#      (bench/post.lua) for DURATION: acknowledged submissions/s, the mean batch the two
#      sequencers committed (tuidang_batch_size from their metrics);
#   2. the baseline: pgbench (-M prepared, as many clients as there are servers, i.e. as
#      many writing connections) running a custom script, generated here, that does what a
#      batch of that mean size does in the store, one statement per round trip: lock the
#      coordination row, per statement one `statements` row, its two `persons` rows and its
#      leaf, then the day's totals, the three category rows, the day list's anchors and the
#      coordination row, COMMIT (written to batch.sql in the run's folder; the same tables,
#      in a schema of their own made by `tuidang migrate`);
#   3. the same wrk load on one `tuidang serve` on SQLite;
#   4. day pages (GET /statements?date=<today>) and receipt look-ups
#      (GET /api/v1/receipts/<code> of codes picked at random among RECEIPTS statements
#      submitted after the POST run, so that most proofs read closed level-0 tiles),
#      PostgreSQL against SQLite;
# then the figures and the ratios the issue sets as targets.
#
# usage: bench/pg_bench.sh [path/to/tuidang]     (default: build/tuidang beside bench/)
# environment: DURATION (30s, each POST run and pgbench), READ_DURATION (10s, each GET run),
#   POST_CONNECTIONS (256 in all: half on each PostgreSQL server, all on SQLite),
#   GET_CONNECTIONS (64), RECEIPTS (2000: the codes looked up), PG_THREADS (the PostgreSQL servers' `threads`; default: the
#   setting's default), SKIP_SQLITE=1, KEEP=1 (keep the folder with the servers' logs),
#   PG_LOG_STATEMENTS=1 (log every statement the servers send, to see what a batch runs),
#   PERF=1 (perf record for 10 s of the PostgreSQL POST run: the cores the servers and the
#   cluster's backends used, PostgreSQL's hottest functions).
# settings: bench/bench.toml (safety protections off), publication_interval_seconds = 0
#   (every statement numbered, published and given its leaf in its own batch, as in
#   bench/run.sh), and the receipt look-up limits of all clients and of one code off
#   (receipt_lookups_per_minute, lookups_per_receipt_per_hour = 0).
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=bench/lib.sh
source "$here/lib.sh"
bin=$(realpath "${1:-$here/../build/tuidang}")
duration=${DURATION:-30s}
read_duration=${READ_DURATION:-10s}
post_conns=${POST_CONNECTIONS:-256}
get_conns=${GET_CONNECTIONS:-64}
export BENCH_DIR=$here

for tool in wrk pgbench psql curl; do
  command -v "$tool" >/dev/null || { echo "$tool is not installed" >&2; exit 2; }
done
[ -x "$bin" ] || { echo "no tuidang binary at $bin" >&2; exit 2; }

work=$(mktemp -d /tmp/tuidang-pgbench.XXXXXX)
chmod 755 "$work"  # the cluster's owner (nobody, when run as root) must reach its folder
pids=()
cleanup() {
  for p in "${pids[@]}"; do
    if kill -0 "$p" 2>/dev/null; then kill -TERM "$p"; wait "$p" 2>/dev/null || true; fi
  done
  "$here/../scripts/pg-cluster.sh" stop "$work/pg" >/dev/null 2>&1 || true
  if [ "${KEEP:-}" = 1 ]; then echo "kept $work"; else rm -rf "$work"; fi
}
trap cleanup EXIT

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
# field FILE KEY: a value from a wrk run's BENCH line (bench/report.lua).
field() { sed -n "s/.* $2=\([^ ]*\).*/\1/p" "$1"; }
calc() { python3 -c "print($1)"; }

url=$("$here/../scripts/pg-cluster.sh" start "$work/pg")
if [ "${PG_LOG_STATEMENTS:-}" = 1 ]; then
  psql -X -q -d "$url" -c "ALTER SYSTEM SET log_statement = 'all'" -c "SELECT pg_reload_conf()" >/dev/null
fi
psql -X -q -d "$url" -c "CREATE SCHEMA serve" -c "CREATE SCHEMA baseline"
schema_url() { echo "$url?options=-csearch_path%3D$1"; }

# start_server NAME DATABASE: a serve process on a fresh data folder (DATABASE empty: SQLite);
# sets port_NAME and metrics_NAME.
start_server() {
  local name=$1 database=$2 port metrics
  port=$(free_port); metrics=$(free_port)
  mkdir -m 700 "$work/$name"
  cp "$here/bench.toml" "$work/$name/tuidang.toml"
  {
    echo 'publication_interval_seconds = 0'
    # The receipt look-ups measure the store, not the guessing limits.
    echo 'receipt_lookups_per_minute = 0'
    echo 'lookups_per_receipt_per_hour = 0'
    echo "metrics_listen = \"127.0.0.1:$metrics\""
    [ -n "$database" ] && echo "database = \"$database\""
    # HTTP threads of the PostgreSQL servers: a look-up waits on its round trips on the
    # thread that runs it, so more threads overlap the waits (docs/postgres.md).
    [ -n "$database" ] && [ -n "${PG_THREADS:-}" ] && echo "threads = $PG_THREADS"
  } >>"$work/$name/tuidang.toml"
  # One log, one key: the second PostgreSQL server signs with the first one's key.
  [ "$name" = pg2 ] && cp "$work/pg1/log.key" "$work/pg2/log.key"
  "$bin" serve --data "$work/$name" --listen "127.0.0.1:$port" >"$work/$name.log" 2>&1 &
  local pid=$!
  pids+=("$pid")
  wait_healthz "$port" "$pid" "$work/$name.log" "tuidang ($name)"
  printf -v "port_$name" %s "$port"
  printf -v "metrics_$name" %s "$metrics"
}

# metric_mean NAME METRICS_PORT...: the mean of histogram NAME over these servers' lifetimes
# (tuidang_batch_size: submissions per committed batch; tuidang_batch_commit_seconds).
metric_mean() {
  local name=$1 sum=0 count=0 s c
  shift
  for m in "$@"; do
    s=$(curl -fs "http://127.0.0.1:$m/metrics" | awk "/^${name}_sum/ {print \$2}")
    c=$(curl -fs "http://127.0.0.1:$m/metrics" | awk "/^${name}_count/ {print \$2}")
    sum=$(calc "$sum + ${s:-0}"); count=$(calc "$count + ${c:-0}")
  done
  calc "$sum / max($count, 1)"
}
batch_mean() { calc "round($(metric_mean tuidang_batch_size "$@"), 1)"; }
commit_ms() { calc "round(1000 * $(metric_mean tuidang_batch_commit_seconds "$@"), 1)"; }

# post NAME PORT CONNECTIONS THREADS: a wrk POST run, its BENCH line in $work/NAME.
post() {
  wrk -t"$4" -c"$3" -d"$duration" --latency -s "$here/post.lua" \
    "http://127.0.0.1:$2/api/v1/statements" >"$work/$1.out" 2>&1
  grep '^BENCH ' "$work/$1.out" >"$work/$1"
}
# get NAME URL: a wrk GET run (bench/get.lua).
get() {
  echo "== $1: wrk -t2 -c$get_conns -d$read_duration $2" >&2
  wrk -t2 -c"$get_conns" -d"$read_duration" --latency -s "$here/get.lua" "$2" >"$work/$1.out" 2>&1
  grep '^BENCH ' "$work/$1.out" >"$work/$1"
}
# receipts PORT FILE: the receipt codes of RECEIPTS (2,000) more statements submitted now by
# 16 clients, one a line in FILE; their leaves lie among the POST run's, so that look-ups of
# random ones read closed level-0 tiles as well as the open one.
receipts() {
  python3 - "$1" "${RECEIPTS:-2000}" >"$2" <<'PY'
import concurrent.futures, http.client, json, sys
port, n = int(sys.argv[1]), int(sys.argv[2])
body = json.dumps({"name": "压测回执", "organisations": ["party"], "text": "我声明退出中共。"})
def submit(k):
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    codes = []
    for _ in range(k):
        c.request("POST", "/api/v1/statements", body.encode(), {"Content-Type": "application/json"})
        r = c.getresponse()
        data = r.read()
        if r.status != 201:
            sys.exit(f"a receipt's statement got {r.status}: {data[:200]!r}")
        codes.append(json.loads(data)["receipt"].replace(" ", "").replace("-", ""))
    return codes
with concurrent.futures.ThreadPoolExecutor(16) as pool:
    for codes in pool.map(submit, [n // 16 + (i < n % 16) for i in range(16)]):
        print("\n".join(codes))
PY
}
# lookups NAME PORT FILE: a wrk run of receipt look-ups of random codes of FILE (receipts.lua).
lookups() {
  echo "== $1: wrk -t2 -c$get_conns -d$read_duration -s receipts.lua ($(wc -l <"$3") codes)" >&2
  RECEIPTS=$3 wrk -t2 -c"$get_conns" -d"$read_duration" --latency -s "$here/receipts.lua" \
    "http://127.0.0.1:$2" >"$work/$1.out" 2>&1
  grep '^BENCH ' "$work/$1.out" >"$work/$1"
}

load_before=$(cut -d' ' -f1-3 /proc/loadavg)
today=$(TZ=Asia/Shanghai date +%F)

# 1. Two servers on PostgreSQL.
start_server pg1 "$(schema_url serve)"
start_server pg2 "$(schema_url serve)"
half=$((post_conns / 2))
echo "== PostgreSQL: 2 x wrk -t1 -c$half -d$duration -s post.lua (one per server)" >&2
post pg_post1 "$port_pg1" "$half" 1 &
w1=$!
post pg_post2 "$port_pg2" "$half" 1 &
w2=$!
if [ "${PERF:-}" = 1 ]; then
  # 10 s of the POST run, the two servers and this cluster's PostgreSQL processes only
  # (other clusters on the machine are not counted): CPU cores each used, and the hottest
  # functions of PostgreSQL's backends.
  sleep 5
  pm=$(head -1 "$work/pg/data/postmaster.pid")
  watched="$pm,$(pgrep -P "$pm" | paste -sd,),${pids[0]},${pids[1]}"
  perf record -g -F 299 -p "$watched" -o "$work/perf.data" -- sleep 10 >/dev/null 2>&1 || true
  perf report -i "$work/perf.data" --no-children --sort comm -n --stdio -g none 2>/dev/null |
    awk '/^ +[0-9]/ {printf "%-10s %5.2f cores\n", $3, $2 / 2990}' >"$work/perf.txt" || true
  perf report -i "$work/perf.data" --no-children --comm postgres --sort symbol --stdio -g none \
    2>/dev/null | grep -E '^ +[0-9]' | head -12 | cut -c1-80 >>"$work/perf.txt" || true
fi
wait "$w1" "$w2"
pg_ok=$(( $(field "$work/pg_post1" ok) + $(field "$work/pg_post2" ok) ))
pg_rate=$(calc "$(field "$work/pg_post1" ok_rps) + $(field "$work/pg_post2" ok_rps)")
pg_batch=$(batch_mean "$metrics_pg1" "$metrics_pg2")
pg_commit=$(commit_ms "$metrics_pg1" "$metrics_pg2")
pg_stored=$(psql -X -tA -d "$(schema_url serve)" -c "SELECT count(*) FROM statements WHERE status = 1")
pg_sizes=$(psql -X -tA -d "$(schema_url serve)" -c \
  "SELECT round(avg(length(record))), round(avg(length(text)))  FROM statements WHERE status = 1")

# 2. pgbench: the same rows per statement, in transactions of the mean batch, one statement
# per round trip, as many clients as servers.
batch=$(calc "max(1, round($pg_batch))")
"$bin" migrate --data "$work/pg1" --database "$(schema_url baseline)" >"$work/migrate.log" 2>&1 ||
  { cat "$work/migrate.log" >&2; exit 1; }
record_len=${pg_sizes%%|*}
python3 - "$batch" "$record_len" >"$work/batch.sql" <<'EOF'
import sys
batch, record_len = int(sys.argv[1]), int(float(sys.argv[2] or 300))
# What PostgresStore::CommitBatch runs for a batch of web statements published at once
# (src/store/postgres/pg_writer.cc, pg_rows.cc), one statement per round trip. Values are
# of the same sizes: a 32-byte receipt hash, salt and commitment, the record's mean length.
print("BEGIN;")
print("SELECT next_number AS n0, next_leaf AS l0 FROM log_coord WHERE id = 1 FOR UPDATE \\gset")
print("\\set day 20000")
for i in range(batch):
    print("INSERT INTO statements(number, receipt, status, day, channel, language, region,"
          " occupation, persons_count, text, leaf_index, salt, record, operator, consent, place)"
          f" VALUES(:n0::bigint + {i}, sha256(random()::text::bytea), 1, :day, 1, 1, 0, 0, 2,"
          f" '我声明退出中共及其相关组织。', :l0::bigint + {i}, sha256(random()::text::bytea),"
          f" repeat('r', {record_len}), 0, '', '') ON CONFLICT(receipt) DO NOTHING RETURNING id \\gset")
    print(f"INSERT INTO leaves(idx, entry) VALUES(:l0::bigint + {i},"
          " sha256(random()::text::bytea) || '\\x00010203040506070809'::bytea);")
    for pos in range(2):
        print("INSERT INTO persons(statement, position, name, name_fold, real_name, organisations,"
              f" day, number) VALUES(:id, {pos}, '压测王小明', '压测王小明', 1, 3, :day,"
              f" :n0::bigint + {i});")
print("INSERT INTO daily(day, statements, persons, party, league, pioneers)"
      f" VALUES(:day, {batch}, {2 * batch}, {batch}, {2 * batch}, 0) ON CONFLICT(day) DO UPDATE SET"
      " statements = daily.statements + EXCLUDED.statements, persons = daily.persons + EXCLUDED.persons,"
      " party = daily.party + EXCLUDED.party, league = daily.league + EXCLUDED.league,"
      " pioneers = daily.pioneers + EXCLUDED.pioneers;")
for dim in range(3):
    print(f"INSERT INTO categories(dim, code, statements, persons) VALUES({dim}, 1, {batch}, {2 * batch})"
          " ON CONFLICT(dim, code) DO UPDATE SET statements = categories.statements + EXCLUDED.statements,"
          " persons = categories.persons + EXCLUDED.persons;")
print("SELECT count(*) FROM day_anchors WHERE day = :day;")
for k in range((batch + 49) // 50):
    print("INSERT INTO day_anchors(day, block, number) VALUES(:day,"
          f" (:n0::bigint + {50 * k}) / 50, :n0::bigint + {50 * k}) ON CONFLICT DO NOTHING;")
print(f"UPDATE log_coord SET next_number = :n0::bigint + {batch}, next_leaf = :l0::bigint + {batch},"
      " version = version + 1 WHERE id = 1;")
print("COMMIT;")
EOF
echo "== pgbench -n -M prepared -c2 -j2 -T${duration%s} -f batch.sql ($batch statements per transaction)" >&2
PGOPTIONS='-c search_path=baseline' pgbench -n -M prepared -c2 -j2 -T"${duration%s}" \
  -f "$work/batch.sql" "$url" >"$work/pgbench.out" 2>&1 || { cat "$work/pgbench.out" >&2; exit 1; }
tps=$(sed -n 's/^tps = \([0-9.]*\).*/\1/p' "$work/pgbench.out" | tail -1)
base_rate=$(calc "$tps * $batch")
base_rows=$(psql -X -tA -d "$(schema_url baseline)" -c "SELECT count(*) FROM statements")

# 4 (PostgreSQL). Day page and receipt look-up on the first server.
receipts "$port_pg1" "$work/pg_codes"
get pg_day "http://127.0.0.1:$port_pg1/statements?date=$today"
lookups pg_receipt "$port_pg1" "$work/pg_codes"
for p in "${pids[@]}"; do kill -TERM "$p"; wait "$p" 2>/dev/null || true; done
pids=()

# 3. and 4. on SQLite.
if [ "${SKIP_SQLITE:-}" != 1 ]; then
  start_server lite ""
  echo "== SQLite: wrk -t2 -c$post_conns -d$duration -s post.lua" >&2
  post lite_post "$port_lite" "$post_conns" 2
  lite_rate=$(field "$work/lite_post" ok_rps)
  lite_batch=$(batch_mean "$metrics_lite")
  lite_commit=$(commit_ms "$metrics_lite")
  receipts "$port_lite" "$work/lite_codes"
  get lite_day "http://127.0.0.1:$port_lite/statements?date=$today"
  lookups lite_receipt "$port_lite" "$work/lite_codes"
fi

ms() { python3 -c "print(f'{$1 / 1000:.1f}')"; }
line() {  # NAME FILE: rate, latency, errors of one wrk run
  printf '%10.0f/s  p50 %6s ms  p99 %6s ms  non-2xx %s' "$(field "$2" ok_rps)" \
    "$(ms "$(field "$2" p50_us)")" "$(ms "$(field "$2" p99_us)")" "$(field "$2" non2xx)"
}
cat <<EOF

PostgreSQL store benchmark ($(date -u +%F), $(nproc) cores, $(free -g | awk '/^Mem:/ {print $2}') GiB, PostgreSQL $(psql -X -tA -d "$url" -c 'SHOW server_version' 2>/dev/null || echo '?'))
  binary: $bin
  settings: bench/bench.toml + publication_interval_seconds = 0, receipt look-up limits off; synchronous_commit = on, fsync = on
  load average before the run: $load_before (wrk, the servers and PostgreSQL share the cores)
  POST, 2 servers on PostgreSQL  $(printf '%10.0f' "$pg_rate")/s  ($pg_ok acknowledged in $duration, $pg_stored published in the database; mean batch $pg_batch committed in $pg_commit ms; p99 $(ms "$(field "$work/pg_post1" p99_us)") / $(ms "$(field "$work/pg_post2" p99_us)") ms; non-2xx $(field "$work/pg_post1" non2xx) + $(field "$work/pg_post2" non2xx))
  pgbench baseline               $(printf '%10.0f' "$base_rate")/s  ($tps transactions/s x $batch statements, 2 clients, $base_rows rows)
EOF
if [ "${SKIP_SQLITE:-}" != 1 ]; then
  echo "  POST, 1 server on SQLite       $(printf '%10.0f' "$lite_rate")/s  (mean batch $lite_batch committed in $lite_commit ms; p99 $(ms "$(field "$work/lite_post" p99_us)") ms; non-2xx $(field "$work/lite_post" non2xx))"
fi
echo "  day page, PostgreSQL        $(line pg_day "$work/pg_day")"
echo "  receipt, PostgreSQL         $(line pg_receipt "$work/pg_receipt")"
if [ "${SKIP_SQLITE:-}" != 1 ]; then
  echo "  day page, SQLite            $(line lite_day "$work/lite_day")"
  echo "  receipt, SQLite             $(line lite_receipt "$work/lite_receipt")"
fi
ratio=$(calc "f'{$pg_rate / $base_rate:.2f}'")
echo "  ratio PostgreSQL POST / pgbench   $ratio   (target >= 0.50)"
missed=0
python3 -c "import sys; sys.exit(0 if $pg_rate >= 0.5 * $base_rate else 1)" || { echo "  MISSED: POST < 0.5 x pgbench"; missed=1; }
python3 -c "import sys; sys.exit(0 if $pg_rate >= 10000 else 1)" || { echo "  MISSED: POST < 10000/s"; missed=1; }
[ "$pg_stored" -ge "$pg_ok" ] || { echo "  WRONG: fewer statements published ($pg_stored) than 201s ($pg_ok)"; missed=1; }
if [ "${SKIP_SQLITE:-}" != 1 ]; then
  d=$(calc "$(field "$work/pg_day" ok_rps) / $(field "$work/lite_day" ok_rps)")
  r=$(calc "$(field "$work/pg_receipt" ok_rps) / $(field "$work/lite_receipt" ok_rps)")
  echo "  ratio PostgreSQL POST / SQLite POST   $(calc "f'{$pg_rate / $lite_rate:.2f}'")"
  echo "  ratio day page PostgreSQL / SQLite    $(calc "f'{$d:.2f}'")   (target >= 0.80)"
  echo "  ratio receipt PostgreSQL / SQLite     $(calc "f'{$r:.2f}'")   (target >= 0.80)"
  python3 -c "import sys; sys.exit(0 if $d >= 0.8 and $r >= 0.8 else 1)" || { echo "  MISSED: reads < 0.8 x SQLite"; missed=1; }
fi
[ "$missed" = 0 ] && echo "  all targets met"
if [ -s "$work/perf.txt" ]; then
  echo "  CPU during the PostgreSQL POST run (perf record, 10 s):"
  sed 's/^ */    /' "$work/perf.txt"
fi
exit 0
