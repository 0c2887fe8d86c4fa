#!/usr/bin/env bash
# Makes sure Debian's Chromium is installed, for the end-to-end scenario of the page
# (tests/containers/test_12_in_a_browser.py). Never a browser build downloaded by a test
# tool: the distribution's package, updated with the rest of the system.
set -euo pipefail

CHROMIUM=${CHROMIUM:-/usr/bin/chromium}

say() { printf 'ensure-browser: %s\n' "$*" >&2; }

chromium_present() { [ -x "$CHROMIUM" ]; }

install_chromium() {
  [ "$(id -u)" = 0 ] || { say "error: $CHROMIUM is missing; install Debian's chromium package (as root: apt-get install chromium)"; exit 1; }
  say "installing Debian's chromium"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium >/dev/null
}

main() {
  chromium_present || install_chromium
  chromium_present || { say "error: no Chromium at $CHROMIUM after installing"; exit 1; }
}

main "$@"
