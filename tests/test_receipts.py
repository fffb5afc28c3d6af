#!/usr/bin/env python3
"""Receipt codes under attack (issue 11): codes are 24 digits; old 16-digit codes keep
working under a strict global budget of failed look-ups; every use of a code (look-up,
proof, correction, withdrawal; pages and API) is limited per client, per code and over all
clients, with failed look-ups counted apart; withdrawal and correction answer the same,
in the same time class, whether or not the code exists. docs/threat-model.md has the
calculation these limits serve.

A statement "made before the upgrade" is a real statement whose stored receipt hash is
replaced, with the server stopped, by the hash an earlier build stored for a 16-digit code
(BLAKE2b-256 of "tuidang receipt v1" and the digits, src/core/receipt.cc): the store keeps
nothing else of a code. With TUIDANG_OLD_BIN set to an earlier build, that build makes the
statement instead, in the same data folder."""

import hashlib
import os
import re
import secrets
import sqlite3
import subprocess
import sys
import threading
import time
import unittest
import urllib.parse

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
from harness import RECEIPT_DIGITS_RE, RECEIPT_RE, Server, post_receipt  # noqa: E402

API = "/api/v1/statements"
# Settings this version added (an earlier build refuses them).
NEW_SETTINGS = ("failed_receipt_lookups_per_client_per_hour", "receipt_lookups_per_minute",
                "failed_receipt_lookups_per_minute", "failed_old_receipt_lookups_per_hour")


def new_code():
    return "".join(secrets.choice("0123456789") for _ in range(24))


def old_code():
    return "".join(secrets.choice("0123456789") for _ in range(16))


def stored_hash(digits):
    return hashlib.blake2b(b"tuidang receipt v1" + digits.encode(), digest_size=32).digest()


def without_code(text, code):
    """The answer with the code (digits or grouped) taken out: what is left must not differ."""
    grouped = "-".join(code[i:i + 4] for i in range(0, len(code), 4))
    return text.replace(grouped, "<code>").replace(code, "<code>")


def make_old_statement(server, name):
    """A published statement whose receipt is a 16-digit code, as before the upgrade; the
    server is stopped and started again around the change. Returns (code, number)."""
    old_bin = os.environ.get("TUIDANG_OLD_BIN")
    if old_bin:
        server.stop()
        # The earlier build knows none of this version's receipt settings.
        toml = os.path.join(server.data, "tuidang.toml")
        with open(toml, encoding="utf-8") as f:
            ours = f.read()
        with open(toml, "w", encoding="utf-8") as f:
            f.write("".join(line for line in ours.splitlines(True)
                            if not line.startswith(NEW_SETTINGS)))
        port = harness.free_port()
        proc = subprocess.Popen([old_bin, "serve", "--data", server.data, "--listen",
                                 f"127.0.0.1:{port}"], stdout=subprocess.DEVNULL,
                                stderr=subprocess.DEVNULL)
        try:
            for _ in range(200):
                try:
                    if harness.Client("127.0.0.1", port, timeout=2).get("/healthz").status == 200:
                        break
                except OSError:
                    time.sleep(0.05)
            c = harness.Client("127.0.0.1", port)
            r = c.post_json(API, {"name": name, "organisations": ["party"]})
            assert r.status == 201, r.describe()
            j = r.json()
            c.close()
        finally:
            proc.terminate()
            proc.wait(20)
            with open(toml, "w", encoding="utf-8") as f:
                f.write(ours)
        assert re.fullmatch(r"\d{16}", j["receipt"]), j
        assert j["status"] == "published", j
        server.start()
        return j["receipt"], j["number"]
    j = server.submit_api(name)
    server.stop()
    code = old_code()
    db = sqlite3.connect(os.path.join(server.data, "tuidang.db"))
    try:
        n = db.execute("UPDATE statements SET receipt = ? WHERE receipt = ?",
                       (stored_hash(code), stored_hash(j["receipt"]))).rowcount
        db.commit()
    finally:
        db.close()
    assert n == 1, "the statement's receipt hash was not found"
    server.start()
    return code, j["number"]


