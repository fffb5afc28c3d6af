#!/usr/bin/env bash
# Sets up and builds tuidang, then runs it on its embedded defaults: data in ./data,
# listening on 127.0.0.1:8080. Extra arguments go to `tuidang serve`.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
exec build/tuidang serve "$@"
