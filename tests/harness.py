"""Test harness for tuidang's integration tests: runs a real `tuidang serve` on a loopback
port in a temporary data folder and talks HTTP to it.

Python 3 standard library only. The binary is taken from $TUIDANG_BIN (ctest sets it),
else build/tuidang beside this folder. Set TUIDANG_KEEP=1 to keep the data folders and the
server's stderr after a run (their paths are printed).

Every connection goes to 127.0.0.0/8 only, and every wait is bounded.
"""

import datetime
import html.parser
import http.client
import json
import os
import re
import select
import shutil
import signal
import socket
import subprocess
import tempfile
import threading
import time
import urllib.parse

HERE = os.path.dirname(os.path.abspath(__file__))
# The suite on PostgreSQL (tests/CMakeLists.txt, *_pg): tests that open the SQLite file
# themselves skip with unittest.skipIf(harness.ON_POSTGRES, ...).
ON_POSTGRES = os.environ.get("TUIDANG_TEST_STORE") == "postgres"
DEFAULT_BIN = os.path.join(os.path.dirname(HERE), "build", "tuidang")

CST = datetime.timezone(datetime.timedelta(hours=8))
ORGANISATIONS = ("party", "league", "pioneers")
REGIONS = (
    "beijing tianjin shanghai chongqing hebei shanxi liaoning jilin heilongjiang jiangsu "
    "zhejiang anhui fujian jiangxi shandong henan hubei hunan guangdong hainan sichuan "
    "guizhou yunnan shaanxi gansu qinghai inner_mongolia guangxi tibet ningxia xinjiang "
    "hong_kong macau taiwan overseas undisclosed").split()
OCCUPATIONS = ("official military police teacher student worker farmer business retired "
               "other undisclosed").split()
LANGUAGES = {"zh-hans": ("", "zh-Hans"), "zh-hant": ("/zh-hant", "zh-Hant"),
             "en": ("/en", "en")}  # code: (path prefix, <html lang>)

CJK_RE = re.compile("[\u3000-\u303f\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uff00-\uffef]")
# A receipt code as shown: 24 digits in six groups of four (src/core/receipt.h). Codes of
# the old form (16 digits) are still accepted but no longer issued.
RECEIPT_RE = re.compile(r"^\d{4}(?:-\d{4}){5}$")
RECEIPT_DIGITS_RE = re.compile(r"^\d{24}$")


def binary():
    path = os.environ.get("TUIDANG_BIN") or DEFAULT_BIN
    if not os.path.exists(path):
        raise RuntimeError(f"tuidang binary not found at {path} (set TUIDANG_BIN)")
    return path


def today_cst():
    return datetime.datetime.now(CST).date().isoformat()


def day_offset(iso, days):
    return (datetime.date.fromisoformat(iso) + datetime.timedelta(days=days)).isoformat()


def free_port(host="127.0.0.1"):
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((host, 0))
        return s.getsockname()[1]


def toml_text(settings):
    """Renders a flat dict as TOML (strings, ints, bools)."""
    lines = []
    for key, value in settings.items():
        if isinstance(value, bool):
            lines.append(f"{key} = {'true' if value else 'false'}")
        elif isinstance(value, int):
            lines.append(f"{key} = {value}")
        elif isinstance(value, (list, tuple)):
            lines.append(f"{key} = {json.dumps([str(v) for v in value], ensure_ascii=False)}")
        else:
            lines.append(f"{key} = {json.dumps(str(value), ensure_ascii=False)}")
    return "\n".join(lines) + "\n"


_DEFAULT_CONFIG = None


