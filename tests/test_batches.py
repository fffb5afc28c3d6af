#!/usr/bin/env python3
"""No submission time can be learned from the site or from the disk (issue 11, finding 6).

Web statements are acknowledged when durable and published in mixed batches
(intake/publisher.h): someone polling the day list and the checkpoint ten times a second
sees a whole batch appear at once, its numbers in random order. And the database, after a
day of web statements mixed with operators' work, holds no time finer than the day (the
one exception, a rejection's hour for its purge, is checked to be no finer than the hour).
"""
import datetime
import os
import re
import sqlite3
import threading
import time
import unittest

import harness
from test_console import make_operators

BATCH = 12


class BatchTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        # A batch only when 12 are waiting, so that the test knows which batch is which.
        cls.server = harness.Server({"publication_interval_seconds": 1,
                                     "publication_min_batch": BATCH,
                                     "publication_max_wait_seconds": 3600,
                                     "checkpoint_interval_ms": 50,
                                     "operator_policy": "publish"}, name="batches")
        cls.server.start()

    @classmethod
    def tearDownClass(cls):
        cls.server.stop()
        cls.server.cleanup()

    def submit_web(self, name):
        """The no-script form, as a declarant sends it; returns the receipt code."""
        r = self.server.post_form("/submit", {"name": name, "org": "party", "region": "beijing",
                                              "text": "我自愿退出"})
        self.assertEqual(r.status, 200, r.describe())  # the receipt itself, shown once
        return harness.reply_receipt(r)

    def receipt(self, code):
        r = self.server.get(f"/api/v1/receipts/{harness.receipt_digits(code)}")
        self.assertEqual(r.status, 200, r.describe())
        return r.json()

    def test_poller_cannot_order_a_batch(self):
        today = harness.today_cst()
        seen_sizes, seen_counts, errors = set(), set(), []
        stop = threading.Event()

        def poll():
            client = self.server.client()
            try:
                while not stop.is_set():
                    r = client.get("/log/checkpoint")
                    if r.status == 200:
                        seen_sizes.add(int(r.text.split("\n")[1]))
                    else:
                        errors.append(r.status)
                    r = client.get(f"/api/v1/statements?date={today}")
                    if r.status == 200:
                        seen_counts.add(len(r.json()["statements"]))
                    else:
                        errors.append(r.status)
                    time.sleep(0.1)
            finally:
                client.close()

        size_before = int(self.server.get("/log/checkpoint").text.split("\n")[1])
        poller = threading.Thread(target=poll)
        poller.start()
        try:
            codes = []
            for i in range(BATCH):
                codes.append(self.submit_web(f"批次{i}号"))
                if i == BATCH - 1:
                    break  # the batch is complete: it may be published at any moment
                # Acknowledged at once as accepted: no number, nothing public yet.
                j = self.receipt(codes[-1])
                self.assertEqual(j["status"], "accepted")
                self.assertIsNone(j.get("number"))
                if i == 0:
                    # Its page says so too (asked before the batch is complete: once the
                    # twelfth arrives the batch may be published at any moment).
                    page = harness.post_receipt(self.server, harness.receipt_digits(codes[0]),
                                                "", "/en")
                    self.assertIn("status-accepted", page.text)
                    self.assertIn("published in batches", page.text)
                time.sleep(0.15)  # arrivals spread over about two seconds of polling
            deadline = time.monotonic() + 30
            while time.monotonic() < deadline:
                if all(self.receipt(c)["status"] == "published" for c in codes):
                    break
                time.sleep(0.2)
            time.sleep(0.5)  # the checkpoint of the batch, seen by the poller
        finally:
            stop.set()
            poller.join(10)
        self.assertEqual(errors, [])
        numbers = [self.receipt(c)["number"] for c in codes]
        self.assertEqual(sorted(numbers), list(range(1, BATCH + 1)))
        # Not in arrival order (a shuffle leaves them sorted with probability 1/12!).
        self.assertNotEqual(numbers, sorted(numbers), "numbers follow the arrival order")
        # The poller saw the whole batch appear at once, in the day list and the log.
        self.assertEqual(seen_counts, {0, BATCH})
        self.assertEqual(seen_sizes, {size_before, size_before + BATCH})
        # Every leaf and statement of the batch is dated today, its numbers are the leaves'
        # order: the log's order is the shuffled one too.
        listed = self.server.day_statements(today)
        self.assertEqual(sorted(s["number"] for s in listed), list(range(1, BATCH + 1)))

    def test_the_api_says_accepted_and_withdrawal_before_publication(self):
        j = self.server.submit_api("接口批次")
        self.assertEqual(j["status"], "accepted")
        self.assertIsNone(j["number"])
        # Restart: nothing accepted is lost, and it is still waiting.
        self.server.stop()
        self.server.start()
        self.assertEqual(self.receipt(j["receipt"])["status"], "accepted")
        r = harness.post_receipt(self.server, harness.receipt_digits(j["receipt"]), "/withdraw",
                                 "", {"confirm": "1"})
        self.assertIn(r.status, (200, 303), r.describe())
        self.assertEqual(self.receipt(j["receipt"])["status"], "withdrawn")


