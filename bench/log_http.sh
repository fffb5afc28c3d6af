#!/usr/bin/env bash
# HTTP benchmarks of the log (issue 3), in one run, on loopback with wrk:
#   1. GET /healthz                 requests/s (the server's floor, the baseline)
#   2. GET /log/tile/0/000          a full hash tile, requests/s
#   3. GET /log/tile/entries/000    a full entry bundle, requests/s
#   4. checkpoint freshness: while wrk POSTs statements as fast as it can (>= 10,000/s on
#      this machine), a probe submits a statement every 100 ms and measures how long until
#      its receipt carries an inclusion proof (i.e. it is in a signed checkpoint): p50/p99.
#
# usage: bench/log_http.sh [path/to/tuidang]
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
bin=$(realpath "${1:-$here/../build/tuidang}")
duration=${DURATION:-10s}
command -v wrk >/dev/null || { echo "wrk is not installed" >&2; exit 2; }
export BENCH_DIR=$here

work=$(mktemp -d /tmp/tuidang-logbench.XXXXXX)
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
mkdir -m 700 "$work/data"
cp "$here/bench.toml" "$work/data/tuidang.toml"  # protections off: wrk's POSTs are published
echo 'publication_interval_seconds = 0' >>"$work/data/tuidang.toml"  # at once, not in batches
"$bin" serve --data "$work/data" --listen "127.0.0.1:$port" 2>"$work/server.log" &
pid=$!
trap 'kill $pid 2>/dev/null; wait $pid 2>/dev/null; rm -rf "$work"' EXIT
for _ in $(seq 100); do curl -sf "http://127.0.0.1:$port/healthz" >/dev/null && break; sleep 0.1; done
base="http://127.0.0.1:$port"

# Seed 600 statements so that tile 0 and bundle 0 are full.
wrk -t1 -c8 -d2s -s "$here/post.lua" "$base/api/v1/statements" >/dev/null
sleep 1.5
size=$(curl -s "$base/log/checkpoint" | sed -n 2p)
for path in /log/tile/0/000 /log/tile/entries/000; do
  [ "$(curl -s -o /dev/null -w '%{http_code}' "$base$path")" = 200 ] || { echo "$path is not served (log size $size)" >&2; exit 1; }
done
echo "machine: $(nproc) cores, $(free -g | awk '/Mem:/{print $2}') GiB; log size after seeding: $size"

rps() { wrk -t2 -c64 -d"$duration" "$@" | awk '/Requests\/sec/{print $2}'; }
healthz=$(rps "$base/healthz")
tile=$(rps "$base/log/tile/0/000")
bundle=$(rps -H 'Accept-Encoding: gzip' "$base/log/tile/entries/000")
echo "GET /healthz:                 $healthz req/s"
echo "GET /log/tile/0/000:          $tile req/s (ratio to healthz $(python3 -c "print(round($tile/$healthz,2))"))"
echo "GET /log/tile/entries/000 gz: $bundle req/s (ratio to healthz $(python3 -c "print(round($bundle/$healthz,2))"))"

# Freshness under load.
wrk -t1 -c128 -d20s --latency -s "$here/post.lua" "$base/api/v1/statements" >"$work/load.txt" &
load=$!
sleep 2
python3 - "$base" <<'PY'
import json, sys, time, urllib.request
base = sys.argv[1]
lat = []
end = time.monotonic() + 15
while time.monotonic() < end:
    body = json.dumps({"name": "新鲜度探针", "organisations": ["party"]}).encode()
    req = urllib.request.Request(base + "/api/v1/statements", body, {"Content-Type": "application/json"})
    t0 = time.monotonic()
    try:
        code = json.load(urllib.request.urlopen(req, timeout=10))["receipt"]
    except Exception:
        time.sleep(0.1)  # shed (503): try again
        continue
    while time.monotonic() - t0 < 10:
        r = json.load(urllib.request.urlopen(base + "/api/v1/receipts/" + code, timeout=10))
        if r.get("proof"):
            lat.append(time.monotonic() - t0)
            break
        time.sleep(0.02)
    time.sleep(0.1)
lat.sort()
p = lambda q: lat[min(len(lat) - 1, int(q * len(lat)))]
print(f"checkpoint freshness under load: {len(lat)} probes, p50 {p(0.5):.2f} s, p99 {p(0.99):.2f} s, max {lat[-1]:.2f} s")
PY
wait $load
echo "load during the probe: $(awk '/Requests\/sec/{print $2}' "$work/load.txt") submissions/s"
