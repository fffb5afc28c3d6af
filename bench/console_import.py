#!/usr/bin/env python3
"""What the console's upload (/ops/import, multipart over HTTP) costs over `tuidang import`
for the same sheet, measured in one run (docs/performance.md, "Console upload").

usage: bench/console_import.py [ROWS] [RUNS]     (defaults 50000 and 3; TUIDANG_BIN or
build/tuidang). Each run imports the sheet into two fresh data folders: once with the CLI,
once uploaded by a logged-in volunteer to a running server; prints both wall times (median
of the runs) and their ratio."""
import os
import random
import statistics
import subprocess
import sys
import time

here = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(here, "..", "tests"))
os.environ.setdefault("TUIDANG_BIN", os.path.join(here, "..", "build", "tuidang"))

import harness  # noqa: E402
from test_console import make_operators, post_multipart  # noqa: E402

SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈"
GIVEN = "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超秀兰霞平刚桂英华玉兰萍红建国志强"
ORGS = ["中共", "共青团", "少先队", "中共;共青团", "共青团;少先队", "中共;共青团;少先队"]


def sheet(rows, seed=7):
    rnd = random.Random(seed)
    lines = ["姓名,组织,地区,内容"]
    for i in range(rows):
        name = rnd.choice(SURNAMES) + rnd.choice(GIVEN) + rnd.choice(GIVEN) + str(i)
        lines.append(f"{name},{rnd.choice(ORGS)},北京,三退保平安")
    return ("\n".join(lines) + "\n").encode("utf-8")


def cli_run(data, path):
    subprocess.run([harness.binary(), "init", "--data", data], check=True, capture_output=True)
    subprocess.run([harness.binary(), "user", "add", "bench", "--role", "volunteer", "--data", data],
                   check=True, capture_output=True)
    t = time.monotonic()
    r = subprocess.run([harness.binary(), "import", path, "--channel", "sheet", "--operator", "bench",
                        "--data", data], capture_output=True, text=True)
    elapsed = time.monotonic() - t
    assert r.returncode == 0, r.stderr
    return elapsed


def console_run(data_csv):
    server = harness.Server({"threads": 2}, name="bench-console")
    server.start()
    try:
        op = make_operators(server, [("bench", "volunteer")])["bench"]
        t = time.monotonic()
        r = post_multipart(op, "/ops/import", [("channel", "sheet")], [("file", "sheet.csv", data_csv)])
        elapsed = time.monotonic() - t
        assert r.status == 200 and "Imported" in r.text, r.describe()
        return elapsed
    finally:
        server.stop()
        server.cleanup()


def main():
    rows = int(sys.argv[1]) if len(sys.argv) > 1 else 50000
    runs = int(sys.argv[2]) if len(sys.argv) > 2 else 3
    data = sheet(rows)
    work = harness.tempfile.mkdtemp(prefix="bench-console-")
    path = os.path.join(work, "sheet.csv")
    with open(path, "wb") as f:
        f.write(data)
    cli_times, web_times = [], []
    for i in range(runs):
        cli_times.append(cli_run(os.path.join(work, f"cli{i}"), path))
        web_times.append(console_run(data))
    c, w = statistics.median(cli_times), statistics.median(web_times)
    print(f"sheet: {rows} rows, {len(data) / 1e6:.1f} MB; nproc {os.cpu_count()}")
    print(f"tuidang import (CLI):   median {c:.2f} s  ({rows / c:,.0f} rows/s)  runs {[round(x, 2) for x in cli_times]}")
    print(f"console upload (HTTP):  median {w:.2f} s  ({rows / w:,.0f} rows/s)  runs {[round(x, 2) for x in web_times]}")
    print(f"console / CLI: {w / c:.2f}")


if __name__ == "__main__":
    main()