# A Unix time, in seconds, minutes, hours or milliseconds, within a few days of now.
def time_like(value, now):
    if not isinstance(value, int) or isinstance(value, bool):
        return None
    for unit, scale in (("seconds", 1), ("minutes", 60), ("hours", 3600),
                        ("milliseconds", 0.001)):
        t = value * scale
        if now - 5 * 86400 <= t <= now + 86400:
            return unit
    return None


TIME_TEXT = re.compile(r"\b\d{1,2}:\d{2}(:\d{2})?\b|\d{4}-\d{2}-\d{2}[T ]\d{2}")


class StoredTimesTest(unittest.TestCase):
    def test_no_time_finer_than_allowed_on_disk(self):
        server = harness.Server({"publication_interval_seconds": 1, "publication_min_batch": 1,
                                 "publish_policy": "publish", "operator_policy": "hold",
                                 "rejected_retention_hours": 48}, name="stored-times")
        server.start()
        try:
            ops = make_operators(server, [("ada", "admin"), ("mo", "moderator"),
                                          ("vic", "volunteer")])
            vic, mo = ops["vic"], ops["mo"]
            # A day in small: web statements between operators' entries, approvals,
            # rejections, withdrawals, a declarant's own withdrawal.
            codes = []
            for i in range(6):
                codes.append(server.submit_api(f"网上{i}")["receipt"])
                r = vic.post("/ops/enter", {"channel": "phone", "name": f"电话{i}",
                                            "org": "league", "consent": "电话同意"})
                self.assertEqual(r.status, 200, r.describe())
            q = mo.get("/ops/queue").text
            held = re.findall(r'id="held-(\d+)"', q)
            self.assertGreaterEqual(len(held), 6)
            r = mo.post("/ops/queue", [("id", held[0]), ("id", held[1]), ("action", "approve")])
            self.assertEqual(r.status, 200, r.describe())
            r = mo.post("/ops/queue", [("id", held[2]), ("action", "reject")])
            self.assertEqual(r.status, 200, r.describe())
            deadline = time.monotonic() + 20
            while time.monotonic() < deadline:
                if server.get(f"/api/v1/receipts/{harness.receipt_digits(codes[-1])}"
                              ).json()["status"] == "published":
                    break
                time.sleep(0.2)
            number = server.get(f"/api/v1/receipts/{harness.receipt_digits(codes[0])}").json()["number"]
            self.assertIsNotNone(number)
            r = harness.post_receipt(server, harness.receipt_digits(codes[1]), "/withdraw", "",
                                     {"confirm": "1"})
            self.assertIn(r.status, (200, 303), r.describe())
            out = harness.subprocess.run(
                [harness.binary(), "withdraw", str(number), "--reason", "danger",
                 "--data", server.data], capture_output=True, text=True, timeout=60)
            self.assertEqual(out.returncode, 0, out.stderr)
            self.assertIn("approved", ops["ada"].get("/ops/audit").text)
        finally:
            server.stop()
        now = time.time()
        db = sqlite3.connect(os.path.join(server.data, "tuidang.db"))
        try:
            found = []
            tables = [r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type='table'")]
            for table in tables:
                columns = [r[1] for r in db.execute(f"PRAGMA table_info({table})")]
                for row in db.execute(f"SELECT * FROM {table}"):
                    for column, value in zip(columns, row):
                        unit = time_like(value, now)
                        # The one stored hour: when a rejection was first seen, for its
                        # purge after rejected_retention_hours (docs/threat-model.md).
                        if unit and not (table == "rejections" and column == "hour"
                                         and unit == "hours"):
                            found.append((table, column, value, unit))
                        if isinstance(value, str) and TIME_TEXT.search(value):
                            found.append((table, column, value, "text"))
            self.assertEqual(found, [], "times finer than the day in the database")
            days = {r[0] for r in db.execute("SELECT day FROM audit_trail")}
            today = (datetime.date.fromisoformat(harness.today_cst())
                     - datetime.date(1970, 1, 1)).days
            self.assertEqual(days, {today})
        finally:
            db.close()
        server.cleanup()


if __name__ == "__main__":
    unittest.main()
