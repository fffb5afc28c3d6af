"""html-validate and axe-core on the public pages (issue 15), run against a real `tuidang
serve`: every page a declarant, a reader or a journalist sees — the form, its errors, the
preview, the receipt (held, with its explanation), the look-up, the lists, a statement, its
certificate, /stats, /log, a search with and without results, the center's pages — in the
three languages where they differ. html-validate (its recommended rules): no error;
axe-core in Debian's headless Chromium at 320 and 1366 px (WCAG 2.0/2.1 A and AA and axe's
best practices): no violation. axe runs with the page's JavaScript on: with it off
(Chromium's content setting) the DevTools protocol's evaluation gives axe no result; the
pages' DOM differs then only by their <noscript> notes.

Both tools come from npm, installed by `scripts/setup.sh --test` into .node-tools/ at the
root of the work tree (or TUIDANG_NODE_TOOLS: a folder holding node_modules/); they run
offline."""

import json
import os
import subprocess
import sys
import tempfile
import shutil
import unittest
import urllib.parse

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
from test_browser import start_chromium  # noqa: E402
from test_preview import solve  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TOOLS = os.environ.get("TUIDANG_NODE_TOOLS", os.path.join(ROOT, ".node-tools"))
HTML_VALIDATE = os.path.join(TOOLS, "node_modules", ".bin", "html-validate")
AXE = os.path.join(TOOLS, "node_modules", "axe-core", "axe.min.js")
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice"]
# html-validate's recommended rules, less three that judge style rather than validity:
# the pages write "<!doctype html>" in lower case (as valid as upper case); the English
# titles "<page> · Service Center for Quitting the CCP" pass 70 characters (a search
# engine's cut, not an error); and form controls share a name where HTML forms mean them
# to (the organisations' checkboxes, and the preview's hidden copies of them, which the
# rule's "shared" option cannot name).
HTML_VALIDATE_CONFIG = {
    "extends": ["html-validate:recommended"],
    "rules": {"doctype-style": "off", "long-title": "off", "form-dup-name": "off"},
}


def tools_missing():
    missing = [p for p in (HTML_VALIDATE, AXE) if not os.path.exists(p)]
    return missing