class NewCodesTest(harness.ServerTestCase, unittest.TestCase):
    """The new length, shown in groups; what a Chinese input method types is read."""

    def test_new_receipts_have_24_digits_in_six_groups(self):
        j = self.server.submit_api("二十四位")
        self.assertRegex(j["receipt"], RECEIPT_DIGITS_RE)
        r = self.server.post_form("/submit", [("name", "表单回执"), ("org", "party"), ("rows", "0")])
        self.assertEqual(r.status, 200, r.describe())  # the receipt itself, shown once
        page = post_receipt(self.server, harness.reply_receipt(r))
        shown = page.doc.find("code", cls="receipt").text().strip()
        self.assertRegex(shown, RECEIPT_RE)

    def test_full_width_digits_and_ime_separators_are_read(self):
        j = self.server.submit_api("全角回执")
        code = j["receipt"]
        full = "".join(chr(0xFF10 + int(d)) for d in code)
        typed = "\u3000".join(full[i:i + 4] for i in range(0, 24, 4))  # ideographic spaces
        r = post_receipt(self.server, typed)
        self.assertEqual(r.status, 200, r.describe())
        self.assertEqual(harness.receipt_digits(r.doc.by_id("receipt-code").text()), code)
        dashed = "\uff0d".join(code[i:i + 4] for i in range(0, 24, 4))  # full-width hyphens
        api = self.server.get("/api/v1/receipts/" + urllib.parse.quote(dashed))
        self.assertEqual(api.status, 200, api.describe())
        self.assertEqual(api.json()["number"], j["number"])


class SameAnswerTest(harness.ServerTestCase, unittest.TestCase):
    """Withdrawal and correction answer the same for a real code and an unknown one."""

    SETTINGS = {"policy": {"web": "hold"}}

    def timed_post(self, path, fields):
        t = time.monotonic()
        r = self.server.post_form(path, fields)
        return r, time.monotonic() - t

    def assertSameAnswer(self, real, real_code, unknown, unknown_code):
        self.assertEqual(real.status, unknown.status, real.describe() + unknown.describe())
        self.assertEqual(without_code(real.text, real_code),
                         without_code(unknown.text, unknown_code))
        headers = lambda r: sorted((k.lower(), v) for k, v in r.headers
                                   if k.lower() not in ("date",))
        self.assertEqual(headers(real), headers(unknown))

    def test_withdraw_answers_the_same_whether_or_not_the_code_exists(self):
        for lang in ("", "/en", "/zh-hant"):
            j = self.server.submit_api(f"撤回同答{lang}")
            unknown = new_code()
            real, t_real = self.timed_post(f"{lang}/receipt/withdraw",
                                           {"code": j["receipt"], "confirm": "1"})
            fake, t_fake = self.timed_post(f"{lang}/receipt/withdraw",
                                           {"code": unknown, "confirm": "1"})
            self.assertEqual(real.status, 200, real.describe())
            self.assertIn('id="withdrawn"', real.text)
            self.assertSameAnswer(real, j["receipt"], fake, unknown)
            # The same timing class: both answers leave on the same 250 ms tick, though the
            # unknown code costs one indexed read and the real one two commits.
            self.assertGreaterEqual(t_fake, 0.24)
            self.assertGreaterEqual(t_real, 0.24)
            self.assertLess(abs(t_real - t_fake), 0.2, (t_real, t_fake))
            # It was withdrawn (a held statement: rejected at the declarant's request).
            st = self.server.get(f"/api/v1/receipts/{j['receipt']}").json()["status"]
            self.assertIn(st, ("withdrawn", "rejected"))
            # Old-form codes too.
            again = post_receipt(self.server, old_code(), "/withdraw", lang, {"confirm": "1"})
            self.assertEqual(again.status, 200, again.describe())

    def test_correct_answers_the_same_whether_or_not_the_code_exists(self):
        j = self.server.submit_api("更正同答")
        self.assertEqual(j["status"], "held")
        unknown = new_code()
        fields = {"save": "1", "name": "更正同答后", "org": "party", "rows": "0"}
        real, t_real = self.timed_post("/en/receipt/correct", {"code": j["receipt"], **fields})
        fake, t_fake = self.timed_post("/en/receipt/correct", {"code": unknown, **fields})
        self.assertEqual(real.status, 200, real.describe())
        self.assertIn('id="corrected"', real.text)
        self.assertSameAnswer(real, j["receipt"], fake, unknown)
        self.assertGreaterEqual(t_fake, 0.24)
        self.assertLess(abs(t_real - t_fake), 0.2, (t_real, t_fake))
        form = post_receipt(self.server, j["receipt"], "/correct", "/en")
        self.assertIn('value="更正同答后"', form.text, "the real one was corrected")
        # Errors in the form come back the same for both, before any look-up.
        bad = {"save": "1", "name": ""}
        bad_real = post_receipt(self.server, j["receipt"], "/correct", "/en", bad)
        bad_fake = post_receipt(self.server, unknown, "/correct", "/en", bad)
        self.assertEqual(bad_real.status, 400)
        self.assertSameAnswer(bad_real, j["receipt"], bad_fake, unknown)


