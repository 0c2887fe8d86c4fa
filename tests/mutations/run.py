"""Plant each catalogued mistake in a scratch copy of the project and run the scenarios named to catch it.

    python -m tests.mutations.run                      # every mistake, each against its killers
    python -m tests.mutations.run NAME [NAME ...]      # only these
    python -m tests.mutations.run --list               # the catalogue
    python -m tests.mutations.run --baseline --jobs 2  # killers must pass unmutated first; two at a time

A mistake that no scenario notices is a claim the suite does not prove. The working tree is
only read (its tracked and untracked, not ignored, files plus .env); the one thing written
there is reports/mutation.md and reports/mutation.json. Each mutant builds its images under
tags of its own (WEBAPP_IMAGE, API_IMAGE = ...:mutant-<name>), removed afterwards, so the
tags the normal suite uses never move. A mistake in a base image's recipe (scripts/offline/)
has the stand-in base images rebuilt from the mutant, under mutant names too.
"""

from __future__ import annotations

import argparse
import contextlib
import functools
import json
import os
import re
import shlex
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import uuid
import xml.etree.ElementTree as ET
from collections.abc import Iterable, Iterator, Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import asdict, dataclass, field, replace
from datetime import datetime, timezone
from pathlib import Path
from typing import Literal, get_args

import docker
from docker.errors import APIError, DockerException, ImageNotFound
from dotenv import dotenv_values

from tests.mutations import keys, verdicts
from tests.mutations.catalogue import MISTAKES, Mistake
from tests.mutations.inputs import project_files
from tests.mutations.reads import READS_FILE
from tests.support.cleanup import COMPOSE_PROJECT_PREFIX
from tests.support.cluster import SHARED_CLUSTER
from tests.support.environment import API_REPOSITORY, IMAGE_NAMES, WEBAPP_REPOSITORY
from tests.support.junit import FAILED, PASSED, parse_cases, read_cases
from tests.support.snapshot import SNAPSHOT_LABEL, current_tag
from tests.support.swarm import remove_stacks_of_dead_sessions, swarm_membership
from tests.support.waiting import ConditionTimeoutError, wait_until

ROOT = Path(__file__).resolve().parents[2]
REPORTS = ROOT / "reports"
PLANTED_MISTAKE = "PLANTED_MISTAKE"
IMAGE_REPOSITORIES = {"WEBAPP_IMAGE": WEBAPP_REPOSITORY, "API_IMAGE": API_REPOSITORY}
# The recipes of the offline base images (scripts/ensure-images.sh). The suite only uses these
# images, never builds them: a mistake in a recipe needs the stand-ins rebuilt from the mutant.
STAND_IN_RECIPES = "scripts/offline/"
# variable the suite reads -> (variable ensure-images.sh builds under, repository)
STAND_INS = {
    "PYTHON_IMAGE": ("OFFLINE_PYTHON_IMAGE", IMAGE_NAMES["OFFLINE_PYTHON_IMAGE"].rsplit(":", 1)[0]),
    "POSTGRES_IMAGE": ("OFFLINE_POSTGRES_IMAGE", IMAGE_NAMES["OFFLINE_POSTGRES_IMAGE"].rsplit(":", 1)[0]),
}
EXIT_MEANINGS = {
    2: "interrupted (a collection error, or stopped)",
    3: "internal error",
    4: "usage error (e.g. a killer id that names no test)",
    5: "no tests collected",
}
# How long a timed-out pytest gets, after SIGINT, to tear down and sweep its containers.
INTERRUPT_GRACE = 30.0
TAIL_LINES = 30

Outcome = Literal["killed", "survived", "error", "stale", "equivalent"]


@dataclass(frozen=True)
class Result:
    name: str
    file: str
    outcome: Outcome
    # Node ids of the failed tests, in the order pytest reported them.
    killed_by: tuple[str, ...] = ()
    # Only tests outside the mistake's killers failed (possible with --whole-suite).
    by_other_tests: bool = False
    seconds: float | None = None
    # Why: the stale message, the equivalence, or pytest's exit and the tail of its output.
    detail: str = ""
    # "ran"; "reused" (a stored verdict whose every input is unchanged); "audit" (a reused one run
    # again from scratch, to prove the key complete).
    how: str = "ran"
    # Why it ran: which key input changed, or that no verdict was stored (or --fresh).
    why: str = ""


@dataclass(frozen=True)
class Failure:
    node: str
    # "failure" (the test's own assertion) or "error" (in a fixture, e.g. an image that would not build).
    kind: str
    message: str


@dataclass(frozen=True)
class PytestRun:
    exit_code: int | None  # None: timed out
    failed: tuple[Failure, ...]
    tail: str
    seconds: float


class StaleMistakeError(Exception):
    """The catalogue entry no longer fits the file it plants into."""


# --- the pure parts -------------------------------------------------------------------------------


def apply_mistake(text: str, mistake: Mistake) -> str:
    """`text` with the mistake planted; `find` must occur exactly once, or the entry is stale."""
    if mistake.find == mistake.replace:
        raise StaleMistakeError(f"`find` equals `replace`: the mistake changes nothing in {mistake.file}")
    count = text.count(mistake.find) if mistake.find else 0
    if count != 1:
        raise StaleMistakeError(f"`find` occurs {count} times in {mistake.file}; it must occur exactly once")
    return text.replace(mistake.find, mistake.replace)


def select(mistakes: Sequence[Mistake], names: Sequence[str]) -> tuple[Mistake, ...]:
    """The named mistakes in catalogue order (all when none are named); unknown names are an error."""
    known = {m.name for m in mistakes}
    unknown = [n for n in names if n not in known]
    if unknown:
        raise ValueError(f"no such mistake: {', '.join(unknown)} (see --list)")
    return tuple(m for m in mistakes if not names or m.name in names)


def duplicate_names(mistakes: Iterable[Mistake]) -> list[str]:
    """Names used twice: each mutant's tags and folder are named after it."""
    names = [m.name for m in mistakes]
    return sorted({n for n in names if names.count(n) > 1})


# Part of every tag: a tag left by an interrupted or concurrent run is never this run's.
RUN_ID = uuid.uuid4().hex[:8]


