"""A pytest plugin the planted-mistake runner loads into a mutant's run (`-p tests.mutations.reads`):
it notes what the run depended on, so that the verdict is stored under all of it.

- every file of the project the process opened (Python's audit hook sees each open, imports too),
  and every folder it listed (a file added there may change what it does);
- whether it started another program (bash, docker, Compose) or talked to a Docker engine over a
  Unix socket: such a run may depend on any file of the system, and the runner then keys it on all.

Reads between the audit events (UNRECORDED, "begin") and (UNRECORDED, "end") are not noted: the
session's start reads the images' sources there only to name the images by their digest
(tests/support/environment.py), and a run that uses an image talks to the engine, which keys
its verdict on every file of the system anyway.

Written as JSON to the file $MUTATION_READS_FILE at the end of the session.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Any

import pytest

READS_FILE = "MUTATION_READS_FILE"
ROOT = Path(__file__).resolve().parents[2]
UNRECORDED = "docker_tutorial.unrecorded"
SPAWNS = frozenset({"subprocess.Popen", "os.system", "os.exec", "os.posix_spawn", "os.spawn", "os.fork"})


class Reads:
    def __init__(self, root: Path) -> None:
        self.root = str(root) + os.sep
        self.files: set[str] = set()
        self.folders: set[str] = set()
        self.spawned = False
        self.engine = False
        self.paused = False

    def _relative(self, path: Any) -> str | None:
        if isinstance(path, bytes):
            path = os.fsdecode(path)
        if not isinstance(path, str):
            return None
        path = os.path.abspath(path)
        return path[len(self.root) :] if path.startswith(self.root) else None

    def hook(self, event: str, args: tuple[Any, ...]) -> None:
        if event == UNRECORDED:
            self.paused = args[:1] == ("begin",)
        elif self.paused and event in ("open", "os.listdir", "os.scandir"):
            return
        elif event == "open" and args:
            mode = args[1] if len(args) > 1 and isinstance(args[1], str) else "r"
            relative = self._relative(args[0])
            if relative is not None and not any(c in mode for c in "wax"):
                self.files.add(_source_of(relative))
        elif event in ("os.listdir", "os.scandir") and args:
            relative = self._relative(args[0] if args[0] is not None else ".")
            if relative is not None:
                self.folders.add(relative.rstrip("/"))
        elif event in SPAWNS:
            self.spawned = True
        elif event == "socket.connect" and len(args) > 1 and isinstance(args[1], (str, bytes)):
            self.engine = True  # a Unix socket: the engine's, or a node's

    def as_json(self) -> str:
        return json.dumps(
            {
                "files": sorted(self.files),
                "folders": sorted(self.folders),
                "spawned": self.spawned,
                "engine": self.engine,
            },
            indent=1,
        )


def _source_of(relative: str) -> str:
    """A cached module's source: x/__pycache__/y.cpython-311.pyc (or pytest's rewritten one) -> x/y.py."""
    parts = relative.split("/")
    if len(parts) > 1 and parts[-2] == "__pycache__" and parts[-1].endswith(".pyc"):
        return "/".join([*parts[:-2], parts[-1].split(".", 1)[0] + ".py"])
    return relative


_reads = Reads(ROOT)
if os.environ.get(READS_FILE):
    sys.addaudithook(_reads.hook)


def pytest_unconfigure(config: pytest.Config) -> None:
    target = os.environ.get(READS_FILE)
    if target:
        Path(target).write_text(_reads.as_json(), encoding="utf-8")
