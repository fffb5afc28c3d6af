#!/usr/bin/env python3
"""What the server writes to its standard error, which systemd's journal stamps line by line
with a precise time (issue 17, docs/deploy.md "Under systemd").

So no line may be written per request or per submission, whatever the request: accepted,
held as a flood, refused at a limit, malformed, smuggled, slow or unknown. The test loads a
server with the shipped defaults twice, the second time with five times as many requests of
every kind, and counts the lines: the second load adds none. And no line written at all
carries a client's address, port, User-Agent, a name or a receipt code that it sent.
"""
import json
import re
import socket
import unittest
import urllib.parse

import harness


def lines_of(server):
    return server.output_bytes().decode("utf-8", "replace").splitlines()


class JournalTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        # The shipped defaults: limits, proof of work and flood detection are on, so the load
        # meets every refusal too.
        cls.server = harness.Server(protections=True, name="journal")
        cls.server.start()
        cls.sent = set()  # what the clients sent that must not be echoed in a line

    @classmethod
    def tearDownClass(cls):
        cls.server.stop()
        cls.server.cleanup()

    def load(self, rounds, tag):
        s = self.server
        client = s.client()
        try:
            for i in range(rounds):
                name = f"日志{tag}{i}"
                self.sent.add(name)
                client.post_form("/submit", {"name": name, "org": "party", "text": "我退出"})
                body = json.dumps({"name": name + "乙", "organisations": ["league"]})
                client.request("POST", "/api/v1/statements", body.encode(),
                               {"Content-Type": "application/json",
                                "User-Agent": f"JournalAgent/{tag}{i}"})
                client.request("POST", "/api/v1/statements", b'{"name": ',
                               {"Content-Type": "application/json"})
                client.get("/en/statements")
                client.get(f"/no/such/page/{tag}{i}")
                harness.post_receipt(client, "1234-5678-9012-3456-7890-1234")
                client.get("/receipt/1234-5678-9012-3456-7890-1234")  # an address of before
                client.get("/api/v1/receipts/123456789012345678901234")
                client.get("/log/checkpoint")
                client.get("/search?q=" + urllib.parse.quote(name))
            # Requests the parser refuses, on their own connections.
            for i in range(max(1, rounds // 10)):
                harness.raw_exchange(s.host, s.port,
                                     b"POST /submit HTTP/1.1\r\nHost: x\r\n"
                                     b"Transfer-Encoding: chunked\r\nContent-Length: 5\r\n\r\n0\r\n\r\n")
                harness.raw_exchange(s.host, s.port, b"GARBAGE\r\n\r\n")
                with socket.create_connection((s.host, s.port), timeout=5) as sock:
                    sock.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n")  # and closes unfinished
        finally:
            client.close()

    def test_no_line_per_request(self):
        self.load(20, "a")
        after_first = len(lines_of(self.server))
        self.load(100, "b")
        after_second = len(lines_of(self.server))
        self.assertEqual(after_second, after_first,
                         "lines written by the second load:\n"
                         + "\n".join(lines_of(self.server)[after_first:]))
        self.assertLess(after_first, 20, "\n".join(lines_of(self.server)))
        # Nothing about a client in any line, from the start to here.
        # (The server's own listening address is not a client's.)
        own = f"{self.server.host}:{self.server.port}"
        text = "\n".join(lines_of(self.server)).replace(own, "")
        self.assertNotIn("127.0.0.1", text)
        self.assertNotIn("JournalAgent", text)
        self.assertIsNone(re.search(r":\d{4,5}\b", text), text)
        for name in self.sent:
            self.assertNotIn(name, text)


if __name__ == "__main__":
    unittest.main()
