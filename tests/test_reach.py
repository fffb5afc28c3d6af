#!/usr/bin/env python3
"""Reach (issue 6): page weight budgets and a slow, lossy link.

- Weight: on the live server and in a static export, the submit page with everything it
  loads stays under 30 KB, a full day list page (50 statements with long texts) under
  100 KB, and no page loads anything from another origin.
- Slow link: the server listens on one end of a veth pair, the client runs in a network
  namespace of its own behind tc netem (64 kbit/s, 800 ms delay, 2% loss, both ways); the
  submit page with its style sheet loads and a statement is submitted and its receipt page
  shown within 30 s. Needs root and the kernel's netem; skipped with the reason otherwise.
"""
import html.parser
import os
import shutil
import subprocess
import sys
import tempfile
import time
import unittest
import urllib.parse

import harness

SUBMIT_BUDGET = 30 * 1024
DAY_BUDGET = 100 * 1024
SLOW_LINK_BUDGET_S = 30


class Resources(html.parser.HTMLParser):
    """What a browser loads for a page: style sheets, images, scripts, frames, icons."""

    def __init__(self):
        super().__init__()
        self.loads = []

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "link" and a.get("rel") in ("stylesheet", "icon", "preload"):
            self.loads.append(a.get("href"))
        elif tag in ("img", "script", "iframe", "embed", "source", "audio", "video") and a.get("src"):
            self.loads.append(a["src"])
        elif tag == "object" and a.get("data"):
            self.loads.append(a["data"])


def resources(text):
    p = Resources()
    p.feed(text)
    return p.loads


class WeightTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.server = harness.Server({"checkpoint_interval_ms": 100}, name="reach")
        cls.server.start()
        # A full first page of today's list: 50 statements with long texts and a few persons.
        for i in range(60):
            cls.server.submit_api(f"王小明{i}", organisations=("party", "league"),
                                  region="guangdong", occupation="teacher",
                                  persons=[{"name": f"李华{i}-{k}", "organisations": ["league"]}
                                           for k in range(3)],
                                  text="我声明退出中国共产党及其附属组织。" * 12)
        cls.work = tempfile.mkdtemp(prefix="reach-test-")

    @classmethod
    def tearDownClass(cls):
        try:
            cls.server.stop()
        finally:
            cls.server.cleanup()
            shutil.rmtree(cls.work, ignore_errors=True)

    def weigh_live(self, path):
        r = self.server.get(path)
        self.assertEqual(r.status, 200, r.describe())
        total = len(r.body)
        for url in resources(r.text):
            parts = urllib.parse.urlsplit(url)
            self.assertFalse(parts.scheme or parts.netloc, f"{path} loads {url} from another origin")
            sub = self.server.get(urllib.parse.urljoin(path, url))
            self.assertEqual(sub.status, 200, url)
            total += len(sub.body)
        return total

    def test_live_budgets(self):
        for prefix in ("", "/zh-hant", "/en"):
            weight = self.weigh_live(prefix + "/submit")
            self.assertLess(weight, SUBMIT_BUDGET, f"{prefix}/submit weighs {weight} bytes")
            weight = self.weigh_live(prefix + "/statements")
            self.assertLess(weight, DAY_BUDGET, f"{prefix}/statements weighs {weight} bytes")
            for page in ("/", "/stats", "/log"):
                self.weigh_live(prefix + page)  # no other origin

    def test_export_budgets(self):
        out = os.path.join(self.work, "mirror")
        r = subprocess.run([harness.binary(), "export", "--data", self.server.data, "--out", out,
                            "--submit-url", "https://live.example.org"],
                           capture_output=True, text=True, timeout=120)
        self.assertEqual(r.returncode, 0, r.stderr)
        today = harness.today_cst()
        for page, budget in (("submit.html", SUBMIT_BUDGET), ("en/submit.html", SUBMIT_BUDGET),
                             (f"statements/{today}.html", DAY_BUDGET),
                             (f"en/statements/{today}.html", DAY_BUDGET)):
            path = os.path.join(out, page)
            with open(path, encoding="utf-8") as f:
                text = f.read()
            total = len(text.encode())
            for url in resources(text):
                parts = urllib.parse.urlsplit(url)
                self.assertFalse(parts.scheme or parts.netloc, f"{page} loads {url}")
                total += os.path.getsize(os.path.normpath(os.path.join(os.path.dirname(path), url)))
            self.assertLess(total, budget, f"{page} weighs {total} bytes")


