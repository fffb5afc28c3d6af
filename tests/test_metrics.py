#!/usr/bin/env python3
"""Prometheus metrics (issue 17) on `metrics_listen`, a loopback port apart from the public
one: scraped and parsed with the Prometheus client's own parser (Debian's
python3-prometheus-client), the counters move with the submissions sent, no label could
tell clients apart, and a public address for the metrics is refused at start."""
import http.client
import os
import subprocess
import time
import unittest

from prometheus_client.parser import text_string_to_metric_families

import harness


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


if __name__ == "__main__":
    unittest.main()
