#!/usr/bin/env python3
"""`tuidang serve --database postgresql://...` (issue 14): the whole walk of a web statement
on the PostgreSQL store, as a declarant and an auditor see it.

A statement sent with the no-script form is acknowledged with its receipt, published by
the next mixed batch, shown on the day page and by its receipt, counted in a signed
checkpoint that `tuidang audit` verifies; after a restart everything is still there and
the log is consistent with the checkpoint audited before. Nothing of it is in the data
folder: the rows are in PostgreSQL. A database that cannot be reached is a clear error.

Runs under scripts/pg-cluster.sh run (TUIDANG_TEST_POSTGRES); without it the test fails.
"""
import os
import re
import shutil
import subprocess
import tempfile
import time
import unittest

import harness

PG_URL = os.environ.get("TUIDANG_TEST_POSTGRES", "")


psql = harness.psql


def fresh_schema_url(name):
    """A URL whose tables live in a new schema `name`, so reruns on one cluster start empty."""
    psql(f"DROP SCHEMA IF EXISTS {name} CASCADE; CREATE SCHEMA {name}")
    sep = "&" if "?" in PG_URL else "?"
    return f"{PG_URL}{sep}options=-csearch_path%3D{name}"


def run_tuidang(*args, timeout=60):
    env = dict(os.environ, NO_PROXY="127.0.0.1,localhost", no_proxy="127.0.0.1,localhost")
    return subprocess.run([harness.binary(), *args], capture_output=True, text=True,
                          timeout=timeout, stdin=subprocess.DEVNULL, env=env)


