#!/usr/bin/env python3
"""`tuidang witness serve` as a log and an outsider see it (issue 16, c2sp.org/tlog-witness).

A real `tuidang serve` makes the checkpoints; a real witness process answers add-checkpoint
over HTTP. The consistency proofs are computed here from the log's tiles (RFC 6962, written
anew in Python), and every cosignature is checked here with Python's `cryptography`
(Debian's python3-cryptography, scripts/setup.sh --test), so neither side trusts the C++.
Covered: old 0, growth with a proof, the 409 text/x.tlog.size flow, a forked copy of the
log's data folder and a rollback refused, twenty concurrent requests from one old size (one
wins), restarts (also after SIGKILL) resuming from the stored state, and bad input.
"""
import base64
import hashlib
import http.client
import os
import shutil
import struct
import subprocess
import threading
import time
import unittest

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import (Ed25519PrivateKey,
                                                               Ed25519PublicKey)
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

import harness

EM_DASH = "\u2014"
WITNESS_NAME = "witness.test/w1"
LOG_SETTINGS = {"checkpoint_interval_ms": 100}


# -- RFC 6962 --

def leaf_hash(entry):
    return hashlib.sha256(b"\x00" + entry).digest()


def node_hash(left, right):
    return hashlib.sha256(b"\x01" + left + right).digest()


def mth(hashes):
    if len(hashes) == 0:
        return hashlib.sha256(b"").digest()
    if len(hashes) == 1:
        return hashes[0]
    k = 1
    while k * 2 < len(hashes):
        k *= 2
    return node_hash(mth(hashes[:k]), mth(hashes[k:]))


def consistency_proof(hashes, m):
    """RFC 6962 section 2.1.2 PROOF(m, D[n]) over the leaf hashes D[n]."""
    def subproof(m, d, complete):
        n = len(d)
        if m == n:
            return [] if complete else [mth(d)]
        k = 1
        while k * 2 < n:
            k *= 2
        if m <= k:
            return subproof(m, d[:k], complete) + [mth(d[k:])]
        return subproof(m - k, d[k:], False) + [mth(d[:k])]
    return subproof(m, hashes, True)


# -- signed notes and keys --

def key_id(name, typed_key):
    return hashlib.sha256(name.encode() + b"\n" + typed_key).digest()[:4]


def parse_vkey(vkey):
    name, kid, typed = vkey.split("+", 2)  # base64 may hold "+"
    typed = base64.b64decode(typed)
    assert key_id(name, typed).hex() == kid, vkey
    return name, bytes.fromhex(kid), typed[0], typed[1:]


def split_note(note):
    text, _, sigs = note.rpartition("\n\n")
    lines = []
    for line in sigs.splitlines():
        assert line.startswith(EM_DASH + " "), line
        name, b64 = line[2:].split(" ")
        lines.append((name, base64.b64decode(b64)))
    return text + "\n", lines


def verify_cosignature(vkey, text, line):
    """Checks one cosignature/v1 line over `text`; returns its timestamp."""
    name, kid, kind, public = parse_vkey(vkey)
    assert kind == 0x04, kind
    assert line.startswith(f"{EM_DASH} {name} ") and line.endswith("\n"), line
    raw = base64.b64decode(line[len(name) + 3:-1], validate=True)
    assert raw[:4] == kid and len(raw) == 4 + 8 + 64, raw
    (timestamp,) = struct.unpack(">Q", raw[4:12])
    message = f"cosignature/v1\ntime {timestamp}\n".encode() + text.encode()
    Ed25519PublicKey.from_public_bytes(public).verify(raw[12:], message)
    return timestamp


def verify_note_signature(vkey, text, name, raw):
    vname, kid, kind, public = parse_vkey(vkey)
    assert kind == 0x01 and name == vname and raw[:4] == kid
    Ed25519PublicKey.from_public_bytes(public).verify(raw[4:], text.encode())


