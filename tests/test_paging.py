"""Day pages and name searches of a large day over real HTTP (issue 13), as a reader
without JavaScript pages through them: 3,000 statements imported at once and more
published by the web in several batches, some withdrawn; every page of the day followed by
its "next page" link finds every published statement exactly once, newest first, and the
search for a name that 1,200 of them share, followed through every page by its links,
finds each of its statements once, with a count that stops at "more than 1,000"."""

import os
import re
import subprocess
import sys
import time
import unittest
import urllib.parse

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
from harness import statement_items, today_cst  # noqa: E402

IMPORTED = 3000
COMMON = "王先生"  # rows 0, 1, 5, 6, 10, 11, ... of the sheet: 1,200, and a third of the web's
WEB = 130
PAGE = 50


def run(*args, timeout=120):
    return subprocess.run([harness.binary(), *args], capture_output=True, timeout=timeout)


def next_day_page(doc, page):
    """The address of the link to page `page` + 1 of the day list, if the page has one."""
    for a in doc.find_all("a"):
        href = a.get("href", "")
        m = re.search(r"[?&]page=(\d+)", href)
        if m and int(m.group(1)) == page + 1:
            return href
    return None


def next_search_page(doc):
    """The address of the search's next page (rel=next, with its cursor)."""
    for a in doc.find_all("a"):
        if a.get("rel") == "next" and "before=" in a.get("href", ""):
            return a.get("href")
    return None


class PagingTest(harness.ServerTestCase, unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        # Published at once (no publication batches), so that the web statements are numbered
        # in the batches the sequencer forms.
        cls.server = harness.Server(settings={"publication_interval_seconds": 0}, name="paging")
        data = cls.server.data
        try:
            assert run("init", "--data", data).returncode == 0
            r = run("user", "add", "paging", "--role", "volunteer", "--data", data)
            assert r.returncode == 0, r.stderr
            sheet = os.path.join(cls.server.root, "sheet.csv")
            with open(sheet, "w", encoding="utf-8") as f:
                f.write("姓名,组织,内容\n")
                for i in range(IMPORTED):
                    name = COMMON if i % 5 < 2 else f"李{i}"
                    f.write(f"{name},党,第{i}行\n")
            r = run("import", sheet, "--channel", "sheet", "--operator", "paging", "--data", data)
            assert r.returncode == 0, r.stderr
            cls.server.start()
        except Exception:
            cls.server.cleanup()
            raise

    def get(self, path):
        r = self.server.get(path)
        self.assertEqual(r.status, 200, r.describe())
        return r

    def day_pages(self, prefix=""):
        """Follows the day's pages from the first by their links: [(numbers of the page)]."""
        url = f"{prefix}/statements?date={today_cst()}"
        pages = []
        while url and len(pages) < 1000:
            r = self.get(url)
            pages.append(list(statement_items(r.doc)))
            url = next_day_page(r.doc, len(pages))
            if url:
                url = url[url.index(prefix + "/statements"):]
        return pages

    def wait_for_total(self, expected):
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            if len(self.server.day_statements()) == expected:
                return
            time.sleep(0.2)
        self.fail(f"the day never listed {expected} statements")

    def test_every_page_of_a_large_day_and_every_page_of_a_common_name(self):
        # More of the day, from the web, in several batches; the common name among them.
        for i in range(WEB):
            self.server.submit_api(COMMON if i % 3 == 0 else f"网上{i}")
        published = self.server.day_statements()
        self.assertEqual(len(published), IMPORTED + WEB)
        numbers = [s["number"] for s in published]
        # Withdrawn (one of them the common name, one the newest, one the oldest): they leave
        # the list and the later pages move up by one each, as they always did.
        common_numbers = [s["number"] for s in published
                          if s["name"] == COMMON]
        gone = {numbers[0], numbers[-1], numbers[700], common_numbers[10]}
        for n in gone:
            r = run("withdraw", str(n), "--reason", "danger", "--data", self.server.data)
            self.assertEqual(r.returncode, 0, r.stderr)
        total = IMPORTED + WEB - len(gone)
        self.wait_for_total(total)
        expected = [n for n in numbers if n not in gone]
        self.assertEqual(expected, sorted(expected, reverse=True))

        for prefix in ("", "/en"):
            pages = self.day_pages(prefix)
            self.assertEqual(len(pages), -(-total // PAGE), prefix)
            self.assertTrue(all(len(p) == PAGE for p in pages[:-1]), prefix)
            seen = [n for p in pages for n in p]
            self.assertEqual(seen, expected, f"{prefix}: every statement once, newest first")
        # A deep page asked directly is the same page as followed by links.
        deep = len(pages) - 3
        r = self.get(f"/statements?date={today_cst()}&page={deep}")
        self.assertEqual(list(statement_items(r.doc)), pages[deep - 1])
        r = self.get(f"/statements?date={today_cst()}&page={len(pages) + 5}")
        self.assertEqual(statement_items(r.doc), {})

        # The common name, through every page by its links.
        want = [n for n in common_numbers if n not in gone]
        self.assertGreater(len(want), 1000)
        url = "/en/search?" + urllib.parse.urlencode({"name": COMMON})
        first = self.get(url)
        count = first.doc.find_all(id="result-count")[0].text()
        self.assertIn("more than 1,000", count)
        seen, pages = [], 0
        while url:
            r = self.get(url)
            items = statement_items(r.doc)
            self.assertLessEqual(len(items), 100)
            for text in items.values():
                self.assertIn(COMMON, text)
            seen.extend(items)
            pages += 1
            href = next_search_page(r.doc)
            url = href[href.index("/en/search"):] if href else None
            self.assertLess(pages, 100, "the pages end")
        self.assertEqual(seen, want, "every statement of the name once, newest first")
        self.assertEqual(pages, -(-len(want) // 100))
        # A name of fewer statements is counted exactly, one day at a time too.
        r = self.get("/en/search?" + urllib.parse.urlencode({"name": "李7", "date": today_cst()}))
        self.assertEqual(len(statement_items(r.doc)), 1)
        self.assertIn("Statements found: 1", r.doc.find_all(id="result-count")[0].text())
        r = self.server.get("/search?" + urllib.parse.urlencode({"name": COMMON, "before": "x"}))
        self.assertEqual(r.status, 400)


if __name__ == "__main__":
    unittest.main()
