#!/usr/bin/env python3
"""`tuidang mail-intake` as Postfix's pipe transport runs it (issue 4): one message on
standard input becomes a held e-mail statement whose text is the mail's text; GBK
quoted-printable, Big5 base64, HTML-only and a fax PDF attached; the sender's address and
the attachment are sealed, so their bytes appear nowhere in the data folder; exit codes
follow sysexits (65 malformed or oversized, 75 when the database is locked or no office
key is configured, so that the mail server retries)."""
import base64
import os
import re
import shutil
import sqlite3
import subprocess
import tempfile
import unittest
from email.mime.application import MIMEApplication
from email.mime.multipart import MIMEMultipart
from email.mime.text import MIMEText

import harness

SENDER = "secret.sender.7731@example.cn"
PDF_MARKER = b"FAX-PAGE-CONTENT-5512"


def run(*args, input_bytes=None, timeout=120):
    return subprocess.run([harness.binary(), *args], input=input_bytes, capture_output=True,
                          timeout=timeout)


def encoded(text, charset, cte):
    """A MIMEText in `charset` with transfer encoding `cte` ('qp' or 'base64')."""
    body = text.encode(charset)
    if cte == "qp":
        import quopri
        payload = quopri.encodestring(body).decode("ascii")
        name = "quoted-printable"
    else:
        payload = base64.encodebytes(body).decode("ascii")
        name = "base64"
    m = MIMEText("", "plain")
    m.set_payload(payload)
    del m["Content-Type"]
    del m["Content-Transfer-Encoding"]
    m["Content-Type"] = f"text/plain; charset={charset}"
    m["Content-Transfer-Encoding"] = name
    return m


def word(text, charset):
    """An RFC 2047 encoded word labelled as mailers label it (Python says "big5_tw")."""
    return f"=?{charset}?b?{base64.b64encode(text.encode(charset)).decode()}?="


def headers(msg, subject, charset):
    msg["From"] = word("張先生" if charset == "big5" else "张先生", charset) + f" <{SENDER}>"
    msg["To"] = "tuidang@center.example"
    msg["Subject"] = word(subject, charset)
    msg["Message-ID"] = "<1@example.cn>"
    return msg.as_bytes()


def gbk_message():
    """A GBK quoted-printable statement naming its declarant (张三)."""
    msg = encoded("我叫张三，声明退出中国共产党。\n请帮我发表。\n", "gbk", "qp")
    return headers(msg, "退党声明", "gbk")


def fax_message():
    """A mail from SENDER, who names themself in the text, with a fax PDF attached."""
    msg = MIMEMultipart()
    msg.attach(MIMEText("传真附上，请查收。回信地址 " + SENDER, "plain", "utf-8"))
    pdf = MIMEApplication(b"%PDF-1.4\n" + PDF_MARKER + b"\n%%EOF\n", "pdf")
    pdf.add_header("Content-Disposition", "attachment", filename="fax.pdf")
    msg.attach(pdf)
    return headers(msg, "传真", "utf-8")