def default_config_text():
    """The tuidang.toml that `tuidang init` writes (every setting, commented), read once."""
    global _DEFAULT_CONFIG
    if _DEFAULT_CONFIG is None:
        scratch = tempfile.mkdtemp(prefix="tuidang-defaults-")
        try:
            data = os.path.join(scratch, "data")
            subprocess.run([binary(), "init", "--data", data], check=True, timeout=60,
                           stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
            with open(os.path.join(data, "tuidang.toml"), encoding="utf-8") as f:
                _DEFAULT_CONFIG = f.read()
        finally:
            shutil.rmtree(scratch, ignore_errors=True)
    return _DEFAULT_CONFIG


def config_text(settings):
    """The default tuidang.toml with each of `settings` replacing its line; a setting the
    file lacks goes before the first [table], and a dict value (e.g. "policy": {"letter":
    "hold"}) fills that [table]."""
    text = default_config_text()
    tables = {k: v for k, v in settings.items() if isinstance(v, dict)}
    for key, value in settings.items():
        if key in tables:
            continue
        line = toml_text({key: value}).rstrip("\n")
        text, n = re.subn(rf"(?m)^{re.escape(key)} = .*$", lambda _: line, text, count=1)
        if n == 0:
            first_table = re.search(r"(?m)^\[", text)
            at = first_table.start() if first_table else len(text)
            text = text[:at] + line + "\n" + text[at:]
    for name, values in tables.items():
        header = re.search(rf"(?m)^\[{re.escape(name)}\]\n", text)
        if header is None:
            text += f"\n[{name}]\n"
            header = re.search(rf"(?m)^\[{re.escape(name)}\]\n", text)
        text = text[:header.end()] + toml_text(values) + text[header.end():]
    return text


# ---------------------------------------------------------------------------------------
# HTTP


class Response:
    def __init__(self, status, reason, headers, body, url=None):
        self.status = status
        self.reason = reason
        self.headers = headers  # list of (name, value) as received
        self.body = body
        self.url = url
        self._doc = None

    def header(self, name, default=None):
        name = name.lower()
        for k, v in self.headers:
            if k.lower() == name:
                return v
        return default

    @property
    def text(self):
        return self.body.decode("utf-8")

    def json(self):
        return json.loads(self.body.decode("utf-8"))

    @property
    def doc(self):
        if self._doc is None:
            self._doc = parse_html(self.text)
        return self._doc

    def describe(self, limit=1500):
        """The exchange's answer, for assertion messages."""
        head = "\n".join(f"{k}: {v}" for k, v in self.headers)
        body = self.body[:limit].decode("utf-8", "replace")
        more = "..." if len(self.body) > limit else ""
        return f"HTTP {self.status} {self.reason} ({self.url})\n{head}\n\n{body}{more}"

    def __repr__(self):
        return f"<Response {self.status} {self.url}>"


class _Connection(http.client.HTTPConnection):
    """HTTPConnection with TCP_NODELAY, so that a small request is not held back."""

    def connect(self):
        super().connect()
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)


class Client:
    """One keep-alive HTTP/1.1 connection (reopened when the server closes it).

    Not thread-safe: use one per thread."""

    def __init__(self, host, port, source=None, timeout=30, user_agent=None):
        self.host, self.port, self.source, self.timeout = host, port, source, timeout
        self.user_agent = user_agent
        self.conn = None

    def _connect(self):
        src = (self.source, 0) if self.source else None
        self.conn = _Connection(self.host, self.port, timeout=self.timeout,
                                source_address=src)

    def close(self):
        if self.conn is not None:
            self.conn.close()
            self.conn = None

    def request(self, method, path, body=None, headers=None, retry=True):
        hdrs = {}
        if self.user_agent:
            hdrs["User-Agent"] = self.user_agent
        hdrs.update(headers or {})
        for attempt in range(2 if retry else 1):
            if self.conn is None:
                self._connect()
            try:
                self.conn.request(method, path, body=body, headers=hdrs)
                r = self.conn.getresponse()
                data = r.read()
                resp = Response(r.status, r.reason, r.getheaders(), data, path)
                if r.will_close:
                    self.close()
                return resp
            except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError,
                    http.client.CannotSendRequest):
                # A kept-alive connection the server closed meanwhile: retry once on a
                # fresh one (only idempotent requests are retried).
                self.close()
                if attempt == 1 or not retry or method not in ("GET", "HEAD"):
                    raise

    def get(self, path, headers=None):
        return self.request("GET", path, headers=headers)

    def post_form(self, path, fields, headers=None):
        """fields: dict or list of (name, value) pairs; values may be bytes (sent as is)."""
        if isinstance(fields, dict):
            fields = list(fields.items())
        body = urllib.parse.urlencode(fields, encoding="utf-8").encode("ascii")
        hdrs = {"Content-Type": "application/x-www-form-urlencoded"}
        hdrs.update(headers or {})
        return self.request("POST", path, body=body, headers=hdrs, retry=False)

    def post_json(self, path, obj, headers=None, raw=None):
        """Posts obj as JSON (or the bytes `raw` as they are)."""
        body = raw if raw is not None else json.dumps(obj, ensure_ascii=False).encode("utf-8")
        hdrs = {"Content-Type": "application/json"}
        hdrs.update(headers or {})
        return self.request("POST", path, body=body, headers=hdrs, retry=False)


# ---------------------------------------------------------------------------------------
# Raw sockets, for clients that do not follow the rules


def raw_connect(host, port, source=None, timeout=10):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.settimeout(timeout)
    if source:
        s.bind((source, 0))
    s.connect((host, port))
    return s


