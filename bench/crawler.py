#!/usr/bin/env python3
"""A crawler beside /healthz and submissions, with and without the read lane (issue 13;
docs/performance.md "A crawler at full speed").

usage: bench/crawler.py [path/to/tuidang] [--statements 100000] [--rounds 5]

One data folder of --statements statements of today (tests/test_crawler.py's fill()),
served twice in one run: read_threads = 1 (the default) and read_threads = 0 (the pages
on the HTTP threads, as before the lane). For each, --rounds rounds of 1 s unloaded and
3 s with the crawler (16 connections asking random deep day pages, statements, the most
common name's search from random cursors and the statements API, as fast as answered),
while a probe asks /healthz every 20 ms and submits a statement every 40 ms. Printed: the
medians and 90th percentiles of both, unloaded and under the crawler, their ratio (the
issue's target: at most 1.20), and the crawler's pages/s."""
import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "tests"))
import harness  # noqa: E402
import loadprobe  # noqa: E402
import test_crawler  # noqa: E402


def pct(xs, q):
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(q * len(xs)))]


def measure(data, read_threads, rounds, statements):
    server = harness.Server({"client_key": "off", "publish_policy": "publish",
                             "publication_interval_seconds": 0, "read_threads": read_threads},
                            data_dir=data, name=f"crawler-bench-{read_threads}")
    tc = unittest.TestCase()
    quiet = {"healthz": [], "submit": []}
    loud = {"healthz": [], "submit": []}
    pages, crawled = 0, 0.0
    server.start()
    try:
        loadprobe.sample(tc, server, [], [], lambda e=time.monotonic() + 1: time.monotonic() > e)
        for _ in range(rounds):
            end = time.monotonic() + 1.0
            loadprobe.sample(tc, server, quiet["healthz"], quiet["submit"],
                             lambda: time.monotonic() > end)
            crawler = subprocess.Popen(
                [sys.executable, test_crawler.__file__, "--crawl", server.host, str(server.port),
                 "3", str(test_crawler.CRAWL_THREADS), harness.today_cst(), str(statements)],
                stdout=subprocess.PIPE, text=True)
            assert crawler.stdout.readline().strip() == "start"
            t0 = time.monotonic()
            loadprobe.sample(tc, server, loud["healthz"], loud["submit"],
                             lambda: crawler.poll() is not None)
            out, _ = crawler.communicate(timeout=120)
            crawled += time.monotonic() - t0
            for line in out.splitlines():
                pages += sum(json.loads(line).values())
    finally:
        server.stop()
    row = {"read_threads": read_threads, "pages_per_s": pages / crawled}
    for k in quiet:
        for name, q in (("p50", 0.5), ("p90", 0.9)):
            a, b = pct(quiet[k], q), pct(loud[k], q)
            row[f"{k}_{name}"] = (a * 1000, b * 1000, b / a)
    return row


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("binary", nargs="?", default=os.path.join(HERE, "..", "build", "tuidang"))
    ap.add_argument("--statements", type=int, default=100000)
    ap.add_argument("--rounds", type=int, default=5)
    args = ap.parse_args()
    os.environ["TUIDANG_BIN"] = os.path.abspath(args.binary)
    root = tempfile.mkdtemp(prefix="crawler-bench-")
    try:
        data = os.path.join(root, "data")
        t0 = time.monotonic()
        test_crawler.fill(data, args.statements)
        print(f"{args.statements} statements imported in {time.monotonic() - t0:.1f} s")
        rows = [measure(data, n, args.rounds, args.statements) for n in (1, 0)]
    finally:
        shutil.rmtree(root, ignore_errors=True)
    print(f"\nnproc {os.cpu_count()}, load average {os.getloadavg()[0]:.1f}")
    print("| read_threads | crawler pages/s | /healthz p50 ms (unloaded → crawler, ratio) "
          "| /healthz p90 | submit p50 | submit p90 |")
    print("|---|---|---|---|---|---|")
    for r in rows:
        cells = [f"{a:.2f} → {b:.2f} ({c:.2f})" for a, b, c in
                 (r["healthz_p50"], r["healthz_p90"], r["submit_p50"], r["submit_p90"])]
        print(f"| {r['read_threads']} | {r['pages_per_s']:.0f} | " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main()
