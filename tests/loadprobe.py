"""What a load does to the requests that must stay fast (/healthz and a durable submission),
for the tests that attack a server and assert it keeps serving: the login flood
(test_login.py) and the crawler (test_crawler.py).

The load is a separate process (so that the measuring one is not slowed by its threads)
that prints "start" when it begins and exits when done, printing one JSON line per result.
Short interleaved phases, unloaded then loaded, several rounds: the machine's own noise
(another build, the disk's sync time changing from one second to the next) falls on both
sides alike."""
import json
import statistics
import sys
import time

# Twice the unloaded median, and 10 ms for the load's own CPU on a shared two-core machine
# (CI saw a submission's median go 7.6 -> 15.8 ms with other builds running): a request that
# waits behind the load's work (an Argon2id hash is about 100 ms, a queue of pages tens of
# milliseconds) still fails it.
SLACK_SECONDS = 0.010


def sample(tc, server, healthz, submits, until):
    """Measures /healthz (every 20 ms) and a submission (every 2nd sample) until `until()`
    is true; appends the seconds each took."""
    hc, sc = server.client(), server.client()
    n = 0
    try:
        while not until():
            t0 = time.monotonic()
            r = hc.get("/healthz")
            healthz.append(time.monotonic() - t0)
            tc.assertEqual(r.status, 200, r.describe())
            if n % 2 == 0:
                t0 = time.monotonic()
                r = sc.post_json("/api/v1/statements",
                                 {"name": f"测量{n}", "organisations": ["party"]})
                submits.append(time.monotonic() - t0)
                tc.assertEqual(r.status, 201, r.describe())
            n += 1
            time.sleep(0.02)
    finally:
        hc.close()
        sc.close()


def compare(tc, server, start_load, rounds, unloaded_seconds, what, slack=SLACK_SECONDS):
    """Runs `rounds` of an unloaded phase and one load (`start_load()` -> a Popen with
    stdout=PIPE, text=True); asserts that the medians of /healthz and of a submission during
    the load stay within twice the unloaded ones plus `slack` seconds. Returns the load
    processes' JSON lines and the medians {what: (unloaded, loaded)}."""
    quiet = {"healthz": [], "submit": []}
    loud = {"healthz": [], "submit": []}
    answers = []
    # Warm-up (first pages rendered, first commit made), not measured.
    sample(tc, server, [], [], lambda end=time.monotonic() + 0.5: time.monotonic() > end)
    for _ in range(rounds):
        end = time.monotonic() + unloaded_seconds
        sample(tc, server, quiet["healthz"], quiet["submit"], lambda: time.monotonic() > end)
        load = start_load()
        try:
            # Measured from the load's first request on (a sample taken while the loading
            # process starts up is not "during the load").
            tc.assertEqual(load.stdout.readline().strip(), "start")
            sample(tc, server, loud["healthz"], loud["submit"], lambda: load.poll() is not None)
            out, _ = load.communicate(timeout=120)
        finally:
            if load.poll() is None:
                load.kill()
                load.wait(10)
        answers += [json.loads(line) for line in out.splitlines() if line.strip()]
    med = {k: (statistics.median(quiet[k]), statistics.median(loud[k])) for k in quiet}
    report = ", ".join(f"{k}: unloaded median {a * 1000:.2f} ms ({len(quiet[k])}), "
                       f"during the {what} {b * 1000:.2f} ms ({len(loud[k])})"
                       for k, (a, b) in med.items())
    print(f"\n{report}", file=sys.stderr)
    for k, (unloaded, loaded) in med.items():
        tc.assertLessEqual(loaded, 2 * unloaded + slack,
                           f"{k} slowed by the {what}: {report}")
    return answers, med
