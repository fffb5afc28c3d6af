"""A person in a real browser with JavaScript disabled (Tor Browser "Safest"): headless
Debian Chromium fills the form in Chinese, submits, lands on the receipt page, and finds
the statement by name in search. And every public page on a 320 px phone, a 390 px phone
and a 1366 px screen, with and without JavaScript: nothing scrolls sideways, the call to
action, the chart labels, the skip link and the form's errors (PhoneLayoutTest)."""

import base64
import os
import re
import shutil
import sqlite3
import sys
import tempfile
import time
import unittest
import urllib.parse

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
try:
    import selenium  # noqa: F401
except ImportError:  # Debian's python3-selenium, when run by another interpreter
    sys.path.append("/usr/lib/python3/dist-packages")
from selenium import webdriver  # noqa: E402
from selenium.webdriver.chrome.service import Service  # noqa: E402
from selenium.common.exceptions import TimeoutException  # noqa: E402
from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.common.keys import Keys  # noqa: E402
from selenium.webdriver.support.ui import WebDriverWait  # noqa: E402

import harness  # noqa: E402
from harness import ServerTestCase  # noqa: E402

CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"
NAME = "张浏览器测"


def start_chromium(profile, javascript):
    """Debian's headless Chromium through chromedriver, with JavaScript on or off (as Tor
    Browser "Safest" has it), asking for Simplified Chinese."""
    opts = webdriver.ChromeOptions()
    opts.binary_location = CHROMIUM
    for flag in ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                 "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-proxy-server",
                 "--disable-dev-shm-usage", "--lang=zh-CN", "--window-size=1024,900",
                 "--hide-scrollbars", f"--user-data-dir={profile}"):
        opts.add_argument(flag)
    opts.add_experimental_option("prefs", {
        "profile.managed_default_content_settings.javascript": 1 if javascript else 2,
        "intl.accept_languages": "zh-CN,zh",
    })
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=opts)
    driver.set_page_load_timeout(30)
    return driver


# Seconds before the preview's no-script token may be sent (safety::Guard::
# kFormTokenDelaySeconds); without a gate, as in most tests here, there is no token.
TOKEN_DELAY = 3


def send_from_preview(d, timeout=40):
    """On the preview page (the form's button leads there): presses "send" and waits for
    the receipt. Sent before the no-script token is valid, the same preview comes back
    saying how long to wait: then waits and presses again, as a person would."""
    WebDriverWait(d, 20).until(lambda drv: drv.find_elements(By.ID, "preview"))
    deadline = time.monotonic() + timeout
    while True:
        button = d.find_element(By.ID, "send")
        button.click()
        # The page that was clicked goes first: its own "wait" notice must not be taken for
        # the answer's (the answer may already be the receipt, without a "send" button).
        WebDriverWait(d, 35).until(harness.page_left(button))
        WebDriverWait(d, 35).until(lambda drv: drv.find_elements(By.ID, "receipt-code")
                                   or drv.find_elements(By.ID, "preview-wait"))
        if d.find_elements(By.ID, "receipt-code") or time.monotonic() > deadline:
            return
        time.sleep(TOKEN_DELAY)


