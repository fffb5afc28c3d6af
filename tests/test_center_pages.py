"""The center's own pages (issue 15, docs/center-pages.md) over HTTP to a real `tuidang
serve`: /about, /privacy and /safety in the three languages, linked from every page's
footer; an administrator replaces one by writing Markdown into the data folder, without
rebuilding or restarting, and cmark renders it with raw HTML, script links and remote
images taken out."""

import os
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
from harness import ServerTestCase  # noqa: E402

PAGES = {"/about": ("关于本中心", "關於本中心", "About this center"),
         "/privacy": ("隐私：保存什么，不保存什么", "隱私：保存什麼，不保存什麼",
                      "Privacy: what is kept and what is not"),
         "/safety": ("安全须知", "安全須知", "Safety questions")}


class CenterPagesTest(ServerTestCase, unittest.TestCase):
    def pages_dir(self):
        return os.path.join(self.server.data, "pages")

    def write_page(self, name, body):
        os.makedirs(self.pages_dir(), exist_ok=True)
        path = os.path.join(self.pages_dir(), name)
        with open(path, "wb") as f:
            f.write(body if isinstance(body, bytes) else body.encode("utf-8"))
        self.addCleanup(os.remove, path)

    def test_default_pages_in_three_languages(self):
        for path, titles in PAGES.items():
            for prefix, lang, title in zip(("", "/zh-hant", "/en"), ("zh-Hans", "zh-Hant", "en"),
                                           titles):
                r = self.server.get(prefix + path)
                self.assertEqual(r.status, 200, r.describe())
                self.assertEqual(harness.html_lang(r.doc), lang)
                article = r.doc.by_id("center-page")
                self.assertEqual(article.find("h1").text(), title, r.describe(2000))
                self.assertEqual(harness.foreign_scripts(r.doc, self.server.base), [])
                self.assertIsNotNone(r.doc.find("meta", name="description"))
        # What the privacy page says is tied to the test that checks it.
        self.assertIn("tests/test_privacy.py", self.server.get("/en/privacy").doc.text())

    def test_every_page_links_them_in_its_language(self):
        for prefix in ("", "/zh-hant", "/en"):
            for page in ("/submit", "/stats", "/log"):
                doc = self.server.get(prefix + page).doc
                nav = [n for n in doc.find_all("nav")
                       if any(a.tag == "footer" for a in n.ancestors())]
                self.assertEqual(len(nav), 1, f"{prefix}{page}")
                hrefs = [a.get("href") for a in nav[0].find_all("a")]
                self.assertEqual(hrefs, [prefix + p for p in PAGES],
                                 f"{prefix}{page}: {hrefs}")

    def test_administrator_replaces_a_page_without_restart(self):
        s = self.server
        self.write_page("about.en.md", """# Who we are

We are *volunteers*. Write to us at the [contact page](https://example.org/contact).

<script>alert(1)</script>
<img src="https://tracker.example/x.png">

![our logo](https://cdn.example/logo.png)

[a trap](javascript:alert(1))
""")
        r = s.get("/en/about")
        self.assertEqual(r.status, 200, r.describe())
        article = r.doc.by_id("center-page")
        self.assertEqual(article.find("h1").text(), "Who we are")
        self.assertEqual(article.find("em").text(), "volunteers")
        self.assertNotIn("<script", r.text)
        self.assertEqual(r.doc.find_all("img"), [], "no image from another origin")
        self.assertEqual(harness.foreign_scripts(r.doc, s.base), [])
        links = {a.text(): a.get("href") for a in article.find_all("a")}
        self.assertEqual(links["contact page"], "https://example.org/contact")
        self.assertEqual(links["our logo"], "https://cdn.example/logo.png", "an image as a link")
        self.assertEqual(links["a trap"], "", "a javascript: link loses its target")
        # The other languages keep their default.
        self.assertEqual(s.get("/about").doc.by_id("center-page").find("h1").text(), "关于本中心")

    def test_broken_file_shows_the_default(self):
        self.write_page("safety.zh-hant.md", b"# \xff\xfe broken\n")
        r = self.server.get("/zh-hant/safety")
        self.assertEqual(r.status, 200, r.describe())
        self.assertEqual(r.doc.by_id("center-page").find("h1").text(), "安全須知")
        self.write_page("privacy.zh-hant.md", "#" * (64 * 1024 + 1))
        r = self.server.get("/zh-hant/privacy")
        self.assertEqual(r.doc.by_id("center-page").find("h1").text(), "隱私：保存什麼，不保存什麼")

    def test_unknown_center_page_and_post(self):
        self.assertEqual(self.server.get("/about/x").status, 404)
        self.assertEqual(self.server.post_form("/about", [("a", "b")]).status, 405)


if __name__ == "__main__":
    unittest.main()
