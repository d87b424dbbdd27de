#!/usr/bin/env bash
# Every header compiles on its own (STYLE.md: self-contained headers). Usage:
#   check_headers.sh CXX "FLAGS"
set -uo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
cxx=${1:-c++}
flags=${2:-}
cd "$root"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
headers=$(ls base/*.h log/*.h config/*.h catalog/*.h catalog/*/*.h health/*.h dns/*.h dns/wire/*.h api/*.h cmd/*.h 2>/dev/null)
printf '%s\n' $headers | xargs -P 2 -I{} sh -c '
  f="{}"; src="$0/$(echo "$f" | tr / _).cc"
  printf "#include \"%s\"\n#include \"%s\"\n" "$f" "$f" > "$src"
  '"$cxx"' -std=c++23 -fsyntax-only -Wall -Wextra -Werror -I. '"$flags"' "$src" || { echo "not self-contained: $f"; exit 255; }
' "$tmp"
rc=$?
[ $rc -eq 0 ] && echo "headers: all $(echo $headers | wc -w) compile on their own"
exit $rc