def image_tag(name: str) -> str:
    """A Docker tag for the mutant (tags allow [A-Za-z0-9_.-], at most 128 characters)."""
    return f"mutant-{RUN_ID}-" + re.sub(r"[^A-Za-z0-9_.-]", "-", name)[:110]


def mutant_environment(base: Mapping[str, str], name: str, *, planted: bool = True) -> dict[str, str]:
    """The child's environment: image tags of its own, read by the suite and by Compose, and the name
    of the mistake planted (PLANTED_MISTAKE), so that a test of the catalogue can tell its copy is mutated."""
    tag = image_tag(name)
    env = {**base, **{variable: f"{repository}:{tag}" for variable, repository in IMAGE_REPOSITORIES.items()}}
    env.pop(PLANTED_MISTAKE, None)
    return {**env, PLANTED_MISTAKE: name} if planted else env


def rebuilds_stand_ins(mistake: Mistake) -> bool:
    return mistake.file.startswith(STAND_IN_RECIPES)


def stand_in_environment(name: str) -> dict[str, str]:
    """For ensure-images.sh and the suite: stand-ins under the mutant's own names, built offline."""
    tag = image_tag(name)
    env = {"OFFLINE": "1"}
    for variable, (offline_variable, repository) in STAND_INS.items():
        env[variable] = env[offline_variable] = f"{repository}:{tag}"
    return env


def pytest_command(junit: Path, basetemp: Path, tests: Sequence[str], extra: Sequence[str] = ()) -> list[str]:
    # xunit1 puts each test's file in the report, so node ids need no guessing.
    return [
        sys.executable,
        "-m",
        "pytest",
        "-p",
        "no:cacheprovider",
        "-p",
        "tests.mutations.reads",
        "-q",
        "-x",
        f"--junitxml={junit}",
        "-o",
        "junit_family=xunit1",
        f"--basetemp={basetemp}",
        *extra,
        *tests,
    ]


def failed_tests(junit_xml: str) -> tuple[Failure, ...]:
    """The failed or errored testcases of a JUnit report, each once, in report order."""
    failed: dict[str, Failure] = {}
    for case in parse_cases(junit_xml):
        if case.outcome == FAILED:
            failed.setdefault(case.node, Failure(case.node, case.problem, case.message))
    return tuple(failed.values())


def matches(killer: str, node: str) -> bool:
    """Whether `node` is the test `killer` names, or inside it: a killer without [params] covers all cases."""
    killer = killer.removeprefix("./").rstrip("/")
    return node == killer or node.startswith((killer + "[", killer + "::", killer + "/"))


def classify(
    mistake: Mistake, exit_code: int | None, failed: Sequence[Failure], tail: str, timeout: float | None = None
) -> Result:
    """The outcome of a pytest run on a mutant, from its exit code and failed tests (seconds left unset)."""
    base = Result(mistake.name, mistake.file, "error")
    if exit_code is None:
        limit = f" of {timeout:g} s" if timeout else ""
        return replace(base, detail=f"pytest ran past its timeout{limit} and was stopped\n{tail}")
    if exit_code == 0:
        last = next((line for line in reversed(tail.splitlines()) if line.strip()), "")
        return replace(base, outcome="survived", detail=last.strip("= "))
    if exit_code == 1:
        by_killers = [f for f in failed if any(matches(k, f.node) for k in mistake.killers)]
        if by_killers or failed:
            first = (by_killers or failed)[0]
            return replace(
                base,
                outcome="killed",
                killed_by=tuple(f.node for f in by_killers or failed),
                by_other_tests=not by_killers,
                detail=f"{first.kind}: {first.message}",
            )
        return replace(base, detail=f"pytest exited 1 but its report names no failed test\n{tail}")
    meaning = EXIT_MEANINGS.get(exit_code, "unexpected exit code")
    return replace(base, detail=f"pytest exited {exit_code}: {meaning}\n{tail}")


def _cell(text: str) -> str:
    return " ".join(text.split()).replace("|", "\\|")


def outcome_text(result: Result) -> str:
    if result.outcome in ("killed", "survived"):
        return result.outcome
    first_line = result.detail.splitlines()[0] if result.detail else ""
    return f"{result.outcome}: {first_line}" if first_line else result.outcome


def killed_by_text(result: Result) -> str:
    if not result.killed_by:
        return ""
    text = f"`{result.killed_by[0]}`"
    if len(result.killed_by) > 1:
        text += f" (+{len(result.killed_by) - 1} more)"
    if result.by_other_tests:
        text += " (not one of its killers)"
    return text


def how_text(result: Result) -> str:
    """Ran or reused, and why it ran: "ran (changed: file:app/views.py)"."""
    if result.outcome == "equivalent":
        return ""
    return f"{result.how} ({result.why})" if result.why else result.how


def render_table(results: Sequence[Result]) -> str:
    lines = ["| mistake | file | outcome | killed by | ran or reused | seconds |", "|---|---|---|---|---|---:|"]
    for r in results:
        seconds = "" if r.seconds is None else f"{r.seconds:.1f}"
        cells = (f"`{r.name}`", f"`{r.file}`", outcome_text(r), killed_by_text(r), how_text(r), seconds)
        lines.append("| " + " | ".join(_cell(c) for c in cells) + " |")
    return "\n".join(lines) + "\n"


def counts(results: Sequence[Result]) -> dict[str, int]:
    tally = {outcome: sum(r.outcome == outcome for r in results) for outcome in get_args(Outcome)}
    tally["planted"] = len(results) - tally["equivalent"]
    return tally


def render_summary(results: Sequence[Result], wall_seconds: float) -> str:
    c = counts(results)
    reused = sum(r.how == "reused" for r in results)
    audited = sum(r.how == "audit" for r in results)
    ran = sum(r.how == "ran" and r.outcome != "equivalent" for r in results)
    return (
        f"killed {c['killed']} of {c['planted']}; survived {c['survived']}; errors {c['error']}; "
        f"stale {c['stale']}; equivalent {c['equivalent']}; ran {ran}, reused {reused}, audited {audited} "
        f"(reused verdicts run again); wall time {wall_seconds:.1f} s"
    )


