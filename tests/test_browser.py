"""A person in a real browser with JavaScript disabled (Tor Browser "Safest"): headless
Debian Chromium fills the form in Chinese, submits, lands on the receipt page, and finds
the statement by name in search."""

import os
import re
import shutil
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


class BrowserTest(ServerTestCase, unittest.TestCase):
    JAVASCRIPT = False  # Tor Browser "Safest"

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.profile = tempfile.mkdtemp(prefix="tuidang-chromium-")
        opts = webdriver.ChromeOptions()
        opts.binary_location = CHROMIUM
        for flag in ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                     "--no-first-run", "--disable-background-networking",
                     "--disable-component-update", "--disable-sync", "--no-proxy-server",
                     "--disable-dev-shm-usage", "--lang=zh-CN", "--window-size=1024,900",
                     f"--user-data-dir={cls.profile}"):
            opts.add_argument(flag)
        opts.add_experimental_option("prefs", {
            "profile.managed_default_content_settings.javascript": 1 if cls.JAVASCRIPT else 2,
            "intl.accept_languages": "zh-CN,zh",
        })
        try:
            cls.driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=opts)
        except Exception:
            super().tearDownClass()
            shutil.rmtree(cls.profile, ignore_errors=True)
            raise
        cls.driver.set_page_load_timeout(30)

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
        WebDriverWait(d, 20).until(lambda drv: "/receipt/" in drv.current_url)
        path = urllib.parse.urlsplit(d.current_url).path
        self.assertRegex(path, r"^/receipt/[0-9-]+$")
        code = d.find_element(By.CSS_SELECTOR, "code.receipt").text.strip()
        self.assertRegex(code, harness.RECEIPT_RE)
        self.assertTrue(d.find_elements(By.CSS_SELECTOR, "span.status.status-published"),
                        d.page_source[:2000])
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
            WebDriverWait(d, 10).until(lambda drv: "/receipt/" in drv.current_url)
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

class BrowserWithJavaScriptTest(BrowserTest):
    """The same with JavaScript on, as most browsers run: the page's optional scripts must
    not get in the way of a submission."""
    JAVASCRIPT = True


if __name__ == "__main__":
    unittest.main(verbosity=2)
