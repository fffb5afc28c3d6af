#!/usr/bin/env python3
"""The disk fills up while submissions arrive (issue 17): the data folder is a small tmpfs,
filled by another file while clients submit. Submissions get 503 with Retry-After, never a
201 for something not stored; pages keep being served; nothing acknowledged is lost; once
the space is freed the server takes submissions again by itself, without a restart; and
after a restart every acknowledged statement is still there.

Needs root (mount -t tmpfs), as the package test does."""
import concurrent.futures
import json
import os
import subprocess
import tempfile
import time
import unittest

import harness


def mount_tmpfs(path, size):
    subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size},mode=0700", "tmpfs", path],
                   check=True, capture_output=True)


def fill(path):
    """Writes `path` until the file system is full; returns the bytes written."""
    written = 0
    chunk = b"\0" * (64 << 10)
    with open(path, "wb", buffering=0) as f:
        while True:
            try:
                written += f.write(chunk)
            except OSError:
                # Smaller pieces, so that the last free blocks are taken too.
                for size in (4096, 512):
                    try:
                        while True:
                            written += f.write(b"\0" * size)
                    except OSError:
                        pass
                return written


@unittest.skipUnless(os.geteuid() == 0, "mounting a tmpfs needs root (CI runs as root)")
class DiskFullTest(unittest.TestCase):
    def setUp(self):
        self.mnt = tempfile.mkdtemp(prefix="tuidang-diskfull-")
        mount_tmpfs(self.mnt, "24m")
        self.data = os.path.join(self.mnt, "data")
        self.server = harness.Server({}, data_dir=self.data,
                                     name="diskfull")
        self.filler = os.path.join(self.mnt, "filler")

    def tearDown(self):
        try:
            self.server.stop(expect_code=None)
        finally:
            self.server.cleanup()
            subprocess.run(["umount", "-l", self.mnt], capture_output=True)
            os.rmdir(self.mnt)

    def submit(self, i):
        """One API submission; returns (status, receipt or None, Retry-After)."""
        body = {"name": f"满盘{i}", "organisations": ["party"]}
        r = self.server.post_json("/api/v1/statements", body)
        receipt = r.json().get("receipt") if r.status == 201 else None
        return r.status, receipt, r.header("Retry-After"), r

    def test_full_disk_refuses_then_recovers(self):
        self.server.start()
        acked = []
        for i in range(20):
            status, receipt, _, r = self.submit(i)
            self.assertEqual(status, 201, r.describe())
            acked.append(receipt)

        fill(self.filler)
        statuses = {}
        with concurrent.futures.ThreadPoolExecutor(8) as pool:
            results = list(pool.map(self.submit, range(1000, 1400)))
        for status, receipt, retry_after, r in results:
            statuses[status] = statuses.get(status, 0) + 1
            if status == 201:
                # A statement can still fit in pages SQLite already has: then it is stored.
                acked.append(receipt)
            else:
                self.assertEqual(status, 503, r.describe())
                self.assertTrue(retry_after and retry_after.isdigit(), r.describe())
                self.assertIn("error", r.json())
        self.assertGreater(statuses.get(503, 0), 300, statuses)
        self.assertTrue(self.server.alive(), self.server.stderr()[-2000:])

        # Pages and the log keep being served from what is stored.
        for path in ("/", "/healthz", "/api/v1/stats", "/log/checkpoint",
                     f"/api/v1/receipts/{acked[0]}"):
            r = self.server.get(path)
            self.assertEqual(r.status, 200, f"{path}: {r.describe()}")

        # Space freed: submissions are taken again, without a restart.
        os.remove(self.filler)
        deadline = time.monotonic() + 20
        while True:
            status, receipt, _, r = self.submit(5000)
            if status == 201:
                acked.append(receipt)
                break
            self.assertEqual(status, 503, r.describe())
            self.assertLess(time.monotonic(), deadline, "no 201 within 20 s of freeing space")
            time.sleep(0.5)
        for i in range(5001, 5020):
            status, receipt, _, r = self.submit(i)
            self.assertEqual(status, 201, r.describe())
            acked.append(receipt)

        # The administrator learns it from the log: one line when storing fails, one when it
        # works again; never a line per refused submission (journald stamps each line).
        log = self.server.stderr()
        self.assertEqual(log.count("storing failed"), 1, log[-3000:])
        self.assertIn("full", log.split("storing failed", 1)[1].split("\n", 1)[0], log[-3000:])
        self.assertEqual(log.count("storing works again"), 1, log[-3000:])
        self.assertLess(len(log.splitlines()), 12, log[-3000:])

        # Nothing acknowledged is lost, before and after a restart.
        def check_all():
            for code in acked:
                r = self.server.get(f"/api/v1/receipts/{code}")
                self.assertEqual(r.status, 200, f"{code}: {r.describe()}")
        check_all()
        self.server.stop()
        self.server.start()
        check_all()
        stats = self.server.stats()
        self.assertEqual(stats["total_statements"], len(acked), json.dumps(stats))


if __name__ == "__main__":
    unittest.main()
