"""A large data folder as an operator meets it (issue 13, "start first, integrate after"):
a bulk import leaves a backlog of leaves for the log, and a database of the release before
the day index (schema 3) is upgraded. `tuidang serve` listens at once all the same: it
answers /healthz and takes a submission within a second of its start while the backlog is
integrated and the day and name indexes are filled in the background; every day page
(deep ones too) and the search show the right statements during the backfill and after,
and the log reaches the whole backlog."""

import os
import re
import sqlite3
import subprocess
import sys
import time
import unittest
import urllib.parse

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
from harness import statement_items, today_cst  # noqa: E402

ROWS = int(os.environ.get("TUIDANG_SCALE_ROWS", "120000"))
COMMON = "王先生"  # one row in 40
PAGE = 50


def run(*args, timeout=300):
    return subprocess.run([harness.binary(), *args], capture_output=True, timeout=timeout)


def write_sheet(path, rows):
    surnames = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗"
    with open(path, "w", encoding="utf-8") as f:
        f.write("姓名,组织,内容\n")
        for i in range(rows):
            name = COMMON if i % 40 == 0 else f"{surnames[i % len(surnames)]}{i}"
            f.write(f"{name},党、团,第{i}行\n")


def as_schema_3(path):
    """Turns a database of this build back into the shape of schema 3 (before the day
    index): no persons' day and number, persons_by_name and statements_by_day instead of
    the new indexes, no anchors."""
    db = sqlite3.connect(path, isolation_level=None)
    db.executescript("""
        DROP INDEX persons_published;
        ALTER TABLE persons DROP COLUMN day;
        ALTER TABLE persons DROP COLUMN number;
        CREATE INDEX persons_by_name ON persons(name_fold, statement);
        DROP INDEX statements_published;
        CREATE INDEX statements_by_day ON statements(day, number) WHERE number IS NOT NULL;
        DROP TABLE day_anchors;
        DROP TABLE day_index_pending;
        ALTER TABLE sources DROP COLUMN origin;
        UPDATE meta SET value = '3' WHERE key = 'schema_version';
    """)
    db.close()


class StartFirstTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.server = harness.Server(settings={"publication_interval_seconds": 0}, name="scale")
        data = cls.server.data
        try:
            assert run("init", "--data", data).returncode == 0
            r = run("user", "add", "bulk", "--role", "volunteer", "--data", data)
            assert r.returncode == 0, r.stderr
            sheet = os.path.join(cls.server.root, "sheet.csv")
            write_sheet(sheet, ROWS)
            r = run("import", sheet, "--channel", "sheet", "--operator", "bulk", "--data", data)
            assert r.returncode == 0, r.stderr
            os.remove(sheet)
            # Taken down before the upgrade: the later pages of the day move up by one each.
            cls.gone = {1, 7, ROWS // 2, ROWS}
            for n in cls.gone:
                r = run("withdraw", str(n), "--reason", "danger", "--data", data)
                assert r.returncode == 0, r.stderr
            as_schema_3(os.path.join(data, "tuidang.db"))
        except Exception:
            cls.server.cleanup()
            raise

    @classmethod
    def tearDownClass(cls):
        cls.server.stop()
        cls.server.cleanup()

    def get(self, path):
        r = self.server.get(path)
        self.assertEqual(r.status, 200, r.describe())
        return r

    def check_pages(self, expected, prefix, pages):
        for page in pages:
            r = self.get(f"{prefix}/statements?date={today_cst()}&page={page}")
            self.assertEqual(list(statement_items(r.doc)),
                             expected[(page - 1) * PAGE:page * PAGE], f"{prefix} page {page}")

    def check_search(self, common, prefix):
        r = self.get(f"{prefix}/search?" + urllib.parse.urlencode({"name": COMMON}))
        self.assertEqual(list(statement_items(r.doc)), common[:100], prefix)
        self.assertIn("1,000", r.doc.find_all(id="result-count")[0].text())
        r = self.get(f"{prefix}/search?" + urllib.parse.urlencode({"name": f"李{ROWS - 19}"}))
        self.assertEqual(list(statement_items(r.doc)), [ROWS - 18], prefix)

    def test_listens_at_once_and_is_right_during_and_after_the_backfill(self):
        expected = [n for n in range(ROWS, 0, -1) if n not in self.gone]
        common = [n for n in expected if (n - 1) % 40 == 0]
        last = -(-len(expected) // PAGE)
        # The bound is the start of an empty server on the same machine in the same run
        # (sanitizer builds and a loaded machine start slower; the ratio holds).
        empty = harness.Server(name="scale-empty")
        try:
            started = time.monotonic()
            empty.start()
            baseline = time.monotonic() - started
            posted = time.monotonic()
            empty.submit_api("空库", text="空库的提交。")
            baseline_answer = time.monotonic() - posted
        finally:
            empty.stop()
            empty.cleanup()
        started = time.monotonic()
        self.server.start()
        listened = time.monotonic() - started
        posted = time.monotonic()
        self.server.submit_api("开张", text="刚启动就提交。")
        answered = time.monotonic() - posted
        self.assertLess(listened, 2 * baseline + 0.5,
                        f"serve listens about as soon as an empty one ({baseline:.2f} s)")
        self.assertLess(answered, 2 * baseline_answer + 0.5,
                        f"a submission is answered at once (empty: {baseline_answer:.2f} s)")
        # During the backfill (its first steps: the log says when it is done).
        self.check_pages([ROWS + 1] + expected, "", [1, 2, last // 2, last - 1, last])
        self.check_search(common, "")

        deadline = time.monotonic() + 120
        while "index backfill done" not in self.server.stderr():
            self.assertLess(time.monotonic(), deadline, self.server.stderr()[-2000:])
            time.sleep(0.2)
        self.assertIn("filling the day and name indexes in the background", self.server.stderr())
        log_line = self.server.stderr().index("tuidang listening on")
        self.assertLess(log_line, self.server.stderr().index("index backfill done"))
        # After it, by the anchors and persons_published (pages not asked before: the
        # server caches the pages it rendered).
        self.check_pages([ROWS + 1] + expected, "/en", [3, last // 3, last // 2 + 1, last])
        self.check_search(common, "/zh-hant")
        # The log: the import's leaves, the four withdrawals and the web statement.
        deadline = time.monotonic() + 60
        while True:
            size = int(self.server.get("/log/checkpoint").text.split("\n")[1])
            if size == ROWS + len(self.gone) + 1:
                break
            self.assertLess(time.monotonic(), deadline, f"the log stayed at {size}")
            time.sleep(0.2)
        stats = self.server.stats()
        self.assertEqual(stats["total_statements"], ROWS + 1 - len(self.gone))
        # A second start has nothing left to fill: it says nothing of a backfill.
        self.server.stop()
        before = self.server.stderr().count("filling the day and name indexes")
        self.server.start()
        time.sleep(0.5)
        self.check_pages([ROWS + 1] + expected, "/zh-hant", [last // 2 + 2])
        self.assertEqual(self.server.stderr().count("filling the day and name indexes"), before)


if __name__ == "__main__":
    unittest.main()
