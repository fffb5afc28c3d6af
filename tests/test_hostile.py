"""Bad input and hostile clients (issue 2, "Bad input and hostile clients"): each gets a
clear error, leaves nothing stored, and does not stop the server from serving others."""

import json
import os
import select
import socket
import sys
import time
import unittest
import urllib.parse

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
from harness import ServerTestCase, raw_connect, read_until_close, statement_items  # noqa: E402

API = "/api/v1/statements"
TIMEOUT = 2  # request_timeout_seconds of the test server


def form(name="合法", orgs=("party",), **extra):
    f = [("name", name)] + [("org", o) for o in orgs]
    for k, v in extra.items():
        if isinstance(v, (list, tuple)):
            f.extend((k, x) for x in v)
        else:
            f.append((k, v))
    return f


class HostileTestBase(ServerTestCase):

    def setUp(self):
        self.before = self.server.stats()

    def assertNothingStored(self, msg=""):
        # A rejected request must not be stored, now or a moment later (queued writes).
        time.sleep(0.05)
        self.assertEqual(self.server.stats(), self.before, "stats changed " + msg)

    def assertServing(self):
        r = self.server.get("/healthz")
        self.assertEqual(r.status, 200, r.describe())

    def assertFormRejected(self, fields, error_field=None, prefix=""):
        r = self.server.post_form(f"{prefix}/submit", fields)
        self.assertEqual(r.status, 400, f"POST /submit {fields!r}:\n" + r.describe())
        if error_field:
            self.assertIsNotNone(r.doc.by_id(f"error-{error_field}"),
                                 f"no error-{error_field} for {fields!r}:\n" + r.describe(3000))
        return r

    def assertApiRejected(self, body, code=None, field="__any__", raw=None):
        r = self.server.post_json(API, body, raw=raw)
        self.assertEqual(r.status, 400, f"POST {API} {body!r}:\n" + r.describe())
        j = r.json()
        if code:
            self.assertEqual(j["error"]["code"], code, r.describe())
        if field != "__any__":
            self.assertEqual(j["error"]["field"], field, r.describe())
        return j


