#!/usr/bin/env python3
"""Reach (issue 6): page weight budgets and a slow, lossy link.

- Weight: on the live server and in a static export, the submit page with everything it
  loads stays under 30 KB, a full day list page (50 statements with long texts) under
  100 KB, and no page loads anything from another origin.
- Slow link: the server listens on one end of a veth pair, the client runs in a network
  namespace of its own behind tc netem (64 kbit/s, 800 ms delay, 2% loss, both ways); the
  submit page with its style sheet loads and a statement is submitted and its receipt page
  shown within 30 s. Needs root and the kernel's netem; skipped with the reason otherwise.
- Slow link, emulated in userspace (always runs): Debian's Chromium with JavaScript off
  reaches the server through a TCP proxy in this test that emulates the same link (see
  SlowLinkProxy for what it models and what it does not); the submit page loads, the
  statement is submitted and the receipt page shown within 30 s.
"""
import asyncio
import html.parser
import os
import random
import shutil
import subprocess
import sys
import tempfile
import threading
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
r = c.getresponse(); receipt = r.read()
assert r.status == 200, r.status  # the receipt is the answer itself (no redirect)
code = re.search(rb'id="receipt-code">([0-9-]+)<', receipt).group(1).decode()
print(f"loaded {loaded:.1f} submitted {time.monotonic() - start:.1f} receipt {code} {len(page)}")
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
            self.assertRegex(r.stdout, r"receipt \d{4}(-\d{4}){5} ")
            self.assertEqual(server.stats()["total_statements"], 1)
        finally:
            server.stop()
            server.cleanup()


# ---------------------------------------------------------------------------------------
# The slow link, emulated in userspace

class SlowLinkProxy:
    """A TCP proxy that emulates the netem link above: 64 kbit/s each way, 800 ms one-way
    delay, 2% loss.

    What it models, per direction, on one link shared by every connection (a browser opens
    several): the bytes are cut into segments of at most 1,460 bytes and paced at 64 kbit/s
    counting 40 bytes of TCP/IP header per segment (a segment leaves the link only when the
    previous one has); each segment arrives 800 ms after it left; with probability 2% (a
    seeded random.Random, so runs repeat) a segment is lost and arrives only after an extra
    retransmission timeout of 1 s, and, as in TCP, nothing behind it on the same connection
    is delivered before it (head-of-line blocking). A new connection first waits one round
    trip (1.6 s), the TCP handshake.

    What it does not model: TCP's congestion window (slow start, halving after a loss),
    the ACKs' share of the reverse direction, several losses of one segment, reordering,
    a router queue that drops on overflow, DNS, and TLS (the real link often adds a TLS or
    Tor handshake of one or more round trips more). The netem test covers these when the
    kernel has netem."""

    RATE = 64_000 / 8        # bytes per second
    DELAY = 0.8              # one-way, seconds
    LOSS = 0.02
    RTO = 1.0                # the stall a lost segment costs
    MSS = 1460
    HEADER = 40

    def __init__(self, upstream_host, upstream_port, seed=6):
        self.upstream = (upstream_host, upstream_port)
        self.random = random.Random(seed)
        self.link_free = {"up": 0.0, "down": 0.0}  # when each direction's link is idle again
        self.bytes = {"up": 0, "down": 0}
        self.lost = 0
        self.connections = 0
        self.loop = asyncio.new_event_loop()
        self.ready = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.port = None

    def start(self):
        self.thread.start()
        if not self.ready.wait(10):
            raise RuntimeError("the proxy did not start")

    def stop(self):
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(10)

    def _run(self):
        asyncio.set_event_loop(self.loop)
        server = self.loop.run_until_complete(
            asyncio.start_server(self._client, "127.0.0.1", 0))
        self.port = server.sockets[0].getsockname()[1]
        self.ready.set()
        try:
            self.loop.run_forever()
        finally:
            server.close()
            self.loop.close()

    async def _client(self, reader, writer):
        self.connections += 1
        await asyncio.sleep(2 * self.DELAY)  # the handshake's round trip
        try:
            up_reader, up_writer = await asyncio.open_connection(*self.upstream)
        except OSError:
            writer.close()
            return
        await asyncio.gather(self._pipe(reader, up_writer, "up"),
                             self._pipe(up_reader, writer, "down"), return_exceptions=True)

    async def _pipe(self, reader, writer, direction):
        """Reads from `reader` as fast as it comes; a second task delivers each segment to
        `writer` at its arrival time, in order."""
        queue = asyncio.Queue()

        async def deliver():
            while True:
                item = await queue.get()
                if item is None:
                    break
                at, data = item
                delay = at - self.loop.time()
                if delay > 0:
                    await asyncio.sleep(delay)
                writer.write(data)
                await writer.drain()
            if writer.can_write_eof():
                writer.write_eof()

        task = asyncio.ensure_future(deliver())
        last_arrival = 0.0
        try:
            while True:
                data = await reader.read(65536)
                if not data:
                    break
                for i in range(0, len(data), self.MSS):
                    segment = data[i:i + self.MSS]
                    now = self.loop.time()
                    sent = max(now, self.link_free[direction]) + (len(segment) + self.HEADER) / self.RATE
                    self.link_free[direction] = sent
                    arrival = sent + self.DELAY
                    if self.random.random() < self.LOSS:
                        self.lost += 1
                        arrival += self.RTO
                    last_arrival = max(last_arrival, arrival)  # in order, as TCP delivers
                    self.bytes[direction] += len(segment)
                    queue.put_nowait((last_arrival, segment))
        except (ConnectionError, OSError):
            pass
        finally:
            queue.put_nowait(None)
            try:
                await task
            except (ConnectionError, OSError):
                pass
            writer.close()


