#!/usr/bin/env python3
"""Statistics (issue 6): /stats in three languages, its SVG charts and tables, /stats.csv
and /api/v1/stats, against a count the test keeps itself of what it published; after a
withdrawal the totals drop, and `tuidang audit` recomputes the same totals from the log
(the channel from the leaves too: this test decodes the entry bundles itself)."""
import collections
import csv
import io
import os
import re
import subprocess
import time
import unittest

import harness


class StatsTest(harness.ServerTestCase, unittest.TestCase):
    SETTINGS = {"checkpoint_interval_ms": 100}

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.expected = {"persons": 0, "statements": 0, "party": 0, "league": 0, "pioneers": 0,
                        "region": collections.Counter(), "region_st": collections.Counter(),
                        "occupation": collections.Counter(), "occupation_st": collections.Counter()}
        cls.published = {}
        for i in range(24):
            region = harness.REGIONS[i % 4] if i % 6 else None
            occupation = harness.OCCUPATIONS[i % 3] if i % 5 else None
            persons = [{"name": f"家{i}-{k}", "organisations": ["league", "pioneers"]}
                       for k in range(i % 3)]
            fields = {"persons": persons}
            if region:
                fields["region"] = region
            if occupation:
                fields["occupation"] = occupation
            orgs = ("party",) if i % 2 else ("party", "league")
            r = cls.server.submit_api(f"张{i}", organisations=orgs, **fields)
            n = 1 + len(persons)
            cls.published[r["number"]] = (n, orgs, region, occupation, persons)
            cls.count(n, orgs, region, occupation, persons, 1)

    @classmethod
    def count(cls, n, orgs, region, occupation, persons, sign):
        e = cls.expected
        e["persons"] += sign * n
        e["statements"] += sign
        for o in ("party", "league", "pioneers"):
            e[o] += sign * ((o in orgs) + sum(o in p["organisations"] for p in persons))
        e["region"][region or "not_given"] += sign * n
        e["region_st"][region or "not_given"] += sign
        e["occupation"][occupation or "not_given"] += sign * n
        e["occupation_st"][occupation or "not_given"] += sign

    def check_json(self, stats):
        e = self.expected
        self.assertEqual(stats["total_persons"], e["persons"])
        self.assertEqual(stats["total_statements"], e["statements"])
        for o in ("party", "league", "pioneers"):
            self.assertEqual(stats["persons_by_organisation"][o], e[o], o)
        self.assertEqual(stats["by_channel"], {"web": {"persons": e["persons"],
                                                       "statements": e["statements"]}})
        for dim in ("region", "occupation"):
            want = {k: {"persons": v, "statements": e[dim + "_st"][k]}
                    for k, v in e[dim].items() if v or e[dim + "_st"][k]}
            self.assertEqual(stats["by_" + dim], want, dim)

    def test_1_api_and_csv(self):
        stats = self.server.stats()
        self.check_json(stats)
        r = self.server.get("/stats.csv")
        self.assertEqual(r.status, 200)
        self.assertTrue(r.header("Content-Type").startswith("text/csv"))
        rows = list(csv.reader(io.StringIO(r.text)))
        self.assertEqual(rows[0], ["kind", "key", "persons", "statements"])
        by = {(k, key): (p, s) for k, key, p, s in rows[1:]}
        self.assertEqual(by[("total", "")], (str(stats["total_persons"]),
                                             str(stats["total_statements"])))
        self.assertEqual(by[("tree_size", str(stats["tree_size"]))], ("", ""))
        for o, v in stats["persons_by_organisation"].items():
            self.assertEqual(by[("organisation", o)][0], str(v))
        for dim in ("channel", "region", "occupation"):
            for code, c in stats["by_" + dim].items():
                self.assertEqual(by[(dim, code)], (str(c["persons"]), str(c["statements"])))
        for d in stats["by_day"]:
            self.assertEqual(by[("day", d["date"])], (str(d["persons"]), str(d["statements"])))

    def test_2_pages_in_three_languages(self):
        stats = self.server.stats()
        for code, (prefix, tag) in harness.LANGUAGES.items():
            r = self.server.get(prefix + "/stats")
            self.assertEqual(r.status, 200, r.describe())
            self.assertIn(f'lang="{tag}"', r.text)
            self.assertNotIn("<script", r.text)
            doc = r.doc
            total = doc.by_id("total-persons").text().replace(",", "")
            self.assertEqual(int(total), stats["total_persons"])
            self.assertEqual(int(doc.by_id("total-statements").text().replace(",", "")),
                             stats["total_statements"])
            svgs = doc.find_all("svg")
            self.assertEqual(len(svgs), 2)
            for svg in svgs:
                self.assertEqual(svg.get("role"), "img")
                self.assertIsNotNone(svg.find("title"), "a chart without a title")
            # The numbers are in a table too.
            table = doc.by_id("day-table")
            today = harness.today_cst()
            row = [tr for tr in table.find_all("tr") if today in tr.text()]
            self.assertEqual(len(row), 1)
            self.assertIn(str(stats["total_persons"]), row[0].text().replace(",", ""))
            # The as-of line names the log's size and links to /log.
            asof = doc.find("p", cls="as-of")
            self.assertIn(str(stats["tree_size"]), asof.text().replace(",", ""))
            self.assertEqual(asof.find("a").get("href"), (prefix or "") + "/log")
            if code == "en":
                self.assertIn("By region", r.text)
                self.assertIn("Beijing", r.text)
                self.assertIn("Not given", r.text)
                self.assertIn("Web", r.text)
            else:
                self.assertTrue(harness.CJK_RE.search(doc.find("h1").text()))
            for rng in ("365", "all"):
                r2 = self.server.get(prefix + f"/stats?range={rng}")
                self.assertEqual(r2.status, 200)
                self.assertEqual(len(r2.doc.find_all("svg")), 2)
        self.assertEqual(self.server.get("/en/stats?range=7").status, 400)

    def test_3_home_and_day_list_say_as_of(self):
        stats = self.server.stats()
        home = self.server.get("/en/")
        self.assertEqual(int(home.doc.by_id("total-persons").text().replace(",", "")),
                         stats["total_persons"])
        self.assertEqual(int(home.doc.by_id("today-persons").text().replace(",", "")),
                         stats["today"]["persons"])
        self.assertIn(str(stats["tree_size"]), home.doc.find("p", cls="as-of").text())
        day = self.server.get("/en/statements")
        self.assertIsNotNone(day.doc.find("p", cls="as-of"))

    def test_4_withdrawal_audit_and_leaves(self):
        number = sorted(self.published)[3]
        n, orgs, region, occupation, persons = self.published[number]
        out = subprocess.run([harness.binary(), "withdraw", str(number), "--reason", "fake",
                              "--data", self.server.data], capture_output=True, text=True,
                             timeout=60)
        self.assertEqual(out.returncode, 0, out.stderr)
        type(self).count(n, orgs, region, occupation, persons, -1)
        # The server picks the withdrawal up at its next refresh.
        deadline = time.time() + 10
        while True:
            stats = self.server.stats()
            if stats["total_statements"] == self.expected["statements"] or time.time() > deadline:
                break
            time.sleep(0.1)
        self.check_json(stats)
        key = subprocess.run([harness.binary(), "log", "key", "--data", self.server.data],
                             capture_output=True, text=True, timeout=30).stdout.strip()
        env = dict(os.environ, NO_PROXY="127.0.0.1", no_proxy="127.0.0.1")
        audit = subprocess.run([harness.binary(), "audit", self.server.base, "--vkey", key],
                               capture_output=True, text=True, timeout=120, env=env)
        self.assertEqual(audit.returncode, 0, audit.stderr)
        self.assertIn("totals at tree size", audit.stdout)
        m = re.search(r"(\d+) statements, (\d+) persons", audit.stdout)
        self.assertEqual((int(m.group(1)), int(m.group(2))),
                         (self.expected["statements"], self.expected["persons"]))
        # By channel, from the leaves themselves: every statement leaf names its channel.
        size = stats["tree_size"]
        cancelled, channel = set(), collections.Counter()
        leaves = []
        for t in range((size + 255) // 256):
            w = min(256, size - t * 256)
            path = f"/log/tile/entries/{t:03d}" + ("" if w == 256 else f".p/{w}")
            body = harness_wait_tile(self.server, path)
            pos = 0
            while pos < len(body):
                ln = int.from_bytes(body[pos:pos + 2], "big")
                leaves.append(body[pos + 2:pos + 2 + ln])
                pos += 2 + ln
        for i, e in enumerate(leaves[:size]):
            if e[1] == 2:
                cancelled.add(int.from_bytes(e[8:16], "big"))
        for i, e in enumerate(leaves[:size]):
            if e[1] == 1 and i not in cancelled:
                channel[{1: "web"}[e[6]]] += int.from_bytes(e[8:10], "big")
        self.assertEqual(dict(channel), {k: v["persons"] for k, v in stats["by_channel"].items()})


def harness_wait_tile(server, path):
    deadline = time.time() + 10
    while True:
        r = server.get(path)
        if r.status == 200:
            return r.body
        if time.time() > deadline:
            raise AssertionError(f"{path}: {r.status}")
        time.sleep(0.1)


if __name__ == "__main__":
    unittest.main()
