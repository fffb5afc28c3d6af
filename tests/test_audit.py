#!/usr/bin/env python3
"""`tuidang audit` against a live server and against mirror folders (issue 3).

Statements are published through the API; the audit must verify the log over HTTP and
find the published totals; after a withdrawal the next audit must find the log consistent
with the checkpoint it saved and the totals lower by the withdrawn persons. A mirror copied
into a folder audits the same; a tampered entry, a wrong key, a rolled-back mirror and a
site without a log each fail with a precise message."""
import os
import re
import shutil
import subprocess
import tempfile
import time
import unittest

import harness

SUMMARY_RE = re.compile(
    r"^audit ok: origin (?P<origin>\S+), tree size (?P<size>\d+), root (?P<root>\S+), "
    r"(?P<statements>\d+) statements, (?P<persons>\d+) persons \(party (?P<party>\d+), "
    r"league (?P<league>\d+), pioneers (?P<pioneers>\d+)\), (?P<days>\d+) days, "
    r"(?P<withdrawals>\d+) withdrawals; (?P<rest>.*)$")


def group(n):
    """N as a tile path writes it: 1234067 is x001/x234/067."""
    parts = []
    while n >= 1000:
        parts.insert(0, f"{n % 1000:03d}")
        n //= 1000
    parts.insert(0, f"{n:03d}")
    return "/".join(["x" + p for p in parts[:-1]] + [parts[-1]])