def render_details(results: Sequence[Result]) -> str:
    """pytest's own words (the table has room for one line): what each kill asserted, so that a kill
    by a broken environment rather than by the scenario's claim shows; the tail of each error."""
    kills = [f"- `{r.name}`: {_cell(r.detail)}" for r in results if r.outcome == "killed"]
    errors = [
        f"### `{r.name}`\n\n```\n{r.detail.rstrip()}\n```\n"
        for r in results
        if r.outcome == "error" and "\n" in r.detail
    ]
    text = "## How each was killed\n\n" + "\n".join(kills) + "\n" if kills else ""
    if errors:
        text += ("\n" if text else "") + "## Errors\n\n" + "\n".join(errors)
    return text


def baseline_complaint(run: PytestRun) -> str:
    """Why the unmutated run disqualifies the catalogue ("" when its tests all passed)."""
    if run.exit_code == 0:
        return ""
    how = "ran past its timeout" if run.exit_code is None else f"exited {run.exit_code}"
    if run.exit_code in EXIT_MEANINGS:
        how += f": {EXIT_MEANINGS[run.exit_code]}"
    failed = "".join(f"\n  {f.node}: {f.kind}: {f.message}" for f in run.failed)
    return (
        f"baseline failed (pytest {how}): the scenarios fail without any mistake, "
        f"so no kill would prove anything.{failed}\n{run.tail}"
    )


def all_killed(results: Sequence[Result]) -> bool:
    return all(r.outcome in ("killed", "equivalent") for r in results)


# --- files ----------------------------------------------------------------------------------------


def copy_files(root: Path, files: Iterable[str], destination: Path) -> None:
    for name in files:
        target = destination / name
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(root / name, target, follow_symlinks=False)


def mutated_text(scratch: Path, mistake: Mistake) -> str:
    """The mistake's file with the mistake planted, read as it is (line endings kept)."""
    source = scratch / mistake.file
    if not source.is_file():
        raise StaleMistakeError(f"{mistake.file} does not exist")
    with source.open(encoding="utf-8", newline="") as f:
        return apply_mistake(f.read(), mistake)


def write_exactly(path: Path, text: str) -> None:
    with path.open("w", encoding="utf-8", newline="") as f:
        f.write(text)


def compile_once(scratch: Path) -> str:
    """The scratch copy's modules compiled, and its tests' asserts rewritten, once: every mutant's
    copy carries the bytecode, which its pytest would otherwise make again (about 2 s of CPU per
    mutant). Only here is PYTHONDONTWRITEBYTECODE set aside. A planted file's bytecode is removed
    from its mutant's copy (forget_bytecode). Returns what went wrong, or nothing: a mutant then
    compiles what it needs itself."""
    env = {name: value for name, value in os.environ.items() if name != "PYTHONDONTWRITEBYTECODE"}
    steps = (
        [sys.executable, "-m", "compileall", "-q", "-x", r"/\.", "."],
        # The plugin a mutant loads is rewritten too, as it is when loaded with -p.
        [
            sys.executable,
            "-m",
            "pytest",
            "-q",
            "-p",
            "no:cacheprovider",
            "-p",
            "tests.mutations.reads",
            "--collect-only",
        ],
    )
    troubles = []
    for step in steps:
        done = subprocess.run(step, cwd=scratch, env=env, capture_output=True, text=True)
        if done.returncode != 0:
            said = (done.stderr.strip() or done.stdout.strip())[-500:]
            troubles.append(f"{shlex.join(step[1:4])} exited {done.returncode}: {said}")
    return "; ".join(troubles)


def forget_bytecode(source: Path) -> None:
    """A planted file's compiled and rewritten bytecode, removed: it is of the unplanted text."""
    for cached in (source.parent / "__pycache__").glob(f"{source.stem}.*.pyc"):
        cached.unlink()


def tail(path: Path, lines: int = TAIL_LINES) -> str:
    if not path.exists():
        return ""
    return "\n".join(path.read_text(encoding="utf-8", errors="replace").splitlines()[-lines:])


# --- processes and the engine ---------------------------------------------------------------------


class Children:
    """The pytest processes now running. Each runs in a session of its own, so that a timeout can
    stop its whole group; that also keeps the terminal's Ctrl-C from them, so interrupt() forwards it."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._running: set[subprocess.Popen[bytes]] = set()
        self.stopping = False

    def add(self, process: subprocess.Popen[bytes]) -> None:
        with self._lock:
            self._running.add(process)
            stopping = self.stopping
        if stopping:
            _signal(process, signal.SIGINT)

    def discard(self, process: subprocess.Popen[bytes]) -> None:
        with self._lock:
            self._running.discard(process)

    def interrupt(self) -> None:
        """SIGINT, as Ctrl-C: pytest tears down and its session sweeps its containers."""
        with self._lock:
            self.stopping = True
            running = list(self._running)
        for process in running:
            _signal(process, signal.SIGINT)

    def kill(self) -> None:
        with self._lock:
            running = list(self._running)
        for process in running:
            _kill_group(process)


def _signal(process: subprocess.Popen[bytes], signum: int) -> None:
    with contextlib.suppress(ProcessLookupError):
        process.send_signal(signum)


def _kill_group(process: subprocess.Popen[bytes]) -> None:
    # The group id is the child's pid (start_new_session): this reaches only what it started.
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(process.pid, signal.SIGKILL)


def run_process(
    command: Sequence[str], cwd: Path, env: Mapping[str, str], timeout: float, log: Path, children: Children
) -> int | None:
    """The exit code (pytest's, or a script's), or None when it ran past `timeout` and was stopped."""
    with log.open("wb") as out:
        process = subprocess.Popen(
            list(command),
            cwd=cwd,
            env=dict(env),
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        children.add(process)
        try:
            return process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            _stop(process)
            return None
        except KeyboardInterrupt:  # Ctrl-C while this thread waits (the baseline runs in the main thread)
            _stop(process)
            raise
        finally:
            children.discard(process)


def _stop(process: subprocess.Popen[bytes]) -> None:
    """SIGINT first, so that pytest sweeps its containers; then whatever is left of its group is killed."""
    _signal(process, signal.SIGINT)
    with contextlib.suppress(subprocess.TimeoutExpired):
        process.wait(timeout=INTERRUPT_GRACE)
    _kill_group(process)  # pytest itself if it would not stop, or a docker CLI it started
    process.wait()


def run_tests(
    project: Path,
    workdir: Path,
    tests: Sequence[str],
    env: Mapping[str, str],
    options: Options,
    children: Children,
) -> PytestRun:
    junit, log = workdir / "junit.xml", workdir / "pytest.log"
    command = pytest_command(junit, workdir / "basetemp", tests, options.pytest_args)
    started = time.monotonic()
    exit_code = run_process(command, project, env, options.timeout, log, children)
    seconds = time.monotonic() - started
    failed: tuple[Failure, ...] = ()
    if junit.exists():
        with contextlib.suppress(ET.ParseError):
            failed = failed_tests(junit.read_text(encoding="utf-8"))
    return PytestRun(exit_code, failed, tail(log), seconds)


def tag_current_stand_ins(project: Path, env: Mapping[str, str]) -> None:
    """Give the stand-ins the copy's .env names the mutant's names too: ensure-images.sh then keeps
    those whose recipe the mistake left alone (same recipe label) and rebuilds only the mutated one."""
    current = dotenv_values(project / ".env")
    client = docker.from_env()
    try:
        for variable in STAND_INS:
            name = current.get(variable)
            if name:
                with contextlib.suppress(ImageNotFound):
                    repository, _, tag = env[variable].rpartition(":")
                    client.images.get(name).tag(repository, tag)
    finally:
        client.close()


def build_stand_ins(project: Path, workdir: Path, env: Mapping[str, str], options: Options, children: Children) -> str:
    """Rebuild the base images from the mutated recipe; "" when done, else why not and the script's output."""
    try:
        tag_current_stand_ins(project, env)
    except DockerException as error:
        return f"could not tag the current stand-in images: {error}"
    log = workdir / "ensure-images.log"
    # A lock of its own: the mutant's stand-ins, under its names, are made anew for each run and
    # removed after it; a line of theirs in the user's lock would refuse the next run's.
    env = {**env, "IMAGE_LOCK": str(workdir / "images.lock")}
    exit_code = run_process(["scripts/ensure-images.sh"], project, env, options.timeout, log, children)
    if exit_code == 0:
        return ""
    how = "ran past the timeout" if exit_code is None else f"exited {exit_code}"
    return f"scripts/ensure-images.sh {how}: the stand-in images do not build from the mutated recipe\n{tail(log)}"


