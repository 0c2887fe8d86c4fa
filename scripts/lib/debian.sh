# Sourced by the set-up scripts: what they need to know about this machine's Debian.

# The Debian mirror this machine's apt uses, so whatever the scripts fetch comes from the same one.
debian_mirror() {
  local uri
  uri=$(grep -hsoE '^URIs:[[:space:]]*[^[:space:]]+/debian/?$' /etc/apt/sources.list.d/*.sources | head -n 1 | awk '{print $2}')
  [ -n "$uri" ] || uri=$(grep -hsoE '^deb[[:space:]]+[^[:space:]]+/debian/?[[:space:]]' /etc/apt/sources.list | head -n 1 | awk '{print $2}')
  echo "${uri:-http://deb.debian.org/debian}"
}

DEBIAN_KEYRING=/usr/share/keyrings/debian-archive-keyring.gpg

# stock_sources SUITE: the apt sources of a stock Debian machine, in the deb822 form it ships:
# the suite, its point-release updates and its security updates.
stock_sources() {
  local mirror
  mirror=$(debian_mirror)
  printf 'Types: deb\nURIs: %s\nSuites: %s %s-updates\nComponents: main\nSigned-By: %s\n\n' \
    "$mirror" "$1" "$1" "$DEBIAN_KEYRING"
  printf 'Types: deb\nURIs: %s-security\nSuites: %s-security\nComponents: main\nSigned-By: %s\n' \
    "${mirror%/}" "$1" "$DEBIAN_KEYRING"
}

# apt_get ARGS...: apt-get (as root) that waits for another to finish instead of failing on its
# lock: the project's scripts may install side by side (the gate rehearses beside `make test`),
# one at a time through a lock of the project's; apt's own lock is waited on for the others.
APT_LOCK=${APT_LOCK:-/run/lock/docker-tutorial-apt}
apt_get() { flock -w 900 "$APT_LOCK" apt-get -o DPkg::Lock::Timeout=900 "$@"; }

# ensure_debootstrap: debootstrap, and Debian's archive keyring to check what it downloads.
ensure_debootstrap() {
  command -v debootstrap >/dev/null && [ -r "$DEBIAN_KEYRING" ] && return 0
  printf 'installing debootstrap and Debian'"'"'s archive keyring\n' >&2
  apt_get update -qq
  DEBIAN_FRONTEND=noninteractive apt_get install -y -qq debootstrap debian-archive-keyring >/dev/null
}

# debootstrap_verified SUITE DIR [OPTION...]: a minimal Debian SUITE in DIR from this machine's
# mirror, the archive's Release file checked against Debian's keyring (also on a host that is
# not Debian, whose debootstrap would not check by default).
debootstrap_verified() {
  local suite=$1 dir=$2
  shift 2
  debootstrap --variant=minbase --force-check-gpg --keyring="$DEBIAN_KEYRING" "$@" "$suite" "$dir" "$(debian_mirror)"
}
