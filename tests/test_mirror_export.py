#!/usr/bin/env python3
"""`tuidang export --log-from`: the static export's log folder from a mirror's copy (issue 16;
docs/export.md, "The log alone, from a mirror's copy").

Real processes: a `tuidang serve` (300 statements imported before it starts, so that the log
has a full tile, then a few submissions) pushing to one `tuidang mirror serve`. The log is
copied from the mirror over HTTP (its monitoring prefix and the origin's hash) and from the
mirror's data folder; each copy is the log's files byte for byte, passes `tuidang audit` (the
mirror's cosignature counted with --witness), and, served by a web server under the origin's
hash, passes `tuidang audit` over HTTP too. A second copy into the same folder reads its full
tiles there and fetches only what is new, a withdrawal included. Refused, each with the folder unchanged: a copy
with a forged entry bundle, a copy smaller than the folder's, a wrong key, a folder holding
a site export, and options that do not go together.
"""
import functools
import hashlib
import http.server
import os
import shutil
import tempfile
import threading
import time
import unittest

import harness
from test_import import OPERATOR, add_operator
from test_mirror import Mirror, OwnLog, origin_hash, run
from test_witness import EM_DASH

ORIGIN = "mirexport.test/log"
IMPORTED = 300


def tree(folder):
    """Every file under `folder`, path -> SHA-256 hex."""
    out = {}
    for root, _, files in os.walk(folder):
        for name in files:
            path = os.path.join(root, name)
            with open(path, "rb") as f:
                out[os.path.relpath(path, folder)] = hashlib.sha256(f.read()).hexdigest()
    return out