# How long a mutant's image may stay in use after its scenarios ended: the engine removes a
# removed Swarm stack's last containers a moment after `docker stack rm` has returned.
IMAGE_IN_USE_GRACE = 60.0


def remove_images(references: Iterable[str]) -> list[str]:
    """Remove (or only untag, when another tag shares the image) the mutant's images; return problems."""
    references = list(references)
    try:
        client = docker.from_env()
    except DockerException as error:
        return [f"cannot reach the engine to remove {', '.join(references)}: {error}"]
    problems = []

    def removed(reference: str) -> bool:
        try:
            client.images.remove(reference)
        except ImageNotFound:
            pass  # this mutant built no such image (e.g. only unit tests ran)
        except APIError as error:
            if error.status_code == 409:
                raise  # still in use: not yet
            problems.append(f"could not remove {reference}: {error.explanation or error}")
        return True

    try:
        for reference in references:
            try:
                wait_until(functools.partial(removed, reference), timeout=IMAGE_IN_USE_GRACE, what=f"{reference} free")
            except ConditionTimeoutError as error:
                problems.append(f"could not remove {reference}: {error}")
    finally:
        client.close()
    return problems


def current_snapshot() -> str:
    """The snapshot's tag for the unmutated code ("" when the postgres image is missing)."""
    postgres = (
        os.environ.get("POSTGRES_IMAGE")
        or dotenv_values(ROOT / ".env").get("POSTGRES_IMAGE")
        or IMAGE_NAMES["OFFICIAL_POSTGRES_IMAGE"]
    )
    client = docker.from_env()
    try:
        return current_tag(client, postgres)
    except ImageNotFound:
        return ""
    finally:
        client.close()


def snapshot_images() -> set[str]:
    """The tags of the migrated databases' snapshot images on the engine."""
    client = docker.from_env()
    try:
        return {tag for image in client.images.list(filters={"label": SNAPSHOT_LABEL}) for tag in image.tags}
    finally:
        client.close()


# --- one run --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Options:
    timeout: float
    whole_suite: bool
    pytest_args: tuple[str, ...]


class Progress:
    """One line on stderr per finished mistake; threads take turns."""

    def __init__(self, total: int) -> None:
        self._lock = threading.Lock()
        self._done = 0
        self._total = total

    def say(self, message: str) -> None:
        with self._lock:
            print(message, file=sys.stderr, flush=True)

    def finished(self, result: Result, problems: Sequence[str] = ()) -> None:
        with self._lock:
            self._done += 1
            seconds = "" if result.seconds is None else f" ({result.seconds:.1f} s)"
            by = f" by {result.killed_by[0]}" if result.killed_by else ""
            print(f"[{self._done}/{self._total}] {result.name}: {outcome_text(result)}{by}{seconds}", file=sys.stderr)
            for problem in problems:
                print(f"    cleanup: {problem}", file=sys.stderr)
            sys.stderr.flush()


# --- verdicts kept by content (tests/mutations/verdicts.py) --------------------------------------


