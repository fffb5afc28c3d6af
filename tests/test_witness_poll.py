#!/usr/bin/env python3
"""A witness that polls a log which does not call it (issue 16; docs/witness.md, "Polling").

Real processes: a `tuidang serve` with no [[witness]] at all, and a `tuidang witness serve`
whose [[log]] has `poll = "<the log's URL>/log"`. The witness's cosignatures, read from its
monitoring endpoint, are checked here with Python's `cryptography` (tests/test_witness.py's
helpers). Covered: the witness follows the log as it grows (across a full tile, so the
proof needs tiles it fetched), without the log knowing; killed and restarted, it resumes
from its stored head; pointed at a fork of the log (a copy of the data folder, same key,
another history) it refuses it, logs the conflict and keeps serving the honest head; a bad
`poll` setting stops it with 78, and a mirror refuses `poll`.
"""
import os
import re
import shutil
import sqlite3
import subprocess
import time
import unittest

import harness
from test_mirror import Mirror
from test_witness import Witness, split_note, verify_cosignature, verify_note_signature

ORIGIN = "witpoll.test/log"
NAME = "poller.test/w"


def run(*args):
    return subprocess.run([harness.binary(), *args], capture_output=True, text=True, timeout=60)


def write_config(witness, vkey, url, extra=""):
    with open(os.path.join(witness.data, "witness.toml"), "w", encoding="utf-8") as f:
        f.write(f'name = "{NAME}"\n[[log]]\norigin = "{ORIGIN}"\nkey = "{vkey}"\n'
                f'poll = "{url}"\npoll_interval_seconds = 1\n{extra}')


class PollingWitnessTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.servers = []
        cls.log = harness.Server({"checkpoint_interval_ms": 100, "log_origin": ORIGIN},
                                 name="pollog")
        cls.servers.append(cls.log)
        key = run("log", "key", "--data", cls.log.data)
        assert key.returncode == 0, key.stderr
        cls.vkey = key.stdout.strip()
        cls.log.start()
        cls.witness = Witness([], name="poller", key_name=NAME)
        cls.servers.append(cls.witness)
        write_config(cls.witness, cls.vkey, cls.log.base + "/log")
        cls.witness.start()

    @classmethod
    def tearDownClass(cls):
        for s in cls.servers:
            try:
                s.stop(expect_code=None)
            finally:
                s.cleanup()

    def log_size(self, server=None):
        r = (server or self.log).get("/log/checkpoint")
        self.assertEqual(r.status, 200, r.describe())
        return int(r.text.split("\n")[1])

    def witnessed(self):
        """The witness's cosigned checkpoint of the log, every signature checked; its size."""
        r = self.witness.monitored(ORIGIN)
        if r.status == 404:
            return 0, None
        self.assertEqual(r.status, 200, r.describe())
        text, sigs = split_note(r.text)
        verify_note_signature(self.vkey, text, *sigs[0])
        ours = [line for line in r.text.rpartition("\n\n")[2].splitlines(keepends=True)
                if line.startswith(f"\u2014 {NAME} ")]
        self.assertEqual(len(ours), 1, r.text)
        verify_cosignature(self.witness.vkey, text, ours[0])
        return int(text.split("\n")[1]), r.text

    def wait_witnessed(self, size, timeout=20):
        deadline = time.monotonic() + timeout
        got = 0
        while time.monotonic() < deadline:
            got, note = self.witnessed()
            if got >= size:
                return got, note
            time.sleep(0.1)
        raise AssertionError(f"the witness did not reach {size} (at {got}):\n"
                             f"{self.witness.stderr()[-3000:]}")

    def submit(self, n, tag, server=None):
        for i in range(n):
            (server or self.log).submit_api(f"{tag}{i}")

    def wait_size(self, size, server=None):
        deadline = time.monotonic() + 20
        while self.log_size(server) < size and time.monotonic() < deadline:
            time.sleep(0.05)
        self.assertGreaterEqual(self.log_size(server), size)

    def test_1_follows_the_log_that_does_not_call_it(self):
        self.submit(5, "輪詢")
        self.wait_size(5)
        got, note = self.wait_witnessed(self.log_size())
        self.assertGreaterEqual(got, 5)
        self.assertRegex(self.witness.stderr(),
                         rf"polled {re.escape(ORIGIN)} and cosigned its checkpoint of size \d+")
        # The log was never asked: it has no witness, and serves its own signature only.
        served = self.log.get("/log/checkpoint").text
        self.assertEqual(len(split_note(served)[1]), 1, served)
        # Across a full tile: the proof from the stored head needs the tiles it fetches.
        self.submit(260, "輪詢多")
        self.wait_size(got + 260)
        size = self.log_size()
        grown, _ = self.wait_witnessed(size)
        self.assertEqual(grown, size)

    def test_2_killed_and_restarted_it_resumes_from_its_head(self):
        before, note = self.wait_witnessed(self.log_size())
        self.witness.kill()
        self.submit(7, "輪詢停")
        self.wait_size(before + 7)
        # What it cosigned survived SIGKILL (stored before the cosignature was served).
        db = sqlite3.connect(f"file:{os.path.join(self.witness.data, 'witness.db')}?mode=ro",
                             uri=True)
        try:
            stored = db.execute("SELECT size, checkpoint FROM witnessed_log WHERE origin = ?",
                                (ORIGIN,)).fetchone()
        finally:
            db.close()
        self.assertEqual(stored[0], before)
        self.assertEqual(stored[1], note)
        self.witness.start()
        # Restarted, it polls again and goes on from that head.
        after, _ = self.wait_witnessed(before + 7)
        self.assertEqual(after, before + 7)

    def test_3_a_fork_is_refused_and_the_honest_head_kept(self):
        honest, note = self.wait_witnessed(self.log_size())
        self.log.stop()
        fork_data = os.path.join(self.log.root, "fork-data")
        shutil.copytree(self.log.data, fork_data)
        self.log.start()
        self.submit(3, "誠實輪詢")
        self.wait_size(honest + 3)
        _, honest_note = self.wait_witnessed(honest + 3)
        fork = harness.Server(None, name="pollfork", data_dir=fork_data, protections=True)
        self.servers.append(fork)
        fork.start()
        self.submit(6, "分叉輪詢", fork)
        self.wait_size(honest + 6, fork)
        # The witness now polls the fork (same origin, same key, another history).
        self.witness.stop()
        write_config(self.witness, self.vkey, fork.base + "/log")
        self.witness.start()
        deadline = time.monotonic() + 20
        pattern = (rf"WITNESS CONFLICT: polled log {re.escape(ORIGIN)} \(checkpoint size "
                   rf"{honest + 6}\): refused \(as status 422 would be\)")
        while time.monotonic() < deadline and not re.search(pattern, self.witness.stderr()):
            time.sleep(0.1)
        self.assertRegex(self.witness.stderr(), pattern)
        size, kept = self.witnessed()
        self.assertEqual(size, honest + 3)
        self.assertEqual(kept.split("\n\n")[0], honest_note.split("\n\n")[0])
        # Logged once, and checked once, not at every poll.
        time.sleep(2.5)
        self.assertEqual(len(re.findall(pattern, self.witness.stderr())), 1)
        self.assertEqual(len(re.findall(r"witness: refused", self.witness.stderr())), 1)
        fork.stop()
        self.witness.stop()
        write_config(self.witness, self.vkey, self.log.base + "/log")
        self.witness.start()

    def test_4_bad_poll_settings_are_named(self):
        data = os.path.join(self.log.root, "badpoll")
        os.makedirs(data, mode=0o700)
        assert run("witness", "keygen", "--data", data, "--name", NAME).returncode == 0
        cases = [
            ('poll = "ftp://example.org/log"\n', "'poll' must be the log's tlog-tiles URL"),
            ('poll = "https://example.org/log"\npoll_interval_seconds = 0\n',
             "'poll_interval_seconds' must be a whole number from 1 to 86400"),
            ('poll_interval_seconds = 5\n', "'poll_interval_seconds' without 'poll'"),
            ('poll = "https://example.org/log?x=1"\n', "poll URL"),
        ]
        for lines, message in cases:
            with open(os.path.join(data, "witness.toml"), "w", encoding="utf-8") as f:
                f.write(f'name = "{NAME}"\n[[log]]\norigin = "{ORIGIN}"\nkey = "{self.vkey}"\n'
                        + lines)
            out = run("witness", "serve", "--data", data, "--listen",
                      f"127.0.0.1:{harness.free_port()}")
            self.assertEqual(out.returncode, 78, (lines, out.stderr))
            self.assertIn(message, out.stderr, lines)
        mirror = Mirror([(ORIGIN, self.vkey)], name="pollmirror")
        self.servers.append(mirror)
        with open(os.path.join(mirror.data, "mirror.toml"), "a", encoding="utf-8") as f:
            f.write(f'poll = "{self.log.base}/log"\n')
        out = run("mirror", "serve", "--data", mirror.data, "--listen",
                  f"127.0.0.1:{harness.free_port()}")
        self.assertEqual(out.returncode, 78, out.stderr)
        self.assertIn("'poll' is for a witness", out.stderr)


if __name__ == "__main__":
    unittest.main()