class LogKey:
    """The log's own signing key, read from its data folder, to sign crafted checkpoints."""

    def __init__(self, data):
        with open(os.path.join(data, "log.key"), encoding="utf-8") as f:
            _, _, name, kid, typed = f.read().strip().split("+", 4)
        typed = base64.b64decode(typed)
        self.name, self.kid = name, bytes.fromhex(kid)
        self.key = Ed25519PrivateKey.from_private_bytes(typed[1:])

    def sign(self, text, kid=None, name=None):
        sig = base64.b64encode((kid or self.kid) + self.key.sign(text.encode())).decode()
        return f"{text}\n{EM_DASH} {name or self.name} {sig}\n"


def another_key_note(name, text):
    key = Ed25519PrivateKey.generate()
    public = key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
    kid = key_id(name, b"\x01" + public)
    return f"{text}\n{EM_DASH} {name} {base64.b64encode(kid + key.sign(text.encode())).decode()}\n"


def body(old, proof, checkpoint):
    return (f"old {old}\n" + "".join(base64.b64encode(h).decode() + "\n" for h in proof)
            + "\n" + checkpoint).encode()


# -- processes --

class Witness(harness.Server):
    """A `tuidang witness serve` on a free port, with its own data folder and witness.toml."""

    def __init__(self, logs, name="witness", key_name=WITNESS_NAME):
        super().__init__(None, name=name, protections=True)  # writes no tuidang.toml
        os.makedirs(self.data, mode=0o700, exist_ok=True)
        keygen = subprocess.run([harness.binary(), "witness", "keygen", "--data", self.data,
                                 "--name", key_name],
                                capture_output=True, text=True, timeout=30)
        assert keygen.returncode == 0, keygen.stderr
        self.vkey = keygen.stdout.strip()
        lines = [f'name = "{key_name}"']
        for origin, vkey in logs:
            lines += ["[[log]]", f'origin = "{origin}"', f'key = "{vkey}"']
        with open(os.path.join(self.data, "witness.toml"), "w", encoding="utf-8") as f:
            f.write("\n".join(lines) + "\n")

    def command(self, port):
        return [harness.binary(), "witness", "serve", "--data", self.data,
                "--listen", f"{self.host}:{port}"]

    def add(self, data):
        return self.post("/add-checkpoint", data)

    def post(self, path, data):
        client = self.client()
        try:
            return client.request("POST", path, body=data)
        finally:
            client.close()

    def monitored(self, origin):
        return self.get("/" + hashlib.sha256(origin.encode()).hexdigest() + "/checkpoint")


class WitnessTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.servers = []
        cls.log = cls.started(harness.Server(LOG_SETTINGS, name="wlog"))
        for i in range(5):
            cls.log.submit_api(f"見證甲{i}")
        cls.c5 = cls.wait_checkpoint(cls.log, 5)
        cls.origin = cls.c5.split("\n")[0]
        out = subprocess.run([harness.binary(), "log", "key", "--data", cls.log.data],
                             capture_output=True, text=True, timeout=30)
        assert out.returncode == 0, out.stderr
        cls.log_vkey = out.stdout.strip()
        cls.log_key = LogKey(cls.log.data)
        # The fork: a copy of the data folder at size 5, the same key and origin, that then
        # takes other statements than the honest log.
        cls.log.stop()
        fork_data = os.path.join(cls.log.root, "fork-data")
        shutil.copytree(cls.log.data, fork_data)
        cls.log.start()
        for i in range(7):
            cls.log.submit_api(f"見證乙{i}")
        cls.c12 = cls.wait_checkpoint(cls.log, 12)
        cls.fork = cls.started(harness.Server(LOG_SETTINGS, name="wfork", data_dir=fork_data))
        for i in range(7):
            cls.fork.submit_api(f"分叉{i}")
        cls.fork12 = cls.wait_checkpoint(cls.fork, 12)
        for i in range(2):
            cls.fork.submit_api(f"分叉再{i}")
        cls.fork14 = cls.wait_checkpoint(cls.fork, 14)

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

    @staticmethod
    def wait_checkpoint(server, size, timeout=20):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            r = server.get("/log/checkpoint")
            if r.status == 200 and int(r.text.split("\n")[1]) == size:
                return r.text
            time.sleep(0.05)
        raise AssertionError(f"no checkpoint of size {size} on {server.base}")

    @staticmethod
    def leaf_hashes(server, size):
        assert size < 256  # one partial tile of level 0 holds every leaf hash
        tile = server.get(f"/log/tile/0/000.p/{size}")
        assert tile.status == 200 and len(tile.body) == 32 * size, tile.describe()
        return [tile.body[i:i + 32] for i in range(0, 32 * size, 32)]

    def witness(self):
        return self.started(Witness([(self.origin, self.log_vkey)]))

    def assert_cosigned(self, witness, r, checkpoint):
        self.assertEqual(r.status, 200, r.describe())
        text, _ = split_note(checkpoint)
        self.assertEqual(r.text.count("\n"), 1, r.text)
        timestamp = verify_cosignature(witness.vkey, text, r.text)
        self.assertLess(abs(timestamp - time.time()), 300)
        return timestamp

    def assert_conflict(self, r, size):
        self.assertEqual(r.status, 409, r.describe())
        self.assertEqual(r.header("Content-Type"), "text/x.tlog.size")
        self.assertEqual(r.text, f"{size}\n")

    # -- tests --

    def test_cosigns_grows_conflicts_and_resumes_after_restarts(self):
        w = self.witness()
        self.assertEqual(w.monitored(self.origin).status, 404)  # never cosigned yet
        first = w.add(body(0, [], self.c5))
        self.assert_cosigned(w, first, self.c5)
        # The monitoring endpoint: the checkpoint, the log's signature and ours.
        served = w.monitored(self.origin)
        self.assertEqual(served.status, 200, served.describe())
        self.assertEqual(served.text, self.c5 + first.text)
        text, sigs = split_note(served.text)
        verify_note_signature(self.log_vkey, text, *sigs[0])

        # The log grew: old 0 learns the witness's size, then the proof from tiles wins.
        self.assert_conflict(w.add(body(0, [], self.c12)), 5)
        hashes = self.leaf_hashes(self.log, 12)
        self.assertEqual(mth(hashes), base64.b64decode(self.c12.split("\n")[2]))
        proof = consistency_proof(hashes, 5)
        bad = list(proof)
        bad[-1] = bytes(32)
        r = w.add(body(5, bad, self.c12))
        self.assertEqual(r.status, 422, r.describe())
        self.assertEqual(w.add(body(5, proof[:-1], self.c12)).status, 422)
        self.assert_cosigned(w, w.add(body(5, proof, self.c12)), self.c12)
        self.assert_conflict(w.add(body(5, proof, self.c12)), 12)

        # Stopped and started again, then killed: the stored state is what it answers from.
        w.stop()
        w.start()
        self.assert_conflict(w.add(body(0, [], self.c12)), 12)
        self.assert_cosigned(w, w.add(body(12, [], self.c12)), self.c12)
        w.kill()
        w.start()
        self.assert_conflict(w.add(body(5, proof, self.c12)), 12)
        self.assertTrue(w.monitored(self.origin).text.startswith(self.c12.split("\n\n")[0]))

    def test_a_forked_log_and_a_rollback_are_refused(self):
        w = self.witness()
        self.assert_cosigned(w, w.add(body(0, [], self.c12)), self.c12)
        served = w.monitored(self.origin).text
        # Same key, same origin, another history: the same size with another root, and a
        # larger tree whose proof (from the fork's own tiles) does not lead from ours.
        self.assertNotEqual(self.fork12.split("\n")[2], self.c12.split("\n")[2])
        r = w.add(body(12, [], self.fork12))
        self.assertEqual(r.status, 422, r.describe())
        fork_proof = consistency_proof(self.leaf_hashes(self.fork, 14), 12)
        r = w.add(body(12, fork_proof, self.fork14))
        self.assertEqual(r.status, 422, r.describe())
        # A log restored from an old backup offers its older, smaller checkpoint.
        r = w.add(body(12, [], self.c5))
        self.assertEqual(r.status, 400, r.describe())
        self.assert_conflict(w.add(body(5, [], self.c5)), 12)
        self.assert_conflict(w.add(body(0, [], self.fork14)), 12)
        self.assertEqual(w.monitored(self.origin).text, served)  # nothing of the fork stored
        self.assert_cosigned(w, w.add(body(12, [], self.c12)), self.c12)

    def test_twenty_concurrent_requests_from_one_old_size_one_wins(self):
        w = self.witness()
        self.assert_cosigned(w, w.add(body(0, [], self.c5)), self.c5)
        data = body(5, consistency_proof(self.leaf_hashes(self.log, 12), 5), self.c12)
        barrier = threading.Barrier(20)
        results = []
        lock = threading.Lock()

        def send():
            c = http.client.HTTPConnection(w.host, w.port, timeout=30)
            c.connect()
            barrier.wait()
            c.request("POST", "/add-checkpoint", body=data)
            r = c.getresponse()
            with lock:
                results.append((r.status, r.getheader("Content-Type"), r.read()))
            c.close()

        threads = [threading.Thread(target=send) for _ in range(20)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        self.assertEqual(sorted(s for s, _, _ in results), [200] + [409] * 19, results)
        for status, ctype, text in results:
            if status == 409:
                self.assertEqual((ctype, text), ("text/x.tlog.size", b"12\n"))

    def test_bad_input_gets_the_spec_status_and_stores_nothing(self):
        w = self.witness()
        c5 = self.c5
        text5, _ = split_note(c5)
        junk = base64.b64encode(bytes(32)).decode() + "\n"
        cases = [
            (400, b"old 0\n"),                                   # no empty line, no note
            (400, b"old 01\n\n" + c5.encode()),                  # leading zero
            (400, b"old -0\n\n" + c5.encode()),
            (400, b"old 18446744073709551616\n\n" + c5.encode()),  # beyond 2^64 - 1
            (400, b"old 9223372036854775809\n\n" + c5.encode()),   # above the checkpoint's
            (400, b"new 0\n\n" + c5.encode()),
            (400, b"old 0\nnot base64!\n\n" + c5.encode()),
            (400, ("old 3\n" + junk * 64 + "\n" + c5).encode()),  # 64 proof lines
            (400, b"old 0\n\n" + text5.encode()),                # a checkpoint with no signature
            (400, b"old 0\n\n" + c5.encode().replace(b"\n5\n", b"\n05\n")),
            (400, b"old 0\n\n\xff\xfe" + c5.encode()),           # not UTF-8
            (400, b"old 0\n\n" + c5.encode().replace(EM_DASH.encode(), b"-")),
            (422, ("old 0\n" + junk + "\n" + c5).encode()),      # a proof from 0
            (409, ("old 3\n" + junk * 63 + "\n" + c5).encode()),  # 63 lines: read, then 409
        ]
        # Signed by the log's key, or looking so: another key of the same name, the right
        # name with a wrong key ID, the right key ID with a broken signature, another log.
        cases.append((403, b"old 0\n\n" + another_key_note(self.log_key.name, text5).encode()))
        cases.append((403, b"old 0\n\n" + self.log_key.sign(text5, kid=b"\x00\x01\x02\x03")
                      .encode()))
        broken = c5.encode()
        at = broken.rindex(b" ") + 20
        broken = broken[:at] + (b"A" if broken[at:at + 1] != b"A" else b"B") + broken[at + 1:]
        cases.append((403, b"old 0\n\n" + broken))
        other = "other.example/log\n5\n" + text5.split("\n")[2] + "\n"
        cases.append((404, b"old 0\n\n" + another_key_note("other.example/log", other).encode()))
        # The empty tree with a root that is not the empty tree's.
        zero = f"{self.origin}\n0\n{text5.split(chr(10))[2]}\n"
        cases.append((422, b"old 0\n\n" + self.log_key.sign(zero).encode()))
        # A size past 2^64 - 1, properly signed.
        huge = f"{self.origin}\n18446744073709551616\n{text5.split(chr(10))[2]}\n"
        cases.append((400, b"old 0\n\n" + self.log_key.sign(huge).encode()))
        for status, data in cases:
            r = w.add(data)
            self.assertEqual(r.status, status, f"{data[:120]!r}: {r.describe()}")
            self.assertEqual(r.header("Content-Type"),
                             "text/x.tlog.size" if status == 409 else "text/plain; charset=utf-8")
            self.assertTrue(w.alive())
        # Transport and method checks.
        r = w.add(b"old 0\n\n" + c5.encode() + b"x" * (70 * 1024))
        self.assertEqual(r.status, 413, r.describe())
        self.assertEqual(w.get("/add-checkpoint").status, 405)
        self.assertEqual(w.post("/" + "0" * 64 + "/checkpoint", b"").status, 405)
        self.assertEqual(w.get("/" + "0" * 64 + "/checkpoint").status, 404)
        self.assertEqual(w.get("/").status, 404)
        # Ambiguous framing (both a length and chunks) is refused by the transport.
        raw = w.raw(b"POST /add-checkpoint HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n"
                    b"Transfer-Encoding: chunked\r\n\r\n5\r\nold 0\r\n0\r\n\r\n")
        self.assertEqual(raw[0][0], 400, raw)
        self.assertEqual(raw[0][2], b"malformed HTTP request\n")
        self.assertEqual(w.monitored(self.origin).status, 404)  # nothing was stored
        self.assert_cosigned(w, w.add(body(0, [], c5)), c5)

    def test_sizes_from_2_63_on_are_kept_exactly(self):
        w = self.witness()
        root = self.c5.split("\n")[2]
        size = (1 << 63) + 5
        checkpoint = self.log_key.sign(f"{self.origin}\n{size}\n{root}\n")
        self.assert_cosigned(w, w.add(body(0, [], checkpoint)), checkpoint)
        w.stop()
        w.start()
        self.assert_conflict(w.add(body(0, [], self.c5)), size)
        r = w.add(body(size, [], checkpoint))
        self.assertEqual(r.status, 200, r.describe())

    def test_bad_configuration_is_named(self):
        root = os.path.join(self.log.root, "badconf")
        os.makedirs(root, exist_ok=True)
        conf = os.path.join(root, "witness.toml")
        for text, expected in [
            ('name = "w"\n', "no [[log]]"),
            (f'name = "w"\n[[log]]\norigin = "{self.origin}"\nkey = "nonsense"\n',
             "not an Ed25519 note verifier key"),
            ('name = "w"\nport = 3\n', "unknown setting 'port'"),
        ]:
            with open(conf, "w", encoding="utf-8") as f:
                f.write(text)
            out = subprocess.run([harness.binary(), "witness", "serve", "--data", root,
                                  "--config", conf, "--listen", "127.0.0.1:0"],
                                 capture_output=True, text=True, timeout=30)
            self.assertEqual(out.returncode, 78, out.stderr)
            self.assertIn(expected, out.stderr)
            self.assertIn(conf, out.stderr)
        out = subprocess.run([harness.binary(), "witness", "serve", "--data", root,
                              "--listen", "127.0.0.1:0"], capture_output=True, text=True,
                             timeout=30)
        self.assertEqual(out.returncode, 78, out.stderr)
        self.assertIn(os.path.join(root, "witness.toml"), out.stderr)


if __name__ == "__main__":
    unittest.main()
