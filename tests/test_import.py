#!/usr/bin/env python3
"""`tuidang import` as a volunteer uses it (issue 4): sign-up sheets in UTF-8, UTF-8 with a
BOM, GBK and Big5 made here with Python's codecs, good and bad rows, --dry-run, all or
nothing against --partial, a second import that adds nothing, a group row counting every
person; the statements carry their channel and count in the stats and the log, and the
operator who imported them is in the audit trail but on no public page."""
import os
import sqlite3
import subprocess
import tempfile
import time
import unittest

import harness

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


if __name__ == "__main__":
    unittest.main(verbosity=2)
