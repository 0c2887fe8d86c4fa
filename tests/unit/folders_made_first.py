"""Folders another user of the machine could have made first, where a script or the suite would
make one of its own: for the unit tests that such a folder is refused, naming it and why."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import pytest


def writable_by_all(folder: Path) -> None:
    folder.mkdir()
    folder.chmod(0o777)


def another_users(folder: Path) -> None:
    folder.mkdir(mode=0o700)
    os.chown(folder, 65534, 65534)


def a_link(folder: Path) -> None:
    (folder.parent / "elsewhere").mkdir(mode=0o700)
    folder.symlink_to(folder.parent / "elsewhere")


def made_first(folder: Path, how: Callable[[Path], None]) -> Path:
    """`folder`, made first as `how` makes it; for another user's without root, "/" (root's)."""
    if how is another_users and os.getuid() != 0:
        return Path("/")
    how(folder)
    return folder


# Each way, with the word the refusal must give for it.
HOW_MADE_FIRST = pytest.mark.parametrize(
    ("how", "why"),
    [(writable_by_all, "written to by others"), (another_users, "belongs to"), (a_link, "a link")],
    ids=["writable_by_all", "another_users", "a_link"],
)
