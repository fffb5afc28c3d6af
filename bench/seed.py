#!/usr/bin/env python3
"""Seeds a server with N statements through the API, over 8 keep-alive connections.

usage: bench/seed.py PORT N        (bench/run.sh and bench/pair.sh MODE=day)"""
import http.client, json, sys, threading

port, n = int(sys.argv[1]), int(sys.argv[2])


def work(share):
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    for i in range(share):
        body = json.dumps({"name": f"种子{i}", "organisations": ["party"],
                           "text": "用于基准测试的声明。"}, ensure_ascii=False).encode()
        c.request("POST", "/api/v1/statements", body, {"Content-Type": "application/json"})
        r = c.getresponse(); r.read()
        if r.status != 201:
            sys.exit(f"seeding failed: {r.status}")


threads = [threading.Thread(target=work, args=(n // 8 + (1 if k < n % 8 else 0),)) for k in range(8)]
[t.start() for t in threads]; [t.join() for t in threads]
