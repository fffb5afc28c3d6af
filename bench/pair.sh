#!/usr/bin/env bash
# Two builds of tuidang served side by side and loaded at the same time, so that both see
# the same noise from a shared machine: durable submissions/s of each, their ratio, and
# the server CPU per submission (from /proc/PID/stat).
#
# usage: bench/pair.sh BIN_A BIN_B      environment: DURATION (10, seconds), CONNECTIONS (128),
#   MODE=post (durable POST /api/v1/statements, the default) or MODE=day (GET the day page
#   /statements?date=<today> after seeding SEED statements, 1000, into each server, with
#   `publication_interval_seconds = 0` so that they are published at once).
# settings: bench/bench.toml in each fresh data folder (the safety protections off), then
# the lines of EXTRA_A / EXTRA_B for one side only (a setting the other build does not know).
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=bench/lib.sh
source "$here/lib.sh"
export BENCH_DIR=$here
# Binaries copied out of a build folder find the catalogs of this checkout's build.
if [ -z "${TUIDANG_LOCALE_DIR:-}" ] && [ -d "$here/../build/locale" ]; then
  export TUIDANG_LOCALE_DIR=$here/../build/locale
fi
duration=${DURATION:-10}
conns=${CONNECTIONS:-128}
mode=${MODE:-post}
seed=${SEED:-1000}
case $mode in post|day) ;; *) echo "MODE is post or day" >&2; exit 2 ;; esac
command -v wrk >/dev/null || { echo "wrk is not installed (apt-get install wrk)" >&2; exit 2; }
work=$(mktemp -d /var/tmp/tuidang-pair.XXXXXX)
pids=()
trap 'kill "${pids[@]}" 2>/dev/null || true; wait 2>/dev/null || true; rm -rf "$work"' EXIT

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}
porta=$(free_port); portb=$(free_port)
for side in a b; do
  mkdir -m 700 "$work/$side"
  cp "$here/bench.toml" "$work/$side/tuidang.toml"
done
[ "$mode" = day ] && for side in a b; do
  echo 'publication_interval_seconds = 0' >>"$work/$side/tuidang.toml"
done
[ -n "${EXTRA_A:-}" ] && printf '%s\n' "$EXTRA_A" >>"$work/a/tuidang.toml"
[ -n "${EXTRA_B:-}" ] && printf '%s\n' "$EXTRA_B" >>"$work/b/tuidang.toml"
"$(realpath "$1")" serve --data "$work/a" --listen "127.0.0.1:$porta" >"$work/a.log" 2>&1 &
pa=$!
"$(realpath "$2")" serve --data "$work/b" --listen "127.0.0.1:$portb" >"$work/b.log" 2>&1 &
pb=$!
pids=("$pa" "$pb")
wait_healthz "$porta" "$pa" "$work/a.log" "server a"
wait_healthz "$portb" "$pb" "$work/b.log" "server b"
cpu() { awk '{print $14 + $15}' "/proc/$1/stat"; }
today=$(TZ=Asia/Shanghai date +%F)
if [ "$mode" = day ]; then
  for p in "$porta" "$portb"; do
    python3 "$here/seed.py" "$p" "$seed"
    sa=$(curl -s "http://127.0.0.1:$p/statements?date=$today" | wc -c)
    echo "seeded $seed statements on port $p; the day page is $sa bytes" >&2
  done
  script=get.lua; patha="/statements?date=$today"; unit="req/s"; per="request"
else
  script=post.lua; patha="/api/v1/statements"; unit="sub/s"; per="submission"
fi
ca0=$(cpu "$pa"); cb0=$(cpu "$pb")
wrk -t1 -c"$conns" -d"${duration}s" -s "$here/$script" "http://127.0.0.1:$porta$patha" >"$work/a.out" 2>&1 &
wa=$!
wrk -t1 -c"$conns" -d"${duration}s" -s "$here/$script" "http://127.0.0.1:$portb$patha" >"$work/b.out" 2>&1 &
wb=$!
wait "$wa" "$wb"
ca1=$(cpu "$pa"); cb1=$(cpu "$pb")
ok() { grep '^BENCH' "$1" | sed 's/.* ok_rps=\([0-9.]*\).*/\1/'; }
ra=$(ok "$work/a.out"); rb=$(ok "$work/b.out")
tck=$(getconf CLK_TCK)
python3 - "$ra" "$rb" "$ca0" "$ca1" "$cb0" "$cb1" "$duration" "$tck" "$unit" "$per" <<'PY'
import sys
ra, rb, ca0, ca1, cb0, cb1, d, tck = map(float, sys.argv[1:9])
unit, per = sys.argv[9:11]
us = lambda c0, c1, r: (c1 - c0) / tck * 1e6 / (r * d)
print(f"A {ra:.0f} {unit}  B {rb:.0f} {unit}  B/A {rb / ra:.3f}  "
      f"CPU per {per} A {us(ca0, ca1, ra):.1f} us  B {us(cb0, cb1, rb):.1f} us")
PY
