"""The suite's marks on what it makes on an engine: the labels and the name stem by which the
containers, networks, volumes, Compose projects and stacks of a test run are known as the suite's,
and as one session's. Written here once; the cleanup, the soak, the Swarm helpers and the
scenarios read them from here.

Nothing here imports testcontainers: the soak's plugin loads before conftest.py has set
testcontainers' environment, which it reads once, at import."""

from __future__ import annotations

import re

# testcontainers' label for the session that made an object (its LABEL_SESSION_ID; a unit test
# keeps the two equal).
SESSION_LABEL = "org.testcontainers.session-id"
# Compose's and Swarm's own labels, by which the suite finds a service's containers.
COMPOSE_PROJECT_LABEL = "com.docker.compose.project"
COMPOSE_SERVICE_LABEL = "com.docker.compose.service"
SWARM_SERVICE_LABEL = "com.docker.swarm.service.name"

# Every Compose project and stack a session makes is named "tut", the first 10 hex digits of the
# session's id, then what tells it from the session's others.
NAME_STEM = "tut"
SESSION_NAME = re.compile(rf"{NAME_STEM}(?P<session>[0-9a-f]{{10}})")


def session_prefix(session_id: str) -> str:
    """The start of the name of every Compose project and stack the session `session_id` makes."""
    return f"{NAME_STEM}{session_id.replace('-', '')[:10]}"


def is_session_name(name: str) -> bool:
    """Whether `name` is one a session of the suite gave (some session's, not a user's own)."""
    return SESSION_NAME.match(name) is not None
