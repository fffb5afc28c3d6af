#!/usr/bin/env python3
"""`tuidang import` as a volunteer uses it (issue 4): sign-up sheets in UTF-8, UTF-8 with a
BOM, GBK and Big5 made here with Python's codecs, good and bad rows, --dry-run, all or
nothing against --partial, a second import that adds nothing, a group row counting every
person; the statements carry their channel and count in the stats and the log, and the
operator who imported them is in the audit trail but on no public page."""
import os
import re
import sqlite3
import subprocess
import tempfile
import time
import unittest

import harness
from harness import today_cst

OPERATOR = "volunteer-lin"


def run(*args, input_bytes=None, timeout=120):
    return subprocess.run([harness.binary(), *args], input=input_bytes, capture_output=True,
                          timeout=timeout)


def add_operator(data):
    """Creates the importing operator with `tuidang user add` (the lead's command); a direct
    insert through the store's schema only if that command is not in this build."""
    r = run("user", "add", OPERATOR, "--role", "volunteer", "--data", data)
    if r.returncode == 0:
        return
    help_text = run("user", "--help")
    if help_text.returncode == 0 and b"add" in help_text.stdout:
        raise AssertionError("tuidang user add failed: " + r.stderr.decode(errors="replace"))
    db = sqlite3.connect(os.path.join(data, "tuidang.db"))
    db.execute("INSERT INTO operators(name, role) VALUES(?, 1)", (OPERATOR,))
    db.commit()
    db.close()


class ImportTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.server = harness.Server(name="import")
        cls.data = cls.server.data
        r = run("init", "--data", cls.data)
        assert r.returncode == 0, r.stderr
        add_operator(cls.data)
        cls.server.start()
        # SqliteStore notes the database's data_version at the server's first refresh, not
        # when it opens: a change made by another process before that first refresh (one
        # integrator interval) is not noticed until the next one. Reported to the store's
        # owner; until it is fixed, the first import waits for that refresh.
        time.sleep(1.5)
        cls.dir = tempfile.mkdtemp(prefix="import-files-")

    @classmethod
    def tearDownClass(cls):
        cls.server.stop()
        cls.server.cleanup()

    def write(self, name, text, codec):
        path = os.path.join(self.dir, name)
        with open(path, "wb") as f:
            f.write(text.encode(codec))
        return path

    def do_import(self, path, *extra, channel="sheet"):
        return run("import", path, "--channel", channel, "--operator", OPERATOR,
                   "--data", self.data, *extra)

    def wait_stats(self, persons, timeout=10):
        deadline = time.monotonic() + timeout
        while True:
            stats = self.server.stats()
            if stats["total_persons"] == persons or time.monotonic() > deadline:
                return stats
            time.sleep(0.1)

    def wait_log_size(self, size, timeout=15):
        deadline = time.monotonic() + timeout
        while True:
            r = self.server.get("/log/checkpoint")
            if r.status == 200:
                got = int(r.text.split("\n")[1])
                if got >= size or time.monotonic() > deadline:
                    return got
            elif time.monotonic() > deadline:
                raise AssertionError(r.describe())
            time.sleep(0.2)

    def test_1_encodings_dry_run_all_or_nothing_partial_and_idempotence(self):
        before = self.server.stats()["total_persons"]
        files = {
            "utf8.csv": ("姓名,化名或真名,组织,地区,职业,内容\n"
                         "张伟,真名,党、团,广东省,教师,我退出中共\n"
                         "李娜,化名,队,北京,学生,\n", "utf-8"),
            "bom.csv": ("name,real_name,organisations,region\n"
                        "Wang Fang,yes,\"party, league\",shanghai\n", "utf-8-sig"),
            "gbk.csv": ("姓名,组织,地区\n刘洋,党,四川\n陈静,团队,河南\n", "gbk"),
            "big5.csv": ("姓名,組織,地區,內容\n陳明,黨,台灣,退出共產黨\n林美玲,團,香港,\n", "big5"),
        }
        expected_names = {"张伟", "李娜", "Wang Fang", "刘洋", "陈静", "陳明", "林美玲"}
        paths = {n: self.write(n, t, c) for n, (t, c) in files.items()}

        # A dry run stores nothing.
        r = self.do_import(paths["gbk.csv"], "--dry-run")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn(b"GB18030", r.stdout)
        self.assertIn(b"dry run", r.stdout)
        self.assertEqual(self.server.stats()["total_persons"], before)

        for name in files:
            r = self.do_import(paths[name])
            self.assertEqual(r.returncode, 0, name + ": " + (r.stdout + r.stderr).decode())
        self.assertIn(b"BIG5", self.do_import(paths["big5.csv"], "--dry-run").stdout)
        stats = self.wait_stats(before + 7)
        self.assertEqual(stats["total_persons"], before + 7)

        # The statements are public with their names, organisations and channel.
        listed = self.server.day_statements()
        # The API gives the declarant at the top and further persons in "persons".
        names = {s["name"] for s in listed} | {p["name"] for s in listed for p in s["persons"]}
        self.assertTrue(expected_names <= names, names)
        for s in listed:
            if s["name"] in expected_names:
                self.assertEqual(s.get("channel"), "sheet", s)
        zhang = next(s for s in listed if s["name"] == "张伟")
        self.assertEqual(sorted(zhang["organisations"]), ["league", "party"])
        self.assertTrue(zhang["real_name"])
        self.assertEqual(zhang["region"], "guangdong")

        # Twice: nothing added, in any encoding.
        for name in files:
            r = self.do_import(paths[name])
            self.assertEqual(r.returncode, 0, r.stderr)
            self.assertIn(b"imported 0 statements", r.stdout, r.stdout)
        self.assertEqual(self.server.stats()["total_persons"], before + 7)

        # Bad rows: every one reported with its line; nothing imported without --partial.
        bad = self.write("bad.csv",
                         "姓名,组织,地区\n好人甲,党,北京\n,党,北京\n好人乙,工会,北京\n"
                         "好人丙,团,火星\n好人丁,队,\n", "utf-8")
        r = self.do_import(bad)
        self.assertEqual(r.returncode, 65, r.stdout + r.stderr)
        out = r.stdout.decode()
        self.assertIn("line 3: name: required", out)
        self.assertIn('line 4: organisations: unknown value "工会"', out)
        self.assertIn('line 5: region: unknown value "火星"', out)
        self.assertIn("nothing imported", out)
        self.assertEqual(self.server.stats()["total_persons"], before + 7)
        r = self.do_import(bad, "--partial")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn(b"imported 2 statements", r.stdout)
        self.assertEqual(self.wait_stats(before + 9)["total_persons"], before + 9)

    def test_2_group_counts_every_person_and_the_log_counts_them(self):
        before = self.server.stats()
        group = self.write("family.csv",
                           "group,name,organisations,text\n"
                           "wu,吴父,party,我们一家五口退出\nwu,吴母,party;league\nwu,吴子,league\n"
                           "wu,吴女,pioneers\nwu,吴祖母,party\n", "utf-8")
        r = self.do_import(group, channel="letter")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn(b"imported 1 statements (5 persons)", r.stdout)
        stats = self.wait_stats(before["total_persons"] + 5)
        self.assertEqual(stats["total_statements"], before["total_statements"] + 1)
        self.assertEqual(stats["total_persons"], before["total_persons"] + 5)
        listed = self.server.day_statements()
        wu = next(s for s in listed if s["name"] == "吴父")
        self.assertEqual(wu["persons_count"], 5)
        self.assertEqual(len(wu["persons"]), 4)
        self.assertEqual(wu.get("channel"), "letter")
        # Every statement is a leaf: the log grows to the statements stored.
        size = self.wait_log_size(stats["total_statements"])
        self.assertGreaterEqual(size, stats["total_statements"])

    @unittest.skipIf(harness.ON_POSTGRES, "reads tuidang.db, the SQLite store's file")
    def test_3_operator_internal_never_public_and_audited(self):
        for path in ("/statements", "/en/statements", "/api/v1/statements?date=" +
                     harness.today_cst(), "/stats", "/search?name=%E5%BC%A0%E4%BC%9F"):
            r = self.server.get(path)
            self.assertNotIn(OPERATOR.encode(), r.body, path)
        db = sqlite3.connect(os.path.join(self.data, "tuidang.db"))
        try:
            op_id = db.execute("SELECT id FROM operators WHERE name = ?", (OPERATOR,)).fetchone()[0]
            n = db.execute("SELECT COUNT(*) FROM statements WHERE operator = ? AND channel IN "
                           "(2, 3, 7)", (op_id,)).fetchone()[0]
            self.assertGreaterEqual(n, 10)
            trail = db.execute("SELECT action, object FROM audit_trail WHERE operator = ?",
                               (op_id,)).fetchall()
        finally:
            db.close()
        self.assertIn(("imported", "utf8.csv: 2 statements"), trail)
        self.assertIn(("imported", "family.csv: 1 statements"), trail)

    def test_4_refusals(self):
        path = self.write("x.csv", "name,organisations\na,party\n", "utf-8")
        r = run("import", path, "--channel", "sheet", "--operator", "nobody", "--data", self.data)
        self.assertEqual(r.returncode, 67)
        r = run("import", path, "--channel", "web", "--operator", OPERATOR, "--data", self.data)
        self.assertEqual(r.returncode, 64)
        nohead = self.write("nohead.csv", "地区,职业\n北京,教师\n", "utf-8")
        r = self.do_import(nohead)
        self.assertEqual(r.returncode, 65)
        self.assertIn(b"no name column", r.stderr)


