"""images.lock (scripts/lib/image-lock.sh): each base image's name held to the image it named
when this machine first had it; only `make update` moves it. Run against a fake `docker`
whose images are a table in a file, so a test can move a name."""

from __future__ import annotations

from pathlib import Path

from tests.unit.fake_programs import run_with_fakes

PYTHON = "docker-tutorial.invalid/offline-python:3.13-trixie"
POSTGRES = "postgres:17-trixie"
OLD_ID = "sha256:" + "a" * 64
NEW_ID = "sha256:" + "b" * 64
POSTGRES_ID = "sha256:" + "c" * 64
POSTGRES_DIGEST = "postgres@sha256:" + "d" * 64

# `docker image inspect -f FORMAT NAME` answered from the table $IMAGES (name, id, digest);
# `docker stack deploy` records the base images it was given.
FAKE_DOCKER = """
if [ "$1 $2" = "image inspect" ]; then
  line=$(awk -v n="$5" '$1 == n' "$IMAGES"); [ -n "$line" ] || exit 1
  case "$4" in *RepoDigests*) awk '{ print $3 }' <<<"$line" ;; *) awk '{ print $2 }' <<<"$line" ;; esac
  exit 0
fi
[ "$1 $2" = "stack deploy" ] && echo "$POSTGRES_IMAGE $NGINX_IMAGE" >"$DEPLOYED"
case "$1" in pull | tag) echo "$@" >>"$DEPLOYED.calls" ;; esac
exit 0
"""


def _run(
    tmp_path: Path,
    commands: str,
    images: list[str],
    refresh: str = "",
    script: str = "scripts/ensure-images.sh",
    env: dict[str, str] | None = None,
) -> tuple[int, str, str]:
    """`commands` after sourcing `script`, the fake engine having the images of `images`
    (lines of name, id, digest), the lock in `tmp_path`."""
    table = tmp_path / "images"
    table.write_text("".join(f"{line}\n" for line in images))
    result = run_with_fakes(
        f"source {script} && {commands}",
        tmp_path,
        {"docker": FAKE_DOCKER},
        env={
            "IMAGES": str(table),
            "IMAGE_LOCK": str(tmp_path / "images.lock"),
            "DEPLOYED": str(tmp_path / "deployed"),
            "REFRESH": refresh,
            **(env or {}),
        },
    )
    return result.returncode, result.stdout, result.stderr


def _lock_lines(tmp_path: Path) -> list[list[str]]:
    text = (tmp_path / "images.lock").read_text()
    return [line.split() for line in text.splitlines() if not line.startswith("#")]


def test_an_image_is_locked_at_its_id_and_the_digest_a_registry_served_it_under(tmp_path: Path) -> None:
    """A stand-in built here has no registry digest: its line holds its image id alone."""
    status, _, stderr = _run(
        tmp_path,
        f"keep_locked {PYTHON} {POSTGRES}",
        [f"{PYTHON} {OLD_ID}", f"{POSTGRES} {POSTGRES_ID} {POSTGRES_DIGEST}"],
    )
    assert status == 0, stderr
    assert _lock_lines(tmp_path) == [[PYTHON, OLD_ID], [POSTGRES, POSTGRES_ID, POSTGRES_DIGEST]]
    assert f"images.lock: {PYTHON} at {OLD_ID}" in stderr


def test_a_name_moved_outside_the_project_stops_the_set_up_and_says_how_to_go_on(tmp_path: Path) -> None:
    """An image the set-up had already (it neither pulled nor built it) must still be the one
    locked; a `docker tag` or `docker pull` elsewhere moved the name, and nothing is built on it."""
    _run(tmp_path, f"keep_locked {PYTHON}", [f"{PYTHON} {OLD_ID}"])
    status, stdout, stderr = _run(tmp_path, f"keep_locked {PYTHON} && echo used", [f"{PYTHON} {NEW_ID}"])
    assert status == 1
    assert "used" not in stdout
    assert f"{PYTHON} names {NEW_ID} now, but images.lock has it at {OLD_ID}" in stderr
    assert "`make update` takes the image it names now" in stderr
    assert _lock_lines(tmp_path) == [[PYTHON, OLD_ID]]


