#!/usr/bin/env python3
"""Do two builds export the same bytes? scripts/export_identical.py OLD_BIN NEW_BIN

For a change that must not alter the static mirror (issue 12: pages render their links
through a link builder instead of having them rewritten afterwards). Makes one data folder
with OLD_BIN's server: statements on three days (one of them with three day-list pages),
hostile names and texts, several persons, a withdrawal; exports it with each binary into its
own folder and compares every file byte for byte (manifest, signed note and state included);
then adds statements today and a withdrawal, exports again into the same folders (the
incremental path) and compares again; and does the same once with the default submit
address and a --base-url. Past days come from libfaketime (Debian's faketime package), which
shifts the server's wall clock only.

Prints the differing files and exits 1 when the exports differ, 0 when they match."""
import filecmp
import os
import shutil
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests"))
import harness  # noqa: E402

FAKETIME_LIB = "/usr/lib/x86_64-linux-gnu/faketime/libfaketime.so.1"


def run(binary, *args):
    out = subprocess.run([binary, *args], capture_output=True, text=True, timeout=300,
                         stdin=subprocess.DEVNULL)
    if out.returncode != 0:
        raise SystemExit(f"{binary} {' '.join(args)} failed:\n{out.stdout}{out.stderr}")
    return out.stdout


def serve(server, days_ago, statements, start):
    """Publishes `statements` statements `days_ago` days back through the server's API."""
    saved = {k: os.environ.get(k) for k in ("LD_PRELOAD", "FAKETIME", "DONT_FAKE_MONOTONIC")}
    if days_ago:
        os.environ.update(LD_PRELOAD=FAKETIME_LIB, FAKETIME=f"-{days_ago}d",
                          DONT_FAKE_MONOTONIC="1")
    try:
        server.start()
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
    numbers = []
    try:
        for i in range(start, start + statements):
            extra = [{"name": f"家人{i}", "organisations": ["league"]}] if i % 4 == 0 else []
            r = server.submit_api(f"王<b>{i}</b>&\"'", organisations=("party", "pioneers"),
                                  region=harness.REGIONS[i % len(harness.REGIONS)],
                                  occupation=harness.OCCUPATIONS[i % 5], persons=extra,
                                  text=f"退出 <script>{i}</script> & \"引号\"")
            numbers.append(r["number"])
    finally:
        server.stop()
    return numbers


def differences(a, b):
    out = []
    for d, _, names in os.walk(a):
        for n in names:
            rel = os.path.relpath(os.path.join(d, n), a)
            other = os.path.join(b, rel)
            if not os.path.exists(other):
                out.append(f"only in {a}: {rel}")
            elif not filecmp.cmp(os.path.join(d, n), other, shallow=False):
                out.append(f"differs: {rel}")
    for d, _, names in os.walk(b):
        for n in names:
            rel = os.path.relpath(os.path.join(d, n), b)
            if not os.path.exists(os.path.join(a, rel)):
                out.append(f"only in {b}: {rel}")
    return out


def main():
    if len(sys.argv) != 3:
        raise SystemExit(__doc__)
    old, new = (os.path.abspath(p) for p in sys.argv[1:])
    if not os.path.exists(FAKETIME_LIB):
        raise SystemExit(f"{FAKETIME_LIB} missing: apt-get install faketime")
    os.environ["TUIDANG_BIN"] = old
    work = tempfile.mkdtemp(prefix="export-identical-")
    server = harness.Server({"checkpoint_interval_ms": 100}, name="export-identical")
    failures = []
    try:
        serve(server, 3, 6, 0)
        numbers = serve(server, 1, 120, 100)  # three day-list pages
        numbers += serve(server, 0, 20, 300)
        run(old, "withdraw", str(numbers[7]), "--reason", "danger", "--data", server.data)
        variants = {
            "live": ["--submit-url", "https://live.example.org", "--submit-url",
                     "http://abcdefghijklmnop.onion"],
            "default": ["--base-url", "https://mirror.example/tuidang"],
        }
        for step in ("first", "incremental"):
            if step == "incremental":
                numbers += serve(server, 0, 5, 400)
                run(old, "withdraw", str(numbers[-2]), "--reason", "fake", "--data", server.data)
            for name, flags in variants.items():
                folders = []
                for label, binary in (("old", old), ("new", new)):
                    out = os.path.join(work, f"{name}-{label}")
                    run(binary, "export", "--data", server.data, "--out", out, *flags)
                    folders.append(out)
                diff = differences(*folders)
                files = sum(len(n) for _, _, n in os.walk(folders[0]))
                print(f"{step} export, {name}: {files} files, {len(diff)} differ")
                failures += [f"{step} {name}: {d}" for d in diff]
    finally:
        server.cleanup()
        if os.environ.get("TUIDANG_KEEP"):
            print(f"kept {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)
    for f in failures[:50]:
        print(f)
    print("identical" if not failures else f"{len(failures)} differences")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