class BrowserTest(ServerTestCase, unittest.TestCase):
    JAVASCRIPT = False  # Tor Browser "Safest"
    # Statements without a proof of work are held: a declarant without script is published
    # through the preview's token, one with script through pow.js (docs/preview.md).
    SETTINGS = {"pow_policy": "hold", "pow_min_bits": 8, "pow_max_bits": 8}

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.profile = tempfile.mkdtemp(prefix="tuidang-chromium-")
        try:
            cls.driver = start_chromium(cls.profile, cls.JAVASCRIPT)
        except Exception:
            super().tearDownClass()
            shutil.rmtree(cls.profile, ignore_errors=True)
            raise

    @classmethod
    def tearDownClass(cls):
        try:
            cls.driver.quit()
        finally:
            shutil.rmtree(cls.profile, ignore_errors=True)
            super().tearDownClass()

    def url(self, path):
        return self.server.base + path

    def test_submit_in_chinese_and_find_by_name(self):
        d = self.driver
        d.get(self.url("/submit"))
        self.assertEqual(d.find_element(By.TAG_NAME, "html").get_attribute("lang"), "zh-Hans")
        before = self.server.stats()["total_persons"]
        d.find_element(By.NAME, "name").send_keys(NAME)
        d.find_element(By.CSS_SELECTOR, "input[name='org'][value='party']").click()
        self.assertTrue(d.find_element(By.CSS_SELECTOR,
                                       "input[name='org'][value='party']").is_selected())
        # The main submit button: a submit control of the form that is not `more`.
        buttons = [b for b in d.find_elements(By.CSS_SELECTOR,
                                              "form button, form input[type='submit']")
                   if (b.get_attribute("type") or "submit") == "submit"
                   and b.get_attribute("name") != "more"]
        self.assertTrue(buttons, "no submit button")
        buttons[0].click()
        # First the preview: the statement as it will be published, nothing stored yet.
        WebDriverWait(d, 20).until(lambda drv: drv.find_elements(By.ID, "preview"))
        self.assertIn(NAME, d.find_element(By.ID, "preview").text)
        self.assertEqual(self.server.stats()["total_persons"], before)
        send_from_preview(d)
        # The receipt is the answer to the form itself: the address holds no code.
        WebDriverWait(d, 20).until(lambda drv: drv.find_elements(By.ID, "receipt-code"))
        path = urllib.parse.urlsplit(d.current_url).path
        self.assertEqual(path, "/submit")
        code = d.find_element(By.CSS_SELECTOR, "code.receipt").text.strip()
        self.assertRegex(code, harness.RECEIPT_RE)
        self.assertTrue(d.find_elements(By.CSS_SELECTOR, "span.status.status-published"),
                        d.page_source[:2000])
        # On to the receipt page, once the box says the code is written down.
        d.find_element(By.CSS_SELECTOR, "#continue-form input[type='checkbox']").click()
        d.find_element(By.CSS_SELECTOR, "#continue-form button").click()
        WebDriverWait(d, 20).until(lambda drv: drv.find_elements(By.ID, "withdraw-form"))
        self.assertEqual(urllib.parse.urlsplit(d.current_url).path, "/receipt")
        self.assertEqual(self.server.stats()["total_persons"], before + 1)
        # The receipt page links to the statement.
        number = self.server.get(f"/api/v1/receipts/{harness.receipt_digits(code)}").json()["number"]
        links = [a.get_attribute("href") for a in d.find_elements(By.TAG_NAME, "a")]
        self.assertTrue(any(urllib.parse.urlsplit(h or "").path == f"/statements/{number}"
                            for h in links), links)
        # Search by the name, as a person would type it.
        d.get(self.url("/search?" + urllib.parse.urlencode({"name": NAME})))
        items = d.find_elements(By.CSS_SELECTOR, f"li.statement#s-{number}")
        self.assertEqual(len(items), 1, d.page_source[:3000])
        self.assertIn(NAME, items[0].text)
        # The same through the search form, if the page has one.
        d.get(self.url("/search"))
        fields = d.find_elements(By.NAME, "name")
        if fields:
            fields[0].send_keys(NAME)
            fields[0].submit()
            WebDriverWait(d, 20).until(lambda drv: "name=" in drv.current_url)
            self.assertTrue(d.find_elements(By.CSS_SELECTOR, f"li.statement#s-{number}"),
                            d.page_source[:3000])

    def test_enter_in_name_field_submits(self):
        d = self.driver
        d.get(self.url("/submit"))
        d.find_element(By.CSS_SELECTOR, "input[name='org'][value='league']").click()
        d.find_element(By.NAME, "name").send_keys("回车提交" + Keys.ENTER)
        try:
            WebDriverWait(d, 10).until(lambda drv: drv.find_elements(By.ID, "preview"))
        except TimeoutException:
            self.fail("Enter in the name field did not lead to the preview; the page is "
                      f"{d.current_url} with fields "
                      f"{[e.get_attribute('name') for e in d.find_elements(By.CSS_SELECTOR, 'input[type=text]')]}")
        send_from_preview(d)
        self.assertTrue(d.find_elements(By.CSS_SELECTOR, "code.receipt"))

    def test_back_to_edit_keeps_everything_typed(self):
        """The preview's "back to edit" gives the form as it was typed (a further person,
        a region, a text of two lines); nothing is stored until the send."""
        d = self.driver
        before = self.server.stats()["total_statements"]
        d.get(self.url("/en/submit"))
        d.find_element(By.NAME, "name").send_keys("Preview Edit")
        d.find_element(By.CSS_SELECTOR, "input[name='org'][value='league']").click()
        d.find_element(By.CSS_SELECTOR, "select[name='region'] option[value='sichuan']").click()
        d.find_element(By.NAME, "text").send_keys("First line\nsecond line")
        d.find_element(By.CSS_SELECTOR, "button[name='more']").click()
        WebDriverWait(d, 20).until(lambda drv: drv.find_elements(By.NAME, "p1_name"))
        d.find_element(By.NAME, "p1_name").send_keys("Second Person")
        d.find_element(By.CSS_SELECTOR, "input[name='p1_org'][value='pioneers']").click()
        d.find_element(By.CSS_SELECTOR, "form button.primary").click()
        WebDriverWait(d, 20).until(lambda drv: drv.find_elements(By.ID, "preview"))
        shown = d.find_element(By.ID, "preview").text
        for part in ("Preview Edit", "Second Person", "Sichuan", "First line\nsecond line"):
            self.assertIn(part, shown)
        self.assertTrue(d.find_element(By.ID, "identify-warning").is_displayed())
        d.find_element(By.ID, "edit").click()
        WebDriverWait(d, 20).until(lambda drv: drv.find_elements(By.NAME, "p1_name"))
        self.assertEqual(d.find_element(By.NAME, "name").get_attribute("value"), "Preview Edit")
        self.assertEqual(d.find_element(By.NAME, "p1_name").get_attribute("value"),
                         "Second Person")
        self.assertTrue(d.find_element(By.CSS_SELECTOR,
                                       "input[name='org'][value='league']").is_selected())
        self.assertFalse(d.find_element(By.CSS_SELECTOR,
                                        "input[name='org'][value='party']").is_selected())
        self.assertTrue(d.find_element(By.CSS_SELECTOR,
                                       "input[name='p1_org'][value='pioneers']").is_selected())
        self.assertEqual(d.find_element(By.NAME, "region").get_attribute("value"), "sichuan")
        self.assertEqual(d.find_element(By.NAME, "text").get_attribute("value"),
                         "First line\nsecond line")
        self.assertEqual(self.server.stats()["total_statements"], before, "nothing stored")
        # Changed and sent: the change is what is published.
        box = d.find_element(By.NAME, "name")
        box.clear()
        box.send_keys("Preview Edited")
        d.find_element(By.CSS_SELECTOR, "form button.primary").click()
        send_from_preview(d)
        self.assertEqual(self.server.stats()["total_statements"], before + 1)
        names = [st["name"] for st in self.server.day_statements()]
        self.assertIn("Preview Edited", names)
        self.assertNotIn("Preview Edit", names)

    def test_form_errors_without_javascript(self):
        d = self.driver
        d.get(self.url("/en/submit"))
        d.find_element(By.NAME, "name").send_keys("Forgot Organisation")
        buttons = [b for b in d.find_elements(By.CSS_SELECTOR,
                                              "form button, form input[type='submit']")
                   if (b.get_attribute("type") or "submit") == "submit"
                   and b.get_attribute("name") != "more"]
        buttons[0].click()
        WebDriverWait(d, 20).until(lambda drv: drv.find_elements(By.ID, "error-org"))
        self.assertEqual(d.find_element(By.NAME, "name").get_attribute("value"),
                         "Forgot Organisation")
        self.assertFalse(re.search(harness.CJK_RE, d.find_element(By.ID, "error-org").text))