# ---------------------------------------------------------------------------------------
# The slow link

NS = f"tuidang-reach-{os.getpid()}"
HOST_IF, NS_IF = f"tdh{os.getpid() % 100000}", f"tdn{os.getpid() % 100000}"
HOST_IP, NS_IP = "10.213.7.1", "10.213.7.2"
NETEM = ["netem", "rate", "64kbit", "delay", "800ms", "loss", "2%"]

CLIENT = r'''
import http.client, sys, time, urllib.parse, re
host, port = sys.argv[1], int(sys.argv[2])
start = time.monotonic()
def conn():
    return http.client.HTTPConnection(host, port, timeout=25)
c = conn()
c.request("GET", "/submit")
r = c.getresponse(); page = r.read()
assert r.status == 200, r.status
css = re.search(rb'href="(/static/[^"]+)"', page).group(1).decode()
c.request("GET", css)
r = c.getresponse(); r.read()
assert r.status == 200
loaded = time.monotonic() - start
body = urllib.parse.urlencode([("name", "慢速网络"), ("name_kind", "pseudonym"), ("org", "party")])
c.request("POST", "/submit", body=body, headers={"Content-Type": "application/x-www-form-urlencoded"})
r = c.getresponse(); r.read()
assert r.status == 303, r.status
location = r.getheader("Location")
c.request("GET", location)
r = c.getresponse(); receipt = r.read()
assert r.status == 200, r.status
print(f"loaded {loaded:.1f} submitted {time.monotonic() - start:.1f} {location} {len(page)}")
'''


def run(*cmd, check=True):
    return subprocess.run(list(cmd), capture_output=True, text=True, timeout=30, check=check)


class SlowLinkTest(unittest.TestCase):
    def setUp(self):
        if os.geteuid() != 0 or not shutil.which("ip") or not shutil.which("tc"):
            self.skipTest("needs root, ip and tc (iproute2) for a network namespace")
        self.cleanups = []
        try:
            run("ip", "netns", "add", NS)
        except subprocess.CalledProcessError as e:
            self.skipTest(f"cannot create a network namespace: {e.stderr.strip()}")
        self.cleanups.append(lambda: run("ip", "netns", "del", NS, check=False))
        run("ip", "link", "add", HOST_IF, "type", "veth", "peer", "name", NS_IF)
        self.cleanups.append(lambda: run("ip", "link", "del", HOST_IF, check=False))
        run("ip", "link", "set", NS_IF, "netns", NS)
        run("ip", "addr", "add", f"{HOST_IP}/30", "dev", HOST_IF)
        run("ip", "link", "set", HOST_IF, "up")
        run("ip", "netns", "exec", NS, "ip", "addr", "add", f"{NS_IP}/30", "dev", NS_IF)
        run("ip", "netns", "exec", NS, "ip", "link", "set", NS_IF, "up")
        run("ip", "netns", "exec", NS, "ip", "link", "set", "lo", "up")
        for prefix in ([], ["ip", "netns", "exec", NS]):
            dev = NS_IF if prefix else HOST_IF
            r = run(*prefix, "tc", "qdisc", "add", "dev", dev, "root", *NETEM, check=False)
            if r.returncode != 0:
                self.tearDown()
                self.skipTest(f"the kernel lacks netem (tc: {r.stderr.strip()})")

    def tearDown(self):
        while getattr(self, "cleanups", None):
            self.cleanups.pop()()

    def test_submit_over_slow_lossy_link(self):
        server = harness.Server(None, host=HOST_IP, name="reach-slow")
        server.start()
        try:
            t0 = time.monotonic()
            r = subprocess.run(["ip", "netns", "exec", NS, sys.executable, "-c", CLIENT,
                                HOST_IP, str(server.port)],
                               capture_output=True, text=True, timeout=SLOW_LINK_BUDGET_S + 30)
            elapsed = time.monotonic() - t0
            self.assertEqual(r.returncode, 0, r.stderr)
            print(f"[slow link] {r.stdout.strip()} (wall {elapsed:.1f} s)", file=sys.stderr)
            self.assertLess(elapsed, SLOW_LINK_BUDGET_S, r.stdout)
            self.assertIn("/receipt/", r.stdout)
            self.assertEqual(server.stats()["total_statements"], 1)
        finally:
            server.stop()
            server.cleanup()


if __name__ == "__main__":
    unittest.main()
