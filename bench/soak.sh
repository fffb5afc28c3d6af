#!/usr/bin/env bash
# The soak (issue 17, docs/performance.md "Soak"): MINUTES (default 10) of steady
# submissions at RATE/s (default 200) with a kill -9 every minute and one disk-full episode;
# then every acknowledged statement is there, the log audits, and the RSS after the last
# restart is within 10 % of the first, on a data folder that starts with PREFILL
# statements (default 300000, above SQLite's page cache). Needs root (a tmpfs).
#   usage: MINUTES=60 bench/soak.sh [build/tuidang]
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# A binary copied out of a build folder finds the catalogs of this checkout's build.
if [ -z "${TUIDANG_LOCALE_DIR:-}" ] && [ -d "$here/../build/locale" ]; then
  export TUIDANG_LOCALE_DIR=$here/../build/locale
fi
exec python3 "$here/soak.py" --minutes "${MINUTES:-10}" --rate "${RATE:-200}" \
  --prefill "${PREFILL:-300000}" \
  --bin "${1:-$here/../build/tuidang}"
