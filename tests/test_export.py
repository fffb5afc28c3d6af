#!/usr/bin/env python3
"""`tuidang export` and `tuidang verify-mirror` (issue 6): the static mirror.

Statements are published through the API of a running server, then exported. The test
checks the export as a reader would use it: every page and every link relative and
resolving inside the folder (so it works from any path or file://), every link's anchor
present in its target (a statement is an entry of its day list, `statements/D.html#s-N`;
its certificate a section of the day page's certificates file, `certificates/D.html#c-N`,
showing number, day, names, organisations, leaf index and the checkpoint), the submit page
pointing to the live addresses, the log byte for byte as the server serves it, `tuidang
audit` accepting the folder and the folder served by Debian's nginx over HTTP, and the
signed manifest catching a changed, a missing and an unlisted file. A second export after
more statements and a withdrawal rewrites only what changed (full tiles and unchanged pages
keep their inode and mtime), removes the withdrawn statement and its certificate, and a
reader polling the folder meanwhile never sees a checkpoint whose tiles are missing. A
certificate prints alone when its anchor is targeted (Chromium's print-to-PDF)."""
import base64
import gzip
import html.parser
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import unittest
import urllib.parse

import harness

TILE_RE = re.compile(r"^log/tile/")
# The organisations as a certificate names them (Simplified, Traditional, English).
ORG_NAMES = {
    "": {"party": "党", "league": "团", "pioneers": "队"},
    "zh-hant/": {"party": "黨", "league": "團", "pioneers": "隊"},
    "en/": {"party": "Party", "league": "Youth League", "pioneers": "Young Pioneers"},
}


class Links(html.parser.HTMLParser):
    def __init__(self):
        super().__init__()
        self.links = []  # (tag, attribute, value)
        self.ids = set()
        self.scripts = 0

    def handle_starttag(self, tag, attrs):
        if tag == "script":
            self.scripts += 1
        for k, v in attrs:
            if k in ("href", "src", "action") and v is not None:
                self.links.append((tag, k, v))
            if k == "id" and v:
                self.ids.add(v)


class Certificates(html.parser.HTMLParser):
    """The certificates of a certificates file: id -> the text of each of its parts
    (declared, persons, number, day, leaf), and the checkpoint shared by all."""

    def __init__(self):
        super().__init__()
        self.certificates = {}
        self.checkpoint = ""
        self.current = None
        self.depth = 0
        self.part = None
        self.in_checkpoint = False

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        cls = a.get("class") or ""
        if tag == "article" and "certificate" in cls.split():
            self.current = self.certificates.setdefault(a["id"], {})
            self.depth = 0
        if self.current is not None:
            self.depth += 1
            for part in ("number", "day", "leaf", "persons"):
                if part in cls.split():
                    self.part = part
        if tag == "pre" and "checkpoint" in cls.split():
            self.in_checkpoint = True

    def handle_endtag(self, tag):
        if self.current is not None:
            self.depth -= 1
            if tag in ("dd", "ul"):
                self.part = None
            if tag == "article":
                self.current = None
        if tag == "pre":
            self.in_checkpoint = False

    def handle_data(self, data):
        if self.in_checkpoint:
            self.checkpoint += data
        if self.current is not None:
            self.current["text"] = self.current.get("text", "") + data
            if self.part:
                self.current[self.part] = self.current.get(self.part, "") + data


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


def run_tuidang(*args, timeout=120):
    env = dict(os.environ, NO_PROXY="127.0.0.1,localhost", no_proxy="127.0.0.1,localhost")
    return subprocess.run([harness.binary(), *args], capture_output=True, text=True,
                          timeout=timeout, stdin=subprocess.DEVNULL, env=env)


def export(server, out, *extra):
    """`tuidang export` of `server`'s data into `out`; its report (raises when it fails)."""
    r = run_tuidang("export", "--data", server.data, "--out", out,
                    "--submit-url", "https://live.example.org",
                    "--submit-url", "http://abcdefghijklmnop.onion", *extra)
    if r.returncode != 0 or "exported" not in r.stdout:
        raise AssertionError(f"export failed ({r.returncode}): {r.stderr}{r.stdout}")
    return r.stdout


