#!/usr/bin/env python3
"""Prometheus metrics (issue 17) on `metrics_listen`, a loopback port apart from the public
one: scraped and parsed with the Prometheus client's own parser (Debian's
python3-prometheus-client), the counters move with the submissions sent, no label could
tell clients apart, and a public address for the metrics is refused at start. The witnesses'
and mirrors' outcomes (cosigned, conflict, failed and backing off) are counted per name from
tuidang.toml, with real `tuidang witness serve` and `tuidang mirror serve` processes: one that
cosigns, one that refuses (it holds another key for the log's origin), one that is down."""
import http.client
import os
import subprocess
import time
import unittest

from prometheus_client.parser import text_string_to_metric_families

import harness
from test_mirror import Mirror, OwnLog
from test_witness import Witness


class MetricsTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.metrics_port = harness.free_port()
        cls.server = harness.Server({"metrics_listen": f"127.0.0.1:{cls.metrics_port}",
                                     "checkpoint_interval_ms": 100}, name="metrics")
        cls.server.start()

    @classmethod
    def tearDownClass(cls):
        try:
            cls.server.stop()
        finally:
            cls.server.cleanup()

    def scrape_raw(self, path="/metrics"):
        c = http.client.HTTPConnection("127.0.0.1", self.metrics_port, timeout=10)
        c.request("GET", path)
        r = c.getresponse()
        body = r.read().decode("utf-8")
        headers = dict(r.getheaders())
        c.close()
        return r.status, headers, body

    def scrape(self):
        status, headers, body = self.scrape_raw()
        self.assertEqual(status, 200, body)
        self.assertEqual(headers["Content-Type"], "text/plain; version=0.0.4; charset=utf-8")
        samples = {}
        families = {}
        for family in text_string_to_metric_families(body):
            families[family.name] = family
            for s in family.samples:
                samples[(s.name, tuple(sorted(s.labels.items())))] = s.value
        return families, samples

    def value(self, samples, name, **labels):
        return samples.get((name, tuple(sorted(labels.items()))), 0.0)

    def test_counters_move_with_submissions(self):
        _, before = self.scrape()
        for i in range(7):
            self.server.submit_api(f"度量{i}")
        r = self.server.post_json("/api/v1/statements", {"name": "", "organisations": []})
        self.assertEqual(r.status, 400)
        self.server.get("/no-such-page")
        deadline = time.monotonic() + 10
        while True:
            families, after = self.scrape()
            if self.value(after, "tuidang_log_tree_size") >= 7 or time.monotonic() > deadline:
                break
            time.sleep(0.2)

        web_published = ("tuidang_submissions_total", dict(channel="web", outcome="published"))
        self.assertEqual(self.value(after, *web_published[:1], **web_published[1])
                         - self.value(before, *web_published[:1], **web_published[1]), 7)
        self.assertGreaterEqual(self.value(after, "tuidang_batch_size_count")
                                - self.value(before, "tuidang_batch_size_count"), 1)
        self.assertEqual(self.value(after, "tuidang_batch_size_sum")
                         - self.value(before, "tuidang_batch_size_sum"), 7)
        self.assertGreaterEqual(self.value(after, "tuidang_batch_commit_seconds_count"), 1)
        self.assertGreater(self.value(after, "tuidang_batch_commit_seconds_sum"), 0)
        # 201s and the stats scrape... the public port answered 2xx at least 7 times, one
        # 400 and one 404 since.
        self.assertGreaterEqual(self.value(after, "tuidang_http_responses_total", **{"class": "2xx"})
                                - self.value(before, "tuidang_http_responses_total", **{"class": "2xx"}), 7)
        self.assertEqual(self.value(after, "tuidang_http_responses_total", **{"class": "4xx"})
                         - self.value(before, "tuidang_http_responses_total", **{"class": "4xx"}), 2)
        self.assertGreaterEqual(self.value(after, "tuidang_log_tree_size"), 7)
        self.assertGreaterEqual(self.value(after, "tuidang_checkpoints_total"), 1)
        self.assertGreaterEqual(self.value(after, "tuidang_checkpoint_age_seconds"), 0)
        self.assertEqual(self.value(after, "tuidang_integration_lag_leaves"), 0)
        self.assertEqual(self.value(after, "tuidang_intake_queue_depth"), 0)
        self.assertGreaterEqual(self.value(after, "tuidang_http_open_connections"), 0)
        for name in ("tuidang_http_rate_limited", "tuidang_http_overloaded",
                     "tuidang_batches_failed"):
            self.assertIn(name, families)
            self.assertEqual(families[name].type, "counter")

        # No label could tell clients apart: only channels, outcomes and status classes.
        allowed = {"channel", "outcome", "class", "le"}
        for family in families.values():
            for s in family.samples:
                self.assertLessEqual(set(s.labels), allowed, s)
                self.assertNotIn("127.0.0.1", " ".join(s.labels.values()), s)

    def test_only_on_the_metrics_port(self):
        r = self.server.get("/metrics")
        self.assertEqual(r.status, 404, r.describe())
        status, _, _ = self.scrape_raw("/anything-else")
        self.assertEqual(status, 404)

    def test_public_metrics_address_is_refused(self):
        data = os.path.join(self.server.root, "public-metrics")
        os.makedirs(data)
        with open(os.path.join(data, "tuidang.toml"), "w", encoding="utf-8") as f:
            f.write(harness.config_text({**harness.PROTECTIONS_OFF,
                                         "metrics_listen": "0.0.0.0:9464"}))
        out = subprocess.run([harness.binary(), "serve", "--data", data, "--listen",
                              f"127.0.0.1:{harness.free_port()}"], capture_output=True,
                             text=True, timeout=30, stdin=subprocess.DEVNULL)
        self.assertEqual(out.returncode, 78, out.stderr)
        self.assertIn("metrics_listen must be a loopback address", out.stderr)