class ReceiptHistoryTest(ServerTestCase, unittest.TestCase):
    """The secret receipt in a real browser without JavaScript: a declaration through to
    the receipt and a status look-up, then the browser's own history (its session through
    the DevTools protocol, and the profile's History file once Chromium has closed) holds
    the code in no URL."""

    def test_receipt_code_is_in_no_url_of_the_history(self):
        profile = tempfile.mkdtemp(prefix="tuidang-chromium-history-")
        self.addCleanup(shutil.rmtree, profile, True)
        d = start_chromium(profile, javascript=False)
        try:
            d.get(self.server.base + "/submit")
            d.find_element(By.NAME, "name").send_keys("历史记录测")
            d.find_element(By.CSS_SELECTOR, "input[name='org'][value='party']").click()
            d.find_element(By.CSS_SELECTOR, "form button.primary").click()
            send_from_preview(d)
            code = harness.receipt_digits(d.find_element(By.ID, "receipt-code").text.strip())
            self.assertRegex(code, harness.RECEIPT_DIGITS_RE)
            # Written down: on to the receipt.
            d.find_element(By.CSS_SELECTOR, "#continue-form input[type='checkbox']").click()
            d.find_element(By.CSS_SELECTOR, "#continue-form button").click()
            WebDriverWait(d, 20).until(lambda drv: drv.find_elements(By.ID, "withdraw-form"))
            self.assertTrue(d.find_elements(By.CSS_SELECTOR, "span.status-published"))
            # Later, a status look-up from the home page, the code typed with spaces.
            d.get(self.server.base + "/")
            box = d.find_element(By.CSS_SELECTOR, "form[action$='/receipt'] input[name='code']")
            box.send_keys(" ".join(code[i:i + 4] for i in range(0, 24, 4)))
            box.submit()
            WebDriverWait(d, 20).until(lambda drv: drv.find_elements(By.ID, "withdraw-form"))
            self.assertEqual(harness.receipt_digits(d.find_element(By.ID, "receipt-code").text),
                             code)
            # The session's history, as the browser holds it.
            entries = d.execute_cdp_cmd("Page.getNavigationHistory", {})["entries"]
            session_urls = [e["url"] for e in entries]
        finally:
            d.quit()
        self.assertGreaterEqual(len(session_urls), 4, session_urls)
        # The profile's History file, written when Chromium closed.
        history = os.path.join(profile, "Default", "History")
        self.assertTrue(os.path.exists(history), os.listdir(profile))
        db = sqlite3.connect(f"file:{history}?mode=ro", uri=True)
        try:
            stored = [u for (u,) in db.execute("SELECT url FROM urls")]
            visits = db.execute("SELECT COUNT(*) FROM visits").fetchone()[0]
        finally:
            db.close()
        self.assertTrue(any(urllib.parse.urlsplit(u).path == "/submit" for u in stored), stored)
        self.assertTrue(any(urllib.parse.urlsplit(u).path == "/receipt" for u in stored), stored)
        self.assertGreaterEqual(visits, 3)
        groups = [code[i:i + 4] for i in range(0, 24, 4)]
        for url in session_urls + stored:
            for spelling in (code, "-".join(groups), "+".join(groups), "%20".join(groups)):
                self.assertNotIn(spelling, url)
            # Nor any group of it next to another: no piece of the code either.
            self.assertIsNone(re.search(r"\d{8}", urllib.parse.unquote(url)), url)


