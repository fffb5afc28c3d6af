#!/usr/bin/env python3
"""The secret receipt (issue 15): the receipt code never appears in an address (Location,
a link or a form's action), a response header, a file name or a cache. It is shown once in
the answer to the declaration, then used through POSTed forms only (status, proof,
certificate, correction, withdrawal with a confirmation step); every answer that shows a
receipt is no-store and no-referrer; the addresses of before lead to the look-up form
without the code; the receipt limits hold for codes in a form as they held for codes in a
path; full-width digits and separators typed by a Chinese input method are read."""

import os
import re
import secrets
import sys
import time
import unittest
import urllib.parse

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
from harness import LANGUAGES, RECEIPT_RE, page_urls, post_receipt, reply_receipt  # noqa: E402


def new_code():
    return "".join(secrets.choice("0123456789") for _ in range(24))


def spellings(code):
    """Every way the code can be written in a page or a header."""
    groups = [code[i:i + 4] for i in range(0, len(code), 4)]
    return {code, "-".join(groups), " ".join(groups), urllib.parse.quote("-".join(groups))}


def form_of(name, orgs=("party",), **extra):
    fields = [("name", name)] + [("org", o) for o in orgs] + [("rows", "0")]
    return fields + list(extra.items())


class Checks:
    """Assertions shared by the classes below."""

    def assertKeptSecret(self, r, code):
        """The code is in no header and no URL of the page (href, action, src...)."""
        for name, value in r.headers:
            for s in spellings(code):
                self.assertNotIn(s, value, f"{name}: {value} names the code\n" + r.describe())
        ctype = r.header("Content-Type", "")
        if ctype.startswith("text/html"):
            for node, attr, url in page_urls(r.doc):
                for s in spellings(code):
                    self.assertNotIn(s, url, f"<{node.tag} {attr}={url!r}> names the code")

    def assertPrivate(self, r):
        self.assertEqual(r.header("Cache-Control"), "no-store", r.describe())
        self.assertEqual(r.header("Referrer-Policy"), "no-referrer", r.describe())

    def declare(self, name, prefix=""):
        """A declaration through the form; returns (answer, code)."""
        r = self.server.post_form(f"{prefix}/submit", form_of(name))
        return r, reply_receipt(r)

    def wait_for_proof(self, code):
        deadline = time.monotonic() + 15
        while True:
            r = post_receipt(self.server, code, "/proof")
            if r.status == 200 or time.monotonic() > deadline:
                return r
            time.sleep(0.2)


