#!/usr/bin/env bash
# End-to-end HTTP benchmark of `tuidang serve` with wrk, on loopback, in one run:
#   1. GET /healthz                      requests/s (the server's floor)
#   2. GET /statements?date=<today>      requests/s, a day page after seeding statements
#   3. POST /api/v1/statements           durable submissions/s, p50/p99 latency
#   4. GET /healthz again                (the floor is the mean of runs 1 and 4)
# then a summary with the ratios that issue 2 sets as targets.
#
# usage: bench/run.sh [path/to/tuidang]        (default: build/tuidang beside bench/)
# environment: DURATION (10s), THREADS (2), GET_CONNECTIONS (64), POST_CONNECTIONS (256),
#              SEED (1000 statements before the day page), STRICT=1 (exit 1 when a target
#              is missed), KEEP=1 (keep the data folder and the server's log),
#              PERF=1 (profile the server with `perf record` during the POST run and print
#              its hottest functions).
# settings: bench/bench.toml, written into the fresh data folder (the safety protections
#           off, so that POST measures the durable path; stated in the summary).
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=bench/lib.sh
source "$here/lib.sh"
bin=$(realpath "${1:-$here/../build/tuidang}")
duration=${DURATION:-10s}
threads=${THREADS:-2}
get_conns=${GET_CONNECTIONS:-64}
post_conns=${POST_CONNECTIONS:-256}
seed=${SEED:-1000}
export BENCH_DIR=$here

command -v wrk >/dev/null || { echo "wrk is not installed (apt-get install wrk)" >&2; exit 2; }
[ -x "$bin" ] || { echo "no tuidang binary at $bin" >&2; exit 2; }

work=$(mktemp -d /tmp/tuidang-bench.XXXXXX)
pid=
cleanup() {
  if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
    kill -TERM "$pid"; wait "$pid" 2>/dev/null || true
  fi
  if [ "${KEEP:-}" = 1 ]; then echo "kept $work"; else rm -rf "$work"; fi
}
trap cleanup EXIT

port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
base="http://127.0.0.1:$port"
# Explicit settings (bench/bench.toml): the safety protections off, so that the POST run
# measures the durable intake path and every statement is published at once.
mkdir -m 700 "$work/data"
cp "$here/bench.toml" "$work/data/tuidang.toml"
# The day page shows published statements: the seeded ones are published at once rather
# than by the next mixed batch ten minutes later (intake/publisher.h).
echo 'publication_interval_seconds = 0' >>"$work/data/tuidang.toml"
"$bin" serve --data "$work/data" --listen "127.0.0.1:$port" >"$work/server.log" 2>&1 &
pid=$!
wait_healthz "$port" "$pid" "$work/server.log"

today=$(TZ=Asia/Shanghai date +%F)
load_before=$(cut -d' ' -f1-3 /proc/loadavg)

# run NAME CONNECTIONS SCRIPT URL: one wrk run; its BENCH line goes to $work/NAME.
run() {
  local name=$1 conns=$2 script=$3 url=$4
  echo "== $name: wrk -t$threads -c$conns -d$duration --latency -s $script $url" >&2
  local perf_pid=
  if [ "${PERF:-}" = 1 ] && [ "$name" = post ]; then
    perf record -F 499 -g -p "$pid" -o "$work/perf.data" >/dev/null 2>&1 &
    perf_pid=$!
  fi
  wrk -t"$threads" -c"$conns" -d"$duration" --latency -s "$here/$script" "$url" \
    | tee "$work/$name.out" >&2
  if [ -n "$perf_pid" ]; then
    kill -INT "$perf_pid"; wait "$perf_pid" 2>/dev/null || true
    {
      echo "by library:"
      perf report -i "$work/perf.data" --no-children --sort dso --percent-limit 1 --stdio \
        -g none 2>/dev/null | grep -E '^ +[0-9]' | sed 's/  */ /g' | head -15
      echo "hottest functions:"
      perf report -i "$work/perf.data" --no-children --sort dso,symbol --percent-limit 1 \
        --stdio -g none 2>/dev/null | grep -E '^ +[0-9]' | sed 's/  */ /g' | cut -c1-120 | head -25
    } >"$work/perf.txt" || true
  fi
  grep '^BENCH ' "$work/$name.out" >"$work/$name"
}
# field NAME KEY: a value from a run's BENCH line.
field() { sed -n "s/.* $2=\([^ ]*\).*/\1/p" "$work/$1"; }