class GuessingOneClientTest(harness.ServerTestCase, unittest.TestCase):
    """A few thousand withdrawal guesses from one identified client: 429 after its failed
    budget, nothing removed; the holders of real codes keep working."""

    SETTINGS = {"client_key": "address", "receipt_lookups_per_client_per_hour": 120,
                "failed_receipt_lookups_per_client_per_hour": 20,
                "lookups_per_receipt_per_hour": 120, "receipt_lookups_per_minute": 6000,
                "failed_receipt_lookups_per_minute": 600,
                "failed_old_receipt_lookups_per_hour": 10}

    def test_withdraw_guessing_is_refused_and_removes_nothing(self):
        s = self.server
        holder = s.client(source="127.0.0.2")
        self.addCleanup(holder.close)
        real = [holder.post_json(API, {"name": f"真回执{i}", "organisations": ["party"]}).json()
                for i in range(5)]
        before = s.stats()["total_statements"]
        guesser = s.client(source="127.0.0.9")
        self.addCleanup(guesser.close)
        statuses = {}
        # The admitted ones are answered on a 250 ms tick (hits alike); once the client's
        # failed budget is spent the rest are refused at once.
        for i in range(3000):
            code = new_code() if i % 2 else old_code()
            r = post_receipt(guesser, code, "/withdraw", "", {"confirm": "1"})
            statuses[r.status] = statuses.get(r.status, 0) + 1
            if r.status == 429:
                self.assertTrue(r.header("Retry-After", "").isdigit(), r.describe())
                self.assertNotIn(code, r.text)
        self.assertLessEqual(statuses.get(200, 0), 20, statuses)
        self.assertGreaterEqual(statuses.get(429, 0), 2980, statuses)
        # Look-ups of the API and pages from the same client are refused as well.
        self.assertEqual(guesser.get(f"/api/v1/receipts/{real[0]['receipt']}").status, 429)
        self.assertEqual(post_receipt(guesser, real[0]["receipt"], "/proof").status, 429)
        self.assertEqual(s.stats()["total_statements"], before, "nothing was removed")
        for j in real:
            r = holder.get(f"/api/v1/receipts/{j['receipt']}")
            self.assertEqual(r.status, 200, r.describe())
            self.assertEqual(r.json()["status"], "published")
        page = post_receipt(holder, real[1]["receipt"])
        self.assertEqual(page.status, 200, page.describe())


class GuessingUnidentifiedTest(harness.ServerTestCase, unittest.TestCase):
    """client_key = "off" (an onion service): every client is unidentified, so only the
    global budgets hold. A guesser spends the failed budget; then every unidentified use
    waits until the window ends (Retry-After), and no statement is removed."""

    SETTINGS = {"client_key": "off", "failed_receipt_lookups_per_minute": 40,
                "receipt_lookups_per_minute": 6000, "failed_old_receipt_lookups_per_hour": 10,
                "lookups_per_receipt_per_hour": 120}

    def test_guessers_from_unidentified_clients_are_stopped_globally(self):
        s = self.server
        real = [s.submit_api(f"洋葱回执{i}") for i in range(3)]
        before = s.stats()["total_statements"]
        counts = {}
        lock = threading.Lock()

        def guess(i):
            c = s.client(source=f"127.0.{i + 1}.{i + 7}")
            try:
                for k in range(500):
                    code = new_code()
                    if k % 3 == 0:
                        r = post_receipt(c, code, "/withdraw", "", {"confirm": "1"})
                    elif k % 3 == 1:
                        r = c.get(f"/api/v1/receipts/{code}")
                    else:
                        r = post_receipt(c, code)
                    with lock:
                        counts[r.status] = counts.get(r.status, 0) + 1
            finally:
                c.close()

        harness.run_threads(4, guess, timeout=240)
        self.assertEqual(sum(counts.values()), 2000, counts)
        # Answered (404 or the withdrawal's 200) at most the failed budget of one or two
        # windows; refused (429) the rest.
        self.assertLessEqual(counts.get(404, 0) + counts.get(200, 0), 80, counts)
        self.assertGreaterEqual(counts.get(429, 0), 1920, counts)
        self.assertEqual(s.stats()["total_statements"], before, "nothing was removed")
        # A holder (also unidentified) waits for Retry-After, then finds the statement.
        r = s.get(f"/api/v1/receipts/{real[0]['receipt']}")
        if r.status == 429:
            wait = int(r.header("Retry-After"))
            self.assertLessEqual(wait, 60)
            time.sleep(wait + 0.5)
            r = s.get(f"/api/v1/receipts/{real[0]['receipt']}")
        self.assertEqual(r.status, 200, r.describe())
        self.assertEqual(r.json()["status"], "published")