@dataclass
class Keeping:
    """The verdict store as one run uses it: the tree and machine as found, and which killers are
    known to pass on this very tree (a JUnit report of it, or --baseline): only then is a kill clean."""

    store: verdicts.Store
    snapshot: keys.Snapshot
    passed: set[str]
    failed: set[str]
    # Where the reports are read from again at the end (a rehearsal may finish while mistakes run).
    reports: Sequence[Path] = ()
    # Kills whose killers no report showed passing yet: stored at the end if one does by then.
    pending: list[tuple[Mistake, Result, str]] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def clean_baseline(self, mistake: Mistake) -> bool:
        return all(
            any(matches(k, n) for n in self.passed) and not any(matches(k, n) for n in self.failed)
            for k in mistake.killers
        )

    def look_up(self, mistake: Mistake) -> verdicts.Lookup:
        return verdicts.look_up(
            self.store,
            mistake.name,
            self.snapshot.current,
            keys.required_inputs(self.snapshot, mistake, ROOT),
        )

    def keep(self, mistake: Mistake, result: Result, reads_json: str) -> None:
        """Store a clean kill under every input it depended on; anything else is never stored."""
        if result.outcome != "killed" or result.by_other_tests:
            return
        if not self.clean_baseline(mistake):
            with self._lock:
                self.pending.append((mistake, result, reads_json))
            return
        self._save(mistake, result, reads_json)

    def flush(self) -> int:
        """Store the pending kills a report written since shows clean; how many are left unstored."""
        if not self.pending:
            return 0
        self.passed, self.failed = reports_of_this_tree(self.reports, self.snapshot.tree())
        left = [(m, r, reads) for m, r, reads in self.pending if not self.clean_baseline(m)]
        for m, r, reads in self.pending:
            if self.clean_baseline(m):
                self._save(m, r, reads)
        self.pending = left
        return len(left)

    def _save(self, mistake: Mistake, result: Result, reads_json: str) -> None:
        try:
            observed, whole_system = keys.observed_inputs(self.snapshot, reads_json)
        except (ValueError, KeyError, TypeError):
            return  # the run's record of its reads is missing or broken: nothing to key it on
        required = keys.required_inputs(self.snapshot, mistake, ROOT)
        every = {**required, **observed, **(self.snapshot.system() if whole_system else {})}
        self.store.save(
            verdicts.Stored(mistake.name, every, result.killed_by, result.detail, result.seconds or 0.0, whole_system)
        )


def reports_of_this_tree(reports: Iterable[Path], tree: str) -> tuple[set[str], set[str]]:
    """Node ids passed and failed in the JUnit reports written on this very tree (each report's
    sidecar <report>.tree names the tree's digest: the root conftest writes it)."""
    passed: set[str] = set()
    failed: set[str] = set()
    for report in reports:
        sidecar = report.with_name(report.name + ".tree")
        try:
            if sidecar.read_text(encoding="utf-8").strip() != tree:
                continue
        except OSError:
            continue
        for case in read_cases(report):
            if case.outcome == FAILED:
                failed.add(case.node)
            elif case.outcome == PASSED:
                passed.add(case.node)
    return passed, failed


@dataclass(frozen=True)
class Plan:
    to_run: tuple[Mistake, ...]
    reused: dict[str, verdicts.Stored]
    audited: tuple[str, ...]
    why: dict[str, str]
    # The seconds each mistake to run took when it was last stored (absent: never).
    last_seconds: dict[str, float] = field(default_factory=dict)

    def render(self, jobs: int) -> str:
        """What would run and why (--dry-run), with what their last stored runs took."""
        lines = [f"{m.name}: {self.why.get(m.name, '')}" for m in self.to_run]
        known = [self.last_seconds[m.name] for m in self.to_run if m.name in self.last_seconds]
        unknown = len(self.to_run) - len(known)
        lines.append(
            f"{len(self.to_run)} would run ({len(self.audited)} of them as the audit), "
            f"{len(self.reused) - len(self.audited)} reused; the {len(known)} run before took "
            f"{sum(known):.0f} s in all (about {sum(known) / jobs:.0f} s at --jobs {jobs})"
            + (f"; {unknown} never stored" if unknown else "")
        )
        return "\n".join(lines) + "\n"


def plan(mistakes: Sequence[Mistake], keeping: Keeping | None, fresh_reason: str, seed: int | None = None) -> Plan:
    """Which mistakes run (and why), which reuse a stored kill, and which of those are run again
    from scratch as the audit of the key (at least 5, or 10 %)."""
    reused: dict[str, verdicts.Stored] = {}
    why: dict[str, str] = {}
    last_seconds: dict[str, float] = {}
    for m in mistakes:
        if m.equivalent:
            continue
        if keeping is None:
            why[m.name] = fresh_reason
            continue
        found = keeping.look_up(m)
        if found.stored is not None:
            reused[m.name] = found.stored
            last_seconds[m.name] = found.stored.seconds
        else:
            why[m.name] = found.why
            if found.last_seconds is not None:
                last_seconds[m.name] = found.last_seconds
    audited = tuple(verdicts.sample(sorted(reused), verdicts.audit_sample_size(len(reused)), seed))
    for name in audited:
        why[name] = "audit: a reused verdict run again from scratch"
    to_run = tuple(m for m in mistakes if m.name not in reused or m.name in audited)
    return Plan(to_run, reused, audited, why, last_seconds)


def reused_result(mistake: Mistake, stored: verdicts.Stored) -> Result:
    return Result(
        mistake.name,
        mistake.file,
        "killed",
        killed_by=stored.killed_by,
        seconds=None,
        detail=stored.detail,
        how="reused",
    )


def audit_failures(results: Sequence[Result]) -> list[Result]:
    return [r for r in results if r.how == "audit" and r.outcome != "killed"]


def parse_shard(text: str) -> tuple[int, int]:
    """Read "K/N" as (K, N), 1 <= K <= N."""
    k, _, n = text.partition("/")
    shard, shards = int(k), int(n)
    if not 1 <= shard <= shards:
        raise ValueError(f"shard {text}: K/N with 1 <= K <= N")
    return shard, shards


def run_mistake(
    mistake: Mistake,
    scratch: Path,
    workroot: Path,
    options: Options,
    children: Children,
    progress: Progress,
    keeping: Keeping | None = None,
    extra_env: Mapping[str, str] | None = None,
) -> Result:
    started = time.monotonic()
    problems: list[str] = []
    result = _run_mistake(mistake, scratch, workroot, options, children, problems, keeping, started, extra_env)
    result = replace(result, seconds=None if result.outcome == "equivalent" else time.monotonic() - started)
    progress.finished(result, problems)
    return result