run healthz "$get_conns" get.lua "$base/healthz"

# Seed the day page with SEED statements (8 keep-alive connections).
python3 "$here/seed.py" "$port" "$seed"
seeded=$(curl -fs "$base/api/v1/stats" | python3 -c 'import json,sys; print(json.load(sys.stdin)["total_statements"])')
echo "== seeded $seeded statements" >&2
page_bytes=$(curl -s "$base/statements?date=$today" | wc -c || true)

run day "$get_conns" get.lua "$base/statements?date=$today"
run post "$post_conns" post.lua "$base/api/v1/statements"
# /healthz once more: the floor on both sides of the runs it is compared with, so that a
# change in what else the shared machine is doing during the 40 s of the runs weighs on
# both sides of the ratios alike (the ratios use the mean of the two).
run healthz2 "$get_conns" get.lua "$base/healthz"

after=$(curl -fs "$base/api/v1/stats" | python3 -c 'import json,sys; print(json.load(sys.stdin)["total_statements"])')
stored=$((after - seeded))

h1=$(field healthz rps); h2=$(field healthz2 rps); d=$(field day ok_rps); p=$(field post ok_rps)
h=$(python3 -c "print(($h1 + $h2) / 2)")
ratio=$(python3 -c "print(f'{$p / $h:.2f}')")
dratio=$(python3 -c "print(f'{$d / $h:.2f}')")
ms() { python3 -c "print(f'{$1 / 1000:.2f}')"; }

cat <<EOF

tuidang benchmark ($(date -u +%F), $(nproc) cores, $(free -g | awk '/^Mem:/ {print $2}') GiB, wrk -t$threads -d$duration)
  binary: $bin
  settings: bench/bench.toml (safety protections off: client_key off, no limits, pow_policy and flood_policy off; publication_interval_seconds = 0)
  load average before the run: $load_before (other work on the machine skews every figure)
  GET /healthz (first)          $(printf '%10.0f' "$h1") req/s   p50 $(ms "$(field healthz p50_us)") ms  p99 $(ms "$(field healthz p99_us)") ms  (-c$get_conns, non-2xx $(field healthz non2xx))
  GET /statements?date=today    $(printf '%10.0f' "$d") req/s   p50 $(ms "$(field day p50_us)") ms  p99 $(ms "$(field day p99_us)") ms  (-c$get_conns, non-2xx $(field day non2xx), $page_bytes bytes, $seeded statements that day)
  POST /api/v1/statements       $(printf '%10.0f' "$p") sub/s   p50 $(ms "$(field post p50_us)") ms  p99 $(ms "$(field post p99_us)") ms  (-c$post_conns, 201s $(field post ok), non-2xx $(field post non2xx), socket errors $(( $(field post connect_err) + $(field post read_err) + $(field post write_err) + $(field post timeouts) )))
  GET /healthz (last)           $(printf '%10.0f' "$h2") req/s   p50 $(ms "$(field healthz2 p50_us)") ms  p99 $(ms "$(field healthz2 p99_us)") ms  (-c$get_conns, non-2xx $(field healthz2 non2xx))
  stored during the POST run    $stored statements (stats total_statements after - before)
  healthz floor                 $(printf '%10.0f' "$h") req/s   (mean of the first and last)
  ratio POST / healthz          $ratio   (target >= 0.30)
  ratio day page / healthz      $dratio
EOF

missed=0
python3 -c "import sys; sys.exit(0 if $p >= 10000 else 1)" || { echo "  MISSED: durable submissions/s < 10000"; missed=1; }
python3 -c "import sys; sys.exit(0 if $p >= 0.3 * $h else 1)" || { echo "  MISSED: POST < 0.3 x healthz"; missed=1; }
python3 -c "import sys; sys.exit(0 if $d >= 20000 else 1)" || { echo "  MISSED: day page < 20000 req/s"; missed=1; }
[ "$stored" -ge "$(field post ok)" ] || { echo "  WRONG: fewer statements stored ($stored) than 201s ($(field post ok))"; missed=1; }
[ "$missed" = 0 ] && echo "  all targets met"
if [ -s "$work/perf.txt" ]; then
  echo
  echo "server profile during the POST run (perf record -F 499 -g, self time):"
  sed 's/^/  /' "$work/perf.txt"
fi
if [ "${STRICT:-}" = 1 ]; then exit "$missed"; fi
exit 0
