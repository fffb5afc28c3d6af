#!/usr/bin/env bash
# What grows with the total (issue 13): two data sets of SMALL and LARGE statements (default
# 100,000 and 1,000,000; `bench/scale.sh 1000000 10000000` for the issue's sizes), each a
# generated multi-year archive imported with `tuidang import --historic` (realistic Chinese
# names, the common pseudonyms 王先生, 李女士, 张先生 one row in 60, families of 2-4 as
# groups, spread over DAYS days since 2004), then the same measurements on both, with both
# servers up side by side, printed as ratios LARGE/SMALL:
#   import       rows/s of the import
#   deep day     a cold deep page of the largest day (every URL asked once), req/s
#   search       /search?name=王先生 (first page and count), req/s
#   receipt      GET /api/v1/receipts/<code> with its inclusion proof, req/s (codes of
#                statements posted through the API, spread over the whole log's edge)
#   POST         durable POST /api/v1/statements, rate and p99 (CLIENTS keep-alive clients)
#   audit        `tuidang audit` of the live site: peak RSS and seconds
#   export       a full `tuidang export`: bytes and files per statement
# Each phase runs on one server at a time (2 cores: side by side would measure the other's
# load), for DURATION seconds (8).
#
# usage: bench/scale.sh [SMALL [LARGE]]   environment: BIN (build/tuidang), DAYS (2000),
#   DURATION, CLIENTS (4), POSTS (2000 statements posted per side), SHEET_ROWS (500000
#   statements a sheet: the archive is imported sheet by sheet, in day order), KEEP=1 keeps
#   /var/tmp data
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
bin=$(realpath "${BIN:-$here/../build/tuidang}")
if [ -z "${TUIDANG_LOCALE_DIR:-}" ] && [ -d "$here/../build/locale" ]; then
  export TUIDANG_LOCALE_DIR=$here/../build/locale
fi
small=${1:-100000}; large=${2:-1000000}
days=${DAYS:-2000}; duration=${DURATION:-8}; clients=${CLIENTS:-4}; posts=${POSTS:-2000}
sheet_rows=${SHEET_ROWS:-500000}
work=$(mktemp -d /var/tmp/tuidang-scale.XXXXXX)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  [ -n "${KEEP:-}" ] || rm -rf "$work"
}
trap cleanup EXIT
echo "machine: $(nproc) cores, $(free -g | awk '/Mem:/{print $2}') GiB memory, load $(cut -d' ' -f1-3 /proc/loadavg)"
echo "bench/scale.sh $small $large (DAYS=$days DURATION=$duration CLIENTS=$clients POSTS=$posts SHEET_ROWS=$sheet_rows)"

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}
now() { date +%s.%N; }
secs() { python3 -c "print(round($(now) - $1, 2))"; }

