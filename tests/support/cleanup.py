"""What this test session started, found by label and removed at its end.

Ryuk, testcontainers' reaper, cannot be pulled without a registry, so the suite
cleans up itself: every container and network testcontainers creates carries the
session's id as a label, and every Compose project gets a name that starts with a
prefix made from it. A sweep at session end removes whatever a failed or
interrupted scenario left, with the anonymous volumes of its containers.

A session killed hard (a runner's timeout, SIGKILL) never sweeps. So each session notes
itself (its id and process) in a file in the system's temporary folder while it runs, and
`python -m tests.support.cleanup` (`make clean-engine`) removes what belongs to sessions
that no longer run, and the planted-mistake images no container uses.
"""

from __future__ import annotations

import argparse
import contextlib
import fcntl
import json
import os
import re
from collections.abc import Iterator, Mapping

import docker
from docker.errors import APIError, NotFound
from testcontainers.core.labels import SESSION_ID

from tests.support import snapshot, state_folder
from tests.support.environment import (
    API_REPOSITORY,
    API_SOURCES,
    WEBAPP_REPOSITORY,
    WEBAPP_SOURCES,
    Images,
    load_environment,
    source_digest,
)
from tests.support.marks import COMPOSE_PROJECT_LABEL, SESSION_LABEL, is_session_name, session_prefix

# What the Docker SDK's list(filters=...) takes.
Filters = dict[str, str | list[str] | bool]
COMPOSE_PROJECT_PREFIX = session_prefix(SESSION_ID)
SESSIONS_FILE = state_folder.FOLDER / "sessions.json"
# The planted-mistake runner's images (tests/mutations/run.py).
MUTANT_IMAGE = re.compile(r"[^:]+/[^:]+:mutant-")


def _ours(labels: dict[str, str] | None) -> bool:
    labels = labels or {}
    return labels.get(SESSION_LABEL) == SESSION_ID or labels.get(COMPOSE_PROJECT_LABEL, "").startswith(
        COMPOSE_PROJECT_PREFIX
    )


def leftovers(client: docker.DockerClient) -> dict[str, list[str]]:
    """Names of this session's containers, networks and volumes still on the engine."""
    return {
        # sparse: the list as the engine gave it. Without it the SDK inspects each container
        # afterwards, and one that another session removes meanwhile fails the whole list.
        "containers": [
            str(c.attrs["Names"][0]).lstrip("/")
            for c in client.containers.list(all=True, sparse=True)
            if _ours(c.attrs.get("Labels"))
        ],
        "networks": [str(n.name) for n in client.networks.list() if _ours(n.attrs.get("Labels"))],
        "volumes": [str(v.name) for v in client.volumes.list() if _ours(v.attrs.get("Labels"))],
    }


def sweep(client: docker.DockerClient) -> dict[str, list[str]]:
    """Remove this session's leftovers; return what was removed."""
    removed = leftovers(client)
    # Containers first (with their anonymous volumes): networks and volumes in use cannot go.
    for name in removed["containers"]:
        with contextlib.suppress(NotFound, APIError):
            client.containers.get(name).remove(force=True, v=True)
    for name in removed["networks"]:
        with contextlib.suppress(NotFound, APIError):
            client.networks.get(name).remove()
    for name in removed["volumes"]:
        with contextlib.suppress(NotFound, APIError):
            client.volumes.get(name).remove(force=True)
    return removed


# --- sessions that no longer run -----------------------------------------------------------------


@contextlib.contextmanager
def _sessions() -> Iterator[dict[str, int]]:
    """The noted sessions (id -> process id), locked; what the block leaves in it is written."""
    with state_folder.checked(SESSIONS_FILE).open("a+") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        handle.seek(0)
        try:
            sessions = {str(k): int(v) for k, v in json.loads(handle.read() or "{}").items()}
        except (ValueError, TypeError, AttributeError):
            sessions = {}
        yield sessions
        handle.seek(0)
        handle.truncate()
        handle.write(json.dumps(sessions))


