#!/usr/bin/env bash
# Prints a PATH prefix naming the bin folders of pyenv's newest Python 3.10 to 3.13, so that
# tox finds python3.10 ... python3.13 without changing pyenv's global setting. (pyenv's
# shims alone do not serve: tox queries interpreters in an environment without PYENV_VERSION.)
# Prints nothing where pyenv is absent.
set -euo pipefail
command -v pyenv >/dev/null 2>&1 || exit 0
root=$(pyenv root)
for minor in 10 11 12 13; do
  version=$(pyenv versions --bare 2>/dev/null | grep -E "^3\.$minor\.[0-9]+$" | sort -V | tail -n 1 || true)
  if [ -n "$version" ]; then
    printf '%s:' "$root/versions/$version/bin"
  fi
done