def _run_mistake(
    mistake: Mistake,
    scratch: Path,
    workroot: Path,
    options: Options,
    children: Children,
    problems: list[str],
    keeping: Keeping | None = None,
    started: float = 0.0,
    extra_env: Mapping[str, str] | None = None,
) -> Result:
    base = Result(mistake.name, mistake.file, "error")
    if mistake.equivalent:
        return replace(base, outcome="equivalent", detail=mistake.equivalent)
    if not mistake.killers and not options.whole_suite:
        return replace(base, detail="the catalogue names no killers for it (or run with --whole-suite)")
    if children.stopping:
        return replace(base, detail="not run: interrupted")
    try:
        mutated = mutated_text(scratch, mistake)
    except StaleMistakeError as error:
        return replace(base, outcome="stale", detail=str(error))
    workdir = Path(tempfile.mkdtemp(prefix=f"{image_tag(mistake.name)}-", dir=workroot))
    env = mutant_environment(os.environ, mistake.name)
    env[READS_FILE] = str(workdir / "reads.json")
    env.update(extra_env or {})
    images = [env[variable] for variable in IMAGE_REPOSITORIES]
    try:
        project = workdir / "project"
        shutil.copytree(scratch, project, symlinks=True)
        write_exactly(project / mistake.file, mutated)
        forget_bytecode(project / mistake.file)
        if rebuilds_stand_ins(mistake):
            env.update(stand_in_environment(mistake.name))
            images += [env[variable] for variable in STAND_INS]
            failure = build_stand_ins(project, workdir, env, options, children)
            if failure:
                return replace(base, detail=failure)
        # The whole suite leaves the chapters of their own sessions out: their killers then.
        tests = () if options.whole_suite and not in_own_session(mistake) else mistake.killers
        run = run_tests(project, workdir, tests, env, options, children)
        result = classify(mistake, run.exit_code, run.failed, run.tail, options.timeout)
        if keeping is not None and result.outcome == "killed":
            with contextlib.suppress(OSError):
                reads = (workdir / "reads.json").read_text(encoding="utf-8")
                keeping.keep(mistake, replace(result, seconds=time.monotonic() - started), reads)
        return result
    finally:
        problems += remove_images(images)
        shutil.rmtree(workdir, ignore_errors=True)


def run_baseline(
    mistakes: Sequence[Mistake], scratch: Path, workroot: Path, options: Options, children: Children
) -> PytestRun | None:
    """The tests the mutants will run, on the unmutated copy; None when there is nothing to run.
    (The engine-wide chapters' killers are left out: they cannot share a session with others.)"""
    killers = list(dict.fromkeys(k for m in mistakes if not m.equivalent and not in_own_session(m) for k in m.killers))
    if not killers and not options.whole_suite:
        return None
    workdir = Path(tempfile.mkdtemp(prefix="baseline-", dir=workroot))
    env = mutant_environment(os.environ, "unmutated", planted=False)
    try:
        project = workdir / "project"
        shutil.copytree(scratch, project, symlinks=True)
        return run_tests(project, workdir, () if options.whole_suite else killers, env, options, children)
    finally:
        for problem in remove_images(env[variable] for variable in IMAGE_REPOSITORIES):
            print(f"baseline cleanup: {problem}", file=sys.stderr)
        shutil.rmtree(workdir, ignore_errors=True)


def run_all(
    mistakes: Sequence[Mistake],
    scratch: Path,
    workroot: Path,
    options: Options,
    jobs: int,
    keeping: Keeping | None = None,
) -> tuple[list[Result], bool]:
    """Results in catalogue order, and whether the run was interrupted."""
    children, progress = Children(), Progress(len(mistakes))
    futures: dict[str, Future[Result]] = {}
    not_run: dict[str, str] = {}  # why, by name
    interrupted = False
    # First the mistakes that may run beside any other, then those whose scenarios join a swarm:
    # beside each other, in one swarm joined for all of them (see engine_wide_batch).
    # The mistakes of the chapters that take minutes (the fresh-machine rehearsals, the three-node
    # swarm) first: none is left to run alone at the end.
    beside_any = sorted((m for m in mistakes if not joins_a_swarm(m)), key=lambda m: not in_own_session(m))
    for batch, context in (
        (beside_any, contextlib.nullcontext),
        ([m for m in mistakes if joins_a_swarm(m)], engine_wide_batch),
    ):
        if interrupted or not batch:
            continue
        try:
            with context():
                _run_batch(batch, jobs, futures, scratch, workroot, options, children, progress, keeping)
        except KeyboardInterrupt:
            interrupted = True
        except Exception as error:  # e.g. a swarm that cannot be joined: this batch's result, not the run's end
            not_run.update({m.name: f"not run: {error}" for m in batch if m.name not in futures})
    results = [
        f.result()
        if (f := futures.get(m.name)) is not None and not f.cancelled()
        else Result(m.name, m.file, "error", detail=not_run.get(m.name, "not run: interrupted"))
        for m in mistakes
    ]
    return results, interrupted


def _run_batch(
    batch: Sequence[Mistake],
    jobs: int,
    futures: dict[str, Future[Result]],
    scratch: Path,
    workroot: Path,
    options: Options,
    children: Children,
    progress: Progress,
    keeping: Keeping | None = None,
) -> None:
    """Run `batch`, `jobs` at a time, its futures added to `futures`; on Ctrl-C, stop the running
    scenarios (they sweep their containers) and raise KeyboardInterrupt once they have."""
    executor = ThreadPoolExecutor(max_workers=jobs, thread_name_prefix="mutant")
    chain = [m for m in batch if shares_a_cluster(m)]
    chained: dict[str, Future[Result]] = {m.name: Future() for m in chain} if len(chain) > 1 else {}
    try:
        if chained:  # first, so that it starts at once: its futures are set by it, not by the executor
            futures.update(chained)
            executor.submit(run_chain, chain, chained, scratch, workroot, options, children, progress, keeping)
        for m in batch:
            if m.name not in chained:
                futures[m.name] = executor.submit(
                    run_mistake, m, scratch, workroot, options, children, progress, keeping
                )
        executor.shutdown(wait=True)
    except KeyboardInterrupt:
        progress.say("interrupted: stopping the running scenarios (they sweep their containers); Ctrl-C again kills")
        children.interrupt()
        try:
            executor.shutdown(wait=True, cancel_futures=True)
        except KeyboardInterrupt:
            children.kill()
            executor.shutdown(wait=True, cancel_futures=True)
        raise
    finally:
        for future in chained.values():
            future.cancel()  # only one the chain never reached: run_all counts it not run


