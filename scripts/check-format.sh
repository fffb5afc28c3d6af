#!/usr/bin/env bash
# Fails (exit 1) when a C++ file under src/, fuzz/ or bench/ differs from what clang-format
# makes of it with the root .clang-format, listing those files and the start of their diff.
# `--fix` rewrites them in place instead. Run by scripts/test.sh, so CI fails on unformatted
# code; clang-format comes from scripts/setup.sh --test (Debian's clang-format, 14 on bookworm:
# another version may break lines differently, so the check uses the one the setup installs).
set -euo pipefail
cd "$(dirname "$0")/.."

fix=0
case "${1:-}" in
  --fix) fix=1 ;;
  "") ;;
  *) echo "usage: $0 [--fix]" >&2; exit 2 ;;
esac
if ! command -v clang-format >/dev/null; then
  echo "check-format: clang-format is not installed (scripts/setup.sh --test installs it)" >&2
  exit 1
fi

patterns=('src/*.cc' 'src/*.h' 'fuzz/*.cc' 'fuzz/*.h' 'bench/*.cc' 'bench/*.h')
if git rev-parse --is-inside-work-tree >/dev/null 2>&1; then
  mapfile -t files < <(git ls-files -- "${patterns[@]}")
else  # an unpacked source archive
  mapfile -t files < <(find src fuzz bench -name '*.cc' -o -name '*.h' 2>/dev/null | sort)
fi

if ((fix)); then
  clang-format -i --style=file "${files[@]}"
  echo "check-format: ${#files[@]} files formatted"
  exit 0
fi

bad=()
for f in "${files[@]}"; do
  if ! clang-format --style=file "$f" | cmp -s - "$f"; then bad+=("$f"); fi
done
if ((${#bad[@]} == 0)); then
  echo "check-format: ${#files[@]} files formatted as .clang-format says"
  exit 0
fi
echo "check-format: ${#bad[@]} of ${#files[@]} files are not formatted (scripts/check-format.sh --fix):"
printf '  %s\n' "${bad[@]}"
for f in "${bad[@]:0:3}"; do
  clang-format --style=file "$f" | diff -u --label "$f" --label "$f (formatted)" "$f" - | head -30 || true
done
exit 1
