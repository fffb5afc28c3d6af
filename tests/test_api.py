"""The JSON API of docs/api.md over real HTTP: submissions, statements, day lists with
cursor paging, receipts, statistics, errors and limits."""

import json
import os
import re
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
from harness import CJK_RE, ServerTestCase, today_cst  # noqa: E402

API = "/api/v1/statements"


class ApiTest(ServerTestCase, unittest.TestCase):

    # -- helpers --

    def assertError(self, r, status, code, field="__any__"):
        """An error answer: JSON {"error": {code, field, message}, "errors": [...]}."""
        self.assertEqual(r.status, status, r.describe())
        self.assertTrue(r.header("Content-Type", "").startswith("application/json"),
                        r.describe())
        j = r.json()
        self.assertIn("error", j, r.describe())
        self.assertIn("errors", j, r.describe())
        err = j["error"]
        for k in ("code", "field", "message"):
            self.assertIn(k, err, r.describe())
        self.assertIsInstance(j["errors"], list)
        self.assertGreaterEqual(len(j["errors"]), 1, r.describe())
        self.assertEqual(j["errors"][0], err, "errors[0] repeats error:\n" + r.describe())
        self.assertEqual(err["code"], code, r.describe())
        if field != "__any__":
            self.assertEqual(err["field"], field, r.describe())
        self.assertIsInstance(err["message"], str)
        self.assertTrue(err["message"].strip(), r.describe())
        return j

    def assertUnchanged(self, before):
        self.assertEqual(self.server.stats(), before, "a rejected request changed the stats")

    # -- tests --

    def test_healthz(self):
        r = self.server.get("/healthz")
        self.assertEqual(r.status, 200, r.describe())
        self.assertEqual(r.body.strip(), b"ok", r.describe())

    def test_submit_returns_receipt_and_number(self):
        before = self.server.stats()
        r = self.server.post_json(API, {"name": "王小明", "organisations": ["party"]})
        self.assertEqual(r.status, 201, r.describe())
        self.assertTrue(r.header("Content-Type", "").startswith("application/json"))
        j = r.json()
        self.assertEqual(set(j), {"receipt", "status", "number"}, r.describe())
        self.assertRegex(j["receipt"], harness.RECEIPT_DIGITS_RE)
        self.assertEqual(j["status"], "published")
        self.assertIsInstance(j["number"], int)
        self.assertGreaterEqual(j["number"], 1)
        after = self.server.stats()
        self.assertEqual(after["total_statements"], before["total_statements"] + 1)
        self.assertEqual(after["total_persons"], before["total_persons"] + 1)

    def test_numbers_are_distinct_and_increasing(self):
        numbers = [self.server.submit_api(f"编号{i}")["number"] for i in range(5)]
        self.assertEqual(numbers, sorted(numbers))
        self.assertEqual(len(set(numbers)), 5)
        receipts = set()
        for i in range(5):
            receipts.add(self.server.submit_api(f"收据{i}")["receipt"])
        self.assertEqual(len(receipts), 5, "receipt codes repeat")

    def test_charset_parameter_accepted(self):
        r = self.server.post_json(API, {"name": "字符集", "organisations": ["league"]},
                                  headers={"Content-Type": "application/json; charset=utf-8"})
        self.assertEqual(r.status, 201, r.describe())

    def test_get_statement_roundtrip(self):
        body = {
            "name": "  李 四  ",
            "real_name": True,
            "organisations": ["league", "party"],
            "region": "guangdong",
            "occupation": "teacher",
            "text": "我宣布退出。\n第二行",
            "persons": [
                {"name": "李华", "real_name": False, "organisations": ["league"]},
                {"name": "Li Ming", "organisations": ["pioneers", "league"]},
            ],
            "language": "zh-hant",
        }
        created = self.server.post_json(API, body)
        self.assertEqual(created.status, 201, created.describe())
        n = created.json()["number"]
        r = self.server.get(f"{API}/{n}")
        self.assertEqual(r.status, 200, r.describe())
        s = r.json()
        self.assertEqual(s["number"], n)
        self.assertEqual(s["date"], today_cst())
        self.assertEqual(s["name"], "李 四", "name is trimmed")
        self.assertIs(s["real_name"], True)
        self.assertEqual(sorted(s["organisations"]), ["league", "party"])
        self.assertEqual(s["region"], "guangdong")
        self.assertEqual(s["occupation"], "teacher")
        self.assertEqual(s["text"], "我宣布退出。\n第二行")
        self.assertEqual(len(s["persons"]), 2, r.describe())
        self.assertEqual(s["persons"][0]["name"], "李华")
        self.assertIs(s["persons"][0]["real_name"], False)
        self.assertEqual(s["persons"][0]["organisations"], ["league"])
        self.assertEqual(s["persons"][1]["name"], "Li Ming")
        self.assertIs(s["persons"][1]["real_name"], False, "real_name defaults to false")
        self.assertEqual(sorted(s["persons"][1]["organisations"]), ["league", "pioneers"])
        self.assertEqual(s["persons_count"], 3)
        self.assertEqual(s["channel"], "web")
        self.assertEqual(s["language"], "zh-hant")
        # Nothing finer than the day, nothing about the client.
        for key in s:
            self.assertNotRegex(key, "time|ip|agent|address|receipt", r.describe())
        self.assertNotRegex(r.text, r"\d\d:\d\d:\d\d")

    def test_minimal_statement_defaults(self):
        n = self.server.submit_api("最少")["number"]
        s = self.server.get(f"{API}/{n}").json()
        self.assertIs(s["real_name"], False)
        self.assertEqual(s["persons"], [])
        self.assertEqual(s["persons_count"], 1)
        self.assertEqual(s["language"], "zh-hans")
        self.assertIn(s.get("region"), (None, ""), "region not given")
        self.assertIn(s.get("occupation"), (None, ""), "occupation not given")

    def test_nfc_normalisation(self):
        decomposed = "Jose\u0301"  # é as e + combining acute
        n = self.server.submit_api(decomposed)["number"]
        self.assertEqual(self.server.get(f"{API}/{n}").json()["name"], "Jos\u00e9")

    def test_unknown_statement_404(self):
        for path in (f"{API}/999999999", f"{API}/0", f"{API}/-1", f"{API}/abc"):
            r = self.server.get(path)
            self.assertEqual(r.status, 404, r.describe())
            self.assertEqual(r.json()["error"]["code"], "not_found", r.describe())

    def test_receipts(self):
        j = self.server.submit_api("收据查询", organisations=["pioneers"])
        r = self.server.get(f"/api/v1/receipts/{j['receipt']}")
        self.assertEqual(r.status, 200, r.describe())
        got = r.json()
        # The log's fields (leaf index, proof once checkpointed) are tested in test_log.py.
        self.assertEqual({k: got[k] for k in ("status", "number", "date")},
                         {"status": "published", "number": j["number"], "date": today_cst()})
        self.assertIn("leaf_index", got)
        self.assertIn("proof", got)
        # With hyphens, as the receipt page shows it.
        code = j["receipt"]
        dashed = "-".join(code[i:i + 4] for i in range(0, len(code), 4))
        r = self.server.get(f"/api/v1/receipts/{dashed}")
        self.assertEqual(r.status, 200, r.describe())
        # Unknown and malformed codes: the same 404.
        wrong = ("0" if code[0] != "0" else "1") + code[1:]
        answers = []
        for bad in (wrong, "1234", "abcdabcdabcdabcd", code + "0", "%00"):
            r = self.server.get(f"/api/v1/receipts/{bad}")
            self.assertEqual(r.status, 404, r.describe())
            self.assertEqual(r.json()["error"]["code"], "not_found")
            answers.append(r.body)
        self.assertEqual(len(set(answers)), 1, "unknown and malformed codes answer alike")

    def test_stats_count_persons_once(self):
        before = self.server.stats()
        self.server.submit_api("一家之主", organisations=["party", "league", "pioneers"],
                               persons=[{"name": "妻子", "organisations": ["party", "league"]},
                                        {"name": "儿子", "organisations": ["pioneers"]}])
        self.server.submit_api("单身", organisations=["league"])
        after = self.server.stats()
        self.assertEqual(after["total_statements"] - before["total_statements"], 2)
        self.assertEqual(after["total_persons"] - before["total_persons"], 4)
        pbo_b, pbo_a = before["persons_by_organisation"], after["persons_by_organisation"]
        self.assertEqual({k: pbo_a[k] - pbo_b.get(k, 0) for k in ("party", "league", "pioneers")},
                         {"party": 2, "league": 3, "pioneers": 2})
        self.assertEqual(after["today"]["date"], today_cst())
        self.assertEqual(after["today"]["persons"] - before["today"]["persons"], 4)
        self.assertEqual(after["today"]["statements"] - before["today"]["statements"], 2)
        days = {d["date"]: d for d in after["by_day"]}
        self.assertIn(today_cst(), days)
        self.assertEqual(days[today_cst()]["persons"], after["today"]["persons"])
        self.assertEqual(sum(d["persons"] for d in after["by_day"]), after["total_persons"])
        self.assertEqual(sum(d["statements"] for d in after["by_day"]),
                         after["total_statements"])

    def test_stats_equal_listed_statements(self):
        self.server.submit_api("统计核对", persons=[{"name": "甲", "organisations": ["league"]}])
        listed = self.server.day_statements()
        stats = self.server.stats()
        self.assertEqual(stats["total_statements"], len(listed))
        self.assertEqual(stats["total_persons"], sum(s["persons_count"] for s in listed))
        orgs = {"party": 0, "league": 0, "pioneers": 0}
        for s in listed:
            for p in [s] + s["persons"]:
                for o in p["organisations"]:
                    orgs[o] += 1
        self.assertEqual(stats["persons_by_organisation"], orgs)

    def test_list_by_date_with_cursor(self):
        mine = [self.server.submit_api(f"分页{i}")["number"] for i in range(130)]
        r = self.server.get(f"{API}?date={today_cst()}")
        self.assertEqual(r.status, 200, r.describe())
        first = r.json()
        self.assertEqual(first["date"], today_cst())
        self.assertEqual(len(first["statements"]), 100, "100 at a time")
        self.assertIsNotNone(first["next_cursor"])
        # Newest first.
        nums = [s["number"] for s in first["statements"]]
        self.assertEqual(nums, sorted(nums, reverse=True))
        self.assertGreaterEqual(nums[0], max(mine))
        for s in first["statements"]:
            for k in ("number", "date", "name", "organisations", "persons_count"):
                self.assertIn(k, s)
        # Default date is today.
        self.assertEqual(self.server.get(API).json()["statements"][:5], first["statements"][:5])
        everything = self.server.day_statements()
        all_nums = [s["number"] for s in everything]
        self.assertEqual(len(all_nums), len(set(all_nums)), "no statement twice")
        self.assertEqual(all_nums, sorted(all_nums, reverse=True))
        self.assertTrue(set(mine) <= set(all_nums), "every submitted statement listed")
        self.assertEqual(len(all_nums), self.server.stats()["today"]["statements"])

    def test_list_other_days(self):
        r = self.server.get(f"{API}?date=2001-01-01")
        self.assertEqual(r.status, 200, r.describe())
        self.assertEqual(r.json()["statements"], [])
        self.assertIsNone(r.json()["next_cursor"])
        for bad in ("2024-13-01", "yesterday", "2024-1-1"):
            r = self.server.get(f"{API}?date={bad}")
            self.assertEqual(r.status, 400, r.describe())
            self.assertIn("error", r.json())

    def test_bad_cursor(self):
        for bad in ("abc", "-5", "1.5", "99999999999999999999999"):
            r = self.server.get(f"{API}?cursor={bad}")
            self.assertEqual(r.status, 400, r.describe())
            self.assertIn("error", r.json())

    @unittest.skipIf(harness.ON_POSTGRES, "reads tuidang.db, the SQLite store's file")
    def test_data_folder_created(self):
        data = self.server.data
        toml = os.path.join(data, "tuidang.toml")
        self.assertTrue(os.path.isfile(toml), "tuidang.toml written on first start")
        with open(toml, encoding="utf-8") as f:
            text = f.read()
        for key in ("listen", "threads", "max_connections", "queue_limit", "publish_policy",
                    "request_timeout_seconds"):
            self.assertRegex(text, rf"(?m)^\s*#?\s*{key}\s*=", f"{key} in the defaults")
        db = os.path.join(data, "tuidang.db")
        with open(db, "rb") as f:
            header = f.read(100)
        self.assertEqual(header[:16], b"SQLite format 3\x00")
        self.assertEqual((header[18], header[19]), (2, 2), "the database is in WAL mode")

    def test_hold_policy_is_not_default(self):
        self.assertEqual(self.server.submit_api("默认发布")["status"], "published")

    # -- errors --

    def test_missing_name(self):
        before = self.server.stats()
        r = self.server.post_json(API, {"organisations": ["party"]})
        self.assertError(r, 400, "required", "name")
        self.assertUnchanged(before)

    def test_missing_organisations(self):
        before = self.server.stats()
        for body in ({"name": "无组织"}, {"name": "空组织", "organisations": []}):
            r = self.server.post_json(API, body)
            self.assertError(r, 400, "required", "organisations")
        self.assertUnchanged(before)

    def test_every_error_listed(self):
        before = self.server.stats()
        r = self.server.post_json(API, {"name": "", "organisations": ["army"],
                                        "region": "atlantis", "occupation": "spy"})
        j = self.assertError(r, 400, "required", "name")
        fields = {(e["field"], e["code"]) for e in j["errors"]}
        self.assertTrue({("name", "required"), ("organisations", "unknown_value"),
                         ("region", "unknown_value"), ("occupation", "unknown_value")}
                        <= fields, r.describe())
        self.assertUnchanged(before)

    def test_person_field_path(self):
        before = self.server.stats()
        r = self.server.post_json(API, {"name": "户主", "organisations": ["party"],
                                        "persons": [{"name": "好", "organisations": ["party"]},
                                                    {"name": "x" * 41,
                                                     "organisations": ["league"]}]})
        j = self.assertError(r, 400, "too_long")
        # docs/api.md: `persons[2].name` for a person; accept 0- or 1-based indexing.
        self.assertIn(j["error"]["field"], ("persons[1].name", "persons[2].name"), r.describe())
        self.assertUnchanged(before)

    def test_too_many_persons(self):
        before = self.server.stats()
        persons = [{"name": f"人{i}", "organisations": ["league"]} for i in range(51)]
        r = self.server.post_json(API, {"name": "大家", "organisations": ["party"],
                                        "persons": persons})
        self.assertError(r, 400, "too_many", "persons")
        self.assertUnchanged(before)
        r = self.server.post_json(API, {"name": "五十", "organisations": ["party"],
                                        "persons": persons[:50]})
        self.assertEqual(r.status, 201, r.describe())
        self.assertEqual(self.server.stats()["total_persons"], before["total_persons"] + 51)

    def test_text_limit(self):
        before = self.server.stats()
        r = self.server.post_json(API, {"name": "长文", "organisations": ["party"],
                                        "text": "字" * 5001})
        self.assertError(r, 400, "too_long", "text")
        self.assertUnchanged(before)
        r = self.server.post_json(API, {"name": "长文", "organisations": ["party"],
                                        "text": "字" * 5000})
        self.assertEqual(r.status, 201, r.describe())

    def test_unknown_field(self):
        before = self.server.stats()
        r = self.server.post_json(API, {"name": "拼错", "organisations": ["party"],
                                        "regoin": "beijing"})
        self.assertError(r, 400, "unknown_field", "regoin")
        r = self.server.post_json(API, {"name": "拼错", "organisations": ["party"],
                                        "persons": [{"name": "甲", "organisations": ["party"],
                                                     "nmae": "乙"}]})
        self.assertError(r, 400, "unknown_field")
        self.assertUnchanged(before)

    def test_wrong_types(self):
        before = self.server.stats()
        for body in ({"name": 5, "organisations": ["party"]},
                     {"name": "类型", "organisations": "party"},
                     {"name": "类型", "organisations": ["party"], "real_name": "yes"},
                     {"name": "类型", "organisations": ["party"], "persons": {}},
                     ["not", "an", "object"], "string", None):
            r = self.server.post_json(API, body)
            self.assertEqual(r.status, 400, r.describe())
            self.assertIn("error", r.json(), r.describe())
        self.assertUnchanged(before)

    def test_invalid_json(self):
        before = self.server.stats()
        for raw in (b"{", b"", b"{\"name\": \"a\", \"organisations\": [\"party\"]",
                    b"{\"name\": \"\xff\xfe\", \"organisations\": [\"party\"]}",
                    b"\xef\xbb\xbf{}x", b"{\"name\": \"a\"} trailing"):
            r = self.server.post_json(API, None, raw=raw)
            self.assertError(r, 400, "invalid_json")
        self.assertUnchanged(before)

    def test_duplicate_keys_refused(self):
        # {"name": "a", "name": "b"} must not read as "b" (last wins): refused whole, as the
        # form refuses a field sent twice, at any depth.
        before = self.server.stats()
        cases = [
            (b'{"name": "\xe7\x94\xb2", "name": "\xe4\xb9\x99", "organisations": ["party"]}', "name"),
            (b'{"name": "a", "organisations": ["party"], "na\\u006de": "b"}', "name"),
            (b'{"name": "a", "organisations": ["party"], "organisations": ["league"]}', "organisations"),
            (b'{"name": "a", "organisations": ["party"], "persons": [{"name": "b", "organisations":'
             b' ["party"]}, {"name": "c", "real_name": true, "name": "d", "organisations": ["party"]}]}',
             "persons[1].name"),
            (b'{"name": "a", "organisations": ["party"], "pow": {"challenge": "x", "nonce": "1",'
             b' "nonce": "2"}}', "pow.nonce"),
        ]
        for raw, field in cases:
            r = self.server.post_json(API, None, raw=raw, headers={"Accept-Language": "en"})
            j = self.assertError(r, 400, "duplicate_key", field)
            self.assertIn("twice", j["error"]["message"])
        zh = self.server.post_json(API, None, raw=cases[0][0], headers={"Accept-Language": "zh-CN"})
        self.assertTrue(CJK_RE.search(zh.json()["error"]["message"]), zh.describe())
        self.assertUnchanged(before)
        # The same key in two objects is no duplicate.
        ok = self.server.post_json(API, {"name": "两个名字", "organisations": ["party"],
                                         "persons": [{"name": "甲", "organisations": ["party"]},
                                                     {"name": "乙", "organisations": ["league"]}]})
        self.assertEqual(ok.status, 201, ok.describe())

    def test_message_language(self):
        zh = self.server.post_json(API, {"organisations": ["party"]},
                                   headers={"Accept-Language": "zh-CN,zh;q=0.9"})
        en = self.server.post_json(API, {"organisations": ["party"]},
                                   headers={"Accept-Language": "en-US,en;q=0.9"})
        tw = self.server.post_json(API, {"organisations": ["party"]},
                                   headers={"Accept-Language": "zh-TW"})
        by_body = self.server.post_json(API, {"organisations": ["party"], "language": "en"})
        m_zh = self.assertError(zh, 400, "required", "name")["error"]["message"]
        m_en = self.assertError(en, 400, "required", "name")["error"]["message"]
        m_tw = self.assertError(tw, 400, "required", "name")["error"]["message"]
        m_body = self.assertError(by_body, 400, "required", "name")["error"]["message"]
        self.assertNotEqual(m_zh, m_en)
        self.assertRegex(m_zh, CJK_RE, "Chinese message is Chinese")
        self.assertNotRegex(m_en, CJK_RE, "English message has no CJK")
        self.assertEqual(m_body, m_en, '"language": "en" in the body answers in English')
        self.assertRegex(m_tw, CJK_RE)
        default = self.server.post_json(API, {"organisations": ["party"]})
        self.assertEqual(self.assertError(default, 400, "required")["error"]["message"], m_zh,
                         "default language is Simplified Chinese")

    def test_too_large_413(self):
        before = self.server.stats()
        body = json.dumps({"name": "大", "organisations": ["party"],
                           "text": "a" * (70 * 1024)}).encode()
        head = (f"POST {API} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                f"Content-Length: {len(body)}\r\n\r\n").encode()
        resp, raw, how = self.server.raw(head + body)
        self.assertIsNotNone(resp, f"no HTTP answer to a 70 KiB body (read ended by {how}): "
                                   f"{raw[:300]!r}")
        status, headers, rbody = resp
        self.assertEqual(status, 413, raw[:1000])
        self.assertEqual(json.loads(rbody)["error"]["code"], "too_large")
        self.assertUnchanged(before)
        # Just under the limit is fine (the text limit answers, not the body limit).
        body = json.dumps({"name": "大", "organisations": ["party"],
                           "text": "a" * (60 * 1024)}).encode()
        r = self.server.post_json(API, None, raw=body)
        self.assertError(r, 400, "too_long", "text")

    def test_unsupported_media_type_415(self):
        before = self.server.stats()
        body = json.dumps({"name": "类型", "organisations": ["party"]}).encode()
        for ctype in ("text/plain", "application/x-www-form-urlencoded", None):
            headers = {"Content-Type": ctype} if ctype else {}
            c = self.server.client()
            r = c.request("POST", API, body=body, headers=headers, retry=False)
            c.close()
            self.assertError(r, 415, "unsupported_media_type")
        self.assertUnchanged(before)

    def test_method_not_allowed(self):
        c = self.server.client()
        r = c.request("DELETE", f"{API}/1", retry=False)
        c.close()
        self.assertIn(r.status, (404, 405), r.describe())
        r = self.server.get("/api/v1/nothing-here")
        self.assertEqual(r.status, 404, r.describe())


class HoldPolicyTest(ServerTestCase, unittest.TestCase):
    SETTINGS = {"publish_policy": "hold"}

    def test_held_statement_not_published_nor_counted(self):
        before = self.server.stats()
        r = self.server.post_json(API, {"name": "待审", "organisations": ["party"]})
        self.assertEqual(r.status, 201, r.describe())
        j = r.json()
        self.assertEqual(j["status"], "held")
        self.assertIsNone(j["number"])
        rr = self.server.get(f"/api/v1/receipts/{j['receipt']}")
        self.assertEqual(rr.status, 200, rr.describe())
        self.assertEqual(rr.json()["status"], "held")
        self.assertIsNone(rr.json()["number"])
        self.assertEqual(self.server.stats(), before, "held statements are not counted")
        page = harness.post_receipt(self.server, j["receipt"])
        self.assertEqual(page.status, 200, page.describe())
        self.assertIsNotNone(page.doc.find("span", cls="status-held"), page.describe())
        self.assertEqual([a for a in page.doc.find_all("a")
                          if "/statements/" in a.get("href", "")], [], "no statement link")
        self.assertEqual(self.server.day_statements(), [])


if __name__ == "__main__":
    unittest.main(verbosity=2)
