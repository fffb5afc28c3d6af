#!/usr/bin/env python3
"""The Debian package as an administrator meets it (issue 17, docs/deploy.md).

Builds tuidang_<version>-1_amd64.deb from the tested build with CPack, installs it with
dpkg on this machine, checks its files, the system user, the data folder's permissions and
the systemd units of the server, the witness and the mirror (systemd-analyze verify, and
security --offline rated 1.5 or lower),
starts the installed binary as the tuidang user with the unit's own command line and
submits a statement, then removes the package (the data folder stays), reinstalls it (the
statement is still there), purges it and checks that nothing is left.

Needs root (dpkg) and a machine where no other tuidang package is installed; CI is one.
"""
import configparser
import grp
import json
import os
import pwd
import re
import shlex
import shutil
import signal
import stat
import subprocess
import tempfile
import time
import unittest
import urllib.error
import urllib.request

import harness

UNIT = "/lib/systemd/system/tuidang.service"
DATA = "/var/lib/tuidang"
WITNESS_UNIT = "/lib/systemd/system/tuidang-witness.service"
WITNESS_DATA = "/var/lib/tuidang-witness"
MIRROR_UNIT = "/lib/systemd/system/tuidang-mirror.service"
MIRROR_DATA = "/var/lib/tuidang-mirror"
# docs/deploy.md, "The Debian package", says why each of these remains.
EXPLAINED_LINTIAN_TAGS = {"initial-upload-closes-no-bugs", "binary-has-unneeded-section",
                          "package-supports-alternative-init-but-no-init.d-script"}


def run(*args, check=True, **kw):
    return subprocess.run(list(args), check=check, capture_output=True, text=True, **kw)


def installed():
    r = run("dpkg-query", "-W", "-f=${Status}", "tuidang", check=False)
    return "installed" in r.stdout or "config-files" in r.stdout


def unit_exec_start(unit=UNIT):
    """The unit's ExecStart, split as systemd would (no specifiers are used in it)."""
    parser = configparser.ConfigParser(strict=False, interpolation=None)
    parser.optionxform = str
    with open(unit) as f:
        parser.read_string(f.read())
    return shlex.split(parser["Service"]["ExecStart"])


