# Sourced by the set-up scripts: what they need to know about this machine's Debian.

# The Debian mirror this machine's apt uses, so whatever the scripts fetch comes from the same one.
debian_mirror() {
  local uri
  uri=$(grep -hsoE '^URIs:[[:space:]]*[^[:space:]]+/debian/?$' /etc/apt/sources.list.d/*.sources | head -n 1 | awk '{print $2}')
  [ -n "$uri" ] || uri=$(grep -hsoE '^deb[[:space:]]+[^[:space:]]+/debian/?[[:space:]]' /etc/apt/sources.list | head -n 1 | awk '{print $2}')
  echo "${uri:-http://deb.debian.org/debian}"
}

# ensure_debootstrap: debootstrap, and Debian's archive keyring to check what it downloads.
ensure_debootstrap() {
  command -v debootstrap >/dev/null && [ -r /usr/share/keyrings/debian-archive-keyring.gpg ] && return 0
  printf 'installing debootstrap and Debian'"'"'s archive keyring\n' >&2
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq debootstrap debian-archive-keyring >/dev/null
}
