# Sourced by scripts/ensure-images.sh and scripts/stack.sh: images.lock, what each base image's
# name meant when this machine first had the image. A name moved since (a `docker pull` or
# `docker tag` outside the project) is refused, not used; only the set-up making the image, or
# `make update`, moves the lock.
#
# The images live in the engine, which every checkout of the project on this machine shares (a
# developer's, the gate's clean clone, the planted-mistake runner's copies): so does the lock, one
# per user, beside the user's other state. A lock per checkout would refuse what another
# checkout's set-up legitimately rebuilt.
#
# One line per image: its name, its image id, and the digest a registry served it under (none
# for a stand-in built here). The file is data: read with awk, never run. The caller defines
# `say` and `die`; IMAGE_LOCK names another file (the unit tests').

image_lock_file() {
  printf '%s\n' "${IMAGE_LOCK:-${XDG_STATE_HOME:-$HOME/.local/state}/docker-tutorial/images.lock}"
}

# locked_id NAME, locked_digest NAME: the image id, and the registry digest, the lock records
# for NAME; or nothing.
locked_field() {
  local file
  file=$(image_lock_file)
  [ -r "$file" ] || return 0
  awk -v name="$1" -v field="$2" '$1 == name { print $field; exit }' "$file"
}
locked_id() { locked_field "$1" 2; }
locked_digest() { locked_field "$1" 3; }

# pinned NAME: what a Swarm stack should name NAME's image by: NAME itself where it holds its
# digest already (the three-node swarm's registry names); else the id the lock holds, or the id
# of the image this engine has under NAME (a copy of the project with no lock yet); else NAME.
pinned() {
  local id
  [[ $1 == *@* ]] && { printf '%s\n' "$1"; return 0; }
  id=$(locked_id "$1")
  [ -n "$id" ] || id=$(docker image inspect -f '{{.Id}}' "$1" 2>/dev/null) || id=
  printf '%s\n' "${id:-$1}"
}

# registry_digest NAME: NAME's repository@digest, where a registry served the image; else nothing.
registry_digest() {
  docker image inspect -f '{{range .RepoDigests}}{{println .}}{{end}}' "$1" |
    awk -v repo="${1%:*}" 'index($0, repo "@") == 1 { print; exit }'
}

# lock_image NAME: the lock records NAME at the image it names now (said when that moves it).
# One writer at a time (set-ups may run side by side): a line another wrote meanwhile is kept.
lock_image() {
  local name=$1 id before digest file
  id=$(docker image inspect -f '{{.Id}}' "$name") || die "cannot lock $name: this engine has no such image"
  before=$(locked_id "$name")
  [ "$before" != "$id" ] || return 0
  digest=$(registry_digest "$name") || digest=
  file=$(image_lock_file)
  mkdir -p "$(dirname "$file")"
  (
    flock 9
    tmp=$(mktemp "$file.XXXXXX") || exit 1
    {
      if [ -e "$file" ]; then
        awk -v name="$name" '$1 != name' "$file"
      else
        printf '%s\n' "# The base images as this machine has them: name, image id, registry digest." \
          "# Written by scripts/ensure-images.sh as it pulls or builds one; else moved only by \`make update\`."
      fi
      printf '%s %s%s\n' "$name" "$id" "${digest:+ $digest}"
    } >"$tmp" && chmod 0644 "$tmp" && mv "$tmp" "$file" || { rm -f "$tmp"; exit 1; }
  ) 9>>"$file.flock" || die "cannot write $file"
  if [ -n "$before" ]; then say "images.lock: $name moved from $before to $id"; else say "images.lock: $name at $id"; fi
}

# check_locked NAME: NAME still names the image the lock records (locked now if the lock has no
# line for it); else the script stops, saying so.
check_locked() {
  local name=$1 locked id
  locked=$(locked_id "$name")
  [ -n "$locked" ] || { lock_image "$name"; return 0; }
  id=$(docker image inspect -f '{{.Id}}' "$name" 2>/dev/null) ||
    die "cannot check $name against images.lock: this engine has no such image, or did not answer"
  [ "$id" = "$locked" ] ||
    die "$name names $id now, but images.lock has it at $locked: the name was moved outside the project. \`make update\` takes the image it names now; this puts the locked one back: docker tag $locked $name"
}