@unittest.skipUnless(os.geteuid() == 0 and shutil.which("dpkg"), "needs root and dpkg")
class PackageTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        build = os.path.dirname(harness.binary())
        cls.work = tempfile.mkdtemp(prefix="tuidang-package.")
        if installed():
            run("dpkg", "--purge", "tuidang")
        r = run("cpack", "-G", "DEB", "--config", os.path.join(build, "CPackConfig.cmake"),
                "-B", cls.work, check=False)
        if r.returncode != 0:
            raise AssertionError(f"cpack failed:\n{r.stdout}\n{r.stderr}")
        debs = [f for f in os.listdir(cls.work) if f.endswith(".deb")]
        assert len(debs) == 1, debs
        cls.deb = os.path.join(cls.work, debs[0])

    @classmethod
    def tearDownClass(cls):
        if installed():
            run("dpkg", "--purge", "tuidang", check=False)
        shutil.rmtree(cls.work, ignore_errors=True)

    def install(self):
        r = run("dpkg", "-i", self.deb, check=False)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)

    def serve_as_unit(self, port):
        """The unit's command line, run as its user with its umask; returns the process."""
        # The listen address is the only change, made the way an administrator makes it:
        # in the data folder's tuidang.toml.
        cmd = unit_exec_start()
        self.assertEqual(cmd[:2], ["/usr/bin/tuidang", "serve"])
        self.assertIn("--data", cmd)
        self.assertEqual(cmd[cmd.index("--data") + 1], DATA)
        config = os.path.join(DATA, "tuidang.toml")
        if not os.path.exists(config):
            run("setpriv", "--reuid=tuidang", "--regid=tuidang", "--init-groups", "--",
                "/usr/bin/tuidang", "init", "--data", DATA)
        with open(config) as f:
            text = f.read()
        text = re.sub(r'(?m)^listen = ".*"$', f'listen = "127.0.0.1:{port}"', text)
        with open(config, "w") as f:
            f.write(text)
        # setpriv executes the server itself (runuser would stay as its parent).
        proc = subprocess.Popen(["setpriv", "--reuid=tuidang", "--regid=tuidang",
                                 "--init-groups", "--"] + cmd,
                                stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                                preexec_fn=lambda: os.umask(0o077))
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2).read()
                return proc
            except OSError:
                if proc.poll() is not None:
                    self.fail(f"the installed server exited: {proc.stderr.read()}")
                time.sleep(0.1)
        proc.kill()
        self.fail("the installed server did not answer /healthz")

    def as_tuidang(self, *args):
        return run("setpriv", "--reuid=tuidang", "--regid=tuidang", "--init-groups", "--",
                   *args, check=False)

    def cosigner_as_unit(self, kind, unit, data, name, checkpoint, answered, files):
        """The unit of `tuidang <kind> serve` (witness or mirror), its command line run as its
        user, configured as docs/<kind>.md says (`<kind> keygen`, then <kind>.toml naming the
        installed server's log), answers add-checkpoint with the installed server's
        `checkpoint`; `answered(status, body)` checks the answer. Its data folder then holds
        `files` (at least), all owned by tuidang and private."""
        cmd = unit_exec_start(unit)
        self.assertEqual(cmd[:3], ["/usr/bin/tuidang", kind, "serve"])
        self.assertEqual(cmd[cmd.index("--data") + 1], data)
        r = self.as_tuidang("/usr/bin/tuidang", kind, "keygen", "--data", data, "--name", name)
        self.assertEqual(r.returncode, 0, r.stderr)
        r = self.as_tuidang("/usr/bin/tuidang", "log", "key", "--data", DATA)
        self.assertEqual(r.returncode, 0, r.stderr)
        log_vkey = r.stdout.strip()
        origin = checkpoint.split("\n")[0]
        port = harness.free_port()
        config = os.path.join(data, f"{kind}.toml")
        with open(config, "w") as f:
            f.write(f'name = "{name}"\nlisten = "127.0.0.1:{port}"\n'
                    f'[[log]]\norigin = "{origin}"\nkey = "{log_vkey}"\n')
        os.chown(config, pwd.getpwnam("tuidang").pw_uid, grp.getgrnam("tuidang").gr_gid)
        os.chmod(config, 0o600)
        proc = subprocess.Popen(["setpriv", "--reuid=tuidang", "--regid=tuidang",
                                 "--init-groups", "--"] + cmd,
                                stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                                preexec_fn=lambda: os.umask(0o077))
        try:
            deadline = time.monotonic() + 20
            while True:
                try:
                    req = urllib.request.Request(f"http://127.0.0.1:{port}/add-checkpoint",
                                                 ("old 0\n\n" + checkpoint).encode())
                    with urllib.request.urlopen(req, timeout=5) as resp:
                        answered(resp.status, resp.read())
                    break
                except urllib.error.URLError as e:
                    if isinstance(e, urllib.error.HTTPError) or proc.poll() is not None:
                        self.fail(f"the installed {kind} refused or exited: {e}")
                    if time.monotonic() > deadline:
                        self.fail(f"the installed {kind} did not answer")
                    time.sleep(0.1)
        finally:
            self.stop(proc)
        user = pwd.getpwnam("tuidang")
        names = os.listdir(data)
        self.assertTrue(set(files) <= set(names), names)
        for file in names:
            st = os.lstat(os.path.join(data, file))
            self.assertEqual(st.st_uid, user.pw_uid, file)
            self.assertEqual(stat.S_IMODE(st.st_mode) & 0o077, 0, file)

    def witness_as_unit(self, checkpoint):
        """The witness unit cosigns the installed server's checkpoint."""
        name = "witness.test.example/w1"

        def cosigned(status, body):
            self.assertEqual(status, 200)
            self.assertTrue(body.decode().startswith(f"\u2014 {name} "), body)

        self.cosigner_as_unit("witness", WITNESS_UNIT, WITNESS_DATA, name, checkpoint, cosigned,
                              {"witness.key", "witness.toml", "witness.db"})

    def mirror_as_unit(self, checkpoint):
        """The mirror unit takes the installed server's checkpoint as its pending one."""

        def pending(status, body):
            # A mirror never cosigns on add-checkpoint: 200, empty body.
            self.assertEqual((status, body), (200, b""))

        self.cosigner_as_unit("mirror", MIRROR_UNIT, MIRROR_DATA, "mirror.test.example/m1",
                              checkpoint, pending, {"mirror.key", "mirror.toml", "mirror.db"})

    def stop(self, proc):
        proc.send_signal(signal.SIGTERM)
        code = proc.wait(30)
        err = proc.stderr.read()
        proc.stderr.close()
        self.assertEqual(code, 0, err)

    def test_install_serve_remove_purge(self):
        self.install()
        # Files where Debian puts them.
        for path, mode in (("/usr/bin/tuidang", 0o755), (UNIT, 0o644),
                           ("/usr/share/man/man1/tuidang.1.gz", 0o644),
                           ("/usr/share/doc/tuidang/copyright", 0o644),
                           ("/usr/share/doc/tuidang/changelog.Debian.gz", 0o644)):
            st = os.stat(path)
            self.assertEqual(stat.S_IMODE(st.st_mode), mode, path)
            self.assertEqual(st.st_uid, 0, path)
        for lang in ("en", "zh_CN", "zh_TW"):
            self.assertTrue(os.path.isfile(
                f"/usr/share/tuidang/locale/{lang}/LC_MESSAGES/tuidang.mo"), lang)
        examples = set(os.listdir("/usr/share/doc/tuidang/examples"))
        self.assertTrue({"nginx-tuidang.conf", "nginx-main.conf", "tuidang-behind-nginx.toml",
                         "torrc", "postfix-master.cf", "postfix-transport"} <= examples, examples)
        with open("/usr/share/doc/tuidang/examples/nginx-tuidang.conf") as f:
            self.assertIn("proxy_bind 127.0.0.2;", f.read())
        r = run("/usr/bin/tuidang", "--version")
        self.assertRegex(r.stdout, r"^tuidang \d+\.\d+\.\d+\n$")
        r = run("man", "-P", "cat", "tuidang", check=False, env={**os.environ, "MANWIDTH": "80"})
        if shutil.which("man"):
            self.assertIn("mail-intake", r.stdout)

        # The system user and the owner-only data folder.
        user = pwd.getpwnam("tuidang")
        self.assertLess(user.pw_uid, 1000)
        self.assertEqual(user.pw_dir, DATA)
        self.assertIn(user.pw_shell, ("/usr/sbin/nologin", "/bin/false"))
        self.assertEqual(grp.getgrgid(user.pw_gid).gr_name, "tuidang")
        st = os.stat(DATA)
        self.assertEqual((stat.S_IMODE(st.st_mode), st.st_uid), (0o700, user.pw_uid))

        # Enabled as Debian enables services (started too where systemd runs).
        wants = "/etc/systemd/system/multi-user.target.wants/tuidang.service"
        self.assertEqual(os.readlink(wants), UNIT)
        # lintian: nothing beyond the tags docs/deploy.md explains.
        if shutil.which("lintian"):
            r = run("lintian", "--tag-display-limit", "0", "-I", self.deb, check=False)
            tags = set(re.findall(r"^[EWI]: tuidang: ([a-z0-9.+-]+)", r.stdout, re.M))
            self.assertTrue(tags <= EXPLAINED_LINTIAN_TAGS, r.stdout + r.stderr)
        # The unit: valid, and sandboxed to 1.5 or lower.
        # The units (the witness's and the mirror's installed, not enabled): valid,
        # sandboxed to 1.5 or lower.
        for name, data in (("tuidang-witness", WITNESS_DATA), ("tuidang-mirror", MIRROR_DATA)):
            self.assertFalse(os.path.exists(
                f"/etc/systemd/system/multi-user.target.wants/{name}.service"))
            st = os.stat(data)
            self.assertEqual((stat.S_IMODE(st.st_mode), st.st_uid), (0o700, user.pw_uid))
        for unit in (UNIT, WITNESS_UNIT, MIRROR_UNIT):
            self.assertEqual(stat.S_IMODE(os.stat(unit).st_mode), 0o644, unit)
            r = run("systemd-analyze", "verify", unit, check=False)
            self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
            r = run("systemd-analyze", "security", "--offline=yes", unit, check=False)
            m = re.search(r"Overall exposure level for [a-z-]+\.service: (\d+\.\d+) (\w+)",
                          r.stdout)
            self.assertIsNotNone(m, r.stdout + r.stderr)
            self.assertLessEqual(float(m.group(1)), 1.5, unit + "\n" + r.stdout)

        # Served as the unit serves it: a statement in, acknowledged.
        port = harness.free_port()
        proc = self.serve_as_unit(port)
        try:
            body = json.dumps({"name": "包裹测试", "organisations": ["party"],
                               "text": "我自愿退出。"}).encode()
            req = urllib.request.Request(f"http://127.0.0.1:{port}/api/v1/statements", body,
                                         {"Content-Type": "application/json"})
            with urllib.request.urlopen(req, timeout=10) as resp:
                self.assertEqual(resp.status, 201)
                answer = json.load(resp)
                receipt = answer["receipt"]
                # The shipped defaults hold a scriptless API statement (no proof of work).
                self.assertIn(answer["status"], ("accepted", "held", "published"))
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/log/checkpoint",
                                        timeout=10) as resp:
                checkpoint = resp.read().decode()
        finally:
            self.stop(proc)
        self.witness_as_unit(checkpoint)
        self.mirror_as_unit(checkpoint)
        # Everything the server wrote is the tuidang user's and nobody else's.
        for root, dirs, files in os.walk(DATA):
            for name in dirs + files:
                st = os.lstat(os.path.join(root, name))
                self.assertEqual(st.st_uid, user.pw_uid, name)
                self.assertEqual(stat.S_IMODE(st.st_mode) & 0o077, 0, name)

        # Remove keeps the data; a reinstall finds the statement again.
        r = run("dpkg", "-r", "tuidang", check=False)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertFalse(os.path.exists("/usr/bin/tuidang"))
        self.assertTrue(os.path.isfile(os.path.join(DATA, "tuidang.db")))
        self.install()
        proc = self.serve_as_unit(port)
        try:
            digits = harness.receipt_digits(receipt)
            with urllib.request.urlopen(
                    f"http://127.0.0.1:{port}/api/v1/receipts/{digits}", timeout=10) as resp:
                self.assertEqual(json.load(resp)["status"], answer["status"])
        finally:
            self.stop(proc)

        # Purge asks nothing and leaves nothing.
        r = run("dpkg", "--purge", "tuidang", check=False, stdin=subprocess.DEVNULL)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertFalse(installed())
        for path in ("/usr/bin/tuidang", UNIT, DATA, WITNESS_UNIT, WITNESS_DATA, MIRROR_UNIT,
                     MIRROR_DATA,
                     "/usr/share/tuidang", wants,
                     "/usr/share/doc/tuidang", "/usr/share/man/man1/tuidang.1.gz"):
            self.assertFalse(os.path.exists(path), path)
        with self.assertRaises(KeyError):
            pwd.getpwnam("tuidang")
        with self.assertRaises(KeyError):
            grp.getgrnam("tuidang")


if __name__ == "__main__":
    unittest.main()
