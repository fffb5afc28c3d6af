"""The declaration's preview step and the no-script publication token (issue 15), over HTTP
to a real `tuidang serve`, as a browser without JavaScript (Tor Browser "Safest") uses it:

- the form's button shows the statement exactly as it will be published, with a warning
  against identifying details, and stores nothing; "back to edit" gives the form again with
  everything as typed; only the preview's send button stores it;
- the preview carries a signed single-use token, valid a few seconds after the page, that
  stands for the proof of work: a declarant without script is published like the others;
  sent too early, the same preview says how long to wait, and nothing is lost;
- a flood through that same path (3,000 generated fakes from one client) stays held;
- a held receipt says why in plain words and what happens next (docs/preview.md)."""

import hashlib
import os
import sys
import threading
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
from harness import ServerTestCase  # noqa: E402

TOKEN_DELAY = 3  # safety::Guard::kFormTokenDelaySeconds
GATE = {"pow_policy": "hold", "flood_policy": "hold", "pow_min_bits": 8, "pow_max_bits": 8}


def solve(challenge, bits):
    """A nonce for a proof-of-work challenge (safety/pow.h), as pow.js finds it."""
    n = 0
    while True:
        h = int.from_bytes(hashlib.sha256(f"{challenge}:{n}".encode()).digest(), "big")
        if h >> (256 - bits) == 0:
            return str(n)
        n += 1


def form_fields(resp, form_id=None):
    """The (name, value) pairs a browser would post from the page's form (hidden inputs,
    checked boxes and radios, text boxes, selected options, text areas), without buttons."""
    doc = resp.doc
    forms = [f for f in doc.find_all("form") if form_id is None or f.get("id") == form_id]
    if not forms:
        raise AssertionError("no form:\n" + resp.describe())
    out = []
    for el in forms[0].iter():
        name = el.get("name")
        if not name:
            continue
        if el.tag == "input":
            kind = el.get("type", "text")
            if kind in ("checkbox", "radio") and el.get("checked") is None:
                continue
            if kind in ("submit", "button"):
                continue
            out.append((name, el.get("value", "")))
        elif el.tag == "textarea":
            out.append((name, el.text()))
        elif el.tag == "select":
            chosen = [o for o in el.find_all("option") if o.get("selected") is not None]
            out.append((name, chosen[0].get("value", "") if chosen else ""))
    return out


def preview_of(client, fields, prefix=""):
    """POSTs the form as its button does (step=preview); asserts the preview came back."""
    r = client.post_form(prefix + "/submit", list(fields) + [("step", "preview")])
    if r.status != 200 or r.doc.by_id("preview") is None:
        raise AssertionError("no preview:\n" + r.describe(3000))
    return r


def send(client, preview, prefix=""):
    """Presses the preview's send button."""
    return client.post_form(prefix + "/submit", form_fields(preview) + [("step", "send")])


STATEMENT = [("name", "  陳自由  "), ("name_kind", "pseudonym"), ("org", "party"),
             ("org", "league"), ("region", "guangdong"), ("occupation", "teacher"),
             ("text", "第一行 <b>不是粗体</b>\n第二行"), ("rows", "1"),
             ("p1_name", "陳小妹"), ("p1_kind", "real"), ("p1_org", "pioneers")]


