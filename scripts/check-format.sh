#!/usr/bin/env bash
# Checks with clang-format (Debian 12's clang-format 14, style in .clang-format) that the C++
# lines changed since a base commit are formatted. Changes nothing; exits 1 and lists the
# files whose changed lines are not formatted.
#
#   scripts/check-format.sh [--whole-files] [base-ref]
#
# base-ref: the changes are those between the merge base of base-ref and HEAD, and the working
# tree (so uncommitted edits count too; untracked files do not). Default: origin/main, else
# main, when HEAD is ahead of it; otherwise (on main itself, as in CI on a fresh clone) the
# last commit, HEAD~1. With no parent commit (a single-commit or depth-1 clone) there is
# nothing to compare with: it says so and exits 0.
#
# Only the changed lines of the changed .cc/.h files are checked (clang-format --lines), so
# that editing a file does not demand reformatting the lines around the edit: the code predates
# .clang-format and some of it (config/, tests/config/: 100 columns) is formatted by hand.
# --whole-files checks every line of the changed files instead.
#
# To fix: git clang-format-14 <base>   (formats the changed lines in the working tree)
#    or:  clang-format-14 -i FILE      (the whole file)
set -euo pipefail
cd "$(dirname "$0")/.."

whole=0
if [ "${1-}" = "--whole-files" ]; then whole=1; shift; fi
[ $# -le 1 ] || { echo "usage: $0 [--whole-files] [base-ref]" >&2; exit 2; }

cf=${CLANG_FORMAT:-}
if [ -z "$cf" ]; then
  if command -v clang-format-14 >/dev/null; then cf=clang-format-14; else cf=clang-format; fi
fi
command -v "$cf" >/dev/null || { echo "check-format: $cf not found (Debian package clang-format)" >&2; exit 2; }

head=$(git rev-parse --verify HEAD)
base=""
if [ $# -eq 1 ]; then
  git rev-parse --verify --quiet "$1^{commit}" >/dev/null || { echo "check-format: no such commit: $1" >&2; exit 2; }
  base=$(git merge-base "$1" HEAD) || { echo "check-format: $1 and HEAD share no history" >&2; exit 2; }
else
  for ref in origin/main main; do
    git rev-parse --verify --quiet "$ref^{commit}" >/dev/null || continue
    mb=$(git merge-base "$ref" HEAD) || continue
    if [ "$mb" != "$head" ]; then base=$mb; break; fi
  done
  if [ -z "$base" ]; then
    if ! base=$(git rev-parse --verify --quiet "HEAD~1^{commit}"); then
      echo "check-format: HEAD has no parent commit to compare with; nothing checked"
      exit 0
    fi
  fi
fi

mapfile -t files < <(git diff --name-only --diff-filter=ACMR "$base" -- '*.cc' '*.h')
echo "check-format: $("$cf" --version | head -1); ${#files[@]} changed .cc/.h file(s) since $(git rev-parse --short "$base")"

bad=()
for f in "${files[@]}"; do
  [ -f "$f" ] || continue
  lines=()
  if [ $whole = 0 ]; then
    # The new side of every hunk: "@@ -a[,b] +c[,d] @@", d lines from c (d = 0: only deletions).
    mapfile -t lines < <(git diff -U0 --no-color --no-ext-diff "$base" -- "$f" |
      sed -n 's/^@@ -[0-9,]* +\([0-9]*\)\(,\([0-9]*\)\)\{0,1\} @@.*/\1 \3/p' |
      awk '{ n = ($2 == "") ? 1 : $2; if (n > 0) printf "--lines=%d:%d\n", $1, $1 + n - 1 }')
    [ ${#lines[@]} -gt 0 ] || continue
  fi
  if ! "$cf" --style=file --dry-run --Werror "${lines[@]}" "$f"; then bad+=("$f"); fi
done

if [ ${#bad[@]} -gt 0 ]; then
  echo "check-format: not formatted as .clang-format says ($([ $whole = 1 ] && echo "whole files" || echo "changed lines")):" >&2
  printf '  %s\n' "${bad[@]}" >&2
  echo "fix with: git clang-format-14 $(git rev-parse --short "$base")   (or clang-format-14 -i FILE)" >&2
  exit 1
fi
echo "check-format: ok"