def read_until_close(sock, timeout=10, limit=1 << 20):
    """Reads until EOF, a reset or `timeout` seconds. Returns (bytes, how) where how is
    'eof', 'reset' or 'timeout'."""
    deadline = time.monotonic() + timeout
    chunks = []
    total = 0
    while total < limit:
        left = deadline - time.monotonic()
        if left <= 0:
            return b"".join(chunks), "timeout"
        r, _, _ = select.select([sock], [], [], left)
        if not r:
            return b"".join(chunks), "timeout"
        try:
            data = sock.recv(65536)
        except (ConnectionResetError, ConnectionAbortedError):
            return b"".join(chunks), "reset"
        except socket.timeout:
            return b"".join(chunks), "timeout"
        if not data:
            return b"".join(chunks), "eof"
        chunks.append(data)
        total += len(data)
    return b"".join(chunks), "limit"


def parse_raw_response(data):
    """Parses the first HTTP response in `data`: (status, headers dict lower-cased, body),
    or None when there is none."""
    if not data.startswith(b"HTTP/"):
        return None
    head, _, rest = data.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    parts = lines[0].split(" ", 2)
    status = int(parts[1])
    headers = {}
    for line in lines[1:]:
        k, _, v = line.partition(":")
        headers[k.strip().lower()] = v.strip()
    n = headers.get("content-length")
    body = rest[: int(n)] if n is not None and n.isdigit() else rest
    return status, headers, body


def raw_exchange(host, port, data, timeout=10, source=None, shutdown_write=False):
    """Sends `data` (ignoring a peer that stops reading), then reads until close or timeout.
    Returns (parsed response or None, raw bytes, how the read ended)."""
    s = raw_connect(host, port, source=source, timeout=timeout)
    try:
        try:
            s.sendall(data)
            if shutdown_write:
                s.shutdown(socket.SHUT_WR)
        except (BrokenPipeError, ConnectionResetError):
            pass
        got, how = read_until_close(s, timeout=timeout)
        return parse_raw_response(got), got, how
    finally:
        s.close()


# ---------------------------------------------------------------------------------------
# The server


# The abuse protections a test server runs WITHOUT unless the test asks for the shipped
# defaults (Server(..., protections=True)). tuidang turns them all on by default
# (docs/deploy-safety.md), and most tests send many statements from one address, without
# proof of work, and assert that they are published at once: that is a flood by design, so
# these tests say explicitly that they run with the protections off. test_safety.py and
# test_privacy.py run with the defaults or set each protection themselves.
PROTECTIONS_OFF = {
    # Web statements published as soon as stored, not in mixed batches every ten minutes
    # (test_batches.py runs the batches).
    "publication_interval_seconds": 0,
    "client_key": "off",
    "submissions_per_client_per_hour": 0,
    "receipt_lookups_per_client_per_hour": 0,
    "failed_receipt_lookups_per_client_per_hour": 0,
    "receipt_lookups_per_minute": 0,
    "failed_receipt_lookups_per_minute": 0,
    "failed_old_receipt_lookups_per_hour": 0,
    "submissions_per_minute": 0,
    "operator_actions_per_minute": 0,
    "pow_policy": "off",
    "flood_policy": "off",
}


def psql(sql, url=None, timeout=60):
    """Runs `sql` with psql on `url` (default: the test cluster, $TUIDANG_TEST_POSTGRES of
    scripts/pg-cluster.sh run); returns its unaligned output, raises on failure."""
    bindir = os.environ.get("TUIDANG_TEST_POSTGRES_BIN", "")
    out = subprocess.run([os.path.join(bindir, "psql") if bindir else "psql", "-X", "-q", "-tA",
                          "-v", "ON_ERROR_STOP=1", "-d",
                          url or os.environ.get("TUIDANG_TEST_POSTGRES", ""), "-c", sql],
                         capture_output=True, text=True, timeout=timeout)
    if out.returncode != 0:
        raise AssertionError(f"psql failed: {out.stderr}")
    return out.stdout.strip()


def postgres_schema_url(name):
    """A URL of the test cluster ($TUIDANG_TEST_POSTGRES, scripts/pg-cluster.sh run) whose
    tables live in a new, empty schema named after `name`."""
    url = os.environ.get("TUIDANG_TEST_POSTGRES")
    if not url:
        raise AssertionError("TUIDANG_TEST_STORE=postgres needs TUIDANG_TEST_POSTGRES: run "
                             "under scripts/pg-cluster.sh run")
    schema = "t_" + re.sub(r"[^a-z0-9]", "_", name.lower())[:40] + "_" + os.urandom(4).hex()
    psql(f"CREATE SCHEMA {schema}", url)
    sep = "&" if "?" in url else "?"
    return f"{url}{sep}options=-csearch_path%3D{schema}"


