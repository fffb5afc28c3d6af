#!/usr/bin/env python3
"""tuidang as a C2SP tlog-mirror, and the log pushing to it (issue 16; docs/mirror.md).

Real processes: a `tuidang serve` with one `tuidang mirror serve` in its tuidang.toml
([[mirror]]), under submissions. The mirror's checkpoint, cosignature and tiles are checked
here with Python's `cryptography` and hashlib (tests/test_witness.py's helpers), not by the
C++. Covered: the log pushes every checkpoint and its entries, and the mirror's copy is the
log's tiles byte for byte and passes `tuidang audit <mirror>/<origin hash>`; the mirror
killed (SIGKILL) and restarted resumes from its stored copy and catches up; bad input
(malformed notes, 64 proof lines, wrong key IDs, sizes beyond 2^63, truncated entry
packages, a wrong proof, oversized bodies) gets the status code the spec names and stores
nothing. The bad input goes to a second origin whose key this test holds, so that the log's
own pushes cannot race with it.
"""
import base64
import gzip
import hashlib
import html
import json
import os
import re
import sqlite3
import struct
import subprocess
import threading
import time
import unittest

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

import harness
from test_witness import (EM_DASH, body, key_id, leaf_hash, mth, split_note,
                          verify_cosignature, verify_note_signature)

ORIGIN = "mirlog.test/log"
OTHER = "other.test/log"  # a log this test signs for itself
MIRROR_NAME = "mirror.test/m1"
ABSENT_NAME = "mirror.test/absent"  # a mirror configured in the log that never answers


def absent_mirror_vkey():
    """A cosignature verifier key whose mirror does not exist (nothing listens at its url)."""
    public = Ed25519PrivateKey.generate().public_key().public_bytes(Encoding.Raw,
                                                                   PublicFormat.Raw)
    typed = b"\x04" + public
    return f"{ABSENT_NAME}+{key_id(ABSENT_NAME, typed).hex()}+{base64.b64encode(typed).decode()}"


def run(*args, timeout=120):
    return subprocess.run([harness.binary(), *args], capture_output=True, text=True,
                          timeout=timeout)


def origin_hash(origin):
    return hashlib.sha256(origin.encode()).hexdigest()


class OwnLog:
    """A log in Python: an Ed25519 note key, entries, and signed checkpoints."""

    def __init__(self, origin):
        self.origin = origin
        self.key = Ed25519PrivateKey.generate()
        public = self.key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
        self.kid = key_id(origin, b"\x01" + public)
        typed = base64.b64encode(b"\x01" + public).decode()
        self.vkey = f"{origin}+{self.kid.hex()}+{typed}"
        self.entries = []

    def checkpoint(self, size=None, kid=None):
        size = len(self.entries) if size is None else size
        root = mth([leaf_hash(e) for e in self.entries[:size]])
        text = f"{self.origin}\n{size}\n{base64.b64encode(root).decode()}\n"
        sig = base64.b64encode((kid or self.kid) + self.key.sign(text.encode())).decode()
        return f"{text}\n{EM_DASH} {self.origin} {sig}\n"


def entries_header(origin, start, end, ticket=b""):
    o = origin.encode()
    return (struct.pack(">H", len(o)) + o + struct.pack(">QQ", start, end)
            + struct.pack(">H", len(ticket)) + ticket)


def package(entries, proof=()):
    out = b"".join(struct.pack(">H", len(e)) + e for e in entries)
    return out + bytes([len(proof)]) + b"".join(proof)


class Mirror(harness.Server):
    """A `tuidang mirror serve` on a free port, with its own data folder and mirror.toml."""

    def __init__(self, logs, name="mirror"):
        super().__init__(None, name=name, protections=True)  # writes no tuidang.toml
        os.makedirs(self.data, mode=0o700, exist_ok=True)
        keygen = run("mirror", "keygen", "--data", self.data, "--name", MIRROR_NAME, timeout=30)
        assert keygen.returncode == 0, keygen.stderr
        self.vkey = keygen.stdout.strip()
        lines = [f'name = "{MIRROR_NAME}"']
        for origin, vkey in logs:
            lines += ["[[log]]", f'origin = "{origin}"', f'key = "{vkey}"']
        with open(os.path.join(self.data, "mirror.toml"), "w", encoding="utf-8") as f:
            f.write("\n".join(lines) + "\n")

    def command(self, port):
        return [harness.binary(), "mirror", "serve", "--data", self.data,
                "--listen", f"{self.host}:{port}"]

    def post(self, path, data, headers=None):
        client = self.client()
        try:
            return client.request("POST", path, body=data, headers=headers)
        finally:
            client.close()

    def entries(self, data, headers=None):
        return self.post("/add-entries", data,
                         {"Content-Type": "application/octet-stream", **(headers or {})})

    def rows(self):
        """What the mirror has stored: rows per table, read beside the running process."""
        db = sqlite3.connect(f"file:{os.path.join(self.data, 'mirror.db')}?mode=ro", uri=True)
        try:
            return {t: db.execute(f"SELECT COUNT(*), COALESCE(SUM(width), 0) FROM {t}").fetchone()
                    if t == "tile" else db.execute(f"SELECT COUNT(*) FROM {t}").fetchone()
                    for t in ("tile", "pending_checkpoint")} | {
                "log": db.execute("SELECT origin, pending_size, mirror_size, next_entry FROM "
                                  "mirrored_log ORDER BY origin").fetchall()}
        finally:
            db.close()


class MirrorTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.servers = []
        cls.log = harness.Server({"checkpoint_interval_ms": 100, "log_origin": ORIGIN},
                                 name="mirlog")
        cls.servers.append(cls.log)
        key = run("log", "key", "--data", cls.log.data)
        assert key.returncode == 0, key.stderr
        cls.vkey = key.stdout.strip()
        cls.other = OwnLog(OTHER)
        cls.mirror = Mirror([(ORIGIN, cls.vkey), (OTHER, cls.other.vkey)])
        cls.servers.append(cls.mirror)
        cls.mirror.start()
        with open(os.path.join(cls.log.data, "tuidang.toml"), "a", encoding="utf-8") as f:
            # m1 says where its copy is read (its monitoring prefix: the root, for
            # `tuidang mirror serve`); m2 says nothing and is never reached.
            f.write(f'\n[[mirror]]\nname = "m1"\nkey = "{cls.mirror.vkey}"\n'
                    f'url = "{cls.mirror.base}"\nmonitoring_url = "{cls.mirror.base}/"\n'
                    f'\n[[mirror]]\nname = "m2"\nkey = "{absent_mirror_vkey()}"\n'
                    'url = "http://127.0.0.1:9"\n'
                    '\n[witnessing]\ntimeout_seconds = 2\nretry_max_seconds = 1\n')
        cls.log.start()
        cls.prefix = "/" + origin_hash(ORIGIN)

    @classmethod
    def tearDownClass(cls):
        for s in cls.servers:
            try:
                s.stop(expect_code=None)
            finally:
                s.cleanup()

    # -- helpers --

    def log_size(self):
        r = self.log.get("/log/checkpoint")
        self.assertEqual(r.status, 200, r.describe())
        return int(r.text.split("\n")[1])

    def mirrored(self):
        """The mirror's checkpoint of the log, its signatures checked here; (size, note)."""
        r = self.mirror.get(self.prefix + "/checkpoint")
        if r.status == 404:
            return 0, None
        self.assertEqual(r.status, 200, r.describe())
        text, sigs = split_note(r.text)
        verify_note_signature(self.vkey, text, *sigs[0])
        ours = [line for line in r.text.rpartition("\n\n")[2].splitlines(keepends=True)
                if line.startswith(f"{EM_DASH} {MIRROR_NAME} ")]
        self.assertEqual(len(ours), 1, r.text)
        verify_cosignature(self.mirror.vkey, text, ours[0])
        return int(text.split("\n")[1]), r.text

    def wait_mirrored(self, size, timeout=20):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            got, note = self.mirrored()
            if got >= size:
                return got, note
            time.sleep(0.05)
        raise AssertionError(f"the mirror did not reach size {size} (at {got}):\n"
                             f"{self.log.stderr()[-3000:]}")

    def submit(self, n, tag):
        for i in range(n):
            self.log.submit_api(f"{tag}{i}")

    def same_tiles(self, size):
        """The mirror's tiles of `size` are the log's, byte for byte (level 0 and bundles)."""
        for n in range((size + 255) // 256):
            w = min(256, size - n * 256)
            suffix = f"{n:03d}" + ("" if w == 256 else f".p/{w}")
            for kind in ("tile/0/", "tile/entries/"):
                mine = self.mirror.get(f"{self.prefix}/{kind}{suffix}")
                theirs = self.log.get(f"/log/{kind}{suffix}",
                                      headers={"Accept-Encoding": "identity"})
                self.assertEqual(mine.status, 200, mine.describe())
                self.assertEqual(mine.body, theirs.body, kind + suffix)
                # ... also under <hash>/log/, where `tuidang audit` reads a site's log.
                self.assertEqual(self.mirror.get(f"{self.prefix}/log/{kind}{suffix}").body,
                                 mine.body)

    # -- tests --

    def test_1_the_log_pushes_under_submissions_and_the_copy_audits(self):
        errors = []

        def submissions():
            try:
                for round in range(3):
                    self.submit(15, f"鏡像{round}-")
                    time.sleep(0.3)
            except Exception as e:  # reported below
                errors.append(e)

        t = threading.Thread(target=submissions)
        t.start()
        seen = set()
        while t.is_alive():
            seen.add(self.mirrored()[0])
            time.sleep(0.1)
        t.join()
        self.assertEqual(errors, [])
        size = self.log_size()
        self.assertGreaterEqual(size, 45)
        got, _ = self.wait_mirrored(size)
        self.assertEqual(got, size)
        self.assertGreater(len(seen), 1, "the mirror followed the log while it grew")
        self.same_tiles(size)
        self.assertEqual(self.mirror.get(self.prefix + "/tile/0/000.p/255").status, 404)

        audit = run("audit", self.mirror.base + self.prefix, "--vkey", self.vkey)
        self.assertEqual(audit.returncode, 0, audit.stdout + audit.stderr)
        self.assertIn(str(size), audit.stdout)
        # A wrong key fails the audit of the copy.
        wrong = run("audit", self.mirror.base + self.prefix, "--vkey", self.other.vkey,
                    "--origin", ORIGIN)
        self.assertNotEqual(wrong.returncode, 0, wrong.stdout)

    def served_mirror_line(self, note):
        """The mirror's cosignature line on a note the log served, verified here, or None."""
        text, sigs = split_note(note)
        verify_note_signature(self.vkey, text, *sigs[0])
        ours = [line for line in note.rpartition("\n\n")[2].splitlines(keepends=True)
                if line.startswith(f"{EM_DASH} {MIRROR_NAME} ")]
        if not ours:
            return None
        self.assertEqual(len(ours), 1, note)
        verify_cosignature(self.mirror.vkey, text, ours[0])
        return ours[0]

    def wait_served_with_mirror(self, size, timeout=20):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            note = self.log.get("/log/checkpoint").text
            if int(note.split("\n")[1]) >= size and self.served_mirror_line(note):
                return note
            time.sleep(0.05)
        raise AssertionError(f"/log/checkpoint of size {size} never carried the mirror's "
                             f"cosignature:\n{note}")

    def test_1b_the_log_serves_the_mirrors_cosignature(self):
        before = self.log_size()
        receipt = self.log.submit_api("鏡像連署")["receipt"]
        # The tree with this statement in it (the log may not have integrated it yet: the
        # size read now could be the one before, and a later checkpoint would then be the
        # one audited below, before the mirror has cosigned it).
        size = before + 1
        note = self.wait_served_with_mirror(size)
        # The mirror's line on the log's checkpoint is the one the mirror itself serves.
        got, mirrored = self.wait_mirrored(int(note.split("\n")[1]))
        if got == int(note.split("\n")[1]):
            self.assertEqual(self.served_mirror_line(mirrored), self.served_mirror_line(note))

        # Auditors can count the mirror in their policy: its cosignature/v1 is checked as a
        # witness's would be; a key it does not hold fails the quorum.
        audit = run("audit", self.log.base, "--vkey", self.vkey, "--witness", self.mirror.vkey,
                    "--quorum", "1")
        self.assertEqual(audit.returncode, 0, audit.stdout + audit.stderr)
        stranger = Mirror([(ORIGIN, self.vkey)], name="stranger")
        self.servers.append(stranger)
        refused = run("audit", self.log.base, "--vkey", self.vkey, "--witness", stranger.vkey,
                      "--quorum", "1")
        self.assertEqual(refused.returncode, 1, refused.stdout + refused.stderr)
        self.assertIn("lacks the witnesses' quorum", refused.stderr)

        # A receipt's tlog-proof file carries the cosigned checkpoint, the mirror's line too.
        proof = harness.post_receipt(self.log, receipt, "/proof")
        self.assertEqual(proof.status, 200, proof.describe())
        proof_file = os.path.join(self.log.root, "mirror.tlog-proof")
        with open(proof_file, "w", encoding="utf-8") as f:
            f.write(proof.text)
        self.assertIn(f"{EM_DASH} {MIRROR_NAME} ", proof.text)
        checked = run("verify-proof", proof_file, "--vkey", self.vkey, "--witness",
                      self.mirror.vkey, "--quorum", "1")
        self.assertEqual(checked.returncode, 0, checked.stdout + checked.stderr)

    # The /log page in each language: its heading, intro, and one item per mirror.
    PAGES = {
        "/log": ("镜像", "镜像保存本日志的完整副本", "于 {} 联署了上面的检查点", "；其副本：",
                 "尚未联署上面的检查点"),
        "/zh-hant/log": ("鏡像", "鏡像保存本日誌的完整副本", "於 {} 聯署了上面的檢查點",
                         "；其副本：", "尚未聯署上面的檢查點"),
        "/en/log": ("Mirrors", "Mirrors keep a whole copy of this log",
                    "cosigned the checkpoint above on {}", "; its copy:",
                    "has not cosigned the checkpoint above"),
    }

    def test_1c_the_log_page_lists_the_mirrors(self):
        self.wait_served_with_mirror(self.log_size())
        copy = f"{self.mirror.base}{self.prefix}"
        pages = {}
        for path, (title, intro, cosigned, its_copy, missing) in self.PAGES.items():
            deadline = time.monotonic() + 20
            while True:  # the page is cached briefly: it may show an older checkpoint
                page = self.log.get(path)
                self.assertEqual(page.status, 200, page.describe())
                checkpoint = html.unescape(
                    page.text.split('<pre id="checkpoint">')[1].split("</pre>")[0])
                line = self.served_mirror_line(checkpoint)
                if line or time.monotonic() > deadline:
                    break
                time.sleep(0.2)
            self.assertIsNotNone(line, f"{path} never showed a checkpoint the mirror cosigned")
            # The day of the mirror's cosignature (China Standard Time), never a finer time.
            ts = verify_cosignature(self.mirror.vkey, split_note(checkpoint)[0], line)
            day = time.strftime("%Y-%m-%d", time.gmtime(ts + 8 * 3600))
            self.assertIn(f'<h2 id="mirrors-title">{title}</h2><p>{intro}', page.text)
            section = page.text.split('<ul id="mirrors">')[1].split("</ul>")[0]
            self.assertEqual(
                section,
                f"<li><code>m1</code> ({MIRROR_NAME}): {cosigned.format(day)}{its_copy} "
                f"<code>{copy}</code></li>"
                f"<li><code>m2</code> ({ABSENT_NAME}): {missing}</li>", path)
            self.assertNotRegex(section.replace(copy, ""), r"\d:\d\d")
            self.assertNotIn(str(ts), section)
            pages[path] = page.text
        self.html_validate(pages)
        # The address the page gives is the copy an auditor reads.
        audit = run("audit", copy, "--vkey", self.vkey)
        self.assertEqual(audit.returncode, 0, audit.stdout + audit.stderr)

    def html_validate(self, pages):
        """html-validate, with test_html_checks.py's rules, finds no error in `pages`."""
        from test_html_checks import HTML_VALIDATE, HTML_VALIDATE_CONFIG, tools_missing
        if tools_missing():
            raise AssertionError("html-validate missing: run scripts/setup.sh --test")
        config = os.path.join(self.log.root, ".htmlvalidate.json")
        with open(config, "w", encoding="utf-8") as f:
            json.dump(HTML_VALIDATE_CONFIG, f)
        files = []
        for i, text in enumerate(pages.values()):
            files.append(os.path.join(self.log.root, f"log-page-{i}.html"))
            with open(files[-1], "w", encoding="utf-8") as f:
                f.write(text)
        out = subprocess.run([HTML_VALIDATE, "--config", config, *files], capture_output=True,
                             text=True, timeout=120)
        self.assertEqual(out.returncode, 0, out.stdout[-3000:] + out.stderr[-2000:])

    def test_2_killed_mirror_resumes_from_its_copy_and_catches_up(self):
        size, _ = self.wait_mirrored(self.log_size())
        stored = self.mirror.rows()
        self.mirror.kill()
        started = time.monotonic()
        self.submit(20, "鏡像停-")
        # The log's submissions do not wait for a dead mirror.
        self.assertLess(time.monotonic() - started, 10)
        deadline = time.monotonic() + 10
        while self.log_size() < size + 20 and time.monotonic() < deadline:
            time.sleep(0.05)
        self.assertEqual(self.log_size(), size + 20)
        self.mirror.start()
        # Its stored copy is served at once, before the log pushes again.
        self.assertGreaterEqual(self.mirrored()[0], size)
        self.assertGreaterEqual(stored["tile"][0], 1)
        got, _ = self.wait_mirrored(size + 20)
        self.assertEqual(got, size + 20)
        self.same_tiles(got)
        audit = run("audit", self.mirror.base + self.prefix + "/", "--vkey", self.vkey)
        self.assertEqual(audit.returncode, 0, audit.stdout + audit.stderr)

    def test_3_bad_input_gets_the_specs_status_and_stores_nothing(self):
        m, own = self.mirror, self.other
        own.entries = [f"own entry {i}".encode() for i in range(10)]
        cp10 = own.checkpoint()
        add = lambda data: m.post("/add-checkpoint", data)
        # add-entries before any pending checkpoint of the origin: 422.
        r = m.entries(entries_header(OTHER, 0, 10) + package(own.entries))
        self.assertEqual(r.status, 422, r.describe())
        before = m.rows()

        cases = [
            (add(b"old 0\n\nnot a checkpoint\n"), 400),
            (add(body(0, [bytes(32)] * 64, cp10)), 400),               # 64 proof lines
            (add(body(2**63 + 1, [], cp10)), 400),                     # old beyond the size
            (add(b"old 18446744073709551616\n\n" + cp10.encode()), 400),  # beyond 2^64 - 1
            (add(body(0, [], own.checkpoint(kid=b"\0\0\0\0"))), 403),  # wrong key ID
            (add(body(0, [], OwnLog("nobody.test/log").checkpoint())), 404),
            (add(b"old 0\n\n" + b"x" * (65 << 10)), 413),
            (m.entries(b"\x00\x05oth"), 400),                           # truncated header
            (m.entries(entries_header("nobody.test/log", 0, 10)), 404),
        ]
        for r, status in cases:
            self.assertEqual(r.status, status, r.describe())
        self.assertEqual(m.rows(), before, "a refused request stored something")

        r = add(body(0, [], cp10))
        self.assertEqual((r.status, r.body), (200, b""), r.describe())
        stored = m.rows()
        good = entries_header(OTHER, 0, 10) + package(own.entries)
        bad_entry = entries_header(OTHER, 0, 10) + package([b"forged"] + own.entries[1:])
        for data, status, info in [
            (good[:-3], 400, None),                                    # truncated package
            (good[:len(entries_header(OTHER, 0, 10)) + 5], 400, None),
            (bad_entry, 422, None),                                    # the proof fails
            (good + b"\0", 400, None),                                 # bytes after it
            (entries_header(OTHER, 6, 5), 400, None),                  # start above end
            (entries_header(OTHER, 0, 2**63 + 10), 409, "10\n0\n\n"),  # not a pending size
            (entries_header(OTHER, 0, 2**64 - 1), 409, "10\n0\n\n"),
            (entries_header(OTHER, 5, 10) + package(own.entries[5:]), 409, "10\n0\n\n"),
        ]:
            r = m.entries(data)
            self.assertEqual(r.status, status, r.describe())
            if info is not None:
                self.assertEqual(r.header("Content-Type"), "text/x.tlog.mirror-info")
                self.assertEqual(r.text, info)
        r = m.entries(good, {"Content-Type": "text/plain"})
        self.assertEqual(r.status, 415, r.describe())
        # Oversized: refused on its Content-Length, before the body is read.
        resp, raw, _ = harness.raw_exchange(
            m.host, m.port,
            (b"POST /add-entries HTTP/1.1\r\nHost: x\r\nContent-Type: application/octet-stream"
             b"\r\nContent-Length: 40000000\r\n\r\n" + good))
        self.assertIsNotNone(resp, raw)
        self.assertEqual(resp[0], 413, raw)
        self.assertEqual(m.rows(), stored, "a refused request stored something")
        self.assertEqual(m.get(f"/{origin_hash(OTHER)}/checkpoint").status, 404)

        # The good upload, gzip-compressed as the spec recommends: 200 and a cosignature.
        r = m.entries(gzip.compress(good), {"Content-Encoding": "gzip"})
        self.assertEqual(r.status, 200, r.describe())
        self.assertIn("gzip", r.header("Accept-Encoding", ""))
        text = cp10.rpartition("\n\n")[0] + "\n"
        verify_cosignature(m.vkey, text, r.text)
        served = m.get(f"/{origin_hash(OTHER)}/checkpoint")
        self.assertEqual(served.status, 200)
        self.assertTrue(served.text.startswith(cp10), served.text)
        bundle = m.get(f"/{origin_hash(OTHER)}/tile/entries/000.p/10")
        self.assertEqual(bundle.body, b"".join(struct.pack(">H", len(e)) + e
                                               for e in own.entries))
        # The log's own copy was untouched by all this.
        self.assertEqual(self.mirrored()[0], self.log_size())


if __name__ == "__main__":
    unittest.main()
