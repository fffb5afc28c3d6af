#!/usr/bin/env python3
"""Moderation in the open and verification a journalist can follow (issue 15).

- /stats (three languages), /stats.csv and /api/v1/stats show how many statements were
  held, rejected and withdrawn, per closed day and reason, and never today's: the acts of
  yesterday are made by a server and commands running under libfaketime one day back,
  today's by the same data folder at the real time. Beside the total the page says what a
  log entry is, with the numbers of statement and withdrawal entries.
- The /log page's audit command runs as printed (scheme from public_url) and succeeds; the
  page says where the tool comes from and explains the checkpoint line by line.
- A statement's page links its certificate and its day, and shows its opening (leaf, salt,
  record): the printed check command computes the commitment that is in the log's entry
  for that leaf (read from the receipt's proof)."""
import base64
import csv
import io
import os
import shlex
import subprocess
import tempfile
import time
import unittest
import urllib.parse

import harness

FAKETIME_LIB = "/usr/lib/x86_64-linux-gnu/faketime/libfaketime.so.1"
YESTERDAY = {"LD_PRELOAD": FAKETIME_LIB, "FAKETIME": "-1d", "DONT_FAKE_MONOTONIC": "1"}


def run(*args, env=None, check=True):
    out = subprocess.run([harness.binary(), *args], capture_output=True, text=True, timeout=120,
                         env={**os.environ, **(env or {})}, stdin=subprocess.DEVNULL)
    if check and out.returncode != 0:
        raise AssertionError(f"tuidang {' '.join(args)}: {out.returncode}\n{out.stdout}{out.stderr}")
    return out


