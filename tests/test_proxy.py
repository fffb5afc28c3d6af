"""tuidang behind the nginx configuration that docs/deploy.md documents, run as it is written
there (the blocks between its marker comments), with only the ports, the certificate (a
self-signed one made here) and the file paths changed: Debian's nginx (nginx-light) as an
unprivileged-style process in a temporary folder, in front of `tuidang serve`.

- Clients are told apart behind it: two clients connecting to nginx from two addresses
  (127.0.0.21 and 127.0.0.22: Linux lets a socket bind any 127.0.0.0/8 source) are each
  limited on their own, and neither a forged X-Forwarded-For sent through nginx nor one sent
  by a Tor-daemon-like peer on 127.0.0.1 spends another's limit.
- 1,000 slow connections (slow headers, slow bodies to /ops/import and /ops/enter, which
  nginx passes on while the body arrives, and to the API, slow reads), opened from forty
  addresses and kept up, leave at least 29 of 30 normal submissions answered.
"""

import os
import re
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import tempfile
import time
import unittest
import http.client
import json

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
DEPLOY_MD = os.path.join(os.path.dirname(HERE), "docs", "deploy.md")
API = "/api/v1/statements"


def documented_block(name):
    """The fenced code between <!-- NAME:begin --> and <!-- NAME:end --> in docs/deploy.md."""
    with open(DEPLOY_MD, encoding="utf-8") as f:
        text = f.read()
    m = re.search(rf"<!-- {re.escape(name)}:begin -->\s*```\w*\n(.*?)```\s*<!-- {re.escape(name)}:end -->",
                  text, re.S)
    if m is None:
        raise AssertionError(f"docs/deploy.md has no {name} block")
    return m.group(1)


def substitute(text, old, new, count=None):
    """Replaces `old` (a regex) by `new`; fails when the documented text no longer has it."""
    out, n = re.subn(old, new, text)
    if n == 0 or (count is not None and n != count):
        raise AssertionError(f"docs/deploy.md: expected {count or 'some'} of {old!r}, found {n}")
    return out


def documented_settings():
    """tuidang.toml's lines of docs/deploy.md as a dict (strings and lists of strings)."""
    settings = {}
    for line in documented_block("tuidang-toml").splitlines():
        line = line.split("#", 1)[0].strip()
        if not line:
            continue
        key, _, value = line.partition("=")
        settings[key.strip()] = json.loads(value.strip())
    return settings


class TlsClient:
    """One HTTPS connection to nginx from `source` (a fresh one per request)."""

    def __init__(self, port, source, ctx):
        self.port, self.source, self.ctx = port, source, ctx

    def request(self, method, path, body=None, headers=None, timeout=10):
        c = http.client.HTTPSConnection("127.0.0.1", self.port, timeout=timeout,
                                        source_address=(self.source, 0), context=self.ctx)
        try:
            hdrs = {"Host": "tuidang.example", "Connection": "close", **(headers or {})}
            c.request(method, path, body=body, headers=hdrs)
            r = c.getresponse()
            return harness.Response(r.status, r.reason, r.getheaders(), r.read(), path)
        finally:
            c.close()

    def post_json(self, path, obj, headers=None, timeout=10):
        return self.request("POST", path, json.dumps(obj, ensure_ascii=False).encode(),
                            {"Content-Type": "application/json", **(headers or {})}, timeout)


