"""Verdicts stored by content: a planted mistake's clean kill, kept under every input it depended on.

A verdict is reused only while each of its inputs has the digest it had when the mistake was
killed: the patch, the runner's own source, the tools' and engine's versions, the base images'
IDs, the killers' Python files (imports followed), every project file the killing run opened or
listed, and, when that run started another program or talked to the engine, every file of the
system (tests/support/../inputs.system_files). Only a clean kill is stored: the killers passed on
the unpatched tree (a JUnit report of that very tree says so) and one of them failed on the
patched one. The store lives in the user's cache folder, so a developer's `make mutate` and the
gate on the same machine share it; `--fresh` ignores it.
"""

from __future__ import annotations

import json
import os
import re
import tempfile
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

FORMAT = 1
PROJECT = "docker-tutorial"
# Entries kept per mistake: a few, so that going back to an earlier commit reuses its verdicts too.
KEPT_PER_MISTAKE = 4


def default_location(environ: Mapping[str, str] = os.environ) -> Path:
    """$MUTATION_STORE, else $XDG_CACHE_HOME/docker-tutorial/verdicts, else ~/.cache/docker-tutorial/verdicts."""
    if environ.get("MUTATION_STORE"):
        return Path(environ["MUTATION_STORE"])
    cache = Path(environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    return cache / PROJECT / "verdicts"


@dataclass(frozen=True)
class Stored:
    """A clean kill and the inputs it was keyed on."""

    mistake: str
    inputs: dict[str, str]
    killed_by: tuple[str, ...]
    detail: str
    seconds: float
    # Whether the killing run started a program or talked to the engine: then every file of the
    # system is one of its inputs, a file added there too.
    whole_system: bool = False


@dataclass(frozen=True)
class Lookup:
    stored: Stored | None
    # Why it must run ("" when `stored` may be reused): the inputs that changed, or that nothing is stored.
    why: str
    # How long the newest stored kill took (None when none is stored): what running it again may cost.
    last_seconds: float | None = None


@dataclass
class Store:
    location: Path
    warn: Callable[[str], None]
    writable: bool = True
    _warned: set[str] = field(default_factory=set)

    @classmethod
    def open(cls, location: Path, warn: Callable[[str], None]) -> Store:
        """The store at `location`; one that cannot be written is not used at all (said once)."""
        store = cls(location, warn)
        try:
            location.mkdir(parents=True, exist_ok=True)
            with tempfile.NamedTemporaryFile(dir=location, prefix=".probe-"):
                pass
        except OSError as error:
            store.writable = False
            warn(f"the verdict store {location} cannot be written ({error}): every mistake runs")
        return store

    def _path(self, mistake: str) -> Path:
        return self.location / (re.sub(r"[^A-Za-z0-9_.-]", "-", mistake) + ".json")

    def entries(self, mistake: str) -> list[Stored]:
        """This mistake's stored kills, newest first; a corrupt, foreign or unreadable file is
        ignored with a warning (the mistake then runs)."""
        path = self._path(mistake)
        if not self.writable or not path.exists():
            return []
        try:
            document = json.loads(path.read_text(encoding="utf-8"))
            if document.get("format") != FORMAT or document.get("project") != PROJECT:
                raise ValueError(f"not a verdict of {PROJECT} in format {FORMAT}")
            return [_stored(mistake, entry) for entry in document["entries"]]
        except (OSError, ValueError, KeyError, TypeError, AttributeError) as error:
            self.warn(f"ignoring the stored verdict {path}: {error}")
            return []

    def save(self, verdict: Stored) -> None:
        if not self.writable:
            return
        kept = [e for e in self.entries(verdict.mistake) if e.inputs != verdict.inputs]
        entries = [verdict, *kept][:KEPT_PER_MISTAKE]
        document = {"format": FORMAT, "project": PROJECT, "entries": [_as_json(e) for e in entries]}
        path = self._path(verdict.mistake)
        try:
            with tempfile.NamedTemporaryFile("w", dir=self.location, delete=False, suffix=".tmp") as out:
                json.dump(document, out, indent=1)
            os.replace(out.name, path)
        except OSError as error:
            if "save" not in self._warned:
                self._warned.add("save")
                self.warn(f"could not store verdicts in {self.location}: {error}")


def _stored(mistake: str, entry: Any) -> Stored:
    inputs = entry["inputs"]
    if not isinstance(inputs, dict) or not all(isinstance(v, str) for v in inputs.values()):
        raise ValueError("inputs are not a map of digests")
    return Stored(
        mistake=mistake,
        inputs=dict(inputs),
        killed_by=tuple(str(k) for k in entry["killed_by"]),
        detail=str(entry["detail"]),
        seconds=float(entry["seconds"]),
        whole_system=bool(entry["whole_system"]),
    )


def _as_json(verdict: Stored) -> dict[str, Any]:
    return {
        "inputs": verdict.inputs,
        "killed_by": list(verdict.killed_by),
        "detail": verdict.detail,
        "seconds": round(verdict.seconds, 1),
        "whole_system": verdict.whole_system,
    }


def changed_inputs(stored: Stored, current: Callable[[str], str], required: Mapping[str, str]) -> list[str]:
    """The names of the inputs whose digest is not what it was: each the stored entry has (its value
    now from `required`, what the mistake depends on today, or else read with `current`), and each
    of `required` that the entry lacks (e.g. a module a killer imports since)."""

    def now(name: str) -> str:
        return required[name] if name in required else current(name)

    changed = {name for name, value in stored.inputs.items() if now(name) != value}
    changed |= {name for name in required if name not in stored.inputs}
    return sorted(changed)


def look_up(store: Store, mistake: str, current: Callable[[str], str], required: Mapping[str, str]) -> Lookup:
    """The newest stored kill whose every input is unchanged, else why the mistake must run."""
    entries = store.entries(mistake)
    if not entries:
        return Lookup(None, "no stored verdict")
    nearest: list[str] | None = None
    for entry in entries:
        # An entry of a run that started a program holds every system file and their list ("system-files").
        changed = changed_inputs(entry, current, required)
        if not changed:
            return Lookup(entry, "")
        if nearest is None or len(changed) < len(nearest):
            nearest = changed
    assert nearest is not None
    shown = ", ".join(nearest[:3]) + (f" and {len(nearest) - 3} more" if len(nearest) > 3 else "")
    return Lookup(None, f"changed: {shown}", entries[0].seconds)


def audit_sample_size(reused: int) -> int:
    """How many reused verdicts a run re-runs from scratch: at least 5, or 10 %, never more than there are."""
    return min(reused, max(5, -(-reused // 10)))


def sample(names: Sequence[str], size: int, seed: int | None = None) -> list[str]:
    import random

    return random.Random(seed).sample(list(names), size)  # noqa: S311 (a sample, not a secret)