def tile_paths(size):
    """Every hash tile and entry bundle of a tree of `size` leaves, as paths under /log/."""
    paths = []
    level = 0
    while size >> (8 * level):
        nodes = size >> (8 * level)
        for n in range((nodes + 255) // 256):
            w = min(256, nodes - n * 256)
            suffix = "" if w == 256 else f".p/{w}"
            paths.append(f"tile/{level}/{group(n)}{suffix}")
            if level == 0:
                paths.append(f"tile/entries/{group(n)}{suffix}")
        level += 1
    return paths


class AuditTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.server = harness.Server({"checkpoint_interval_ms": 100}, name="audit")
        cls.server.start()
        cls.work = tempfile.mkdtemp(prefix="audit-test-")

    @classmethod
    def tearDownClass(cls):
        try:
            cls.server.stop()
        finally:
            cls.server.cleanup()
            if os.environ.get("TUIDANG_KEEP"):
                print(f"[audit test] kept {cls.work}")
            else:
                shutil.rmtree(cls.work, ignore_errors=True)

    # -- helpers --

    def run_tuidang(self, *args, timeout=60):
        # The audit honours proxy variables, as curl does; the test server is on loopback.
        env = dict(os.environ, NO_PROXY="127.0.0.1,localhost", no_proxy="127.0.0.1,localhost")
        return subprocess.run([harness.binary(), *args], capture_output=True, text=True,
                              timeout=timeout, stdin=subprocess.DEVNULL, env=env)

    def vkey(self, data=None):
        out = self.run_tuidang("log", "key", "--data", data or self.server.data)
        self.assertEqual(out.returncode, 0, out.stderr)
        return out.stdout.strip()

    def audit(self, source, *extra, vkey=None):
        return self.run_tuidang("audit", source, "--vkey", vkey or self.vkey(), *extra)

    def audit_ok(self, source, *extra):
        out = self.audit(source, *extra)
        self.assertEqual(out.returncode, 0, f"stdout: {out.stdout}\nstderr: {out.stderr}")
        self.assertEqual(out.stderr, "", "no progress or noise when stderr is not a terminal")
        lines = out.stdout.splitlines()
        self.assertEqual(len(lines), 1, out.stdout)
        m = SUMMARY_RE.match(lines[0])
        self.assertIsNotNone(m, lines[0])
        return m

    def audit_fails(self, source, *extra, vkey=None):
        out = self.audit(source, *extra, vkey=vkey)
        self.assertNotEqual(out.returncode, 0, out.stdout)
        self.assertEqual(out.stdout, "")
        self.assertTrue(out.stderr.startswith("audit failed: "), out.stderr)
        return out.stderr

    def checkpoint_size(self):
        r = self.server.get("/log/checkpoint")
        self.assertEqual(r.status, 200, r.describe())
        return int(r.text.split("\n")[1])

    def wait_size(self, size, timeout=20):
        deadline = time.monotonic() + timeout
        last = None
        while time.monotonic() < deadline:
            last = self.checkpoint_size()
            if last >= size:
                return last
            time.sleep(0.1)
        self.fail(f"no checkpoint of size {size} within {timeout}s (last {last})")

    def mirror(self, name):
        """Copies the log and the stats into a folder, as a static mirror holds them."""
        root = os.path.join(self.work, name)
        checkpoint = self.server.get("/log/checkpoint")
        size = int(checkpoint.text.split("\n")[1])
        files = {"log/checkpoint": checkpoint.body,
                 "api/v1/stats.json": self.server.get("/api/v1/stats").body}
        for path in tile_paths(size):
            r = self.server.get("/log/" + path)
            self.assertEqual(r.status, 200, r.describe())
            files["log/" + path] = r.body
        for path, body in files.items():
            os.makedirs(os.path.dirname(os.path.join(root, path)), exist_ok=True)
            with open(os.path.join(root, path), "wb") as f:
                f.write(body)
        return root, size

    def expect_totals(self, m, stats):
        got = {k: int(m.group(k)) for k in ("statements", "persons", "party", "league",
                                             "pioneers", "days")}
        want = {"statements": stats["total_statements"], "persons": stats["total_persons"],
                "days": len(stats["by_day"]), **stats["persons_by_organisation"]}
        self.assertEqual(got, want)

    # -- the test --

    def test_audit(self):
        count = 300  # a full level-0 tile, a partial one, and a level-1 tile
        for i in range(count):
            self.server.submit_api(
                f"审计{i}", ["party", "league"] if i % 2 else ["pioneers"],
                persons=[{"name": f"家人{i}", "organisations": ["league"]}] if i % 3 == 0 else [])
        self.wait_size(count)
        stats = self.server.stats()
        self.assertEqual(stats["total_statements"], count)
        base = self.server.base
        state = os.path.join(self.work, "state")

        # First audit over HTTP: the totals are the published ones; the checkpoint is saved.
        m = self.audit_ok(base, "--state", state)
        self.assertEqual(int(m.group("size")), count)
        self.assertEqual(m.group("origin"), "127.0.0.1:8080/log")
        self.assertEqual(int(m.group("withdrawals")), 0)
        self.expect_totals(m, stats)
        self.assertEqual(m.group("rest"), f"totals at tree size {count} match {base}/api/v1/stats; "
                                          f"first audit, checkpoint saved to {state}")
        with open(state, encoding="utf-8") as f:
            saved = f.read()
        self.assertEqual(saved, self.server.get("/log/checkpoint").text)
        old_mirror, old_size = self.mirror("before-withdrawal")
        self.assertEqual(old_size, count)

        # A withdrawal: the next audit is consistent with the saved checkpoint and counts less.
        statement = self.server.get("/api/v1/statements/7").json()
        out = self.run_tuidang("withdraw", "7", "--reason", "fake", "--data", self.server.data)
        self.assertEqual(out.returncode, 0, out.stderr)
        self.wait_size(count + 1)
        after = self.server.stats()
        m = self.audit_ok(base + "/", "--state", state)
        self.assertEqual(int(m.group("size")), count + 1)
        self.assertEqual(int(m.group("withdrawals")), 1)
        self.expect_totals(m, after)
        self.assertEqual(int(m.group("statements")), count - 1)
        self.assertEqual(int(m.group("persons")),
                         stats["total_persons"] - statement["persons_count"])
        self.assertTrue(m.group("rest").endswith(
            f"; consistent with the saved checkpoint of size {count}"), m.group("rest"))
        with open(state, encoding="utf-8") as f:
            saved = f.read()
        self.assertTrue(saved.startswith(f"127.0.0.1:8080/log\n{count + 1}\n"), saved)

        # A mirror folder audits the same, without the server's help.
        folder, size = self.mirror("after-withdrawal")
        m = self.audit_ok(folder)
        self.assertEqual(int(m.group("size")), size)
        self.expect_totals(m, after)
        self.assertEqual(m.group("rest"),
                         f"totals at tree size {size} match {os.path.join(folder, 'api/v1/stats.json')}")

        # The mirror from before the withdrawal is older than the saved state: a rollback.
        err = self.audit_fails(old_mirror, "--state", state)
        self.assertIn(f"inconsistent trees: the saved checkpoint has tree size {count + 1} but "
                      f"the log's checkpoint only {count}: the log shrank", err)
        with open(state, encoding="utf-8") as f:
            self.assertEqual(f.read(), saved, "a failed audit leaves the state alone")

        # One byte of one entry changed: the bundle no longer hashes to its level-0 tile.
        width = size - 256
        bundle = os.path.join(folder, f"log/tile/entries/001.p/{width}")
        with open(bundle, "r+b") as f:
            data = bytearray(f.read())
            data[5 * 50 + 2 + 47] ^= 0x01  # the last commitment byte of entry 5 (leaf 261)
            f.seek(0)
            f.write(data)
        err = self.audit_fails(folder)
        self.assertIn(f"tile mismatch at tile/0/001.p/{width} "
                      f"({os.path.join(folder, f'log/tile/0/001.p/{width}')}): leaf 261, entry 5 "
                      f"of tile/entries/001.p/{width}, hashes to ", err)

        # A missing file is named.
        os.remove(bundle)
        err = self.audit_fails(folder)
        self.assertIn(f"missing file {bundle}", err)

        # Another key with the same name: the signature does not verify.
        other = os.path.join(self.work, "other-data")
        out = self.run_tuidang("init", "--data", other)
        self.assertEqual(out.returncode, 0, out.stderr)
        other_key = self.vkey(other)
        self.assertTrue(other_key.startswith("127.0.0.1:8080/log+"), other_key)
        self.assertNotEqual(other_key, self.vkey())
        err = self.audit_fails(base, vkey=other_key)
        self.assertIn(f"bad signature: the checkpoint at {base}/log/checkpoint is not signed by "
                      "127.0.0.1:8080/log+", err)

        # A URL where no site is: the HTTP status and the URL.
        err = self.audit_fails(base + "/nothing")
        self.assertIn(f"GET {base}/nothing/api/v1/stats: HTTP 404", err)
        err = self.audit_fails(os.path.join(self.work, "no-such-folder"))
        self.assertIn("not a folder", err)


if __name__ == "__main__":
    unittest.main()