class SecretReceiptTest(Checks, harness.ServerTestCase, unittest.TestCase):
    """Statements published at once (the protections off), so that every action has
    something to show."""

    def test_declaration_answers_the_receipt_once_with_a_write_it_down_step(self):
        for lang, (prefix, html_lang) in LANGUAGES.items():
            r, code = self.declare(f"只显示一次{lang}", prefix)
            self.assertIsNone(r.header("Location"), r.describe())
            self.assertEqual(harness.html_lang(r.doc), html_lang)
            self.assertPrivate(r)
            self.assertKeptSecret(r, code)
            self.assertRegex(r.doc.by_id("receipt-code").text().strip(), RECEIPT_RE)
            step = r.doc.by_id("write-down")
            self.assertIsNotNone(step, r.describe())
            self.assertIsNotNone(step.find("h2"))
            self.assertTrue(r.doc.by_id("keep-apart").text().strip())
            # Going on: a POST to /receipt carrying the code in its body, behind a box to tick.
            form = r.doc.by_id("continue-form")
            self.assertEqual(form.get("method"), "post")
            self.assertEqual(urllib.parse.urlsplit(form.get("action")).path, f"{prefix}/receipt")
            self.assertEqual(form.find("input", type="hidden", name="code").get("value"), code)
            box = form.find("input", type="checkbox")
            self.assertIn("required", box.attrs)
            went_on = self.server.post_form(form.get("action"),
                                            [("code", code), (box.get("name"), "1")])
            self.assertEqual(went_on.status, 200, went_on.describe())
            self.assertIsNotNone(went_on.doc.find("span", cls="status-published"))
        # The three catalogs say it in their own words.
        texts = {self.declare(f"三种语言{p}", p)[0].doc.by_id("keep-apart").text()
                 for p, _ in LANGUAGES.values()}
        self.assertEqual(len(texts), 3, texts)

    def test_every_action_works_by_post_and_keeps_the_code_secret(self):
        r, code = self.declare("五个动作")
        number = self.server.get(f"/api/v1/receipts/{code}").json()["number"]
        proof = self.wait_for_proof(code)
        self.assertEqual(proof.status, 200, proof.describe())
        status = post_receipt(self.server, code, "", "/en")
        self.assertEqual(status.status, 200, status.describe())
        self.assertIsNotNone(status.doc.find("span", cls="status-published"))
        self.assertIsNotNone(status.doc.by_id("proof"), "the proof is shown")
        # Each action is a form that posts the code to a path without it.
        for ident, action in (("proof-form", "/proof"), ("certificate-form", "/certificate"),
                              ("withdraw-form", "/withdraw")):
            form = status.doc.by_id(ident)
            self.assertIsNotNone(form, f"{ident}\n" + status.describe())
            self.assertEqual(form.get("method"), "post")
            self.assertEqual(urllib.parse.urlsplit(form.get("action")).path,
                             "/en/receipt" + action)
            self.assertEqual(form.find("input", name="code").get("value"), code)
        self.assertEqual(status.doc.by_id("statement-link").get("href"), f"/en/statements/{number}")
        # The proof: a download under a name that says nothing of the statement or the center.
        self.assertIn("tlog-proof", proof.text)
        disposition = proof.header("Content-Disposition", "")
        self.assertEqual(disposition, 'attachment; filename="proof.tlog-proof"')
        self.assertNotIn(str(number), disposition)
        self.assertNotIn("tuidang", disposition)
        # The certificate of the published statement.
        cert = post_receipt(self.server, code, "/certificate", "/en")
        self.assertEqual(cert.status, 200, cert.describe())
        self.assertIn("五个动作", cert.text)
        self.assertEqual(cert.doc.by_id("number").text(), str(number))
        # Correction: published, so no longer possible (409), said without the code's address.
        correct = post_receipt(self.server, code, "/correct", "/en")
        self.assertEqual(correct.status, 409, correct.describe())
        for answer in (proof, status, cert, correct):
            self.assertPrivate(answer)
            self.assertKeptSecret(answer, code)
        # The language links of a receipt lead to the look-up form, not back to the code.
        for a in status.doc.find("nav", cls="langs").find_all("a"):
            self.assertRegex(a.get("href"), r"^(/zh-hans|/zh-hant)?/receipt$")

    def test_withdrawal_asks_for_confirmation_first(self):
        _, code = self.declare("先确认再撤回")
        number = self.server.get(f"/api/v1/receipts/{code}").json()["number"]
        ask = post_receipt(self.server, code, "/withdraw", "/en")
        self.assertEqual(ask.status, 200, ask.describe())
        self.assertIsNotNone(ask.doc.by_id("confirm-withdraw"), ask.describe())
        self.assertPrivate(ask)
        self.assertKeptSecret(ask, code)
        self.assertEqual(self.server.get(f"/api/v1/statements/{number}").status, 200,
                         "nothing is withdrawn before the confirmation")
        form = ask.doc.by_id("withdraw-confirm-form")
        fields = [(i.get("name"), i.get("value")) for i in form.find_all("input", type="hidden")]
        self.assertIn(("confirm", "1"), fields)
        self.assertIn(("code", code), fields)
        # The way back posts the code to the status page.
        back = ask.doc.by_id("withdraw-cancel-form")
        self.assertEqual(urllib.parse.urlsplit(back.get("action")).path, "/en/receipt")
        # A confirm field of another value confirms nothing.
        again = post_receipt(self.server, code, "/withdraw", "/en", {"confirm": "yes"})
        self.assertIsNotNone(again.doc.by_id("confirm-withdraw"))
        self.assertEqual(self.server.get(f"/api/v1/statements/{number}").status, 200)
        done = self.server.post_form(form.get("action"), fields)
        self.assertEqual(done.status, 200, done.describe())
        self.assertIsNotNone(done.doc.by_id("withdrawn"), done.describe())
        self.assertPrivate(done)
        self.assertKeptSecret(done, code)
        self.assertEqual(self.server.get(f"/api/v1/statements/{number}").status, 404)
        self.assertEqual(self.server.get(f"/api/v1/receipts/{code}").json()["status"], "withdrawn")

    def test_addresses_of_before_lead_to_the_form_without_the_code(self):
        _, code = self.declare("旧链接")
        number = self.server.get(f"/api/v1/receipts/{code}").json()["number"]
        grouped = "-".join(code[i:i + 4] for i in range(0, 24, 4))
        olds = [("GET", f"/receipt/{code}"), ("GET", f"/receipt/{grouped}"),
                ("GET", f"/en/receipt/{code}/proof"), ("GET", f"/zh-hant/receipt/{code}/correct"),
                ("GET", f"/receipt/{code}/withdraw"), ("POST", f"/en/receipt/{code}/withdraw"),
                ("GET", "/receipt/withdraw"), ("GET", "/receipt/proof")]
        for method, path in olds:
            if method == "GET":
                r = self.server.get(path)
            else:
                r = self.server.post_form(path, {"confirm": "1"})
            self.assertEqual(r.status, 303, f"{method} {path}\n" + r.describe())
            self.assertPrivate(r)
            self.assertKeptSecret(r, code)
            target = harness.location_path(r, self.server.base)
            prefix = re.match(r"^(/en|/zh-hant)?", path).group(0)
            self.assertEqual(target, f"{prefix}/receipt?old=1")
            page = self.server.get(target)
            self.assertEqual(page.status, 200, page.describe())
            self.assertPrivate(page)
            for s in spellings(code):
                self.assertNotIn(s, page.text)
            self.assertIsNotNone(page.doc.by_id("old-link"), page.describe())
            form = page.doc.by_id("lookup-form")
            self.assertEqual(form.get("method"), "post")
            self.assertEqual(form.find("input", name="code").get("value"), None)
        # Nothing was done with the code those addresses carried.
        self.assertEqual(self.server.get(f"/api/v1/statements/{number}").status, 200)
        # An old bookmark of the look-up form (the code in its query): the form, and its
        # language links leave the query out.
        r = self.server.get(f"/en/receipt?code={code}")
        self.assertEqual(r.status, 200, r.describe())
        self.assertPrivate(r)
        for s in spellings(code):
            self.assertNotIn(s, r.text)
        self.assertIsNotNone(r.doc.by_id("old-link"))
        # The home page's look-up form posts.
        home = self.server.get("/")
        form = [f for f in home.doc.find_all("form") if "/receipt" in f.get("action", "")][0]
        self.assertEqual(form.get("method"), "post")

    def test_unknown_and_malformed_codes_get_one_answer(self):
        _, code = self.declare("未知码")
        wrong = ("1" if code[0] == "0" else "0") + code[1:]
        for action in harness.RECEIPT_ACTIONS:
            bodies = set()
            bads = ["1234", "abcd-efgh-ijkl-mnop", code + "1", ""]
            # A confirmed withdrawal answers every well-formed code alike (SameAnswerTest in
            # test_receipts.py); only what is no code at all is "not found" there.
            if action != "/withdraw":
                bads.insert(0, wrong)
            for bad in bads:
                fields = {"confirm": "1"} if action == "/withdraw" else {}
                r = post_receipt(self.server, bad, action, "", fields)
                self.assertEqual(r.status, 404, f"{action} {bad}\n" + r.describe())
                self.assertPrivate(r)
                if bad:
                    self.assertNotIn(bad, r.text)
                bodies.add(r.body)
                self.assertIsNotNone(r.doc.by_id("lookup-form"), "the form to try again")
            self.assertEqual(len(bodies), 1, f"{action}: every wrong code gets the same answer")

    def test_full_width_digits_spaces_and_dashes_are_read(self):
        _, code = self.declare("全角数字")
        number = self.server.get(f"/api/v1/receipts/{code}").json()["number"]
        full = "".join(chr(0xFF10 + int(d)) for d in code)
        groups = [full[i:i + 4] for i in range(0, 24, 4)]
        ascii_groups = [code[i:i + 4] for i in range(0, 24, 4)]
        for typed in ("\u3000".join(groups), "\uff0d".join(groups), " ".join(groups),
                      "-".join(ascii_groups), " ".join(ascii_groups), " " + code + " ",
                      "\u2014".join(groups)):
            r = post_receipt(self.server, typed)
            self.assertEqual(r.status, 200, f"{typed!r}\n" + r.describe())
            self.assertEqual(r.doc.by_id("statement-link").get("href"),
                             f"/statements/{number}")
        # The boxes take a code typed that way whole (a maxlength of 24 cut it short).
        for page in (self.server.get("/"), self.server.get("/receipt")):
            box = page.doc.find("input", name="code")
            self.assertGreaterEqual(int(box.get("maxlength")), len("\u3000".join(groups)))


