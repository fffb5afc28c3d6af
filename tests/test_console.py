#!/usr/bin/env python3
"""The operators' console, what issue 4 left (docs/console.md), as operators and declarants
use it over HTTP and the CLI: the policy per channel and the second-operator rule, the
queue's filters and flood groups, CSV sheets uploaded in the console, attachments sealed
to the office key, an admin's unlocked office key, the per-operator rate limit, rejected
statements purged after their retention, and a declarant's correction before publication."""
import os
import re
import secrets
import sqlite3
import subprocess
import time
import unittest
import urllib.parse

import harness
from test_ops import Operator


def cli(server, *args):
    return subprocess.run([harness.binary(), *args, "--data", server.data],
                          capture_output=True, text=True, timeout=120)


def multipart(fields, files=()):
    """(body, content type) of a multipart/form-data POST; files: (field, filename, bytes)."""
    boundary = "----tuidang" + secrets.token_hex(8)
    out = b""
    for name, value in fields:
        out += (f"--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n"
                ).encode() + (value if isinstance(value, bytes) else str(value).encode()) + b"\r\n"
    for name, filename, data in files:
        out += (f"--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"; "
                f"filename=\"{filename}\"\r\nContent-Type: application/octet-stream\r\n\r\n"
                ).encode() + data + b"\r\n"
    out += f"--{boundary}--\r\n".encode()
    return out, f"multipart/form-data; boundary={boundary}"


def post_multipart(op, path, fields, files=(), lang="en", truncate=None):
    fields = list(fields) + [("csrf", op.csrf())]
    body, ctype = multipart(fields, files)
    if truncate:
        body = body[:truncate]
    client = op.server.client()
    try:
        return client.request("POST", path, body=body, retry=False, headers={
            "Cookie": op.cookie, "Content-Type": ctype, "Accept-Language": lang})
    finally:
        client.close()


def make_operators(server, roles):
    ops = {}
    for name, role in roles:
        out = cli(server, "user", "add", name, "--role", role)
        assert out.returncode == 0, out.stderr
        link = re.search(r"(http://\S+/ops/setup\?token=[0-9a-f]+)", out.stdout).group(1)
        op = Operator(server, name, f"long password of {name} 42")
        r = op.setup(link)
        assert r.status == 200, r.describe()
        r = op.login()
        assert r.status == 303, r.describe()
        ops[name] = op
    return ops