class DocumentedNginxTest(unittest.TestCase):
    LIMIT = 5  # submissions_per_client_per_hour, so that the test reaches it quickly
    # tuidang's slots, small so that 1,000 slow connections are far more than it has (a
    # setting of the test, not of the documented nginx).
    MAX_CONNECTIONS = 200

    @classmethod
    def setUpClass(cls):
        nginx = shutil.which("nginx") or "/usr/sbin/nginx"
        if not os.path.exists(nginx):
            raise AssertionError("nginx is not installed (scripts/setup.sh --test installs nginx-light)")
        harness.raise_open_files(20000)
        cls.work = tempfile.mkdtemp(prefix="tuidang-proxy-test-")
        settings = documented_settings()
        settings.update({"submissions_per_client_per_hour": cls.LIMIT,
                         "max_connections": cls.MAX_CONNECTIONS})
        cls.server = harness.Server(settings=settings, name="proxy", protections=True)
        cls.nginx = None
        try:
            cls.server.start()
            cls.start_nginx(nginx)
        except BaseException:
            cls.tearDownClass()
            raise

    @classmethod
    def start_nginx(cls, nginx):
        d = cls.work
        cert, key = os.path.join(d, "cert.pem"), os.path.join(d, "key.pem")
        subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
                        "ec_paramgen_curve:prime256v1", "-nodes", "-days", "2",
                        "-subj", "/CN=tuidang.example", "-keyout", key, "-out", cert],
                       check=True, capture_output=True, timeout=60)
        cls.port = harness.free_port()
        site = documented_block("nginx-site")
        # Only ports and paths change.
        site = substitute(site, r"listen 443 ssl http2;", f"listen 127.0.0.1:{cls.port} ssl http2;", 1)
        site = substitute(site, r"ssl_certificate \S+;", f"ssl_certificate {cert};", 1)
        site = substitute(site, r"ssl_certificate_key \S+;", f"ssl_certificate_key {key};", 1)
        site = substitute(site, r"error_log /var/log/nginx/\S+", f"error_log {d}/error.log")
        site = substitute(site, r"http://127\.0\.0\.1:8080", f"http://127.0.0.1:{cls.server.port}")
        main = documented_block("nginx-main")
        conf = os.path.join(d, "nginx.conf")
        with open(conf, "w") as f:
            f.write(f"""daemon off;
master_process off;
worker_processes 1;
pid {d}/nginx.pid;
error_log {d}/error.log;
{main}
http {{
  include /etc/nginx/mime.types;
  client_body_temp_path {d}/body;
  proxy_temp_path {d}/proxy;
  fastcgi_temp_path {d}/fastcgi;
  uwsgi_temp_path {d}/uwsgi;
  scgi_temp_path {d}/scgi;
{site}
}}
""")
        cls.nginx_log = open(os.path.join(d, "nginx.stderr"), "wb")
        cls.nginx = subprocess.Popen([nginx, "-c", conf, "-p", d], stdout=subprocess.DEVNULL,
                                     stderr=cls.nginx_log)
        cls.ctx = ssl.create_default_context()
        cls.ctx.check_hostname = False
        cls.ctx.verify_mode = ssl.CERT_NONE
        deadline = time.monotonic() + 10
        while True:
            try:
                r = TlsClient(cls.port, "127.0.0.20", cls.ctx).request("GET", "/healthz", timeout=2)
                if r.status == 200:
                    return
            except OSError:
                pass
            if time.monotonic() > deadline or cls.nginx.poll() is not None:
                raise AssertionError("nginx did not start:\n" + cls.nginx_output())
            time.sleep(0.1)

    @classmethod
    def nginx_output(cls):
        out = b""
        for name in ("nginx.stderr", "error.log"):
            path = os.path.join(cls.work, name)
            if os.path.exists(path):
                with open(path, "rb") as f:
                    out += f.read()[-3000:]
        return out.decode("utf-8", "replace")

    @classmethod
    def tearDownClass(cls):
        if cls.nginx is not None:
            cls.nginx.send_signal(signal.SIGTERM)
            try:
                cls.nginx.wait(timeout=10)
            except subprocess.TimeoutExpired:
                cls.nginx.kill()
                cls.nginx.wait()
            cls.nginx_log.close()
        if cls.server.alive():
            cls.server.stop()
        cls.server.cleanup()
        shutil.rmtree(cls.work, ignore_errors=True)

    def client(self, source):
        return TlsClient(self.port, source, self.ctx)

    def test_1_clients_told_apart_behind_nginx(self):
        a, b = self.client("127.0.0.21"), self.client("127.0.0.22")
        for i in range(self.LIMIT):
            r = a.post_json(API, {"name": f"代理后甲{i}", "organisations": ["party"]})
            self.assertEqual(r.status, 201, r.describe())
        # Over its limit, even when it names another address itself.
        r = a.post_json(API, {"name": "代理后甲额外", "organisations": ["party"]},
                        headers={"X-Forwarded-For": "127.0.0.22"})
        self.assertEqual(r.status, 429, r.describe())
        self.assertEqual(r.json()["error"]["code"], "rate_limited")
        self.assertTrue(r.header("Retry-After", "").isdigit(), r.describe())
        # A Tor-daemon-like peer (127.0.0.1, straight to tuidang) naming b spends nothing of
        # b's limit.
        tor = self.server.client(source="127.0.0.1")
        self.addCleanup(tor.close)
        for i in range(self.LIMIT + 2):
            r = tor.post_json(API, {"name": f"冒充乙{i}", "organisations": ["party"]},
                              headers={"X-Forwarded-For": "127.0.0.22"})
            self.assertEqual(r.status, 201, r.describe())
        for i in range(self.LIMIT):
            r = b.post_json(API, {"name": f"代理后乙{i}", "organisations": ["party"]})
            self.assertEqual(r.status, 201, r.describe())
        self.assertEqual(b.post_json(API, {"name": "代理后乙额外", "organisations": ["party"]}).status,
                         429)

    def test_2_slow_clients_leave_normal_submissions_answered(self):
        connect = harness.slow_connector(
            "127.0.0.1", self.port,
            wrap=lambda s: self.ctx.wrap_socket(s, server_hostname="tuidang.example"))
        # Half of them slow bodies, three in four of those to the console's upload paths,
        # which nginx passes on while the body arrives: 375 slow connections reach tuidang,
        # almost twice its slots.
        flood = harness.SlowFlood(connect, [f"127.0.0.{100 + i}" for i in range(40)],
                                  count=1000, kinds=("header", "body", "read", "body"),
                                  body_paths=("/ops/import", "/ops/enter", "/ops/import", API),
                                  host_header="tuidang.example")
        flood.start()
        self.addCleanup(flood.stop)
        answered, failures = 0, []
        for i in range(30):
            try:
                r = self.client(f"127.0.0.{30 + i % 10}").post_json(
                    API, {"name": f"照常代理{i}", "organisations": ["party"]})
                if r.status == 201:
                    answered += 1
                else:
                    failures.append(r.status)
            except OSError as e:
                failures.append(repr(e))
            time.sleep(0.05)
        self.assertGreaterEqual(flood.opened - flood.failed, 1000, f"{flood}")
        self.assertGreaterEqual(answered, 29, f"{failures} {flood}\n{self.nginx_output()[-1500:]}")


if __name__ == "__main__":
    unittest.main(verbosity=2)