class MirrorTest(unittest.TestCase):
    """A server with 40 published statements (set up once per class, as every class here
    needs it) and its export in cls.out. Tests only read the class's server and export;
    a test that changes a folder works on its own copy (own_copy) or its own export."""

    @classmethod
    def setUpClass(cls):
        cls.server = harness.Server({"checkpoint_interval_ms": 100}, name="export")
        try:
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
            cls.first_report = export(cls.server, cls.out)
        except BaseException:
            cls.tearDownClass()
            raise

    @classmethod
    def tearDownClass(cls):
        try:
            cls.server.stop()
        finally:
            cls.server.cleanup()
            work = getattr(cls, "work", None)
            if work and os.environ.get("TUIDANG_KEEP"):
                print(f"[export test] kept {work}")
            elif work:
                shutil.rmtree(work, ignore_errors=True)

    # -- helpers --

    def run_tuidang(self, *args, timeout=120):
        return run_tuidang(*args, timeout=timeout)

    def vkey(self):
        out = self.run_tuidang("log", "key", "--data", self.server.data)
        self.assertEqual(out.returncode, 0, out.stderr)
        return out.stdout.strip()

    def export(self, *extra):
        return export(self.server, self.out, *extra)

    def own_copy(self, name):
        """A copy of the class's export for a test that changes it; self.out then names it."""
        mine = os.path.join(self.work, name)
        shutil.copytree(self.out, mine, symlinks=True)
        self.addCleanup(shutil.rmtree, mine, True)
        self.out = mine
        return mine

    def read(self, rel):
        with open(os.path.join(self.out, rel), "rb") as f:
            return f.read()

    def parse(self, rel):
        parser = Links()
        parser.feed(self.read(rel).decode("utf-8"))
        return parser

    def check_links(self):
        """Every page's links are relative and resolve in the folder (anchors included), or
        go to the live site."""
        pages = [p for p in files_under(self.out) if p.endswith(".html")]
        self.assertGreater(len(pages), 10)
        parsed = {}
        for page in pages:
            parser = parsed.setdefault(page, self.parse(page))
            self.assertEqual(parser.scripts, 0, page)
            for tag, attr, value in parser.links:
                if value.startswith(("https://live.example.org/", "http://abcdefghijklmnop.onion/")):
                    continue  # search, receipts, the submit page's addresses: the live site
                self.assertFalse(value.startswith("/"), f"{page}: absolute link {value}")
                self.assertNotIn("://", value, f"{page}: link to another origin {value}")
                parts = urllib.parse.urlsplit(value)
                resolved = os.path.normpath(os.path.join(os.path.dirname(page), parts.path))
                if not parts.path:  # "#main", the skip link: an anchor of the page itself
                    resolved = page
                self.assertFalse(resolved.startswith(".."), f"{page}: {value} leaves the folder")
                self.assertTrue(os.path.isfile(os.path.join(self.out, resolved)),
                                f"{page}: {tag} {attr}={value} -> {resolved} is missing")
                if parts.fragment and resolved.endswith(".html"):
                    if resolved not in parsed:
                        parsed[resolved] = self.parse(resolved)
                    self.assertIn(parts.fragment, parsed[resolved].ids,
                                  f"{page}: {value}: no anchor #{parts.fragment} in {resolved}")

    def statement_index(self, prefix=""):
        """Where each statement of today is, as a reader finds it: walking today's list
        from its first page through the pager. Returns {number: (page, certificate link)}."""
        today = harness.today_cst()
        page = f"{prefix}statements/{today}.html"
        index, seen = {}, set()
        while page and page not in seen:
            seen.add(page)
            text = self.read(page).decode()
            for m in re.finditer(r'<li class="statement" id="s-(\d+)">(.*?)<ul class="persons">', text):
                link = re.search(r'<a class="certificate" href="([^"]+)"', m.group(2))
                self.assertIsNotNone(link, f"{page}: statement {m.group(1)} has no certificate link")
                index[int(m.group(1))] = (page, link.group(1))
            pager = re.findall(r'<a href="([^"]*\d{4}-\d{2}-\d{2}-\d+\.html)">', text)
            nexts = [os.path.normpath(os.path.join(os.path.dirname(page), v)) for v in pager]
            nexts = [n for n in nexts if n not in seen]
            page = nexts[-1] if nexts else None
        return index

    def find_statement(self, number, prefix=""):
        index = self.statement_index(prefix)
        self.assertIn(number, index, f"statement {number} is not in the day lists of "
                                     f"{prefix or 'zh-hans/'}")
        return index[number]

    def published_today(self):
        """Today's published statements as the API gives them (with their leaf index)."""
        today = harness.today_cst()
        client = self.server.client()
        try:
            numbers, cursor = [], None
            while True:
                q = f"/api/v1/statements?date={today}" + (f"&cursor={cursor}" if cursor else "")
                listing = client.get(q).json()
                numbers += [item["number"] for item in listing["statements"]]
                cursor = listing.get("next_cursor")
                if not cursor:
                    break
            return [client.get(f"/api/v1/statements/{n}").json() for n in numbers]
        finally:
            client.close()

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


    def check_certificates(self):
        """Each published statement's certificate, reached through the link of its entry,
        shows its number, day, names, organisations, leaf index and a checkpoint that
        includes the leaf, signed by the log's key; the leaf index is the one the API gives."""
        today = harness.today_cst()
        items = self.published_today()
        self.assertTrue(items)
        vkey_name = self.vkey().split("+")[0]
        for prefix in ("", "zh-hant/", "en/"):
            index = self.statement_index(prefix)
            self.assertEqual(sorted(index), sorted(i["number"] for i in items), prefix)
            parsed = {}
            for item in items:
                n = item["number"]
                page, link = index[n]
                target, fragment = link.split("#")
                rel = os.path.normpath(os.path.join(os.path.dirname(page), target))
                self.assertEqual(rel.startswith("zh-hant/"), prefix == "zh-hant/", rel)
                if rel not in parsed:
                    parsed[rel] = Certificates()
                    parsed[rel].feed(self.read(rel).decode())
                c = parsed[rel]
                self.assertEqual(fragment, f"c-{n}")
                cert = c.certificates[fragment]
                self.assertEqual(cert["number"].strip(), str(n))
                self.assertEqual(cert["day"].strip(), today)
                self.assertEqual(cert["leaf"].strip(), str(item["leaf_index"]), item)
                script = "zh-hant/" if prefix == "zh-hant/" else ""
                persons = [{"name": item["name"], "organisations": item["organisations"]}]
                persons += item.get("persons", [])
                for person in persons:
                    self.assertIn(person["name"], cert["persons"])
                    for org in person["organisations"]:
                        self.assertIn(ORG_NAMES[script][org], cert["persons"])
                        self.assertIn(ORG_NAMES["en/"][org], cert["persons"])
                lines = c.checkpoint.split("\n")
                self.assertGreater(int(lines[1]), item["leaf_index"])
                self.assertIn("\u2014 " + vkey_name + " ", c.checkpoint)
            for rel in parsed:
                self.assertIn('href="../' + ("../" if rel.startswith("zh-hant/") else "") +
                              'static/certificates.css"', self.read(rel).decode())

    def check_printing(self, rel, number, count):
        """Chromium, opening the certificates file from the folder (file://), prints only
        the targeted certificate, on one A4 page; without a target, every one."""
        sys.path.append("/usr/lib/python3/dist-packages")  # Debian's python3-selenium
        from selenium import webdriver
        from selenium.webdriver.chrome.service import Service
        from selenium.webdriver.common.by import By
        from selenium.webdriver.common.print_page_options import PrintOptions

        profile = tempfile.mkdtemp(prefix="tuidang-chromium-print-")
        opts = webdriver.ChromeOptions()
        opts.binary_location = "/usr/bin/chromium"
        for flag in ("--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
                     "--disable-background-networking", "--disable-component-update",
                     "--disable-sync", "--no-proxy-server", "--disable-dev-shm-usage",
                     f"--user-data-dir={profile}"):
            opts.add_argument(flag)
        driver = webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=opts)
        try:
            url = "file://" + os.path.join(self.out, rel)
            driver.get(f"{url}#c-{number}")
            driver.execute_cdp_cmd("Emulation.setEmulatedMedia", {"media": "print"})
            shown = [a.get_attribute("id") for a in driver.find_elements(By.CSS_SELECTOR,
                                                                          "article.certificate")
                     if a.value_of_css_property("display") != "none"]
            self.assertEqual(shown, [f"c-{number}"])
            for part in ("header", "footer"):
                self.assertNotEqual(driver.find_element(By.TAG_NAME, part)
                                    .value_of_css_property("display"), "none", part)
            self.assertEqual(driver.find_element(By.CSS_SELECTOR, ".screen-only")
                             .value_of_css_property("display"), "none")
            a4 = PrintOptions()
            a4.page_width, a4.page_height = 21.0, 29.7
            pdf = base64.b64decode(driver.print_page(a4))
            self.assertEqual(len(re.findall(rb"/Type\s*/Page\b", pdf)), 1, "not one A4 page")
            # Without a target, every certificate prints, one a page.
            driver.get(url)
            driver.execute_cdp_cmd("Emulation.setEmulatedMedia", {"media": "print"})
            shown = [a for a in driver.find_elements(By.CSS_SELECTOR, "article.certificate")
                     if a.value_of_css_property("display") != "none"]
            self.assertEqual(len(shown), count)
            pdf = base64.b64decode(driver.print_page(a4))
            self.assertGreaterEqual(len(re.findall(rb"/Type\s*/Page\b", pdf)), count)
        finally:
            driver.quit()
            shutil.rmtree(profile, ignore_errors=True)

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
    gzip_static on;
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
            # gzip_static (docs/deploy.md) sends the export's .gz copy as it is.
            packed = client.get("/en/stats.html", headers={"Accept-Encoding": "gzip"})
            self.assertEqual(packed.header("Content-Encoding"), "gzip")
            self.assertEqual(gzip.decompress(packed.body), r.body)
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