class BrowserWithJavaScriptTest(BrowserTest):
    """The same with JavaScript on, as most browsers run: the page's optional scripts must
    not get in the way of a submission."""
    JAVASCRIPT = True


# ---------------------------------------------------------------------------------------
# Phones and keyboards (issue 15)

SIZES = [(320, 568), (390, 844), (1366, 900)]
# Screenshots at 320 and 1366 px land here when set (TUIDANG_SCREENSHOTS=/tmp/shots).
SCREENSHOTS = os.environ.get("TUIDANG_SCREENSHOTS")
# A name of 40 characters without a space, and texts a line cannot break by itself.
LONG_NAME = "Wangxiaomingwangxiaomingwangxiaomingwang"
LONG_TEXT = "x" * 300 + " https://example.org/" + "a/" * 80

WIDTH_JS = """
const w = window.innerWidth, wide = [];
for (const e of document.querySelectorAll('body *')) {
  const r = e.getBoundingClientRect();
  if (r.width && r.right > w + 0.5) {
    wide.push(e.tagName.toLowerCase() + (e.id ? '#' + e.id : '') +
              (typeof e.className == 'string' && e.className ? '.' + e.className : '') +
              ' right=' + Math.round(r.right));
  }
}
return {scroll: document.documentElement.scrollWidth, inner: w, wide: wide.slice(0, 10)};
"""

