"""The server-rendered pages over real HTTP, as a person with a browser without JavaScript
sees them: home, the form in three languages, receipts, day lists, statements, search,
language choice, and that nothing is loaded from another origin."""

import os
import re
import sys
import unittest
import urllib.parse

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
from harness import (CJK_RE, LANGUAGES, OCCUPATIONS, ORGANISATIONS, RECEIPT_DIGITS_RE, RECEIPT_RE, REGIONS,
                     ServerTestCase, day_offset, html_lang, is_same_origin,
                     location_path, lowest_common_ancestor, page_urls, receipt_digits,
                     statement_items, today_cst)  # noqa: E402


def fields_of(name, orgs=("party",), **extra):
    f = [("name", name)] + [("org", o) for o in orgs]
    for k, v in extra.items():
        if isinstance(v, (list, tuple)):
            f.extend((k, x) for x in v)
        else:
            f.append((k, v))
    return f


def control(doc, name):
    """The form controls named `name`."""
    return [n for n in doc.iter() if n.tag in ("input", "select", "textarea", "button")
            and n.get("name") == name]


def value_of(doc, name):
    """What a browser would submit for `name` (a list for checkboxes / radios)."""
    ctl = control(doc, name)
    if not ctl:
        return None
    c = ctl[0]
    if c.tag == "textarea":
        t = c.text()
        return t[1:] if t.startswith("\n") else t
    if c.tag == "select":
        options = c.find_all("option")
        sel = [o for o in options if "selected" in o.attrs] or options[:1]
        if not sel:
            return None
        o = sel[0]
        return o.get("value", o.text())
    if c.get("type") in ("checkbox", "radio"):
        return [x.get("value", "on") for x in ctl if "checked" in x.attrs]
    return c.get("value", "")


def digits(s):
    return int(re.sub(r"\D", "", s))



def embedded(url):
    """An image carried in the page itself (the declaration's pages inline their icon as a
    data: URL, docs/reach.md): nothing is fetched, from any origin."""
    return url.strip().lower().startswith("data:image/")

