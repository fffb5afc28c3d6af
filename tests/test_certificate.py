#!/usr/bin/env python3
"""Certificates of withdrawal (issue 4): /statements/<number>/certificate, linked from the
receipt, in Chinese and English with the statement's number, day, names as published,
organisations, leaf index and the signed checkpoint that includes the leaf; printable on A4
(print CSS), no JavaScript, nothing from another origin; gone when the statement is
withdrawn."""
import re
import subprocess
import time
import unittest

import harness


class CertificateTest(harness.ServerTestCase, unittest.TestCase):
    SETTINGS = {"checkpoint_interval_ms": 100}

    def submit_group(self):
        body = {"name": "王自由", "organisations": ["party", "league"], "real_name": True,
                "persons": [{"name": "王小明", "organisations": ["pioneers"]}]}
        r = self.server.post_json("/api/v1/statements", body)
        self.assertEqual(r.status, 201, r.describe())
        return r.json()

    def certificate(self, number, prefix="", timeout=10):
        """The certificate once its leaf is in a checkpoint."""
        deadline = time.monotonic() + timeout
        while True:
            r = self.server.get(f"{prefix}/statements/{number}/certificate")
            if r.status != 200 or 'id="checkpoint"' in r.text or time.monotonic() > deadline:
                return r
            time.sleep(0.1)

    def test_certificate_has_every_fact_in_both_languages(self):
        sub = self.submit_group()
        number = sub["number"]
        r = self.certificate(number)
        self.assertEqual(r.status, 200, r.describe())
        self.assertTrue(r.header("Content-Type").startswith("text/html"))
        doc = r.doc
        self.assertEqual(harness.html_lang(doc), "zh-Hans")
        text = doc.text()
        # Chinese and English.
        self.assertIn("退党证明书", text)
        self.assertIn("Certificate of Withdrawal", text)
        self.assertIn("Chinese Communist Party", text)
        # Number, day, names as published, organisations in both languages.
        self.assertEqual(doc.by_id("number").text(), str(number))
        self.assertEqual(doc.by_id("day").text(), harness.today_cst())
        self.assertIn("王自由", text)
        self.assertIn("王小明", text)
        table = doc.find("table", cls="persons")
        # The header and two persons (the foot holds the facts, repeated on printed pages).
        rows = table.find("thead").find_all("tr") + table.find("tbody").find_all("tr")
        self.assertEqual(len(rows), 3)
        self.assertIn("党", rows[1].text())
        self.assertIn("Party", rows[1].text())
        self.assertIn("Youth League", rows[1].text())
        self.assertIn("Young Pioneers", rows[2].text())
        # The leaf index is the statement's opening, and the checkpoint includes it.
        api = self.server.get(f"/api/v1/statements/{number}").json()
        self.assertEqual(doc.by_id("leaf").text(), str(api["leaf_index"]))
        checkpoint = doc.by_id("checkpoint").text()
        lines = checkpoint.split("\n")
        self.assertGreater(int(lines[1]), api["leaf_index"])
        self.assertIn("\u2014 ", checkpoint)  # the signature line
        served = self.server.get("/log/checkpoint").text
        self.assertEqual(lines[0], served.split("\n")[0])  # the log's origin

    def test_printable_without_javascript_and_same_origin(self):
        number = self.submit_group()["number"]
        r = self.certificate(number)
        self.assertNotIn("<script", r.text.lower())
        self.assertIsNone(re.search(r"\son[a-z]+\s*=", r.text, re.I))
        for node, attr, url in harness.page_urls(r.doc):
            self.assertTrue(harness.is_same_origin(url, self.server.base), url)
        css_links = [n.get("href") for n in r.doc.find_all("link", rel="stylesheet")]
        # Under its versioned name, as every page links its style sheet (docs/reach.md).
        self.assertEqual(len(css_links), 1)
        self.assertRegex(css_links[0], r"^/static/certificate\.[0-9a-f]{8}\.css$")
        css = self.server.get(css_links[0])
        self.assertEqual(css.header("Cache-Control"), "public, max-age=31536000, immutable")
        self.assertEqual(css.body, self.server.get("/static/certificate.css").body)
        self.assertEqual(css.status, 200)
        self.assertTrue(css.header("Content-Type").startswith("text/css"))
        self.assertIn("@page{size:A4", css.text.replace(" ", ""))
        self.assertIn("@media print", css.text)
        self.assertIn('class="screen-only"', r.text)  # the links that print hides

    def test_other_languages_and_the_receipt_link(self):
        sub = self.submit_group()
        number = sub["number"]
        hant = self.certificate(number, "/zh-hant")
        self.assertEqual(harness.html_lang(hant.doc), "zh-Hant")
        self.assertIn("退黨證明書", hant.doc.text())
        self.assertIn("Certificate of Withdrawal", hant.doc.text())
        en = self.certificate(number, "/en")
        self.assertEqual(harness.html_lang(en.doc), "en")
        self.assertIn("退党证明书", en.doc.text())
        code = harness.receipt_digits(sub["receipt"])
        # The receipt leads to the certificate through a form that posts the code (an
        # address of the certificate would tell a phone's history which statement it is).
        for prefix in ("", "/en"):
            receipt = harness.post_receipt(self.server, code, "", prefix)
            form = receipt.doc.by_id("certificate-form")
            self.assertIsNotNone(form, receipt.describe())
            self.assertEqual(form.get("action"), f"{prefix}/receipt/certificate")
            fields = [(i.get("name"), i.get("value")) for i in form.find_all("input")]
            cert = self.server.post_form(form.get("action"), fields)
            self.assertEqual(cert.status, 200, cert.describe())
            self.assertEqual(cert.doc.by_id("number").text(), str(number))
            self.assertEqual(harness.html_lang(cert.doc), "en" if prefix else "zh-Hans")

    def test_unknown_and_withdrawn_statements_have_none(self):
        self.assertEqual(self.server.get("/statements/999999/certificate").status, 404)
        self.assertEqual(self.server.get("/statements/abc/certificate").status, 404)
        number = self.submit_group()["number"]
        self.assertEqual(self.certificate(number).status, 200)
        r = subprocess.run([harness.binary(), "withdraw", str(number), "--reason",
                            "declarant-request", "--data", self.server.data],
                           capture_output=True, timeout=60)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(self.server.get(f"/statements/{number}/certificate").status, 404)


if __name__ == "__main__":
    unittest.main(verbosity=2)
