#!/usr/bin/env bash
# Sets up and builds tuidang with everything the tests need, then runs every test (unit
# tests, integration tests over real HTTP, the browser test) under ctest, and fails too
# when a C++ file is not formatted as .clang-format says (scripts/check-format.sh; checked
# first because it takes seconds, reported after the suite has run).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh --test
format=0
scripts/check-format.sh || format=$?
ctest --test-dir build --output-on-failure -j 2 "$@"
exit "$format"
