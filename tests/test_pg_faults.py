#!/usr/bin/env python3
"""Faults with real processes (issue 14): three `tuidang serve` on one PostgreSQL, one log.

(a) Under load from many connections, one server is killed with SIGKILL, then the one
    integrating: every acknowledged statement is stored, published and counted once, the
    numbers have no gap or duplicate, `tuidang audit --state` accepts every checkpoint
    across the failover, and a new checkpoint follows the integrator's death within seconds.
(b) PostgreSQL stopped with `pg_ctl stop -m immediate` under load and started again:
    submissions answer 503 with Retry-After while it is down (never a 201, no crash, pages
    answer rather than hang), the servers reconnect by themselves, nothing acknowledged is
    lost.
(c) The integrating backend blocked in the middle of writing tiles (the test holds a lock on
    the tile it rewrites), terminated with pg_terminate_backend; then the next integrator
    paused (SIGSTOP) mid-transaction: no partial or stale checkpoint is ever served, another
    server takes over, and the resumed one goes on with the log the others published.

Runs under scripts/pg-cluster.sh run (TUIDANG_TEST_POSTGRES, TUIDANG_TEST_POSTGRES_BIN and
_DIR); without them the test fails.
"""
import http.client
import os
import random
import re
import shutil
import signal
import subprocess
import tempfile
import threading
import time
import unittest

import harness

PG_URL = os.environ.get("TUIDANG_TEST_POSTGRES", "")
PG_BIN = os.environ.get("TUIDANG_TEST_POSTGRES_BIN", "")
PG_DIR = os.environ.get("TUIDANG_TEST_POSTGRES_DIR", "")
SERVERS = 3


def require_cluster():
    if not (PG_URL and PG_BIN and PG_DIR):
        raise AssertionError("TUIDANG_TEST_POSTGRES(_BIN, _DIR) not set: run under "
                             "scripts/pg-cluster.sh run")


psql = harness.psql


def as_owner(args):
    """Runs a PostgreSQL server tool as the cluster's owner (nobody when we are root)."""
    if os.getuid() == 0:
        args = ["runuser", "-u", "nobody", "--"] + args
    return subprocess.run(args, capture_output=True, text=True, timeout=90)


def pg_stop_immediate():
    out = as_owner([os.path.join(PG_BIN, "pg_ctl"), "-D", os.path.join(PG_DIR, "data"),
                    "-m", "immediate", "-w", "stop"])
    if out.returncode != 0:
        raise AssertionError(f"pg_ctl stop: {out.stderr}")


def pg_start():
    with open(os.path.join(PG_DIR, "port")) as f:
        port = f.read().strip()
    opts = (f"-c listen_addresses=127.0.0.1 -c port={port} -c unix_socket_directories='{PG_DIR}'"
            " -c max_connections=200 -c fsync=on -c synchronous_commit=on")
    out = as_owner([os.path.join(PG_BIN, "pg_ctl"), "-D", os.path.join(PG_DIR, "data"), "-l",
                    os.path.join(PG_DIR, "server.log"), "-w", "-t", "60", "-o", opts, "start"])
    if out.returncode != 0:
        raise AssertionError(f"pg_ctl start: {out.stderr}{out.stdout}")


def pg_running():
    return os.path.exists(os.path.join(PG_DIR, "data", "postmaster.pid"))


class Load:
    """Many connections submitting through the API to the servers given, round robin."""

    def __init__(self, servers, threads=24):
        self.servers = servers  # list, may be changed while running (killed ones removed)
        self.threads = threads
        self.stop_flag = threading.Event()
        self.mu = threading.Lock()
        self.acked = []  # (name, number, server index, time)
        self.refused = []  # (time, server index): 503 with Retry-After
        self.violations = []  # anything a client must never see
        self.seq = 0

    def _one(self, i):
        n = 0
        while not self.stop_flag.is_set():
            servers = list(self.servers)
            k, s = servers[(i + n) % len(servers)]
            n += 1
            name = f"负载{i}-{n}-{random.randrange(10**6)}"
            c = harness.Client(s.host, s.port, timeout=15)
            try:
                r = c.post_json("/api/v1/statements", {"name": name, "organisations": ["party"]})
            except (OSError, http.client.HTTPException):
                time.sleep(0.02)  # a server being killed: nothing was acknowledged
                continue
            finally:
                c.close()
            now = time.monotonic()
            with self.mu:
                if r.status == 201:
                    j = r.json()
                    if j.get("status") != "published" or not j.get("number"):
                        self.violations.append(f"201 without a number: {j}")
                    self.acked.append((name, j.get("number"), k, now))
                elif r.status == 503 and r.header("Retry-After"):
                    self.refused.append((now, k))
                else:
                    self.violations.append(f"server {k}: {r.status} {r.header('Retry-After')} "
                                           f"{r.text[:200]}")
            if r.status != 201:
                time.sleep(0.05)

    def start(self):
        self.workers = [threading.Thread(target=self._one, args=(i,), daemon=True)
                        for i in range(self.threads)]
        for t in self.workers:
            t.start()
        return self

    def stop(self):
        self.stop_flag.set()
        for t in self.workers:
            t.join(30)


class PgFaultsTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        require_cluster()
        harness.raise_open_files()
        schema = "faults_" + os.urandom(4).hex()
        psql(f"CREATE SCHEMA {schema}")
        cls.schema = schema
        cls.work = tempfile.mkdtemp(prefix="pg-faults-")
        cls.servers = []
        for k in range(SERVERS):
            sep = "&" if "?" in PG_URL else "?"
            url = f"{PG_URL}{sep}options=-csearch_path%3D{schema}&application_name=fault-s{k}"
            s = harness.Server(settings={"database": url, "checkpoint_interval_ms": 200,
                                         "metrics_listen": f"127.0.0.1:{harness.free_port()}"},
                               name=f"faults{k}")
            if k > 0:  # one log, one key: the signing key of the first on every server
                shutil.copy2(os.path.join(cls.servers[0].data, "log.key"),
                             os.path.join(s.data, "log.key"))
            s.start()
            cls.servers.append(s)
        vkey = cls.tuidang("log", "key", "--data", cls.servers[0].data)
        cls.vkey = vkey.stdout.strip()
        cls.state = os.path.join(cls.work, "audit-state")

    @classmethod
    def tearDownClass(cls):
        if not pg_running():
            pg_start()
        for s in cls.servers:
            s.cleanup()
        shutil.rmtree(cls.work, ignore_errors=True)

    @staticmethod
    def tuidang(*args, timeout=60):
        env = dict(os.environ, NO_PROXY="127.0.0.1,localhost", no_proxy="127.0.0.1,localhost")
        return subprocess.run([harness.binary(), *args], capture_output=True, text=True,
                              timeout=timeout, stdin=subprocess.DEVNULL, env=env)

    # -- helpers --

    def alive(self):
        return [(k, s) for k, s in enumerate(self.servers) if s.alive()]

    def restart_dead(self):
        for s in self.servers:
            if not s.alive():
                s.start()

    def audit(self, server):
        out = self.tuidang("audit", server.base, "--vkey", self.vkey, "--state", self.state)
        self.assertEqual(out.returncode, 0, f"audit of {server.base}:\n{out.stdout}{out.stderr}")
        self.assertTrue(out.stdout.startswith("audit ok: "), out.stdout)
        return int(re.search(r"tree size (\d+)", out.stdout).group(1))

    def checkpoint_size(self, server):
        r = server.get("/log/checkpoint")
        self.assertEqual(r.status, 200, r.describe())
        return int(r.text.split("\n")[1])

    def leaves(self):
        return int(psql(f"SELECT next_leaf FROM {self.schema}.log_coord"))

    def wait_integrated(self, timeout=15):
        deadline = time.monotonic() + timeout
        want = self.leaves()
        while time.monotonic() < deadline:
            if all(self.checkpoint_size(s) >= want for _, s in self.alive()):
                return want
            time.sleep(0.1)
        self.fail(f"not integrated to {want} within {timeout}s")

    def checkpoints_total(self, server):
        """This server's count of checkpoints it saved (its metrics)."""
        port = int(server.settings["metrics_listen"].rsplit(":", 1)[1])
        c = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
        c.request("GET", "/metrics")
        text = c.getresponse().read().decode()
        c.close()
        return float(re.search(r"(?m)^tuidang_checkpoints_total(?:\{\})? (\S+)$", text).group(1))

    def check_everything_acknowledged(self, load):
        """Every acknowledged statement stored and published once, numbers without gaps,
        counted on every server, in the log every server serves."""
        self.assertEqual(load.violations, [])
        rows = psql(f"SELECT s.number, p.name FROM {self.schema}.statements s JOIN "
                    f"{self.schema}.persons p ON p.statement = s.id WHERE s.status = 1")
        by_number = {}
        for line in rows.splitlines():
            number, name = line.split("|", 1)
            self.assertNotIn(int(number), by_number, "a number given twice")
            by_number[int(number)] = name
        count = len(by_number)
        self.assertEqual(sorted(by_number), list(range(1, count + 1)), "a gap in the numbers")
        names = {}
        for name, number, _, _ in load.acked:
            self.assertEqual(by_number.get(number), name, f"acknowledged {name} as {number}")
            self.assertNotIn(name, names)
            names[name] = number
        stored_names = list(by_number.values())
        self.assertEqual(len(stored_names), len(set(stored_names)), "a statement stored twice")
        self.assertEqual(self.leaves(), count, "one leaf per statement")
        size = self.wait_integrated()
        deadline = time.monotonic() + 3
        while True:  # totals: every server within about a second of the others' commits
            totals = [s.stats()["total_statements"] for _, s in self.alive()]
            if all(t == count for t in totals) or time.monotonic() > deadline:
                break
            time.sleep(0.1)
        self.assertEqual(totals, [count] * len(totals))
        for _, s in self.alive():  # each server serves the same log, consistent with the last
            self.assertEqual(self.audit(s), size)
        for name, number, k, _ in random.sample(load.acked, min(20, len(load.acked))):
            _, s = self.alive()[number % len(self.alive())]
            self.assertEqual(s.get(f"/api/v1/statements/{number}").json()["number"], number)

    # -- the tests, in order (one cluster, one log) --

    def test_a_kill_one_then_the_integrator(self):
        load = Load(self.alive()).start()
        try:
            time.sleep(3)
            self.audit(self.servers[0])
            self.servers[2].kill()
            load.servers = self.alive()
            time.sleep(2)
            self.audit(self.servers[1])
            # The one integrating now: its count of saved checkpoints is growing.
            before = {k: self.checkpoints_total(s) for k, s in self.alive()}
            time.sleep(1.5)
            grown = {k: self.checkpoints_total(s) - before[k] for k, s in self.alive()}
            integrator = max(grown, key=grown.get)
            self.assertGreater(grown[integrator], 0, f"no server integrating: {grown}")
            survivor = [s for k, s in self.alive() if k != integrator][0]
            size_at_death = self.checkpoint_size(survivor)
            self.servers[integrator].kill()
            died = time.monotonic()
            load.servers = self.alive()
            while self.checkpoint_size(survivor) <= size_at_death:
                self.assertLess(time.monotonic() - died, 5, "no new checkpoint after the "
                                                            "integrator's death")
                time.sleep(0.05)
            time.sleep(2)
        finally:
            load.stop()
        self.assertGreater(len(load.acked), 200, "too little load to mean anything")
        self.check_everything_acknowledged(load)
        self.restart_dead()
        self.__class__.load_a = load

    def test_b_postgres_stopped_immediately(self):
        self.restart_dead()
        load = Load(self.alive()).start()
        try:
            time.sleep(2)
            pg_stop_immediate()
            down = time.monotonic()
            time.sleep(1.5)
            # Pages answer at once (from memory, or 503), never hang; no server dies.
            for _, s in self.alive():
                for path in ("/", "/api/v1/stats", "/log/checkpoint",
                             f"/statements?date={harness.today_cst()}"):
                    t = time.monotonic()
                    r = s.get(path)
                    self.assertLess(time.monotonic() - t, 5, path)
                    self.assertIn(r.status, (200, 503), f"{path}: {r.describe()}")
            time.sleep(1)
            # A server may commit again as soon as pg_ctl has started the cluster, before this
            # thread runs again: the window without 201 ends when the start is asked for.
            restarting = time.monotonic()
            pg_start()
            up = time.monotonic()
            time.sleep(4)
        finally:
            load.stop()
        self.assertEqual(len(self.alive()), SERVERS, "a server died while PostgreSQL was down")
        self.assertTrue([r for r in load.refused if down < r[0] < restarting],
                        "no 503 while down")
        late = [(a[1], round(a[3] - down, 3)) for a in load.acked
                if down + 0.5 < a[3] < restarting]
        self.assertFalse(late, f"a 201 while PostgreSQL was down (number, s after the stop; "
                               f"the start was asked {restarting - down:.3f} s after it)")
        for k, _ in self.alive():  # every server reconnected by itself
            self.assertTrue([a for a in load.acked if a[2] == k and a[3] > up + 1],
                            f"server {k} acknowledged nothing after PostgreSQL came back")
        load.acked = self.load_a.acked + load.acked  # nothing of before was lost either
        self.check_everything_acknowledged(load)

    def test_c_integrator_terminated_mid_tiles_then_paused(self):
        self.restart_dead()
        size = self.wait_integrated()
        self.assertTrue(256 <= size % 65536, "needs a stored level-1 tile")
        self.audit(self.servers[0])
        # Hold the level-1 tile the next step rewrites: its integrator blocks mid-tiles.
        holder = subprocess.Popen(
            [os.path.join(PG_BIN, "psql"), "-X", "-q", "-d",
             f"{PG_URL}{'&' if '?' in PG_URL else '?'}application_name=fault-holder"],
            stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            text=True)
        holder.stdin.write(f"BEGIN; SELECT 1 FROM {self.schema}.tiles WHERE level = 1 AND "
                           f"idx = {size // 65536} FOR UPDATE;\n")
        holder.stdin.flush()
        try:
            self.wait_activity("application_name = 'fault-holder' AND state = "
                               "'idle in transaction'")
            more = 256 - size % 256 + 3
            for i in range(more):
                self.servers[i % SERVERS].submit_api(f"瓦{i}")
            pid, app = self.wait_activity("application_name LIKE 'fault-s%' AND wait_event_type "
                                          "= 'Lock' AND query LIKE 'INSERT INTO tiles%'")
            # Steps that did not cross the tile boundary may have been published before.
            before = self.checkpoint_size(self.servers[0])
            self.assertLess(before, size + more)
            self.assert_served(before)
            psql(f"SELECT pg_terminate_backend({pid})")
            # The next integrator (any server) takes the row and blocks on the tile too.
            pid, app = self.wait_activity("application_name LIKE 'fault-s%' AND wait_event_type "
                                          "= 'Lock' AND query LIKE 'INSERT INTO tiles%'")
            self.assert_served(before)
            paused = self.servers[int(app[len("fault-s"):])]
            paused.proc.send_signal(signal.SIGSTOP)
        finally:
            holder.stdin.write("ROLLBACK;\n\\q\n")
            holder.stdin.close()
            holder.wait(10)
        try:
            # The paused one's tile write goes through, then it sits idle in its transaction:
            # PostgreSQL ends that session, and another server publishes the step.
            released = time.monotonic()
            others = [s for s in self.servers if s is not paused]
            while min(self.checkpoint_size(s) for s in others) < size + more:
                self.assertLess(time.monotonic() - released, 10, "nobody took over")
                time.sleep(0.1)
            self.audit(others[0])
        finally:
            paused.proc.send_signal(signal.SIGCONT)
        # Resumed, it serves and extends the log the others published.
        paused.submit_api("恢复")
        self.assertEqual(self.wait_integrated(), size + more + 1)
        self.assertEqual(self.audit(paused), size + more + 1)
        for s in self.servers:
            self.assertEqual(s.get("/log/checkpoint").text,
                             self.servers[0].get("/log/checkpoint").text)

    def wait_activity(self, where, timeout=15):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            row = psql(f"SELECT pid, application_name FROM pg_stat_activity WHERE {where} LIMIT 1")
            if row:
                pid, app = row.split("|")
                return int(pid), app
            time.sleep(0.05)
        self.fail(f"no backend with {where} within {timeout}s")

    def assert_served(self, size):
        """Every server still serves the stored checkpoint of before the blocked step, and
        nothing of the step is stored. (`tuidang audit` runs once the step is published: it
        refuses, rightly, stats that run ahead of the checkpoint, as they do while blocked.)"""
        self.assertEqual(psql(f"SELECT max(size) FROM {self.schema}.checkpoints"), str(size))
        note = psql(f"SELECT note FROM {self.schema}.checkpoints WHERE size = {size}")
        for s in self.servers:
            if s.alive():
                r = s.get("/log/checkpoint")
                self.assertEqual(r.status, 200, r.describe())
                self.assertEqual(r.text.strip(), note, "a partial checkpoint served")

if __name__ == "__main__":
    unittest.main()