# The rendered size of every chart label on the page, in CSS pixels: HTML text by its font
# size, SVG text by its font size times the drawing's scale.
LABELS_JS = """
const out = [];
for (const e of document.querySelectorAll('figure .axis span, figure figcaption')) {
  out.push([e.textContent, parseFloat(getComputedStyle(e).fontSize)]);
}
for (const t of document.querySelectorAll('svg text')) {
  out.push([t.textContent, parseFloat(getComputedStyle(t).fontSize) * t.getScreenCTM().a]);
}
return out;
"""


class PhoneLayoutTest(unittest.TestCase):
    """Every public page at 320x568, 390x844 and 1366x900 with a mobile viewport: nothing
    wider than the screen, a call to action a thumb can hit, chart labels one can read,
    a skip link, and form errors a screen reader finds."""
    JAVASCRIPT = False

    @classmethod
    def setUpClass(cls):
        cls.server = harness.Server({"checkpoint_interval_ms": 100}, name="phone")
        cls.server.start()
        cls.profile = tempfile.mkdtemp(prefix="tuidang-chromium-")
        try:
            s = cls.server
            cls.long = s.submit_api(LONG_NAME, organisations=("party", "league", "pioneers"),
                                    region="guangdong", occupation="teacher", text=LONG_TEXT,
                                    persons=[{"name": "李" * 40, "organisations": ["league"]}])
            for i in range(12):
                s.submit_api(f"王小明{i}", text="我声明退出中国共产党及其附属组织。" * (i % 3))
            cls.number = s.day_statements()[-1]["number"]
            for _ in range(100):  # the log page shows a checkpoint once there is one
                if s.get("/log/checkpoint").status == 200:
                    break
                time.sleep(0.1)
            cls.driver = start_chromium(cls.profile, cls.JAVASCRIPT)
        except Exception:
            cls.tearDownClass()
            raise

    @classmethod
    def tearDownClass(cls):
        try:
            if getattr(cls, "driver", None):
                cls.driver.quit()
        finally:
            shutil.rmtree(cls.profile, ignore_errors=True)
            cls.server.stop()
            cls.server.cleanup()

    def pages(self):
        today = harness.today_cst()
        long_number = self.server.day_statements()[0]["number"]
        for st in self.server.day_statements():
            if st["name"] == LONG_NAME:
                long_number = st["number"]
        return {"home": "/zh-hans/", "submit": "/submit", "statements": "/statements",
                "day": f"/statements?date={today}", "stats": "/stats", "log": "/log",
                "search": "/search?" + urllib.parse.urlencode({"name": "王小明1"}),
                "search-none": "/search?" + urllib.parse.urlencode({"name": "王"}),
                "statement": f"/statements/{long_number}", "en-submit": "/en/submit",
                "hant-stats": "/zh-hant/stats?range=all", "about": "/about",
                "en-privacy": "/en/privacy", "hant-safety": "/zh-hant/safety"}

    def viewport(self, width, height):
        self.driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", {
            "width": width, "height": height, "deviceScaleFactor": 1, "mobile": width < 800})

    def load(self, path):
        self.driver.get(self.server.base + path)

    def screenshot(self, name):
        if not SCREENSHOTS:
            return
        os.makedirs(SCREENSHOTS, exist_ok=True)
        shot = self.driver.execute_cdp_cmd("Page.captureScreenshot",
                                           {"format": "png", "captureBeyondViewport": True})
        mode = "js" if self.JAVASCRIPT else "nojs"
        with open(os.path.join(SCREENSHOTS, f"{name}-{mode}.png"), "wb") as f:
            f.write(base64.b64decode(shot["data"]))

    def assert_fits(self, what, width):
        m = self.driver.execute_script(WIDTH_JS)
        # A mobile viewport zooms out to fit a page wider than the screen: innerWidth then
        # grows too, so it must still be the screen's width.
        self.assertEqual(m["inner"], width, f"{what}: the viewport was zoomed out: {m}")
        self.assertLessEqual(m["scroll"], m["inner"], f"{what} scrolls sideways: {m}")

    def test_no_page_is_wider_than_the_screen(self):
        for width, height in SIZES:
            self.viewport(width, height)
            for name, path in self.pages().items():
                self.load(path)
                self.assert_fits(f"{path} at {width}x{height}", width)
                if width in (320, 1366):
                    self.screenshot(f"{name}-{width}")

    def test_form_with_errors_fits_and_is_tied_to_its_fields(self):
        d = self.driver
        self.viewport(320, 568)
        self.load("/en/submit")
        box = d.find_element(By.NAME, "name")
        box.send_keys("N" * 45)
        self.assertEqual(len(box.get_attribute("value")), 40, "maxlength is not the server's 40")
        box.clear()
        box.send_keys("Forgot Organisation")
        d.find_element(By.CSS_SELECTOR, "form button.primary").click()
        WebDriverWait(d, 20).until(lambda drv: drv.find_elements(By.ID, "error-org"))
        self.assert_fits("/en/submit with errors at 320", 320)
        self.screenshot("submit-errors-320")
        # The summary has the focus, and links the field.
        self.assertEqual(d.execute_script("return document.activeElement.id"), "error-form")
        summary = d.find_element(By.ID, "error-form")
        self.assertEqual(summary.get_attribute("role"), "alert")
        links = [a.get_attribute("href") for a in summary.find_elements(By.TAG_NAME, "a")]
        self.assertTrue(any(h.endswith("#org-party") for h in links), links)
        d.find_element(By.ID, "org-party")  # the link's target exists
        # The group of choices is described by its message and marked invalid.
        group = d.find_element(By.XPATH, "//fieldset[.//input[@id='org-party']]")
        self.assertEqual(group.get_attribute("aria-describedby"), "error-org")
        self.assertEqual(group.get_attribute("aria-invalid"), "true")
        # The name, which was right, is not.
        self.assertIsNone(d.find_element(By.NAME, "name").get_attribute("aria-invalid"))

    def test_call_to_action_is_a_button_a_thumb_can_hit(self):
        d = self.driver
        self.viewport(320, 568)
        self.load("/zh-hans/")
        cta = [a for a in d.find_elements(By.CSS_SELECTOR, "main a")
               if a.text.strip() == "声明退出"]
        self.assertEqual(len(cta), 1, d.page_source[:2000])
        rect = cta[0].rect
        self.assertGreaterEqual(rect["height"], 44, rect)
        self.assertGreaterEqual(rect["width"], 44, rect)
        self.assertEqual(urllib.parse.urlsplit(cta[0].get_attribute("href")).path, "/submit")
        # It looks like a button: a filled background, no underline.
        style = d.execute_script(
            "const s = getComputedStyle(arguments[0]);"
            "return [s.backgroundColor, s.textDecorationLine, s.display];", cta[0])
        self.assertNotIn(style[0], ("rgba(0, 0, 0, 0)", "transparent"), style)
        self.assertEqual(style[1], "none", style)
        self.assertEqual(style[2], "inline-block", style)

    def test_chart_labels_are_legible_on_a_phone(self):
        self.viewport(320, 568)
        for path in ("/stats", "/en/stats?range=all"):
            self.load(path)
            labels = self.driver.execute_script(LABELS_JS)
            self.assertGreaterEqual(len(labels), 6, labels)  # top, first and last day, twice
            small = [lb for lb in labels if lb[1] < 12]
            self.assertEqual(small, [], f"{path}: labels under 12 px at 320 px")

    def test_skip_link(self):
        d = self.driver
        self.viewport(1366, 900)
        self.load("/stats")
        first = d.execute_script(
            "return document.querySelector('body a, body button, body input')")
        self.assertEqual(first.get_attribute("class"), "skip")
        self.assertEqual(urllib.parse.urlsplit(first.get_attribute("href")).fragment, "main")
        d.find_element(By.TAG_NAME, "body").send_keys(Keys.TAB)
        active = d.switch_to.active_element
        self.assertEqual(active.get_attribute("class"), "skip")
        self.assertGreaterEqual(active.rect["x"], 0, "the skip link stays off screen when focused")
        active.send_keys(Keys.ENTER)
        WebDriverWait(d, 5).until(
            lambda drv: drv.execute_script("return document.activeElement.id") == "main")

    def test_receipt_code_never_breaks_inside_a_group(self):
        d = self.driver
        self.viewport(320, 568)
        self.load("/submit")
        d.find_element(By.NAME, "name").send_keys("回执测试")
        d.find_element(By.CSS_SELECTOR, "input[name='org'][value='party']").click()
        d.find_element(By.CSS_SELECTOR, "form button.primary").click()
        WebDriverWait(d, 20).until(lambda drv: drv.find_elements(By.ID, "preview"))
        for width, height in SIZES:
            self.viewport(width, height)
            self.assert_fits(f"the preview at {width}", width)
            if width in (320, 1366):
                self.screenshot(f"preview-{width}")
        self.viewport(320, 568)
        send_from_preview(d)
        WebDriverWait(d, 20).until(lambda drv: drv.find_elements(By.CSS_SELECTOR, "code.receipt"))
        self.assert_fits("the receipt at 320", 320)
        self.screenshot("receipt-320")
        code = d.find_element(By.CSS_SELECTOR, "code.receipt")
        self.assertRegex(code.text.strip(), harness.RECEIPT_RE)
        # One line, whole, on the screen.
        m = d.execute_script(
            "const e = arguments[0], r = e.getBoundingClientRect(), s = getComputedStyle(e);"
            "return [r.height, parseFloat(s.lineHeight) || parseFloat(s.fontSize) * 1.6,"
            " e.scrollWidth, e.clientWidth, r.right, parseFloat(s.fontSize)];", code)
        self.assertLess(m[0], 2 * m[1], f"the code wraps: {m}")
        self.assertLessEqual(m[2], m[3] + 1, f"the code is cut: {m}")
        self.assertLessEqual(m[4], 320, m)
        self.assertGreaterEqual(m[5], 12, f"the code is too small to read: {m}")


class PhoneLayoutWithJavaScriptTest(PhoneLayoutTest):
    JAVASCRIPT = True



if __name__ == "__main__":
    unittest.main(verbosity=2)
