#!/usr/bin/env python3
"""The operators' console (issue 4) as operators use it: accounts from the CLI, set-up with
a password and TOTP, login, roles, CSRF, session expiry, a wrong code, every
channel's form, a group of five, the moderation queue's bulk reject, self-service
withdrawal with the receipt code, and the audit trail recording all of it."""
import base64
import hashlib
import hmac
import re
import struct
import subprocess
import time
import unittest
import urllib.parse

import harness


def hotp(secret_b32, counter):
    key = base64.b32decode(secret_b32 + "=" * (-len(secret_b32) % 8))
    mac = hmac.new(key, struct.pack(">Q", counter), hashlib.sha1).digest()
    o = mac[-1] & 15
    return "%06d" % ((struct.unpack(">I", mac[o:o + 4])[0] & 0x7FFFFFFF) % 1000000)


def totp(secret_b32, at=None):
    return hotp(secret_b32, int((at or time.time()) // 30))


class Operator:
    def __init__(self, server, name, password):
        self.server, self.name, self.password = server, name, password
        self.cookie = None
        self.secret = None
        self.used_step = -1  # the server accepts each code once (web/ops_auth.h)

    def fresh_code(self):
        """A code the server has not accepted yet: of the step before, this or the next one
        (the skew it allows), waiting for the next step when all three were used."""
        while True:
            now = time.time()
            step = int(now // 30)
            # The step before only early in a step, so that it is still valid on arrival.
            lowest = step - 1 if now % 30 < 20 else step
            candidate = max(self.used_step + 1, lowest)
            if candidate <= step + 1:
                self.used_step = candidate
                return hotp(self.secret, candidate)
            time.sleep((candidate - 1) * 30 - now + 0.2)

    def setup(self, link):
        path = link[link.index("/ops/setup"):]
        page = self.server.get(path)
        assert page.status == 200, page.describe()
        uri = re.search(r'id="otpauth">([^<]+)<', page.text).group(1).replace("&amp;", "&")
        self.secret = urllib.parse.parse_qs(urllib.parse.urlparse(uri).query)["secret"][0]
        token = urllib.parse.parse_qs(urllib.parse.urlparse(path).query)["token"][0]
        return self.server.post_form("/ops/setup", {"token": token, "password": self.password,
                                                    "password2": self.password,
                                                    "code": self.fresh_code()})

    def login(self, code=None):
        r = self.server.post_form("/ops/login", {"name": self.name, "password": self.password,
                                                 "code": code or self.fresh_code()})
        if r.status == 303:
            cookie = r.header("Set-Cookie")
            self.cookie = cookie.split(";")[0]
        return r

    def get(self, path):
        return self.server.get(path, headers={"Cookie": self.cookie})

    def csrf(self, path="/ops"):
        return re.search(r'name="csrf" value="([0-9a-f]+)"', self.get(path).text).group(1)

    def post(self, path, fields, csrf=True):
        fields = list(fields.items()) if isinstance(fields, dict) else list(fields)
        if csrf:
            fields.append(("csrf", self.csrf()))
        return self.server.post_form(path, fields, headers={"Cookie": self.cookie})


class OpsTest(unittest.TestCase):
    SETTINGS = {"ops_idle_timeout_seconds": 4, "operator_policy": "publish",
                "public_url": "http://127.0.0.1:8080"}

    @classmethod
    def setUpClass(cls):
        cls.server = harness.Server(cls.SETTINGS, name="ops")
        cls.server.start()
        cls.ops = {}
        for name, role in [("alice", "admin"), ("bob", "volunteer"), ("carol", "moderator")]:
            out = cls.cli("user", "add", name, "--role", role)
            assert out.returncode == 0, out.stderr
            link = re.search(r"(http://\S+/ops/setup\?token=[0-9a-f]+)", out.stdout).group(1)
            op = Operator(cls.server, name, f"correct horse {name} battery")
            r = op.setup(link)
            assert r.status == 200, r.describe()
            cls.ops[name] = (op, link)

    @classmethod
    def tearDownClass(cls):
        cls.server.stop()
        cls.server.cleanup()

    @classmethod
    def cli(cls, *args):
        return subprocess.run([harness.binary(), *args, "--data", cls.server.data],
                              capture_output=True, text=True, timeout=60)

    def logged_in(self, name):
        op = self.ops[name][0]
        r = op.login()
        self.assertEqual(r.status, 303, r.describe())
        return op

    def test_setup_link_is_one_time_and_cookie_is_strict(self):
        op, link = self.ops["alice"]
        again = self.server.get(link[link.index("/ops/setup"):])
        self.assertEqual(again.status, 404)
        r = op.login()
        cookie = r.header("Set-Cookie")
        for attr in ("Secure", "HttpOnly", "SameSite=Strict", "Path=/ops"):
            self.assertIn(attr, cookie)
        self.assertIn("alice", op.get("/ops").text)
        self.assertEqual(op.get("/ops").header("Cache-Control"), "no-store")
        listing = self.cli("user", "list")
        self.assertIn("alice\tadmin\tactive", listing.stdout)

    def test_wrong_code_then_right_code_at_once(self):
        out = self.cli("user", "add", "dave", "--role", "volunteer")
        link = re.search(r"(http://\S+/ops/setup\?token=[0-9a-f]+)", out.stdout).group(1)
        dave = Operator(self.server, "dave", "dave's long password")
        self.assertEqual(dave.setup(link).status, 200)
        valid = {hotp(dave.secret, int(time.time() // 30) + k) for k in (-1, 0, 1, 2)}
        bad = dave.login(code=next(c for c in ("000000", "111111", "222222") if c not in valid))
        self.assertEqual(bad.status, 403)
        self.assertIn('id="error-login"', bad.text)
        # One failure does not make the right password and code wait: failures slow a name
        # only from the tenth on, and never the right code (test_login.py).
        self.assertEqual(dave.login().status, 303)
        # A disabled operator cannot log in.
        self.assertEqual(self.cli("user", "disable", "dave").returncode, 0)
        self.assertEqual(dave.login().status, 403)

    def test_roles(self):
        bob, carol, alice = self.logged_in("bob"), self.logged_in("carol"), self.logged_in("alice")
        self.assertEqual(bob.get("/ops/queue").status, 403)
        self.assertEqual(bob.get("/ops/audit").status, 403)
        self.assertEqual(bob.get("/ops/withdraw").status, 403)
        self.assertEqual(carol.get("/ops/queue").status, 200)
        self.assertEqual(carol.get("/ops/audit").status, 403)
        self.assertEqual(alice.get("/ops/audit").status, 200)
        self.assertEqual(self.server.get("/ops/queue").status, 401, "no session, no queue")

    def test_csrf_and_session_expiry(self):
        bob = self.logged_in("bob")
        before = self.server.stats()["total_statements"]
        r = bob.post("/ops/enter", {"channel": "letter", "name": "无令牌", "org": "party"}, csrf=False)
        self.assertEqual(r.status, 403)
        r = bob.post("/ops/enter", [("channel", "letter"), ("name", "错令牌"), ("org", "party"),
                                    ("csrf", "0" * 64)], csrf=False)
        self.assertEqual(r.status, 403)
        self.assertEqual(self.server.stats()["total_statements"], before)
        time.sleep(5)
        self.assertEqual(bob.get("/ops/enter?channel=letter").status, 401, "idle session expired")

    def test_channels_group_and_public_view(self):
        bob = self.logged_in("bob")
        before = self.server.stats()
        # Phone needs the declarant's consent.
        r = bob.post("/ops/enter", {"channel": "phone", "name": "电话张三", "org": "party"})
        self.assertEqual(r.status, 400)
        self.assertIn('id="error-consent"', r.text)
        consent = "2026-11-23电话声明；同意以电话张三公布"
        r = bob.post("/ops/enter", {"channel": "phone", "name": "电话张三", "org": "party",
                                    "consent": consent, "region": "hubei"})
        self.assertEqual(r.status, 200, r.describe())
        number = int(re.search(r"(\d+)", re.search(r'id="entered">([^<]+)<', r.text).group(1)).group(1))
        st = self.server.get(f"/api/v1/statements/{number}").json()
        self.assertEqual(st["channel"], "phone")
        self.assertIn(consent, st["record"])
        self.assertNotIn("bob", self.server.get(f"/en/statements/{number}").text)
        self.assertNotIn("bob", st["record"])
        # Poster needs a place.
        r = bob.post("/ops/enter", {"channel": "poster", "name": "墙上的人", "org": "league"})
        self.assertIn('id="error-place"', r.text)
        r = bob.post("/ops/enter", {"channel": "poster", "name": "墙上的人", "org": "league",
                                    "place": "某市火车站", "text": "三退保平安"})
        self.assertEqual(r.status, 200)
        # A family of five counts five persons.
        fields = [("channel", "letter"), ("name", "家长"), ("org", "party"),
                  ("text", "全家五口，另有邻居三人（未具名，不计）")]
        for i in range(1, 5):
            fields += [(f"p{i}_name", f"家人{i}"), (f"p{i}_org", "pioneers" if i % 2 else "league")]
        r = bob.post("/ops/enter", fields)
        self.assertEqual(r.status, 200, r.describe())
        number = int(re.search(r"(\d+)", re.search(r'id="entered">([^<]+)<', r.text).group(1)).group(1))
        self.assertEqual(self.server.get(f"/api/v1/statements/{number}").json()["persons_count"], 5)
        after = self.server.stats()
        self.assertEqual(after["total_persons"] - before["total_persons"], 1 + 1 + 5)
        # Every channel has its form.
        for channel in ("phone", "letter", "fax", "email", "poster", "sheet"):
            self.assertEqual(bob.get(f"/ops/enter?channel={channel}").status, 200, channel)
        self.assertEqual(bob.get("/ops/enter?channel=web").status, 400)

    def test_moderator_withdraws_and_declarant_self_service(self):
        carol = self.logged_in("carol")
        j = self.server.submit_api("自助撤回")
        j2 = self.server.submit_api("审核员撤下")
        r = carol.post("/ops/withdraw", {"number": str(j2["number"]), "reason": "fake"})
        self.assertIn('id="notice"', r.text)
        self.assertEqual(self.server.get(f"/api/v1/statements/{j2['number']}").status, 404)
        page = harness.post_receipt(self.server, j["receipt"], "", "/en")
        self.assertIn("/withdraw", page.text)
        # Without the confirmation nothing is withdrawn: the page that asks for it instead.
        no = harness.post_receipt(self.server, j["receipt"], "/withdraw", "/en")
        self.assertEqual(no.status, 200, no.describe())
        self.assertIn('id="confirm-withdraw"', no.text)
        self.assertEqual(self.server.get(f"/api/v1/statements/{j['number']}").status, 200)
        yes = harness.post_receipt(self.server, j["receipt"], "/withdraw", "/en", {"confirm": "1"})
        self.assertEqual(yes.status, 200, yes.describe())
        self.assertIn('id="withdrawn"', yes.text)
        self.assertEqual(self.server.get(f"/api/v1/statements/{j['number']}").status, 404)
        self.assertEqual(self.server.get(f"/api/v1/receipts/{j['receipt']}").json()["status"], "withdrawn")
        alice = self.logged_in("alice")
        trail = alice.get("/ops/audit").text
        self.assertIn("withdrew", trail)
        self.assertIn(f"statement {j2['number']} (fake)", trail)
        self.assertIn("logged in", trail)


class HoldPolicyTest(unittest.TestCase):
    """Operator entries held for a second operator; the queue's bulk reject and approve."""

    def test_queue(self):
        server = harness.Server({"operator_policy": "hold", "publish_policy": "hold"}, name="ops-hold")
        server.start()
        try:
            OpsTest.server = server
            ops = {}
            for name, role in [("vera", "volunteer"), ("mo", "moderator"), ("ada", "admin")]:
                out = OpsTest.cli("user", "add", name, "--role", role)
                link = re.search(r"(http://\S+/ops/setup\?token=[0-9a-f]+)", out.stdout).group(1)
                op = Operator(server, name, f"password of {name} 123")
                self.assertEqual(op.setup(link).status, 200)
                self.assertEqual(op.login().status, 303)
                ops[name] = op
            for i in range(3):
                self.assertEqual(server.submit_api(f"洪水{i}", text="同一段洪水文字")["status"], "held")
            r = ops["vera"].post("/ops/enter", {"channel": "letter", "name": "来信者", "org": "league"})
            self.assertIn('id="entered"', r.text)
            self.assertEqual(server.stats()["total_statements"], 0)
            queue = ops["mo"].get("/ops/queue")
            self.assertIn("Held statements: 4", ops["mo"].server.get("/ops/queue", headers={
                "Cookie": ops["mo"].cookie, "Accept-Language": "en"}).text)
            self.assertIn("same_text", queue.text)
            text_key = re.search(r'name="same_text" value="([^"]+)"', queue.text).group(1)
            r = ops["mo"].post("/ops/queue", {"same_text": text_key, "action": "reject"})
            self.assertEqual(r.status, 200)
            held_ids = re.findall(r'id="held-(\d+)"', r.text)
            self.assertEqual(len(held_ids), 1)
            r = ops["mo"].post("/ops/queue", [("id", held_ids[0]), ("action", "approve")])
            self.assertIn('id="notice"', r.text)
            stats = server.stats()
            self.assertEqual((stats["total_statements"], stats["tree_size"]), (1, 1))
            trail = ops["ada"].get("/ops/audit").text
            self.assertEqual(trail.count("rejected"), 3)
            self.assertIn("approved", trail)
            self.assertIn("entered", trail)
        finally:
            server.stop()
            server.cleanup()


if __name__ == "__main__":
    unittest.main(verbosity=2)