class HistoricAndSourcesTest(unittest.TestCase):
    """Issue 13: the archive's historic records imported with their own days by an admin
    (never a volunteer, never a day to come), and rows told apart by their source: the same
    row in another sheet is another statement, a sheet imported again or grown adds only
    its new rows, and every skipped row names the row it matched."""

    @classmethod
    def setUpClass(cls):
        cls.server = harness.Server(settings={"publication_interval_seconds": 0},
                                    name="import-historic")
        cls.data = cls.server.data
        r = run("init", "--data", cls.data)
        assert r.returncode == 0, r.stderr
        add_operator(cls.data)
        r = run("user", "add", "archivist", "--role", "admin", "--data", cls.data)
        assert r.returncode == 0, r.stderr
        cls.server.start()
        time.sleep(1.5)  # the store's first refresh (see ImportTest.setUpClass)
        cls.dir = tempfile.mkdtemp(prefix="import-historic-")

    @classmethod
    def tearDownClass(cls):
        cls.server.stop()
        cls.server.cleanup()

    def write(self, name, text):
        path = os.path.join(self.dir, name)
        with open(path, "w", encoding="utf-8") as f:
            f.write(text)
        return path

    def do_import(self, path, *extra, operator=OPERATOR):
        r = run("import", path, "--channel", "sheet", "--operator", operator,
                "--data", self.data, *extra)
        return r.returncode, (r.stdout + r.stderr).decode()

    def wait_total(self, statements):
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            stats = self.server.stats()
            if stats["total_statements"] == statements:
                return stats
            time.sleep(0.1)
        self.fail(f"the total never reached {statements}: {self.server.stats()}")

    def day_numbers(self, date):
        r = self.server.get(f"/en/statements?date={date}")
        self.assertEqual(r.status, 200, r.describe())
        return list(harness.statement_items(r.doc))

    def test_1_historic_days(self):
        before = self.server.stats()["total_statements"]
        sheet = self.write("archive-2004.csv",
                           "日期,姓名,组织,内容\n"
                           "2004-12-03,古甲,党,二零零四年的声明\n"
                           "2004/12/3,古乙,团,\n"
                           "2010年5月1日,古丙,党、团,\n"
                           "2004.12.03,古丁,队,\n"
                           "2010-05-01,古戊,党,\n")
        # Only an admin: a volunteer is refused before anything is read into the store.
        code, out = self.do_import(sheet, "--historic")
        self.assertEqual(code, 77, out)
        self.assertIn("only an admin may import historic records", out)
        # Never a day to come, never a day that is no date; all or nothing.
        tomorrow = harness.day_offset(today_cst(), 1)
        bad = self.write("archive-bad.csv", "日期,姓名,组织\n2005-01-02,好甲,党\n"
                         f"{tomorrow},好乙,党\n2005-02-30,好丙,党\n2003-05-01,好丁,党\n"
                         ",好戊,党\n")
        code, out = self.do_import(bad, "--historic", operator="archivist")
        self.assertEqual(code, 65, out)
        self.assertIn(f"line 3: day: {tomorrow} is after today", out)
        self.assertIn('line 4: day: "2005-02-30" is not a date', out)
        self.assertIn("line 5: day: 2003-05-01 is before 2004-01-01", out)
        self.assertIn("line 6: day: required", out)
        self.assertIn("nothing imported", out)
        # Historic records are published at once, never held.
        code, out = self.do_import(sheet, "--historic", "--hold", operator="archivist")
        self.assertEqual(code, 65, out)
        self.assertIn("cannot be held", out)
        self.assertEqual(self.server.stats()["total_statements"], before)

        code, out = self.do_import(sheet, "--historic", operator="archivist")
        self.assertEqual(code, 0, out)
        self.assertIn("imported 5 statements", out)
        m = re.search(r"numbers (\d+) to (\d+)", out)
        first = int(m.group(1))
        stats = self.wait_total(before + 5)
        by_day = {d["date"]: d["statements"] for d in stats["by_day"]}
        self.assertEqual(by_day.get("2004-12-03"), 3, stats["by_day"])
        self.assertEqual(by_day.get("2010-05-01"), 2, stats["by_day"])
        # The log's order is the order of import; each day lists its own, newest first.
        self.assertEqual(self.day_numbers("2004-12-03"), [first + 3, first + 1, first])
        self.assertEqual(self.day_numbers("2010-05-01"), [first + 4, first + 2])
        r = self.server.get(f"/api/v1/statements/{first + 2}")
        self.assertEqual(r.status, 200, r.describe())
        self.assertEqual(r.json()["date"], "2010-05-01")
        # Imported again: nothing new.
        code, out = self.do_import(sheet, "--historic", operator="archivist")
        self.assertEqual(code, 0, out)
        self.assertIn("imported 0 statements", out)
        # Without --historic the date column is a volunteer's own (a call's day): ignored,
        # and the statement is published today.
        today_sheet = self.write("calls.csv", "日期,姓名,组织\n2004-12-03,今甲,党\n")
        code, out = self.do_import(today_sheet)
        self.assertEqual(code, 0, out)
        self.assertIn('column ignored: "日期"', out)
        stats = self.wait_total(before + 6)
        self.assertEqual({d["date"]: d["statements"] for d in stats["by_day"]}["2004-12-03"], 3)
        # The auditor recomputes the per-day totals from the leaves: they carry the days.
        deadline = time.monotonic() + 15
        while int(self.server.get("/log/checkpoint").text.split("\n")[1]) < stats["tree_size"]:
            self.assertLess(time.monotonic(), deadline)
            time.sleep(0.2)
        key = run("log", "key", "--data", self.data).stdout.decode().strip()
        env = dict(os.environ, NO_PROXY="127.0.0.1", no_proxy="127.0.0.1")
        audit = subprocess.run([harness.binary(), "audit", self.server.base, "--vkey", key],
                               capture_output=True, text=True, timeout=120, env=env)
        self.assertEqual(audit.returncode, 0, audit.stdout + audit.stderr)

    def test_2_rows_are_told_apart_by_their_source(self):
        before = self.server.stats()["total_statements"]
        row = "王先生,党,我退出中共\n"
        a = self.write("a.csv", "姓名,组织,内容\n" + row + row + "李四,团,\n")
        code, out = self.do_import(a)
        self.assertEqual(code, 0, out)
        self.assertIn("imported 3 statements", out)
        # Another sheet with the very same row: another person, not a duplicate.
        b = self.write("b.csv", "姓名,组织,内容\n" + row)
        code, out = self.do_import(b)
        self.assertEqual(code, 0, out)
        self.assertIn("imported 1 statements", out)
        self.wait_total(before + 4)
        # The same sheet again adds nothing, and says which row each one matched.
        code, out = self.do_import(a)
        self.assertEqual(code, 0, out)
        self.assertIn("imported 0 statements", out)
        self.assertIn("already imported: line 2 is a.csv, line 2", out)
        self.assertIn("already imported: line 3 is a.csv, line 3", out)
        self.assertIn("already imported: line 4 is a.csv, line 4", out)
        # Grown: only the rows appended (a third identical row is a third person).
        a2 = self.write("a.csv", "姓名,组织,内容\n" + row + row + "李四,团,\n" + row + "赵五,队,\n")
        code, out = self.do_import(a2)
        self.assertEqual(code, 0, out)
        self.assertIn("imported 2 statements", out)
        self.assertEqual(len(re.findall("already imported: line", out)), 3, out)
        self.wait_total(before + 6)
        # Another file name, the same source by --source: nothing new.
        copy = self.write("b-copy.csv", "姓名,组织,内容\n" + row)
        code, out = self.do_import(copy, "--source", "b.csv")
        self.assertEqual(code, 0, out)
        self.assertIn("imported 0 statements", out)
        self.assertIn("already imported: line 2 is b.csv, line 2", out)
        # An id column: rows are their ids, whatever their content or place in the sheet.
        c = self.write("c.csv", "编号,姓名,组织\n17,张三,党\n18,张三,党\n")
        code, out = self.do_import(c)
        self.assertEqual(code, 0, out)
        self.assertIn("imported 2 statements", out)
        c2 = self.write("c.csv", "编号,姓名,组织\n19,钱六,团\n18,张三,党\n17,张三,党\n")
        code, out = self.do_import(c2)
        self.assertEqual(code, 0, out)
        self.assertIn("imported 1 statements", out)
        self.assertIn("already imported: line 3 is c.csv, id 18 (line 3)", out)
        self.assertIn("already imported: line 4 is c.csv, id 17 (line 2)", out)
        self.wait_total(before + 9)
        # An id twice in one sheet is an error of the sheet, said with both lines.
        c3 = self.write("c3.csv", "编号,姓名,组织\n1,孙七,党\n1,周八,团\n")
        code, out = self.do_import(c3)
        self.assertEqual(code, 65, out)
        self.assertIn('line 3: row_id: the id "1" is already the id of line 2', out)
        self.assertEqual(self.server.stats()["total_statements"], before + 9)


if __name__ == "__main__":
    unittest.main(verbosity=2)
