#!/usr/bin/env bash
# Sets up and builds tuidang with everything the tests need, then runs every test (unit
# tests, integration tests over real HTTP, the browser test) under ctest.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh --test
ctest --test-dir build --output-on-failure -j 2 "$@"