class PreviewTest(ServerTestCase, unittest.TestCase):
    SETTINGS = GATE

    def count(self):
        s = self.server.stats()
        return s["total_statements"], s["total_persons"]

    def test_form_button_previews(self):
        page = self.server.get("/submit")
        buttons = [b for b in page.doc.find_all("button") if b.get("name") != "more"]
        self.assertEqual((buttons[0].get("name"), buttons[0].get("value")), ("step", "preview"))
        self.assertIn("primary", buttons[0].classes)

    def test_preview_shows_what_will_be_public_and_stores_nothing(self):
        s = self.server
        before = self.count()
        files_before = {p: len(b) for p, b in s.data_files().items() if not p.endswith("-shm")}
        r = preview_of(s, STATEMENT)
        self.assertEqual(r.header("Cache-Control"), "no-store")
        item = r.doc.by_id("preview").find("li", cls="statement")
        names = [n.text() for n in item.find_all("span", cls="name")]
        self.assertEqual(names, ["陳自由", "陳小妹"], "the names as they will be published")
        text = item.text()
        # As a day list shows them: organisations by their short names.
        for shown in ("退出：党、团", "退出：队", "广东", "教师", "化名", "真名"):
            self.assertIn(shown, text, r.describe(3000))
        quote = item.find("blockquote").text()
        self.assertEqual(quote, "第一行 <b>不是粗体</b>\n第二行")
        self.assertIsNone(item.find("b"), "the text is shown as text, not as HTML")
        self.assertIsNotNone(r.doc.by_id("identify-warning"))
        self.assertIn("电话号码", r.doc.by_id("identify-warning").text())
        self.assertIsNone(r.doc.by_id("receipt-code"))
        # Nothing stored: the count, and not a byte of the database or its journal.
        self.assertEqual(self.count(), before)
        files_after = {p: len(b) for p, b in s.data_files().items() if not p.endswith("-shm")}
        self.assertEqual(files_after, files_before)

    def test_back_to_edit_keeps_everything_typed(self):
        s = self.server
        r = preview_of(s, STATEMENT)
        back = s.post_form("/submit", form_fields(r) + [("step", "edit")])
        self.assertEqual(back.status, 200, back.describe())
        doc = back.doc
        self.assertEqual(doc.by_id("name").get("value"), "  陳自由  ")
        self.assertEqual(doc.by_id("p1_name").get("value"), "陳小妹")
        self.assertEqual(doc.find("textarea", id="text").text(), "第一行 <b>不是粗体</b>\n第二行")
        checked = {(i.get("name"), i.get("value")) for i in doc.find_all("input")
                   if i.get("checked") is not None}
        self.assertTrue({("org", "party"), ("org", "league"), ("name_kind", "pseudonym"),
                         ("p1_kind", "real"), ("p1_org", "pioneers")} <= checked, checked)
        self.assertNotIn(("org", "pioneers"), checked)
        for field, value in (("region", "guangdong"), ("occupation", "teacher")):
            sel = [o.get("value") for o in doc.find("select", id=field).find_all("option")
                   if o.get("selected") is not None]
            self.assertEqual(sel, [value])
        self.assertIsNone(doc.by_id("error-form"), "editing checks nothing")
        # Edited, previewed again and sent: the edit is what is published.
        fields = [(k, "陳自由人" if k == "name" else v) for k, v in form_fields(back)]
        again = preview_of(s, fields)
        self.assertIn("陳自由人", again.doc.by_id("preview").text())
        time.sleep(TOKEN_DELAY)
        reply = send(s, again)
        harness.reply_receipt(reply)
        self.assertIsNotNone(reply.doc.find("span", cls="status-published"), reply.describe())
        names = [st["name"] for st in s.day_statements()]
        self.assertIn("陳自由人", names)
        self.assertNotIn("陳自由", names)

    def test_invalid_form_never_reaches_the_preview(self):
        r = self.server.post_form("/en/submit", [("name", "No Organisation"), ("step", "preview")])
        self.assertEqual(r.status, 400)
        self.assertIsNone(r.doc.by_id("preview"))
        self.assertIsNotNone(r.doc.by_id("error-org"))

    def test_no_script_token_publishes_after_its_delay_once(self):
        s = self.server
        before = self.count()
        fields = [("name", "无脚本发布"), ("org", "party")]
        r = preview_of(s, fields)
        token = dict(form_fields(r))["pow_challenge"]
        self.assertTrue(token.startswith("2."), token)
        self.assertIsNotNone(r.doc.find("noscript"), "the page says why the send waits")
        # Too early: the same preview, saying how long; nothing stored, nothing lost.
        early = send(s, r)
        self.assertEqual(early.status, 200, early.describe())
        self.assertIsNotNone(early.doc.by_id("preview-wait"), early.describe(3000))
        self.assertIsNone(early.doc.by_id("receipt-code"))
        self.assertEqual(dict(form_fields(early))["pow_challenge"], token, "the token is kept")
        self.assertIn("无脚本发布", early.doc.by_id("preview").text())
        self.assertEqual(self.count(), before)
        time.sleep(TOKEN_DELAY)
        reply = send(s, early)
        code = harness.reply_receipt(reply)
        self.assertIsNotNone(reply.doc.find("span", cls="status-published"), reply.describe())
        self.assertIsNone(reply.doc.by_id("held"))
        self.assertEqual(self.count(), (before[0] + 1, before[1] + 1))
        # The same form again (back, resend): the token is spent, so it waits for review,
        # and the receipt says why and what happens next.
        again = send(s, early)
        harness.reply_receipt(again)
        self.assertIsNotNone(again.doc.find("span", cls="status-held"), again.describe())
        why = again.doc.by_id("held-why").text()
        self.assertIn("防范自动灌水的检查", why)
        self.assertIn("审核员批准后", again.doc.by_id("held-next").text())
        self.assertNotEqual(harness.reply_receipt(again), code)

    def test_forged_token_is_held(self):
        s = self.server
        r = preview_of(s, [("name", "伪造令牌"), ("org", "party")])
        fields = form_fields(r)
        token = dict(fields)["pow_challenge"]
        parts = token.split(".")
        parts[1] = str(int(parts[1]) - 100)  # valid at once, were it not for the MAC
        forged = [(k, ".".join(parts) if k == "pow_challenge" else v) for k, v in fields]
        reply = s.post_form("/submit", forged + [("step", "send")])
        harness.reply_receipt(reply)
        self.assertIsNotNone(reply.doc.find("span", cls="status-held"), reply.describe())

    def test_held_receipt_says_why_in_every_language(self):
        s = self.server
        # Skipping the preview (a program, a form of before): no token, so held.
        for prefix, name, words in (("", "跳过预览甲", "防范自动灌水"),
                                    ("/zh-hant", "跳過預覽乙", "防範自動灌水"),
                                    ("/en", "Skipped Preview", "automated floods")):
            reply = s.post_form(prefix + "/submit", [("name", name), ("org", "party")])
            code = harness.reply_receipt(reply)
            self.assertIsNotNone(reply.doc.find("span", cls="status-held"))
            self.assertIn(words, reply.doc.by_id("held-why").text(), reply.describe(3000))
            self.assertIsNotNone(reply.doc.by_id("held-next"))
            # Looked up later: what holds statements, and what happens next.
            page = harness.post_receipt(s, code, prefix=prefix)
            self.assertIn(words, page.doc.by_id("held-why").text(), page.describe(3000))
            self.assertIsNotNone(page.doc.by_id("held-next"))

    def test_preview_with_script_solution_carried(self):
        """With JavaScript, pow.js has solved the challenge on the form; the preview carries
        the solution on (no token, no second solve) and the send publishes at once."""
        s = self.server
        c = s.client()
        self.addCleanup(c.close)
        ch = c.get("/api/v1/challenge").json()
        nonce = solve(ch["challenge"], ch["bits"])
        r = preview_of(c, [("name", "有脚本预览"), ("org", "party"),
                           ("pow_challenge", ch["challenge"]), ("pow_nonce", nonce)])
        carried = dict(form_fields(r))
        self.assertEqual((carried["pow_challenge"], carried["pow_nonce"]), (ch["challenge"], nonce))
        self.assertEqual(pow_scripts(r), [], "a solution is not searched for again")
        reply = send(c, r)
        harness.reply_receipt(reply)
        self.assertIsNotNone(reply.doc.find("span", cls="status-published"), reply.describe())


    def test_preview_of_the_forms_token_solves_with_script(self):
        """The preview asked for before pow.js finished on the form carries the form's
        token on, and loads pow.js again: with script a solution replaces the token, so a
        send within the token's delay is not answered "wait" (tests/lighthouse.mjs met it)."""
        s = self.server
        form = s.get("/submit")
        token = dict(form_fields(form))["pow_challenge"]
        self.assertTrue(token.startswith("2."), token)
        r = preview_of(s, [("name", "令牌预览"), ("org", "party"), ("pow_challenge", token),
                           ("pow_nonce", "0")])
        carried = dict(form_fields(r))
        self.assertEqual((carried["pow_challenge"], carried["pow_nonce"]), (token, "0"))
        self.assertEqual(len(pow_scripts(r)), 1, r.describe(3000))


