"""What this test session started, found by label and removed at its end.

Ryuk, testcontainers' reaper, cannot be pulled without a registry, so the suite
cleans up itself: every container and network testcontainers creates carries the
session's id as a label, and every Compose project gets a name that starts with a
prefix made from it. A sweep at session end removes whatever a failed or
interrupted scenario left, with the anonymous volumes of its containers.
"""

from __future__ import annotations

import contextlib

import docker
from docker.errors import APIError, NotFound
from testcontainers.core.labels import LABEL_SESSION_ID, SESSION_ID

COMPOSE_PROJECT_LABEL = "com.docker.compose.project"
# What the Docker SDK's list(filters=...) takes.
Filters = dict[str, str | list[str] | bool]
COMPOSE_PROJECT_PREFIX = f"tut{SESSION_ID.replace('-', '')[:10]}"


def _ours(labels: dict[str, str] | None) -> bool:
    labels = labels or {}
    return labels.get(LABEL_SESSION_ID) == SESSION_ID or labels.get(COMPOSE_PROJECT_LABEL, "").startswith(
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