class Server:
    """A `tuidang serve` process on a free port of `host`, with its own data folder.

    settings: dict written as DIR/tuidang.toml before the first start, over PROTECTIONS_OFF.
    protections=True: the shipped defaults instead of PROTECTIONS_OFF (with settings=None
    nothing is written: the server writes its own defaults, as on a fresh install)."""

    def __init__(self, settings=None, host="127.0.0.1", data_dir=None, name="tuidang",
                 protections=False, serve_args=()):
        self.host = host
        self.serve_args = list(serve_args)  # more flags for `tuidang serve` (--database ...)
        if not protections:
            settings = {**PROTECTIONS_OFF, **(settings or {})}
        if os.environ.get("TUIDANG_TEST_STORE") == "postgres" and not any(
                a == "--database" for a in self.serve_args):
            # The suite on PostgreSQL (tests/CMakeLists.txt, *_pg): every server its own
            # schema in the throwaway cluster, named in tuidang.toml so that the commands a
            # test runs on the data folder use it too.
            settings = {**(settings or {}), "database": postgres_schema_url(name)}
        self.settings = settings
        self.root = tempfile.mkdtemp(prefix=f"{name}-test-")
        self.data = data_dir or os.path.join(self.root, "data")
        self.stderr_path = os.path.join(self.root, "server.stderr")
        self.stdout_path = os.path.join(self.root, "server.stdout")
        self.proc = None
        self.port = None
        self.starts = 0
        if settings is not None:
            os.makedirs(self.data, exist_ok=True)
            with open(os.path.join(self.data, "tuidang.toml"), "w", encoding="utf-8") as f:
                f.write(config_text(settings))

    def rewrite_settings(self, settings):
        """Merges `settings` into this server's and writes DIR/tuidang.toml again (read at
        the next start)."""
        self.settings = {**self.settings, **settings}
        with open(os.path.join(self.data, "tuidang.toml"), "w", encoding="utf-8") as f:
            f.write(config_text(self.settings))

    # -- lifecycle --

    def start(self, timeout=30):
        last_error = None
        for _ in range(3):  # a port taken between free_port() and the bind: try another
            port = self.port if self.port and self.starts else free_port(self.host)
            try:
                self._start_on(port, timeout)
                return self
            except RuntimeError as e:
                last_error = e
                if self.starts:  # a restart keeps its port (clients know it)
                    break
        raise last_error

    def _start_on(self, port, timeout):
        self.port = port
        self.starts += 1
        err = open(self.stderr_path, "ab")
        out = open(self.stdout_path, "ab")
        err.write(f"\n===== start {self.starts} =====\n".encode())
        err.flush()
        self.proc = subprocess.Popen(self.command(port), stdout=out, stderr=err, stdin=subprocess.DEVNULL)
        err.close()
        out.close()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"tuidang exited with {self.proc.returncode} at start:\n"
                                   + self.output_bytes().decode("utf-8", "replace")[-3000:])
            try:
                c = http.client.HTTPConnection(self.host, port, timeout=2)
                c.request("GET", "/healthz")
                r = c.getresponse()
                r.read()
                c.close()
                if r.status == 200:
                    return
            except OSError:
                pass
            time.sleep(0.05)
        self.kill()
        raise RuntimeError(f"tuidang did not answer /healthz within {timeout}s:\n"
                           + self.output_bytes().decode("utf-8", "replace")[-3000:])

    def command(self, port):
        """The process to start; a subclass runs another subcommand (tests/test_witness.py)."""
        return [binary(), "serve", "--data", self.data, "--listen", f"{self.host}:{port}",
                *self.serve_args]

    def stop(self, timeout=20, expect_code=0):
        """SIGTERM, then wait; returns the exit code (SIGKILL after `timeout`).

        A server that exits with another code than `expect_code` (a crash, a sanitizer
        report, a failed shutdown), or that had already died, fails the test that stops
        it: pass expect_code=None to take any code."""
        if self.proc is None:
            return None
        died_before = self.proc.poll() is not None
        if not died_before:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(10)
                raise AssertionError(f"tuidang did not stop within {timeout}s of SIGTERM")
        code = self.proc.returncode
        self.proc = None
        if expect_code is not None and (died_before or code != expect_code):
            how = "had already exited" if died_before else "exited"
            raise AssertionError(f"tuidang {how} with {code} (expected {expect_code} on SIGTERM);"
                                 f" stderr tail:\n{self.stderr()[-3000:]}")
        return code

    def kill(self):
        """SIGKILL: a crash."""
        if self.proc is not None:
            if self.proc.poll() is None:
                self.proc.kill()
            self.proc.wait(10)
            self.proc = None

    def alive(self):
        return self.proc is not None and self.proc.poll() is None

    def cleanup(self):
        self.kill()
        if os.environ.get("TUIDANG_KEEP"):
            print(f"[harness] kept {self.root}")
        else:
            shutil.rmtree(self.root, ignore_errors=True)

    def stderr(self):
        try:
            with open(self.stderr_path, "rb") as f:
                return f.read().decode("utf-8", "replace")
        except FileNotFoundError:
            return ""

    def output_bytes(self):
        data = b""
        for p in (self.stderr_path, self.stdout_path):
            if os.path.exists(p):
                with open(p, "rb") as f:
                    data += f.read()
        return data

    # -- HTTP --

    @property
    def base(self):
        return f"http://{self.host}:{self.port}"

    def client(self, **kw):
        return Client(self.host, self.port, **kw)

    def get(self, path, headers=None, **kw):
        c = self.client(**kw)
        try:
            return c.get(path, headers=headers)
        finally:
            c.close()

    def post_form(self, path, fields, headers=None, **kw):
        c = self.client(**kw)
        try:
            return c.post_form(path, fields, headers=headers)
        finally:
            c.close()

    def post_json(self, path, obj, headers=None, raw=None, **kw):
        c = self.client(**kw)
        try:
            return c.post_json(path, obj, headers=headers, raw=raw)
        finally:
            c.close()

    def raw(self, data, **kw):
        return raw_exchange(self.host, self.port, data, **kw)

    def stats(self):
        r = self.get("/api/v1/stats")
        if r.status != 200:
            raise AssertionError("GET /api/v1/stats failed:\n" + r.describe())
        return r.json()

    def submit_api(self, name, organisations=("party",), **fields):
        """POSTs a statement and returns the 201's JSON (raises otherwise)."""
        body = {"name": name, "organisations": list(organisations)}
        body.update(fields)
        r = self.post_json("/api/v1/statements", body)
        if r.status != 201:
            raise AssertionError("POST /api/v1/statements " + json.dumps(body, ensure_ascii=False)
                                 + " failed:\n" + r.describe())
        return r.json()

    def day_statements(self, date=None, limit_pages=1000):
        """Every published statement of `date` via the API's cursor paging."""
        out = []
        cursor = None
        for _ in range(limit_pages):
            q = {"date": date or today_cst()}
            if cursor is not None:
                q["cursor"] = cursor
            r = self.get("/api/v1/statements?" + urllib.parse.urlencode(q))
            if r.status != 200:
                raise AssertionError("list failed:\n" + r.describe())
            j = r.json()
            out.extend(j["statements"])
            cursor = j.get("next_cursor")
            if cursor is None:
                return out
        raise AssertionError("paging did not end")

    def data_files(self):
        """Every regular file under the data folder: {path: bytes}."""
        files = {}
        for dirpath, _, names in os.walk(self.data):
            for n in names:
                p = os.path.join(dirpath, n)
                if os.path.isfile(p):
                    with open(p, "rb") as f:
                        files[p] = f.read()
        return files