class HeldReceiptTest(Checks, harness.ServerTestCase, unittest.TestCase):
    """A held statement: the correction by POST, the code in the form's body."""

    SETTINGS = {"policy": {"web": "hold"}}

    def test_correction_by_post(self):
        r, code = self.declare("待更正")
        self.assertIsNotNone(r.doc.find("span", cls="status-held"), r.describe())
        status = post_receipt(self.server, code, "", "/en")
        form = status.doc.by_id("correct-form")
        self.assertIsNotNone(form, status.describe())
        self.assertEqual(urllib.parse.urlsplit(form.get("action")).path, "/en/receipt/correct")
        shown = post_receipt(self.server, code, "/correct", "/en")
        self.assertEqual(shown.status, 200, shown.describe())
        self.assertPrivate(shown)
        self.assertKeptSecret(shown, code)
        self.assertIn('value="待更正"', shown.text)
        edit = [f for f in shown.doc.find_all("form") if f.get("action", "").endswith("/correct")][0]
        hidden = {i.get("name"): i.get("value") for i in edit.find_all("input", type="hidden")}
        self.assertEqual(hidden["code"], code)
        self.assertEqual(hidden["save"], "1")
        done = post_receipt(self.server, code, "/correct", "/en",
                            [("save", "1"), ("name", "已更正"), ("org", "league"), ("rows", "0")])
        self.assertEqual(done.status, 200, done.describe())
        self.assertIsNotNone(done.doc.by_id("corrected"))
        self.assertPrivate(done)
        self.assertKeptSecret(done, code)
        again = post_receipt(self.server, code, "/correct", "/en")
        self.assertIn('value="已更正"', again.text)