class PagesTest(ServerTestCase, unittest.TestCase):

    # -- helpers --

    def page(self, path, status=200, **kw):
        r = self.server.get(path, **kw)
        self.assertEqual(r.status, status, r.describe())
        if status == 200:
            self.assertTrue(r.header("Content-Type", "").lower().startswith("text/html"),
                            r.describe())
            self.assertIn("utf-8", r.header("Content-Type", "").lower())
        return r

    def submit(self, prefix, fields):
        """POSTs the form; on success returns (the answer, which shows the receipt once, its
        code's digits, number)."""
        r = self.server.post_form(f"{prefix}/submit", fields)
        self.assertEqual(r.status, 200, r.describe())
        self.assertIsNone(r.header("Location"), r.describe())
        digits_only = harness.reply_receipt(r)
        self.assertRegex(digits_only, RECEIPT_DIGITS_RE)
        api = self.server.get(f"/api/v1/receipts/{digits_only}")
        self.assertEqual(api.status, 200, api.describe())
        return r, digits_only, api.json()["number"]

    def receipt_page(self, prefix, code, status=200):
        """The receipt page of `code` (POST /receipt, the code in the form), checked as
        page() checks a page."""
        r = harness.post_receipt(self.server, code, "", prefix)
        self.assertEqual(r.status, status, r.describe())
        if status == 200:
            self.assertTrue(r.header("Content-Type", "").lower().startswith("text/html"),
                            r.describe())
            self.assertIn("utf-8", r.header("Content-Type", "").lower())
        return r

    def links(self, r):
        base = self.server.base + r.url
        out = []
        for a in r.doc.find_all("a"):
            if "href" in a.attrs:
                u = urllib.parse.urlsplit(urllib.parse.urljoin(base, a.get("href")))
                out.append(u.path + ("?" + u.query if u.query else ""))
        return out

    def assertLinksTo(self, r, path_options, msg=""):
        got = self.links(r)
        self.assertTrue(any(p in got for p in path_options),
                        f"{r.url} has no link to any of {path_options} {msg}; links: {got}")

    def assertStatsUnchanged(self, before):
        self.assertEqual(self.server.stats(), before, "stats changed")

    # -- home --

    def test_home_shows_totals(self):
        self.server.submit_api("首页", organisations=["party"],
                               persons=[{"name": "家人", "organisations": ["league"]}])
        stats = self.server.stats()
        for code, (prefix, lang) in LANGUAGES.items():
            r = self.page(prefix + "/")
            self.assertEqual(html_lang(r.doc), lang, r.url)
            total = r.doc.by_id("total-persons")
            today = r.doc.by_id("today-persons")
            self.assertIsNotNone(total, r.describe())
            self.assertIsNotNone(today, r.describe())
            self.assertEqual(total.tag, "strong")
            self.assertEqual(digits(total.text()), stats["total_persons"])
            self.assertEqual(digits(today.text()), stats["today"]["persons"])
            self.assertLinksTo(r, [prefix + "/submit"], "(the form)")
        self.page("/zh-hans/")
        before = digits(self.page("/").doc.by_id("total-persons").text())
        self.submit("", fields_of("首页二", ("league",)))
        self.assertEqual(digits(self.page("/").doc.by_id("total-persons").text()), before + 1)

    def test_home_links_other_languages(self):
        r = self.page("/")
        self.assertLinksTo(r, ["/en/"])
        self.assertLinksTo(r, ["/zh-hant/"])
        r = self.page("/en/")
        self.assertLinksTo(r, ["/", "/zh-hans/"])
        self.assertLinksTo(r, ["/zh-hant/"])

    # -- the form --

    def test_submit_form_in_three_languages(self):
        texts = {}
        for code, (prefix, lang) in LANGUAGES.items():
            r = self.page(prefix + "/submit")
            doc = r.doc
            self.assertEqual(html_lang(doc), lang)
            self.assertEqual(harness.foreign_scripts(doc, self.server.base + r.url), [],
                             "no inline or foreign JavaScript")
            forms = [f for f in doc.find_all("form")
                     if f.get("method", "get").lower() == "post"]
            self.assertEqual(len(forms), 1, r.describe())
            action = urllib.parse.urlsplit(urllib.parse.urljoin(
                self.server.base + r.url, forms[0].get("action", ""))).path
            self.assertEqual(action, prefix + "/submit")
            self.assertTrue(control(doc, "name"), "name field")
            self.assertEqual(sorted(c.get("value") for c in control(doc, "org")),
                             sorted(ORGANISATIONS))
            for c in control(doc, "org"):
                self.assertEqual(c.get("type"), "checkbox")
            self.assertTrue(control(doc, "text"), "text field")
            for field, vocab in (("region", REGIONS), ("occupation", OCCUPATIONS)):
                ctl = control(doc, field)
                self.assertTrue(ctl, field)
                values = ({o.get("value") for o in ctl[0].find_all("option")}
                          if ctl[0].tag == "select" else {c.get("value") for c in ctl})
                self.assertTrue(set(vocab) <= values, f"{field}: {set(vocab) - values}")
            kind = value_of(doc, "name_kind")
            self.assertIn(kind, ("pseudonym", ["pseudonym"]), "pseudonym is the default")
            self.assertTrue(control(doc, "more"), "an 'add a person' button named more")
            self.assertLessEqual(len(r.body), 30 * 1024)
            label_text = " ".join(l.text() for l in doc.find_all("label"))
            texts[code] = label_text
            if code == "en":
                self.assertNotRegex(label_text, CJK_RE, "English labels in English")
            # Links to the same page in the other languages.
            for other, (op, _) in LANGUAGES.items():
                if other != code:
                    opts = [op + "/submit"] + (["/zh-hans/submit"] if other == "zh-hans" else [])
                    self.assertLinksTo(r, opts)
        self.assertNotEqual(texts["zh-hans"], texts["en"])
        self.assertNotEqual(texts["zh-hans"], texts["zh-hant"])

    def test_enter_submits_the_statement(self):
        """Enter in a text field presses the form's first submit button (the HTML default
        button): it must be the one that submits, not `more`."""
        for prefix, _ in LANGUAGES.values():
            r = self.page(prefix + "/submit")
            form = [f for f in r.doc.find_all("form")
                    if f.get("method", "get").lower() == "post"][0]
            submits = [n for n in form.iter()
                       if (n.tag == "button" and n.get("type", "submit") == "submit")
                       or (n.tag == "input" and n.get("type") in ("submit", "image"))]
            self.assertTrue(submits, "no submit button")
            self.assertNotEqual(submits[0].get("name"), "more",
                                f"{prefix}/submit: the default button is `more`, so pressing"
                                " Enter adds a row instead of submitting")

    def test_submit_page_total_size(self):
        """The submit page with every same-origin resource it loads stays under 30 KB."""
        r = self.page("/submit")
        total = len(r.body)
        base = self.server.base + r.url
        for node, attr, url in page_urls(r.doc):
            if node.tag == "a" or attr == "action" or embedded(url):
                continue  # an embedded image is already in the page's own bytes
            self.assertTrue(is_same_origin(url, base), f"{node.tag} {attr}={url}")
            p = urllib.parse.urlsplit(urllib.parse.urljoin(base, url))
            res = self.server.get(p.path + ("?" + p.query if p.query else ""))
            self.assertEqual(res.status, 200, res.describe())
            total += len(res.body)
        self.assertLess(total, 30 * 1024, f"submit page weighs {total} bytes")

    def test_valid_post_redirects_to_receipt(self):
        for code, (prefix, lang) in LANGUAGES.items():
            reply, receipt, number = self.submit(prefix, fields_of(
                f"收据页{code}", ("party", "league"), name_kind="real", region="beijing",
                occupation="student", text="退出。", rows="0"))
            self.assertEqual(html_lang(reply.doc), lang)
            r = self.receipt_page(prefix, receipt)
            self.assertEqual(html_lang(r.doc), lang)
            shown = r.doc.find("code", cls="receipt")
            self.assertIsNotNone(shown, r.describe())
            self.assertRegex(shown.text().strip(), RECEIPT_RE)
            self.assertEqual(receipt_digits(shown.text()), receipt)
            self.assertIsNotNone(r.doc.find("span", cls="status-published"), r.describe())
            self.assertIn(str(number), r.doc.find("body").text())
            self.assertLinksTo(r, [f"{prefix}/statements/{number}"] +
                               ([f"/zh-hans/statements/{number}"] if not prefix else []))
            # The code is accepted with or without hyphens.
            dashed = "-".join(receipt[i:i + 4] for i in range(0, 24, 4))
            self.receipt_page(prefix, receipt)
            self.receipt_page(prefix, dashed)
            st = self.server.get(f"/api/v1/statements/{number}").json()
            self.assertEqual(st["language"], code)
            self.assertIs(st["real_name"], True)
            self.assertEqual(st["region"], "beijing")
            self.assertEqual(st["occupation"], "student")
            self.assertEqual(sorted(st["organisations"]), ["league", "party"])

    def test_unknown_receipt_is_plain_404(self):
        _, receipt, _ = self.submit("", fields_of("未知收据"))
        wrong = ("1" if receipt[0] == "0" else "0") + receipt[1:]
        bodies = set()
        for bad in (wrong, "1234", "abcd-efgh-ijkl-mnop", receipt + "1"):
            r = self.receipt_page("", bad, status=404)
            self.assertNotIn(bad, r.text)
            bodies.add(r.body)
        self.assertEqual(len(bodies), 1, "every wrong code gets the same answer")

    def test_invalid_post_shows_every_error_beside_its_field(self):
        before = self.server.stats()
        typed = {"name": "名" * 41, "region": "shanghai", "occupation": "worker",
                 "text": "我写的字\r\n第二行", "name_kind": "real"}
        for code, (prefix, lang) in LANGUAGES.items():
            r = self.server.post_form(f"{prefix}/submit", list(typed.items()))
            self.assertEqual(r.status, 400, r.describe())
            doc = r.doc
            self.assertEqual(html_lang(doc), lang)
            for field, ctl_name in (("name", "name"), ("org", "org")):
                err = doc.by_id(f"error-{field}")
                self.assertIsNotNone(err, f"no error-{field} on {prefix}/submit:\n"
                                     + r.describe(3000))
                self.assertEqual(err.tag, "p")
                self.assertIn("error", err.classes)
                self.assertTrue(err.text().strip())
                ctl = control(doc, ctl_name)[0]
                lca = lowest_common_ancestor(err, ctl)
                self.assertNotIn(lca.tag, ("form", "body", "html", "#document", "main"),
                                 f"error-{field} is not beside its field")
            self.assertIsNone(doc.by_id("error-region"))
            self.assertIsNone(doc.by_id("error-text"))
            # What was typed is kept.
            self.assertEqual(value_of(doc, "name"), typed["name"])
            self.assertEqual(value_of(doc, "region"), "shanghai")
            self.assertEqual(value_of(doc, "occupation"), "worker")
            self.assertIn(value_of(doc, "text").replace("\r\n", "\n"), ("我写的字\n第二行",))
            self.assertIn(value_of(doc, "name_kind"), ("real", ["real"]))
        self.assertStatsUnchanged(before)

    def test_error_messages_in_the_page_language(self):
        zh = self.server.post_form("/submit", [("name", "")])
        en = self.server.post_form("/en/submit", [("name", "")])
        hant = self.server.post_form("/zh-hant/submit", [("name", "")])
        for r in (zh, en, hant):
            self.assertEqual(r.status, 400, r.describe())
        m_zh = zh.doc.by_id("error-name").text()
        m_en = en.doc.by_id("error-name").text()
        self.assertNotEqual(m_zh, m_en)
        self.assertRegex(m_zh, CJK_RE)
        for p in en.doc.find_all("p", cls="error"):
            self.assertNotRegex(p.text(), CJK_RE, "English error message with CJK")
        self.assertRegex(hant.doc.by_id("error-name").text(), CJK_RE)

    def test_checked_organisations_kept(self):
        r = self.server.post_form("/submit", fields_of("", ("league", "pioneers")))
        self.assertEqual(r.status, 400, r.describe())
        self.assertEqual(sorted(value_of(r.doc, "org")), ["league", "pioneers"])

    def test_more_adds_a_row_and_stores_nothing(self):
        before = self.server.stats()
        r = self.server.post_form("/submit", fields_of("更多", ("party",), rows="0",
                                                       more="1"))
        self.assertEqual(r.status, 200, r.describe())
        self.assertTrue(control(r.doc, "p1_name"), "a row for person 1")
        self.assertFalse(control(r.doc, "p2_name"))
        self.assertEqual(value_of(r.doc, "name"), "更多")
        self.assertEqual(value_of(r.doc, "org"), ["party"])
        self.assertEqual(r.doc.find_all("p", cls="error"), [], "no errors for `more`")
        r = self.server.post_form("/submit", fields_of("更多", ("party",), rows="1",
                                                       p1_name="第一", p1_org="league",
                                                       more="1"))
        self.assertEqual(r.status, 200, r.describe())
        self.assertTrue(control(r.doc, "p2_name"), "a row for person 2")
        self.assertEqual(value_of(r.doc, "p1_name"), "第一")
        self.assertEqual(value_of(r.doc, "p1_org"), ["league"])
        self.assertStatsUnchanged(before)

    def test_family_statement_counts_every_person(self):
        before = self.server.stats()
        _, _, number = self.submit("", fields_of(
            "父亲", ("party",), rows="3",
            p1_name="母亲", p1_org=["party", "league"], p1_kind="real",
            p2_name="", p3_name="女儿", p3_org="pioneers"))
        after = self.server.stats()
        self.assertEqual(after["total_persons"] - before["total_persons"], 3)
        self.assertEqual(after["total_statements"] - before["total_statements"], 1)
        b, a = before["persons_by_organisation"], after["persons_by_organisation"]
        self.assertEqual({k: a[k] - b.get(k, 0) for k in ORGANISATIONS},
                         {"party": 2, "league": 1, "pioneers": 1})
        st = self.server.get(f"/api/v1/statements/{number}").json()
        self.assertEqual([p["name"] for p in st["persons"]], ["母亲", "女儿"])
        self.assertIs(st["persons"][0]["real_name"], True)
        self.assertEqual(st["persons_count"], 3)
        page = self.page(f"/statements/{number}")
        body = page.doc.find("body").text()
        self.assertIn("母亲", body)
        self.assertIn("女儿", body)

    def test_person_errors_beside_their_row(self):
        before = self.server.stats()
        r = self.server.post_form("/submit", fields_of(
            "户主", ("party",), rows="2", p1_name="好", p1_org="league",
            p2_name="x" * 41, p2_org="party"))
        self.assertEqual(r.status, 400, r.describe())
        self.assertIsNotNone(r.doc.by_id("error-p2_name"), r.describe(3000))
        self.assertIsNone(r.doc.by_id("error-p1_name"))
        self.assertEqual(value_of(r.doc, "p2_name"), "x" * 41)
        # A named person without organisation is an error too.
        r = self.server.post_form("/submit", fields_of("户主", ("party",), rows="1",
                                                       p1_name="无组织"))
        self.assertEqual(r.status, 400, r.describe())
        self.assertIsNotNone(r.doc.by_id("error-p1_org"), r.describe(3000))
        self.assertStatsUnchanged(before)

    # -- lists, statements, search --

    def test_statement_page(self):
        _, _, n = self.submit("", fields_of("单页声明", ("league",), text="全文在此"))
        for code, (prefix, lang) in LANGUAGES.items():
            r = self.page(f"{prefix}/statements/{n}")
            self.assertEqual(html_lang(r.doc), lang)
            self.assertIn("单页声明", r.doc.find("h1").text())
            self.assertIn("全文在此", r.doc.find("body").text())
        self.page("/statements/99999999", status=404)
        self.assertIn(self.server.get("/statements/abc").status, (400, 404))

    def test_day_list_and_paging(self):
        mine = [self.server.submit_api(f"日列表{i}")["number"] for i in range(55)]
        today = today_cst()
        r = self.page(f"/statements?date={today}")
        items = statement_items(r.doc)
        self.assertEqual(len(items), 50, "50 a page")
        nums = list(items)
        self.assertEqual(nums, sorted(nums, reverse=True), "newest first")
        self.assertIn(max(mine), items)
        self.assertIn(f"日列表{len(mine) - 1}", items[max(mine)])
        self.assertEqual(statement_items(self.page("/statements").doc), items,
                         "default date is today")
        self.assertLinksTo(r, [f"/statements?date={day_offset(today, -1)}"],
                           "(previous day)")
        all_today = [s["number"] for s in self.server.day_statements()]
        seen = list(nums)
        for page in range(2, 2 + len(all_today) // 50 + 1):
            more = statement_items(self.page(f"/statements?date={today}&page={page}").doc)
            if not more:
                break
            self.assertLessEqual(len(more), 50)
            seen.extend(more)
        self.assertEqual(seen, all_today, "pages cover the day exactly, newest first")
        # A page link to page 2 from page 1.
        self.assertTrue(any("page=2" in l for l in self.links(r)), self.links(r))
        # An old empty day.
        self.assertEqual(statement_items(self.page("/statements?date=2001-01-01").doc), {})
        r = self.server.get("/statements?date=2001-13-45")
        self.assertIn(r.status, (400, 404), r.describe())
        yesterday = self.page(f"/statements?date={day_offset(today, -1)}")
        self.assertLinksTo(yesterday, [f"/statements?date={today}"], "(next day)")
        for bad in ("0", "-1", "abc", "99999999999999999999"):
            r = self.server.get(f"/statements?date={today}&page={bad}")
            self.assertIn(r.status, (200, 400, 404), r.describe())
        en = self.page(f"/en/statements?date={today}")
        self.assertEqual(html_lang(en.doc), "en")
        self.assertEqual(list(statement_items(en.doc)), nums)

    def test_search_folds_traditional_and_simplified(self):
        _, _, n1 = self.submit("/zh-hant", fields_of("萬順"))
        _, _, n2 = self.submit("", fields_of("东风"))
        _, _, n3 = self.submit("/en", fields_of("Alice Wong"))
        _, _, n4 = self.submit("", fields_of("户主搜", ("party",), rows="1",
                                             p1_name="張家輝", p1_org="league"))
        cases = [("万顺", n1), ("萬順", n1), ("東風", n2), ("东风", n2),
                 ("alice wong", n3), ("ALICE WONG", n3), ("张家辉", n4)]
        for prefix in ("", "/zh-hant", "/en"):
            for query, n in cases:
                q = urllib.parse.urlencode({"name": query})
                r = self.page(f"{prefix}/search?{q}")
                self.assertIn(n, statement_items(r.doc), f"{prefix}/search?{q}")
        # NFC: a name typed decomposed finds the composed one and back.
        _, _, n5 = self.submit("", fields_of("Jos\u00e9 Li"))
        for query in ("Jos\u00e9 Li", "Jose\u0301 Li", "JOSE\u0301 LI"):
            r = self.page("/search?" + urllib.parse.urlencode({"name": query}))
            self.assertIn(n5, statement_items(r.doc), repr(query))
        # Exact match only.
        r = self.page("/search?" + urllib.parse.urlencode({"name": "万"}))
        self.assertNotIn(n1, statement_items(r.doc))
        r = self.page("/search?" + urllib.parse.urlencode({"name": "没有这个人"}))
        self.assertEqual(statement_items(r.doc), {})
        # With a date.
        q = urllib.parse.urlencode({"name": "万顺", "date": today_cst()})
        self.assertIn(n1, statement_items(self.page(f"/search?{q}").doc))
        q = urllib.parse.urlencode({"name": "万顺", "date": "2001-01-01"})
        self.assertEqual(statement_items(self.page(f"/search?{q}").doc), {})
        # The empty search shows a form, not an error.
        r = self.page("/search")
        self.assertTrue(control(r.doc, "name"))

    # -- languages --

    def test_accept_language_redirects_root(self):
        cases = [("zh-TW,zh;q=0.9", "/zh-hant/"), ("zh-HK", "/zh-hant/"),
                 ("zh-Hant", "/zh-hant/"), ("en-US,en;q=0.9", "/en/"), ("en", "/en/"),
                 ("en;q=0.5,zh-TW;q=0.8", "/zh-hant/")]
        for header, target in cases:
            r = self.server.get("/", headers={"Accept-Language": header})
            self.assertEqual(r.status, 303, f"Accept-Language: {header}\n" + r.describe())
            self.assertEqual(location_path(r, self.server.base), target, header)
        for header in ("zh-CN,zh;q=0.9,en;q=0.8", "zh", "zh-Hans", "fr-FR", "",
                       "en;q=0.5,zh-CN;q=0.9", "*"):
            r = self.server.get("/", headers={"Accept-Language": header} if header else None)
            self.assertEqual(r.status, 200, f"Accept-Language: {header!r}\n" + r.describe())
            self.assertEqual(html_lang(r.doc), "zh-Hans")
        # Other paths keep the language of their prefix.
        r = self.server.get("/submit", headers={"Accept-Language": "en"})
        self.assertEqual(r.status, 200, r.describe())
        self.assertEqual(html_lang(r.doc), "zh-Hans")
        r = self.server.get("/en/", headers={"Accept-Language": "zh-CN"})
        self.assertEqual(r.status, 200, r.describe())
        self.assertEqual(html_lang(r.doc), "en")

    # -- origins --

    def _all_pages(self):
        _, receipt, n = self.submit("", fields_of("同源检查", ("party",), rows="1",
                                                  p1_name="同源二", p1_org="league"))
        paths = []
        for prefix, _ in LANGUAGES.values():
            paths += [f"{prefix}/", f"{prefix}/submit", f"{prefix}/receipt",
                      f"{prefix}/statements", f"{prefix}/statements/{n}",
                      f"{prefix}/search?name=%E5%90%8C%E6%BA%90%E6%A3%80%E6%9F%A5",
                      f"{prefix}/search"]
        pages = [self.page(p) for p in paths]
        pages += [self.receipt_page(prefix, receipt) for prefix, _ in LANGUAGES.values()]
        bad = self.server.post_form("/submit", [("name", "")])
        self.assertEqual(bad.status, 400)
        more = self.server.post_form("/submit", fields_of("x", more="1"))
        self.assertEqual(more.status, 200)
        nf = self.receipt_page("", "0000000000000000", status=404)
        first = self.server.post_form("/submit", fields_of("同源回执"))
        self.assertEqual(first.status, 200, first.describe())
        return pages + [bad, more, nf, first]

    def test_no_resource_from_another_origin(self):
        for r in self._all_pages():
            base = self.server.base + r.url
            self.assertEqual(harness.foreign_scripts(r.doc, base), [],
                             f"inline or foreign <script> on {r.url}")
            for node, attr, url in page_urls(r.doc):
                if node.tag == "a" or embedded(url):
                    continue
                self.assertTrue(is_same_origin(url, base),
                                f"{r.url}: <{node.tag} {attr}={url!r}> is another origin")
            for n in r.doc.iter():
                for k in n.attrs:
                    self.assertFalse(k.startswith("on"), f"{r.url}: event handler {n}")

    def test_no_link_to_another_origin(self):
        for r in self._all_pages():
            base = self.server.base + r.url
            for node, attr, url in page_urls(r.doc):
                if node.tag == "a":
                    self.assertTrue(is_same_origin(url, base),
                                    f"{r.url}: <a href={url!r}> leads to another origin")

    def test_every_page_links_to_its_other_languages(self):
        _, receipt, n = self.submit("", fields_of("语言链接"))
        today = today_cst()
        # The receipt (POST /receipt) links to the look-up form in the other languages.
        for code, (prefix, _) in LANGUAGES.items():
            got = {urllib.parse.urlsplit(l).path for l in self.links(self.receipt_page(prefix, receipt))}
            for other, (op, _) in LANGUAGES.items():
                if other != code:
                    want = {op + "/receipt"} | ({"/zh-hans/receipt"} if other == "zh-hans" else set())
                    self.assertTrue(want & got, f"{prefix}/receipt has no link to {want}")
        for path in ("/", "/submit", "/receipt", f"/statements?date={today}",
                     f"/statements/{n}", "/search?name=%E8%AF%AD%E8%A8%80%E9%93%BE%E6%8E%A5",
                     "/search"):
            for code, (prefix, _) in LANGUAGES.items():
                r = self.page(prefix + path)
                got = {urllib.parse.urlsplit(l).path for l in self.links(r)}
                for other, (op, _) in LANGUAGES.items():
                    if other == code:
                        continue
                    want = {urllib.parse.urlsplit(op + path).path}
                    if other == "zh-hans":
                        want.add(urllib.parse.urlsplit("/zh-hans" + path).path)
                    self.assertTrue(want & got, f"{prefix + path} has no link to {want}")

    def test_unknown_page_404(self):
        for p in ("/nothing", "/en/nothing", "/zh-hant/nothing", "/fr/"):
            r = self.server.get(p)
            self.assertEqual(r.status, 404, r.describe())


if __name__ == "__main__":
    unittest.main(verbosity=2)
