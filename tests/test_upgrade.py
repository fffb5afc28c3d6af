#!/usr/bin/env python3
"""A data folder made by the release before this one (tests/fixtures/release-0.1, schema 2)
is upgraded in place by the current binary: the same statements, numbers, receipts and
totals, the operators' audit trail converted from minutes to days, and the log still audits
from the state an auditor saved before the upgrade."""
import datetime
import json
import os
import shutil
import sqlite3
import subprocess
import tempfile
import unittest

import harness

FIXTURE = os.path.join(harness.HERE, "fixtures", "release-0.1")


def run(*args, timeout=60):
    env = dict(os.environ, NO_PROXY="127.0.0.1", no_proxy="127.0.0.1")
    return subprocess.run([harness.binary(), *args], capture_output=True, text=True,
                          timeout=timeout, stdin=subprocess.DEVNULL, env=env)


class UpgradeTest(unittest.TestCase):
    def setUp(self):
        self.work = tempfile.mkdtemp(prefix="upgrade-test-")
        self.data = os.path.join(self.work, "data")
        shutil.copytree(os.path.join(FIXTURE, "data"), self.data)
        os.chmod(self.data, 0o700)
        for name in os.listdir(self.data):
            os.chmod(os.path.join(self.data, name), 0o600)
        self.state = os.path.join(self.work, "audit.state")
        shutil.copy(os.path.join(FIXTURE, "audit.state"), self.state)
        with open(os.path.join(FIXTURE, "facts.json"), encoding="utf-8") as f:
            self.facts = json.load(f)
        self.server = harness.Server(None, data_dir=self.data, name="upgrade", protections=True)

    def tearDown(self):
        self.server.stop()
        self.server.cleanup()
        shutil.rmtree(self.work, ignore_errors=True)

    def audit(self):
        out = run("audit", self.server.base, "--vkey", self.facts["vkey"], "--state", self.state)
        self.assertEqual(out.returncode, 0, f"stdout: {out.stdout}\nstderr: {out.stderr}")
        return out.stdout

    def test_upgraded_in_place(self):
        self.server.start()
        stats = self.server.stats()
        self.assertEqual(stats["total_statements"], self.facts["total_statements"])
        self.assertEqual(stats["total_persons"], self.facts["total_persons"])
        statuses = [self.server.get(f"/api/v1/receipts/{c}").json()["status"]
                    for c in self.facts["receipts"]]
        self.assertEqual(statuses, ["published", "withdrawn", "published", "published"])
        self.assertEqual(self.server.get("/api/v1/statements/1").json()["name"],
                         "王先生")
        # The log is the same tree: the auditor's saved checkpoint is consistent with it.
        self.assertIn("tree size 6", self.audit())
        # It goes on growing from there, and still audits from the state of the last audit.
        self.assertEqual(run("withdraw", "3", "--reason", "danger", "--data", self.data).returncode, 0)
        deadline = harness.time.monotonic() + 20
        while harness.time.monotonic() < deadline:
            if int(self.server.get("/log/checkpoint").text.split("\n")[1]) == 7:
                break
            harness.time.sleep(0.1)
        self.assertIn("tree size 7", self.audit())
        # New web statements follow the new defaults: accepted for the next batch.
        self.assertEqual(self.server.submit_api("升级之后")["status"], "accepted")
        self.server.stop()
        db = sqlite3.connect(os.path.join(self.data, "tuidang.db"))
        try:
            self.assertEqual(db.execute("SELECT value FROM meta WHERE key = 'schema_version'")
                             .fetchone()[0], "6")
            days = {r[0] for r in db.execute("SELECT day FROM audit_trail")}
            made = (datetime.date(2026, 12, 1) - datetime.date(1970, 1, 1)).days
            self.assertEqual(days, {made}, "the fixture's minutes became its day (CST)")
            columns = [r[1] for r in db.execute("PRAGMA table_info(audit_trail)")]
            self.assertNotIn("minute", columns)
        finally:
            db.close()


if __name__ == "__main__":
    unittest.main()