# libfaketime (LD_PRELOAD) cannot run under AddressSanitizer, which must be the first
# library loaded and whose start-up recurses into faketime's clock_gettime: the server never
# answers. Under scripts/test-sanitizers.sh the moderation code runs in pages_test and the
# store contract tests instead.
@unittest.skipIf(os.environ.get("ASAN_OPTIONS"), "libfaketime does not run under ASan")
class ModerationStatsTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        if not os.path.exists(FAKETIME_LIB):
            raise AssertionError(f"{FAKETIME_LIB} missing: scripts/setup.sh --test installs "
                                 "Debian's faketime")
        cls.today = harness.today_cst()
        cls.yesterday = harness.day_offset(cls.today, -1)
        cls.server = harness.Server({"checkpoint_interval_ms": 100,
                                     "software_url": "https://example.org/tuidang/"},
                                    name="modstats")
        s = cls.server
        try:
            cls.data = s.data
            # Yesterday: six published statements, two of them withdrawn by the center.
            cls.start(YESTERDAY)
            cls.published = [s.submit_api(f"昨天{i}", organisations=("party",)) for i in range(6)]
            cls.numbers = [r["number"] for r in cls.published]
            s.stop()
            for number, reason in ((cls.numbers[0], "danger"), (cls.numbers[1], "fake")):
                run("withdraw", str(number), "--reason", reason, "--data", s.data, env=YESTERDAY)
            # Yesterday still, with the proof of work asked for: five held (no JavaScript), one
            # withdrawn by its declarant before publication, the four others rejected.
            # From now on public_url is the test server's address (a restart keeps its port):
            # the /log page's command must reach it as printed. The log keeps its name.
            cls.server.rewrite_settings({"pow_policy": "hold", "public_url": s.base,
                         "log_origin": "127.0.0.1:8080/log"})
            cls.start(YESTERDAY)
            held = [s.submit_api(f"无脚本{i}", organisations=("league",)) for i in range(5)]
            assert all(r["status"] == "held" for r in held), held
            done = s.post_form("/en/receipt/withdraw", [("code", held[0]["receipt"]),
                                                        ("confirm", "1")])
            assert done.status == 200 and done.doc.by_id("withdrawn") is not None, done.describe()
            s.stop()
            groups = run("held", "groups", "--data", s.data, env=YESTERDAY).stdout
            assert "no_pow" in groups, groups
            run("held", "reject", "no_pow", "--data", s.data, env=YESTERDAY)
            # Today: two more held and one more withdrawal, which no page may show yet.
            cls.start({})
            for i in range(2):
                assert s.submit_api(f"今天{i}", organisations=("party",))["status"] == "held"
            run("withdraw", str(cls.numbers[2]), "--reason", "duplicate", "--data", s.data)
        except BaseException:
            s.cleanup()
            raise

    @classmethod
    def start(cls, env):
        saved = {k: os.environ.get(k) for k in YESTERDAY}
        os.environ.update(env)
        try:
            cls.server.start()
        finally:
            for k, v in saved.items():
                if v is None:
                    os.environ.pop(k, None)
                else:
                    os.environ[k] = v

    @classmethod
    def tearDownClass(cls):
        cls.server.stop()
        cls.server.cleanup()

    EXPECTED = {"held": {"no_pow": 5}, "rejected": {"no_pow": 4},
                "withdrawn": {"danger": 1, "fake": 1, "before-publication": 1}}

    def test_api_counts_closed_days_by_reason(self):
        # The command's withdrawal of today reaches the server's totals at its next refresh.
        deadline = time.monotonic() + 20
        while (stats := self.server.stats())["total_statements"] != 3:
            self.assertLess(time.monotonic(), deadline, stats)
            time.sleep(0.1)
        m = stats["moderation"]
        self.assertEqual(m["through"], self.yesterday)
        self.assertEqual(m["by_day"], [{"date": self.yesterday, **self.EXPECTED}])
        # Today's acts are counted but not shown: the totals already dropped by today's
        # withdrawal, the moderation figures will show it tomorrow.
        self.assertEqual(stats["total_statements"], 3)
        self.assertEqual(stats["tree_size"], 9)

    def test_csv_rows(self):
        r = self.server.get("/stats.csv")
        self.assertEqual(r.status, 200)
        rows = list(csv.reader(io.StringIO(r.text)))
        self.assertEqual(rows[0], ["kind", "key", "persons", "statements"])
        self.assertIn(["moderation_through", self.yesterday, "", ""], rows)
        got = {}
        for kind, key, persons, statements in rows[1:]:
            if kind in ("held", "rejected", "withdrawn"):
                day, reason = key.split("/", 1)
                self.assertEqual(day, self.yesterday, key)
                self.assertEqual(persons, "")
                got.setdefault(kind, {})[reason] = int(statements)
        self.assertEqual(got, self.EXPECTED)

    def test_stats_page_in_three_languages(self):
        for prefix, held_word in (("", "暂缓"), ("/zh-hant", "暫緩"), ("/en", "Held")):
            for query in ("", "?range=365", "?range=all"):
                r = self.server.get(prefix + "/stats" + query)
                self.assertEqual(r.status, 200, r.describe())
                doc = r.doc
                reasons = doc.by_id("moderation-reasons")
                self.assertIsNotNone(reasons, r.describe())
                got = {}
                for tr in reasons.find_all("tr"):
                    if tr.get("data-event"):
                        got.setdefault(tr.get("data-event"), {})[tr.get("data-reason")] = int(
                            tr.find("td").text().replace(",", ""))
                self.assertEqual(got, self.EXPECTED, prefix + query)
                days = doc.by_id("moderation-days")
                heads = [th.text() for th in days.find("thead").find_all("th")]
                self.assertIn(held_word, heads)
                rows = days.find("tbody").find_all("tr")
                self.assertEqual([tr.find("th").text() for tr in rows], [self.yesterday])
                cells = [td.text() for td in rows[0].find_all("td")]
                self.assertTrue(cells[0].startswith("5"), cells)  # held
                self.assertTrue(cells[1].startswith("4"), cells)  # rejected
                self.assertTrue(cells[2].startswith("3"), cells)  # withdrawn
                # Beside the total: 9 entries are 6 statements and 3 withdrawals, 3 counted.
                entries = doc.by_id("entries").text()
                for n in ("9", "6", "3"):
                    self.assertIn(n, entries)
                self.assertIn(self.yesterday, doc.by_id("moderation").parent.text())
        en = self.server.get("/en/stats").doc.by_id("entries").text()
        self.assertIn("A log entry is a statement or a withdrawal", en)
        self.assertIn("6 − 3 = 3", en)
        self.assertIn("declarant before publication",
                      self.server.get("/en/stats").doc.by_id("moderation-reasons").text())

    def test_log_page_command_runs_as_printed(self):
        for prefix in ("", "/zh-hant", "/en"):
            doc = self.server.get(prefix + "/log").doc
            command = doc.by_id("audit-command").text()
            argv = shlex.split(command)
            self.assertEqual(argv[:2], ["tuidang", "audit"])
            self.assertEqual(argv[2], self.server.base, "the site's address with its scheme")
            self.assertIn("tuidang_", doc.by_id("install-package").text())
            self.assertIn("scripts/setup.sh", doc.by_id("build-source").text())
            self.assertIn("https://example.org/tuidang/", doc.by_id("software-url").text())
            self.assertEqual(len(doc.by_id("checkpoint-lines").find_all("li")), 4)
        lines = self.server.get("/en/log").doc.by_id("checkpoint-lines").text()
        checkpoint = self.server.get("/log/checkpoint").text.split("\n")
        self.assertIn(f"how many entries it holds: {checkpoint[1]}", lines)
        with tempfile.TemporaryDirectory() as cwd:
            argv = [harness.binary(), *argv[1:]]
            first = subprocess.run(argv, cwd=cwd, capture_output=True, text=True, timeout=120)
            self.assertEqual(first.returncode, 0, first.stdout + first.stderr)
            self.assertTrue(os.path.exists(os.path.join(cwd, "tuidang-audit.state")))
            again = subprocess.run(argv, cwd=cwd, capture_output=True, text=True, timeout=120)
            self.assertEqual(again.returncode, 0, again.stdout + again.stderr)

    def test_statement_page_links_and_opening(self):
        published = self.published[4]
        number = published["number"]
        for prefix in ("", "/en"):
            r = self.server.get(f"{prefix}/statements/{number}")
            self.assertEqual(r.status, 200, r.describe())
            doc = r.doc
            cert = doc.by_id("certificate-link").get("href")
            self.assertEqual(self.server.get(cert).status, 200, cert)
            day = urllib.parse.urlsplit(doc.by_id("day-link").get("href"))
            self.assertEqual(day.fragment, f"s-{number}")
            listing = self.server.get(day.path + "?" + day.query)
            self.assertEqual(urllib.parse.parse_qs(day.query)["date"], [self.yesterday])
            self.assertIsNotNone(listing.doc.by_id(f"s-{number}"), listing.describe())
        api = self.server.get(f"/api/v1/statements/{number}").json()
        doc = self.server.get(f"/en/statements/{number}").doc
        self.assertEqual(int(doc.by_id("leaf").text()), api["leaf_index"])
        self.assertEqual(doc.by_id("salt").text(), api["salt"])
        self.assertEqual(doc.by_id("record").text(), api["record"])
        # The printed command, run as printed, gives the commitment that the log's entry for
        # this leaf ends with (the entry rides in the receipt's proof, checked against the
        # signed checkpoint by verify-proof).
        command = doc.by_id("check-command").text()
        self.assertTrue(command.startswith(f"curl -s {self.server.base}/api/v1/statements/"))
        out = subprocess.run(["bash", "-c", command], capture_output=True, text=True, timeout=60)
        self.assertEqual(out.returncode, 0, out.stderr)
        computed = out.stdout.strip()
        proof = self.server.get(f"/api/v1/receipts/{published['receipt']}").json()["proof"]
        extra = [l for l in proof.split("\n") if l.startswith("extra ")][0].split(" ", 1)[1]
        entry = base64.b64decode(extra)
        self.assertEqual(entry[-32:].hex(), computed)
        self.assertEqual(doc.by_id("commitment").text(), computed)

    def test_withdrawn_statement_has_no_page(self):
        self.assertEqual(self.server.get(f"/statements/{self.numbers[0]}").status, 404)


if __name__ == "__main__":
    unittest.main()
