#!/usr/bin/env bash
# Day pages and name searches on a large database, two builds side by side (issue 13): one
# data folder of SEED statements (1,000,000) imported in one day by BIN_A, among them
# COMMON (20,000) with the one pseudonym 王先生, copied for BIN_B (which migrates it at open
# when its schema is newer: the time to listen is printed). Both servers are then measured
# at the same time, with the same requests:
#   day page 1-400     distinct shallow pages of the day (pages 2-401 in three languages)
#   deep day page      distinct pages 15,000-20,000 (offsets 750,000-1,000,000)
#   search             /search?name=王先生 (the common name: its first page and count)
#   deep search        the same search's later pages (?before=, as the page links to it;
#                      on a build without it, the same first page)
# Every day-page URL is asked once (never a page the server has cached), by 4 keep-alive
# clients per server for DURATION seconds (10); the figures are requests/s and the ratio of
# each build's deep page to its shallow page, and of B to A.
#
# usage: bench/search_day.sh BIN_A BIN_B     environment: SEED, COMMON, DURATION, KEEP=1 keeps
#   the data folders (under /var/tmp) for another run: WORK=that folder reuses them.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
if [ -z "${TUIDANG_LOCALE_DIR:-}" ] && [ -d "$here/../build/locale" ]; then
  export TUIDANG_LOCALE_DIR=$here/../build/locale
fi
bin_a=$(realpath "$1"); bin_b=$(realpath "$2")
seed=${SEED:-1000000}; common=${COMMON:-20000}; duration=${DURATION:-10}
work=${WORK:-}
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  if [ -z "${KEEP:-}" ] && [ -z "${WORK:-}" ]; then rm -rf "$work"; fi
}
trap cleanup EXIT
echo "machine: $(nproc) cores, $(free -g | awk '/Mem:/{print $2}') GiB memory"
if [ -z "$work" ]; then
  work=$(mktemp -d /var/tmp/tuidang-search-day.XXXXXX)
  mkdir -m 700 "$work/a"
  cp "$here/bench.toml" "$work/a/tuidang.toml"
  "$bin_a" init --data "$work/a" >/dev/null
  "$bin_a" user add bench --role volunteer --data "$work/a" >/dev/null
  python3 - "$work/sheet.csv" "$seed" "$common" <<'PY'
