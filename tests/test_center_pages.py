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


ONION = "duckduckgogg42xjoc72x3sjasowoarfbgcmvfimaftt6twagswzczad.onion"
MIRRORS = ["https://mirror-one.example.org/tuidang/", "http://mirror-two.example.net"]
ADDRESS_TITLES = {"": "本站的其他地址", "/zh-hant": "本站的其他地址",
                  "/en": "Other addresses of this site"}


class CenterAddressesTest(ServerTestCase, unittest.TestCase):
    """The onion address and the site's copies from tuidang.toml (onion_address,
    site_mirrors) on /about and /safety in the three languages."""

    SETTINGS = {"onion_address": ONION, "site_mirrors": MIRRORS}

    def test_onion_and_mirrors_on_about_and_safety(self):
        for path in ("/about", "/safety"):
            for prefix, title in ADDRESS_TITLES.items():
                r = self.server.get(prefix + path)
                self.assertEqual(r.status, 200, r.describe())
                section = r.doc.by_id("addresses")
                self.assertIsNotNone(section, f"{prefix}{path}: no addresses")
                self.assertEqual(section.find("h2").text(), title)
                onion = r.doc.by_id("onion")
                links = onion.find_all("a")
                self.assertEqual([a.get("href") for a in links], [f"http://{ONION}/"])
                self.assertEqual(links[0].text(), ONION)
                self.assertRegex(onion.text(), "Tor")
                listed = r.doc.by_id("site-mirrors").find_all("a")
                self.assertEqual([a.get("href") for a in listed], MIRRORS)
                self.assertEqual([a.text() for a in listed], MIRRORS)
                # Explained in the page's language.
                p = [n for n in section.find_all("p") if n.get("id") != "onion"][0]
                if prefix == "/en":
                    self.assertIn("mirrors", p.text())
                else:
                    self.assertRegex(p.text(), harness.CJK_RE)
        # Not on the privacy page, whose subject is what is kept.
        self.assertIsNone(self.server.get("/privacy").doc.by_id("addresses"))

    def test_without_addresses_nothing_is_shown(self):
        s = harness.Server({}, name="center-no-addresses")
        s.start()
        try:
            for path in ("/about", "/en/safety"):
                r = s.get(path)
                self.assertEqual(r.status, 200)
                self.assertIsNone(r.doc.by_id("addresses"), path)
                self.assertNotIn(".onion", r.text)
        finally:
            s.stop()
            s.cleanup()

    def test_bad_addresses_stop_the_server_with_the_setting_named(self):
        for settings, named in (({"onion_address": "example.onion"}, "onion_address"),
                                ({"site_mirrors": ["javascript:alert(1)"]}, "site_mirrors"),
                                ({"site_mirrors": "https://a.example"}, "site_mirrors")):
            s = harness.Server(settings, name="center-bad-addresses")
            try:
                with self.assertRaises(RuntimeError) as e:
                    s.start(timeout=10)
                self.assertIn(named, str(e.exception))
            finally:
                s.cleanup()


if __name__ == "__main__":
    unittest.main()
