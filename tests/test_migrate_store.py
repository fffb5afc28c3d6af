#!/usr/bin/env python3
"""`tuidang migrate-store --from DATA --to postgresql://...` (issue 14): a center on SQLite
moved to PostgreSQL with everything, as its operator and its auditors see it.

A SQLite center with published web statements, a withdrawal, a sealed contact, held and
rejected statements and an operator is audited (state saved), stopped and migrated with
--set-database; the same data folder then serves from PostgreSQL: the same totals, day
page, receipts, moderation queue, operators and sealed fields, and the audit state saved
before the move accepts the log served after it, also once more statements were added. A
second run has nothing to do; a target holding anything else is refused with nothing
written; a run killed with SIGKILL half-way is run again and finishes; bad arguments are
clear errors. The SQLite file is never changed.

Runs under scripts/pg-cluster.sh run (TUIDANG_TEST_POSTGRES); without it the test fails.
"""
import hashlib
import os
import re
import shutil
import signal
import sqlite3
import subprocess
import tempfile
import time
import unittest

import harness

PG_URL = os.environ.get("TUIDANG_TEST_POSTGRES", "")

# Every table migrate-store fills, with the SQLite rows it comes from (pg_from_sqlite.cc).
TABLES = {
    "statements": "SELECT count(*) FROM statements",
    "persons": "SELECT count(*) FROM persons",
    "sources": "SELECT count(*) FROM sources",
    "sealed": "SELECT count(*) FROM sealed",
    "holds": "SELECT count(*) FROM holds",
    "rejections": "SELECT count(*) FROM rejections",
    "leaves": "SELECT count(*) FROM leaves",
    "tiles": "SELECT count(*) FROM tiles",
    "checkpoints": "SELECT count(*) FROM checkpoint_sizes",
    "day_anchors": "SELECT count(*) FROM day_anchors",
    "daily": "SELECT count(*) FROM daily",
    "categories": "SELECT count(*) FROM categories",
    "moderation_daily": "SELECT count(*) FROM moderation_daily",
    "operators": "SELECT count(*) FROM operators",
    "audit_trail": "SELECT count(*) FROM audit_trail",
}


psql = harness.psql


def schema_url(name):
    """(URL, schema): a new, empty schema of the test cluster."""
    if not PG_URL:
        raise AssertionError("TUIDANG_TEST_POSTGRES is not set: run under scripts/pg-cluster.sh run")
    psql(f"DROP SCHEMA IF EXISTS {name} CASCADE; CREATE SCHEMA {name}")
    sep = "&" if "?" in PG_URL else "?"
    return f"{PG_URL}{sep}options=-csearch_path%3D{name}", name


def tables_in(schema):
    return psql(f"SELECT string_agg(tablename, ',' ORDER BY tablename) FROM pg_tables "
                f"WHERE schemaname = '{schema}'")


def run(*args, timeout=120):
    env = dict(os.environ, NO_PROXY="127.0.0.1,localhost", no_proxy="127.0.0.1,localhost")
    return subprocess.run([harness.binary(), *args], capture_output=True, text=True,
                          timeout=timeout, stdin=subprocess.DEVNULL, env=env)


def sqlite_counts(data):
    db = sqlite3.connect(f"file:{os.path.join(data, 'tuidang.db')}?mode=ro", uri=True)
    try:
        return {t: db.execute(q).fetchone()[0] for t, q in TABLES.items()}
    finally:
        db.close()


def pg_counts(schema):
    return {t: int(psql(f"SELECT count(*) FROM {schema}.{t}")) for t in TABLES}


def sha256(path):
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