import random, sys
path, n, common = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
surnames = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗"
given = ["伟", "芳", "娜", "秀英", "敏", "静", "丽", "强", "磊", "军", "洋", "勇", "艳", "杰"]
orgs = ["党", "团", "队", "党、团", "团、队", "党团队"]
rng = random.Random(13)
every = max(1, n // common)
with open(path, "w", encoding="utf-8") as f:
    f.write("姓名,组织,内容\n")
    for i in range(n):
        name = "王先生" if i % every == 0 else f"{rng.choice(surnames)}{rng.choice(given)}{i}"
        f.write(f"{name},{rng.choice(orgs)},退出中共及其附属组织。\n")
PY
  start=$(date +%s.%N)
  "$bin_a" import "$work/sheet.csv" --channel sheet --operator bench --data "$work/a" >/dev/null
  echo "imported $seed statements with A in $(python3 -c "print(round($(date +%s.%N) - $start, 1))") s"
  rm "$work/sheet.csv"
  cp -a "$work/a" "$work/b"
  rm -f "$work/b"/*.pid
fi
echo "data: $(du -sh "$work/a" | cut -f1) per folder in $work"

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}
serve() {  # serve BIN DIR PORT: starts it, prints the seconds until /healthz answers
  local t0; t0=$(date +%s.%N)
  "$1" serve --data "$2" --listen "127.0.0.1:$3" >"$2.log" 2>&1 &
  pids+=($!)
  for _ in $(seq 1 6000); do
    curl -fs "http://127.0.0.1:$3/healthz" >/dev/null 2>&1 && break
    kill -0 "${pids[-1]}" 2>/dev/null || { echo "server exited:" >&2; cat "$2.log" >&2; exit 1; }
    sleep 0.1
  done
  python3 -c "print(round($(date +%s.%N) - $t0, 1))"
}
porta=$(free_port); portb=$(free_port)
echo "A listening after $(serve "$bin_a" "$work/a" "$porta") s, B after $(serve "$bin_b" "$work/b" "$portb") s (B migrates an older schema at open)"
# Let both integrate the import (its leaves into tiles and a checkpoint) before measuring.
for p in "$porta" "$portb"; do
  for _ in $(seq 1 600); do
    size=$(curl -fs "http://127.0.0.1:$p/log/checkpoint" | sed -n 2p || true)
    [ "${size:-0}" -ge "$seed" ] && break
    sleep 1
  done
done

python3 - "$porta" "$portb" "$duration" "$seed" <<'PY'
import datetime, http.client, random, sys, threading, time, urllib.parse, re
port_a, port_b, duration, seed = int(sys.argv[1]), int(sys.argv[2]), float(sys.argv[3]), int(sys.argv[4])
today = (datetime.datetime.utcnow() + datetime.timedelta(hours=8)).date().isoformat()
langs = ["", "/zh-hant", "/en"]
pages = -(-seed // 50)
name = urllib.parse.quote("王先生")

def day_urls(lo, hi):
    urls = [f"{l}/statements?date={today}&page={p}" for p in range(lo, hi) for l in langs]
    random.Random(7).shuffle(urls)
    return urls

def search_cursors(port, count):
    """The later pages' addresses, as each page links to the next (empty: no ?before=)."""
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=600)
    url, found = f"/search?name={name}", []
    while len(found) < count:
        c.request("GET", url); body = c.getresponse().read().decode()
        m = re.search(r'href="([^"]*before=\d+)"', body)
        if not m:
            break
        url = m.group(1).replace("&amp;", "&")
        url = url[url.index("/search"):] if "/search" in url else url
        found.append(url)
    return found

def run(port, urls, out, key):
    """4 clients for `duration` seconds over `urls`, each URL asked once while they last."""
    lock, done, stop = threading.Lock(), [0], time.monotonic() + duration
    it = iter(urls * 1000 if len(set(urls)) == 1 else urls)
    def client():
        c = http.client.HTTPConnection("127.0.0.1", port, timeout=600)
        while time.monotonic() < stop:
            with lock:
                u = next(it, None)
            if u is None:
                return
            c.request("GET", u); r = c.getresponse(); r.read()
            if r.status != 200:
                sys.exit(f"{u}: {r.status}")
            with lock:
                done[0] += 1
    ts = [threading.Thread(target=client) for _ in range(4)]
    t0 = time.monotonic(); [t.start() for t in ts]; [t.join() for t in ts]
    out[key] = (done[0], done[0] / (time.monotonic() - t0))

def both(label, urls_a, urls_b):
    out = {}
    ta = threading.Thread(target=run, args=(port_a, urls_a, out, "a"))
    tb = threading.Thread(target=run, args=(port_b, urls_b, out, "b"))
    ta.start(); tb.start(); ta.join(); tb.join()
    (na, ra), (nb, rb) = out["a"], out["b"]
    print(f"{label:16} A {ra:9.1f} req/s ({na:6} requests)   B {rb:9.1f} req/s ({nb:6} requests)   B/A {rb / ra:7.2f}")
    return ra, rb

shallow = both("day page 1-400", day_urls(2, 402), day_urls(2, 402))
deep = both("deep day page", day_urls(pages - 5000, pages + 1), day_urls(pages - 5000, pages + 1))
first = f"/search?name={name}"
search = both("search", [first], [first])
cur_a, cur_b = search_cursors(port_a, 150), search_cursors(port_b, 150)
deep_search = both("deep search", cur_a[-50:] or [first], cur_b[-50:] or [first])
print(f"deep/shallow day page: A {deep[0] / shallow[0]:.3f}  B {deep[1] / shallow[1]:.3f}")
print(f"search pages reachable by links: A {len(cur_a) + 1}  B {len(cur_b) + 1} (at most 151 followed)")
PY