class EmulatedSlowLinkTest(unittest.TestCase):
    """Chromium (JavaScript off, like Tor Browser "Safest") through SlowLinkProxy: the
    submit page loads with its style sheet, the statement is submitted and the receipt page
    shown within 30 s."""

    def test_submit_through_emulated_slow_link(self):
        sys.path.append("/usr/lib/python3/dist-packages")  # Debian's python3-selenium
        from selenium import webdriver
        from selenium.webdriver.chrome.service import Service
        from selenium.webdriver.common.by import By
        from selenium.webdriver.support.ui import WebDriverWait

        server = harness.Server(None, name="reach-emulated")
        server.start()
        proxy = SlowLinkProxy("127.0.0.1", server.port)
        proxy.start()
        profile = tempfile.mkdtemp(prefix="tuidang-chromium-slow-")
        driver = None
        try:
            opts = webdriver.ChromeOptions()
            opts.binary_location = "/usr/bin/chromium"
            for flag in ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                         "--no-first-run", "--disable-background-networking",
                         "--disable-component-update", "--disable-sync", "--no-proxy-server",
                         "--disable-dev-shm-usage", "--lang=zh-CN", "--window-size=1024,900",
                         f"--user-data-dir={profile}"):
                opts.add_argument(flag)
            opts.add_experimental_option("prefs", {
                "profile.managed_default_content_settings.javascript": 2,
                "intl.accept_languages": "zh-CN,zh",
            })
            driver = webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=opts)
            driver.set_page_load_timeout(SLOW_LINK_BUDGET_S)
            base = f"http://127.0.0.1:{proxy.port}"

            t0 = time.monotonic()
            driver.get(base + "/submit")  # returns once the page and its style sheet loaded
            loaded = time.monotonic() - t0
            self.assertEqual(driver.find_element(By.TAG_NAME, "html").get_attribute("lang"),
                             "zh-Hans")
            # The style sheet came through the link too (its rules apply).
            header = driver.find_element(By.TAG_NAME, "header")
            self.assertEqual(header.value_of_css_property("background-color"),
                             "rgba(139, 0, 0, 1)")
            driver.find_element(By.NAME, "name").send_keys("慢速链路")
            driver.find_element(By.CSS_SELECTOR, "input[name='org'][value='party']").click()
            buttons = [b for b in driver.find_elements(By.CSS_SELECTOR,
                                                       "form button, form input[type='submit']")
                       if (b.get_attribute("type") or "submit") == "submit"
                       and b.get_attribute("name") != "more"]
            self.assertTrue(buttons, "no submit button")
            buttons[0].click()
            remaining = max(1.0, SLOW_LINK_BUDGET_S - (time.monotonic() - t0))
            WebDriverWait(driver, remaining).until(
                lambda d: d.find_elements(By.CSS_SELECTOR, "#write-down code.receipt"))
            elapsed = time.monotonic() - t0
            code = driver.find_element(By.CSS_SELECTOR, "code.receipt").text.strip()
            self.assertRegex(code, harness.RECEIPT_RE)
            print(f"[emulated slow link] submit page in {loaded:.1f} s, receipt shown at "
                  f"{elapsed:.1f} s; {proxy.connections} connections, {proxy.bytes['down']} bytes "
                  f"down, {proxy.bytes['up']} up, {proxy.lost} segments lost", file=sys.stderr)
            self.assertLess(elapsed, SLOW_LINK_BUDGET_S)
            # The link was really slow: the page alone cannot have come faster than the
            # handshake and one request's round trip.
            self.assertGreater(loaded, 4 * SlowLinkProxy.DELAY)
            self.assertEqual(server.stats()["total_statements"], 1)
        finally:
            if driver is not None:
                driver.quit()
            proxy.stop()
            shutil.rmtree(profile, ignore_errors=True)
            server.stop()
            server.cleanup()


if __name__ == "__main__":
    unittest.main()
