#!/usr/bin/env python3
"""A crawler at full speed (issue 13): 16 keep-alive connections asking random deep pages of
a large day, statements, the name search for the most common pseudonym and the statements
API, as fast as the server answers, must not slow /healthz or a durable submission (the
read lane, docs/deploy-safety.md "A crawler": those pages read the store on their own
threads at a lower priority, so the crawler queues behind them, not before the others).

The figure the issue names (within 20 %) is measured by bench/crawler.sh; this test holds
the bound of tests/loadprobe.py (twice the unloaded median, plus 5 ms here), which the server
without the lane (read_threads = 0) fails: /healthz then waits behind the crawler's pages.

Run as `test_crawler.py --crawl HOST PORT SECONDS THREADS DAY` it is the crawler itself."""
import json
import os
import random
import subprocess
import sys
import threading
import time
import unittest

import harness
import loadprobe

IMPORTED = 3000
COMMON = "王先生"
SEARCHED = "%E7%8E%8B%E5%85%88%E7%94%9F"  # COMMON in the query
ROUNDS = 4
UNLOADED_SECONDS = 1.0
CRAWL_SECONDS = 2.0
CRAWL_THREADS = 16
CRAWL_SLACK_SECONDS = 0.005


def crawl_main(host, port, seconds, threads, day, imported=IMPORTED):
    """Asks pages at random from `threads` connections for `seconds` of a day of `imported`
    statements (fill()); prints one JSON line per thread: the answers by status."""
    port, seconds, threads, imported = int(port), float(seconds), int(threads), int(imported)
    pages = imported // 50
    print("start", flush=True)
    end = time.monotonic() + seconds
    out, lock = [], threading.Lock()

    def worker(t):
        rng = random.Random(t)
        client = harness.Client(host, port, timeout=30)
        counts = {}
        try:
            while time.monotonic() < end:
                k = rng.random()
                if k < 0.3:
                    path = f"/statements?date={day}&page={rng.randint(2, pages)}"
                elif k < 0.4:
                    path = f"/statements/{rng.randint(1, imported)}"
                elif k < 0.9:
                    # The common name from a random cursor: not cached, 101 rows and a count.
                    path = (f"/search?name={SEARCHED}&before={rng.randint(2, imported)}")
                else:
                    path = f"/api/v1/statements?date={day}&limit=100"
                try:
                    status = client.get(path).status
                except OSError:
                    client.close()
                    status = "error"
                counts[str(status)] = counts.get(str(status), 0) + 1
        finally:
            client.close()
        with lock:
            out.append(counts)

    harness.run_threads(threads, worker, timeout=seconds + 60)
    for counts in out:
        print(json.dumps(counts))


class CrawlerTest(unittest.TestCase):
    SETTINGS = {"client_key": "off", "publish_policy": "publish",
                "publication_interval_seconds": 0}

    def test_crawler_does_not_slow_healthz_or_submissions(self):
        server = harness.Server(self.SETTINGS, name="crawler")
        try:
            fill(server.data)
            server.start()
            day = harness.today_cst()

            def crawler():
                return subprocess.Popen(
                    [sys.executable, __file__, "--crawl", server.host, str(server.port),
                     str(CRAWL_SECONDS), str(CRAWL_THREADS), day],
                    stdout=subprocess.PIPE, text=True)
            # 5 ms of slack, not loadprobe's 10: no hash here, and without the lane a
            # submission's median went 1.4 -> 14.5 ms (healthz 0.6 -> 6.2 ms); with it
            # 1.4 -> 2.0 ms (healthz 0.6 -> 0.4 ms).
            answers, _ = loadprobe.compare(self, server, crawler, ROUNDS, UNLOADED_SECONDS,
                                           "crawler", slack=CRAWL_SLACK_SECONDS)
        finally:
            server.stop()
            server.cleanup()
        total = {}
        for counts in answers:
            for status, n in counts.items():
                total[status] = total.get(status, 0) + n
        print(f"crawler answers: {total}", file=sys.stderr)
        # The crawler was served (not refused): a lane that answered it 503 would pass the
        # bound above without protecting anything a reader wants.
        self.assertGreaterEqual(total.get("200", 0), 0.95 * sum(total.values()), total)
        self.assertGreaterEqual(total.get("200", 0), 200, f"the crawler was slow: {total}")


def fill(data, imported=IMPORTED):
    """Makes the data folder `data`: `imported` statements of today from a sheet, two in
    five of them under COMMON."""
    def run(*args):
        r = subprocess.run([harness.binary(), *args], capture_output=True, timeout=3600)
        if r.returncode != 0:
            raise AssertionError(f"tuidang {' '.join(args)}: {r.stderr.decode()}")
    run("init", "--data", data)
    run("user", "add", "crawl", "--role", "volunteer", "--data", data)
    sheet = os.path.join(data, "..", "crawler-sheet.csv")
    with open(sheet, "w", encoding="utf-8") as f:
        f.write("姓名,组织,内容\n")
        for i in range(imported):
            f.write(f"{COMMON if i % 5 < 2 else f'李{i}'},党,第{i}行\n")
    run("import", sheet, "--channel", "sheet", "--operator", "crawl", "--data", data)
    os.remove(sheet)


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--crawl":
        crawl_main(*sys.argv[2:8])
    else:
        unittest.main(verbosity=2)