def test_an_image_the_set_up_builds_or_make_update_refreshes_moves_the_lock(tmp_path: Path) -> None:
    """A stand-in rebuilt for a new recipe, or anything `make update` brings, is locked at
    what it is now, and the move is said; a second `make update` moves nothing."""
    _run(tmp_path, f"keep_locked {PYTHON}", [f"{PYTHON} {OLD_ID}"])
    status, _, stderr = _run(tmp_path, f"made_here {PYTHON} && keep_locked {PYTHON}", [f"{PYTHON} {NEW_ID}"])
    assert status == 0, stderr
    assert _lock_lines(tmp_path) == [[PYTHON, NEW_ID]]
    assert f"images.lock: {PYTHON} moved from {OLD_ID} to {NEW_ID}" in stderr

    status, _, stderr = _run(tmp_path, f"keep_locked {PYTHON}", [f"{PYTHON} {OLD_ID}"], refresh="1")
    assert status == 0, stderr
    assert _lock_lines(tmp_path) == [[PYTHON, OLD_ID]]
    status, _, stderr = _run(tmp_path, f"keep_locked {PYTHON}", [f"{PYTHON} {OLD_ID}"], refresh="1")
    assert (status, stderr) == (0, "")


def test_the_stack_runs_the_locked_base_images_by_id(tmp_path: Path) -> None:
    """scripts/stack.sh deploys the database and the proxy by the ids images.lock holds, so a
    task's start never asks a registry for the name; an image the lock does not hold (the
    three-node swarm's registry names) is deployed as named."""
    nginx = "registry.cluster.invalid:5000/nginx@sha256:" + "e" * 64
    postgres = [f"{POSTGRES} {POSTGRES_ID} {POSTGRES_DIGEST}"]
    _run(tmp_path, f"keep_locked {POSTGRES}", postgres)
    deployment = {"WEBAPP_IMAGE_ID": OLD_ID, "POSTGRES_IMAGE": POSTGRES, "NGINX_IMAGE": nginx}
    status, _, stderr = _run(tmp_path, "deploy_stack", postgres, script="scripts/stack.sh", env=deployment)
    assert status == 0, stderr
    assert (tmp_path / "deployed").read_text().split() == [POSTGRES_ID, nginx]


def test_a_locked_image_gone_from_the_engine_comes_back_by_its_locked_digest(tmp_path: Path) -> None:
    """Removed since (a prune), an official image is pulled again by the digest the lock holds,
    not by its name, which a registry may have moved; `make update` pulls the name."""
    _run(tmp_path, f"keep_locked {POSTGRES}", [f"{POSTGRES} {POSTGRES_ID} {POSTGRES_DIGEST}"])
    status, _, stderr = _run(tmp_path, f"have_or_pull {POSTGRES}", [])
    assert status == 0, stderr
    calls = (tmp_path / "deployed.calls").read_text().splitlines()
    assert calls == [f"pull -q {POSTGRES_DIGEST}", f"tag {POSTGRES_DIGEST} {POSTGRES}"]

    (tmp_path / "deployed.calls").unlink()
    _run(tmp_path, f"have_or_pull {POSTGRES}", [], refresh="1")
    assert (tmp_path / "deployed.calls").read_text().splitlines() == [f"pull -q {POSTGRES}"]


def test_a_name_the_lock_does_not_hold_is_deployed_by_the_engines_id_for_it(tmp_path: Path) -> None:
    """A name the lock holds no line for (the planted-mistake runner's stand-ins, under names of
    their own): the stack still names the image by the id this engine has under the name."""
    commands = f"pinned {POSTGRES} && pinned absent:1"
    _, stdout, stderr = _run(tmp_path, commands, [f"{POSTGRES} {POSTGRES_ID}"], script="scripts/stack.sh")
    assert stdout.split() == [POSTGRES_ID, "absent:1"], stderr


def test_the_lock_is_the_users_one_for_every_checkout_of_the_project(tmp_path: Path) -> None:
    """The images live in the engine every checkout on the machine shares (a developer's, the
    gate's clean clone): so does the lock, in the user's state folder, not in the clone. A lock
    per checkout refused what another checkout's set-up had rebuilt."""
    result = run_with_fakes(
        "source scripts/ensure-images.sh && image_lock_file",
        tmp_path,
        env={"IMAGE_LOCK": "", "XDG_STATE_HOME": str(tmp_path / "state")},
    )
    assert result.stdout.strip() == str(tmp_path / "state" / "docker-tutorial" / "images.lock"), result.stderr