def write_sheet(path, rows):
    """A sign-up sheet of `rows` statements over 30 days (bench/scale.sh's format)."""
    surnames = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗"
    given = ["伟", "芳", "娜", "秀英", "敏", "静", "丽", "强"]
    with open(path, "w", encoding="utf-8") as f:
        f.write("编号,姓名,组织,地区,内容,分组,日期\n")
        for i in range(rows):
            name = surnames[i % len(surnames)] + given[(i // 7) % len(given)]
            f.write(f"{i},{name}{i},党,北京,声明退出。,,2010-01-{1 + i % 28:02d}\n")


class MigrateStoreTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.work = tempfile.mkdtemp(prefix="migrate-store-test-")
        cls.secret = os.path.join(cls.work, "office.secret")
        r = run("keys", "office", "--out", cls.secret)
        assert r.returncode == 0, r.stderr
        with open(cls.secret + ".pub") as f:
            public = f.read().strip()
        cls.server = harness.Server({"office_public_key": public, "checkpoint_interval_ms": 100,
                                     "lookups_per_receipt_per_hour": 0},
                                    name="migstore")
        s = cls.server
        try:
            cls.build_center()
        except BaseException:
            s.cleanup()
            raise

    @classmethod
    def build_center(cls):
        s = cls.server
        added = run("user", "add", "clerk", "--role", "admin", "--data", s.data)
        assert added.returncode == 0, added.stderr
        s.start()
        cls.codes = []
        for i in range(4):
            r = s.post_form("/submit", {"name": f"迁移{i}", "org": "party", "region": "beijing",
                                        "text": f"网上声明 {i}; tab\there \\ back"})
            cls.codes.append(harness.reply_receipt(r))
        cls.sealed_contact = "signal: +86-139-0000-4242 migrate-marker"
        cls.sealed = s.submit_api("密封迁移", contact=cls.sealed_contact)
        assert cls.sealed["status"] == "published", cls.sealed
        # The published numbers, by receipt (the web form answers before publication).
        cls.numbers = {code: cls.wait_number(s, code) for code in cls.codes}
        withdrawn = run("withdraw", str(cls.numbers[cls.codes[3]]), "--reason", "danger",
                        "--data", s.data)
        assert withdrawn.returncode == 0, withdrawn.stderr
        s.stop()
        # Held (no proof of work), two of them rejected as a group, one left in the queue.
        cls.server.rewrite_settings({"pow_policy": "hold"})
        s.start()
        for i in range(2):
            assert s.submit_api(f"待拒{i}")["status"] == "held"
        s.stop()
        groups = run("held", "groups", "--data", s.data)
        group = [line.split("\t")[2] for line in groups.stdout.splitlines()]
        assert len(group) == 1, groups.stdout
        rejected = run("held", "reject", group[0], "--data", s.data)
        assert rejected.returncode == 0, rejected.stderr
        s.start()
        cls.held = s.submit_api("待审")
        assert cls.held["status"] == "held", cls.held
        cls.stats_before = s.stats()
        cls.wait_size(s, cls.stats_before["tree_size"])
        cls.state = os.path.join(cls.work, "audit.state")
        audit = cls.audit(s)
        assert audit.returncode == 0, audit.stdout + audit.stderr
        cls.audit_before = audit.stdout
        cls.day_page = s.get(f"/statements?date={harness.today_cst()}").text
        s.stop()
        # The statements sent after the move are published.
        cls.server.rewrite_settings({"pow_policy": "off"})

    @staticmethod
    def checkpoint_size(s):
        r = s.get("/log/checkpoint")
        return int(r.text.split("\n")[1]) if r.status == 200 else 0

    @classmethod
    def wait_size(cls, s, size, timeout=20):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if cls.checkpoint_size(s) >= size:
                return
            time.sleep(0.1)
        raise AssertionError(f"no checkpoint of size {size}")

    @staticmethod
    def wait_number(s, code, timeout=20):
        """The number of the statement of receipt `code`, once published."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            j = s.get(f"/api/v1/receipts/{code}").json()
            if j.get("status") == "published":
                return j["number"]
            time.sleep(0.1)
        raise AssertionError(f"{code} not published: {j}")

    @classmethod
    def audit(cls, s):
        vkey = run("log", "key", "--data", s.data).stdout.strip()
        return run("audit", s.base, "--vkey", vkey, "--state", cls.state)

    @classmethod
    def tearDownClass(cls):
        try:
            if cls.server.alive():
                cls.server.stop()
        finally:
            cls.server.cleanup()
            shutil.rmtree(cls.work, ignore_errors=True)

    # -- the move --

    def test_1_migrated_center_serves_from_postgresql_and_its_log_continues(self):
        s = self.server
        db = os.path.join(s.data, "tuidang.db")
        before_hash = sha256(db)
        before_counts = sqlite_counts(s.data)
        self.assertGreater(before_counts["audit_trail"], 0)
        self.assertEqual(before_counts["rejections"], 2)
        url, schema = schema_url("migstore_main")
        type(self).url, type(self).schema = url, schema

        out = run("migrate-store", "--from", s.data, "--to", url, "--set-database")
        self.assertEqual(out.returncode, 0, out.stdout + out.stderr)
        self.assertRegex(out.stdout, r"migrated 8 statements, a log of \d+ leaves; \d+ rows "
                                     r"copied in [0-9.]+ s")
        self.assertIn("database set to the PostgreSQL database", out.stdout)
        self.assertEqual(sha256(db), before_hash, "the SQLite file is only read")
        self.assertEqual(pg_counts(schema), before_counts)
        with open(os.path.join(s.data, "tuidang.toml"), encoding="utf-8") as f:
            self.assertIn(f'database = "{url}"', f.read())

        # The same data folder now serves from PostgreSQL (the configuration says so).
        s.start()
        self.assertEqual(psql(f"SELECT count(*) FROM {schema}.statements"), "8")
        stats = s.stats()
        self.assertEqual(stats, self.stats_before, "the totals, by day and by category")
        self.assertEqual(stats["total_statements"], 4)  # 5 published, 1 withdrawn
        page = s.get(f"/statements?date={harness.today_cst()}")
        self.assertEqual(page.status, 200, page.describe())
        self.assertEqual(harness.statement_items(page.doc),
                         harness.statement_items(harness.parse_html(self.day_page)))
        for i in range(3):
            self.assertIn(f"迁移{i}", page.text)
        self.assertNotIn("迁移3", page.text, "withdrawn stays withdrawn")
        shown = harness.post_receipt(s, self.codes[0])
        self.assertEqual(shown.status, 200, shown.describe())
        self.assertIn(str(self.numbers[self.codes[0]]), shown.text)
        j = s.get(f"/api/v1/receipts/{self.codes[1]}").json()
        self.assertEqual((j["status"], j["number"]), ("published", self.numbers[self.codes[1]]))
        self.assertEqual(s.get(f"/api/v1/receipts/{self.held['receipt']}").json()["status"],
                         "held")
        # The moderation queue, the operators and the sealed fields, from the same commands.
        groups = run("held", "groups", "--data", s.data)
        self.assertEqual(groups.returncode, 0, groups.stderr)
        self.assertEqual([line.split("\t")[0] for line in groups.stdout.splitlines()], ["1"])
        self.assertEqual(psql(f"SELECT count(*) FROM {schema}.rejections"), "2")
        users = run("user", "list", "--data", s.data)
        self.assertEqual(users.returncode, 0, users.stderr)
        self.assertIn("clerk", users.stdout)
        listed = run("private", "list", "--data", s.data)
        ids = [line.split("\t")[0] for line in listed.stdout.splitlines()]
        self.assertEqual(len(ids), 1, listed.stdout + listed.stderr)
        opened = run("private", "show", ids[0], "--key", self.secret, "--data", s.data)
        self.assertIn(self.sealed_contact, opened.stdout, opened.stderr)

        # The audit state saved on SQLite accepts PostgreSQL's log: the same tree.
        audit = self.audit(s)
        self.assertEqual(audit.returncode, 0, audit.stdout + audit.stderr)
        totals = re.search(r"\d+ statements, \d+ persons", self.audit_before).group(0)
        self.assertIn(totals, audit.stdout)

        # It goes on: new statements get the next numbers and the log grows consistently.
        size = self.checkpoint_size(s)
        new = [s.submit_api(f"迁移后{i}")["receipt"] for i in range(2)]
        top = max([*self.numbers.values(), self.sealed["number"]])
        self.assertEqual(sorted(self.wait_number(s, code) for code in new), [top + 1, top + 2])
        self.wait_size(s, size + 2)
        audit = self.audit(s)
        self.assertEqual(audit.returncode, 0, audit.stdout + audit.stderr)
        self.assertEqual(s.stats()["total_statements"], self.stats_before["total_statements"] + 2)
        self.assertEqual(s.stop(), 0)

    def test_2_a_second_run_has_nothing_to_do(self):
        before = pg_counts(self.schema)
        out = run("migrate-store", "--from", self.server.data, "--to", self.url)
        self.assertEqual(out.returncode, 0, out.stderr)
        self.assertIn("migrated there already", out.stdout)
        self.assertIn("nothing to do", out.stdout)
        self.assertEqual(pg_counts(self.schema), before)

    def test_3_a_target_holding_something_else_is_refused_with_nothing_written(self):
        # Another center's data folder into the finished migration of this one.
        other = os.path.join(self.work, "other")
        self.assertEqual(run("init", "--data", other).returncode, 0)
        self.assertEqual(run("user", "add", "x", "--role", "admin", "--data", other).returncode, 0)
        before = pg_counts(self.schema)
        out = run("migrate-store", "--from", other, "--to", self.url)
        self.assertEqual(out.returncode, 1, out.stdout + out.stderr)
        self.assertIn("another SQLite store", out.stderr)
        self.assertEqual(pg_counts(self.schema), before)
        # A center made on PostgreSQL (an operator added there).
        url, schema = schema_url("migstore_busy")
        self.assertEqual(run("user", "add", "y", "--role", "admin", "--data", other,
                             "--database", url).returncode, 0)
        before_tables = tables_in(schema)
        out = run("migrate-store", "--from", self.server.data, "--to", url)
        self.assertEqual(out.returncode, 1, out.stdout + out.stderr)
        self.assertIn("already holds a center (1 rows in operators)", out.stderr)
        self.assertIn("nothing was written", out.stderr)
        self.assertEqual(tables_in(schema), before_tables)
        self.assertEqual(psql(f"SELECT count(*) FROM {schema}.statements"), "0")
        # Tables that are not tuidang's.
        url, schema = schema_url("migstore_foreign")
        psql(f"CREATE TABLE {schema}.invoices(id int)")
        out = run("migrate-store", "--from", self.server.data, "--to", url)
        self.assertEqual(out.returncode, 1, out.stdout + out.stderr)
        self.assertIn("not tuidang's (the first: invoices)", out.stderr)
        self.assertEqual(tables_in(schema), "invoices")

    def test_4_a_run_killed_half_way_resumes(self):
        data = os.path.join(self.work, "large")
        self.assertEqual(run("init", "--data", data).returncode, 0)
        self.assertEqual(run("user", "add", "archivist", "--role", "admin", "--data",
                             data).returncode, 0)
        sheet = os.path.join(self.work, "sheet.csv")
        write_sheet(sheet, 3000)
        imported = run("import", sheet, "--channel", "sheet", "--operator", "archivist",
                       "--historic", "--data", data, timeout=300)
        self.assertEqual(imported.returncode, 0, imported.stderr)
        counts = sqlite_counts(data)
        self.assertEqual(counts["statements"], 3000)
        url, schema = schema_url("migstore_resume")
        proc = subprocess.Popen([harness.binary(), "migrate-store", "--from", data, "--to", url,
                                 "--chunk-rows", "100"], stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True)
        try:
            for line in proc.stdout:
                if line.startswith("statements: 500 of"):
                    break
            proc.send_signal(signal.SIGKILL)
        finally:
            proc.wait(timeout=30)
            proc.stdout.close()
            proc.stderr.close()
        self.assertEqual(proc.returncode, -signal.SIGKILL)
        partial = int(psql(f"SELECT count(*) FROM {schema}.statements"))
        self.assertTrue(500 <= partial < 3000, partial)
        self.assertEqual(psql(f"SELECT count(*) FROM {schema}.persons"), "0")
        self.assertEqual(psql(f"SELECT count(*) FROM {schema}.migrate_store_progress "
                              "WHERE key = 'finished'"), "0")
        # No server starts on the half-finished target (its log does not know its leaves).
        out = run("serve", "--data", data, "--database", url, "--listen", "127.0.0.1:0",
                  timeout=60)
        self.assertEqual(out.returncode, 1, out.stdout + out.stderr)
        self.assertIn("migrate-store` that has not finished", out.stdout + out.stderr)
        self.assertEqual(psql(f"SELECT count(*) FROM {schema}.migrate_store_progress "
                              "WHERE key = 'finished'"), "0")
        # Another store is refused while this one's migration is half-finished.
        out = run("migrate-store", "--from", self.server.data, "--to", url)
        self.assertEqual(out.returncode, 1, out.stdout + out.stderr)
        self.assertIn("half-finished migration of another SQLite store", out.stderr)
        out = run("migrate-store", "--from", data, "--to", url, "--chunk-rows", "1000")
        self.assertEqual(out.returncode, 0, out.stdout + out.stderr)
        self.assertIn("resumed and migrated 3000 statements", out.stdout)
        self.assertEqual(pg_counts(schema), counts)
        self.assertEqual(psql(f"SELECT next_number, next_leaf FROM {schema}.log_coord"),
                         f"3001|{counts['leaves']}")
        # The resumed copy is the same as the SQLite rows (every statement's receipt, text).
        db = sqlite3.connect(f"file:{os.path.join(data, 'tuidang.db')}?mode=ro", uri=True)
        want = hashlib.sha256("".join(f"{i}|{n}|{r.hex()}|{t}\n" for i, n, r, t in db.execute(
            "SELECT id, number, receipt, text FROM statements ORDER BY id")).encode()).hexdigest()
        # Each import key keeps the row it was made for (a later duplicate names it).
        origins = sorted(o for (o,) in db.execute("SELECT origin FROM sources"))
        db.close()
        self.assertEqual(len(origins), 3000)
        self.assertTrue("sheet.csv, id 0 (line 2)" in origins, origins[:3])
        copied = sorted(psql(f"SELECT origin FROM {schema}.sources").split("\n"))
        self.assertTrue(copied == origins, (copied[:3], origins[:3]))
        got = psql(f"SELECT encode(sha256(convert_to(string_agg(id || '|' || number || '|' || "
                   f"encode(receipt, 'hex') || '|' || text || E'\\n', '' ORDER BY id), 'UTF8')),"
                   f" 'hex') FROM {schema}.statements")
        self.assertEqual(got, want)

    def test_5_bad_input_is_a_clear_error_with_nothing_written(self):
        url, schema = schema_url("migstore_bad")
        cases = [
            (["--from", self.server.data, "--to", "postgresql://tuidang@127.0.0.1:1/tuidang"],
             75, "cannot connect to PostgreSQL"),
            (["--from", self.server.data, "--to", "host=db port"], 64,
             "not a PostgreSQL connection string"),
            (["--from", os.path.join(self.work, "nowhere"), "--to", url], 66,
             "not a tuidang data folder"),
        ]
        garbage = os.path.join(self.work, "garbage")
        os.makedirs(garbage)
        with open(os.path.join(garbage, "tuidang.db"), "wb") as f:
            f.write(b"this is not a database" * 100)
        cases.append((["--from", garbage, "--to", url], 66, "not a SQLite database"))
        for args, code, message in cases:
            out = run("migrate-store", *args)
            self.assertEqual(out.returncode, code, f"{args}: {out.stdout}{out.stderr}")
            self.assertIn(message, out.stderr, args)
            self.assertNotIn("Segmentation", out.stderr)
            self.assertEqual(tables_in(schema), "", args)


if __name__ == "__main__":
    unittest.main()
