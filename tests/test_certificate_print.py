"""Printed certificates (issue 15): Debian's headless Chromium prints a certificate to PDF
on A4 as a person's "Print, Save as PDF" does, and poppler's pdftotext reads every page
back. A 5-person certificate fits one page with its closing line; a 51-person one (the
largest statement: a declarant and 50 others) takes as many pages as it needs, every name
printed once, and every page carries the facts (number, day, leaf index) and the signed
checkpoint, so no page stands without what makes it checkable. Nothing is cut.

Needs chromium, chromium-driver, python3-selenium, poppler-utils and a CJK font
(fonts-wqy-microhei): without a CJK font Chromium prints the names as empty boxes."""

import base64
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
from test_browser import start_chromium  # noqa: E402

SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰萍红"
# Where screenshots and the printed pages land when set (TUIDANG_SCREENSHOTS=/tmp/shots).
SCREENSHOTS = os.environ.get("TUIDANG_SCREENSHOTS")


def names(n):
    """n distinct three-character names."""
    return [SURNAMES[i % len(SURNAMES)] + GIVEN[i % len(GIVEN)] + GIVEN[(i * 7 + 3) % len(GIVEN)]
            for i in range(n)]


def pdf_pages(pdf_path):
    """The text of each page of a PDF (pdftotext, one page at a time), spaces removed (it
    puts spaces between CJK glyphs as it likes)."""
    info = subprocess.run(["pdfinfo", pdf_path], capture_output=True, text=True, check=True)
    count = int(re.search(r"(?m)^Pages:\s+(\d+)$", info.stdout).group(1))
    pages = []
    for i in range(1, count + 1):
        out = subprocess.run(["pdftotext", "-f", str(i), "-l", str(i), "-enc", "UTF-8", pdf_path,
                              "-"], capture_output=True, text=True, check=True).stdout
        pages.append(re.sub(r"\s+", "", out))
    return pages


class CertificatePrintTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.server = harness.Server({"checkpoint_interval_ms": 100}, name="print")
        cls.server.start()
        cls.profile = tempfile.mkdtemp(prefix="tuidang-chromium-")
        cls.tmp = tempfile.mkdtemp(prefix="tuidang-print-")
        try:
            s = cls.server
            cls.big_names = names(51)
            cls.big = s.submit_api(cls.big_names[0], organisations=("party", "league"),
                                   persons=[{"name": n, "organisations": ["league", "pioneers"]}
                                            for n in cls.big_names[1:]])
            cls.small_names = names(56)[51:]
            cls.small = s.submit_api(cls.small_names[0], text="全家退出。",
                                     persons=[{"name": n, "organisations": ["pioneers"]}
                                              for n in cls.small_names[1:]])
            for _ in range(100):  # the certificate shows the checkpoint once it includes both
                j = s.get(f"/api/v1/statements/{cls.small['number']}").json()
                cp = s.get("/log/checkpoint")
                if (cp.status == 200 and j.get("leaf_index") is not None
                        and int(cp.text.split("\n")[1]) > j["leaf_index"]):
                    break
                time.sleep(0.1)
            cls.driver = start_chromium(cls.profile, False)
        except Exception:
            cls.tearDownClass()
            raise

    @classmethod
    def tearDownClass(cls):
        try:
            if getattr(cls, "driver", None):
                cls.driver.quit()
        finally:
            shutil.rmtree(cls.profile, ignore_errors=True)
            shutil.rmtree(cls.tmp, ignore_errors=True)
            cls.server.stop()
            cls.server.cleanup()

    def print_certificate(self, number):
        """The certificate of `number` printed to PDF as Chromium's print dialog does (the
        page's own @page size, backgrounds off); returns (pdf path, text of each page)."""
        d = self.driver
        d.get(self.server.base + f"/statements/{number}/certificate")
        if SCREENSHOTS:
            os.makedirs(SCREENSHOTS, exist_ok=True)
            d.save_screenshot(os.path.join(SCREENSHOTS, f"certificate-{number}-screen.png"))
        pdf = d.execute_cdp_cmd("Page.printToPDF", {"preferCSSPageSize": True,
                                                    "printBackground": False})
        path = os.path.join(self.tmp, f"certificate-{number}.pdf")
        with open(path, "wb") as f:
            f.write(base64.b64decode(pdf["data"]))
        if SCREENSHOTS:
            shutil.copy(path, SCREENSHOTS)
        return path, pdf_pages(path)

    def facts(self, number):
        api = self.server.get(f"/api/v1/statements/{number}").json()
        origin = self.server.get("/log/checkpoint").text.split("\n")[0]
        return api, origin

    def assert_every_page_checkable(self, number, pages):
        api, origin = self.facts(number)
        for i, text in enumerate(pages, 1):
            # The facts' labels, then the number, the day and the leaf index; and the
            # checkpoint with its origin line and signature.
            self.assertRegex(text, rf"Statementnumber{number}(?!\d)",
                             f"page {i}: no number\n{text[:500]}")
            self.assertRegex(text, rf"Day{api['date']}", f"page {i}: no day")
            self.assertRegex(text, rf"Logindex\(numberedfrom0\){api['leaf_index']}(?!\d)",
                             f"page {i}: no leaf index")
            self.assertIn(re.sub(r"\s+", "", origin), text, f"page {i}: no checkpoint")
            self.assertIn("\u2014", text, f"page {i}: no checkpoint signature")

    def test_five_persons_fit_one_page_with_the_closing_line(self):
        _, pages = self.print_certificate(self.small["number"])
        self.assertEqual(len(pages), 1, [p[:200] for p in pages])
        for n in self.small_names:
            self.assertIn(n, pages[0])
        self.assert_every_page_checkable(self.small["number"], pages)
        # The closing line, which the one-page layout of before cut.
        self.assertIn("任何人都可以核对本证明书", pages[0])

    def test_fifty_one_persons_print_every_name_on_as_many_pages_as_needed(self):
        path, pages = self.print_certificate(self.big["number"])
        self.assertGreater(len(pages), 1, "51 persons do not fit one A4 page")
        self.assertLess(len(pages), 10, f"{len(pages)} pages for 51 persons")
        text = "".join(pages)
        for n in self.big_names:
            # Once each: a row cut between two pages would show twice or not at all.
            self.assertEqual(text.count(n), 1, f"{n} printed {text.count(n)} times")
        self.assert_every_page_checkable(self.big["number"], pages)
        self.assertIn("任何人都可以核对本证明书", pages[-1])
        # The column heads repeat on every page too.
        for i, page in enumerate(pages, 1):
            self.assertIn("发表的姓名", page, f"page {i}: no column heads")
        if SCREENSHOTS and shutil.which("pdftoppm"):
            subprocess.run(["pdftoppm", "-png", "-r", "50", path,
                            os.path.join(SCREENSHOTS, "certificate-51-page")], check=True)
        print(f"\n[print] 51 persons on {len(pages)} A4 pages", file=sys.stderr)


if __name__ == "__main__":
    unittest.main()