class ServerTestCase:
    """Mixin for unittest.TestCase: one server per class (settings in SETTINGS)."""

    SETTINGS = None
    HOST = "127.0.0.1"
    PROTECTIONS = False  # True: the shipped safety defaults (see PROTECTIONS_OFF)
    SERVE_ARGS = ()  # more flags for `tuidang serve`

    @classmethod
    def setUpClass(cls):
        cls.server = Server(settings=cls.SETTINGS, host=cls.HOST, name=cls.__name__,
                            protections=cls.PROTECTIONS, serve_args=cls.serve_args())
        try:
            cls.server.start()
        except Exception:
            cls.server.cleanup()
            raise

    @classmethod
    def serve_args(cls):
        """The extra serve flags: SERVE_ARGS, or what a subclass computes."""
        return cls.SERVE_ARGS

    @classmethod
    def tearDownClass(cls):
        s = cls.server
        try:
            s.stop()  # fails the class when the server crashed or did not exit 0
        finally:
            s.cleanup()


# ---------------------------------------------------------------------------------------
# HTML: a small tolerant tree, enough to find elements and their text


VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "param",
        "source", "track", "wbr"}
# Elements whose end tag HTML lets a page omit, closed when a sibling starts.
AUTOCLOSE = {"li": {"li"}, "option": {"option", "optgroup"}, "p": {"p", "div", "ul", "ol",
             "form", "fieldset", "table", "h1", "h2", "h3", "h4", "section", "dl", "pre"},
             "dt": {"dt", "dd"}, "dd": {"dt", "dd"}, "tr": {"tr"}, "td": {"td", "th", "tr"},
             "th": {"td", "th", "tr"}}