# build SIZE: a data folder with SIZE statements imported; prints "import_rows_per_s".
build() {
  local n=$1 dir=$work/$1
  mkdir -m 700 "$dir"
  cp "$here/bench.toml" "$dir/tuidang.toml"
  # The posted statements are looked up with their proofs: publish them within seconds.
  printf 'publication_interval_seconds = 2\npublication_min_batch = 1\n' >>"$dir/tuidang.toml"
  # The receipt look-ups are measured, not the limits on guessing codes (0: off).
  printf 'lookups_per_receipt_per_hour = 0\nreceipt_lookups_per_minute = 0\n' >>"$dir/tuidang.toml"
  "$bin" init --data "$dir" >/dev/null
  "$bin" user add archivist --role admin --data "$dir" >/dev/null 2>&1 </dev/null || true
  python3 - "$work/sheet-$n" "$n" "$days" "$sheet_rows" <<'PY'
import datetime, random, sys
prefix, n, days, sheet_rows = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
surnames = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈"
given = ["伟", "芳", "娜", "秀英", "敏", "静", "丽", "强", "磊", "军", "洋", "勇", "艳", "杰",
         "娟", "涛", "明", "超", "秀兰", "霞", "平", "刚", "桂英", "建华", "志强", "海燕"]
common = ["王先生", "李女士", "张先生"]
orgs = ["党", "团", "队", "党、团", "团、队", "党团队"]
regions = ["广东", "北京", "上海", "四川", "河南", "山东", "辽宁", "湖北", "海外", ""]
texts = ["我自愿退出中共及其附属组织。", "退出共青团，声明作废。", "三退保平安。",
         "本人曾在少先队宣誓，现声明退出。", ""]
rng = random.Random(13)
start = datetime.date(2004, 12, 3)
# Sheets of at most sheet_rows statements, in day order (a family never split), as an
# archive is exported per period: a sheet is one transaction held in memory whole
# (docs/import.md), so one sheet of 10M rows would need about 32 GB.
f, sheet, in_sheet = None, 0, 0
i, row = 0, 0
while i < n:
    if f is None or in_sheet >= sheet_rows:
        if f:
            f.close()
        sheet += 1
        in_sheet = 0
        f = open(f"{prefix}-{sheet:04d}.csv", "w", encoding="utf-8")
        f.write("编号,姓名,组织,地区,内容,分组,日期\n")
    day = start + datetime.timedelta(days=i * days // n)
    size = rng.choice([2, 3, 4]) if rng.random() < 0.05 else 1  # a family: one statement
    group = f"g{i}" if size > 1 else ""
    for _ in range(size):
        name = (rng.choice(common) if rng.random() < 1 / 60 else
                f"{rng.choice(surnames)}{rng.choice(given)}")
        f.write(f"{row},{name},{rng.choice(orgs)},{rng.choice(regions)},"
                f"{rng.choice(texts)},{group},{day.isoformat()}\n")
        row += 1
    i += 1
    in_sheet += 1
f.close()
PY
  local rows=0 sheet
  for sheet in "$work/sheet-$n"-*.csv; do rows=$((rows + $(wc -l <"$sheet") - 1)); done
  local t0; t0=$(now)
  for sheet in "$work/sheet-$n"-*.csv; do  # in order: the log's order is the import's
    "$bin" import "$sheet" --channel sheet --operator archivist --historic \
      --data "$dir" >>"$dir.import.txt"
    rm "$sheet"
  done
  python3 -c "print(round($rows / ($(now) - $t0)))"
}

serve() {  # serve DIR PORT
  "$bin" serve --data "$1" --listen "127.0.0.1:$2" >"$1.log" 2>&1 &
  pids+=($!)
  for _ in $(seq 1 6000); do
    curl -fs "http://127.0.0.1:$2/healthz" >/dev/null 2>&1 && break
    kill -0 "${pids[-1]}" 2>/dev/null || { echo "server exited:" >&2; cat "$1.log" >&2; exit 1; }
    sleep 0.1
  done
}
wait_logged() {  # wait_logged PORT SIZE: until the checkpoint covers SIZE leaves
  for _ in $(seq 1 1200); do
    local size; size=$(curl -fs "http://127.0.0.1:$1/log/checkpoint" | sed -n 2p || true)
    [ "${size:-0}" -ge "$2" ] && return 0
    sleep 0.5
  done
  echo "the log did not reach $2 leaves" >&2; exit 1
}

declare -A import port
for n in "$small" "$large"; do
  import[$n]=$(build "$n")
  echo "$n: imported at ${import[$n]} rows/s; $(du -sh "$work/$n" | cut -f1)"
  port[$n]=$(free_port)
  serve "$work/$n" "${port[$n]}"
done
for n in "$small" "$large"; do wait_logged "${port[$n]}" "$n"; done

# measure PORT DURATION CLIENTS POSTS OUT.json: the HTTP phases of one server.
measure() {
  python3 - "$@" <<'PY'
import http.client, json, random, re, sys, threading, time, urllib.parse
port, duration, clients, posts, out = int(sys.argv[1]), float(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]), sys.argv[5]
res = {}

def conn():
    return http.client.HTTPConnection("127.0.0.1", port, timeout=600)

def get(c, url):
    try:
        c.request("GET", url); r = c.getresponse()
    except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError):
        c.close(); c.connect()  # the server ends a keep-alive connection after many requests
        c.request("GET", url); r = c.getresponse()
    body = r.read()
    return r.status, body

def run(urls, key, once=True):
    """`clients` clients for `duration` s; with `once`, every URL asked once at most."""
    lock, done, lat = threading.Lock(), [0], []
    it = iter(urls) if once else None
    stop = time.monotonic() + duration
    def client(k):
        c, rng = conn(), random.Random(k)
        while time.monotonic() < stop:
            if once:
                with lock:
                    u = next(it, None)
                if u is None:
                    return
            else:
                u = rng.choice(urls)
            t = time.monotonic(); status, _ = get(c, u)
            with lock:
                if status != 200:  # counted, and shown: a figure of refusals is no figure
                    res[key + "_errors"] = res.get(key + "_errors", 0) + 1
                    continue
                done[0] += 1; lat.append(time.monotonic() - t)
    ts = [threading.Thread(target=client, args=(k,)) for k in range(clients)]
    t0 = time.monotonic(); [t.start() for t in ts]; [t.join() for t in ts]
    res[key] = done[0] / (time.monotonic() - t0)

