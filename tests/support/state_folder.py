"""Where the suite's processes keep what they share: the sessions that run, who uses the swarm,
and their locks. Files of fixed names in the temporary folder would let another user of the
machine who made them first feed the suite false state or lock it out, so they live in a folder
of the user's own (one per user: the sessions of two users on one engine do not see each other),
made writable by its user alone; one found that is not is refused, naming it."""

from __future__ import annotations

import contextlib
import os
import stat
import tempfile
from pathlib import Path

FOLDER = Path(tempfile.gettempdir()) / f"docker-tutorial-{os.getuid()}"


class UnsafeStateFolderError(RuntimeError):
    """The folder of a state file is not the user's own: the suite would trust what another wrote."""


def checked(path: Path) -> Path:
    """`path`, once its folder is made (writable by this user alone) or found to be this user's
    own and writable by no one else; else UnsafeStateFolderError, naming it and why."""
    folder = path.parent
    with contextlib.suppress(FileExistsError):
        folder.mkdir(mode=0o700)
    found = folder.lstat()
    remedy = f"remove it, or set TMPDIR to a folder of your own (the suite keeps its state in {FOLDER.name} there)"
    if not stat.S_ISDIR(found.st_mode):
        raise UnsafeStateFolderError(f"{folder} is not a folder of its own (a link, or a file): {remedy}")
    if found.st_uid != os.getuid():
        raise UnsafeStateFolderError(
            f"{folder} belongs to the user with uid {found.st_uid}, not to you: what it holds could be another's; "
            + remedy
        )
    if stat.S_IMODE(found.st_mode) & 0o022:
        raise UnsafeStateFolderError(
            f"{folder} may be written to by others (mode {stat.S_IMODE(found.st_mode):o}): {remedy}"
        )
    return path