@contextlib.contextmanager
def noted_session() -> Iterator[None]:
    """This session noted as running until the block ends."""
    with _sessions() as sessions:
        sessions[SESSION_ID] = os.getpid()
    try:
        yield
    finally:
        with _sessions() as sessions:
            sessions.pop(SESSION_ID, None)


def process_alive(pid: int) -> bool:
    """Whether a process of this id runs (of any user)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def running_sessions() -> set[str]:
    """The ids of the noted sessions whose process still runs (the others are forgotten)."""
    with _sessions() as sessions:
        for session, pid in list(sessions.items()):
            if not process_alive(pid):
                del sessions[session]
        return set(sessions)


def orphaned(labels: Mapping[str, str] | None, running: set[str]) -> bool:
    """Whether an object with these labels is the suite's and its session no longer runs."""
    labels = labels or {}
    session = labels.get(SESSION_LABEL)
    if session is not None:
        return session not in running
    project = labels.get(COMPOSE_PROJECT_LABEL, "")
    if not is_session_name(project):
        return False  # not the suite's: a user's own project, or none
    return not any(project.startswith(session_prefix(session)) for session in running)


def sweep_orphans(client: docker.DockerClient) -> dict[str, list[str]]:
    """Remove what sessions that no longer run left on the engine, and the mutant images no
    container uses; return what was removed."""
    running = running_sessions() | {SESSION_ID}
    removed: dict[str, list[str]] = {"containers": [], "networks": [], "volumes": [], "images": []}
    for container in client.containers.list(all=True, sparse=True):
        if orphaned(container.attrs.get("Labels"), running):
            with contextlib.suppress(NotFound, APIError):
                container.remove(force=True, v=True)
                removed["containers"].append(str(container.attrs["Names"][0]).lstrip("/"))
    for network in client.networks.list():
        if orphaned(network.attrs.get("Labels"), running):
            with contextlib.suppress(NotFound, APIError):
                network.remove()
                removed["networks"].append(str(network.name))
    for volume in client.volumes.list():
        if orphaned(volume.attrs.get("Labels"), running):
            with contextlib.suppress(NotFound, APIError):
                volume.remove(force=True)
                removed["volumes"].append(str(volume.name))
    in_use = {c.attrs.get("Image") for c in client.containers.list(all=True, sparse=True)}
    for image in client.images.list():
        for tag in image.tags:
            if MUTANT_IMAGE.match(tag) and tag not in in_use and image.id not in in_use:
                with contextlib.suppress(NotFound, APIError):
                    client.images.remove(tag)
                    removed["images"].append(tag)
    return removed


def superseded_images(client: docker.DockerClient) -> list[str]:
    """Remove the project's images built from sources other than today's (each code change
    leaves a `src-<digest>` tag behind), the migrated database's snapshots among them, that no
    container uses; return their tags."""
    current = {
        f"{WEBAPP_REPOSITORY}:src-{source_digest(WEBAPP_SOURCES)}",
        f"{API_REPOSITORY}:src-{source_digest(API_SOURCES)}",
    }
    with contextlib.suppress(NotFound):  # no postgres image: no snapshot is current
        current.add(snapshot.current_tag(client, Images.from_environment().postgres))
    in_use = {c.attrs.get("Image") for c in client.containers.list(all=True, sparse=True)}
    removed = []
    for repository in (WEBAPP_REPOSITORY, API_REPOSITORY, snapshot.SNAPSHOT_REPOSITORY):
        for image in client.images.list(name=repository):
            for tag in image.tags:
                if tag.startswith(f"{repository}:src-") and tag not in current and tag not in in_use:
                    with contextlib.suppress(NotFound, APIError):
                        client.images.remove(tag)
                        removed.append(tag)
    return removed


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Remove what test sessions that no longer run left on the engine.")
    parser.add_argument(
        "--superseded-images", action="store_true", help="also the project's images built from older sources"
    )
    args = parser.parse_args(argv)
    load_environment()  # the base images' names, from .env
    client = docker.from_env()
    removed = sweep_orphans(client)
    if args.superseded_images:
        removed["images"] += superseded_images(client)
    for kind, names in removed.items():
        for name in names:
            print(f"removed {kind[:-1]} {name}")
    if not any(removed.values()):
        print("nothing left by sessions that no longer run")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