def pow_scripts(resp):
    return [el for el in resp.doc.find_all("script") if "/pow." in (el.get("src") or "")]


class NoScriptFloodTest(ServerTestCase, unittest.TestCase):
    """The flood test of issue 15 through the no-script path: 3,000 generated fakes from one
    client, each previewed and sent with its own token after the delay, fewer than 100
    published; a genuine declarant from elsewhere, also without script, is published. The
    per-client limit is off, so what holds the flood is the flood detection, as with the
    proof of work (test_safety.FloodTest)."""
    SETTINGS = {**GATE, "client_key": "address", "submissions_per_client_per_hour": 0,
                "submissions_per_minute": 0}
    FAKES = 3000

    def test_flood_through_previews_stays_held(self):
        s = self.server
        before = s.stats()["total_statements"]
        previews, lock = [], threading.Lock()

        def take_previews(t):
            c = s.client(source="127.0.0.2", timeout=60)
            got = []
            for k in range(t, self.FAKES, 4):
                got.append(preview_of(c, [("name", f"网民{100000 + k}"), ("org", "party")]))
            c.close()
            with lock:
                previews.extend(got)

        t0 = time.monotonic()
        self.assertEqual(harness.run_threads(4, take_previews, timeout=300), [])
        self.assertEqual(len(previews), self.FAKES)
        time.sleep(TOKEN_DELAY)
        outcomes = []

        def send_all(t):
            c = s.client(source="127.0.0.2", timeout=60)
            got = []
            for r in previews[t::4]:
                reply = send(c, r)
                status = None
                if reply.status == 200 and reply.doc.by_id("receipt-code") is not None:
                    status = "published" if reply.doc.find("span", cls="status-published") \
                        else "held"
                got.append((reply.status, status))
            c.close()
            with lock:
                outcomes.extend(got)

        self.assertEqual(harness.run_threads(4, send_all, timeout=600), [])
        elapsed = time.monotonic() - t0
        published = sum(1 for _, st in outcomes if st == "published")
        held = sum(1 for _, st in outcomes if st == "held")
        print(f"\n[no-script flood] {self.FAKES} fakes in {elapsed:.1f}s: {published} published, "
              f"{held} held, {len(outcomes) - published - held} refused", file=sys.stderr)
        self.assertEqual(len(outcomes), self.FAKES)
        self.assertLess(published, 100)
        self.assertEqual(s.stats()["total_statements"] - before, published)
        # A genuine declarant elsewhere, without script, meanwhile: published.
        g = s.client(source="127.0.1.9")
        self.addCleanup(g.close)
        r = preview_of(g, [("name", "真心退党"), ("org", "party"), ("text", "今天退出。")])
        time.sleep(TOKEN_DELAY)
        reply = send(g, r)
        harness.reply_receipt(reply)
        self.assertIsNotNone(reply.doc.find("span", cls="status-published"), reply.describe())


if __name__ == "__main__":
    unittest.main()
