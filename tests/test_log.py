#!/usr/bin/env python3
"""The transparency log as a verifier outside tuidang sees it (issue 3).

Everything is checked with an independent Python implementation of RFC 6962 hashing and
of the leaf format in docs/log-format.md: tiles hash to the checkpoint's root, entry
bundles to the level-0 tiles, openings to their leaves, receipts' proofs to the
checkpoint; withdrawals drop the count and keep the log consistent; bad tile paths are
refused; a crash during integration leaves the log consistent with every checkpoint
served before it."""
import base64
import hashlib
import json
import os
import struct
import subprocess
import time
import unittest

import harness


def h(data):
    return hashlib.sha256(data).digest()


def leaf_hash(entry):
    return h(b"\x00" + entry)


def mth(hashes):
    """RFC 6962 Merkle tree hash of a list of leaf hashes."""
    n = len(hashes)
    if n == 0:
        return h(b"")
    if n == 1:
        return hashes[0]
    k = 1
    while k * 2 < n:
        k *= 2
    return h(b"\x01" + mth(hashes[:k]) + mth(hashes[k:]))


def verify_inclusion(lh, index, size, proof, root):
    """RFC 9162 section 2.1.3.2."""
    if index >= size:
        return False
    fn, sn, r = index, size - 1, lh
    for p in proof:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            r = h(b"\x01" + p + r)
            if not fn & 1:
                while True:
                    fn >>= 1
                    sn >>= 1
                    if fn & 1 or fn == 0:
                        break
        else:
            r = h(b"\x01" + r + p)
        fn >>= 1
        sn >>= 1
    return sn == 0 and r == root


def parse_bundle(data):
    entries, i = [], 0
    while i < len(data):
        (n,) = struct.unpack(">H", data[i:i + 2])
        entries.append(data[i + 2:i + 2 + n])
        i += 2 + n
    return entries


def group(n):
    s = f"{n:03d}"
    parts = []
    while n >= 1000:
        parts.insert(0, f"{n % 1000:03d}")
        n //= 1000
    parts.insert(0, f"{n:03d}")
    return "/".join(["x" + p for p in parts[:-1]] + [parts[-1]])