# The three-node chapter's mistakes that leave the nodes' recipe alone share one cluster, one
# mutant after the other: each session resets it (every node whole, no stack) and deploys its own
# stack (tests/support/cluster.py). Making a cluster takes about 110 s of the ~150 each such
# mistake took with one of its own; a mistake in how the nodes are made still gets its own.
CLUSTER_CHAPTER = "tests/containers/test_19_three_nodes.py"
CLUSTER_RECIPES = (
    "scripts/cluster.sh",
    "swarm/cluster/",
    "scripts/ensure-images.sh",
    "scripts/offline/",
    "scripts/lib/",
)


def shares_a_cluster(mistake: Mistake) -> bool:
    return (
        not mistake.equivalent
        and bool(mistake.killers)
        and all(k.startswith(CLUSTER_CHAPTER) for k in mistake.killers)
        and not mistake.file.startswith(CLUSTER_RECIPES)
    )


def run_chain(
    chain: Sequence[Mistake],
    chained: Mapping[str, Future[Result]],
    scratch: Path,
    workroot: Path,
    options: Options,
    children: Children,
    progress: Progress,
    keeping: Keeping | None,
) -> None:
    """The mistakes of `chain` one after the other on one cluster, removed after the last."""
    name = f"{COMPOSE_PROJECT_PREFIX}clshared{RUN_ID}"
    try:
        for m in chain:
            future = chained[m.name]
            if not future.set_running_or_notify_cancel():
                continue
            try:
                future.set_result(
                    run_mistake(m, scratch, workroot, options, children, progress, keeping, {SHARED_CLUSTER: name})
                )
            except BaseException as error:
                future.set_exception(error)
    finally:
        sockets = Path(tempfile.gettempdir()) / name
        environment = {**os.environ, "CLUSTER_NAME": name, "CLUSTER_SOCKETS": str(sockets)}
        done = subprocess.run(
            [str(scratch / "scripts" / "cluster.sh"), "down"], env=environment, capture_output=True, text=True
        )
        if done.returncode != 0:
            progress.say(f"cleanup: scripts/cluster.sh down of the shared cluster {name} failed: {done.stderr[-2000:]}")


# Scenarios that change the engine itself: joining or leaving a swarm cuts name resolution in
# the engine's other containers (moby/moby#45144), so nothing else may run beside them.
ENGINE_WIDE_CHAPTERS = ("tests/containers/test_18_swarm.py",)


@contextlib.contextmanager
def engine_wide_batch() -> Iterator[None]:
    """The engine in a swarm for the whole batch of the Swarm chapter's mistakes: joined once before
    the first and left (if it made it) after the last, so that no join or leave happens while a
    mutant's containers run, and the mutants run beside each other (each its own stack, on a
    port of its own), not one at a time."""
    client = docker.from_env()
    try:
        with swarm_membership(client):
            try:
                yield
            finally:
                # A mutant killed hard never removed its stack, and a swarm with a stack is kept.
                remove_stacks_of_dead_sessions(client)
    finally:
        client.close()


# Chapters that a session of other scenarios leaves out (conftest.RUN_ALONE): the engine-wide ones,
# and the fresh-machine rehearsals and the three-node swarm (minutes each, on engines of their own,
# so they may run beside other mistakes).
OWN_SESSION_CHAPTERS = (
    *ENGINE_WIDE_CHAPTERS,
    "tests/containers/test_22_a_fresh_machine.py",
    "tests/containers/test_19_three_nodes.py",
)


def joins_a_swarm(mistake: Mistake) -> bool:
    return any(killer.startswith(ENGINE_WIDE_CHAPTERS) for killer in mistake.killers)


def in_own_session(mistake: Mistake) -> bool:
    return any(killer.startswith(OWN_SESSION_CHAPTERS) for killer in mistake.killers)


# --- command line ---------------------------------------------------------------------------------


def render_catalogue(mistakes: Sequence[Mistake]) -> str:
    lines = []
    for m in mistakes:
        lines += [f"{m.name}  ({m.file})", f"    claim: {m.claim}"]
        if m.equivalent:
            lines.append(f"    equivalent: {m.equivalent}")
        lines += [f"    killer: {k}" for k in m.killers]
    return "\n".join(lines) + "\n"


def prepare_keeping(location: Path, files: list[str], evidence: list[Path] | None) -> Keeping:
    """The store, this tree and machine read once, and the killers known to pass on this tree."""
    store = verdicts.Store.open(location, lambda message: print(f"verdicts: {message}", file=sys.stderr))
    snapshot = keys.Snapshot.take(ROOT, files)
    reports = evidence if evidence is not None else [REPORTS / f"junit{s}.xml" for s in EVIDENCE_SUFFIXES]
    passed, failed = reports_of_this_tree(reports, snapshot.tree())
    if not passed:
        print(
            "verdicts: no JUnit report of this tree yet (make test and make rehearse write them): a kill is "
            "stored only where one shows its killers passing unpatched by the end of the run, or --baseline does",
            file=sys.stderr,
        )
    return Keeping(store, snapshot, passed, failed, reports)


# The reports `make test` (junit, -swarm, -cluster) and `make rehearse` (-rehearsal) write.
EVIDENCE_SUFFIXES = ("", "-swarm", "-cluster", "-rehearsal")


def merge(selected: Sequence[Mistake], the_plan: Plan, ran: Sequence[Result]) -> list[Result]:
    """Every selected mistake's result in catalogue order: the run ones with why they ran (an
    audited one marked so), the reused ones from the store."""
    by_name = {r.name: r for r in ran}
    results = []
    for m in selected:
        if m.name in by_name:
            how = "audit" if m.name in the_plan.audited else "ran"
            results.append(replace(by_name[m.name], how=how, why=the_plan.why.get(m.name, "")))
        else:
            results.append(reused_result(m, the_plan.reused[m.name]))
    return results


def write_reports(results: Sequence[Result], wall_seconds: float, options: Options, interrupted: bool) -> None:
    REPORTS.mkdir(exist_ok=True)
    summary = render_summary(results, wall_seconds)
    note = "\n**Interrupted**: the mistakes not run are counted as errors.\n" if interrupted else ""
    details = render_details(results)
    (REPORTS / "mutation.md").write_text(
        f"# Planted mistakes\n\n{render_table(results)}\n{summary}\n{note}" + (f"\n{details}" if details else ""),
        encoding="utf-8",
    )
    report = {
        "finished": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "options": asdict(options),
        "interrupted": interrupted,
        "summary": {**counts(results), "wall_seconds": round(wall_seconds, 1)},
        "results": [{**asdict(r), "seconds": None if r.seconds is None else round(r.seconds, 1)} for r in results],
    }
    (REPORTS / "mutation.json").write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")