def tile_paths(size):
    """The paths of a tree of `size` leaves' tiles and bundles, as the log serves them."""
    paths, level = [], 0
    while size >> (8 * level):  # C2SP tlog-tiles: a level exists while it has a hash
        width = size >> (8 * level)
        for n in range((width + 255) // 256):  # three digits suffice for these sizes
            w = min(256, width - n * 256)
            suffix = f"{n:03d}" if w == 256 else f"{n:03d}.p/{w}"
            paths.append(f"tile/{level}/{suffix}")
            if level == 0:
                paths.append(f"tile/entries/{suffix}")
        level += 1
    return paths


class Folder:
    """A folder served over HTTP by a thread of this process (a web host, or a forged mirror)."""

    def __init__(self, root):
        handler = functools.partial(Quiet, directory=root)
        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.base = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()


class Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


class MirrorExportTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.servers, cls.folders = [], []
        cls.root = tempfile.mkdtemp(prefix="mirror-export-")
        cls.log = harness.Server({"checkpoint_interval_ms": 100, "log_origin": ORIGIN},
                                 name="mexlog")
        cls.servers.append(cls.log)
        r = run("init", "--data", cls.log.data)
        assert r.returncode == 0, r.stderr
        add_operator(cls.log.data)
        sheet = os.path.join(cls.root, "sheet.csv")
        with open(sheet, "w", encoding="utf-8") as f:
            f.write("姓名,组织\n" + "".join(f"鏡像導出{i},党\n" for i in range(IMPORTED)))
        r = run("import", sheet, "--channel", "sheet", "--operator", OPERATOR,
                "--data", cls.log.data)
        assert r.returncode == 0, r.stdout + r.stderr
        key = run("log", "key", "--data", cls.log.data)
        assert key.returncode == 0, key.stderr
        cls.vkey = key.stdout.strip()
        cls.mirror = Mirror([(ORIGIN, cls.vkey)], name="mexmirror")
        cls.servers.append(cls.mirror)
        cls.mirror.start()
        with open(os.path.join(cls.log.data, "tuidang.toml"), "a", encoding="utf-8") as f:
            f.write(f'\n[[mirror]]\nname = "m1"\nkey = "{cls.mirror.vkey}"\n'
                    f'url = "{cls.mirror.base}"\nmonitoring_url = "{cls.mirror.base}"\n'
                    '\n[witnessing]\ntimeout_seconds = 2\nretry_max_seconds = 1\n')
        cls.log.start()
        cls.hash = origin_hash(ORIGIN)
        cls.copy_url = f"{cls.mirror.base}/{cls.hash}"

    @classmethod
    def tearDownClass(cls):
        for f in cls.folders:
            f.close()
        for s in cls.servers:
            try:
                s.stop(expect_code=None)
            finally:
                s.cleanup()
        shutil.rmtree(cls.root, ignore_errors=True)

    # -- helpers --

    def mirrored_size(self, at_least, timeout=30):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            r = self.mirror.get(f"/{self.hash}/checkpoint")
            if r.status == 200 and int(r.text.split("\n")[1]) >= at_least:
                return int(r.text.split("\n")[1])
            time.sleep(0.1)
        raise AssertionError(f"the mirror never held {at_least} entries")

    def settled(self, at_least):
        """Waits until the mirror holds the log's latest tree (>= at_least); its size."""
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            size = self.mirrored_size(at_least)
            logged = int(self.log.get("/log/checkpoint").text.split("\n")[1])
            if size == logged:
                return size
            time.sleep(0.1)
        raise AssertionError("the mirror did not catch up with the log")

    def export(self, source, out, vkey=None):
        return run("export", "--log-from", source, "--vkey", vkey or self.vkey, "--out", out)

    def folder(self, name):
        return os.path.join(self.root, name)

    def assert_is_the_logs(self, out, size):
        """out/log holds exactly the log's files of `size`, byte for byte, the checkpoint the
        mirror's (the log's signature and the mirror's cosignature)."""
        files = {p for p in tree(out)}
        want = {"log/checkpoint"} | {f"log/{p}" for p in tile_paths(size)}
        self.assertEqual(files, want)
        for p in tile_paths(size):
            theirs = self.log.get(f"/log/{p}", headers={"Accept-Encoding": "identity"})
            self.assertEqual(theirs.status, 200, p)
            with open(os.path.join(out, "log", p), "rb") as f:
                self.assertEqual(f.read(), theirs.body, p)
        with open(os.path.join(out, "log", "checkpoint"), encoding="utf-8") as f:
            checkpoint = f.read()
        self.assertEqual(int(checkpoint.split("\n")[1]), size)
        self.assertIn(f"\n{EM_DASH} {ORIGIN} ", checkpoint)
        self.assertIn(f"\n{EM_DASH} mirror.test/m1 ", checkpoint)
        audit = run("audit", out, "--vkey", self.vkey, "--witness", self.mirror.vkey,
                    "--quorum", "1")
        self.assertEqual(audit.returncode, 0, audit.stdout + audit.stderr)
        self.assertIn(str(size), audit.stdout)

    def assert_refused(self, out, result, message, code=1):
        before = tree(out)
        got = result()
        self.assertEqual(got.returncode, code, got.stdout + got.stderr)
        self.assertIn(message, got.stderr)
        self.assertEqual(tree(out), before, "the folder changed")
        return got

    # -- tests --

    def test_1_copies_from_the_mirror_over_http_and_from_its_data_folder(self):
        size = self.settled(IMPORTED)
        over_http = os.path.join(self.folder("www"), self.hash)  # served below, under the hash
        r = self.export(self.copy_url, over_http)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertIn(f"tree size {size}", r.stdout)
        self.assertIn(f"verified against {ORIGIN}", r.stdout)
        self.assert_is_the_logs(over_http, size)

        # From the mirror's data folder, beside the running mirror: the same bytes.
        from_db = self.folder("from-db")
        r = self.export(self.mirror.data, from_db)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        if self.mirrored_size(size) == size:
            self.assertEqual(tree(from_db), tree(over_http))
        with open(os.path.join(from_db, "log", "checkpoint"), encoding="utf-8") as f:
            self.assert_is_the_logs(from_db, int(f.read().split("\n")[1]))

        # Any web host serves it; under the origin's hash, `audit` reads it as a mirror's copy.
        www = Folder(self.folder("www"))
        self.folders.append(www)
        audit = run("audit", f"{www.base}/{self.hash}", "--vkey", self.vkey)
        self.assertEqual(audit.returncode, 0, audit.stdout + audit.stderr)

    def test_2_a_second_copy_fetches_only_what_is_new(self):
        out = self.folder("growing")
        first = self.settled(IMPORTED)
        r = self.export(self.copy_url, out)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        snapshot = self.folder("growing-old")
        shutil.copytree(out, snapshot)
        full = {p for p in tile_paths(first) if ".p/" not in p}
        self.assertEqual(full, {"tile/0/000", "tile/entries/000"})
        stamps = {p: os.stat(os.path.join(out, "log", p)).st_mtime_ns for p in full}

        # A withdrawal (the audit reads the cancelled leaf's tile again: from the folder) and
        # three statements.
        number = self.log.day_statements()[-1]["number"]
        w = run("withdraw", str(number), "--reason", "danger", "--data", self.log.data)
        self.assertEqual(w.returncode, 0, w.stdout + w.stderr)
        for i in range(3):
            self.assertIn("receipt", self.log.submit_api(f"增量{i}"))
        second = self.settled(first + 4)
        r = self.export(self.copy_url, out)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertIn(f"tree size {second}, extending size {first}", r.stdout)
        self.assertIn("2 full tiles kept", r.stdout)
        # The checkpoint and the partial tiles of the new size, nothing else, from the mirror.
        new_partials = [p for p in tile_paths(second) if ".p/" in p]
        self.assertIn(f"({len(new_partials) + 1} files read from the copy", r.stdout)
        for p, stamp in stamps.items():
            self.assertEqual(os.stat(os.path.join(out, "log", p)).st_mtime_ns, stamp, p)
        # The previous checkpoint's partial tiles stay one copy more (a reader may hold it).
        kept = {f"log/{p}" for p in tile_paths(first) + tile_paths(second)} | {"log/checkpoint"}
        self.assertEqual(set(tree(out)), kept)
        audit = run("audit", out, "--vkey", self.vkey)
        self.assertEqual(audit.returncode, 0, audit.stdout + audit.stderr)
        self.assertIn(f"tree size {second}", audit.stdout)
        self.assertIn(f"{IMPORTED + 3 - 1} statements", audit.stdout)
        self.assertIn("1 withdrawals", audit.stdout)

        # A copy smaller than the folder's (an old copy, a mirror rolled back) is refused.
        old = Folder(self.folder("growing-old"))
        self.folders.append(old)
        got = self.assert_refused(out, lambda: self.export(old.base, out), "the log shrank")
        self.assertIn(f"the folder's checkpoint ({out}/log/checkpoint) has tree size {second}",
                      got.stderr)

        # One more: the oldest partial tiles go.
        self.assertIn("receipt", self.log.submit_api("增量3"))
        third = self.settled(second + 1)
        r = self.export(self.copy_url, out)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        kept = {f"log/{p}" for p in tile_paths(second) + tile_paths(third)} | {"log/checkpoint"}
        self.assertEqual(set(tree(out)), kept)
        self.assertFalse(os.path.exists(os.path.join(out, ".log-copy-tmp")))

    def test_3_forgeries_wrong_keys_and_bad_options_are_refused(self):
        size = self.settled(IMPORTED)
        good = self.folder("good")
        r = self.export(self.copy_url, good)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        # A forged mirror: one statement's entry changed by one byte in the full bundle.
        forged_root = self.folder("forged")
        shutil.copytree(good, forged_root)
        bundle = os.path.join(forged_root, "log", "tile", "entries", "000")
        with open(bundle, "r+b") as f:
            f.seek(40)
            byte = f.read(1)
            f.seek(40)
            f.write(bytes([byte[0] ^ 1]))
        forged = Folder(forged_root)
        self.folders.append(forged)
        fresh = self.folder("fresh")
        self.assert_refused(fresh, lambda: self.export(forged.base, fresh), "tile mismatch")
        self.assertFalse(os.path.exists(os.path.join(fresh, "log")))
        # Into a folder holding a good copy (its bundles gone, so that they come from the
        # forger: the folder's full tiles are read from it): refused, nothing replaced.
        shutil.rmtree(os.path.join(good, "log", "tile", "entries"))
        self.assert_refused(good, lambda: self.export(forged.base, good), "tile mismatch")
        self.assertFalse(os.path.exists(os.path.join(good, ".log-copy-tmp")))

        # A key that did not sign the copy (the same origin), and one that is not a key.
        self.assert_refused(fresh, lambda: self.export(self.copy_url, fresh,
                                                       OwnLog(ORIGIN).vkey), "bad signature")
        self.assert_refused(fresh, lambda: self.export(self.copy_url, fresh,
                                                       ORIGIN + "+00000000+AQ"), "--vkey", 64)

        # A folder holding a site export: its signed manifest would no longer match.
        site = self.folder("site")
        os.makedirs(site)
        with open(os.path.join(site, "manifest.txt"), "w", encoding="utf-8") as f:
            f.write("")
        self.assert_refused(site, lambda: self.export(self.copy_url, site), "site export")

        # Options: no key, site options, a source that is neither a URL nor a mirror's folder.
        for args, code, message in [
            (["--log-from", self.copy_url, "--out", fresh], 64, "--vkey"),
            (["--log-from", self.copy_url, "--vkey", self.vkey, "--out", fresh,
              "--data", self.log.data], 64, "copies the log alone"),
            (["--log-from", self.copy_url, "--vkey", self.vkey, "--out", fresh, "--full"], 64,
             "copies the log alone"),
            (["--log-from", self.log.data, "--vkey", self.vkey, "--out", fresh], 66,
             "no mirror.db"),
            (["--log-from", "ftp://mirror.example", "--vkey", self.vkey, "--out", fresh], 66,
             "neither"),
            (["--data", self.log.data, "--vkey", self.vkey, "--out", fresh], 64,
             "go with --log-from"),
        ]:
            self.assert_refused(fresh, lambda: run("export", *args), message, code)
        self.assertFalse(os.path.exists(os.path.join(fresh, "log")))
        self.assertGreaterEqual(size, IMPORTED)


if __name__ == "__main__":
    unittest.main(verbosity=2)
