#!/usr/bin/env python3
"""A streaming replica for the public pages (issue 14, `read_database`), with real processes:
the throwaway cluster of scripts/pg-cluster.sh run as the primary and a hot standby made of
it with `scripts/pg-cluster.sh replica` (pg_basebackup -R, its own port).

(a) The replica holds statements its checkpoint does not cover yet (the test holds the log's
    integration row, so no checkpoint is published), then lags (its replay paused with
    pg_wal_replay_pause()) while statements are acknowledged and integrated on the primary:
    the pages and the API, read from the replica, never show a count above what the
    replica's latest checkpoint covers (a poller checks every answer against it for the
    whole test), a receipt the replica does not have yet is found on the primary (never
    "not found"), and its statement's page too; once replay resumes, the counts catch up.
(b) The primary stopped (pg_ctl stop -m immediate): the replica's server still shows its
    pages; what needs the primary (a submission, a receipt the replica lacks) and, on a
    server without a replica, every page that needs the database answer 503 with
    Retry-After, in the page's language; both servers work again once it is back.
(c) read_database refused at start: beside SQLite (exit 78), and a "replica" of another
    database (another schema version) with a message (exit 1).

Runs under scripts/pg-cluster.sh run (TUIDANG_TEST_POSTGRES, _BIN, _DIR); without them the
test fails.
"""
import os
import re
import shutil
import subprocess
import tempfile
import threading
import time
import unittest

import harness
from test_pg_faults import PG_BIN, PG_DIR, PG_URL, pg_running, pg_start, pg_stop_immediate, psql, \
    require_cluster

SCRIPT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "scripts",
                      "pg-cluster.sh")


def with_schema(url, schema, app):
    sep = "&" if "?" in url else "?"
    return f"{url}{sep}options=-csearch_path%3D{schema}&application_name={app}"


def total_persons(page):
    shown = page.doc.by_id("total-persons")
    if shown is None:
        raise AssertionError("no total on the home page:\n" + page.describe())
    return int(re.sub(r"\D", "", shown.text()))


def as_of(page):
    """The log size the page's figures count ("the first N entries of the public log")."""
    shown = page.doc.find(cls="as-of")
    if shown is None:
        raise AssertionError("no as-of line:\n" + page.describe())
    return int(re.sub(r"\D", "", shown.text()))


class Poller:
    """Asks the server for its figures over and over; every answer is checked against the
    replica's latest checkpoint read after it (checkpoints only grow)."""

    def __init__(self, test, server):
        self.test, self.server = test, server
        self.stop_flag = threading.Event()
        self.violations = []
        self.answers = 0

    def run(self):
        while not self.stop_flag.is_set():
            try:
                stats = self.server.get("/api/v1/stats")
                home = self.server.get("/en/")
                day = self.server.get(f"/statements?date={harness.today_cst()}")
                covered = self.test.replica_checkpoint()
            except Exception as e:  # noqa: BLE001 (the primary may be down: only 200s count)
                time.sleep(0.1)
                continue
            if stats.status == 200:
                j = stats.json()
                self.answers += 1
                if j["tree_size"] > covered or j["total_statements"] > covered:
                    self.violations.append(f"API: {j['total_statements']} statements of "
                                           f"{j['tree_size']} leaves, replica covers {covered}")
            for name, page in (("home", home), ("day", day)):
                if page.status == 200 and as_of(page) > covered:
                    self.violations.append(f"{name}: as of {as_of(page)}, covers {covered}")
            if home.status == 200 and total_persons(home) > covered:
                self.violations.append(f"home: {total_persons(home)} persons, covers {covered}")
            time.sleep(0.05)

    def __enter__(self):
        self.thread = threading.Thread(target=self.run, daemon=True)
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.stop_flag.set()
        self.thread.join(30)


class PgReplicaTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        require_cluster()
        cls.servers = []
        cls.work = tempfile.mkdtemp(prefix="pg-replica-")
        cls.addClassCleanup(cls.cleanup)  # also when setUpClass fails half-way
        if os.getuid() == 0:
            os.chmod(cls.work, 0o755)  # the replica's folder inside is the cluster owner's
        cls.replica_dir = os.path.join(cls.work, "replica")
        out = subprocess.run([SCRIPT, "replica", PG_DIR, cls.replica_dir], capture_output=True,
                             text=True, timeout=120)
        if out.returncode != 0:
            raise AssertionError(f"pg-cluster.sh replica: {out.stderr}{out.stdout}")
        cls.replica_url = out.stdout.strip().splitlines()[-1]
        cls.schema = "replica_" + os.urandom(4).hex()
        psql(f"CREATE SCHEMA {cls.schema}")
        cls.server = cls.make_server(
            "replica", {"database": with_schema(PG_URL, cls.schema, "replica-primary"),
                        "read_database": with_schema(cls.replica_url, cls.schema,
                                                     "replica-reads"),
                        "checkpoint_interval_ms": 200})
        cls.server.start()

    @classmethod
    def make_server(cls, name, settings):
        s = harness.Server(settings=settings, name=name)
        cls.servers.append(s)
        return s

    @classmethod
    def cleanup(cls):
        if not pg_running():
            pg_start()
        for s in cls.servers:
            s.cleanup()
        subprocess.run([SCRIPT, "stop", cls.replica_dir], capture_output=True, timeout=90)
        shutil.rmtree(cls.work, ignore_errors=True)

    # -- helpers --

    def replica_sql(self, sql):
        return psql(sql, url=self.replica_url)

    def replica_checkpoint(self):
        return int(self.replica_sql(
            f"SELECT COALESCE(MAX(size), -1) FROM {self.schema}.checkpoints"))

    def primary_checkpoint(self):
        return int(psql(f"SELECT COALESCE(MAX(size), -1) FROM {self.schema}.checkpoints"))

    def wait(self, what, predicate, timeout=15):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if predicate():
                return
            time.sleep(0.1)
        self.fail(f"not within {timeout}s: {what}")

    def wait_shown(self, count):
        """The replica replayed and covered `count` statements, and the server shows them."""
        def shown():
            j = self.server.stats()
            return j["total_statements"] == count and j["tree_size"] == count
        self.wait(f"{count} statements shown", shown)

    def hold_integration(self):
        """Holds the log's integration row (pg_log.cc's fence) in a session of its own, so
        that no checkpoint is published until release_integration(); returns the session."""
        env = dict(os.environ, PGAPPNAME="replica-test-holder")
        holder = subprocess.Popen([os.path.join(PG_BIN, "psql"), "-X", "-q", "-d", PG_URL],
                                  stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, text=True,
                                  env=env)
        holder.stdin.write(f"BEGIN; SELECT 1 FROM {self.schema}.meta"
                           " WHERE key = 'log_integration' FOR UPDATE;\n")
        holder.stdin.flush()
        self.wait("the integration row held", lambda: psql(
            "SELECT COUNT(*) FROM pg_stat_activity WHERE application_name ="
            " 'replica-test-holder' AND state = 'idle in transaction'") == "1")
        return holder

    @staticmethod
    def release_integration(holder):
        holder.stdin.write("COMMIT;\n")
        holder.stdin.close()
        holder.wait(30)

    def submit(self, name):
        j = self.server.submit_api(name)
        self.assertEqual(j["status"], "published", j)
        return j

    # -- the tests, in order (one cluster, one log) --

    def test_a_a_lagging_replica_never_shows_more_than_its_checkpoint(self):
        with Poller(self, self.server) as poller:
            before = [self.submit(f"复制前{i}") for i in range(3)]
            self.wait_shown(3)

            # The replica has statements its checkpoint does not cover yet (no checkpoint
            # is published while the test holds the integration row): not counted.
            holder = self.hold_integration()
            try:
                uncovered = [self.submit(f"未覆盖{i}") for i in range(2)]
                self.wait("the replica replayed 5 statements", lambda: self.replica_sql(
                    f"SELECT COUNT(*) FROM {self.schema}.statements") == "5")
                self.assertEqual(self.replica_checkpoint(), 3)
                time.sleep(1.5)  # several refreshes of the server
                stats = self.server.stats()
                self.assertEqual((stats["total_statements"], stats["tree_size"]), (3, 3), stats)
                home = self.server.get("/en/")
                self.assertEqual((total_persons(home), as_of(home)), (3, 3))
            finally:
                self.release_integration(holder)
            self.wait_shown(5)
            before += uncovered

            self.replica_sql("SELECT pg_wal_replay_pause()")
            self.wait("replay paused", lambda: self.replica_sql(
                "SELECT pg_get_wal_replay_pause_state()") == "paused")
            lagging = [self.submit(f"复制后{i}") for i in range(5)]
            self.assertEqual([j["number"] for j in before + lagging], list(range(1, 11)))
            # Integrated on the primary: the log the server serves (from the primary) has
            # them, the replica has neither the statements nor the checkpoint.
            self.wait("primary checkpoint of 10", lambda: self.primary_checkpoint() >= 10)
            self.wait("served checkpoint of 10", lambda: int(
                self.server.get("/log/checkpoint").text.split("\n")[1]) >= 10)
            self.assertEqual(self.replica_sql(
                f"SELECT COUNT(*) FROM {self.schema}.statements"), "5", "the lag is real")
            self.assertEqual(self.replica_checkpoint(), 5)
            time.sleep(1.5)  # several refreshes of the server while the replica lags

            stats = self.server.stats()
            self.assertEqual((stats["total_statements"], stats["tree_size"]), (5, 5), stats)
            home = self.server.get("/en/")
            self.assertEqual((total_persons(home), as_of(home)), (5, 5))
            day = self.server.get(f"/en/statements?date={harness.today_cst()}")
            self.assertEqual(day.status, 200, day.describe())
            self.assertEqual(as_of(day), 5)

            # A receipt the replica has not replayed: the primary's answer, not "not found".
            for j in lagging:
                code = harness.receipt_digits(j["receipt"])
                api = self.server.get(f"/api/v1/receipts/{code}")
                self.assertEqual(api.status, 200, api.describe())
                self.assertEqual((api.json()["status"], api.json()["number"]),
                                 ("published", j["number"]))
                page = harness.post_receipt(self.server, code, prefix="/en")
                self.assertEqual(page.status, 200, page.describe())
                self.assertIn(f"{j['number']:,}", page.text)
                self.assertNotIn("No statement has this receipt code", page.text)
            statement = self.server.get(f"/en/statements/{lagging[-1]['number']}")
            self.assertEqual(statement.status, 200, statement.describe())
            self.assertIn("复制后4", statement.text)

            self.replica_sql("SELECT pg_wal_replay_resume()")
            self.wait_shown(10)
            home = self.server.get("/en/")
            self.assertEqual((total_persons(home), as_of(home)), (10, 10))
        self.assertEqual(poller.violations, [])
        self.assertGreater(poller.answers, 10, "the poller hardly ran")

    def test_b_pages_while_the_primary_is_down(self):
        plain = self.make_server("noreplica", {
            "database": harness.postgres_schema_url("noreplica"), "checkpoint_interval_ms": 200})
        plain.start()
        plain.submit_api("无副本")
        self.wait_shown(10)
        known = self.submit("停机前")  # number 11, on the replica before the primary stops
        self.wait_shown(11)
        unknown = "1" * 24  # a well-formed code nobody holds
        pg_stop_immediate()
        try:
            today = harness.today_cst()
            # Read from the replica: the pages answer as before.
            for path in ("/en/", f"/en/statements?date={today}", "/en/statements/11",
                         "/api/v1/stats"):
                r = self.server.get(path)
                self.assertEqual(r.status, 200, f"{path}: {r.describe()}")
            r = self.server.get(f"/api/v1/receipts/{harness.receipt_digits(known['receipt'])}")
            self.assertEqual((r.status, r.json()["number"]), (200, 11), r.describe())
            # What needs the primary: 503 with Retry-After, never "not found" or a 201.
            r = self.server.get(f"/api/v1/receipts/{unknown}")
            self.assertEqual(r.status, 503, r.describe())
            self.assertTrue(r.header("Retry-After"), r.describe())
            r = self.server.post_json("/api/v1/statements",
                                      {"name": "停机中", "organisations": ["party"]})
            self.assertEqual(r.status, 503, r.describe())
            self.assertTrue(r.header("Retry-After"), r.describe())
            # Without a replica, the pages that need the database: 503, Retry-After, the
            # page's language.
            for prefix, lang, message in (("", "zh-Hans", "服务器暂时无法读取数据"),
                                          ("/zh-hant", "zh-Hant", "服務器暫時無法讀取數據"),
                                          ("/en", "en", "could not read its data")):
                for path in (f"/statements?date={today}", "/statements/1",
                             "/search?name=%E7%8E%8B"):
                    t = time.monotonic()
                    r = plain.get(prefix + path)
                    self.assertLess(time.monotonic() - t, 5, path)
                    self.assertEqual(r.status, 503, f"{prefix}{path}: {r.describe()}")
                    self.assertTrue(r.header("Retry-After"), f"{prefix}{path}: no Retry-After")
                    self.assertEqual(r.doc.find("html").get("lang"), lang)
                    self.assertIn(message, r.text)
            r = plain.get(f"/api/v1/statements?date={today}")
            self.assertEqual(r.status, 503, r.describe())
            self.assertTrue(r.header("Retry-After"), r.describe())
        finally:
            pg_start()
        # Both reconnect by themselves; the replica streams again.
        self.wait("a submission after the restart", lambda: self.server.post_json(
            "/api/v1/statements", {"name": "重启后", "organisations": ["party"]}).status == 201,
            timeout=20)
        self.wait_shown(12)
        self.wait("the day page without a replica", lambda: plain.get(
            f"/statements?date={harness.today_cst()}").status == 200)
        for s in (self.server, plain):
            self.assertTrue(s.alive())

    def test_c_read_database_refused_at_start(self):
        beside_sqlite = self.make_server("sqlite", {"read_database": self.replica_url})
        with self.assertRaises(RuntimeError) as e:
            beside_sqlite.start(timeout=15)
        self.assertIn("exited with 78", str(e.exception))
        self.assertIn("database is unset (SQLite)", str(e.exception))
        # A schema the replica has, but empty: not a replica of this database.
        other = "other_" + os.urandom(4).hex()
        psql(f"CREATE SCHEMA {other}")
        self.wait("the schema replayed", lambda: self.replica_sql(
            f"SELECT COUNT(*) FROM pg_namespace WHERE nspname = '{other}'") == "1")
        wrong = self.make_server("wrongreplica", {
            "database": harness.postgres_schema_url("wrongreplica"),
            "read_database": with_schema(self.replica_url, other, "wrong")})
        with self.assertRaises(RuntimeError) as e:
            wrong.start(timeout=20)  # after the 5 s the replica is given to catch up
        self.assertIn("read_database: the replica has tuidang schema 0", str(e.exception))
        self.assertIn("exited with 1", str(e.exception))


if __name__ == "__main__":
    unittest.main()