def parse_arguments(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m tests.mutations.run",
        description=__doc__.splitlines()[0] if __doc__ else None,
    )
    parser.add_argument("names", nargs="*", metavar="NAME", help="mistakes to plant (default: all)")
    parser.add_argument("--list", action="store_true", help="print the catalogue and exit")
    parser.add_argument("--jobs", type=int, default=1, help="mistakes run at once (default 1)")
    parser.add_argument("--timeout", type=float, default=600.0, help="seconds per pytest run (default 600)")
    parser.add_argument("--whole-suite", action="store_true", help="run the whole suite on each mutant")
    parser.add_argument(
        "--pytest-args", default="", help='extra pytest arguments, one string: --pytest-args="-k x" (with "=")'
    )
    parser.add_argument(
        "--baseline", action="store_true", help="first run the killers on the unmutated copy; they must pass"
    )
    parser.add_argument(
        "--fresh", action="store_true", help="ignore the verdicts stored by content: every mistake runs (FRESH=1)"
    )
    parser.add_argument(
        "--store",
        type=Path,
        default=verdicts.default_location(),
        help="the verdict store (default: $MUTATION_STORE, else the user's cache folder)",
    )
    parser.add_argument("--shard", default="1/1", help="K/N: only every N-th mistake, from the K-th (default 1/1)")
    parser.add_argument(
        "--dry-run", action="store_true", help="say which mistakes would run and why, and what they took last; run none"
    )
    parser.add_argument("--seed", type=int, default=None, help="the audit sample's random seed (default: random)")
    parser.add_argument(
        "--evidence",
        nargs="*",
        type=Path,
        default=None,
        help="JUnit reports of this tree whose passed tests make a kill clean (default: reports/junit*.xml)",
    )
    args = parser.parse_args(argv)
    try:
        args.shard = parse_shard(args.shard)
    except ValueError as error:
        parser.error(f"--shard: {error}")
    if args.jobs < 1:
        parser.error("--jobs must be at least 1")
    if args.timeout <= 0:
        parser.error("--timeout must be positive")
    duplicates = duplicate_names(MISTAKES)
    if duplicates:
        parser.error(f"the catalogue names more than one mistake {', '.join(duplicates)}")
    try:
        args.selected = select(MISTAKES, list(dict.fromkeys(args.names)))
    except ValueError as error:
        parser.error(str(error))
    shard, shards = args.shard
    args.selected = tuple(m for i, m in enumerate(args.selected) if i % shards == shard - 1)
    return args


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_arguments(argv)
    selected: tuple[Mistake, ...] = args.selected
    if args.list:
        sys.stdout.write(render_catalogue(selected))
        return 0
    options = Options(args.timeout, args.whole_suite, tuple(shlex.split(args.pytest_args)))
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="mutations-", ignore_cleanup_errors=True) as temporary:
        workroot = Path(temporary)
        scratch = workroot / "scratch"
        files = project_files(ROOT)
        copy_files(ROOT, files, scratch)
        trouble = compile_once(scratch)
        if trouble:
            print(f"bytecode: not compiled once for every mutant ({trouble})", file=sys.stderr)
        print(
            f"scratch copy of {len(files)} files in {scratch}; {len(selected)} mistake(s), {args.jobs} at a time",
            file=sys.stderr,
        )
        keeping = None
        if not args.fresh:
            keeping = prepare_keeping(args.store, files, args.evidence)
        if args.baseline:
            try:
                baseline = run_baseline(selected, scratch, workroot, options, Children())
            except KeyboardInterrupt:
                return 130
            if baseline is not None:
                print(f"baseline: pytest exited {baseline.exit_code} in {baseline.seconds:.1f} s", file=sys.stderr)
                complaint = baseline_complaint(baseline)
                if complaint:
                    print(complaint, file=sys.stderr)
                    return 1
                if keeping is not None:
                    keeping.passed |= {k for m in selected for k in m.killers if not in_own_session(m)}
        the_plan = plan(selected, keeping, "--fresh: the store is ignored", args.seed)
        if args.dry_run:
            sys.stdout.write(the_plan.render(args.jobs))
            return 0
        print(
            f"{len(the_plan.to_run)} to run ({len(the_plan.audited)} of them reused verdicts run again as the "
            f"audit), {len(the_plan.reused) - len(the_plan.audited)} reused",
            file=sys.stderr,
        )
        snapshots_before = snapshot_images()
        try:
            ran, interrupted = run_all(the_plan.to_run, scratch, workroot, options, args.jobs, keeping)
            results = merge(selected, the_plan, ran)
            if keeping is not None:
                unstored = keeping.flush()
                if unstored:
                    print(
                        f"verdicts: {unstored} kill(s) not stored: no report of this tree shows their killers "
                        "passing unpatched",
                        file=sys.stderr,
                    )
        finally:
            # Databases at the head made from mutated migrations (tests/support/snapshot.py): one
            # per mutant that changed them. Those there before the run, and today's, are kept.
            for problem in remove_images(snapshot_images() - snapshots_before - {current_snapshot()}):
                print(f"cleanup: {problem}", file=sys.stderr)
    wall = time.monotonic() - started
    sys.stdout.write(f"\n{render_table(results)}\n{render_summary(results, wall)}\n")
    details = render_details(results)
    if details:
        sys.stdout.write(f"\n{details}")
    if interrupted:
        sys.stdout.write("\nInterrupted: the mistakes not run are counted as errors.\n")
    write_reports(results, wall, options, interrupted)
    print(f"wrote {REPORTS.relative_to(ROOT)}/mutation.md and mutation.json", file=sys.stderr)
    if interrupted:
        return 130
    failed_audit = audit_failures(results)
    for r in failed_audit:
        print(
            f"audit: the reused verdict of {r.name} did not hold ({outcome_text(r)}): its key missed an input",
            file=sys.stderr,
        )
    return 0 if all_killed(results) and not failed_audit else 1


if __name__ == "__main__":
    raise SystemExit(main())