class Node:
    def __init__(self, tag, attrs, parent=None):
        self.tag = tag
        self.attr_list = attrs
        self.attrs = {k: (v if v is not None else "") for k, v in attrs}
        self.parent = parent
        self.children = []

    def get(self, name, default=None):
        return self.attrs.get(name, default)

    @property
    def classes(self):
        return self.attrs.get("class", "").split()

    def text(self):
        out = []
        for c in self.children:
            out.append(c if isinstance(c, str) else c.text())
        return "".join(out)

    def iter(self):
        for c in self.children:
            if isinstance(c, Node):
                yield c
                yield from c.iter()

    def find_all(self, tag=None, cls=None, **attrs):
        """Descendants with this tag, class token and attribute values (a value True
        means: present)."""
        found = []
        for n in self.iter():
            if tag is not None and n.tag != tag:
                continue
            if cls is not None and cls not in n.classes:
                continue
            ok = True
            for k, v in attrs.items():
                k = k.rstrip("_").replace("__", "-")
                if v is True:
                    ok = k in n.attrs
                else:
                    ok = n.attrs.get(k) == v
                if not ok:
                    break
            if ok:
                found.append(n)
        return found

    def find(self, tag=None, cls=None, **attrs):
        r = self.find_all(tag, cls, **attrs)
        return r[0] if r else None

    def by_id(self, ident):
        return self.find(id=ident)

    def ancestors(self):
        n = self.parent
        while n is not None:
            yield n
            n = n.parent

    def __repr__(self):
        return f"<{self.tag} {self.attrs}>"