class PostgresServeTest(harness.ServerTestCase, unittest.TestCase):
    SETTINGS = {"publication_interval_seconds": 1, "publication_min_batch": 1,
                "publication_max_wait_seconds": 5, "checkpoint_interval_ms": 100}

    @classmethod
    def serve_args(cls):
        if not PG_URL:
            raise AssertionError("TUIDANG_TEST_POSTGRES is not set: run under "
                                 "scripts/pg-cluster.sh run")
        cls.url = fresh_schema_url("serve_test")
        return ["--database", cls.url]

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.work = tempfile.mkdtemp(prefix="postgres-test-")

    @classmethod
    def tearDownClass(cls):
        try:
            super().tearDownClass()
        finally:
            shutil.rmtree(cls.work, ignore_errors=True)

    # -- helpers --

    def submit_web(self, name):
        r = self.server.post_form("/submit", {"name": name, "org": "party", "region": "beijing",
                                              "text": "我自愿退出 '; DROP TABLE statements; --"})
        return harness.reply_receipt(r)

    def receipt(self, code):
        r = self.server.get(f"/api/v1/receipts/{harness.receipt_digits(code)}")
        self.assertEqual(r.status, 200, r.describe())
        return r.json()

    def wait_published(self, code, timeout=20):
        deadline = time.monotonic() + timeout
        j = None
        while time.monotonic() < deadline:
            j = self.receipt(code)
            if j["status"] == "published":
                return j
            time.sleep(0.1)
        self.fail(f"not published within {timeout}s: {j}")

    def checkpoint_size(self):
        r = self.server.get("/log/checkpoint")
        self.assertEqual(r.status, 200, r.describe())
        return int(r.text.split("\n")[1])

    def wait_size(self, size, timeout=20):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.checkpoint_size() >= size:
                return
            time.sleep(0.1)
        self.fail(f"no checkpoint of size {size} within {timeout}s")

    def audit_ok(self, state):
        vkey = run_tuidang("log", "key", "--data", self.server.data)
        self.assertEqual(vkey.returncode, 0, vkey.stderr)
        out = run_tuidang("audit", self.server.base, "--vkey", vkey.stdout.strip(),
                          "--state", state)
        self.assertEqual(out.returncode, 0, f"stdout: {out.stdout}\nstderr: {out.stderr}")
        self.assertTrue(out.stdout.startswith("audit ok: "), out.stdout)
        return out.stdout

    # -- the test --

    def test_a_web_statement_on_postgresql_survives_a_restart(self):
        codes = [self.submit_web(f"王{i}") for i in range(3)]
        published = [self.wait_published(c) for c in codes]
        numbers = sorted(j["number"] for j in published)
        self.assertEqual(numbers, [1, 2, 3], "consecutive numbers from the coordination row")

        # The day page and the receipt page show them; the text went in as plain text.
        today = harness.today_cst()
        page = self.server.get(f"/statements?date={today}")
        self.assertEqual(page.status, 200, page.describe())
        for i in range(3):
            self.assertIn(f"王{i}", page.text)
        self.assertIn("DROP TABLE statements", page.text)
        shown = harness.post_receipt(self.server, harness.receipt_digits(codes[0]))
        self.assertEqual(shown.status, 200, shown.describe())
        self.assertIn(str(published[0]["number"]), shown.text)

        # The log: a signed checkpoint over the three leaves, and a passing audit.
        self.wait_size(3)
        checkpoint = self.server.get("/log/checkpoint").text
        self.assertIn("\n\n\u2014 ", checkpoint, "a signed note")
        state = os.path.join(self.work, "state")
        summary = self.audit_ok(state)
        self.assertIn(", 3 statements, 3 persons (party 3,", summary)

        # The rows are in PostgreSQL, not in the data folder.
        self.assertFalse(os.path.exists(os.path.join(self.server.data, "tuidang.db")))
        self.assertEqual(psql("SELECT COUNT(*) FROM serve_test.statements WHERE status = 1"), "3")
        self.assertEqual(psql("SELECT next_number FROM serve_test.log_coord"), "4")

        # Restart: everything is still there, and numbering goes on.
        self.server.stop()
        self.server.start()
        for code, j in zip(codes, published):
            self.assertEqual(self.receipt(code)["number"], j["number"])
        self.assertEqual(self.server.stats()["total_statements"], 3)
        fourth = self.wait_published(self.submit_web("李四"))
        self.assertEqual(fourth["number"], 4)
        self.wait_size(4)
        summary = self.audit_ok(state)  # consistent with the checkpoint audited before
        self.assertIn(", 4 statements, 4 persons", summary)

    def test_migrate_reports_the_schema(self):
        out = run_tuidang("migrate", "--data", self.server.data, "--database", self.url)
        self.assertEqual(out.returncode, 0, out.stderr)
        self.assertRegex(out.stdout, r"^PostgreSQL database \S+ on \S+: schema version \d+, "
                                     r"nothing to do\n$")
        url = fresh_schema_url("migrate_test")
        out = run_tuidang("migrate", "--data", self.server.data, "--database", url)
        self.assertEqual(out.returncode, 0, out.stderr)
        self.assertRegex(out.stdout, r": schema version 0 -> \d+\n$")
        psql("UPDATE migrate_test.meta SET value = '999' WHERE key = 'schema_version'")
        out = run_tuidang("migrate", "--data", self.server.data, "--database", url)
        self.assertEqual(out.returncode, 1)
        self.assertIn("schema 999, made by a newer tuidang", out.stderr)

    def test_an_unreachable_database_is_a_clear_error(self):
        data = os.path.join(self.work, "unreachable")
        port = harness.free_port()
        out = run_tuidang("serve", "--data", data, "--listen", f"127.0.0.1:{port}",
                          "--database", "postgresql://tuidang@127.0.0.1:1/tuidang", timeout=60)
        self.assertEqual(out.returncode, 1, out.stderr)
        self.assertIn("cannot connect to PostgreSQL", out.stderr)
        self.assertNotIn("Segmentation", out.stderr)
        out = run_tuidang("user", "list", "--data", data, "--database", "host=db port")
        self.assertEqual(out.returncode, 78, out.stderr)
        self.assertIn("not a PostgreSQL connection string", out.stderr)


if __name__ == "__main__":
    unittest.main()
