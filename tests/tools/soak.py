"""Find flaky scenarios: run the whole suite many times and table the scenarios that ever failed.

    python -m tests.tools.soak                          # 10 runs, alternately with -n auto and serial
    python -m tests.tools.soak --runs 50 --concurrent 2 --until-failure
    python -m tests.tools.soak --runs 3 -m container --pytest-args "-x --maxfail=3"

Each run is an independent pytest process (cwd the project root). The JUnit XML and the
output of every failed run are kept under reports/soak/<timestamp>/ (a failed scenario's
report there carries its containers' logs); a green run leaves only its line in summary.md.
After the last run the engine is checked for anything the runs' sessions left behind.

Loaded into each run's pytest process as a plugin (`-p tests.tools.soak`, which xdist workers
inherit), this module notes the testcontainers session ids of the run: its leftovers are then told
apart from those of other sessions sharing the engine.
"""

from __future__ import annotations

import argparse
import os
import shlex
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import docker
import pytest
from docker.errors import DockerException

from tests.support.environment import ROOT
from tests.support.junit import FAILED, outcomes_by_node, read_cases
from tests.support.marks import COMPOSE_PROJECT_LABEL, SESSION_LABEL, is_session_name, session_prefix

MODES = ("alternate", "parallel", "serial")
REPORTS = ROOT / "reports" / "soak"
SESSIONS_FILE_ENV = "SOAK_SESSIONS_FILE"
PLUGIN = "tests.tools.soak"


# --- options ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Options:
    runs: int
    mode: str
    concurrent: int
    until_failure: bool
    pytest_args: tuple[str, ...]
    marker: str | None