WITNESSED = "metwit.test/log"


class PeerMetricsTest(unittest.TestCase):
    """A log with three witnesses and three mirrors: good, refusing, down."""

    @classmethod
    def setUpClass(cls):
        cls.servers = []
        cls.metrics_port = harness.free_port()
        cls.log = harness.Server({"metrics_listen": f"127.0.0.1:{cls.metrics_port}",
                                  "checkpoint_interval_ms": 100, "log_origin": WITNESSED},
                                 name="metwit")
        cls.servers.append(cls.log)
        key = subprocess.run([harness.binary(), "log", "key", "--data", cls.log.data],
                             capture_output=True, text=True, timeout=30)
        assert key.returncode == 0, key.stderr
        vkey = key.stdout.strip()
        impostor = OwnLog(WITNESSED).vkey  # the same origin under another key
        cls.peers = {}
        for kind, make in (("witness", lambda logs, n: Witness(logs, name=n,
                                                               key_name=f"{n}.test/w")),
                           ("mirror", lambda logs, n: Mirror(logs, name=n))):
            good = make([(WITNESSED, vkey)], f"{kind}-good")
            refusing = make([(WITNESSED, impostor)], f"{kind}-refusing")
            down = make([(WITNESSED, vkey)], f"{kind}-down")  # never started
            cls.servers += [good, refusing, down]
            good.start()
            refusing.start()
            cls.peers[kind] = [("good", good.vkey, good.base), ("refusing", refusing.vkey,
                                                                refusing.base),
                               ("down", down.vkey, f"http://127.0.0.1:{harness.free_port()}")]
        text = ""
        for kind in ("witness", "mirror"):
            for name, vk, url in cls.peers[kind]:
                text += f'\n[[{kind}]]\nname = "{name}"\nkey = "{vk}"\nurl = "{url}"\n'
        text += ('\n[witnessing]\npublish = "at-once"\ntimeout_seconds = 2\n'
                 'retry_max_seconds = 1\n')
        with open(os.path.join(cls.log.data, "tuidang.toml"), "a", encoding="utf-8") as f:
            f.write(text)
        cls.log.start()

    @classmethod
    def tearDownClass(cls):
        for s in cls.servers:
            try:
                s.stop(expect_code=None)
            finally:
                s.cleanup()

    scrape = MetricsTest.scrape
    scrape_raw = MetricsTest.scrape_raw
    value = MetricsTest.value

    def outcomes(self, samples, kind, name):
        return {o: self.value(samples, f"tuidang_{kind}_outcomes_total", **{kind: name,
                                                                          "outcome": o})
                for o in ("cosigned", "conflict", "failed")}

    def wait_for(self, condition, timeout=20):
        deadline = time.monotonic() + timeout
        while True:
            families, samples = self.scrape()
            if condition(samples) or time.monotonic() > deadline:
                return families, samples
            time.sleep(0.2)

    def test_outcomes_per_witness_and_mirror(self):
        for i in range(5):
            self.log.submit_api(f"見證度量{i}")

        def settled(samples):
            size = self.value(samples, "tuidang_log_tree_size")
            return size >= 5 and all(
                self.value(samples, f"tuidang_{k}_cosigned_tree_size", **{k: "good"}) == size
                and self.outcomes(samples, k, "refusing")["conflict"] >= 1
                and self.outcomes(samples, k, "down")["failed"] >= 2
                for k in ("witness", "mirror"))

        families, first = self.wait_for(settled)
        self.assertTrue(settled(first), first)
        for kind in ("witness", "mirror"):
            self.assertEqual(families[f"tuidang_{kind}_outcomes"].type, "counter")
            self.assertEqual(families[f"tuidang_{kind}_backing_off"].type, "gauge")
            good = self.outcomes(first, kind, "good")
            self.assertGreaterEqual(good["cosigned"], 1, kind)
            self.assertEqual((good["conflict"], good["failed"]), (0, 0), kind)
            refusing = self.outcomes(first, kind, "refusing")
            self.assertEqual((refusing["cosigned"], refusing["failed"]), (0, 0), kind)
            down = self.outcomes(first, kind, "down")
            self.assertEqual((down["cosigned"], down["conflict"]), (0, 0), kind)
            self.assertEqual(self.value(first, f"tuidang_{kind}_backing_off", **{kind: "down"}),
                             1, kind)
            for name in ("good", "refusing"):
                self.assertEqual(self.value(first, f"tuidang_{kind}_backing_off",
                                            **{kind: name}), 0, (kind, name))
            # Only the good one ever cosigned, so only it has a tree size.
            self.assertNotIn((f"tuidang_{kind}_cosigned_tree_size", ((kind, "down"),)), first)

        # New checkpoints: the good ones cosign again, the refusing ones refuse again (after
        # the conflict wait, one second here), the down ones keep failing.
        for i in range(3):
            self.log.submit_api(f"見證度量再{i}")

        def moved(samples):
            return all(
                self.outcomes(samples, k, "good")["cosigned"]
                > self.outcomes(first, k, "good")["cosigned"]
                and self.outcomes(samples, k, "refusing")["conflict"]
                > self.outcomes(first, k, "refusing")["conflict"]
                and self.outcomes(samples, k, "down")["failed"]
                > self.outcomes(first, k, "down")["failed"]
                for k in ("witness", "mirror"))

        families, after = self.wait_for(moved)
        self.assertTrue(moved(after), after)

        # The labels are the configuration's names, never anything about a client.
        allowed = {"channel", "outcome", "class", "le", "witness", "mirror"}
        for family in families.values():
            for s in family.samples:
                self.assertLessEqual(set(s.labels), allowed, s)
                for kind in ("witness", "mirror"):
                    if kind in s.labels:
                        self.assertIn(s.labels[kind], {"good", "refusing", "down"}, s)


if __name__ == "__main__":
    unittest.main()
