#!/usr/bin/env python3
"""`tuidang backup` and `tuidang restore` as an administrator uses them (issue 17,
docs/backup.md): a backup taken while statements arrive restores to a center that serves the
same statements, numbers, receipts and totals, signs with the same key, and whose log an
audit state saved before the backup accepts; a cut, changed, foreign or unfinished backup is
refused and writes nothing; and killing a backup half-way leaves no file that looks whole.

Also run as integration_backup_pg (TUIDANG_TEST_STORE=postgres): the center is on
PostgreSQL, the backup holds pg_dump's file, and `restore --database` puts it into a new,
empty database of the same cluster, which the restored center then serves.
"""
import os
import shutil
import signal
import subprocess
import tempfile
import re
import threading
import time
import unittest
import urllib.parse

import harness

SUMMARY = "audit ok: "
ON_POSTGRES = os.environ.get("TUIDANG_TEST_STORE") == "postgres"


def new_database_url(server):
    """PostgreSQL: a new, empty database in the test cluster, and the URL of it with the
    same search_path as `server`'s (the schema the backup creates there)."""
    base = os.environ["TUIDANG_TEST_POSTGRES"]
    name = "restored_" + os.urandom(4).hex()
    bindir = os.environ.get("TUIDANG_TEST_POSTGRES_BIN", "")
    out = subprocess.run([os.path.join(bindir, "psql") if bindir else "psql", "-X", "-q",
                          "-v", "ON_ERROR_STOP=1", "-d", base, "-c", f"CREATE DATABASE {name}"],
                         capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    parts = urllib.parse.urlsplit(server.settings["database"])
    return urllib.parse.urlunsplit(parts._replace(path="/" + name)), name


def run(*args, timeout=120):
    env = dict(os.environ, NO_PROXY="127.0.0.1,localhost", no_proxy="127.0.0.1,localhost")
    return subprocess.run([harness.binary(), *args], capture_output=True, text=True,
                          timeout=timeout, stdin=subprocess.DEVNULL, env=env)


def office_key(root, name="office.secret"):
    secret = os.path.join(root, name)
    r = run("keys", "office", "--out", secret)
    assert r.returncode == 0, r.stderr
    with open(secret + ".pub", encoding="utf-8") as f:
        return secret, f.read().strip()


class BackupTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.work = tempfile.mkdtemp(prefix="backup-test-")
        cls.secret, cls.public = office_key(cls.work)
        cls.server = harness.Server({"office_public_key": cls.public,
                                     "checkpoint_interval_ms": 100,
                                     "publication_interval_seconds": 0}, name="backup")
        cls.server.start()

    @classmethod
    def tearDownClass(cls):
        cls.server.stop()
        cls.server.cleanup()
        shutil.rmtree(cls.work, ignore_errors=True)

    def path(self, name):
        return os.path.join(self.work, name)

    def wait_checkpoint(self, server, size, timeout=20):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            r = server.get("/log/checkpoint")
            if r.status == 200 and int(r.text.split("\n")[1]) >= size:
                return
            time.sleep(0.05)
        self.fail(f"no checkpoint of size {size}")

    def audit(self, server, *extra):
        vkey = run("log", "key", "--data", server.data).stdout.strip()
        return run("audit", f"http://{server.host}:{server.port}", "--vkey", vkey, *extra)

    def backup(self, out, data=None):
        return run("backup", "--data", data or self.server.data, "--out", out)

    def test_backup_under_load_restores_the_same_center(self):
        s = self.server
        before = [s.submit_api(f"备份前{i}") for i in range(30)]
        stats = s.stats()
        self.wait_checkpoint(s, stats["log_size"] if "log_size" in stats else len(before))
        state = self.path("audit-before.state")
        r = self.audit(s, "--state", state)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)

        # Statements keep arriving while the backup is taken.
        acked, stop = [], threading.Event()

        def load():
            client = s.client()
            i = 0
            while not stop.is_set():
                resp = client.post_json("/api/v1/statements",
                                        {"name": f"备份中{i}", "organisations": ["league"]})
                if resp.status == 201:
                    acked.append((time.monotonic(), resp.json()))
                i += 1
            client.close()

        loader = threading.Thread(target=load)
        loader.start()
        time.sleep(0.3)
        started = time.monotonic()
        out = self.path("center.backup")
        r = self.backup(out)
        finished = time.monotonic()
        time.sleep(0.3)
        stop.set()
        loader.join(30)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertTrue(os.path.isfile(out))
        self.assertFalse(os.path.exists(out + ".partial"))
        self.assertEqual([f for f in os.listdir(s.data) if f.startswith(".backup")], [])
        self.assertGreater(len([a for a in acked if a[0] < started]), 0)
        self.assertGreater(len([a for a in acked if a[0] > finished]), 0)
        # Nothing in the file is readable without the office key.
        with open(out, "rb") as f:
            raw = f.read()
        self.assertTrue(raw.startswith(b"tuidang-sealed-stream-v1\n"))
        for needle in ("备份前0".encode(), b"SQLite format", b"PGDMP", b"PRIVATE+KEY"):
            self.assertNotIn(needle, raw)

        target = self.path("restored")
        extra, serve_args = [], []
        if ON_POSTGRES:
            url, _ = new_database_url(s)
            extra = ["--database", url]
            serve_args = ["--database", url]  # what the restored tuidang.toml says (below)
        r = run("restore", out, "--key", self.secret, "--data", target, *extra)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(os.stat(target).st_mode & 0o777, 0o700)
        if ON_POSTGRES:
            # The configuration names the new database; the plaintext dump is gone.
            with open(os.path.join(target, "tuidang.toml"), encoding="utf-8") as f:
                self.assertIn(f'database = "{url}"', f.read())
            self.assertEqual(sorted(os.listdir(target)), ["log.key", "tuidang.toml"])
            # A second restore into the same database is refused and changes nothing.
            again = self.path("restored-again")
            r = run("restore", out, "--key", self.secret, "--data", again, *extra)
            self.assertEqual(r.returncode, 65, r.stdout + r.stderr)
            self.assertIn("already", r.stderr)
            self.assertFalse(os.path.exists(again))
        restored = harness.Server(None, data_dir=target, protections=True, name="restored",
                                  serve_args=serve_args)
        restored.start()
        try:
            # The same log key, hence the same verifier key line.
            self.assertEqual(run("log", "key", "--data", target).stdout,
                             run("log", "key", "--data", s.data).stdout)
            # Everything acknowledged before the backup began is there, with its number.
            for j in before + [a[1] for a in acked if a[0] < started]:
                rr = restored.get(f"/api/v1/receipts/{harness.receipt_digits(j['receipt'])}")
                self.assertEqual(rr.status, 200, rr.describe())
                self.assertEqual(rr.json().get("number"), j.get("number"))
            # The totals are the restored statements' own, and the log audits, consistent
            # with the state saved before the backup.
            rstats = restored.stats()
            self.assertGreaterEqual(rstats["total_statements"],
                                    len(before) + len([a for a in acked if a[0] < started]))
            self.assertLessEqual(rstats["total_statements"], len(before) + len(acked))
            self.wait_checkpoint(restored, rstats["total_statements"])
            r = self.audit(restored, "--state", state)
            self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
            self.assertTrue(r.stdout.startswith(SUMMARY), r.stdout)
        finally:
            restored.stop()

    def test_damaged_backups_are_refused_and_write_nothing(self):
        out = self.path("small.backup")
        self.server.submit_api("损坏测试")
        r = self.backup(out)
        self.assertEqual(r.returncode, 0, r.stderr)
        with open(out, "rb") as f:
            good = f.read()
        other_secret, _ = office_key(self.work, "other.secret")
        mid = len(good) // 2
        cases = {
            "cut in half": (good[:mid], self.secret),
            "one byte short": (good[:-1], self.secret),
            "header only": (good[:150], self.secret),
            "a byte changed": (good[:mid] + bytes([good[mid] ^ 1]) + good[mid + 1:], self.secret),
            "bytes appended": (good + b"\0\0\0\x11" + b"x" * 17, self.secret),
            "another office key": (good, other_secret),
            "not a backup": (b"SQLite format 3\0" + b"\0" * 4000, self.secret),
        }
        for what, (data, key) in cases.items():
            with self.subTest(what):
                bad = self.path("bad.backup")
                with open(bad, "wb") as f:
                    f.write(data)
                target = self.path("refused")
                r = run("restore", bad, "--key", key, "--data", target)
                self.assertEqual(r.returncode, 65, r.stdout + r.stderr)
                self.assertIn("is refused", r.stderr)
                self.assertIn("nothing was written", r.stderr)
                self.assertFalse(os.path.exists(target))
                self.assertEqual([f for f in os.listdir(self.work) if ".restoring-" in f], [])
        # A target that holds something is never written into.
        target = self.path("occupied")
        os.makedirs(target)
        with open(os.path.join(target, "mine.txt"), "w") as f:
            f.write("x")
        r = run("restore", out, "--key", self.secret, "--data", target)
        self.assertNotEqual(r.returncode, 0)
        self.assertEqual(os.listdir(target), ["mine.txt"])
        # And the good one still restores; a second backup never overwrites the first.
        r = run("restore", out, "--key", self.secret, "--data", self.path("fine"))
        self.assertEqual(r.returncode, 0, r.stderr)
        r = self.backup(out)
        self.assertNotEqual(r.returncode, 0)
        with open(out, "rb") as f:
            self.assertEqual(f.read(), good)

    def test_a_backup_killed_half_way_leaves_no_whole_looking_file(self):
        # A data folder big enough that encrypting it takes a while: a sheet of 40,000 rows.
        data = self.path("big")
        self.assertEqual(run("init", "--data", data).returncode, 0)
        config = os.path.join(data, "tuidang.toml")
        with open(config, encoding="utf-8") as f:
            text = f.read()
        self.assertIn('office_public_key = ""', text)
        with open(config, "w", encoding="utf-8") as f:
            f.write(text.replace('office_public_key = ""', f'office_public_key = "{self.public}"'))
        r = run("user", "add", "volunteer-kill", "--role", "volunteer", "--data", data)
        self.assertEqual(r.returncode, 0, r.stderr)
        sheet = self.path("sheet.csv")
        with open(sheet, "w", encoding="utf-8") as f:
            f.write("姓名,组织,内容\n")
            for i in range(40000):
                f.write(f"备份{i}号,党,我自愿退出中国共产党及其一切组织，第{i}份声明。\n")
        r = run("import", sheet, "--channel", "sheet", "--operator", "volunteer-kill",
                "--data", data, timeout=300)
        self.assertEqual(r.returncode, 0, r.stderr)
        killed_half_way = 0
        for attempt in range(6):
            out = self.path(f"killed-{attempt}.backup")
            proc = subprocess.Popen([harness.binary(), "backup", "--data", data, "--out", out],
                                    stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            deadline = time.monotonic() + 60
            while not os.path.exists(out + ".partial") and proc.poll() is None \
                    and time.monotonic() < deadline:
                time.sleep(0.0005)
            proc.send_signal(signal.SIGKILL)
            proc.wait(30)
            if os.path.exists(out):
                # It had finished: then it is whole, and restores.
                r = run("restore", out, "--key", self.secret, "--data", self.path(f"r{attempt}"))
                self.assertEqual(r.returncode, 0, r.stderr)
                continue
            killed_half_way += 1
            self.assertTrue(os.path.exists(out + ".partial"))
            r = run("restore", out + ".partial", "--key", self.secret,
                    "--data", self.path(f"r{attempt}"))
            self.assertEqual(r.returncode, 65, r.stderr)
            self.assertFalse(os.path.exists(self.path(f"r{attempt}")))
        self.assertGreater(killed_half_way, 0, "every backup finished before it was killed")
        # The next backup removes the plaintext snapshot a killed one left in the folder.
        out = self.path("after-kills.backup")
        r = self.backup(out, data=data)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual([f for f in os.listdir(data) if f.startswith(".backup")], [])


if __name__ == "__main__":
    unittest.main()