class _TreeBuilder(html.parser.HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.root = Node("#document", [])
        self.stack = [self.root]

    def handle_starttag(self, tag, attrs):
        for i in range(len(self.stack) - 1, 0, -1):
            open_tag = self.stack[i].tag
            if open_tag in AUTOCLOSE and tag in AUTOCLOSE[open_tag]:
                del self.stack[i:]
                break
            if open_tag in ("ul", "ol", "select", "table", "div", "form", "body"):
                break
        node = Node(tag, attrs, self.stack[-1])
        self.stack[-1].children.append(node)
        if tag not in VOID:
            self.stack.append(node)

    def handle_startendtag(self, tag, attrs):
        node = Node(tag, attrs, self.stack[-1])
        self.stack[-1].children.append(node)

    def handle_endtag(self, tag):
        for i in range(len(self.stack) - 1, 0, -1):
            if self.stack[i].tag == tag:
                del self.stack[i:]
                return

    def handle_data(self, data):
        self.stack[-1].children.append(data)


def parse_html(text):
    b = _TreeBuilder()
    b.feed(text)
    b.close()
    return b.root


def html_lang(doc):
    h = doc.find("html")
    return h.get("lang") if h is not None else None


def foreign_scripts(doc, base):
    """The <script> elements a page must not have: inline ones (no src) and ones loaded
    from another origin. A same-origin script file is allowed as an optional enhancement:
    every page must work with JavaScript disabled (the browser test checks that)."""
    bad = []
    for n in doc.find_all("script"):
        src = n.get("src")
        if not src or n.text().strip() or not is_same_origin(src, base):
            bad.append(n)
    return bad


def lowest_common_ancestor(a, b):
    seen = set(id(x) for x in [a] + list(a.ancestors()))
    for x in [b] + list(b.ancestors()):
        if id(x) in seen:
            return x
    return None


# URL-bearing attributes: every place where a page may name another resource or page.
URL_ATTRS = {"src", "href", "action", "formaction", "poster", "data", "srcset", "cite",
             "background", "longdesc", "manifest", "ping", "xlink:href"}
CSS_URL_RE = re.compile(r"url\(\s*['\"]?([^'\")]+)")


def page_urls(doc):
    """(node, attribute, url) for every URL the page names, in attributes, inline styles
    and <meta http-equiv=refresh>."""
    out = []
    for n in doc.iter():
        for k, v in n.attr_list:
            if v is None:
                continue
            if k in URL_ATTRS:
                if k in ("srcset",):
                    for part in v.split(","):
                        if part.strip():
                            out.append((n, k, part.strip().split()[0]))
                elif k == "ping":
                    out.extend((n, k, u) for u in v.split())
                else:
                    out.append((n, k, v.strip()))
            elif k == "style":
                out.extend((n, k, u) for u in CSS_URL_RE.findall(v))
        if n.tag == "meta" and n.get("http-equiv", "").lower() == "refresh":
            m = re.search(r"url\s*=\s*(.+)", n.get("content", ""), re.I)
            if m:
                out.append((n, "content", m.group(1).strip("'\" ")))
        if n.tag == "style":
            out.extend((n, "style", u) for u in CSS_URL_RE.findall(n.text()))
    return out


def is_same_origin(url, base):
    """True when `url`, resolved against `base`, stays on base's scheme, host and port
    (fragments, relative paths, queries)."""
    url = url.strip()
    resolved = urllib.parse.urlsplit(urllib.parse.urljoin(base, url))
    b = urllib.parse.urlsplit(base)
    return (resolved.scheme, resolved.netloc) == (b.scheme, b.netloc)


# ---------------------------------------------------------------------------------------
# Small helpers shared by the tests


def location_path(resp, base):
    """The path (with query) a redirect points to; asserts it stays on the same origin."""
    loc = resp.header("Location")
    if loc is None:
        raise AssertionError("redirect without Location:\n" + resp.describe())
    if not is_same_origin(loc, base):
        raise AssertionError(f"redirect to another origin: {loc}")
    parts = urllib.parse.urlsplit(urllib.parse.urljoin(base + "/", loc))
    return parts.path + (("?" + parts.query) if parts.query else "")


def receipt_digits(code):
    return code.replace("-", "").replace(" ", "")


# The receipt's actions (src/web/receipt_form.h): each a POST with the code in the form's
# body, never in the path. "" is the status look-up.
RECEIPT_ACTIONS = ("", "/proof", "/certificate", "/correct", "/withdraw")


def post_receipt(c, code, action="", prefix="", fields=()):
    """POSTs receipt action `action` ("" the status, "/proof", "/certificate", "/correct",
    "/withdraw") with `code` in the form; `c` is a Server or a Client; `fields` more form
    fields (a dict or (name, value) pairs)."""
    if isinstance(fields, dict):
        fields = list(fields.items())
    return c.post_form(f"{prefix}/receipt{action}", [("code", code)] + list(fields))


def reply_receipt(resp):
    """The receipt code (ASCII digits) that the answer to POST /submit shows once; asserts
    the answer is that page (200, never a redirect that would put the code in an address)."""
    if resp.status != 200 or resp.header("Location") is not None:
        raise AssertionError("POST /submit did not answer its receipt:\n" + resp.describe())
    shown = resp.doc.by_id("receipt-code")
    if shown is None:
        raise AssertionError("no receipt code in the answer:\n" + resp.describe())
    digits = receipt_digits(shown.text().strip())
    if not RECEIPT_DIGITS_RE.match(digits):
        raise AssertionError(f"not a receipt code: {shown.text()!r}")
    return digits


def statement_items(doc):
    """{number: text} of the <li class="statement" id="s-N"> elements of a page."""
    out = {}
    for li in doc.find_all("li", cls="statement"):
        ident = li.get("id", "")
        m = re.fullmatch(r"s-(\d+)", ident)
        if not m:
            raise AssertionError(f"statement item without id s-N: {li}")
        out[int(m.group(1))] = li.text()
    return out


def run_threads(n, target, timeout):
    """Runs target(i) in n threads; joins them within `timeout` seconds in total."""
    threads = [threading.Thread(target=target, args=(i,), daemon=True) for i in range(n)]
    for t in threads:
        t.start()
    deadline = time.monotonic() + timeout
    for t in threads:
        t.join(max(0.0, deadline - time.monotonic()))
    return [t for t in threads if t.is_alive()]


# ---------------------------------------------------------------------------------------
# Slow clients ("slowloris"), bounded in count and time


def raise_open_files(want=8192):
    """Raises this process's soft limit of open files towards `want` (children inherit it)."""
    import resource
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    target = want if hard == resource.RLIM_INFINITY else min(hard, want)
    if soft < target:
        resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))


def page_left(element):
    """A WebDriverWait condition: true once `element`'s page has been left (a click's
    navigation replaced it). Selenium's staleness_of knows only the stale-element error;
    Chromium, asked while the old document is being torn down, may instead answer "Node with
    given id does not belong to the document" (an unknown error), which also means gone."""
    from selenium.common.exceptions import StaleElementReferenceException, WebDriverException

    def left(_driver):
        try:
            element.is_enabled()
            return False
        except StaleElementReferenceException:
            return True
        except WebDriverException as e:
            if re.search(r"does not belong to the document|No node with given id", str(e)):
                return True
            raise
    return left