class HostileTest(HostileTestBase, unittest.TestCase):
    SETTINGS = {"request_timeout_seconds": TIMEOUT}

    # -- encodings and characters --

    def test_invalid_utf8_form(self):
        for bad in (b"\xff\xfe", b"ab\xc3", b"\xc0\xaf", b"\xed\xa0\x80", b"\xf8\x88\x80\x80\x80"):
            self.assertFormRejected([("name", bad), ("org", "party")], "name")
            self.assertFormRejected([("name", "好"), ("org", "party"), ("text", bad)])
            self.assertFormRejected([("name", "好"), ("org", "party"), ("rows", "1"),
                                     ("p1_name", bad), ("p1_org", "league")])
        self.assertNothingStored()

    def test_invalid_utf8_json(self):
        for raw in (b'{"name": "\xff", "organisations": ["party"]}',
                    b'{"name": "\xed\xa0\x80", "organisations": ["party"]}',
                    b'{"name": "ok", "organisations": ["party"], "text": "\xc0\xaf"}'):
            self.assertApiRejected(None, "invalid_json", raw=raw)
        # A lone surrogate escaped in JSON is no character either.
        self.assertApiRejected(None, raw=b'{"name": "\\ud800", "organisations": ["party"]}')
        self.assertNothingStored()

    def test_invalid_utf8_in_url(self):
        for path in ("/search?name=%FF%FE", "/statements/%FF", "/receipt/%C0%AF",
                     "/api/v1/receipts/%FF"):
            r = self.server.get(path)
            if path.startswith("/receipt/"):  # an address of before: to the look-up form
                self.assertEqual((r.status, r.header("Location")), (303, "/receipt?old=1"),
                                 r.describe())
            else:
                self.assertIn(r.status, (200, 400, 404), r.describe())
        # The same bytes as a posted code: not a code.
        c = self.server.client()
        self.addCleanup(c.close)
        r = c.request("POST", "/receipt", body=b"code=%C0%AF",
                      headers={"Content-Type": "application/x-www-form-urlencoded"}, retry=False)
        self.assertEqual(r.status, 404, r.describe())
        self.assertServing()

    def test_control_characters(self):
        for ch in ("\x00", "\x07", "\x1b", "\x7f", "\u009b", "\x0b"):
            name = f"名{ch}字"
            self.assertFormRejected(form(name), "name")
            self.assertApiRejected({"name": name, "organisations": ["party"]},
                                   "invalid_characters", "name")
            self.assertApiRejected({"name": "好", "organisations": ["party"],
                                    "text": f"正文{ch}正文"}, "invalid_characters", "text")
            self.assertApiRejected({"name": "好", "organisations": ["party"],
                                    "persons": [{"name": name, "organisations": ["party"]}]},
                                   "invalid_characters")
        self.assertNothingStored()

    def test_line_breaks_in_text_are_fine(self):
        r = self.server.post_form("/submit", form("换行", text="第一行\r\n第二行\n第三行"))
        harness.reply_receipt(r)  # accepted: its receipt

    # -- names --

    def test_name_too_long(self):
        for name in ("名" * 41, "a" * 41, "a" * 1000, "😀" * 41):
            self.assertFormRejected(form(name), "name")
            self.assertApiRejected({"name": name, "organisations": ["party"]}, "too_long", "name")
        self.assertNothingStored()

    def test_name_at_limit_accepted(self):
        for name in ("名" * 40, "e\u0301" * 40, "😀" * 40):  # 40 after NFC
            r = self.server.post_json(API, {"name": name, "organisations": ["party"]})
            self.assertEqual(r.status, 201, f"{name!r}: " + r.describe())

    def test_name_empty_after_trimming(self):
        for name in ("", " ", "   ", "\t \t", "\n"):
            self.assertFormRejected(form(name), "name")
            self.assertApiRejected({"name": name, "organisations": ["party"]}, field="name")
        self.assertNothingStored()

    def test_name_of_ideographic_spaces_rejected(self):
        # A Chinese keyboard's full-width space is white space too.
        for name in ("\u3000", "\u3000 \u3000", "\u00a0"):
            self.assertApiRejected({"name": name, "organisations": ["party"]}, field="name")
        self.assertNothingStored()

    # -- vocabularies --

    def test_unknown_values(self):
        self.assertFormRejected(form(orgs=("army",)), "org")
        self.assertFormRejected(form(orgs=("party", "Party")), "org")
        self.assertFormRejected(form(region="atlantis"), "region")
        self.assertFormRejected(form(region="Beijing"), "region")
        self.assertFormRejected(form(occupation="spy"), "occupation")
        self.assertFormRejected(form(name_kind="alias"))
        self.assertFormRejected(form(rows="51"))
        self.assertFormRejected(form(rows="-1"))
        self.assertFormRejected(form(rows="abc"))
        self.assertFormRejected(form(rows="1", p1_name="甲", p1_org="army"), "p1_org")
        self.assertFormRejected(form(rows="1", p1_name="甲", p1_org="party", p1_kind="x"))
        self.assertApiRejected({"name": "甲", "organisations": ["army"]}, "unknown_value",
                               "organisations")
        self.assertApiRejected({"name": "甲", "organisations": ["party"], "region": "mars"},
                               "unknown_value", "region")
        self.assertApiRejected({"name": "甲", "organisations": ["party"], "occupation": "x"},
                               "unknown_value", "occupation")
        self.assertApiRejected({"name": "甲", "organisations": ["party"], "language": "fr"},
                               "unknown_value", "language")
        self.assertNothingStored()

    def test_duplicate_form_fields(self):
        for dup in ([("name", "甲"), ("name", "乙"), ("org", "party")],
                    form(region=["beijing", "shanghai"]),
                    form(occupation=["teacher", "teacher"]),
                    form(text=["一", "二"]),
                    form(name_kind=["real", "pseudonym"]),
                    form(rows=["1", "1"], p1_name=["甲", "乙"], p1_org="league"),
                    form(rows=["1", "2"])):
            self.assertFormRejected(dup)
        self.assertNothingStored()
        # Repeated organisations are the normal way to send several.
        r = self.server.post_form("/submit", form(orgs=("party", "league")))
        harness.reply_receipt(r)  # accepted: its receipt

    # -- HTML and script --

    PAYLOADS = {
        "name": "<script>alert(1)</script>",
        "text": "<script>alert('t')</script><img src=x onerror=alert(2)>\"'&amp;</textarea>",
        "p1_name": "\"><script>alert(3)</script>",
    }

    def assertInert(self, r, where):
        text = r.text.lower()
        # (The payloads' own scripts: the page's pow.js tag may follow a quoted attribute.)
        for raw in ("<script>alert", "<img src=x", "\"><script>alert"):
            self.assertNotIn(raw, text, f"the payload {raw!r} is raw HTML on {where}")
        # The page's own scripts, if any, are same-origin files; none is the payload's.
        self.assertEqual(harness.foreign_scripts(r.doc, self.server.base + r.url), [], where)
        self.assertEqual(r.doc.find_all("img", src="x"), [], where)
        for n in r.doc.iter():
            for k in n.attrs:
                self.assertFalse(k.startswith("on"), f"{where}: event handler in {n}")

    def test_script_rendered_inert(self):
        p = self.PAYLOADS
        # Re-rendered invalid form (no organisation): every field echoed, escaped.
        for prefix in ("", "/en", "/zh-hant"):
            r = self.server.post_form(f"{prefix}/submit", [
                ("name", p["name"]), ("text", p["text"]), ("rows", "1"),
                ("p1_name", p["p1_name"]), ("p1_org", "league"),
                ("region", "\"><script>alert(4)</script>")])
            self.assertEqual(r.status, 400, r.describe())
            self.assertInert(r, f"{prefix}/submit (invalid)")
            name_input = [n for n in r.doc.iter() if n.get("name") == "name"][0]
            self.assertEqual(name_input.get("value"), p["name"], "typed value kept verbatim")
        self.assertNothingStored()
        # A valid statement carrying the payloads: shown as text everywhere.
        r = self.server.post_form("/submit", [("name", p["name"]), ("org", "party"),
                                              ("text", p["text"]), ("rows", "1"),
                                              ("p1_name", p["p1_name"]), ("p1_org", "league")])
        self.assertEqual(r.status, 200, r.describe())
        self.assertInert(r, "the answer to /submit")
        code = harness.reply_receipt(r)
        n = self.server.get(f"/api/v1/receipts/{code}").json()["number"]
        st = self.server.get(f"{API}/{n}").json()
        self.assertEqual(st["name"], p["name"])
        self.assertEqual(st["text"], p["text"])
        self.assertEqual(st["persons"][0]["name"], p["p1_name"])
        for action in ("", "/certificate"):  # the receipt and the certificate it gives
            r = harness.post_receipt(self.server, code, action)
            self.assertEqual(r.status, 200, r.describe())
            self.assertInert(r, f"/receipt{action}")
        pages = [f"/statements/{n}", "/statements", f"/en/statements/{n}",
                 "/search?" + urllib.parse.urlencode({"name": p["name"]}),
                 "/search?" + urllib.parse.urlencode({"name": p["p1_name"]}),
                 "/en/search?" + urllib.parse.urlencode({"name": p["name"]})]
        for path in pages:
            r = self.server.get(path)
            self.assertEqual(r.status, 200, r.describe())
            self.assertInert(r, path)
        page = self.server.get(f"/statements/{n}")
        self.assertEqual(page.doc.find("h1").text().strip(), p["name"],
                         "the name is shown as the text typed")
        self.assertIn(p["text"], page.doc.find("body").text())
        self.assertIn(p["p1_name"], page.doc.find("body").text())
        found = statement_items(self.server.get(
            "/search?" + urllib.parse.urlencode({"name": p["name"]})).doc)
        self.assertIn(n, found)
        self.assertIn(p["name"], found[n])
        self.assertIn(n, statement_items(self.server.get("/statements").doc))

    def test_json_api_echo_is_json(self):
        r = self.server.post_json(API, {"name": "<script>", "organisations": ["<script>"]})
        self.assertEqual(r.status, 400)
        self.assertTrue(r.header("Content-Type").startswith("application/json"))
        self.assertNothingStored()

    # -- headers and framing --

    def test_very_long_header(self):
        for extra in (b"X-Big: " + b"a" * 10240 + b"\r\n",
                      b"".join(b"X-H%d: %s\r\n" % (i, b"b" * 100) for i in range(100)),
                      b"Cookie: " + b"c" * 65536 + b"\r\n"):
            for req_line in (b"GET /healthz HTTP/1.1\r\n", b"POST /api/v1/statements HTTP/1.1\r\n"):
                body = json.dumps({"name": "长头", "organisations": ["party"]}).encode()
                req = (req_line + b"Host: 127.0.0.1\r\nContent-Type: application/json\r\n"
                       + extra + b"Content-Length: %d\r\n\r\n" % len(body) + body)
                resp, raw, how = self.server.raw(req)
                self.assertIsNotNone(resp, f"no answer to {len(extra)} bytes of header "
                                           f"(read ended by {how})")
                self.assertIn(resp[0], (400, 431), raw[:500])
        resp, raw, how = self.server.raw(b"GET /" + b"a" * 10240 + b" HTTP/1.1\r\nHost: x\r\n\r\n")
        self.assertIsNotNone(resp, f"no answer to a 10 KiB request line ({how})")
        self.assertIn(resp[0], (400, 414, 431), raw[:500])
        self.assertNothingStored()
        self.assertServing()

    def test_header_under_limit_is_fine(self):
        resp, raw, _ = self.server.raw(b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Ok: "
                                       + b"a" * 6000 + b"\r\nConnection: close\r\n\r\n")
        self.assertIsNotNone(resp)
        self.assertEqual(resp[0], 200, raw[:300])

    def test_pipelined_requests(self):
        req = b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n"
        last = b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
        resp, raw, how = self.server.raw(req * 3 + last)
        self.assertEqual(raw.count(b"HTTP/1.1 200"), 4, raw[:600])
        self.assertEqual(how, "eof")

    def test_connection_survives_client_error(self):
        c = self.server.client()
        try:
            r = c.post_json(API, {"name": "", "organisations": ["party"]})
            self.assertEqual(r.status, 400)
            self.assertEqual(c.request("GET", "/healthz", retry=False).status, 200,
                             "the connection stays open after a 400")
        finally:
            c.close()

    def test_malformed_framing(self):
        body = json.dumps({"name": "分帧", "organisations": ["party"]}).encode()
        base = b"POST /api/v1/statements HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
        for req in (b"GARBAGE\r\n\r\n",
                    b"GET / HTTP/9.9\r\n\r\n",
                    base + b"Content-Length: -5\r\n\r\n" + body,
                    base + b"Content-Length: abc\r\n\r\n" + body,
                    base + b"Content-Length: 10\r\nContent-Length: 20\r\n\r\n" + body,
                    base + b"Transfer-Encoding: chunked\r\n\r\nzz\r\n" + body + b"\r\n0\r\n\r\n"):
            resp, raw, how = self.server.raw(req, timeout=TIMEOUT + 3)
            if resp is not None:
                self.assertGreaterEqual(resp[0], 400, f"{req[:120]!r} -> {raw[:300]!r}")
                self.assertLess(resp[0], 500, f"{req[:120]!r} -> {raw[:300]!r}")
        self.assertNothingStored()
        self.assertServing()

    def test_ambiguous_transfer_encoding_refused_and_closed(self):
        # Anything but one final "chunked" coding, or Transfer-Encoding with Content-Length,
        # is framing that two parsers may read differently (request smuggling behind a front
        # end): 400 and the connection closed, so the body is never read as a request.
        inner = json.dumps({"name": "夹带", "organisations": ["party"]}).encode()
        smuggled = (b"POST /api/v1/statements HTTP/1.1\r\nHost: x\r\n"
                    b"Content-Type: application/json\r\nContent-Length: %d\r\n\r\n" % len(inner)
                    + inner)
        chunked = b"%x\r\n" % len(smuggled) + smuggled + b"\r\n0\r\n\r\n"
        cases = [
            (b"Transfer-Encoding: xchunked\r\n", smuggled),
            (b"Transfer-Encoding: gzip\r\n", smuggled),
            (b"Transfer-Encoding: identity\r\n", smuggled),
            (b"Transfer-Encoding: chunked, identity\r\n", smuggled),
            (b"Transfer-Encoding: gzip, chunked\r\n", chunked),
            (b"Transfer-Encoding: gzip\r\nTransfer-Encoding: chunked\r\n", chunked),
            (b"Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n", chunked),
            (b"Transfer-Encoding: gzip\r\nContent-Length: 0\r\n", smuggled),
            (b"Content-Length: 0\r\nTransfer-Encoding: chunked\r\n", chunked),
            (b"Transfer-Encoding: chunked\r\nContent-Length: 0\r\n", chunked),
        ]
        for head, body in cases:
            req = b"GET /healthz HTTP/1.1\r\nHost: x\r\n" + head + b"\r\n" + body
            resp, raw, how = self.server.raw(req, timeout=TIMEOUT + 3)
            self.assertIsNotNone(resp, f"{head!r}: no answer ({how})")
            self.assertEqual(resp[0], 400, f"{head!r} -> {raw[:300]!r}")
            self.assertEqual(raw.count(b"HTTP/1.1 "), 1, f"{head!r}: a second answer {raw!r}")
            self.assertIn(how, ("eof", "reset"), f"{head!r}: the connection stayed open")
        # HTTP/1.0 with Transfer-Encoding, too.
        resp, raw, how = self.server.raw(b"POST /api/v1/statements HTTP/1.0\r\nHost: x\r\n"
                                         b"Transfer-Encoding: chunked\r\n\r\n" + chunked)
        self.assertEqual(resp[0], 400, raw[:300])
        self.assertNothingStored()
        # One final "chunked" (any case, spaced) is fine.
        body = json.dumps({"name": "分块", "organisations": ["party"]}).encode()
        resp, raw, how = self.server.raw(
            b"POST /api/v1/statements HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
            b"Connection: close\r\nTransfer-Encoding:  Chunked \r\n\r\n"
            + b"%x\r\n" % len(body) + body + b"\r\n0\r\n\r\n")
        self.assertEqual(resp[0], 201, raw[:300])

    def test_form_body_over_limit(self):
        body = urllib.parse.urlencode(form("大表单", text="字" * 30000)).encode()
        self.assertGreater(len(body), 64 * 1024)
        head = (f"POST /submit HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                f"Content-Type: application/x-www-form-urlencoded\r\n"
                f"Content-Length: {len(body)}\r\n\r\n").encode()
        resp, raw, how = self.server.raw(head + body)
        self.assertIsNotNone(resp, f"no answer to a {len(body)}-byte form ({how})")
        self.assertEqual(resp[0], 413, raw[:300])
        self.assertNothingStored()

    def test_chunked_body_over_limit(self):
        chunk = b"a" * 1024
        req = (b"POST /api/v1/statements HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
               b"Transfer-Encoding: chunked\r\n\r\n")
        req += b'1c\r\n{"name":"x","organisations":\r\n'
        req += b"".join(b"400\r\n" + chunk + b"\r\n" for _ in range(70)) + b"0\r\n\r\n"
        resp, raw, how = self.server.raw(req)
        self.assertIsNotNone(resp, f"no answer to a 70 KiB chunked body ({how})")
        self.assertEqual(resp[0], 413, raw[:300])
        self.assertNothingStored()

    def test_truncated_body_stores_nothing(self):
        for path, ctype, body in (
                (API, "application/json",
                 json.dumps({"name": "截断甲", "organisations": ["party"]}).encode()),
                ("/submit", "application/x-www-form-urlencoded",
                 urllib.parse.urlencode(form("截断乙")).encode())):
            head = (f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: {ctype}\r\n"
                    f"Content-Length: {len(body) + 40}\r\n\r\n").encode()
            # Abrupt close after part of the body.
            s = raw_connect(self.server.host, self.server.port)
            s.sendall(head + body)
            time.sleep(0.3)
            s.close()
            # Half close: the server sees the end of the stream and must not store it.
            s = raw_connect(self.server.host, self.server.port)
            s.sendall(head + body)
            s.shutdown(socket.SHUT_WR)
            got, how = read_until_close(s, timeout=TIMEOUT + 3)
            s.close()
            resp = harness.parse_raw_response(got)
            if resp is not None:
                self.assertGreaterEqual(resp[0], 400, got[:300])
        time.sleep(0.5)
        self.assertNothingStored()
        names = [s["name"] for s in self.server.day_statements()]
        self.assertNotIn("截断甲", names)
        self.assertNotIn("截断乙", names)

    # -- slow clients --

    def trickle(self, prefix, payload, limit=TIMEOUT + 10):
        """Sends `prefix` at once, then `payload` one byte a second; returns the seconds
        until the server closed the connection (None if it never did within `limit`)."""
        s = raw_connect(self.server.host, self.server.port)
        start = time.monotonic()
        try:
            if prefix:
                s.sendall(prefix)
            for i in range(limit):
                try:
                    s.send(payload[i % len(payload):i % len(payload) + 1])
                except (BrokenPipeError, ConnectionResetError):
                    return time.monotonic() - start
                r, _, _ = select.select([s], [], [], 1.0)
                if r:
                    got, how = read_until_close(s, timeout=2)
                    if how in ("eof", "reset"):
                        return time.monotonic() - start
            return None
        finally:
            s.close()

    def test_slow_headers_cut_off(self):
        took = self.trickle(b"", b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: "
                            + b"a" * 100)
        self.assertIsNotNone(took, "a client sending one byte a second was never cut off")
        self.assertLessEqual(took, TIMEOUT + 3, f"cut off after {took:.1f}s")
        self.assertServing()

    def test_slow_body_cut_off(self):
        body = json.dumps({"name": "慢慢", "organisations": ["party"]}).encode()
        head = (f"POST {API} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                f"Content-Length: {len(body)}\r\n\r\n").encode()
        took = self.trickle(head, body)
        self.assertIsNotNone(took, "a body sent one byte a second was never cut off")
        self.assertLessEqual(took, TIMEOUT + 3, f"cut off after {took:.1f}s")
        self.assertNothingStored()

    def test_idle_connection_closed(self):
        s = raw_connect(self.server.host, self.server.port)
        start = time.monotonic()
        try:
            got, how = read_until_close(s, timeout=TIMEOUT + 8)
        finally:
            s.close()
        self.assertIn(how, ("eof", "reset"), "an idle connection was never closed")
        self.assertLessEqual(time.monotonic() - start, TIMEOUT + 3)

    def test_slow_clients_do_not_block_others(self):
        socks = []
        try:
            for _ in range(20):
                s = raw_connect(self.server.host, self.server.port)
                s.sendall(b"POST /api/v1/statements HTTP/1.1\r\nHost: x\r\nContent-Len")
                socks.append(s)
            t0 = time.monotonic()
            self.assertEqual(self.server.submit_api("并行")["status"], "published")
            self.assertLess(time.monotonic() - t0, 1.5, "a normal client was kept waiting")
        finally:
            for s in socks:
                s.close()


class MaxConnectionsTest(HostileTestBase, unittest.TestCase):
    MAX = 50
    SETTINGS = {"max_connections": MAX, "request_timeout_seconds": 30}

    def test_connections_beyond_max_closed_then_service_resumes(self):
        held = []
        try:
            for _ in range(self.MAX + 30):
                held.append(raw_connect(self.server.host, self.server.port, timeout=5))
                # Half the connections start a request, half stay silent.
                if len(held) % 2:
                    held[-1].sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n")
            time.sleep(1.0)
            closed = 0
            answers = set()
            for s in held:
                r, _, _ = select.select([s], [], [], 0)
                if r:  # an answer (e.g. 503) and the end of the stream, or a reset
                    got, how = read_until_close(s, timeout=0.5)
                    if how in ("eof", "reset"):
                        closed += 1
                        answers.add(got.split(b"\r\n", 1)[0])
            self.assertTrue(answers <= {b"", b"HTTP/1.1 503 Service Unavailable"}, answers)
            still_open = len(held) - closed
            self.assertLessEqual(still_open, self.MAX + 2,
                                 f"{still_open} connections held open with max_connections"
                                 f" = {self.MAX}")
            self.assertGreaterEqual(closed, 25, "connections beyond the maximum closed at once")
        finally:
            for s in held:
                s.close()
        # Once they are gone, a normal client gets served again.
        deadline = time.monotonic() + 5
        last = None
        while time.monotonic() < deadline:
            try:
                last = self.server.get("/healthz")
                if last.status == 200:
                    break
            except OSError as e:
                last = e
            time.sleep(0.1)
        self.assertIsInstance(last, harness.Response, f"server unreachable after release: {last}")
        self.assertEqual(last.status, 200)
        self.assertEqual(self.server.submit_api("恢复")["status"], "published")


if __name__ == "__main__":
    unittest.main(verbosity=2)