def _positive(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, not {value}")
    return value


def parse_options(argv: Sequence[str] | None = None) -> Options:
    parser = argparse.ArgumentParser(
        prog="python -m tests.tools.soak",
        description="Run the whole suite many times; print a table of the scenarios that ever failed.",
    )
    parser.add_argument("--runs", type=_positive, default=10, help="how many times to run the suite (default 10)")
    parser.add_argument(
        "--mode",
        choices=MODES,
        default="alternate",
        help="alternate (default): odd runs with -n auto (pytest-xdist), even runs serial",
    )
    parser.add_argument(
        "--concurrent", type=_positive, default=1, help="suites run at once on the same engine, to load it (default 1)"
    )
    parser.add_argument("--until-failure", action="store_true", help="start no new run once a run has failed")
    parser.add_argument("--pytest-args", default="", help='extra pytest arguments, split like a shell: "-x -k db"')
    parser.add_argument("-m", "--marker", help='a pytest -m expression, e.g. "container" or "not container"')
    args = parser.parse_args(argv)
    return Options(
        runs=args.runs,
        mode=args.mode,
        concurrent=args.concurrent,
        until_failure=args.until_failure,
        pytest_args=tuple(shlex.split(args.pytest_args)),
        marker=args.marker,
    )


def run_mode(mode: str, index: int) -> str:
    """parallel or serial: what run `index` (from 1) does under `mode`."""
    if mode == "alternate":
        return "parallel" if index % 2 == 1 else "serial"
    return mode


def suite_command(options: Options, index: int, junit: Path) -> list[str]:
    command = [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-q", f"--junitxml={junit}", "-p", PLUGIN]
    if run_mode(options.mode, index) == "parallel":
        command += ["-n", "auto"]
    if options.marker is not None:
        command += ["-m", options.marker]
    return command + list(options.pytest_args)


# --- runs and what they add up to ------------------------------------------------------------


@dataclass(frozen=True)
class RunResult:
    index: int
    mode: str
    exit_code: int
    seconds: float
    outcomes: dict[str, str]
    # testcontainers session ids of the run's pytest processes, each with its Compose project prefix.
    sessions: tuple[tuple[str, str], ...] = ()

    @property
    def failed(self) -> bool:
        return self.exit_code != 0

    @property
    def failures(self) -> list[str]:
        return sorted(node for node, outcome in self.outcomes.items() if outcome == FAILED)


@dataclass(frozen=True)
class Streaks:
    trailing: int
    longest: int


def green_streaks(failed: Sequence[bool]) -> Streaks:
    """Consecutive green runs at the end, and the longest such stretch anywhere."""
    current = longest = 0
    for run_failed in failed:
        current = 0 if run_failed else current + 1
        longest = max(longest, current)
    return Streaks(trailing=current, longest=longest)


@dataclass(frozen=True)
class ScenarioRow:
    node: str
    failures: int
    runs: int
    failed_in: tuple[int, ...]


def flaky_scenarios(results: Iterable[RunResult]) -> list[ScenarioRow]:
    """Scenarios that failed at least once, most failures first; `runs` counts the runs that reported them."""
    ran: dict[str, int] = {}
    failed_in: dict[str, list[int]] = {}
    for result in sorted(results, key=lambda r: r.index):
        for node, outcome in result.outcomes.items():
            ran[node] = ran.get(node, 0) + 1
            if outcome == FAILED:
                failed_in.setdefault(node, []).append(result.index)
    rows = [ScenarioRow(node, len(runs), ran[node], tuple(runs)) for node, runs in failed_in.items()]
    return sorted(rows, key=lambda row: (-row.failures, row.node))


def _cell(text: str) -> str:
    # A parametrized id may hold "|", which would end the cell.
    return text.replace("|", "\\|")


def render_table(rows: Sequence[ScenarioRow]) -> str:
    if not rows:
        return "No scenario failed."
    lines = ["| scenario | failures | runs | failed in |", "|---|---:|---:|---|"]
    for row in rows:
        where = ", ".join(f"run-{index}" for index in row.failed_in)
        lines.append(f"| `{_cell(row.node)}` | {row.failures} | {row.runs} | {where} |")
    return "\n".join(lines)


def _seconds(values: Sequence[float]) -> str:
    return f"min {min(values):.1f} s, median {statistics.median(values):.1f} s, max {max(values):.1f} s"


def timing_lines(results: Sequence[RunResult]) -> list[str]:
    if not results:
        return ["- wall time per run: no run finished"]
    lines = [f"- wall time per run: {_seconds([r.seconds for r in results])}"]
    modes = sorted({r.mode for r in results})
    if len(modes) > 1:  # -n auto and serial runs differ too much for one range to say much
        lines += [f"  - {m}: {_seconds([r.seconds for r in results if r.mode == m])}" for m in modes]
    return lines


# --- leftovers on the engine -----------------------------------------------------------------


@dataclass(frozen=True)
class SuiteObject:
    kind: str
    id: str
    name: str
    labels: tuple[tuple[str, str], ...]

    def label(self, key: str) -> str:
        return dict(self.labels).get(key, "")

    def describe(self) -> str:
        marks = [f"{k}={v}" for k, v in self.labels if k in (SESSION_LABEL, COMPOSE_PROJECT_LABEL)]
        return f"{self.kind} {self.name} ({', '.join(marks)})"


def is_suite_object(labels: dict[str, str] | None) -> bool:
    labels = labels or {}
    return SESSION_LABEL in labels or is_session_name(labels.get(COMPOSE_PROJECT_LABEL, ""))


def owning_run(obj: SuiteObject, results: Iterable[RunResult]) -> int | None:
    """The soak run whose session made `obj`, if any."""
    session, project = obj.label(SESSION_LABEL), obj.label(COMPOSE_PROJECT_LABEL)
    for result in results:
        for session_id, prefix in result.sessions:
            if session == session_id or (prefix and project.startswith(prefix)):
                return result.index
    return None


def _suite_object(kind: str, id_: str | None, name: str | None, labels: dict[str, str] | None) -> SuiteObject:
    return SuiteObject(kind, str(id_), str(name), tuple(sorted((labels or {}).items())))


def suite_objects(client: docker.DockerClient) -> list[SuiteObject]:
    """Containers, networks and volumes marked by the suite (by any session), as on the engine now."""
    # sparse: no inspection of each container, which fails when another session removes one meanwhile.
    found = [
        _suite_object("container", c.id, str(c.attrs["Names"][0]).lstrip("/"), c.attrs.get("Labels"))
        for c in client.containers.list(all=True, sparse=True)
    ]
    found += [_suite_object("network", n.id, n.name, n.attrs.get("Labels")) for n in client.networks.list()]
    found += [_suite_object("volume", v.id, v.name, v.attrs.get("Labels")) for v in client.volumes.list()]
    return [obj for obj in found if is_suite_object(dict(obj.labels))]


def engine_snapshot() -> tuple[list[SuiteObject], str]:
    """The suite's objects on the engine, or why they could not be listed."""
    try:
        client = docker.from_env()
        try:
            return suite_objects(client), ""
        finally:
            client.close()
    except DockerException as error:
        return [], f"could not list them: {error}"


@dataclass(frozen=True)
class LeftoverCheck:
    ours: tuple[tuple[int, SuiteObject], ...] = ()
    others: tuple[SuiteObject, ...] = ()
    error: str = ""


def check_leftovers(
    before: Iterable[SuiteObject], after: Iterable[SuiteObject], results: Sequence[RunResult], error: str = ""
) -> LeftoverCheck:
    """Split what the suite's marks show after the soak: left by a soak run, or by some other session."""
    existed = {(obj.kind, obj.id) for obj in before}
    ours: list[tuple[int, SuiteObject]] = []
    others: list[SuiteObject] = []
    for obj in after:
        run = owning_run(obj, results)
        if run is not None:
            ours.append((run, obj))
        elif (obj.kind, obj.id) not in existed:
            # Another suite on this engine (maybe still running), or a pytest session a scenario started.
            others.append(obj)
    return LeftoverCheck(tuple(ours), tuple(others), error)


def render_leftovers(check: LeftoverCheck, preexisting: int) -> list[str]:
    if check.error:
        return [f"- leftovers on the engine: {check.error}"]
    lines = [f"- leftovers on the engine: {len(check.ours) or 'none'}"]
    lines += [f"  - run-{run}: {obj.describe()}" for run, obj in check.ours]
    if check.others:
        lines.append(
            f"- not counted: {len(check.others)} from sessions the soak did not start (another suite, or nested)"
        )
        lines += [f"  - {obj.describe()}" for obj in check.others]
    if preexisting:
        lines.append(f"- not counted: {preexisting} object(s) of the suite already on the engine before the soak")
    return lines


# --- the summary -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Soak:
    options: Options
    directory: Path
    results: tuple[RunResult, ...]
    leftovers: LeftoverCheck
    preexisting: int = 0
    interrupted: bool = False

    @property
    def failed(self) -> bool:
        return any(r.failed for r in self.results) or bool(self.leftovers.ours) or self.interrupted


def _mode_line(soak: Soak) -> str:
    counts = {m: sum(r.mode == m for r in soak.results) for m in ("parallel", "serial")}
    detail = ", ".join(f"{n} {m}" for m, n in counts.items() if n)
    at_once = f", {soak.options.concurrent} at a time" if soak.options.concurrent > 1 else ""
    return f"- mode: {soak.options.mode} ({detail or 'no run'}; parallel = `-n auto`){at_once}"


def _run_lines(soak: Soak, failed: Sequence[RunResult]) -> list[str]:
    asked = f" of {soak.options.runs} asked" if len(soak.results) < soak.options.runs else ""
    which = f" ({', '.join(f'run-{r.index}' for r in failed)})" if failed else ""
    lines = [f"- runs: {len(soak.results)}{asked}", f"- failed runs: {len(failed)}{which}"]
    # A run can fail with every scenario green: a crash, a collection error, an error at session end.
    lines += [
        f"  - run-{r.index} exited {r.exit_code}, no failed scenario in its report" for r in failed if not r.failures
    ]
    return lines


def render_summary(soak: Soak) -> str:
    results = sorted(soak.results, key=lambda r: r.index)
    failed = [r for r in results if r.failed]
    streaks = green_streaks([r.failed for r in results])
    lines = [f"# Soak of the suite: {len(results)} runs", "", render_table(flaky_scenarios(results)), ""]
    lines += _run_lines(soak, failed)
    lines.append(f"- consecutive green runs at the end: {streaks.trailing}")
    lines.append(f"- longest green streak: {streaks.longest}")
    lines += [*timing_lines(results), _mode_line(soak)]
    if soak.interrupted:
        lines.append("- interrupted: runs after the last one above were not started")
    lines += render_leftovers(soak.leftovers, soak.preexisting)
    if failed:
        lines.append(f"- reports of the failed runs: {_relative(soak.directory)}/run-<n>.xml and run-<n>.log")
    return "\n".join(lines) + "\n"


def render_runs(results: Sequence[RunResult]) -> str:
    """One line per run, for summary.md only: the console showed them as they finished."""
    lines = ["", "## Runs", "", "| run | mode | result | seconds | failed scenarios |", "|---:|---|---|---:|---|"]
    for r in sorted(results, key=lambda r: r.index):
        result = f"exit {r.exit_code}" if r.failed else "green"
        lines.append(f"| {r.index} | {r.mode} | {result} | {r.seconds:.1f} | {len(r.failures)} |")
    return "\n".join(lines) + "\n"


def _relative(path: Path) -> str:
    try:
        return str(path.relative_to(ROOT))
    except ValueError:
        return str(path)


# --- running ---------------------------------------------------------------------------------


def read_sessions(path: Path) -> tuple[tuple[str, str], ...]:
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError:
        return ()
    pairs = {(fields[0], fields[1] if len(fields) > 1 else "") for fields in (line.split() for line in lines) if fields}
    return tuple(sorted(pairs))


def run_suite(options: Options, index: int, directory: Path) -> RunResult:
    """One pytest process; its report and output are kept only if it fails."""
    junit, log, sessions = (directory / f"run-{index}{suffix}" for suffix in (".xml", ".log", ".sessions"))
    started = time.monotonic()
    with log.open("wb") as output:
        exit_code = subprocess.run(
            suite_command(options, index, junit),
            cwd=ROOT,
            env={**os.environ, SESSIONS_FILE_ENV: str(sessions)},
            stdin=subprocess.DEVNULL,
            stdout=output,
            stderr=subprocess.STDOUT,  # one file, in the order things happened
            check=False,
        ).returncode
    seconds = time.monotonic() - started
    result = RunResult(
        index,
        run_mode(options.mode, index),
        exit_code,
        seconds,
        outcomes_by_node(read_cases(junit)),
        read_sessions(sessions),
    )
    sessions.unlink(missing_ok=True)
    if not result.failed:
        junit.unlink(missing_ok=True)
        log.unlink(missing_ok=True)
    return result


def progress_line(result: RunResult, total: int, directory: Path) -> str:
    head = f"run {result.index}/{total} ({result.mode}, {result.seconds:.1f} s): "
    if not result.failed:
        return head + "green"
    lines = [head + f"FAILED, exit {result.exit_code}: {_relative(directory / f'run-{result.index}.log')}"]
    return "\n".join(lines + [f"    {node}" for node in result.failures])


class Scheduler:
    """Hands out run numbers to the worker threads; none once stopped."""

    def __init__(self, options: Options, directory: Path) -> None:
        self.options = options
        self.directory = directory
        self.results: list[RunResult] = []
        self.stopped = threading.Event()
        self.finished = threading.Event()
        self._next = 1
        self._working = options.concurrent
        self._lock = threading.Lock()

    def take(self) -> int | None:
        with self._lock:
            if self.stopped.is_set() or self._next > self.options.runs:
                return None
            self._next += 1
            return self._next - 1

    def record(self, result: RunResult) -> None:
        with self._lock:
            self.results.append(result)
            print(progress_line(result, self.options.runs, self.directory), flush=True)
        if result.failed and self.options.until_failure:
            self.stopped.set()

    def work(self) -> None:
        try:
            while (index := self.take()) is not None:
                self.record(run_suite(self.options, index, self.directory))
        finally:
            with self._lock:
                self._working -= 1
                if self._working == 0:
                    self.finished.set()

    def wait(self) -> None:
        # Not Thread.join: a join cut short by Ctrl-C marks a live thread as ended (bpo-45274),
        # and a second join would then return before its run is recorded.
        while not self.finished.wait(0.2):
            pass


def run_all(scheduler: Scheduler) -> bool:
    """Run the suites, `concurrent` at a time; True if interrupted (Ctrl-C)."""
    for _ in range(scheduler.options.concurrent):
        threading.Thread(target=scheduler.work, daemon=True).start()
    try:
        scheduler.wait()
        return False
    except KeyboardInterrupt:
        # The pytest processes got the Ctrl-C too: let them end their sessions (and clean up) first.
        scheduler.stopped.set()
        print("\ninterrupted: waiting for the running suites to end their sessions", flush=True)
        scheduler.wait()
        return True


def new_directory() -> Path:
    stamp = time.strftime("%Y%m%d-%H%M%S")
    for attempt in range(1, 100):
        directory = REPORTS / (stamp if attempt == 1 else f"{stamp}-{attempt}")
        try:
            directory.mkdir(parents=True)
            return directory
        except FileExistsError:
            continue
    raise RuntimeError(f"no free report directory for {stamp} under {REPORTS}")


def main(argv: Sequence[str] | None = None) -> int:
    options = parse_options(argv)
    directory = new_directory()
    before, _ = engine_snapshot()
    print(f"soak: {options.runs} runs, mode {options.mode}, {options.concurrent} at a time, in {_relative(directory)}")
    print("first run: " + shlex.join(suite_command(options, 1, directory / "run-1.xml")), flush=True)
    scheduler = Scheduler(options, directory)
    interrupted = run_all(scheduler)
    after, error = engine_snapshot()
    results = tuple(sorted(scheduler.results, key=lambda r: r.index))
    leftovers = check_leftovers(before, after, results, error)
    soak = Soak(options, directory, results, leftovers, preexisting=len(before), interrupted=interrupted)
    summary = render_summary(soak)
    (directory / "summary.md").write_text(summary + render_runs(results), encoding="utf-8")
    print("\n" + summary, end="")
    print(f"\nsummary written to {_relative(directory / 'summary.md')}")
    return 1 if soak.failed else 0


# --- plugin side: inside each pytest process of a run ----------------------------------------


def _note_session() -> None:
    """Append this process's testcontainers session id (and Compose prefix) to the run's file."""
    path = os.environ.get(SESSIONS_FILE_ENV)
    # Read from sys.modules, never imported here: conftest.py must set the environment first.
    labels = sys.modules.get("testcontainers.core.labels")
    if not path or labels is None:
        return
    with open(path, "a", encoding="utf-8") as file:
        file.write(f"{labels.SESSION_ID} {session_prefix(labels.SESSION_ID)}\n")


def pytest_sessionstart(session: pytest.Session) -> None:
    _note_session()


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    # Again at the end, in case testcontainers was first imported by a test module.
    _note_session()


if __name__ == "__main__":
    sys.exit(main())
