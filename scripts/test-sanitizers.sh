#!/usr/bin/env bash
# The sanitizer half of CI (docs/fuzzing.md): one clang build in build-san/ with
# AddressSanitizer + UndefinedBehaviorSanitizer (and libFuzzer's coverage, so the same tree
# links the fuzz targets), the whole ctest suite against it, then every libFuzzer target for
# FUZZ_SECONDS (default 30) each, two at a time. Any sanitizer report, crash or failed test
# makes it exit non-zero.
#
# Idempotent: packages already installed are not touched, an up-to-date build does nothing.
# Environment: FUZZ_SECONDS (0 skips the timed fuzz runs), FUZZ_JOBS (default 2),
# SAN_BUILD (default build-san), SAN_SUITE=0 (skip the test suite). Arguments go to ctest.
set -euo pipefail
cd "$(dirname "$0")/.."

fuzz_seconds="${FUZZ_SECONDS:-30}"
fuzz_jobs="${FUZZ_JOBS:-2}"
build="${SAN_BUILD:-build-san}"

# Packages (the test suite's, and clang with its sanitizer and libFuzzer runtimes: the
# --test list of scripts/setup.sh), and build/, already up to date after scripts/test.sh.
scripts/setup.sh --test >/dev/null

# -O0 with line tables only: half the compile time of -O1 (the build is most of this
# script's time on a 2-core CI machine, docs/building.md), every report still with
# file:line; the tests, mostly waiting on sockets and disks, run about as fast. Warnings are
# the gcc build's job (-Werror there); clang 14 warns differently.
if [[ ! -f "$build/build.ninja" ]]; then
  CC=clang CXX=clang++ cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    -DCMAKE_CXX_FLAGS_RELWITHDEBINFO="-O0 -gline-tables-only" \
    -DTUIDANG_FUZZ=ON -DTUIDANG_WERROR=OFF >/dev/null
fi
cmake --build "$build" -j "$(nproc)"

# A finding stops the process with a non-zero status (the build also passes
# -fno-sanitize-recover=all). Leaks are reported at exit.
export ASAN_OPTIONS="halt_on_error=1:abort_on_error=1:detect_leaks=1:strict_string_checks=1:detect_stack_use_after_return=1:check_initialization_order=1"
export UBSAN_OPTIONS="halt_on_error=1:print_stacktrace=1"
export LSAN_OPTIONS="suppressions=$PWD/scripts/lsan.supp:print_suppressions=0"

if [[ "${SAN_SUITE:-1}" != 0 ]]; then  # SAN_SUITE=0: the fuzz runs only
  echo "test-sanitizers: the whole test suite under ASan + UBSan ($build)"
  # Except the Debian package's test: the package is made from the release build
  # (scripts/test.sh has run it), not from a sanitizer build; and the HTTP tests run a
  # second time on PostgreSQL (label postgres): the same server code as their SQLite runs,
  # while the PostgreSQL store's own code runs here in store_contract_postgres; and the
  # browser tests (label browser): Chromium is not instrumented, and the pages they load
  # are served to the other HTTP tests too. This keeps CI within its 30 minutes.
  ctest --test-dir "$build" --output-on-failure -j 2 -LE 'package|postgres|browser' "$@"
fi

if ((fuzz_seconds > 0)); then
  echo "test-sanitizers: each libFuzzer target for ${fuzz_seconds}s, ${fuzz_jobs} at a time"
  logs="$build/fuzz-logs"
  rm -rf "$logs"
  mkdir -p "$logs"
  targets=()
  for t in "$build"/fuzz/fuzz_*; do
    [[ -x "$t" && -f "$t" ]] && targets+=("$(basename "$t")")
  done
  run_one() {
    local build="$1" seconds="$2" logs="$3" name="$4"
    # The seed folder named beside the target in fuzz/CMakeLists.txt: tuidang_fuzz(NAME CORPUS ...).
    local corpus found="$build/fuzz/$name-found"
    corpus="fuzz/corpus/$(sed -n "s/^ *tuidang_fuzz($name \([^ )]*\).*/\1/p" fuzz/CMakeLists.txt | head -1)"
    [[ -d "$corpus" && "$corpus" != fuzz/corpus/ ]] || corpus="fuzz/corpus/${name#fuzz_}"
    mkdir -p "$found"
    # The scratch folder first: libFuzzer writes what it finds there, never into the seeds.
    if "$build/fuzz/$name" -max_total_time="$seconds" -timeout=25 -rss_limit_mb=2048 \
        -print_final_stats=1 -artifact_prefix="$logs/$name-" "$found" "$corpus" \
        >"$logs/$name.log" 2>&1; then
      echo "ok   $name"
    else
      echo "FAIL $name (log: $logs/$name.log)"
      return 1
    fi
  }
  export -f run_one
  export TUIDANG_LOCALE_DIR="$PWD/$build/locale"  # the compiled catalogs (ctest sets it too)
  status=0
  printf '%s\n' "${targets[@]}" |
    xargs -P "$fuzz_jobs" -I{} bash -c 'run_one "$@"' _ "$build" "$fuzz_seconds" "$logs" {} ||
    status=1
  # The figures docs/fuzzing.md records: executions, coverage (edges), features, corpus.
  printf '%-12s %14s %10s %9s %7s\n' target executions "exec/s" coverage corpus
  for name in "${targets[@]}"; do
    log="$logs/$name.log"
    runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
    speed=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -1)
    cov=$(grep -o 'cov: [0-9]*' "$log" | tail -1 | cut -d' ' -f2 || true)
    corp=$(grep -o 'corp: [0-9]*' "$log" | tail -1 | cut -d' ' -f2 || true)
    printf '%-12s %14s %10s %9s %7s\n' "$name" "${runs:-?}" "${speed:-?}" "${cov:-?}" "${corp:-?}"
  done
  if ((status)); then
    for name in "${targets[@]}"; do
      if grep -q "ERROR: \|runtime error:\|==ERROR\|deadly signal" "$logs/$name.log"; then
        echo "----- $name"
        tail -60 "$logs/$name.log"
      fi
    done
    exit 1
  fi
fi
echo "test-sanitizers: no finding"
