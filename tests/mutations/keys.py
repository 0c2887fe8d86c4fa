"""The key of a planted mistake's verdict: every input, named, with its digest now.

`Snapshot.take` reads the working tree and the machine once per run; `required_inputs` is what
a mistake depends on before it runs (its patch, the runner, the tools, the base images, the lock
files, its file, its killers' Python files); `observed_inputs` adds what its killing run was seen
to open or list (tests/mutations/reads.py); `Snapshot.system` is every file another program may
read, for a run that started one or talked to the engine.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from tests.mutations import inputs
from tests.mutations.catalogue import Mistake

# The runner's own source: a change to how a verdict is reached, or keyed, is a new input to every one.
RUNNER_SOURCES = (
    "tests/mutations/run.py",
    "tests/mutations/keys.py",
    "tests/mutations/inputs.py",
    "tests/mutations/reads.py",
    "tests/mutations/verdicts.py",
)


@dataclass(frozen=True)
class Snapshot:
    """The tree (file -> digest) and the machine (tools, base images) as this run found them."""

    files: Mapping[str, str]
    tools: Mapping[str, str]
    images: Mapping[str, str]
    system_files: frozenset[str]

    @classmethod
    def take(cls, root: Path, files: list[str]) -> Snapshot:
        return cls(
            files=inputs.file_digests(root, files),
            tools=inputs.tool_versions(),
            images=inputs.base_image_ids(root),
            system_files=frozenset(inputs.system_files(root, files)),
        )

    def tree(self) -> str:
        """One digest of the whole tree: what a JUnit report of the unpatched killers must name."""
        return inputs.source_tree_digest(self.files)

    def runner(self) -> str:
        return inputs.digest_of({name: self.files.get(name, "absent") for name in RUNNER_SOURCES})

    def listing(self, folder: str) -> str:
        """A folder's entries (files and sub-folders) among the project's files."""
        prefix = "" if folder in ("", ".") else folder.rstrip("/") + "/"
        entries = sorted({f[len(prefix) :].split("/", 1)[0] for f in self.files if f.startswith(prefix)})
        return inputs.digest("\n".join(entries).encode())

    def current(self, name: str) -> str:
        """The digest of input `name` now ("absent" for a file that is gone)."""
        kind, _, what = name.partition(":")
        if kind == "file":
            return self.files.get(what, "absent")
        if kind == "dir":
            return self.listing(what)
        if kind == "tool":
            return self.tools.get(name, "absent")
        if kind == "image":
            return self.images.get(name, "absent")
        if name == "runner":
            return self.runner()
        if name == "system-files":
            return inputs.digest("\n".join(sorted(self.system_files)).encode())
        return f"unknown input {name}"  # e.g. the patch: only `required_inputs` has its value

    def system(self) -> dict[str, str]:
        """Every file another program may read, and which files those are (a new one is a change)."""
        named = {f"file:{f}": self.files[f] for f in self.system_files if f in self.files}
        return {**named, "system-files": self.current("system-files")}


def patch_digest(mistake: Mistake) -> str:
    fields = {"name": mistake.name, "file": mistake.file, "find": mistake.find, "replace": mistake.replace}
    return inputs.digest(json.dumps({**fields, "killers": list(mistake.killers)}, sort_keys=True).encode())


def killer_files(mistake: Mistake) -> list[str]:
    return sorted({killer.split("::", 1)[0].removeprefix("./") for killer in mistake.killers})


def lock_files(snapshot: Snapshot) -> list[str]:
    return [f for f in snapshot.files if PurePosixPath(f).name.startswith("requirements") and f.endswith(".txt")]


def required_inputs(snapshot: Snapshot, mistake: Mistake, root: Path) -> dict[str, str]:
    """What the mistake's verdict depends on whatever its run turns out to read."""
    files = {mistake.file, *lock_files(snapshot), *inputs.python_closure(root, killer_files(mistake), snapshot.files)}
    return {
        "patch": patch_digest(mistake),
        "runner": snapshot.runner(),
        **snapshot.tools,
        **snapshot.images,
        **{f"file:{f}": snapshot.current(f"file:{f}") for f in files},
    }


def observed_inputs(snapshot: Snapshot, reads_json: str) -> tuple[dict[str, str], bool]:
    """The project's files and folders a killing run opened or listed, and whether it started a
    program or talked to the engine (then the whole system is an input too)."""
    reads = json.loads(reads_json)
    observed = {f"file:{f}": snapshot.files[f] for f in reads["files"] if f in snapshot.files}
    folders = {f for f in reads["folders"] if f == "" or any(p.startswith(f + "/") for p in snapshot.files)}
    observed |= {f"dir:{f}": snapshot.listing(f) for f in folders}
    return observed, bool(reads["spawned"] or reads["engine"])