class FirstExportTest(MirrorTest):
    """The first export: pages, day lists, certificates, links, log, manifest, nginx."""

    def test_pages_in_three_languages(self):
        today = harness.today_cst()
        # The pages a reader expects, in the three languages.
        for prefix in ("", "zh-hant/", "en/"):
            for page in ("index.html", "submit.html", "stats.html", "stats-365.html",
                         "stats-all.html", "log.html", "mirror.html",
                         f"statements/{today}.html"):
                self.assertTrue(os.path.isfile(os.path.join(self.out, prefix + page)), prefix + page)
            self.assertFalse(os.path.exists(os.path.join(self.out, f"{prefix}statements/{today}")),
                             "one file per statement again")
        for f in ("stats.csv", "api/v1/stats.json", "static/site.css", "manifest.txt",
                  "manifest.sig", "log/checkpoint"):
            self.assertTrue(os.path.isfile(os.path.join(self.out, f)), f)
        submit = self.read("en/submit.html").decode()
        self.assertIn("https://live.example.org/en/submit", submit)
        self.assertIn("http://abcdefghijklmnop.onion/en/submit", submit)
        self.assertNotIn("<form", submit)

    def test_statements_are_entries_of_their_day_list(self):
        today = harness.today_cst()
        # Every statement is an entry of its day list (40 statements: one page) and its
        # certificate is one link away, in the three languages.
        for prefix in ("", "zh-hant/", "en/"):
            index = self.statement_index(prefix)
            self.assertEqual(sorted(index), sorted(self.numbers))
            for n in self.numbers:
                page, link = index[n]
                self.assertEqual(page, f"{prefix}statements/{today}.html")
                # English shares the Simplified Chinese certificates (they are bilingual).
                self.assertEqual(link, f"../{'../' if prefix == 'en/' else ''}"
                                       f"certificates/{today}.html#c-{n}")
        page = self.read(f"statements/{today}.html").decode()
        self.assertIn("&lt;b&gt;0&lt;/b&gt;", page)  # user text escaped
        self.assertNotIn("<b>0</b>", page)

    def test_certificates(self):
        self.check_certificates()

    def test_certificate_prints_alone(self):
        today = harness.today_cst()
        self.check_printing(f"certificates/{today}.html", self.numbers[3], len(self.numbers))

    def test_links_resolve_inside_the_folder(self):
        stats_html = self.read("en/stats.html").decode()
        self.assertIn("<svg", stats_html)
        self.check_links()

    def test_log_as_served_and_audited(self):
        self.check_log_as_served()
        self.assertIn("totals at tree size", self.audit(self.out))

    def test_manifest_catches_changed_missing_and_unlisted_files(self):
        self.own_copy("tampered")
        today = harness.today_cst()
        # The signed manifest: OK, then a changed, a missing and an unlisted file fail.
        ok = self.verify()
        self.assertEqual(ok.returncode, 0, ok.stderr)
        self.assertIn("mirror ok", ok.stdout)
        victim = os.path.join(self.out, f"certificates/{today}.html")
        original = self.read(f"certificates/{today}.html")
        with open(victim, "wb") as f:
            f.write(original.replace("王1<".encode(), "假1<".encode()))
        bad = self.verify()
        self.assertEqual(bad.returncode, 1)
        self.assertIn(f"changed: certificates/{today}.html", bad.stderr)
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

    def test_served_by_nginx(self):
        # Served by nginx, the mirror audits over HTTP.
        self.serve_with_nginx()

    def test_first_layout_is_upgraded(self):
        # An export made by the first layout (a file per statement, a state without a
        # layout line): the next export renders every day again and deletes the statement
        # files and their folders.
        self.own_copy("first-layout")
        today = harness.today_cst()
        old_files = [f"{p}statements/{today}/{n}.html" for p in ("", "en/")
                     for n in self.numbers[:3]]
        with open(os.path.join(self.out, "manifest.txt"), "a") as manifest:
            for rel in old_files:
                os.makedirs(os.path.dirname(os.path.join(self.out, rel)), exist_ok=True)
                with open(os.path.join(self.out, rel), "w") as f:
                    f.write("<p>old layout</p>")
                manifest.write(f"{'0' * 64}  {rel}\n")
        state_path = os.path.join(self.out, ".export-state")
        with open(state_path) as f:
            state = [line for line in f if not line.startswith("layout ")]
        with open(state_path, "w") as f:
            f.writelines(state)
        upgraded = self.export()
        self.assertRegex(upgraded, rf"\(0 written, {len(old_files)} deleted, \d+ days rendered")
        for rel in old_files:
            self.assertFalse(os.path.exists(os.path.join(self.out, rel)), rel)
        self.assertFalse(os.path.exists(os.path.join(self.out, f"statements/{today}")))
        self.assertFalse(os.path.exists(os.path.join(self.out, f"en/statements/{today}")))
        with open(state_path) as f:
            self.assertTrue(f.readline().startswith("layout 2"))
        self.assertEqual(self.verify().returncode, 0)