class LogTest(unittest.TestCase):
    def setUp(self):
        self.server = harness.Server({"checkpoint_interval_ms": 100})
        self.server.start()

    def tearDown(self):
        self.server.stop()
        self.server.cleanup()

    def checkpoint(self):
        r = self.server.get("/log/checkpoint")
        self.assertEqual(r.status, 200, r.describe())
        self.assertEqual(r.header("Content-Type"), "text/plain; charset=utf-8")
        lines = r.text.split("\n")
        return lines[0], int(lines[1]), base64.b64decode(lines[2]), r.text

    def wait_size(self, size, timeout=15):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            cp = self.checkpoint()
            if cp[1] >= size:
                return cp
            time.sleep(0.1)
        self.fail(f"no checkpoint of size {size} within {timeout}s (last {cp[1]})")

    def entries(self, size):
        out = []
        for n in range((size + 255) // 256):
            w = min(256, size - n * 256)
            path = f"/log/tile/entries/{group(n)}" + ("" if w == 256 else f".p/{w}")
            r = self.server.get(path)
            self.assertEqual(r.status, 200, path)
            out += parse_bundle(r.body)
        self.assertEqual(len(out), size)
        return out

    def publish(self, n, prefix="日志"):
        return [self.server.submit_api(f"{prefix}{i}", ["party", "league"] if i % 2 else ["pioneers"],
                                       persons=[{"name": f"家人{i}", "organisations": ["league"]}] if i % 3 == 0 else [])
                for i in range(n)]

    def test_tiles_entries_openings_and_proofs(self):
        receipts = self.publish(300)
        origin, size, root, note = self.wait_size(300)
        self.assertEqual(origin, "127.0.0.1:8080/log")
        self.assertIn("\n\n\u2014 127.0.0.1:8080/log ", note)
        entries = self.entries(size)
        hashes = [leaf_hash(e) for e in entries]
        self.assertEqual(mth(hashes), root, "entry bundles hash to the checkpoint's root")
        full = self.server.get("/log/tile/0/000")
        self.assertEqual(full.status, 200)
        self.assertEqual(full.body, b"".join(hashes[:256]))
        self.assertIn("immutable", full.header("Cache-Control"))
        self.assertEqual(full.header("Content-Type"), "application/octet-stream")
        partial = self.server.get("/log/tile/0/001.p/44")
        self.assertEqual(partial.body, b"".join(hashes[256:300]))
        gz = self.server.get("/log/tile/entries/001.p/44", headers={"Accept-Encoding": "gzip"})
        self.assertEqual(gz.header("Content-Encoding"), "gzip")
        import gzip as gziplib
        self.assertEqual(parse_bundle(gziplib.decompress(gz.body)), entries[256:300])
        plain = self.server.get("/log/tile/entries/001.p/44")
        self.assertIsNone(plain.header("Content-Encoding"))
        level1 = self.server.get("/log/tile/1/000.p/1")
        self.assertEqual(level1.body, mth(hashes[:256]))

        # Counting from the entries alone gives the published totals.
        persons = statements = 0
        for e in entries:
            self.assertEqual(e[0], 1)
            self.assertEqual(e[1], 1)
            statements += 1
            persons += struct.unpack(">H", e[8:10])[0]
        stats = self.server.stats()
        self.assertEqual((stats["total_statements"], stats["total_persons"]), (statements, persons))

        # An opening recomputes its leaf; the record is the statement shown.
        st = self.server.get("/api/v1/statements/7").json()
        entry = entries[st["leaf_index"]]
        commitment = h(b"tuidang statement v1\n" + bytes.fromhex(st["salt"]) + st["record"].encode())
        self.assertEqual(entry[16:], commitment)
        record = json.loads(st["record"])
        self.assertEqual(record["persons"][0]["name"], st["name"])
        self.assertEqual(record["number"], 7)

        # A receipt's proof verifies against the checkpoint it carries.
        r = self.server.get(f"/api/v1/receipts/{receipts[41]['receipt']}").json()
        text = r["proof"]
        head, signed = text.split("\n\n", 1)
        lines = head.split("\n")
        self.assertEqual(lines[0], "c2sp.org/tlog-proof@v1")
        self.assertTrue(lines[1].startswith("extra "))
        index = int(lines[2].split()[1])
        self.assertEqual(base64.b64decode(lines[1][6:]), entries[index])
        proof = [base64.b64decode(x) for x in lines[3:]]
        cp_lines = signed.split("\n")
        self.assertTrue(verify_inclusion(hashes[index], index, int(cp_lines[1]), proof,
                                         base64.b64decode(cp_lines[2])))
        self.assertFalse(verify_inclusion(hashes[index + 1], index, int(cp_lines[1]), proof,
                                          base64.b64decode(cp_lines[2])))
        page = harness.post_receipt(self.server, receipts[41]["receipt"], "", "/en")
        self.assertIn('id="proof"', page.text)
        download = harness.post_receipt(self.server, receipts[41]["receipt"], "/proof")
        self.assertEqual(download.text, text)
        self.assertIn("attachment", download.header("Content-Disposition"))
        vkey = self.server.get("/en/log")
        self.assertIn("127.0.0.1:8080/log+", vkey.text)

        # The downloaded proof verifies offline with the verifier key, and says what it counts.
        key = subprocess.run([harness.binary(), "log", "key", "--data", self.server.data],
                             capture_output=True, text=True, timeout=30).stdout.strip()
        self.assertIn(key, vkey.text)
        proof_file = os.path.join(self.server.root, "receipt.tlog-proof")
        with open(proof_file, "w", encoding="utf-8") as f:
            f.write(text)
        ok = subprocess.run([harness.binary(), "verify-proof", proof_file, "--vkey", key],
                            capture_output=True, text=True, timeout=30)
        self.assertEqual(ok.returncode, 0, ok.stderr)
        self.assertIn(f"verified: leaf {index} of 127.0.0.1:8080/log", ok.stdout)
        self.assertIn("for 1 person(s)", ok.stdout)
        # A proof for another leaf's position, or with a changed entry, does not verify.
        lines = text.split("\n")
        extra_line = next(i for i, l in enumerate(lines) if l.startswith("extra "))
        other = base64.b64encode(entries[index + 1]).decode()
        with open(proof_file, "w", encoding="utf-8") as f:
            f.write("\n".join(lines[:extra_line] + ["extra " + other] + lines[extra_line + 1:]))
        bad = subprocess.run([harness.binary(), "verify-proof", proof_file, "--vkey", key],
                             capture_output=True, text=True, timeout=30)
        self.assertNotEqual(bad.returncode, 0)
        self.assertIn("NOT VERIFIED", bad.stderr)

    def test_bad_tile_paths(self):
        self.publish(3)
        self.wait_size(3)
        # Not 000.p/1 or 000.p/2: the three may have been integrated in two steps (CI under
        # ASan saw a checkpoint of size 2), and an older checkpoint's partial tile stays
        # served (test_withdrawal_drops_the_count_and_keeps_old_sizes).
        for path in ["/log/tile/0/000.p/0", "/log/tile/0/000.p/256", "/log/tile/0/0000",
                     "/log/tile/0/x000/000", "/log/tile/00/000", "/log/tile/a/000",
                     "/log/tile/0/99999999999999999999999", "/log/tile/0/001",
                     "/log/tile/0/000", "/log/tile/0/000.p/4",
                     "/log/tile/entries/000.p/9", "/log/tile/64/000", "/log/tile/1/000",
                     "/log/tile/0/-1", "/log/tile/0/000.p/03", "/log/nothing", "/log/tile/",
                     "/log/tile/0/x999/x999/x999/x999/x999/x999/999"]:
            r = self.server.get(path)
            self.assertIn(r.status, (400, 404), f"{path}: {r.describe()}")
        self.assertEqual(self.server.get("/log/tile/0/000.p/3").status, 200)
        self.assertEqual(self.server.get("/healthz").status, 200)

    def test_withdrawal_drops_the_count_and_keeps_old_sizes(self):
        self.publish(5)
        _, _, root5, _ = self.wait_size(5)
        before = self.server.stats()
        st = self.server.get("/api/v1/statements/3").json()
        removed = st["persons_count"]
        out = subprocess.run([harness.binary(), "withdraw", "3", "--reason", "fake",
                              "--data", self.server.data], capture_output=True, text=True, timeout=30)
        self.assertEqual(out.returncode, 0, out.stderr)
        _, size, root, _ = self.wait_size(6)
        entries = self.entries(size)
        w = entries[5]
        self.assertEqual((w[0], w[1], w[6]), (1, 2, 3))
        self.assertEqual(struct.unpack(">Q", w[8:16])[0], st["leaf_index"])
        hashes = [leaf_hash(e) for e in entries]
        self.assertEqual(mth(hashes[:5]), root5, "the old checkpoint is a prefix of the new tree")
        self.assertEqual(mth(hashes), root)
        after = self.server.stats()
        self.assertEqual(after["total_statements"], before["total_statements"] - 1)
        self.assertEqual(after["total_persons"], before["total_persons"] - removed)
        self.assertEqual(self.server.get("/api/v1/statements/3").status, 404)
        # The name is gone from every file of the data folder (secure_delete, WAL truncated).
        for root, _, files in os.walk(self.server.data):
            for f in files:
                with open(os.path.join(root, f), "rb") as fh:
                    self.assertNotIn(st["name"].encode(), fh.read(), f"{f} still holds the name")
        self.assertNotIn(st["name"], self.server.get("/statements").text)
        # The partial tile of the earlier published size is still served.
        self.assertEqual(self.server.get("/log/tile/0/000.p/5").body, b"".join(hashes[:5]))
        # Withdrawing twice or an unknown number fails with a message.
        again = subprocess.run([harness.binary(), "withdraw", "3", "--reason", "fake",
                                "--data", self.server.data], capture_output=True, text=True, timeout=30)
        self.assertNotEqual(again.returncode, 0)
        self.assertIn("not a published statement", again.stderr)

    def test_crash_during_integration_keeps_every_served_checkpoint(self):
        import threading
        seen = []
        stop = threading.Event()

        def watch():
            while not stop.is_set():
                try:
                    cp = self.checkpoint()
                    seen.append((cp[1], cp[2]))
                except Exception:
                    return
                time.sleep(0.02)

        t = threading.Thread(target=watch)
        t.start()
        done = []

        def load():
            for i in range(400):
                try:
                    done.append(self.server.submit_api(f"崩溃{i}"))
                except Exception:
                    return

        loaders = [threading.Thread(target=load) for _ in range(4)]
        for l in loaders:
            l.start()
        time.sleep(2.0)
        self.server.kill()
        stop.set()
        for l in loaders + [t]:
            l.join(timeout=30)
        self.server.start()
        _, size, root, _ = self.wait_size(len(done))
        hashes = [leaf_hash(e) for e in self.entries(size)]
        self.assertEqual(mth(hashes), root)
        self.assertTrue(seen, "some checkpoints were served before the crash")
        for old_size, old_root in set(seen):
            self.assertLessEqual(old_size, size)
            self.assertEqual(mth(hashes[:old_size]), old_root, f"checkpoint of size {old_size}")


if __name__ == "__main__":
    unittest.main(verbosity=2)
