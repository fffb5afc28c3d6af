#!/usr/bin/env python3
"""The log asks its witnesses (issue 16, the log side; docs/witness.md).

Real processes: a `tuidang serve` with two `tuidang witness serve` in its tuidang.toml
([[witness]] tables, publish = "quorum"), under submissions. Every cosignature is checked
here with Python's `cryptography` (tests/test_witness.py's helpers), not by the C++.
Covered: every checkpoint served carries both cosignatures; a witness killed and restarted
resumes from its stored state and, after being down a while, catches up with one request;
the split view (a copy of the data folder, same key, another history) is refused by both
witnesses and `tuidang audit --quorum 2` fails on it while the honest log passes; a rollback
(an old copy publishing a smaller tree) is refused; the /log page shows who cosigned, by
day only; verify-proof and audit refuse a checkpoint without the quorum, naming who signed.
"""
import base64
import html
import os
import re
import shutil
import subprocess
import threading
import time
import unittest

import harness
from test_mirror import MIRROR_NAME, Mirror, origin_hash
from test_witness import (EM_DASH, Witness, consistency_proof, split_note, verify_cosignature,
                          verify_note_signature)

ORIGIN = "witlog.test/log"


def run(*args):
    return subprocess.run([harness.binary(), *args], capture_output=True, text=True, timeout=120)


def witness_tables(witnesses, publish, wait=60):
    text = ""
    for name, w in witnesses:
        text += f'\n[[witness]]\nname = "{name}"\nkey = "{w.vkey}"\nurl = "{w.base}"\n'
    text += (f'\n[witnessing]\npublish = "{publish}"\nquorum_wait_seconds = {wait}\n'
             'timeout_seconds = 2\nretry_max_seconds = 1\n')
    return text


def set_publish(data, publish):
    path = os.path.join(data, "tuidang.toml")
    with open(path, encoding="utf-8") as f:
        text = f.read()
    with open(path, "w", encoding="utf-8") as f:
        f.write(re.sub(r'(?m)^publish = ".*"$', f'publish = "{publish}"', text))


class WitnessedLogTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.servers = []
        cls.log = harness.Server({"checkpoint_interval_ms": 100, "log_origin": ORIGIN},
                                 name="witlog")
        cls.servers.append(cls.log)
        key = run("log", "key", "--data", cls.log.data)
        assert key.returncode == 0, key.stderr
        cls.vkey = key.stdout.strip()
        cls.w1 = cls.started(Witness([(ORIGIN, cls.vkey)], name="w1", key_name="w1.test/w"))
        cls.w2 = cls.started(Witness([(ORIGIN, cls.vkey)], name="w2", key_name="w2.test/w"))
        # And a mirror, as issue 16 has it: two witnesses and one mirror under submissions.
        cls.mirror = cls.started(Mirror([(ORIGIN, cls.vkey)], name="witlog-mirror"))
        with open(os.path.join(cls.log.data, "tuidang.toml"), "a", encoding="utf-8") as f:
            f.write(f'\n[[mirror]]\nname = "m1"\nkey = "{cls.mirror.vkey}"\n'
                    f'url = "{cls.mirror.base}"\n')
            f.write(witness_tables([("w1", cls.w1), ("w2", cls.w2)], "quorum"))
        cls.log.start()

    @classmethod
    def tearDownClass(cls):
        for s in cls.servers:
            try:
                s.stop(expect_code=None)
            finally:
                s.cleanup()

    @classmethod
    def started(cls, server):
        cls.servers.append(server)
        return server.start()

    # -- helpers --

    def checkpoint(self, server=None):
        r = (server or self.log).get("/log/checkpoint")
        self.assertEqual(r.status, 200, r.describe())
        return r.text

    def cosigners(self, note):
        """The witnesses whose cosignature on `note` verifies here; the log's must too."""
        text, sigs = split_note(note)
        verify_note_signature(self.vkey, text, *sigs[0])
        found = {}
        lines = note.rpartition("\n\n")[2].splitlines(keepends=True)[1:]
        for name, w in (("w1", self.w1), ("w2", self.w2)):
            for line in lines:
                if line.startswith(f"\u2014 {w.vkey.split('+')[0]} "):
                    found[name] = verify_cosignature(w.vkey, text, line)
        return found

    def wait_cosigned(self, size, server=None, timeout=20):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            note = self.checkpoint(server)
            if int(note.split("\n")[1]) >= size and len(self.cosigners(note)) == 2:
                return note
            time.sleep(0.05)
        raise AssertionError(f"no checkpoint of size {size} with both cosignatures:\n{note}")

    def submit(self, n, tag, server=None):
        for i in range(n):
            (server or self.log).submit_api(f"{tag}{i}")

    def size(self, server=None):
        return int(self.checkpoint(server).split("\n")[1])

    def audit(self, server, *args):
        return run("audit", server.base, "--vkey", self.vkey, *args)

    # -- tests --

    def test_1_every_served_checkpoint_carries_both_cosignatures(self):
        done = threading.Event()
        errors = []

        def submissions():
            try:
                for round in range(3):  # pauses longer than a checkpoint interval
                    self.submit(20, f"見證日誌{round}-")
                    time.sleep(0.4)
            except Exception as e:  # reported below
                errors.append(e)
            finally:
                done.set()

        t = threading.Thread(target=submissions)
        t.start()
        seen = {}
        while not done.is_set():
            note = self.checkpoint()
            size = int(note.split("\n")[1])
            if size > 0:
                self.assertEqual(set(self.cosigners(note)), {"w1", "w2"}, note)
                self.assertGreaterEqual(size, max(seen, default=0))
                seen[size] = note
            time.sleep(0.02)
        t.join()
        self.assertEqual(errors, [])
        final = self.wait_cosigned(60)
        self.assertEqual(int(final.split("\n")[1]), 60)
        self.assertGreater(len(seen), 1, "the checkpoint advanced under submissions")
        # Each witness's own monitoring endpoint holds what the log serves.
        self.assertIn(final.split("\n\n")[0], self.w1.monitored(ORIGIN).text)
        # The mirror followed: its copy holds the whole tree, cosigned by it, and audits.
        copy = self.mirror.base + "/" + origin_hash(ORIGIN)
        deadline = time.monotonic() + 20
        while True:
            r = self.mirror.get("/" + origin_hash(ORIGIN) + "/checkpoint")
            if r.status == 200 and int(r.text.split("\n")[1]) >= 60:
                break
            self.assertLess(time.monotonic(), deadline, f"the mirror did not reach 60: {r.text}")
            time.sleep(0.05)
        text, _ = split_note(r.text)
        ours = [line for line in r.text.rpartition("\n\n")[2].splitlines(keepends=True)
                if line.startswith(f"{EM_DASH} {MIRROR_NAME} ")]
        self.assertEqual(len(ours), 1, r.text)
        verify_cosignature(self.mirror.vkey, text, ours[0])
        mirrored = run("audit", copy, "--vkey", self.vkey)
        self.assertEqual(mirrored.returncode, 0, mirrored.stdout + mirrored.stderr)

        # The /log page: who cosigned, on which day (never a finer time), and the policy.
        page = self.log.get("/en/log")
        self.assertEqual(page.status, 200)
        section = page.text[page.text.index('id="witnesses"'):page.text.index('id="policy"')]
        day = time.strftime("%Y-%m-%d", time.gmtime(time.time() + 8 * 3600))
        self.assertEqual(section.count(f"cosigned the checkpoint above on {day}"), 2, section)
        self.assertNotRegex(section, r"\d\d:\d\d")
        self.assertIn("quorum of witnesses cosigned", page.text)
        policy = html.unescape(page.text.split('<pre id="policy">')[1].split("</pre>")[0])
        self.assertIn(f"log {self.vkey}", policy)
        self.assertIn(f"witness w1 {self.w1.vkey} {self.w1.base}", policy)
        self.assertIn("group all-witnesses all w1 w2\nquorum all-witnesses", policy)

        # Auditors: the quorum by keys, or the policy as the page shows it.
        ok = self.audit(self.log, "--witness", self.w1.vkey, "--witness", self.w2.vkey,
                        "--quorum", "2")
        self.assertEqual(ok.returncode, 0, ok.stderr)
        self.assertIn("cosigned by w1.test/w, w2.test/w", ok.stdout)
        policy_file = os.path.join(self.log.root, "policy.txt")
        with open(policy_file, "w", encoding="utf-8") as f:
            f.write(policy)
        by_policy = run("audit", self.log.base, "--policy", policy_file)
        self.assertEqual(by_policy.returncode, 0, by_policy.stderr)
        stranger = Witness([(ORIGIN, self.vkey)], name="w3", key_name="w3.test/w")
        self.servers.append(stranger)
        three = self.audit(self.log, "--witness", self.w1.vkey, "--witness", self.w2.vkey,
                           "--witness", stranger.vkey, "--quorum", "3")
        self.assertEqual(three.returncode, 1)
        self.assertIn("cosigned by w1.test/w, w2.test/w; not by w3.test/w", three.stderr)

        # A receipt's proof carries the cosigned checkpoint; verify-proof checks the quorum.
        receipt = self.log.submit_api("證明者")["receipt"]
        self.wait_cosigned(self.size() + 1)
        proof = harness.post_receipt(self.log, receipt, "/proof")
        self.assertEqual(proof.status, 200, proof.describe())
        proof_file = os.path.join(self.log.root, "r.tlog-proof")
        with open(proof_file, "w", encoding="utf-8") as f:
            f.write(proof.text)
        good = run("verify-proof", proof_file, "--vkey", self.vkey, "--policy", policy_file)
        self.assertEqual(good.returncode, 0, good.stderr)
        short = run("verify-proof", proof_file, "--vkey", self.vkey, "--witness", self.w1.vkey,
                    "--witness", stranger.vkey, "--quorum", "2")
        self.assertEqual(short.returncode, 1, short.stdout)
        self.assertIn("cosigned by w1.test/w; not by w3.test/w", short.stderr)

    def test_2_a_witness_killed_and_down_a_while_resumes_and_catches_up(self):
        before = self.wait_cosigned(self.size())
        size_before = int(before.split("\n")[1])
        self.w1.kill()
        self.submit(5, "停機")
        # The log goes on signing; the served checkpoint waits for w1 (publish = "quorum").
        time.sleep(1.5)
        self.assertEqual(self.size(), size_before)
        self.submit(5, "停機再")
        # The log has signed the latest (it tries w1 with it) before w1 comes back; else
        # w1 may first cosign a size on the way.
        tried = rf"witness w1: .*\(checkpoint {size_before + 10}; trying again in"
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline and not re.search(tried, self.log.stderr()):
            time.sleep(0.05)
        self.assertRegex(self.log.stderr(), tried)
        self.w1.start()
        # Its stored state survived SIGKILL: it still holds what it cosigned before, unless
        # the log's next attempt already came (then it holds the latest, asked from `before`).
        held = self.w1.monitored(ORIGIN).text
        if before.split("\n\n")[0] not in held:
            self.assertEqual(int(held.split("\n")[1]), size_before + 10, held)
        after = self.wait_cosigned(size_before + 10)
        self.assertEqual(int(after.split("\n")[1]), size_before + 10)
        # One request from the size it held to the latest, after the failed ones: a witness
        # that had lost its state would have answered 409 first (two requests).
        self.assertRegex(self.log.stderr(),
                         rf"witness w1: cosigned checkpoint {size_before + 10} of {ORIGIN} "
                         r"after \d+ failed attempts \(one request, one consistency proof\)")

    def test_3_split_view_and_rollback_are_refused(self):
        self.wait_cosigned(self.size())
        self.log.stop()
        old = os.path.join(self.log.root, "old-data")
        shutil.copytree(self.log.data, old)  # also the backup restored below
        fork_data = os.path.join(self.log.root, "fork-data")
        shutil.copytree(self.log.data, fork_data)
        self.log.start()
        copied = self.size()
        self.submit(3, "誠實")
        honest = self.wait_cosigned(copied + 3)

        # The fork publishes at once (a center hiding its fork would), a longer history.
        set_publish(fork_data, "at-once")
        fork = self.started(harness.Server(None, name="witfork", data_dir=fork_data,
                                           protections=True))  # keeps the copied toml
        self.submit(6, "分叉", fork)
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline and self.size(fork) < copied + 6:
            time.sleep(0.05)
        forked = self.checkpoint(fork)
        self.assertEqual(int(forked.split("\n")[1]), copied + 6)
        # Its smaller checkpoints on the way may be refused with a 409 (the witnesses hold
        # a larger tree); the longer history is then refused with a 422 by both.
        refused = [rf"WITNESS CONFLICT: witness {name} refused checkpoint {copied + 6} of "
                   rf"{re.escape(ORIGIN)} \(status 422\)" for name in ("w1", "w2")]
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline and not all(re.search(r, fork.stderr())
                                                      for r in refused):
            time.sleep(0.05)
        for r in refused:
            self.assertRegex(fork.stderr(), r)
        self.assertEqual(self.cosigners(self.checkpoint(fork)), {})
        # Asked directly with the fork's own proof, each witness refuses it: 422.
        n = int(forked.split("\n")[1])
        tile = fork.get(f"/log/tile/0/000.p/{n}")
        hashes = [tile.body[i:i + 32] for i in range(0, 32 * n, 32)]
        for w in (self.w1, self.w2):
            held = w.add(f"old 0\n\n{forked}".encode())
            self.assertEqual(held.status, 409, held.describe())
            m = int(held.text)
            proof = "".join(base64.b64encode(h).decode() + "\n"
                            for h in consistency_proof(hashes, m))
            r = w.add(f"old {m}\n{proof}\n{forked}".encode())
            self.assertEqual(r.status, 422, r.describe())
        failed = self.audit(fork, "--witness", self.w1.vkey, "--witness", self.w2.vkey,
                            "--quorum", "2")
        self.assertEqual(failed.returncode, 1, failed.stdout)
        self.assertIn("cosigned by none of the witnesses; not by w1.test/w, w2.test/w",
                      failed.stderr)
        # The honest log keeps its cosignatures, and the witnesses their honest head.
        self.assertEqual(set(self.cosigners(self.checkpoint())), {"w1", "w2"})
        self.assertIn(honest.split("\n\n")[0], self.w2.monitored(ORIGIN).text)
        ok = self.audit(self.log, "--witness", self.w1.vkey, "--witness", self.w2.vkey,
                        "--quorum", "2")
        self.assertEqual(ok.returncode, 0, ok.stderr)
        fork.stop()

        # The rollback: the old copy, restored, publishes a smaller tree than the witnesses
        # hold; both refuse it (the log learns their larger size from the 409).
        set_publish(old, "at-once")
        rolled = self.started(harness.Server(None, name="witold", data_dir=old, protections=True))
        self.submit(1, "回滾", rolled)
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline and rolled.stderr().count("WITNESS CONFLICT") < 2:
            time.sleep(0.05)
        for name in ("w1", "w2"):
            self.assertRegex(rolled.stderr(), rf"WITNESS CONFLICT: witness {name} refused "
                             rf"checkpoint {copied + 1} of {ORIGIN} \(status 409\): it has "
                             rf"cosigned a tree of size \d+, larger than this checkpoint's")
        small = self.checkpoint(rolled)
        r = self.w1.add(f"old 0\n\n{small}".encode())
        self.assertEqual(r.status, 409, r.describe())
        self.assertEqual(r.header("Content-Type"), "text/x.tlog.size")
        held = int(r.text)
        self.assertGreater(held, copied + 1)
        self.assertEqual(self.w1.add(f"old {held}\n\n{small}".encode()).status, 400)
        refused = self.audit(rolled, "--witness", self.w1.vkey, "--witness", self.w2.vkey,
                             "--quorum", "2")
        self.assertEqual(refused.returncode, 1, refused.stdout)
        rolled.stop()

    def test_bad_witness_settings_are_refused_at_start(self):
        base = {"log_origin": ORIGIN}
        cases = [
            ('\n[[witness]]\nname = "w1"\nkey = "nonsense"\nurl = "http://127.0.0.1:1"\n',
             "bad key for witness 'w1'"),
            (f'\n[[witness]]\nname = "w1"\nkey = "{self.w1.vkey}"\n', "has no 'url'"),
            (f'\n[[witness]]\nname = "w1"\nkey = "{self.w1.vkey}"\nurl = "http://x"\n'
             '[witnessing]\npolicy = "quorum w9"\n', "the quorum names 'w9'"),
            (f'\n[[witness]]\nname = "w1"\nkey = "{self.w1.vkey}"\nurl = "http://x"\n'
             '[witnessing]\npublish = "later"\n', 'publish must be "at-once" or "quorum"'),
            ('\n[witnessing]\nwait = 3\n', "unknown setting 'wait' in [witnessing]"),
        ]
        for extra, message in cases:
            s = harness.Server(base, name="witbad")
            try:
                with open(os.path.join(s.data, "tuidang.toml"), "a", encoding="utf-8") as f:
                    f.write(extra)
                r = subprocess.run([harness.binary(), "serve", "--data", s.data, "--listen",
                                    "127.0.0.1:0"], capture_output=True, text=True, timeout=60)
                self.assertEqual(r.returncode, 78, r.stderr)
                self.assertIn(message, r.stderr)
                self.assertIn("tuidang.toml", r.stderr)
            finally:
                s.cleanup()


if __name__ == "__main__":
    unittest.main()
