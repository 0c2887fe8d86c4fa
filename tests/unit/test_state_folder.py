"""The suite's shared state (sessions, the swarm's users, locks) lives in a folder of the user's
own: one another user could have made first is refused, never trusted."""

from __future__ import annotations

import os
import stat
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.support import cleanup, snapshot, state_folder, swarm
from tests.unit.folders_made_first import HOW_MADE_FIRST, made_first, writable_by_all


@pytest.fixture
def no_umask() -> Iterator[None]:
    previous = os.umask(0)
    try:
        yield
    finally:
        os.umask(previous)


@pytest.mark.usefixtures("no_umask")
def test_the_state_folder_is_made_writable_by_its_user_alone_whatever_the_umask(tmp_path: Path) -> None:
    state = tmp_path / "docker-tutorial-state" / "sessions.json"
    assert state_folder.checked(state) == state
    made = state.parent.lstat()
    assert made.st_uid == os.getuid()
    assert stat.S_IMODE(made.st_mode) & 0o077 == 0, oct(made.st_mode)
    assert state_folder.checked(state) == state, "a folder it made itself is accepted the next time"


@HOW_MADE_FIRST
def test_a_state_folder_someone_else_could_write_in_is_refused_naming_it_and_why(
    tmp_path: Path, how: Callable[[Path], None], why: str
) -> None:
    folder = made_first(tmp_path / "docker-tutorial-state", how)
    with pytest.raises(state_folder.UnsafeStateFolderError) as refused:
        state_folder.checked(folder / "sessions.json")
    for said in (str(folder), why, "TMPDIR"):
        assert said in str(refused.value)


def test_the_sessions_the_swarms_users_and_the_snapshots_lock_are_read_only_from_a_folder_of_ones_own(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = made_first(tmp_path / "docker-tutorial-state", writable_by_all)
    (folder / "sessions.json").write_text('{"11111111-2222-3333-4444-555555555555": 1}')
    monkeypatch.setattr(cleanup, "SESSIONS_FILE", folder / "sessions.json")
    monkeypatch.setattr(swarm, "LOCK_FILE", folder / "swarm.lock")
    monkeypatch.setattr(swarm, "STATE_FILE", tmp_path / "swarm.json")
    monkeypatch.setattr(state_folder, "FOLDER", folder)
    with pytest.raises(state_folder.UnsafeStateFolderError), cleanup.noted_session():
        pass
    with pytest.raises(state_folder.UnsafeStateFolderError), swarm._locked():
        pass
    with pytest.raises(state_folder.UnsafeStateFolderError), snapshot._turn(f"{snapshot.SNAPSHOT_REPOSITORY}:src-x"):
        pass
    monkeypatch.setattr(swarm, "STATE_FILE", folder / "swarm.json")
    (folder / "swarm.json").write_text('{"users": [1], "made": "", "made_bridge": false}')
    with pytest.raises(state_folder.UnsafeStateFolderError):
        swarm._SwarmState.read()
