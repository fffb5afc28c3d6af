#!/usr/bin/env bash
# Installs what tuidang needs from Debian bookworm and builds it into build/.
# Idempotent: packages already installed are not touched, and an up-to-date build does
# nothing. `--test` also installs what the tests and benchmarks need.
set -euo pipefail
cd "$(dirname "$0")/.."

packages=(build-essential cmake ninja-build pkg-config gettext python3
  libboost1.81-dev libboost-locale1.81-dev libboost-json1.81-dev
  libsodium-dev libsqlite3-dev libfmt-dev libspdlog-dev libcli11-dev
  libopencc-dev libutf8proc-dev libtomlplusplus-dev zlib1g-dev libcurl4-openssl-dev libssl-dev libqrencode-dev
  libgtest-dev libgmock-dev libbenchmark-dev
  libgmime-3.0-dev
  libpq-dev  # the PostgreSQL store (docs/postgres.md)
  prometheus-cpp-dev  # metrics (docs/deploy.md "Metrics")
  libcmark-dev  # the center's pages, Markdown (docs/center-pages.md)
  help2man)  # the man page of the Debian package (packaging/CMakeLists.txt)
if [[ "${1:-}" == "--test" ]]; then
  packages+=(python3-selenium chromium chromium-driver wrk curl sqlite3)
  packages+=(nginx-light iproute2)  # the static-mirror test serves an export; the slow-link test
  packages+=(openssl)  # tests/test_proxy.py: a self-signed certificate for the documented nginx
  packages+=(lintian man-db)  # tests/test_package.py: the .deb as Debian checks and reads it
  packages+=(clang libclang-rt-dev)  # scripts/test-sanitizers.sh: ASan, UBSan and libFuzzer runtimes
  packages+=(clang-format)  # scripts/check-format.sh, run by scripts/test.sh
  packages+=(postgresql-15 postgresql-client-15)  # scripts/pg-cluster.sh: throwaway clusters for the PostgreSQL tests
  packages+=(poppler-utils fonts-wqy-microhei)  # certificates printed to PDF and read back, with CJK glyphs
  command -v npm >/dev/null || packages+=(nodejs npm)  # tests/test_html_checks.py: html-validate, axe-core
  packages+=(python3-prometheus-client)  # tests/test_metrics.py parses the scrape with it
  packages+=(python3-cryptography)  # tests/test_witness.py checks cosignatures (Ed25519) itself
  packages+=(faketime)  # tests/test_moderation_stats.py: acts of yesterday (libfaketime)
fi

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "setup: installing ${missing[*]}"
  sudo=""
  [[ $(id -u) -eq 0 ]] || sudo="sudo"
  export DEBIAN_FRONTEND=noninteractive
  $sudo apt-get update -q
  $sudo apt-get install -y -q --no-install-recommends "${missing[@]}"
fi

# html-validate and axe-core for tests/test_html_checks.py, Lighthouse for
# tests/test_lighthouse.py (12.x: 13 needs Node 22, newer than Debian bookworm's 18), pinned, in
# .node-tools/ (git-ignored).
if [[ "${1:-}" == "--test" ]] && ! [[ -x .node-tools/node_modules/.bin/html-validate &&
  -f .node-tools/node_modules/axe-core/axe.min.js &&
  -f .node-tools/node_modules/lighthouse/package.json ]]; then
  npm install --no-audit --no-fund --loglevel=error --prefix .node-tools \
    html-validate@9.7.1 axe-core@4.14.1 lighthouse@12.8.2
fi

build_type="${TUIDANG_BUILD_TYPE:-RelWithDebInfo}"
if [[ ! -f build/build.ninja ]]; then
  # -g1 (functions and line tables, enough for a backtrace) rather than -g: full debug
  # information is a third of the compile time (docs/building.md) and nobody steps
  # through this build in a debugger.
  cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE="$build_type" \
    -DCMAKE_CXX_FLAGS_RELWITHDEBINFO="-O2 -g1 -DNDEBUG" -DCMAKE_C_FLAGS_RELWITHDEBINFO="-O2 -g1 -DNDEBUG"
fi
cmake --build build -j "$(nproc)"