# The largest day: the stats' by_day; its deep pages (the last fifth), each asked once.
c = conn()
_, body = get(c, "/api/v1/stats")
stats = json.loads(body)
big = max(stats["by_day"], key=lambda d: d["statements"])
pages = -(-big["statements"] // 50)
deep = [f"{l}/statements?date={big['date']}&page={p}" for p in range(max(1, pages * 4 // 5), pages + 1)
        for l in ("", "/zh-hant", "/en")]
random.Random(7).shuffle(deep)
res["largest_day_statements"] = big["statements"]
run(deep, "deep_day_req_s")
run(["/search?name=" + urllib.parse.quote("王先生")], "search_req_s", once=False)

# Durable POST: `clients` keep-alive clients; their receipt codes serve the look-ups.
codes, lat, lock = [], [], threading.Lock()
def poster(k, count):
    c = conn()
    for i in range(count):
        body = json.dumps({"name": f"基准{k}-{i}", "organisations": ["party", "league"],
                           "text": "退出中共及其附属组织。"}, ensure_ascii=False).encode()
        t = time.monotonic()
        c.request("POST", "/api/v1/statements", body, {"Content-Type": "application/json"})
        r = c.getresponse(); data = r.read()
        if r.status != 201:
            sys.exit(f"POST: {r.status} {data[:200]}")
        with lock:
            lat.append(time.monotonic() - t); codes.append(json.loads(data)["receipt"])
ts = [threading.Thread(target=poster, args=(k, posts // clients)) for k in range(clients)]
t0 = time.monotonic(); [t.start() for t in ts]; [t.join() for t in ts]
res["post_per_s"] = len(codes) / (time.monotonic() - t0)
lat.sort(); res["post_p99_ms"] = 1000 * lat[int(0.99 * (len(lat) - 1))]

# Wait until every posted statement has its proof, then look them up at random.
urls = ["/api/v1/receipts/" + code.replace(" ", "").replace("-", "") for code in codes]
# (Statements are published in mixed batches: the look-ups use those with a proof by then.)
deadline, proven = time.monotonic() + 60, []
while time.monotonic() < deadline and len(proven) < len(urls) // 2:
    proven = [u for u in urls if json.loads(get(c, u)[1]).get("proof")]
    time.sleep(1)
if not proven:
    sys.exit("no posted statement got its proof within 60 s")
res["receipts_with_proof"] = len(proven)
run(proven, "receipt_req_s", once=False)
_, body = get(c, random.choice(proven))
assert (json.loads(body).get("proof") or "").startswith("c2sp.org/tlog-proof@v1"), body[:200]
json.dump(res, open(out, "w"))
PY
}

for n in "$small" "$large"; do
  measure "${port[$n]}" "$duration" "$clients" "$posts" "$work/$n.json"
  echo "$n: $(cat "$work/$n.json")"
done

# The audit of each live site, then a full export of each, one at a time.
for n in "$small" "$large"; do
  vkey=$("$bin" log key --data "$work/$n" 2>/dev/null | tail -1)
  t0=$(now)
  /usr/bin/time -f "%M" -o "$work/$n.rss" "$bin" audit "http://127.0.0.1:${port[$n]}" --vkey "$vkey" \
    >"$work/$n.audit.txt"
  audit_s=$(secs "$t0")
  t0=$(now)
  "$bin" export --data "$work/$n" --out "$work/$n.mirror" >/dev/null 2>&1
  export_s=$(secs "$t0")
  python3 - "$work/$n.json" "$(cat "$work/$n.rss")" "$audit_s" "$export_s" "$work/$n.mirror" "$n" "${import[$n]}" <<'PY'
import json, os, sys
path, rss, audit_s, export_s, mirror, n, imp = sys.argv[1:]
res = json.load(open(path))
files = size = 0
for root, _, names in os.walk(mirror):
    for name in names:
        files += 1; size += os.lstat(os.path.join(root, name)).st_blocks * 512
res.update(audit_rss_kib=int(rss), audit_s=float(audit_s), export_s=float(export_s),
           export_bytes_per_statement=size / int(n), export_files_per_statement=files / int(n),
           import_rows_per_s=int(imp))
json.dump(res, open(path, "w"))
PY
  rm -rf "$work/$n.mirror"
  echo "$n: audit $(cat "$work/$n.audit.txt" | cut -c1-60)... in ${audit_s} s"
done

python3 - "$work/$small.json" "$work/$large.json" "$small" "$large" <<'PY'
import json, sys
a, b = json.load(open(sys.argv[1])), json.load(open(sys.argv[2]))
print(f"\n| figure | {int(sys.argv[3]):,} | {int(sys.argv[4]):,} | ratio large/small |")
print("|---|---|---|---|")
for k in ["import_rows_per_s", "deep_day_req_s", "search_req_s", "receipt_req_s", "post_per_s",
          "post_p99_ms", "audit_rss_kib", "audit_s", "export_s", "export_bytes_per_statement",
          "export_files_per_statement", "largest_day_statements"]:
    print(f"| {k} | {a[k]:,.4g} | {b[k]:,.4g} | {b[k] / a[k]:.2f} |" if a[k] else f"| {k} | {a[k]} | {b[k]} | |")
PY
