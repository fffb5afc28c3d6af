#!/usr/bin/env python3
"""The soak (issue 17): MINUTES of steady submissions against one `tuidang serve` whose data
folder is a tmpfs, with a kill -9 every minute and one disk-full episode in the middle;
then every acknowledged statement must be there, the log must audit from the state saved
at the start, and the server's RSS after the last restart must be within 10 % of the
first restart's (each measured 30 s after its start, under the same load).

The data folder starts with --prefill statements (default 300,000, imported from a sheet):
a real center's database is far larger than SQLite's page cache (64 MiB for the writer), so
a soak that started empty would measure the cache filling up as the database grows (the
first 60-minute run did: 31 MB at the first restart, 95 MB from about 180,000 statements
on, flat after that), not whether the server leaks.

usage: bench/soak.py [--minutes 10] [--rate 200] [--prefill 300000] [--bin build/tuidang]
(root: tmpfs)
Prints a summary and exits 1 if a check fails."""
import argparse
import http.client
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "tests"))
import harness  # noqa: E402


def rss_kib(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


class Load:
    """Steady submissions at `rate`/s from a few threads; keeps every acknowledged receipt."""

    def __init__(self, server, rate):
        self.server, self.rate = server, rate
        self.acked, self.refused, self.errors = [], 0, 0
        self.lock = threading.Lock()
        self.stop = threading.Event()
        self.threads = [threading.Thread(target=self.run, args=(i,), daemon=True) for i in range(4)]

    def run(self, k):
        interval = 4.0 / self.rate
        n = 0
        next_at = time.monotonic()
        while not self.stop.is_set():
            n += 1
            body = json.dumps({"name": f"浸泡{k}-{n}", "organisations": ["league"]}).encode()
            try:
                c = http.client.HTTPConnection("127.0.0.1", self.server.port, timeout=10)
                c.request("POST", "/api/v1/statements", body, {"Content-Type": "application/json"})
                r = c.getresponse()
                data = r.read()
                c.close()
                with self.lock:
                    if r.status == 201:
                        self.acked.append(json.loads(data)["receipt"])
                    else:
                        self.refused += 1
            except (OSError, http.client.HTTPException):
                with self.lock:
                    self.errors += 1  # the server was being killed: nothing acknowledged
            next_at += interval
            time.sleep(max(0.0, next_at - time.monotonic()))

    def start(self):
        for t in self.threads:
            t.start()

    def finish(self):
        self.stop.set()
        for t in self.threads:
            t.join()


def prefill(data, rows, work):
    """`rows` statements imported into the data folder `data` before the soak starts."""
    if rows <= 0:
        return
    sheet = os.path.join(work, "prefill.csv")
    surnames = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘"
    given = ["伟", "芳", "娜", "秀英", "敏", "静", "丽", "强", "磊", "军", "洋", "勇", "艳"]
    orgs = ["党", "团", "队", "党、团", "团、队", "党团队"]
    with open(sheet, "w", encoding="utf-8") as f:
        f.write("姓名,组织,内容\n")
        for i in range(rows):
            f.write(f"{surnames[i % len(surnames)]}{given[(i // 7) % len(given)]}{i},"
                    f"{orgs[i % len(orgs)]},我自愿退出中共及其附属组织，第{i}份。\n")
    binary = harness.binary()
    subprocess.run([binary, "user", "add", "soak-archivist", "--role", "volunteer", "--data",
                    data], check=True, capture_output=True, stdin=subprocess.DEVNULL)
    subprocess.run([binary, "import", sheet, "--channel", "sheet", "--operator",
                    "soak-archivist", "--data", data], check=True, capture_output=True)
    os.remove(sheet)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--minutes", type=float, default=10)
    ap.add_argument("--rate", type=float, default=200)
    ap.add_argument("--bin", default=os.path.join(HERE, "..", "build", "tuidang"))
    ap.add_argument("--tmpfs", default="4g")
    ap.add_argument("--prefill", type=int, default=300000)
    args = ap.parse_args()
    os.environ["TUIDANG_BIN"] = os.path.abspath(args.bin)
    if os.geteuid() != 0:
        sys.exit("soak: needs root (the data folder is a tmpfs, filled once)")

    mnt = tempfile.mkdtemp(prefix="tuidang-soak-")
    subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={args.tmpfs},mode=0700", "tmpfs", mnt],
                   check=True)
    server = harness.Server({}, data_dir=os.path.join(mnt, "data"), name="soak")
    work = tempfile.mkdtemp(prefix="tuidang-soak-work-")
    state = os.path.join(work, "audit.state")
    failures = []
    try:
        prefill(server.data, args.prefill, work)
        server.start(timeout=300)
        vkey = subprocess.run([harness.binary(), "log", "key", "--data", server.data],
                              capture_output=True, text=True, check=True).stdout.strip()
        server.submit_api("浸泡开始")
        time.sleep(1)
        out = subprocess.run([harness.binary(), "audit", server.base, "--vkey", vkey,
                              "--state", state], capture_output=True, text=True)
        if out.returncode != 0:
            failures.append("first audit: " + out.stderr)
        load = Load(server, args.rate)
        load.start()
        minutes = max(1, int(args.minutes))
        samples = []  # RSS 30 s after each start, under the same load
        restarts = 0
        for minute in range(minutes):
            time.sleep(30)
            samples.append(rss_kib(server.proc.pid))
            if minute == minutes // 2:
                # The disk-full episode: 15 s with no space left, then freed.
                filler = os.path.join(mnt, "filler")
                with open(filler, "wb", buffering=0) as f:
                    try:
                        while True:
                            f.write(b"\0" * (1 << 20))
                    except OSError:
                        pass
                time.sleep(15)
                os.remove(filler)
                time.sleep(15)
            else:
                time.sleep(30)
            server.kill()  # kill -9
            restarts += 1
            server.start(timeout=120)
        time.sleep(30)
        samples.append(rss_kib(server.proc.pid))
        load.finish()
        # The reference is the first restart's: like every later one it starts on a database
        # already bigger than SQLite's page cache, where the very first run starts empty.
        first_rss = samples[1] if len(samples) > 2 else samples[0]
        last_rss = samples[-1]
        time.sleep(2)

        missing = 0
        c = http.client.HTTPConnection("127.0.0.1", server.port, timeout=30)
        for code in load.acked:
            c.request("GET", f"/api/v1/receipts/{code}")
            r = c.getresponse()
            r.read()
            if r.status != 200:
                missing += 1
        c.close()
        if missing:
            failures.append(f"{missing} acknowledged statements missing")
        out = subprocess.run([harness.binary(), "audit", server.base, "--vkey", vkey,
                              "--state", state], capture_output=True, text=True)
        if out.returncode != 0:
            failures.append("final audit: " + out.stderr[-2000:])
        growth = last_rss / first_rss if first_rss else 0
        if growth > 1.10:
            failures.append(f"RSS grew {growth:.3f}x ({first_rss} -> {last_rss} KiB)")
        print(json.dumps({"minutes": minutes, "rate": args.rate, "prefill": args.prefill,
                          "acknowledged": len(load.acked),
                          "refused": load.refused, "connection_errors": load.errors,
                          "restarts": restarts, "missing": missing,
                          "rss_first_kib": first_rss, "rss_last_kib": last_rss,
                          "rss_ratio": round(growth, 3), "rss_samples_kib": samples, "audit": out.stdout.strip()[-300:],
                          "failures": failures}, ensure_ascii=False, indent=1))
    finally:
        if server.alive():
            server.proc.send_signal(signal.SIGTERM)
            server.proc.wait(30)
        server.cleanup()
        subprocess.run(["umount", "-l", mnt])
        os.rmdir(mnt)
        shutil.rmtree(work, ignore_errors=True)
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
