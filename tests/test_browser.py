"""A person in a real browser with JavaScript disabled (Tor Browser "Safest"): headless
Debian Chromium fills the form in Chinese, submits, lands on the receipt page, and finds
the statement by name in search."""

import os
import re
import shutil
import sqlite3
import sys
import tempfile
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


class BrowserTest(ServerTestCase, unittest.TestCase):
    JAVASCRIPT = False  # Tor Browser "Safest"

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
            WebDriverWait(d, 10).until(lambda drv: drv.find_elements(By.ID, "receipt-code"))
        except TimeoutException:
            self.fail("Enter in the name field did not submit the statement; the page is "
                      f"{d.current_url} with fields "
                      f"{[e.get_attribute('name') for e in d.find_elements(By.CSS_SELECTOR, 'input[type=text]')]}")
        self.assertTrue(d.find_elements(By.CSS_SELECTOR, "code.receipt"))

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
            WebDriverWait(d, 20).until(lambda drv: drv.find_elements(By.ID, "receipt-code"))
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


if __name__ == "__main__":
    unittest.main(verbosity=2)
