#!/usr/bin/env python3
"""`tuidang export` and `tuidang verify-mirror` (issue 6): the static mirror.

Statements are published through the API of a running server, then exported. The test
checks the export as a reader would use it: every page and every link relative and
resolving inside the folder (so it works from any path or file://), the submit page
pointing to the live addresses, the log byte for byte as the server serves it, `tuidang
audit` accepting the folder and the folder served by Debian's nginx over HTTP, and the
signed manifest catching a changed, a missing and an unlisted file. A second export after
more statements and a withdrawal rewrites only what changed (full tiles and earlier
statement pages keep their inode and mtime), deletes the withdrawn statement's pages, and
a reader polling the folder meanwhile never sees a checkpoint whose tiles are missing."""
import html.parser
import os
import re
import shutil
import signal
import subprocess
import tempfile
import threading
import time
import unittest
import urllib.parse

import harness

TILE_RE = re.compile(r"^log/tile/")


class Links(html.parser.HTMLParser):
    def __init__(self):
        super().__init__()
        self.links = []  # (tag, attribute, value)
        self.scripts = 0

    def handle_starttag(self, tag, attrs):
        if tag == "script":
            self.scripts += 1
        for k, v in attrs:
            if k in ("href", "src", "action") and v is not None:
                self.links.append((tag, k, v))


def files_under(root):
    out = {}
    for d, _, names in os.walk(root):
        for n in names:
            p = os.path.join(d, n)
            rel = os.path.relpath(p, root)
            if rel.startswith(".export-tmp"):
                continue
            st = os.stat(p)
            out[rel] = (st.st_ino, st.st_mtime_ns)
    return out


class ExportTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.server = harness.Server({"checkpoint_interval_ms": 100}, name="export")
        cls.server.start()
        cls.work = tempfile.mkdtemp(prefix="export-test-")
        cls.out = os.path.join(cls.work, "mirror")
        cls.numbers = []
        regions = harness.REGIONS
        for i in range(40):
            extra = [{"name": f"家人{i}", "organisations": ["league"]}] if i % 3 == 0 else []
            r = cls.server.submit_api(f"王{i}", organisations=("party", "pioneers"),
                                      region=regions[i % len(regions)],
                                      occupation=harness.OCCUPATIONS[i % 5], persons=extra,
                                      text=f"退出 <b>{i}</b> & \"引号\"")
            cls.numbers.append(r["number"])

    @classmethod
    def tearDownClass(cls):
        try:
            cls.server.stop()
        finally:
            cls.server.cleanup()
            if os.environ.get("TUIDANG_KEEP"):
                print(f"[export test] kept {cls.work}")
            else:
                shutil.rmtree(cls.work, ignore_errors=True)

    # -- helpers --

    def run_tuidang(self, *args, timeout=120):
        env = dict(os.environ, NO_PROXY="127.0.0.1,localhost", no_proxy="127.0.0.1,localhost")
        return subprocess.run([harness.binary(), *args], capture_output=True, text=True,
                              timeout=timeout, stdin=subprocess.DEVNULL, env=env)

    def vkey(self):
        out = self.run_tuidang("log", "key", "--data", self.server.data)
        self.assertEqual(out.returncode, 0, out.stderr)
        return out.stdout.strip()

    def export(self, *extra):
        out = self.run_tuidang("export", "--data", self.server.data, "--out", self.out,
                               "--submit-url", "https://live.example.org",
                               "--submit-url", "http://abcdefghijklmnop.onion", *extra)
        self.assertEqual(out.returncode, 0, out.stderr + out.stdout)
        self.assertIn("exported", out.stdout)
        return out.stdout

    def read(self, rel):
        with open(os.path.join(self.out, rel), "rb") as f:
            return f.read()

    def check_links(self):
        """Every page's links are relative and resolve in the folder, or go to the live site."""
        pages = [p for p in files_under(self.out) if p.endswith(".html")]
        self.assertGreater(len(pages), 10)
        for page in pages:
            text = self.read(page).decode("utf-8")
            parser = Links()
            parser.feed(text)
            self.assertEqual(parser.scripts, 0, page)
            for tag, attr, value in parser.links:
                if value.startswith(("https://live.example.org/", "http://abcdefghijklmnop.onion/")):
                    continue  # search, receipts, the submit page's addresses: the live site
                self.assertFalse(value.startswith("/"), f"{page}: absolute link {value}")
                self.assertNotIn("://", value, f"{page}: link to another origin {value}")
                target = urllib.parse.urlsplit(value).path
                resolved = os.path.normpath(os.path.join(os.path.dirname(page), target))
                self.assertFalse(resolved.startswith(".."), f"{page}: {value} leaves the folder")
                self.assertTrue(os.path.isfile(os.path.join(self.out, resolved)),
                                f"{page}: {tag} {attr}={value} -> {resolved} is missing")

    def check_log_as_served(self):
        """Every log file of the export is byte for byte what the server serves."""
        files = [p for p in files_under(self.out) if p.startswith("log/")]
        self.assertIn("log/checkpoint", files)
        client = self.server.client()
        try:
            for rel in files:
                if rel == "log/checkpoint":
                    continue
                r = client.get("/" + rel)
                self.assertEqual(r.status, 200, rel)
                self.assertEqual(r.body, self.read(rel), rel)
        finally:
            client.close()

    def audit(self, source):
        out = self.run_tuidang("audit", source, "--vkey", self.vkey())
        self.assertEqual(out.returncode, 0, out.stderr)
        self.assertTrue(out.stdout.startswith("audit ok"), out.stdout)
        return out.stdout

    def verify(self):
        return self.run_tuidang("verify-mirror", self.out, "--vkey", self.vkey())

    # -- the test, in order: the second export builds on the first --

    def test_export_mirror(self):
        self.export()
        today = harness.today_cst()
        # The pages a reader expects, in the three languages.
        for prefix in ("", "zh-hant/", "en/"):
            for page in ("index.html", "submit.html", "stats.html", "stats-365.html",
                         "stats-all.html", "log.html", "mirror.html",
                         f"statements/{today}.html"):
                self.assertTrue(os.path.isfile(os.path.join(self.out, prefix + page)), prefix + page)
            for n in self.numbers:
                self.assertTrue(os.path.isfile(
                    os.path.join(self.out, f"{prefix}statements/{today}/{n}.html")))
        for f in ("stats.csv", "api/v1/stats.json", "static/site.css", "manifest.txt",
                  "manifest.sig", "log/checkpoint"):
            self.assertTrue(os.path.isfile(os.path.join(self.out, f)), f)
        submit = self.read("en/submit.html").decode()
        self.assertIn("https://live.example.org/en/submit", submit)
        self.assertIn("http://abcdefghijklmnop.onion/en/submit", submit)
        self.assertNotIn("<form", submit)
        page = self.read(f"statements/{today}/{self.numbers[0]}.html").decode()
        self.assertIn("&lt;b&gt;0&lt;/b&gt;", page)  # user text escaped
        self.assertNotIn("<b>0</b>", page)
        stats_html = self.read("en/stats.html").decode()
        self.assertIn("<svg", stats_html)
        self.check_links()
        self.check_log_as_served()
        self.assertIn("totals at tree size", self.audit(self.out))

        # The signed manifest: OK, then a changed, a missing and an unlisted file fail.
        ok = self.verify()
        self.assertEqual(ok.returncode, 0, ok.stderr)
        self.assertIn("mirror ok", ok.stdout)
        victim = os.path.join(self.out, f"statements/{today}/{self.numbers[1]}.html")
        original = self.read(f"statements/{today}/{self.numbers[1]}.html")
        with open(victim, "wb") as f:
            f.write(original.replace("王1".encode(), "假1".encode()))
        bad = self.verify()
        self.assertEqual(bad.returncode, 1)
        self.assertIn(f"changed: statements/{today}/{self.numbers[1]}.html", bad.stderr)
        os.remove(victim)
        self.assertIn("missing: ", self.verify().stderr)
        with open(victim, "wb") as f:
            f.write(original)
        with open(os.path.join(self.out, "en", "extra.html"), "w") as f:
            f.write("<p>not from the center</p>")
        self.assertIn("not in the manifest: en/extra.html", self.verify().stderr)
        os.remove(os.path.join(self.out, "en", "extra.html"))
        other_key = self.run_tuidang("init", "--data", os.path.join(self.work, "other"))
        other = re.search(r"log verifier key: (\S+)", other_key.stdout).group(1)
        wrong = self.run_tuidang("verify-mirror", self.out, "--vkey", other)
        self.assertEqual(wrong.returncode, 1)
        self.assertEqual(self.verify().returncode, 0)

        # Served by nginx, the mirror audits over HTTP.
        self.serve_with_nginx()

        # A second export after more statements (past a full tile) and a withdrawal.
        before = files_under(self.out)
        first_checkpoint = self.read("log/checkpoint")
        withdrawn = self.numbers[5]
        w = self.run_tuidang("withdraw", str(withdrawn), "--reason", "danger",
                             "--data", self.server.data)
        self.assertEqual(w.returncode, 0, w.stderr)
        more = [self.server.submit_api(f"李{i}", organisations=("league",))["number"]
                for i in range(230)]
        stop = threading.Event()
        torn = []

        def reader():
            # A reader of the folder: whatever checkpoint it sees, the tiles it names exist.
            while not stop.is_set():
                try:
                    cp = self.read("log/checkpoint").decode().split("\n")
                    size = int(cp[1])
                except (OSError, ValueError, IndexError) as e:
                    torn.append(f"checkpoint unreadable: {e}")
                    continue
                full, rest = divmod(size, 256)
                names = [f"log/tile/0/{harness_group(n)}" for n in range(full)]
                if rest:
                    names.append(f"log/tile/0/{harness_group(full)}.p/{rest}")
                for n in names:
                    if not os.path.exists(os.path.join(self.out, n)):
                        torn.append(f"size {size}: {n} missing")
                time.sleep(0.005)

        t = threading.Thread(target=reader)
        t.start()
        try:
            report = self.export()
        finally:
            stop.set()
            t.join()
        self.assertEqual(torn, [], torn[:5])
        self.assertNotEqual(self.read("log/checkpoint"), first_checkpoint)
        after = files_under(self.out)
        # Earlier statement pages, full tiles, unchanged pages: not rewritten.
        for rel, ident in before.items():
            if re.match(r"^(zh-hant/|en/)?statements/\d{4}-\d{2}-\d{2}/\d+\.html$", rel):
                if rel.endswith(f"/{withdrawn}.html"):
                    self.assertNotIn(rel, after, "a withdrawn statement's page stays")
                else:
                    self.assertEqual(after.get(rel), ident, f"{rel} was rewritten")
            if TILE_RE.match(rel) and ".p/" not in rel:
                self.assertEqual(after.get(rel), ident, f"full tile {rel} was rewritten")
        for rel in ("static/site.css", "en/mirror.html"):
            self.assertEqual(after.get(rel), before[rel], f"{rel} was rewritten unchanged")
        for n in more:
            self.assertIn(f"en/statements/{today}/{n}.html", after)
        self.assertIn("log/tile/0/000", after)  # the first tile is now full
        first_size = int(first_checkpoint.decode().split("\n")[1])
        # The previous checkpoint's partial tiles stay one more export (for its readers).
        self.assertIn(f"log/tile/0/000.p/{first_size}", after)
        self.assertRegex(report, r"\d+ deleted")
        self.check_links()
        self.check_log_as_served()
        self.audit(self.out)
        ok = self.verify()
        self.assertEqual(ok.returncode, 0, ok.stderr)

        # A third export with nothing new writes nothing but what always changes (none).
        again = self.export()
        self.assertIn("(0 written", again)
        final = files_under(self.out)
        self.assertNotIn(f"log/tile/0/000.p/{first_size}", final, "an old partial tile stays")
        self.assertNotIn(f"log/tile/entries/000.p/{first_size}", final)
        self.assertEqual(self.verify().returncode, 0)

    def serve_with_nginx(self):
        nginx = shutil.which("nginx") or "/usr/sbin/nginx"
        if not os.path.exists(nginx):
            self.fail("nginx is not installed (scripts/setup.sh --test installs nginx-light)")
        port = harness.free_port()
        conf_dir = os.path.join(self.work, "nginx")
        os.makedirs(conf_dir, exist_ok=True)
        conf = os.path.join(conf_dir, "nginx.conf")
        with open(conf, "w") as f:
            f.write(f"""daemon off;
master_process off;
worker_processes 1;
pid {conf_dir}/nginx.pid;
error_log {conf_dir}/error.log;
events {{ worker_connections 64; }}
http {{
  include /etc/nginx/mime.types;
  default_type application/octet-stream;
  access_log off;
  client_body_temp_path {conf_dir}/body;
  proxy_temp_path {conf_dir}/proxy;
  fastcgi_temp_path {conf_dir}/fastcgi;
  uwsgi_temp_path {conf_dir}/uwsgi;
  scgi_temp_path {conf_dir}/scgi;
  server {{
    listen 127.0.0.1:{port};
    root {self.out};
    index index.html;
    location /log/ {{ types {{ }} default_type application/octet-stream; }}
    location = /log/checkpoint {{ types {{ }} default_type "text/plain; charset=utf-8"; }}
  }}
}}
""")
        # nginx runs as root here and serves the mirror as its user: make the folder readable.
        os.chmod(self.work, 0o755)
        proc = subprocess.Popen([nginx, "-c", conf, "-p", conf_dir], stdout=subprocess.DEVNULL,
                                stderr=subprocess.PIPE)
        try:
            deadline = time.time() + 10
            client = harness.Client("127.0.0.1", port, timeout=5)
            while True:
                try:
                    r = client.get("/en/stats.html")
                    break
                except OSError:
                    if time.time() > deadline or proc.poll() is not None:
                        self.fail("nginx did not start: " + (proc.stderr.read().decode()
                                                             if proc.poll() is not None else ""))
                    time.sleep(0.1)
            self.assertEqual(r.status, 200)
            self.assertIn(b"<svg", r.body)
            r = client.get("/")
            self.assertEqual(r.status, 200)
            self.assertIn('lang="zh-Hans"', r.text)
            client.close()
            self.assertIn("totals at tree size", self.audit(f"http://127.0.0.1:{port}"))
        finally:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
            proc.stderr.close()


def harness_group(n):
    parts = []
    while n >= 1000:
        parts.insert(0, f"{n % 1000:03d}")
        n //= 1000
    parts.insert(0, f"{n:03d}")
    return "/".join(["x" + p for p in parts[:-1]] + [parts[-1]])


if __name__ == "__main__":
    unittest.main()