class HtmlChecksTest(unittest.TestCase):
    maxDiff = None
    @classmethod
    def setUpClass(cls):
        missing = tools_missing()
        if missing:
            raise AssertionError(f"missing {missing}: run scripts/setup.sh --test (it installs "
                                 "html-validate and axe-core from npm into .node-tools/)")
        cls.server = harness.Server({"checkpoint_interval_ms": 100, "pow_policy": "hold",
                                     "pow_min_bits": 8, "pow_max_bits": 8}, name="htmlchecks")
        cls.server.start()
        cls.tmp = tempfile.mkdtemp(prefix="tuidang-html-")
        cls.profiles = []
        try:
            cls.pages = cls.collect()
        except Exception:
            cls.tearDownClass()
            raise

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.tmp, ignore_errors=True)
        for p in cls.profiles:
            shutil.rmtree(p, ignore_errors=True)
        cls.server.stop()
        cls.server.cleanup()

    @classmethod
    def collect(cls):
        """{name: (path or None, HTML)} of every page checked."""
        s = cls.server

        def pow_():  # statements from the API pay the proof of work: published
            ch = s.get("/api/v1/challenge").json()
            return {"challenge": ch["challenge"], "nonce": solve(ch["challenge"], ch["bits"])}

        s.submit_api("王自由", organisations=("party", "league"), region="beijing",
                     occupation="teacher", text="我声明退出。\n第二行。", pow=pow_(),
                     persons=[{"name": "王小明", "organisations": ["pioneers"]}])
        for i in range(3):
            s.submit_api(f"李{'甲乙丙'[i]}", text="退出。" * i, pow=pow_())
        number = s.day_statements()[0]["number"]
        pages = {}
        for prefix in ("", "/zh-hant", "/en"):
            for path in ("/", "/submit", "/statements", f"/statements?date={harness.today_cst()}",
                         f"/statements/{number}", f"/statements/{number}/certificate", "/stats",
                         "/log", "/search?" + urllib.parse.urlencode({"name": "王自由"}),
                         "/search?" + urllib.parse.urlencode({"name": "王"}), "/receipt",
                         "/about", "/privacy", "/safety"):
                if prefix and path == "/":
                    path = "/"
                full = (prefix + path) if path != "/" else (prefix + "/" if prefix else "/zh-hans/")
                r = s.get(full)
                assert r.status == 200, r.describe()
                pages[full] = (full, r.text)
        # The pages only a POST shows: the form with errors, the preview, the receipt (held:
        # sent without the preview, so with its explanation), its status page.
        for prefix in ("", "/en"):
            bad = s.post_form(prefix + "/submit", [("name", "无组织"), ("step", "preview")])
            pages[prefix + "/submit (errors)"] = (None, bad.text)
            pv = s.post_form(prefix + "/submit", [("name", "预览者"), ("org", "party"),
                                                  ("org", "league"), ("text", "正文"),
                                                  ("step", "preview")])
            pages[prefix + "/submit (preview)"] = (None, pv.text)
            held = s.post_form(prefix + "/submit", [("name", "跳过预览者"), ("org", "league")])
            pages[prefix + "/submit (held receipt)"] = (None, held.text)
            code = harness.reply_receipt(held)
            st = harness.post_receipt(s, code, prefix=prefix)
            pages[prefix + "/receipt (status)"] = (None, st.text)
            wd = harness.post_receipt(s, code, "/withdraw", prefix=prefix)
            pages[prefix + "/receipt/withdraw (confirm)"] = (None, wd.text)
        return pages

    def test_html_validate_finds_no_error(self):
        config = os.path.join(self.tmp, ".htmlvalidate.json")
        with open(config, "w") as f:
            json.dump(HTML_VALIDATE_CONFIG, f)
        files = {}
        for i, (name, (_, html)) in enumerate(sorted(self.pages.items())):
            path = os.path.join(self.tmp, f"page{i:03}.html")
            with open(path, "w", encoding="utf-8") as f:
                f.write(html)
            files[path] = name
        result = os.path.join(self.tmp, "report.json")
        out = subprocess.run([HTML_VALIDATE, "--config", config, "--formatter",
                              f"json={result}", *files], capture_output=True, text=True,
                             timeout=300)
        report = []
        if os.path.exists(result):  # not written when nothing was found
            with open(result, encoding="utf-8") as f:
                report = json.load(f)
        errors = [f"{files[r['filePath']]}: {m['ruleId']}: {m['message']}"
                  for r in report for m in r["messages"] if m["severity"] >= 2]
        self.assertEqual(errors, [], out.stderr[-2000:])
        self.assertEqual(out.returncode, 0, out.stdout[-2000:] + out.stderr[-2000:])
        print(f"\n[html-validate] {len(files)} pages, no error", file=sys.stderr)

    def axe_run(self, javascript=True):
        profile = tempfile.mkdtemp(prefix="tuidang-chromium-")
        self.profiles.append(profile)
        d = start_chromium(profile, javascript)
        with open(AXE, encoding="utf-8") as f:
            axe_source = f.read()
        found = []
        try:
            for width, height in ((320, 568), (1366, 900)):
                d.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", {
                    "width": width, "height": height, "deviceScaleFactor": 1,
                    "mobile": width < 800})
                for name, (path, html) in sorted(self.pages.items()):
                    if path is None:
                        # A POST's answer: shown from its HTML on the server's origin.
                        d.get(self.server.base + "/healthz")
                        d.execute_script("document.open();document.write(arguments[0]);"
                                         "document.close();", html)
                    else:
                        d.get(self.server.base + path)
                    # The page's scripts may be off; the DevTools protocol runs axe anyway.
                    d.execute_cdp_cmd("Runtime.evaluate", {"expression": axe_source})
                    res = d.execute_cdp_cmd("Runtime.evaluate", {
                        "expression": "axe.run(document, {runOnly: {type: 'tag', values: "
                                      + json.dumps(AXE_TAGS) + "}}).then(r => JSON.stringify("
                                      "r.violations.map(v => [v.id, v.nodes.map(n => "
                                      "n.target.join(' ')).slice(0, 3)])))",
                        "awaitPromise": True, "returnByValue": True})
                    self.assertIn("value", res["result"], f"{name}: axe gave no result: {res}")
                    violations = json.loads(res["result"]["value"])
                    for v in violations:
                        found.append(f"{name} at {width}: {v}")
        finally:
            d.quit()
        return found

    def test_axe_finds_no_violation_with_javascript(self):
        self.assertEqual(self.axe_run(True), [])


if __name__ == "__main__":
    unittest.main()
