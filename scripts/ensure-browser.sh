#!/usr/bin/env bash
# Makes sure Debian's Chromium is installed, for the end-to-end scenario of the page
# (tests/containers/test_12_in_a_browser.py), with what its driver needs. Never a browser
# build downloaded by a test tool: the distribution's package, updated with the rest of the
# system.
set -euo pipefail

CHROMIUM=${CHROMIUM:-/usr/bin/chromium}
# shellcheck source=lib/debian.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib/debian.sh"

say() { printf 'ensure-browser: %s\n' "$*" >&2; }
die() { say "error: $*"; exit 1; }

chromium_present() { [ -x "$CHROMIUM" ]; }

# Playwright's driver is a Node.js binary that needs libatomic, which a stock Debian lacks.
# ldconfig lives in /sbin, which a user's PATH may not have; grep -c reads the whole list (with
# -q, ldconfig may die of a closed pipe).
driver_libraries_present() {
  local ldconfig
  ldconfig=$(command -v ldconfig || echo /sbin/ldconfig)
  "$ldconfig" -p | grep -c 'libatomic\.so\.1 ' >/dev/null
}

# missing_packages: the Debian packages of what is not there yet.
missing_packages() {
  chromium_present || echo chromium
  driver_libraries_present || echo libatomic1
}

install_packages() {
  [ "$(id -u)" = 0 ] || die "missing: $*; install Debian's packages (as root: apt-get install $*)"
  say "installing Debian's $*"
  apt_get update -qq
  DEBIAN_FRONTEND=noninteractive apt_get install -y -qq --no-install-recommends "$@" >/dev/null
}

main() {
  local missing
  missing=$(missing_packages)
  # shellcheck disable=SC2086 # one package a word
  [ -z "$missing" ] || install_packages $missing
  chromium_present || die "no Chromium at $CHROMIUM after installing"
  driver_libraries_present || die "no libatomic.so.1 after installing libatomic1"
}

main "$@"