@unittest.skipIf(harness.ON_POSTGRES, "makes old codes by editing tuidang.db, the SQLite store's file")
class OldCodesTest(harness.ServerTestCase, unittest.TestCase):
    """A statement made before the upgrade (16-digit code) still works for everything done
    with a code; unknown old-form codes share a strict budget over all clients."""

    SETTINGS = {"client_key": "address", "failed_old_receipt_lookups_per_hour": 10,
                "failed_receipt_lookups_per_minute": 600, "receipt_lookups_per_minute": 6000}

    def test_old_code_still_works_for_look_up_proof_certificate_and_withdrawal(self):
        s = self.server
        code, number = make_old_statement(s, "旧回执")
        grouped = "-".join(code[i:i + 4] for i in range(0, 16, 4))
        page = post_receipt(s, grouped, "", "/en")
        self.assertEqual(page.status, 200, page.describe())
        self.assertIn(grouped, page.text)
        self.assertIsNotNone(page.doc.find("span", cls="status-published"), page.describe())
        # The certificate: a form posting the code (its address would hold it).
        self.assertIsNotNone(page.doc.by_id("certificate-form"), page.describe())
        cert = post_receipt(s, code, "/certificate", "/en")
        self.assertEqual(cert.status, 200, cert.describe())
        self.assertEqual(cert.doc.by_id("number").text(), str(number))
        self.assertEqual(s.get(f"/en/statements/{number}/certificate").status, 200)
        api = s.get(f"/api/v1/receipts/{code}")
        self.assertEqual(api.status, 200, api.describe())
        self.assertEqual(api.json()["number"], number)
        deadline = time.monotonic() + 10
        while post_receipt(s, code, "/proof").status != 200 and time.monotonic() < deadline:
            time.sleep(0.2)
        proof = post_receipt(s, code, "/proof")
        self.assertEqual(proof.status, 200, proof.describe())
        self.assertIn("tlog-proof", proof.text)
        self.assertEqual(post_receipt(s, code, "/correct", "/en").status, 409)  # published
        w = post_receipt(s, code, "/withdraw", "/en", {"confirm": "1"})
        self.assertEqual(w.status, 200, w.describe())
        self.assertEqual(s.get(f"/api/v1/receipts/{code}").json()["status"], "withdrawn")
        self.assertEqual(s.get(f"/api/v1/statements/{number}").status, 404)

    def test_unknown_old_codes_share_a_strict_global_budget(self):
        s = self.server
        code, _ = make_old_statement(s, "旧回执预算")
        fresh = s.submit_api("新回执预算")
        self.assertEqual(s.get(f"/api/v1/receipts/{code}").status, 200)
        looked_up = 0
        for i in range(200):  # 200 clients, one guess each
            c = s.client(source=f"127.1.{i // 200}.{i % 200 + 1}")
            r = c.get(f"/api/v1/receipts/{old_code()}")
            c.close()
            self.assertIn(r.status, (404, 429), r.describe())
            looked_up += r.status == 404
        self.assertEqual(looked_up, 10, "the budget of failed old-form look-ups, over all clients")
        # Spent: every old-form code waits (the price of 10^16 codes), new ones do not.
        r = s.get(f"/api/v1/receipts/{code}")
        self.assertEqual(r.status, 429, r.describe())
        self.assertTrue(0 < int(r.header("Retry-After")) <= 3600)
        self.assertEqual(s.get(f"/api/v1/receipts/{fresh['receipt']}").status, 200)


if __name__ == "__main__":
    unittest.main()
