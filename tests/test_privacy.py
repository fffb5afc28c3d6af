"""Privacy (DESIGN.md, issue 2): no client IP address, User-Agent or time finer than the day
reaches the database, any file in the data folder, or the server's output. The server
listens on 127.0.0.2 and the client connects from 127.0.0.2, with the shipped safety defaults
(limits and flood detection keyed on hashes of the client)."""

import datetime
import os
import subprocess
import sys
import time
import unittest
import urllib.parse

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
from harness import Server  # noqa: E402

ADDR = "127.0.0.2"
UA = "Mozilla/5.0 (PrivacyProbe; tuidang-ua-7f3c91) Gecko/20100101 UniqueAgent/42.17"
UA_MARK = "tuidang-ua-7f3c91"
XFF = "203.0.113.77"          # a forwarded-for address a proxy might add
REFERER_MARK = "referer-marker-5d2a"


class PrivacyTest(unittest.TestCase):

    @classmethod
    def setUpClass(cls):
        # The shipped safety defaults, with this loopback peer named as the local proxy
        # (docs/deploy.md): the X-Forwarded-For below then names the client
        # (client_key = "auto") and is hashed for the limits and flood detection; neither
        # it nor the peer address may reach the disk.
        cls.server = Server(settings={"trusted_proxies": [ADDR]}, host=ADDR, name="privacy",
                            protections=True)
        cls.server.start()

    @classmethod
    def tearDownClass(cls):
        cls.server.cleanup()

    def scan(self, blobs, needles):
        """[(where, needle, context)] for every needle found in any blob. The server's own
        endpoint (127.0.0.2:PORT, e.g. in its "listening on" line) and the trusted_proxies
        line of tuidang.toml are not the client's address and are left out; the client's address with any other port or none is not."""
        own = f"{ADDR}:{self.server.port}".encode()
        # The configuration names the proxy (the administrator's setting, not a client's).
        proxy_setting = f'trusted_proxies = ["{ADDR}"]'.encode()
        hits = []
        for where, data in blobs.items():
            data = data.replace(own, b"<server endpoint>")
            if where.endswith("tuidang.toml"):
                data = data.replace(proxy_setting, b"<trusted proxy setting>")
            for needle in needles:
                if needle in data:
                    i = data.index(needle)
                    hits.append((where, needle, data[max(0, i - 60):i + 60 + len(needle)]))
        return hits

    def postgres_dump(self):
        """Every row of this server's schema (harness.postgres_schema_url), as pg_dump writes
        them: text as text, bytea in hex."""
        url = self.server.settings["database"]
        base, _, options = url.partition("?")
        schema = urllib.parse.unquote(options).split("search_path=", 1)[1]
        bindir = os.environ.get("TUIDANG_TEST_POSTGRES_BIN", "")
        out = subprocess.run([os.path.join(bindir, "pg_dump") if bindir else "pg_dump",
                              "--data-only", "--schema", schema, "-d", base],
                             capture_output=True, timeout=120)
        self.assertEqual(out.returncode, 0, out.stderr.decode(errors="replace"))
        return out.stdout

    def test_no_address_agent_or_time_kept(self):
        s = self.server
        time.sleep(1.2)  # keep the start-up's log lines out of the submissions' seconds
        t0 = time.time()
        c = s.client(source=ADDR, user_agent=UA)
        self.addCleanup(c.close)
        headers = {"X-Forwarded-For": XFF, "X-Real-IP": XFF,
                   "Referer": f"http://{ADDR}/{REFERER_MARK}", "Accept-Language": "zh-CN"}
        names, receipts = [], []
        for i, prefix in enumerate(("", "/zh-hant", "/en")):
            name = f"隐私表单{i}"
            r = c.post_form(f"{prefix}/submit", [("name", name), ("org", "party"),
                                                 ("region", "undisclosed")], headers=headers)
            self.assertEqual(r.status, 200, r.describe())  # the receipt, shown once
            code = harness.reply_receipt(r)
            receipts.append(code)
            names.append(name)
            self.assertEqual(c.post_form(f"{prefix}/receipt", {"code": code},
                                         headers=headers).status, 200)
        for i in range(3):
            name = f"隐私接口{i}"
            r = c.post_json("/api/v1/statements",
                            {"name": name, "organisations": ["league"],
                             "persons": [{"name": f"隐私家人{i}", "organisations": ["party"]}]},
                            headers=headers)
            self.assertEqual(r.status, 201, r.describe())
            receipts.append(r.json()["receipt"])
            names.append(name)
        # Errors, reads and misses are logged nowhere with the client's details either.
        self.assertEqual(c.post_form("/submit", [("name", "")], headers=headers).status, 400)
        self.assertEqual(c.post_json("/api/v1/statements", {"x": 1}, headers=headers).status, 400)
        self.assertEqual(c.post_form("/receipt", {"code": "0000000000000000"},
                                     headers=headers).status, 404)
        self.assertEqual(c.get("/receipt/0000000000000000", headers=headers).status, 303)
        self.assertEqual(c.get("/nothing-here", headers=headers).status, 404)
        self.assertEqual(c.get("/search?" + urllib.parse.urlencode({"name": names[0]}),
                               headers=headers).status, 200)
        self.assertEqual(c.get("/api/v1/stats", headers=headers).status, 200)
        # The client really spoke from 127.0.0.2.
        self.assertEqual(c.conn.sock.getsockname()[0] if c.conn and c.conn.sock else ADDR, ADDR)
        c.close()
        t1 = time.time()
        time.sleep(1.2)

        needles = [ADDR.encode(), UA.encode(), UA_MARK.encode(), XFF.encode(),
                   REFERER_MARK.encode(), b"\x7f\x00\x00\x02", b"2130706434",
                   b"7f000002"]  # the address's bytes as PostgreSQL dumps a bytea
        needles += [code.encode() for code in receipts]
        needles += ["-".join(code[i:i + 4] for i in range(0, 16, 4)).encode() for code in receipts]
        times = set()
        for t in range(int(t0) - 1, int(t1) + 2):
            times.add(str(t).encode())
            for tz in (datetime.timezone.utc, harness.CST, None):
                dt = datetime.datetime.fromtimestamp(t, tz)
                times.add(dt.strftime("%H:%M:%S").encode())
        time_needles = sorted(times)

        # While running (the WAL holds the fresh pages), then after a clean stop.
        for phase in ("running", "stopped"):
            if phase == "stopped":
                self.assertEqual(s.stop(), 0, "tuidang exits 0 on SIGTERM")
            files = s.data_files()
            if harness.ON_POSTGRES:
                # The rows are in PostgreSQL (test_privacy_pg): its dump is scanned too.
                files["postgres dump"] = self.postgres_dump()
            else:
                self.assertTrue(any(p.endswith("tuidang.db") for p in files), list(files))
            # Sanity: the scan does read the stored statements.
            all_bytes = b"".join(files.values())
            self.assertIn(names[0].encode(), all_bytes, "names not found: scan reads nothing?")
            hits = self.scan(files, needles)
            self.assertEqual(hits, [], f"client details or receipt codes on disk ({phase})")
            hits = self.scan(files, time_needles)
            self.assertEqual(hits, [], f"times of day of the submissions on disk ({phase})")
            out = {"server output": s.output_bytes()}
            self.assertEqual(self.scan(out, needles), [], "client details in the server output")
            self.assertEqual(self.scan(out, time_needles), [],
                             "time of day of the submissions in the server output")


if __name__ == "__main__":
    unittest.main(verbosity=2)
