"""Durability (issue 2): many connections submit through the API; the server is killed
with SIGKILL in the middle of the load and restarted on the same data. Every statement
that got a 201 must be there, published and counted, and the totals must equal the
statements."""

import http.client
import os
import sys
import threading
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
from harness import ORGANISATIONS, Server, run_threads  # noqa: E402

API = "/api/v1/statements"
CLIENTS = 32          # concurrent connections
LOAD_SECONDS = 3.0    # load before the kill
CYCLES = 2            # load, kill, restart; twice (the second recovers a recovered store)


class CrashTest(unittest.TestCase):

    def setUp(self):
        self.server = Server(name="crash")
        self.server.start()

    def tearDown(self):
        self.server.cleanup()

    def load_then_kill(self, cycle):
        """Submits from CLIENTS threads, SIGKILLs the server after LOAD_SECONDS; returns
        the acknowledged statements and counters."""
        acked = []
        unexpected = []
        failures = [0]
        stop = threading.Event()
        lock = threading.Lock()

        def worker(i):
            c = self.server.client(timeout=10)
            for k in range(1_000_000):
                if stop.is_set():
                    break
                extra = k % 3
                body = {"name": f"崩溃{cycle}-{i}-{k}",
                        "organisations": [ORGANISATIONS[k % 3]],
                        "persons": [{"name": f"家人{j}", "organisations": ["league", "party"]}
                                    for j in range(extra)]}
                try:
                    r = c.post_json(API, body)
                except (OSError, http.client.HTTPException):
                    with lock:
                        failures[0] += 1
                    c.close()
                    if stop.wait(0.05):
                        break
                    continue
                if r.status == 201:
                    j = r.json()
                    acked.append({"receipt": j["receipt"], "number": j["number"],
                                  "status": j["status"], "name": body["name"],
                                  "persons_count": 1 + extra})
                elif r.status == 503:
                    stop.wait(0.05)
                else:
                    unexpected.append(r.describe())
            c.close()

        threads = [threading.Thread(target=worker, args=(i,), daemon=True)
                   for i in range(CLIENTS)]
        for t in threads:
            t.start()
        time.sleep(LOAD_SECONDS)
        before_kill = len(acked)
        self.server.kill()
        stop.set()
        for t in threads:
            t.join(20)
        self.assertFalse(any(t.is_alive() for t in threads), "client threads hung")
        self.assertEqual(unexpected[:3], [], "answers other than 201 or 503")
        self.assertGreaterEqual(before_kill, 100, "the load did not get going")
        print(f"\n[crash] cycle {cycle}: {len(acked)} acknowledged in {LOAD_SECONDS}s "
              f"({len(acked) / LOAD_SECONDS:.0f}/s), {failures[0]} requests cut by the kill",
              file=sys.stderr)
        return acked

    def verify(self, acked):
        s = self.server
        missing, wrong = [], []
        lock = threading.Lock()
        chunks = [acked[i::4] for i in range(4)]

        def check(i):
            c = s.client(timeout=10)
            for a in chunks[i]:
                r = c.get(f"{API}/{a['number']}")
                if r.status != 200:
                    with lock:
                        missing.append((a, r.status))
                    continue
                st = r.json()
                if st["name"] != a["name"] or st["persons_count"] != a["persons_count"]:
                    with lock:
                        wrong.append((a, st))
                r = c.get(f"/api/v1/receipts/{a['receipt']}")
                if r.status != 200 or r.json().get("number") != a["number"] \
                        or r.json().get("status") != "published":
                    with lock:
                        missing.append((a, "receipt", r.status, r.body[:200]))
            c.close()

        hung = run_threads(4, check, timeout=240)
        self.assertEqual(hung, [], "verification did not finish")
        self.assertEqual(missing[:5], [], f"{len(missing)} acknowledged statements lost")
        self.assertEqual(wrong[:5], [], f"{len(wrong)} statements differ from what was sent")

        stats = s.stats()
        listed = []
        for d in stats["by_day"]:
            listed += s.day_statements(d["date"])
        numbers = [x["number"] for x in listed]
        self.assertEqual(len(numbers), len(set(numbers)), "a statement listed twice")
        self.assertTrue({a["number"] for a in acked} <= set(numbers),
                        "acknowledged statements missing from the day lists")
        self.assertEqual(sorted(numbers), list(range(1, len(numbers) + 1)),
                         "public numbers are consecutive from 1")
        self.assertEqual(stats["total_statements"], len(listed))
        self.assertEqual(stats["total_persons"], sum(x["persons_count"] for x in listed))
        orgs = {o: 0 for o in ORGANISATIONS}
        for x in listed:
            for p in [x] + x["persons"]:
                for o in p["organisations"]:
                    orgs[o] += 1
        self.assertEqual(stats["persons_by_organisation"], orgs)
        self.assertEqual(sum(d["persons"] for d in stats["by_day"]), stats["total_persons"])
        self.assertEqual(sum(d["statements"] for d in stats["by_day"]), stats["total_statements"])
        return len(numbers)

    def test_acknowledged_statements_survive_sigkill(self):
        all_acked = []
        for cycle in range(CYCLES):
            acked = self.load_then_kill(cycle)
            self.assertTrue(all(a["status"] == "published" for a in acked))
            all_acked += acked
            self.server.start()
            count = self.verify(all_acked)
            # The store goes on numbering after the last durable statement.
            nxt = self.server.submit_api("重启之后")
            self.assertEqual(nxt["number"], count + 1)
            all_acked.append({"receipt": nxt["receipt"], "number": nxt["number"],
                              "status": "published", "name": "重启之后", "persons_count": 1})
        self.assertEqual(self.server.stop(), 0, "a clean SIGTERM stop exits 0")


class OverloadTest(harness.ServerTestCase, unittest.TestCase):
    """A full intake queue sheds load with 503 + Retry-After; nothing shed is stored and
    nothing acknowledged is lost."""
    SETTINGS = {"queue_limit": 1}

    def test_full_queue_answers_503(self):
        s = self.server
        before = s.stats()
        acked, shed, other = [], [], []
        stop = threading.Event()

        def worker(i):
            c = s.client(timeout=10)
            for k in range(100_000):
                if stop.is_set():
                    break
                r = c.post_json(API, {"name": f"过载{i}-{k}", "organisations": ["party"]})
                if r.status == 201:
                    acked.append(r.json())
                elif r.status == 503:
                    shed.append(r)
                    if len(shed) >= 50:
                        stop.set()
                else:
                    other.append(r.describe())
            c.close()

        threading.Timer(4.0, stop.set).start()
        hung = run_threads(CLIENTS, worker, timeout=30)
        stop.set()
        self.assertEqual(hung, [])
        self.assertEqual(other[:3], [])
        self.assertTrue(shed, f"queue_limit = 1 and {CLIENTS} concurrent submitters, yet no 503"
                              f" in {len(acked)} submissions")
        r = shed[0]
        self.assertTrue(r.header("Retry-After", "").strip().isdigit(), r.describe())
        self.assertEqual(r.json()["error"]["code"], "overloaded", r.describe())
        after = s.stats()
        self.assertEqual(after["total_statements"] - before["total_statements"], len(acked),
                         "stored statements = acknowledged ones (none of the 503s stored)")
        for a in acked[:200]:
            self.assertEqual(s.get(f"{API}/{a['number']}").status, 200)
        # Once the load is gone, submissions are accepted again.
        self.assertEqual(s.submit_api("过载之后")["status"], "published")
        print(f"\n[overload] {len(acked)} accepted, {len(shed)} shed", file=sys.stderr)


if __name__ == "__main__":
    unittest.main(verbosity=2)
