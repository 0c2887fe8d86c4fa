# Sourced by scripts/ensure-images.sh and scripts/stack.sh: images.lock, what each base image's
# name meant when this machine first had the image. A name moved since (a `docker pull` or
# `docker tag` outside the project) is refused, not used; only `make update` moves the lock.
#
# One line per image: its name, its image id, and the digest a registry served it under (none
# for a stand-in built here). The file is data: read with awk, never run. The caller defines
# `root`, `say` and `die`; IMAGE_LOCK names another file (the unit tests').

image_lock_file() { printf '%s\n' "${IMAGE_LOCK:-$root/images.lock}"; }

# locked_id NAME: the image id the lock records for NAME, or nothing.
locked_id() {
  local file
  file=$(image_lock_file)
  [ -r "$file" ] || return 0
  awk -v name="$1" '$1 == name { print $2; exit }' "$file"
}

# pinned NAME: the locked image id for NAME, else NAME itself (an image the lock does not hold,
# such as one pushed to the three-node swarm's registry).
pinned() {
  local id
  id=$(locked_id "$1")
  printf '%s\n' "${id:-$1}"
}

# registry_digest NAME: NAME's repository@digest, where a registry served the image; else nothing.
registry_digest() {
  docker image inspect -f '{{range .RepoDigests}}{{println .}}{{end}}' "$1" |
    awk -v repo="${1%:*}" 'index($0, repo "@") == 1 { print; exit }'
}

# lock_image NAME: the lock records NAME at the image it names now (said when that moves it).
lock_image() {
  local name=$1 id before file tmp digest
  id=$(docker image inspect -f '{{.Id}}' "$name") || die "cannot lock $name: this engine has no such image"
  before=$(locked_id "$name")
  [ "$before" != "$id" ] || return 0
  file=$(image_lock_file)
  tmp=$(mktemp "$file.XXXXXX")
  if [ -e "$file" ]; then
    awk -v name="$name" '$1 != name' "$file" >"$tmp"
  else
    printf '%s\n' "# The base images as this machine has them: name, image id, registry digest." \
      "# Written by scripts/ensure-images.sh; moved only by \`make update\`." >"$tmp"
  fi
  digest=$(registry_digest "$name")
  printf '%s %s%s\n' "$name" "$id" "${digest:+ $digest}" >>"$tmp"
  chmod 0644 "$tmp"
  mv "$tmp" "$file"
  if [ -n "$before" ]; then say "images.lock: $name moved from $before to $id"; else say "images.lock: $name at $id"; fi
}

# check_locked NAME: NAME still names the image the lock records (locked now if the lock has no
# line for it); else the script stops, saying so.
check_locked() {
  local name=$1 locked id
  locked=$(locked_id "$name")
  [ -n "$locked" ] || { lock_image "$name"; return 0; }
  id=$(docker image inspect -f '{{.Id}}' "$name" 2>/dev/null) || id=none
  [ "$id" = "$locked" ] ||
    die "$name names $id now, but images.lock has it at $locked: the name was moved outside the project. \`make update\` takes the image it names now; this puts the locked one back: docker tag $locked $name"
}