def slow_connector(host, port, wrap=None):
    """connect(source, rcvbuf) for SlowFlood: a blocking socket to host:port from `source`,
    with a receive buffer of `rcvbuf` bytes when given, passed through wrap(sock) (TLS)."""
    def connect(source, rcvbuf):
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        try:
            s.settimeout(5)
            if rcvbuf:
                s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
            if source:
                s.bind((source, 0))
            s.connect((host, port))
            return wrap(s) if wrap else s
        except BaseException:
            s.close()
            raise
    return connect


class SlowFlood:
    """`count` slow connections opened as fast as possible from `sources` (round robin),
    each of one kind, taken in turn from `kinds`: "header" (a header never finished),
    "body" (a body sent one byte at a time, to each of `body_paths` in turn) or "read"
    (pipelined requests whose answers are never read, through a small receive buffer). Every second each gets one more byte, and
    one the server has closed or answered is replaced by a new one, at most `rate` a second
    and `max_opened` in all: the flood goes on until stop(), bounded in count and time.

    connect(source, rcvbuf) returns a connected blocking socket (plain or TLS)."""

    KINDS = ("header", "body", "read")

    def __init__(self, connect, sources, count=1000, body_paths=("/api/v1/statements",),
                 rate=1000, max_opened=4000, host_header="127.0.0.1", kinds=KINDS):
        self.connect, self.sources, self.count = connect, list(sources), count
        self.kinds = list(kinds)
        self.body_paths, self.rate, self.max_opened = list(body_paths), rate, max_opened
        self.host_header = host_header
        self.socks = {}  # fileno -> (socket, kind)
        self.opened = self.failed = self.replaced = 0
        self._n = 0
        self._stop = threading.Event()
        self._thread = None
        self._lock = threading.Lock()

    def _request_start(self, kind, n):
        h = self.host_header
        if kind == "header":
            return f"GET / HTTP/1.1\r\nHost: {h}\r\nX-Slow: ".encode()
        if kind == "body":
            path = self.body_paths[n % len(self.body_paths)]
            ctype = ("multipart/form-data; boundary=slow" if path.startswith("/ops/")
                     else "application/json")
            return (f"POST {path} HTTP/1.1\r\nHost: {h}\r\nContent-Type: {ctype}\r\n"
                    f"Content-Length: 60000\r\n\r\n").encode()
        return f"GET / HTTP/1.1\r\nHost: {h}\r\n\r\n".encode() * 8

    def _open_one(self):
        if self.opened >= self.max_opened:
            return False
        n = self._n
        self._n += 1
        kind = self.kinds[n % len(self.kinds)]
        source = self.sources[n % len(self.sources)]
        self.opened += 1
        try:
            s = self.connect(source, 4096 if kind == "read" else None)
            s.sendall(self._request_start(kind, n // len(self.kinds)))
        except OSError:
            self.failed += 1
            return True
        with self._lock:
            self.socks[s.fileno()] = (s, kind)
        return True

    def start(self):
        """Opens the connections (returns when all were attempted), then keeps them slow
        in a thread."""
        for _ in range(self.count):
            self._open_one()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()
        return self

    def _run(self):
        while not self._stop.wait(1.0):
            with self._lock:
                items = list(self.socks.items())
            poller = select.poll()
            for fd, _ in items:
                poller.register(fd, select.POLLIN | select.POLLERR | select.POLLHUP)
            events = dict(poller.poll(0))
            for fd, (s, kind) in items:
                ev = events.get(fd, 0)
                # An answer or the end: the server is done with it (a "read" connection
                # gets answers it never reads: only its end counts).
                done = ev & (select.POLLERR | select.POLLHUP) or (ev and kind != "read")
                if not done:
                    if kind == "read":
                        continue
                    try:
                        s.send(b"a")
                        continue
                    except OSError:
                        pass
                with self._lock:
                    self.socks.pop(fd, None)
                s.close()
            budget = self.rate
            while len(self.socks) < self.count and budget > 0 and not self._stop.is_set():
                if not self._open_one():
                    break
                self.replaced += 1
                budget -= 1

    def stop(self):
        self._stop.set()
        if self._thread is not None:
            self._thread.join(20)
        with self._lock:
            for s, _ in self.socks.values():
                s.close()
            self.socks.clear()

    def __repr__(self):
        return (f"<SlowFlood open={len(self.socks)} opened={self.opened} "
                f"replaced={self.replaced} failed={self.failed}>")