class PostedCodesLimitedTest(Checks, harness.ServerTestCase, unittest.TestCase):
    """The receipt limits (safety/receipt_guard.h) find the code in the form's body: a
    guesser is refused after its failed budget on every action, a watched code after its
    own budget, and the holder of a real code keeps working from elsewhere."""

    SETTINGS = {"client_key": "address", "receipt_lookups_per_client_per_hour": 200,
                "failed_receipt_lookups_per_client_per_hour": 6,
                "lookups_per_receipt_per_hour": 8, "receipt_lookups_per_minute": 6000,
                "failed_receipt_lookups_per_minute": 600,
                "failed_old_receipt_lookups_per_hour": 10}

    def test_guessing_through_the_forms_is_refused(self):
        holder = self.server.client(source="127.0.0.2")
        self.addCleanup(holder.close)
        r = holder.post_form("/submit", form_of("真的回执"))
        code = reply_receipt(r)
        number = self.server.get(f"/api/v1/receipts/{code}").json()["number"]
        guesser = self.server.client(source="127.0.0.9")
        self.addCleanup(guesser.close)
        statuses = {}
        for i in range(40):
            action = harness.RECEIPT_ACTIONS[i % 5]
            fields = {"confirm": "1"} if action == "/withdraw" else {}
            r = post_receipt(guesser, new_code(), action, "", fields)
            statuses[r.status] = statuses.get(r.status, 0) + 1
            if r.status == 429:
                self.assertTrue(r.header("Retry-After", "").isdigit(), r.describe())
        # Six failed uses, then nothing but 429.
        self.assertEqual(statuses.get(429, 0), 34, statuses)
        # Refused now even for a real code, on every action, from this client.
        for action in harness.RECEIPT_ACTIONS:
            fields = {"confirm": "1"} if action == "/withdraw" else {}
            r = post_receipt(guesser, code, action, "", fields)
            self.assertEqual(r.status, 429, f"{action}\n" + r.describe())
            self.assertKeptSecret(r, code)
        # The confirmation step looks nothing up: it is not refused and spends nothing.
        self.assertEqual(post_receipt(guesser, code, "/withdraw").status, 200)
        self.assertEqual(self.server.get(f"/api/v1/statements/{number}").status, 200)
        # A watched code: its own budget (8 uses an hour, whoever asks), in forms as in paths.
        watched = []
        for i in range(10):
            c = self.server.client(source=f"127.0.3.{i + 1}")
            watched.append(post_receipt(c, code).status)
            c.close()
        # One use was the API's look-up of the number above; the guesser's were refused
        # before they reached the code's budget.
        self.assertEqual(watched, [200] * 7 + [429] * 3, watched)


if __name__ == "__main__":
    unittest.main(verbosity=2)