class NextExportTest(MirrorTest):
    """A second export into the first one's folder, after a withdrawal and 230 more
    statements (past a full tile), while a reader polls the folder; set up once for the
    class, each test checks one property of it."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        try:
            cls.before = files_under(cls.out)
            with open(os.path.join(cls.out, "log/checkpoint"), "rb") as f:
                cls.first_checkpoint = f.read()
            cls.withdrawn = cls.numbers[5]
            w = run_tuidang("withdraw", str(cls.withdrawn), "--reason", "danger",
                            "--data", cls.server.data)
            if w.returncode != 0:
                raise AssertionError(f"withdraw failed: {w.stderr}")
            cls.more = [cls.server.submit_api(f"李{i}", organisations=("league",))["number"]
                        for i in range(230)]
            stop = threading.Event()
            cls.torn = []

            def reader():
                # A reader of the folder: whatever checkpoint it sees, the tiles it names exist.
                while not stop.is_set():
                    try:
                        with open(os.path.join(cls.out, "log/checkpoint"), "rb") as f:
                            cp = f.read().decode().split("\n")
                        size = int(cp[1])
                    except (OSError, ValueError, IndexError) as e:
                        cls.torn.append(f"checkpoint unreadable: {e}")
                        continue
                    full, rest = divmod(size, 256)
                    names = [f"log/tile/0/{harness_group(n)}" for n in range(full)]
                    if rest:
                        names.append(f"log/tile/0/{harness_group(full)}.p/{rest}")
                    for n in names:
                        if not os.path.exists(os.path.join(cls.out, n)):
                            cls.torn.append(f"size {size}: {n} missing")
                    time.sleep(0.005)

            t = threading.Thread(target=reader)
            t.start()
            try:
                cls.report = export(cls.server, cls.out)
            finally:
                stop.set()
                t.join()
            cls.after = files_under(cls.out)
            cls.first_size = int(cls.first_checkpoint.decode().split("\n")[1])
        except BaseException:
            cls.tearDownClass()
            raise

    def test_reader_never_sees_a_checkpoint_without_its_tiles(self):
        self.assertEqual(self.torn, [], self.torn[:5])
        self.assertNotEqual(self.read("log/checkpoint"), self.first_checkpoint)

    def test_unchanged_files_are_not_rewritten(self):
        # Earlier statement pages, full tiles, unchanged pages: not rewritten.
        for rel, ident in self.before.items():
            if TILE_RE.match(rel) and ".p/" not in rel:
                self.assertEqual(self.after.get(rel), ident, f"full tile {rel} was rewritten")
        for rel in ("static/site.css", "en/mirror.html"):
            self.assertEqual(self.after.get(rel), self.before[rel],
                             f"{rel} was rewritten unchanged")

    def test_day_lists_page_through_every_statement(self):
        today = harness.today_cst()
        # 270 statements today now: six pages; each statement found from the first page.
        self.assertIn(f"en/statements/{today}-6.html", self.after)
        self.assertNotIn(f"en/statements/{today}-7.html", self.after)
        for n in (self.more[0], self.more[-1], self.numbers[0]):
            self.find_statement(n, "en/")

    def test_withdrawn_statement_and_certificate_are_gone(self):
        withdrawn = self.withdrawn
        for prefix in ("", "zh-hant/", "en/"):
            for rel in files_under(self.out):
                if rel.startswith(f"{prefix}statements/") or rel.startswith(f"{prefix}certificates/"):
                    data = self.read(rel)
                    # The gzipped copies beside the pages (docs/deploy.md) are checked too.
                    text = (gzip.decompress(data) if rel.endswith(".gz") else data).decode()
                    self.assertNotIn(f'id="s-{withdrawn}"', text, f"withdrawn statement in {rel}")
                    self.assertNotIn(f'id="c-{withdrawn}"', text, f"withdrawn certificate in {rel}")
        self.check_certificates()

    def test_tiles_of_both_checkpoints(self):
        self.assertIn("log/tile/0/000", self.after)  # the first tile is now full
        # The previous checkpoint's partial tiles stay one more export (for its readers).
        self.assertIn(f"log/tile/0/000.p/{self.first_size}", self.after)
        self.assertRegex(self.report, r"\d+ deleted")

    def test_links_log_and_manifest(self):
        self.check_links()
        self.check_log_as_served()
        self.audit(self.out)
        ok = self.verify()
        self.assertEqual(ok.returncode, 0, ok.stderr)

    def test_third_export_with_nothing_new(self):
        # A third export with nothing new writes nothing but what always changes (none),
        # and drops the partial tiles the first checkpoint named.
        self.own_copy("third")
        again = self.export()
        self.assertIn("(0 written", again)
        final = files_under(self.out)
        self.assertNotIn(f"log/tile/0/000.p/{self.first_size}", final, "an old partial tile stays")
        self.assertNotIn(f"log/tile/entries/000.p/{self.first_size}", final)
        self.assertEqual(self.verify().returncode, 0)


def harness_group(n):
    parts = []
    while n >= 1000:
        parts.insert(0, f"{n % 1000:03d}")
        n //= 1000
    parts.insert(0, f"{n:03d}")
    return "/".join(["x" + p for p in parts[:-1]] + [parts[-1]])


if __name__ == "__main__":
    unittest.main()
