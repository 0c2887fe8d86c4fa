"""What `make clean-engine` removes: only what sessions that no longer run left behind."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from testcontainers.core.labels import LABEL_SESSION_ID, SESSION_ID

from tests.support import cleanup, marks
from tests.support.marks import COMPOSE_PROJECT_LABEL, session_prefix

RUNNING = "11111111-2222-3333-4444-555555555555"
GONE = "99999999-8888-7777-6666-555555555555"


def test_the_suites_session_label_is_testcontainers_own() -> None:
    """tests/support/marks.py writes testcontainers' label out (it must not import testcontainers):
    the copy names what testcontainers puts on every container it starts."""
    assert marks.SESSION_LABEL == LABEL_SESSION_ID


@pytest.fixture(autouse=True)
def _sessions_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(cleanup, "SESSIONS_FILE", tmp_path / "sessions.json")


@pytest.mark.parametrize(
    ("labels", "orphaned"),
    [
        ({LABEL_SESSION_ID: RUNNING}, False),
        ({LABEL_SESSION_ID: GONE}, True),
        ({COMPOSE_PROJECT_LABEL: f"{session_prefix(RUNNING)}-ch05"}, False),
        ({COMPOSE_PROJECT_LABEL: f"{session_prefix(GONE)}-ch05"}, True),
        ({COMPOSE_PROJECT_LABEL: "docker-tutorial"}, False),  # `make up`'s own stack
        ({COMPOSE_PROJECT_LABEL: "tutorial-of-mine"}, False),  # a user's project
        ({}, False),
        (None, False),
    ],
)
def test_only_what_a_session_that_no_longer_runs_left_is_orphaned(
    labels: dict[str, str] | None, orphaned: bool
) -> None:
    """A container, network or volume is the suite's when it carries a session's label or
    belongs to a Compose project named with a session's prefix; it is orphaned only when
    that session no longer runs. `make up`'s stack and a user's own projects never are."""
    assert cleanup.orphaned(labels, {RUNNING}) is orphaned


def test_a_session_is_noted_while_it_runs_and_a_dead_one_is_forgotten() -> None:
    """A session notes itself (its id and process) while it runs and removes the note when
    it ends; a note whose process died (a session killed hard) no longer counts as running."""
    dead_pid = subprocess.Popen([sys.executable, "-c", "pass"])
    dead_pid.wait()
    with cleanup._sessions() as sessions:
        sessions[GONE] = dead_pid.pid

    with cleanup.noted_session():
        during = cleanup.running_sessions()
    after = cleanup.running_sessions()

    assert during == {SESSION_ID}
    assert after == set()