def office_key(root):
    secret = os.path.join(root, "office.secret")
    r = subprocess.run([harness.binary(), "keys", "office", "--out", secret],
                       capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stderr
    return secret, read(secret + ".pub").strip()


def read(path):
    with open(path, encoding="utf-8") as f:
        return f.read()


def start(settings, name="console"):
    return harness.Server(settings, name=name)


def entered_id(r):
    """The statement's receipt code from the 'entered' page."""
    return re.search(r'class="receipt">([^<]+)<', r.text).group(1)


def held_rows(page):
    return re.findall(r'id="held-(\d+)"', page.text)


def grep_data(server, needle):
    return [p for p, data in server.data_files().items() if needle in data]


class ConsoleTest(unittest.TestCase):
    """One server: web held, phone published, letters held ([policy]), an office key."""

    @classmethod
    def setUpClass(cls):
        root = harness.tempfile.mkdtemp(prefix="console-keys-")
        cls.secret, public = office_key(root)
        cls.server = start({"publish_policy": "hold", "operator_policy": "publish",
                            "office_public_key": public, "flood_policy": "hold",
                            "flood_text_repeats": 3,
                            "policy": {"letter": "hold", "fax": "hold", "phone": "publish"}})
        cls.server.start()
        cls.ops = make_operators(cls.server, [("alice", "admin"), ("mo", "moderator"),
                                              ("max", "moderator"), ("vic", "volunteer")])

    @classmethod
    def tearDownClass(cls):
        cls.server.stop()
        cls.server.cleanup()

    def queue(self, op="mo", query=""):
        return self.ops[op].server.get("/ops/queue" + query, headers={
            "Cookie": self.ops[op].cookie, "Accept-Language": "en"})

    # -- policy per channel and the second-operator rule --

    def test_policy_per_channel(self):
        vic = self.ops["vic"]
        before = self.server.stats()["total_statements"]
        j = self.server.submit_api("网上暂扣者")
        self.assertEqual(j["status"], "held", "web = publish_policy = hold")
        r = vic.post("/ops/enter", {"channel": "phone", "name": "电话公布者", "org": "party",
                                    "consent": "11月23日电话声明；同意以电话公布者公布"})
        self.assertEqual(r.status, 200, r.describe())
        self.assertRegex(re.search(r'id="entered">([^<]+)<', r.text).group(1), r"\d")
        r = vic.post("/ops/enter", {"channel": "letter", "name": "来信暂扣者", "org": "league"})
        self.assertEqual(r.status, 200, r.describe())
        self.assertEqual(self.server.stats()["total_statements"], before + 1, "only the phone call")
        q = self.queue()
        self.assertIn("网上暂扣者", q.text)
        self.assertIn("来信暂扣者", q.text)
        self.assertNotIn("电话公布者", q.text)

    def test_second_operator_rule(self):
        mo, maxi = self.ops["mo"], self.ops["max"]
        r = mo.post("/ops/enter", {"channel": "letter", "name": "审核员自录", "org": "party"})
        self.assertEqual(r.status, 200, r.describe())
        code = entered_id(r)
        q = self.queue("mo", "?channel=letter")
        row = re.search(r'<tr id="held-(\d+)" class="own">(?:(?!</tr>).)*审核员自录', q.text)
        self.assertTrue(row, "marked as the moderator's own")
        held = row.group(1)
        r = mo.server.post_form("/ops/queue", [("id", held), ("action", "approve"),
                                               ("csrf", mo.csrf())],
                                headers={"Cookie": mo.cookie, "Accept-Language": "en"})
        self.assertIn("0 statements approved", r.text)
        self.assertIn("a second operator must approve", r.text)
        digits = harness.receipt_digits(code)
        self.assertEqual(self.server.get(f"/api/v1/receipts/{digits}").json()["status"], "held")
        r = maxi.post("/ops/queue", [("id", held), ("action", "approve")])
        self.assertIn('id="notice"', r.text)
        self.assertEqual(self.server.get(f"/api/v1/receipts/{digits}").json()["status"], "published")
        trail = self.ops["alice"].get("/ops/audit").text
        self.assertRegex(trail, r"max</td><td>approved</td><td>statement \d+")

    # -- the queue --

    def test_queue_filters_and_flood_group(self):
        vic = self.ops["vic"]
        vic.post("/ops/enter", {"channel": "fax", "name": "传真筛选", "org": "party"})
        only_fax = self.queue(query="?channel=fax")
        self.assertIn("传真筛选", only_fax.text)
        self.assertNotIn("网上", only_fax.text.split('id="held-count"')[1])
        today = harness.today_cst()
        self.assertIn("传真筛选", self.queue(query=f"?date={today}").text)
        other = self.queue(query="?date=2001-01-01")
        self.assertIn("Held statements: 0", other.text)
        # A flood of one text: the abuse gate files it under one group.
        for i in range(5):
            self.server.submit_api(f"洪水{i}号", text="完全相同的洪水文字内容")
        q = self.queue()
        self.assertIn('id="flood-groups"', q.text)
        group = re.search(r'name="group" value="([^"]+)"', q.text).group(1)
        before = len(held_rows(q))
        r = self.ops["mo"].post("/ops/queue", {"group": group.replace("&amp;", "&"), "action": "reject"})
        self.assertEqual(r.status, 200, r.describe())
        rejected = int(re.search(r"(\d+)", re.search(r'id="notice">([^<]+)<', r.text).group(1)).group(1))
        self.assertGreaterEqual(rejected, 2)
        self.assertEqual(len(held_rows(r)), before - rejected)
        self.assertEqual(self.ops["alice"].get("/ops/audit").text.count("rejected"), rejected)

    # -- CSV sheets in the console --

    def test_csv_upload(self):
        vic = self.ops["vic"]
        good = "姓名,组织,地区\n上传甲,中共,北京\n上传乙,共青团,\n".encode("utf-8-sig")
        before = self.server.stats()["total_persons"]
        r = post_multipart(vic, "/ops/import", [("channel", "sheet")], [("file", "good.csv", good)])
        self.assertEqual(r.status, 200, r.describe())
        self.assertIn("Imported 2 statements (2 persons); 0 had been imported before", r.text)
        self.assertEqual(self.server.stats()["total_persons"], before + 2)
        again = post_multipart(vic, "/ops/import", [("channel", "sheet")], [("file", "good.csv", good)])
        self.assertIn("Nothing new to import (2 statements had been imported before)", again.text)
        self.assertEqual(self.server.stats()["total_persons"], before + 2, "idempotent")
        # GBK with a bad row: all or nothing, the report in the operator's language.
        bad = "姓名,组织\n上传丙,中共\n上传丁,工会\n".encode("gbk")
        r = post_multipart(vic, "/ops/import", [("channel", "sheet")], [("file", "bad.csv", bad)],
                           lang="zh-CN")
        self.assertEqual(r.status, 422, r.describe())
        self.assertIn("GB18030", r.text)
        row = re.search(r'<tr class="rejected-row"><td>3</td><td>组织</td><td>未知的值“工会”</td></tr>', r.text)
        self.assertTrue(row, r.text[-2000:])
        self.assertIn("未导入任何内容", r.text)
        self.assertEqual(self.server.stats()["total_persons"], before + 2)
        dry = post_multipart(vic, "/ops/import", [("channel", "sheet"), ("partial", "1"), ("dry_run", "1")],
                             [("file", "bad.csv", bad)])
        self.assertIn("Dry run: nothing was stored.", dry.text)
        self.assertEqual(self.server.stats()["total_persons"], before + 2)
        part = post_multipart(vic, "/ops/import", [("channel", "sheet"), ("partial", "1")],
                              [("file", "bad.csv", bad)])
        self.assertIn("Imported 1 statements", part.text)
        self.assertEqual(self.server.stats()["total_persons"], before + 3)
        # A Big5 sheet.
        big5 = "姓名,組織\n上傳戊,少先隊\n".encode("big5")
        r = post_multipart(vic, "/ops/import", [("channel", "letter")], [("file", "tw.csv", big5)])
        self.assertIn("Imported 1 statements", r.text)
        # A truncated upload imports nothing.
        fresh = "姓名,组织\n截断甲,中共\n截断乙,中共\n".encode()
        body, _ = multipart([("channel", "sheet"), ("csrf", "x")], [("file", "t.csv", fresh)])
        cut = post_multipart(vic, "/ops/import", [("channel", "sheet")], [("file", "t.csv", fresh)],
                             truncate=len(body) - 30)
        self.assertEqual(cut.status, 400, cut.describe())
        self.assertIn("incomplete or malformed", cut.text)
        self.assertEqual(self.server.stats()["total_persons"], before + 4)
        self.assertFalse(grep_data(self.server, "截断甲".encode()))
        trail = self.ops["alice"].get("/ops/audit").text
        self.assertRegex(trail, r"vic</td><td>imported</td><td>good.csv: 2 statements")

    def test_long_cells_get_a_row_error_and_the_server_stays_up(self):
        # A volunteer's dry run with a 30,000- and a 200,000-character cell in the region,
        # organisations and real-name columns (and the name): one clear error per row, the
        # value quoted cut short, and the server still answering (a regex over the typed
        # cell once overflowed the stack here).
        vic = self.ops["vic"]
        rows, expected = [], []
        for n in (30000, 200000):
            for field, row in (("region", ("长地区", "真名", "中共", "地" * n)),
                               ("organisations", ("长组织", "真名", "组" * n, "北京")),
                               ("real_name", ("长真名", "假" * n, "中共", "北京")),
                               ("name", ("名" * n, "真名", "中共", "北京"))):
                rows.append(",".join(row))
                expected.append(field)
        sheet = ("姓名,真名,组织,地区\n" + "\n".join(rows) + "\n").encode()
        for lang, names in (("en", {"region": "region", "organisations": "organisations",
                                    "real_name": "real name or pseudonym", "name": "name"}),
                            ("zh-CN", {"region": "地区", "organisations": "组织",
                                       "real_name": "真名或化名", "name": "姓名"})):
            r = post_multipart(vic, "/ops/import", [("channel", "sheet"), ("dry_run", "1")],
                               [("file", "long.csv", sheet)], lang=lang)
            self.assertEqual(r.status, 200, r.describe())
            self.assertTrue(self.server.alive(), "the server died on a long cell")
            got = re.findall(r'<tr class="rejected-row"><td>(\d+)</td><td>([^<]*)</td><td>([^<]*)</td></tr>',
                             r.text)
            self.assertEqual([int(line) for line, _, _ in got], list(range(2, 2 + len(rows))), r.text[-3000:])
            for (line, field, reason), want in zip(got, expected):
                self.assertEqual(field, names[want], (line, field, reason[:200]))
                self.assertLess(len(reason), 400, "the value is quoted cut short")
                if want == "name":
                    self.assertIn("too long" if lang == "en" else "过长", reason)
                else:
                    self.assertIn("unknown value" if lang == "en" else "未知的值", reason)
                    self.assertIn("…", reason)
            self.assertLess(len(r.body), 100_000, "the report does not repeat the cells")
        self.assertEqual(self.server.get("/healthz").status, 200)
        self.assertFalse(grep_data(self.server, "长地区".encode()), "a dry run stores nothing")

    def test_upload_size_limits(self):
        vic = self.ops["vic"]
        big = b"a" * (33 << 20)
        r = post_multipart(vic, "/ops/import", [("channel", "sheet")], [("file", "big.csv", big)])
        self.assertEqual(r.status, 413, r.describe())
        self.assertIn("too large", r.text.lower())
        # Without a session, the plain 64 KiB limit holds.
        body, ctype = multipart([("channel", "sheet")], [("file", "x.csv", b"b" * 100000)])
        client = self.server.client()
        r = client.request("POST", "/ops/import", body=body, retry=False,
                           headers={"Content-Type": ctype})
        client.close()
        self.assertEqual(r.status, 413)

    # -- attachments and the admin's unlocked office key --

    def test_attachment_sealed_and_unlocked_by_admin_only(self):
        vic, alice, mo = self.ops["vic"], self.ops["alice"], self.ops["mo"]
        marker = b"FAXIMAGE-" + secrets.token_hex(16).encode()
        scan = b"%PDF-1.4\n" + marker + bytes(range(256))
        form = vic.get("/ops/enter?channel=fax")
        self.assertIn('enctype="multipart/form-data"', form.text)
        self.assertIn('name="attachment"', form.text)
        r = post_multipart(vic, "/ops/enter", [("channel", "fax"), ("name", "传真附件者"), ("org", "party")],
                           [("attachment", "fax.pdf", scan)])
        self.assertEqual(r.status, 200, r.describe())
        self.assertEqual(grep_data(self.server, marker), [], "never stored in clear")
        self.assertEqual(self.server.get("/api/v1/stats").status, 200)
        listed = cli(self.server, "private", "list")
        ids = [line.split("\t")[0] for line in listed.stdout.splitlines()]
        self.assertTrue(ids, listed.stderr)
        sid = ids[0]
        shown = subprocess.run([harness.binary(), "private", "show", sid, "--key", self.secret,
                                "--data", self.server.data], capture_output=True, timeout=60)
        self.assertEqual(shown.returncode, 0, shown.stderr)
        self.assertIn(marker, shown.stdout)
        self.assertIn(b"filename: fax.pdf", shown.stdout)
        # A moderator cannot unlock or read; an admin must unlock first.
        self.assertEqual(mo.get("/ops/unlock").status, 403)
        self.assertEqual(mo.get(f"/ops/private?id={sid}").status, 403)
        self.assertEqual(vic.get("/ops/unlock").status, 403)
        self.assertEqual(vic.post("/ops/unlock", {"key": read(self.secret)}).status, 403)
        self.assertEqual(vic.get(f"/ops/private/file?id={sid}&field=attachment.1").status, 403)
        self.assertEqual(alice.get(f"/ops/private?id={sid}").status, 403, "locked")
        wrong_secret, _ = office_key(harness.tempfile.mkdtemp(prefix="console-other-"))
        r = alice.post("/ops/unlock", {"key": read(wrong_secret)})
        self.assertEqual(r.status, 400)
        r = alice.post("/ops/unlock", {"key": read(self.secret)})
        self.assertEqual(r.status, 200, r.describe())
        page = alice.get(f"/ops/private?id={sid}")
        self.assertEqual(page.status, 200, page.describe())
        self.assertIn("attachment.1", page.text)
        self.assertIn("filename: fax.pdf", page.text)
        link = re.search(r'href="(/ops/private/file\?[^"]+)"', page.text).group(1).replace("&amp;", "&")
        download = alice.get(link)
        self.assertEqual(download.status, 200)
        self.assertEqual(download.body, scan)
        self.assertIn("attachment", download.header("Content-Disposition"))
        self.assertEqual(download.header("Cache-Control"), "no-store")
        # The key dies with the session.
        alice.post("/ops/logout", {})
        self.assertEqual(alice.login().status, 303)
        self.assertEqual(alice.get(f"/ops/private?id={sid}").status, 403)
        trail = alice.get("/ops/audit").text
        self.assertIn("unlocked office key", trail)
        self.assertIn("failed to unlock office key", trail)
        self.assertIn(f"read sealed</td><td>sealed fields of statement {sid}", trail)
        self.assertRegex(trail, r"vic</td><td>entered</td><td>held statement \d+ \(1 sealed attachments\)")

    def test_mail_with_two_attachments_is_readable_in_the_console(self):
        mail = ("From: Sender <sender@example.org>\r\nTo: tuidang@example.org\r\n"
                "Subject: =?UTF-8?B?5LiJ6YCA?=\r\nMIME-Version: 1.0\r\n"
                "Content-Type: multipart/mixed; boundary=\"mm\"\r\n\r\n"
                "--mm\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nhello\r\n"
                "--mm\r\nContent-Type: application/pdf\r\nContent-Disposition: attachment; "
                "filename=\"one.pdf\"\r\n\r\nFIRST-ATTACHMENT\r\n"
                "--mm\r\nContent-Type: image/tiff\r\nContent-Disposition: attachment; "
                "filename=\"two.tif\"\r\n\r\nSECOND-ATTACHMENT\r\n--mm--\r\n").encode()
        r = subprocess.run([harness.binary(), "mail-intake", "--data", self.server.data],
                           input=mail, capture_output=True, timeout=60)
        self.assertEqual(r.returncode, 0, r.stderr)
        sid = cli(self.server, "private", "list").stdout.splitlines()[0].split("\t")[0]
        alice = self.ops["alice"]
        alice.post("/ops/unlock", {"key": read(self.secret)})
        page = alice.get(f"/ops/private?id={sid}")
        self.assertIn("one.pdf", page.text)
        self.assertIn("two.tif", page.text)
        self.assertIn("sender@example.org", page.text)
        links = [l.replace("&amp;", "&") for l in re.findall(r'href="(/ops/private/file\?[^"]+)"', page.text)]
        bodies = [alice.get(l).body for l in links]
        self.assertIn(b"FIRST-ATTACHMENT", bodies)
        self.assertIn(b"SECOND-ATTACHMENT", bodies)
        alice.post("/ops/unlock", {"action": "lock"})

    def test_self_withdrawal_forgets_the_sealed_contact(self):
        j = self.server.submit_api("自撤联系人", contact="signal:+1-555-0100-xyz")
        self.assertEqual(j["status"], "held")
        listed = lambda: cli(self.server, "private", "list").stdout
        held_ids = listed()
        before = self.server.stats()
        r = harness.post_receipt(self.server, j["receipt"], "/withdraw", "/en", {"confirm": "1"})
        self.assertEqual(r.status, 200, r.describe())
        self.assertEqual(len(listed().splitlines()), len(held_ids.splitlines()) - 1)
        self.assertEqual(grep_data(self.server, "自撤联系人".encode()), [])
        # The receipt says what the declarant did: withdrawn, not "rejected" (not published);
        # it never had a number and never counted.
        receipt = self.server.get(f"/api/v1/receipts/{j['receipt']}").json()
        self.assertEqual(receipt["status"], "withdrawn", receipt)
        self.assertIsNone(receipt["number"])
        page = harness.post_receipt(self.server, j["receipt"], "", "/en")
        self.assertIn("status-withdrawn", page.text)
        self.assertNotIn("status-rejected", page.text)
        self.assertEqual(self.server.stats(), before)
        self.assertNotIn("自撤联系人", self.queue().text)

    # -- the declarant's correction --

    def test_declarant_corrects_before_publication_only(self):
        j = self.server.submit_api("更正前名", text="原来的文字")
        code = j["receipt"]
        page = harness.post_receipt(self.server, code, "", "/en")
        self.assertIn('id="correct-form"', page.text)
        form = harness.post_receipt(self.server, code, "/correct", "/en")
        self.assertEqual(form.status, 200, form.describe())
        self.assertIn('value="更正前名"', form.text)
        self.assertIn("原来的文字", form.text)
        self.assertNotIn("<script", form.text)
        bad = harness.post_receipt(self.server, code, "/correct", "/en",
                                   {"save": "1", "name": "", "org": "party"})
        self.assertEqual(bad.status, 400)
        self.assertIn('id="error-name"', bad.text)
        ok = harness.post_receipt(self.server, code, "/correct", "/en",
                                  {"save": "1", "name": "更正后名", "org": "league",
                                   "text": "改过的文字", "rows": "0"})
        self.assertEqual(ok.status, 200, ok.describe())
        self.assertIn('id="corrected"', ok.text)
        q = self.queue()
        self.assertIn("更正后名", q.text)
        self.assertNotIn("更正前名", q.text)
        self.assertEqual(grep_data(self.server, "更正前名".encode()), [], "the first version is gone")
        held = re.search(r'<tr id="held-(\d+)"(?:(?!</tr>).)*更正后名', q.text).group(1)
        self.ops["max"].post("/ops/queue", [("id", held), ("action", "approve")])
        st = self.server.get(f"/api/v1/receipts/{code}").json()
        self.assertEqual(st["status"], "published")
        published = self.server.get(f"/api/v1/statements/{st['number']}").json()
        self.assertIn("更正后名", published["record"])
        page = harness.post_receipt(self.server, code, "", "/en")
        self.assertNotIn('id="correct-form"', page.text)
        self.assertIn("/withdraw", page.text)
        # A correction posted too late answers as for any code (it must not tell a guesser
        # that the code exists, docs/threat-model.md §7) and changes nothing.
        late = harness.post_receipt(self.server, code, "/correct", "/en",
                                    {"save": "1", "name": "太晚", "org": "party"})
        self.assertEqual(late.status, 200)
        self.assertIn('id="corrected"', late.text)
        self.assertNotIn("太晚", self.server.get(f"/api/v1/statements/{st['number']}").json()["record"])
        self.assertEqual(harness.post_receipt(self.server, code, "/correct", "/en").status, 409)
        self.assertEqual(harness.post_receipt(self.server, "12345678901234567890", "/correct",
                                              "/en").status, 404)


class PurgeTest(unittest.TestCase):
    """Rejected statements: kept rejected_retention_hours (720 by default), then purged by
    `tuidang purge` (and by serve); with 0, purged at the rejection."""

    def reject_one(self, server, mo, name):
        j = server.submit_api(name, text=f"{name}的文字")
        q = mo.get("/ops/queue")
        held = re.search(r'<tr id="held-(\d+)"(?:(?!</tr>).)*' + name, q.text).group(1)
        r = mo.post("/ops/queue", [("id", held), ("action", "reject")])
        self.assertEqual(r.status, 200)
        return j["receipt"], int(held)

    def test_purged_after_retention(self):
        server = start({"publish_policy": "hold"}, name="purge")
        server.start()
        try:
            mo = make_operators(server, [("mo", "moderator")])["mo"]
            code, sid = self.reject_one(server, mo, "被拒者甲")
            code_b, sid_b = self.reject_one(server, mo, "被拒者乙")
            self.assertEqual(server.get(f"/api/v1/receipts/{code}").json()["status"], "rejected")
            self.assertEqual(grep_data(server, "被拒者甲".encode()), [], "names and text go at once")
            out = cli(server, "purge")
            self.assertEqual(out.returncode, 0, out.stderr)
            self.assertIn("0 rejected statements purged (retention 720 hours)", out.stdout)
            self.assertEqual(server.get(f"/api/v1/receipts/{code}").json()["status"], "rejected")
            # 700 hours pass: still kept; then 21 more.
            def age(hours, statement=sid):
                db = sqlite3.connect(os.path.join(server.data, "tuidang.db"), timeout=10)
                n = db.execute("UPDATE rejections SET hour = hour - ? WHERE statement = ?",
                               (hours, statement)).rowcount
                db.commit()
                db.close()
                self.assertEqual(n, 1)
            age(700)
            self.assertIn("0 rejected statements purged", cli(server, "purge").stdout)
            self.assertEqual(server.get(f"/api/v1/receipts/{code}").json()["status"], "rejected")
            age(21)
            out = cli(server, "purge")
            self.assertIn("1 rejected statements purged", out.stdout)
            self.assertEqual(server.get(f"/api/v1/receipts/{code}").status, 404)
            db = sqlite3.connect(f"file:{os.path.join(server.data, 'tuidang.db')}?mode=ro", uri=True)
            for table in ("statements", "persons", "sealed", "holds", "rejections"):
                column = "id" if table == "statements" else "statement"
                n = db.execute(f"SELECT COUNT(*) FROM {table} WHERE {column} = ?", (sid,)).fetchone()[0]
                self.assertEqual(n, 0, table)
            db.close()
            self.assertEqual(grep_data(server, "被拒者甲".encode()), [])
            # serve purges too: at start and every 5 minutes.
            self.assertEqual(server.get(f"/api/v1/receipts/{code_b}").json()["status"], "rejected")
            age(721, sid_b)
            server.stop()
            server.start()
            deadline = time.monotonic() + 10
            while server.get(f"/api/v1/receipts/{code_b}").status != 404:
                self.assertLess(time.monotonic(), deadline, "serve did not purge")
                time.sleep(0.1)
            # The log line follows the purge's commit (and its WAL truncation): wait for it.
            while "rejected statements purged" not in server.stderr():
                self.assertLess(time.monotonic(), deadline + 10, server.stderr())
                time.sleep(0.1)
        finally:
            server.stop()
            server.cleanup()


class WithdrawnHeldPurgeTest(unittest.TestCase):
    """A held statement its declarant withdrew is purged like a rejected one: kept
    rejected_retention_hours (its receipt says "withdrawn"), then its row goes."""

    def test_withdrawn_held_purged_after_retention(self):
        server = start({"publish_policy": "hold"}, name="purge-withdrawn")
        server.start()
        try:
            j = server.submit_api("自撤待清除", text="自撤待清除的文字")
            published = server.submit_api("已发表者")  # held too; approved below
            mo = make_operators(server, [("mo", "moderator")])["mo"]
            q = mo.get("/ops/queue")
            pid = re.search(r'<tr id="held-(\d+)"(?:(?!</tr>).)*已发表者', q.text).group(1)
            self.assertEqual(mo.post("/ops/queue", [("id", pid), ("action", "approve")]).status, 200)
            for code in (j["receipt"], published["receipt"]):
                r = harness.post_receipt(server, code, "/withdraw", "/en", {"confirm": "1"})
                self.assertEqual(r.status, 200, r.describe())
                self.assertEqual(server.get(f"/api/v1/receipts/{code}").json()["status"], "withdrawn")
            self.assertIn("0 rejected statements purged", cli(server, "purge").stdout)
            db = sqlite3.connect(os.path.join(server.data, "tuidang.db"), timeout=10)
            db.execute("UPDATE rejections SET hour = hour - 721")
            db.commit()
            db.close()
            self.assertIn("1 rejected statements purged", cli(server, "purge").stdout)
            self.assertEqual(server.get(f"/api/v1/receipts/{j['receipt']}").status, 404)
            # The withdrawn published statement keeps its row: its number is public.
            self.assertEqual(server.get(f"/api/v1/receipts/{published['receipt']}").json()["status"],
                             "withdrawn")
        finally:
            server.stop()
            server.cleanup()


class QueuePagesTest(unittest.TestCase):
    """The moderation queue is paged by keyset: 100 held statements a page, oldest first, with
    next/previous links (plain links, no script) that keep the filters; the pages together
    list each held statement once; a page's bulk action acts on that page."""

    HELD = 260

    @classmethod
    def setUpClass(cls):
        cls.server = start({"operator_policy": "hold", "publish_policy": "hold"}, name="console-pages")
        cls.server.start()
        cls.ops = make_operators(cls.server, [("vic", "volunteer"), ("mo", "moderator")])
        # Held statements entered by a volunteer (a sheet) and a few from the web.
        lines = [f"排队{i:03d},中共," + ("同一段文字" if i < 150 else f"第{i}段文字") for i in range(cls.HELD)]
        sheet = ("姓名,组织,内容\n" + "\n".join(lines) + "\n").encode()
        r = post_multipart(cls.ops["vic"], "/ops/import", [("channel", "sheet")], [("file", "q.csv", sheet)])
        assert r.status == 200 and "They are held for moderation." in r.text, r.describe()
        for i in range(3):
            cls.server.submit_api(f"网上排队{i}")

    @classmethod
    def tearDownClass(cls):
        cls.server.stop()
        cls.server.cleanup()

    def get(self, query=""):
        mo = self.ops["mo"]
        r = mo.server.get("/ops/queue" + query, headers={"Cookie": mo.cookie, "Accept-Language": "en"})
        self.assertEqual(r.status, 200, r.describe())
        return r

    @staticmethod
    def link(page, rel):
        m = re.search(r'<a id="queue-%s" rel="%s" href="/ops/queue(\?[^"]*)"' %
                      ("previous" if rel == "prev" else "next", rel), page.text)
        return m.group(1).replace("&amp;", "&") if m else None

    def walk(self, query, rel="next"):
        """Every page from `query` on, following the links; the ids of each page."""
        pages, seen_queries = [], set()
        while query is not None:
            self.assertNotIn(query, seen_queries, "the links go round in a circle")
            seen_queries.add(query)
            page = self.get(query)
            pages.append((page, held_rows(page)))
            self.assertLessEqual(len(pages), 10)
            query = self.link(page, rel)
        return pages

    def test_pages_bounded_and_each_statement_listed_once(self):
        first = self.get()
        self.assertIn(f"Held statements: {self.HELD + 3}", first.text)
        self.assertIn("100 on this page", first.text)
        self.assertIsNone(self.link(first, "prev"))
        self.assertNotIn("<script", first.text)
        pages = self.walk("")
        sizes = [len(ids) for _, ids in pages]
        self.assertEqual(sizes, [100, 100, self.HELD + 3 - 200], sizes)
        for page, _ in pages:
            self.assertLess(len(page.body), 150_000)
        ids = [int(i) for _, page_ids in pages for i in page_ids]
        self.assertEqual(len(ids), len(set(ids)), "a statement on two pages")
        self.assertEqual(ids, sorted(ids), "oldest first, across pages")
        text = "".join(p.text for p, _ in pages)
        for i in range(self.HELD):
            self.assertEqual(text.count(f"排队{i:03d} "), 1, i)
        # Backwards from the last page: the same statements again.
        back = self.walk(self.link(pages[-1][0], "prev"), rel="prev")
        back_ids = [int(i) for _, page_ids in back for i in page_ids]
        self.assertEqual(sorted(back_ids + [int(i) for i in pages[-1][1]]), ids)
        self.assertTrue(all(len(page_ids) <= 100 for _, page_ids in back))

    def test_filters_keep_working_across_pages(self):
        web = self.get("?channel=web")
        self.assertEqual(len(held_rows(web)), 3)
        self.assertIn("Held statements: 3", web.text)
        self.assertNotRegex(web.text, r"排队\d{3}", "a sheet's statement under the web filter")
        sheet = self.walk("?channel=sheet")
        self.assertEqual(sum(len(ids) for _, ids in sheet), self.HELD)
        for page, _ in sheet[1:]:
            self.assertNotIn("网上排队", page.text)
        self.assertIn("channel=sheet", self.link(sheet[0][0], "next"))
        self.assertIn("Held statements: 0", self.get("?date=2001-01-01").text)

    def test_zz_bulk_action_acts_on_the_page_shown(self):
        mo = self.ops["mo"]
        first = self.get()
        second_query = self.link(first, "next")
        second = self.get(second_query)
        # The first page has 100 statements with "同一段文字", the second 50.
        self.assertIn("100 held statements have the same text", first.text)
        self.assertIn("50 held statements have the same text", second.text)
        key = re.search(r'name="same_text" value="([^"]+)"', second.text).group(1)
        r = mo.server.post_form("/ops/queue" + second_query,
                                [("same_text", key), ("action", "reject"), ("csrf", mo.csrf())],
                                headers={"Cookie": mo.cookie, "Accept-Language": "en"})
        self.assertEqual(r.status, 200, r.describe())
        self.assertIn("50 statements rejected.", r.text)
        self.assertIn(f"Held statements: {self.HELD + 3 - 50}", r.text)
        self.assertIn("100 held statements have the same text", self.get().text, "page 1 untouched")
        # Approving the selected ones of a page.
        page_ids = held_rows(self.get())
        r = mo.server.post_form("/ops/queue", [("id", page_ids[0]), ("id", page_ids[1]),
                                               ("action", "approve"), ("csrf", mo.csrf())],
                                headers={"Cookie": mo.cookie, "Accept-Language": "en"})
        self.assertIn("2 statements approved", r.text)
        self.assertEqual(self.server.stats()["total_statements"], 2)
        ids = [int(i) for _, page_ids in self.walk("") for i in page_ids]
        self.assertEqual(len(ids), self.HELD + 3 - 52)
        self.assertEqual(len(ids), len(set(ids)))


class NoOfficeKeyTest(unittest.TestCase):
    """No office key: attachments are refused, nothing stored; retention 0 purges at once;
    the per-operator limit answers 429 in the operator's language; the unlocked key (none
    here) and sessions end after the idle timeout."""

    @classmethod
    def setUpClass(cls):
        cls.server = start({"operator_policy": "hold", "publish_policy": "hold",
                            "rejected_retention_hours": 0, "operator_actions_per_minute": 6},
                           name="console-nokey")
        cls.server.start()
        cls.ops = make_operators(cls.server, [("vic", "volunteer"), ("mo", "moderator")])

    @classmethod
    def tearDownClass(cls):
        cls.server.stop()
        cls.server.cleanup()

    def test_attachments_refused_without_office_key(self):
        vic = self.ops["vic"]
        form = vic.get("/ops/enter?channel=letter")
        self.assertIn('id="no-attachments"', form.text)
        self.assertNotIn('type="file"', form.text)
        marker = b"SCAN-" + secrets.token_hex(12).encode()
        r = post_multipart(vic, "/ops/enter", [("channel", "letter"), ("name", "无钥信件"), ("org", "party")],
                           [("attachment", "scan.png", marker)])
        self.assertEqual(r.status, 400, r.describe())
        self.assertIn('id="error-attachment"', r.text)
        self.assertIn("no office key is configured", r.text)
        self.assertEqual(grep_data(self.server, marker), [])
        self.assertEqual(grep_data(self.server, "无钥信件".encode()), [], "nothing of it stored")
        self.assertEqual(self.ops["mo"].get("/ops/unlock").status, 403)
        # Without a file the same letter is entered (held for a second operator).
        r = post_multipart(vic, "/ops/enter", [("channel", "letter"), ("name", "无钥信件"), ("org", "party")],
                           [("attachment", "", b"")])
        self.assertEqual(r.status, 200, r.describe())

    def test_import_follows_the_policy(self):
        vic = self.ops["vic"]
        sheet = "姓名,组织\n暂扣导入甲,中共\n".encode()
        r = post_multipart(vic, "/ops/import", [("channel", "sheet")], [("file", "held.csv", sheet)])
        self.assertEqual(r.status, 200, r.describe())
        self.assertIn("They are held for moderation.", r.text)
        self.assertEqual(self.server.stats()["total_statements"], 0)
        self.assertIn("暂扣导入甲", self.ops["mo"].get("/ops/queue?channel=sheet").text)

    def test_rejected_purged_at_once_and_rate_limit(self):
        mo = self.ops["mo"]
        j = self.server.submit_api("立即清除者")
        q = mo.get("/ops/queue")
        held = re.search(r'<tr id="held-(\d+)"(?:(?!</tr>).)*立即清除者', q.text).group(1)
        mo.post("/ops/queue", [("id", held), ("action", "reject")])
        self.assertEqual(self.server.get(f"/api/v1/receipts/{j['receipt']}").status, 404)
        # The operator's limit: 6 actions a minute, then 429 with Retry-After.
        statuses = []
        for _ in range(8):
            r = mo.server.post_form("/ops/queue", [("action", "reject"), ("csrf", mo.csrf())],
                                    headers={"Cookie": mo.cookie, "Accept-Language": "en"})
            statuses.append(r.status)
        self.assertIn(429, statuses)
        r = mo.server.post_form("/ops/queue", [("action", "reject"), ("csrf", mo.csrf())],
                                headers={"Cookie": mo.cookie, "Accept-Language": "en"})
        self.assertEqual(r.status, 429)
        self.assertTrue(r.header("Retry-After"))
        self.assertIn("Too many actions from your account", r.text)
        # Another operator is not slowed by mo's limit.
        r = self.ops["vic"].post("/ops/enter", {"channel": "poster", "name": "墙上", "org": "party",
                                                "place": "某地"})
        self.assertEqual(r.status, 200, r.describe())


class UnlockIdleTest(unittest.TestCase):
    """The unlocked office key is forgotten after the idle timeout."""

    def test_idle_timeout_forgets_the_key(self):
        root = harness.tempfile.mkdtemp(prefix="console-idle-")
        secret, public = office_key(root)
        server = start({"office_public_key": public, "ops_idle_timeout_seconds": 3}, name="idle")
        server.start()
        try:
            alice = make_operators(server, [("alice", "admin")])["alice"]
            r = alice.post("/ops/unlock", {"key": read(secret)})
            self.assertIn("unlock-state", r.text)
            self.assertEqual(alice.get("/ops/private").status, 200)
            time.sleep(4.5)
            self.assertEqual(alice.get("/ops/private").status, 401, "the session ended")
            self.assertEqual(alice.login().status, 303)
            self.assertEqual(alice.get("/ops/private").status, 403, "and took the key with it")
        finally:
            server.stop()
            server.cleanup()


if __name__ == "__main__":
    unittest.main(verbosity=2)