class MailIntakeTest(unittest.TestCase):
    """Each test has its own data folder and office key (setUp), so the tests pass alone and
    in any order: `python3 -m unittest test_mail.MailIntakeTest.test_pdf_attachment_sealed`."""

    def setUp(self):
        self.server = harness.Server(name="mail")
        self.addCleanup(self.server.cleanup)
        self.data = self.server.data
        r = run("init", "--data", self.data)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.keydir = tempfile.mkdtemp(prefix="mail-key-")
        self.addCleanup(shutil.rmtree, self.keydir, True)
        self.key = os.path.join(self.keydir, "office.key")
        r = run("keys", "office", "--out", self.key)
        self.assertEqual(r.returncode, 0, r.stderr)
        public = re.search(rb'office_public_key = "([^"]+)"', r.stdout).group(1).decode()
        conf = os.path.join(self.data, "tuidang.toml")
        with open(conf, encoding="utf-8") as f:
            text = f.read()
        if "office_public_key" in text:
            text = re.sub(r'(?m)^office_public_key = .*$', f'office_public_key = "{public}"', text)
        else:
            text += f'\noffice_public_key = "{public}"\n'
        with open(conf, "w", encoding="utf-8") as f:
            f.write(text)

    def intake(self, message, data=None):
        return run("mail-intake", "--data", data or self.data, input_bytes=message)

    def held_emails(self):
        db = sqlite3.connect(os.path.join(self.data, "tuidang.db"))
        try:
            return db.execute("SELECT id, status, number, text FROM statements WHERE channel = 5"
                              " ORDER BY id").fetchall()
        finally:
            db.close()

    def deliver(self, message):
        before = len(self.held_emails())
        r = self.intake(message)
        self.assertEqual(r.returncode, 0, r.stderr.decode(errors="replace"))
        self.assertNotIn(SENDER.encode(), r.stdout + r.stderr)
        rows = self.held_emails()
        self.assertEqual(len(rows), before + 1)
        ident, status, number, text = rows[-1]
        self.assertEqual(status, 0)  # held
        self.assertIsNone(number)    # never published, never numbered
        return ident, text

    def test_gbk_quoted_printable(self):
        ident, text = self.deliver(gbk_message())
        self.assertEqual(text, "退党声明\n\n我叫张三，声明退出中国共产党。\n请帮我发表。")

    def test_big5_base64(self):
        msg = encoded("本人聲明退出共青團和少先隊。", "big5", "base64")
        ident, text = self.deliver(headers(msg, "三退聲明", "big5"))
        self.assertEqual(text, "三退聲明\n\n本人聲明退出共青團和少先隊。")

    def test_html_only(self):
        html = ("<html><head><style>p{color:red}</style></head><body><p>我要<b>退党</b>&amp;"
                "退团</p><div>化名：大海</div><script>x()</script></body></html>")
        msg = MIMEText(html.encode("gb18030"), "html", "gb18030")
        ident, text = self.deliver(headers(msg, "HTML", "utf-8"))
        self.assertEqual(text, "HTML\n\n我要退党&退团\n\n化名：大海")
        self.assertNotIn("<", text)

    def test_pdf_attachment_sealed(self):
        ident, text = self.deliver(fax_message())
        self.assertEqual(text, "传真\n\n传真附上，请查收。回信地址 [e-mail]")
        # Sealed to the office key: opened offline with the secret key, and only so.
        r = run("private", "show", str(ident), "--key", self.key, "--data", self.data)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn(SENDER.encode(), r.stdout)
        self.assertIn(PDF_MARKER, r.stdout)
        self.assertIn(b"filename: fax.pdf", r.stdout)

    def test_malformed_and_oversized_are_refused_for_good(self):
        before = len(self.held_emails())
        r = self.intake(b"\x00\x01 this is not a mail at all\n\nreally\n")
        self.assertEqual(r.returncode, 65, r.stderr)
        r = self.intake(b"Subject: no sender\r\n\r\nbody\r\n")
        self.assertEqual(r.returncode, 65, r.stderr)
        big = MIMEMultipart()
        big.attach(MIMEText("大", "plain", "utf-8"))
        big.attach(MIMEApplication(os.urandom(26 << 20), "octet-stream"))
        r = self.intake(headers(big, "big", "utf-8"))
        self.assertEqual(r.returncode, 65, r.stderr)
        self.assertIn(b"too big", r.stderr)
        self.assertEqual(len(self.held_emails()), before)

    def test_locked_database_is_a_temporary_failure(self):
        db = sqlite3.connect(os.path.join(self.data, "tuidang.db"), timeout=1,
                             isolation_level=None)
        db.execute("BEGIN EXCLUSIVE")
        try:
            msg = encoded("退党", "utf-8", "base64")
            r = self.intake(headers(msg, "locked", "utf-8"))
        finally:
            db.execute("ROLLBACK")
            db.close()
        self.assertEqual(r.returncode, 75, r.stderr)

    def test_no_office_key_is_a_temporary_failure(self):
        other = tempfile.mkdtemp(prefix="mail-nokey-")
        self.addCleanup(shutil.rmtree, other, True)
        data = os.path.join(other, "data")
        self.assertEqual(run("init", "--data", data).returncode, 0)
        msg = encoded("退党", "utf-8", "base64")
        r = self.intake(headers(msg, "no key", "utf-8"), data=data)
        self.assertEqual(r.returncode, 75, r.stderr)
        self.assertIn(b"office_public_key", r.stderr)

    def test_sender_appears_nowhere_in_clear(self):
        # Its own held mails: the named declarant (张三) and the sender with a fax attached.
        self.deliver(gbk_message())
        self.deliver(fax_message())
        # The server reads the same folder; nothing held is public.
        self.server.start()
        for path in ("/statements", "/api/v1/statements?date=" + harness.today_cst(), "/stats"):
            r = self.server.get(path)
            self.assertNotIn(SENDER.encode(), r.body)
            self.assertNotIn("张三".encode(), r.body)
        self.server.stop()
        for path, data in self.server.data_files().items():
            self.assertNotIn(SENDER.encode(), data, path)
            self.assertNotIn(PDF_MARKER, data, path)
            self.assertNotIn(base64.b64encode(PDF_MARKER)[:16], data, path)


if __name__ == "__main__":
    unittest.main(verbosity=2)
