"""The soak report: which scenarios failed in how many runs, read from pytest's JUnit XML."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from tests.support import cleanup
from tests.support.junit import FAILED, PASSED, SKIPPED
from tests.support.marks import COMPOSE_PROJECT_LABEL as PROJECT
from tests.support.marks import SESSION_LABEL as SESSION
from tests.tools.soak import (
    LeftoverCheck,
    Options,
    RunResult,
    ScenarioRow,
    Soak,
    SuiteObject,
    check_leftovers,
    flaky_scenarios,
    green_streaks,
    is_suite_object,
    parse_options,
    read_sessions,
    render_summary,
    render_table,
    suite_command,
)

DEFAULTS = Options(runs=10, mode="alternate", concurrent=1, until_failure=False, pytest_args=(), marker=None)


def _run(
    index: int, exit_code: int = 0, outcomes: dict[str, str] | None = None, sessions: tuple[tuple[str, str], ...] = ()
) -> RunResult:
    return RunResult(index, "serial", exit_code, 1.0 + index, outcomes or {}, sessions)


@pytest.mark.parametrize(
    ("failed", "trailing", "longest"),
    [
        ([], 0, 0),
        ([False, False, False], 3, 3),
        ([True, True], 0, 0),
        ([False, True, False, False, False, True, False, False], 2, 3),
        ([True, False, False, False, False], 4, 4),
    ],
)
def test_green_streaks_count_consecutive_green_runs(failed: list[bool], trailing: int, longest: int) -> None:
    """The green runs at the end and the longest green stretch anywhere, in run order."""
    streaks = green_streaks(failed)
    assert (streaks.trailing, streaks.longest) == (trailing, longest)


def test_only_scenarios_that_failed_are_tabled_most_failures_first() -> None:
    """A scenario's runs are the runs that reported it: fewer than all when a run died before reporting it."""
    up, db = "tests/c/test_05.py::test_up", "tests/c/test_08.py::test_restart"
    results = [
        _run(2, 1, {up: PASSED, db: FAILED}),
        _run(1, 1, {up: FAILED, db: FAILED}),
        _run(3, 0, {up: PASSED, db: PASSED}),
        _run(4, 3),
        _run(5, 0, {up: PASSED, "tests/c/test_09.py::test_skip": SKIPPED}),
    ]
    assert flaky_scenarios(results) == [ScenarioRow(db, 2, 3, (1, 2)), ScenarioRow(up, 1, 4, (1,))]


def test_the_table_is_markdown_and_escapes_pipes_in_node_ids() -> None:
    """One row per scenario; a "|" in a parameter cannot split its cell."""
    table = render_table([ScenarioRow("tests/x.py::test_a[a|b]", 2, 10, (3, 7))])
    assert table.splitlines() == [
        "| scenario | failures | runs | failed in |",
        "|---|---:|---:|---|",
        "| `tests/x.py::test_a[a\\|b]` | 2 | 10 | run-3, run-7 |",
    ]
    assert render_table([]) == "No scenario failed."


def test_the_summary_counts_runs_streaks_and_times(tmp_path: Path) -> None:
    """A run that failed with every scenario green (a crash) is named, since the table cannot show it."""
    node = "tests/c/test_08.py::test_restart"
    results = (_run(1, 0, {node: PASSED}), _run(2, 1, {node: FAILED}), _run(3, 3), _run(4, 0, {node: PASSED}))
    soak = Soak(replace(DEFAULTS, runs=4), tmp_path, results, LeftoverCheck())

    summary = render_summary(soak)

    assert f"| `{node}` | 1 | 3 | run-2 |" in summary
    assert "- failed runs: 2 (run-2, run-3)" in summary
    assert "  - run-3 exited 3, no failed scenario in its report" in summary
    assert "- consecutive green runs at the end: 1" in summary
    assert "- longest green streak: 1" in summary
    assert "- wall time per run: min 2.0 s, median 3.5 s, max 5.0 s" in summary
    assert "- mode: alternate" in summary
    assert "- leftovers on the engine: none" in summary
    assert soak.failed


def test_runs_alternate_between_parallel_and_serial() -> None:
    """Odd runs use pytest-xdist (-n auto), even runs are serial; the marker and extra arguments come last.
    The soak's plugin, which notes session ids, is on the command line only: pytest sessions that a
    scenario starts elsewhere must not try to load it."""
    options = parse_options(["--runs", "3", "-m", "not container", "--pytest-args", "-x -k 'db or api'"])
    first, second = (suite_command(options, i, Path("run.xml")) for i in (1, 2))
    assert first[1:] == [
        "-m",
        "pytest",
        "-p",
        "no:cacheprovider",
        "-q",
        "--junitxml=run.xml",
        "-p",
        "tests.tools.soak",
        "-n",
        "auto",
        "-m",
        "not container",
        "-x",
        "-k",
        "db or api",
    ]
    assert "-n" not in second
    assert suite_command(replace(DEFAULTS, mode="parallel"), 2, Path("r.xml"))[-2:] == ["-n", "auto"]


def test_options_refuse_nonsense() -> None:
    """No run count or concurrency below one, no unknown mode."""
    for argv in (["--runs", "0"], ["--concurrent", "-1"], ["--mode", "sometimes"]):
        with pytest.raises(SystemExit):
            parse_options(argv)
    assert parse_options([]) == DEFAULTS


def _object(kind: str, name: str, **labels: str) -> SuiteObject:
    return SuiteObject(kind, f"id-{name}", name, tuple(sorted(labels.items())))


def test_leftovers_are_blamed_on_the_run_whose_session_made_them() -> None:
    """By session id or Compose project prefix. What another session made is listed apart; what was there
    before the soak, not at all."""
    results = [_run(1, sessions=(("s-1", "tut0000000001"),)), _run(2, sessions=(("s-2", "tut0000000002"),))]
    mine = _object("container", "db", **{SESSION: "s-2"})
    stack = _object("network", "tut0000000001-3_default", **{PROJECT: "tut0000000001-3"})
    foreign = _object("network", "x", **{SESSION: "s-9"})
    old = _object("volume", "old", **{PROJECT: "tut00000000ff-1"})

    check = check_leftovers(before=[old], after=[mine, stack, foreign, old], results=results)

    assert check.ours == ((2, mine), (1, stack))
    assert check.others == (foreign,)


def test_only_the_suites_marks_make_an_object_the_suites() -> None:
    """Its session label, or a Compose project named with the suite's prefix: the tutorial's own stack is not."""
    assert is_suite_object({SESSION: "any"})
    assert is_suite_object({PROJECT: "tut0123456789-1"})
    assert not is_suite_object({PROJECT: "docker-tutorial"})
    assert not is_suite_object({PROJECT: "tutorial-of-mine"})
    assert not is_suite_object(None)


def test_the_soak_knows_the_suites_marks() -> None:
    """What this session's sweep counts as its own, the soak counts as the suite's."""
    assert is_suite_object({PROJECT: f"{cleanup.COMPOSE_PROJECT_PREFIX}-1"})


def test_session_files_list_each_session_once(tmp_path: Path) -> None:
    """Each pytest process of a run notes its session at start and at end; xdist workers too."""
    path = tmp_path / "run-1.sessions"
    path.write_text("s-1 tuts1\ns-2 tuts2\ns-1 tuts1\n\ns-3\n")
    assert read_sessions(path) == (("s-1", "tuts1"), ("s-2", "tuts2"), ("s-3", ""))
    assert read_sessions(tmp_path / "absent") == ()
