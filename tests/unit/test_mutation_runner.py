"""The runner of planted mistakes: planting, reading pytest's verdict, and the report (no engine needed)."""

from __future__ import annotations

import ast
import contextlib
import os
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest

from tests.mutations import run
from tests.mutations.catalogue import DOCKER_BEHAVIOUR, MISTAKES, Mistake
from tests.mutations.inputs import project_files
from tests.mutations.run import (
    PLANTED_MISTAKE,
    Children,
    Failure,
    PytestRun,
    Result,
    StaleMistakeError,
    all_killed,
    apply_mistake,
    baseline_complaint,
    classify,
    failed_tests,
    matches,
    mutant_environment,
    mutated_text,
    pytest_command,
    rebuilds_stand_ins,
    render_details,
    render_summary,
    render_table,
    run_process,
    select,
    stand_in_environment,
    write_exactly,
)
from tests.support.cluster import SHARED_CLUSTER
from tests.support.environment import ROOT
from tests.support.junit import node_id
from tests.tools.specification import killed_by

KILLER = "tests/unit/test_views.py::test_escaped"
OPTIONS = run.Options(timeout=60, whole_suite=False, pytest_args=())
MISTAKE = Mistake(
    name="not-escaped",
    file="app/templates/index.html",
    find="{{ message }}",
    replace="{{ message | safe }}",
    claim="The message is escaped.",
    killers=(KILLER,),
)

REPORT = """<?xml version="1.0" encoding="utf-8"?>
<testsuites><testsuite name="pytest" errors="1" failures="2" skipped="1" tests="6">
  <testcase classname="tests.unit.test_views" name="test_page" file="tests/unit/test_views.py" time="0.1"/>
  <testcase classname="tests.unit.test_views" name="test_other" file="tests/unit/test_views.py" time="0.1">
    <failure message="assert 1 == 2&#10;  more lines">assert 1 == 2</failure>
  </testcase>
  <testcase classname="tests.unit.test_views" name="test_escaped[a.b::c|d]" file="tests/unit/test_views.py">
    <failure message="AssertionError: &lt;script&gt; on the page">...</failure>
  </testcase>
  <testcase classname="tests.unit.test_views.TestPage" name="test_total" file="tests/unit/test_views.py">
    <skipped type="pytest.skip" message="not here">skipped</skipped>
  </testcase>
  <testcase classname="tests.unit.test_views" name="test_other" file="tests/unit/test_views.py">
    <error message="failed on teardown with &quot;OSError&quot;">OSError</error>
  </testcase>
  <testcase classname="tests.containers.test_08_database" name="test_rows" file="tests/containers/test_08_database.py">
    <error message="failed on setup with &quot;BuildError: pip failed&quot;">...</error>
  </testcase>
</testsuite></testsuites>
"""


# --- planting -------------------------------------------------------------------------------------


def test_a_mistake_replaces_its_snippet() -> None:
    assert apply_mistake("<p>{{ message }}</p>\n", MISTAKE) == "<p>{{ message | safe }}</p>\n"


@pytest.mark.parametrize(("text", "count"), [("<p>nothing</p>", 0), ("{{ message }} {{ message }}", 2)])
def test_a_snippet_found_other_than_once_is_stale(text: str, count: int) -> None:
    """The catalogue must say exactly where the mistake goes: none or two matches is a catalogue error."""
    with pytest.raises(StaleMistakeError, match=f"occurs {count} times in app/templates/index.html"):
        apply_mistake(text, MISTAKE)


def test_a_mistake_that_changes_nothing_is_stale() -> None:
    with pytest.raises(StaleMistakeError, match="changes nothing"):
        apply_mistake("{{ message }}", replace(MISTAKE, replace=MISTAKE.find))


def test_planting_keeps_line_endings(tmp_path: Path) -> None:
    (tmp_path / "app/templates").mkdir(parents=True)
    (tmp_path / MISTAKE.file).write_bytes(b"<p>\r\n{{ message }}\r\n</p>\r\n")
    write_exactly(tmp_path / "planted.html", mutated_text(tmp_path, MISTAKE))
    assert (tmp_path / "planted.html").read_bytes() == b"<p>\r\n{{ message | safe }}\r\n</p>\r\n"


def test_a_mistake_in_a_missing_file_is_stale(tmp_path: Path) -> None:
    with pytest.raises(StaleMistakeError, match="does not exist"):
        mutated_text(tmp_path, MISTAKE)


def test_names_select_mistakes_in_catalogue_order() -> None:
    other = replace(MISTAKE, name="other")
    assert select((MISTAKE, other), ["other", "not-escaped"]) == (MISTAKE, other)
    assert select((MISTAKE, other), []) == (MISTAKE, other)
    with pytest.raises(ValueError, match="no such mistake: typo"):
        select((MISTAKE, other), ["typo"])


def test_the_scratch_copy_takes_uncommitted_work_and_env_but_nothing_ignored(tmp_path: Path) -> None:
    def git(*args: str) -> None:
        subprocess.run(["git", *args], cwd=tmp_path, check=True, capture_output=True)

    git("init", "-q")
    files = {
        ".gitignore": ".env\n__pycache__/\n",
        "tracked.py": "",
        "deleted.py": "",
        "untracked.py": "",
        ".env": "PYTHON_IMAGE=x\n",
        "__pycache__/tracked.pyc": "",
    }
    for name, text in files.items():
        (tmp_path / name).parent.mkdir(exist_ok=True)
        (tmp_path / name).write_text(text)
    git("add", ".gitignore", "tracked.py", "deleted.py")
    (tmp_path / "deleted.py").unlink()
    assert project_files(tmp_path) == [".env", ".gitignore", "tracked.py", "untracked.py"]


# --- running pytest -------------------------------------------------------------------------------


def test_the_pytest_command_stops_at_the_first_failure_and_runs_only_the_killers(tmp_path: Path) -> None:
    command = pytest_command(tmp_path / "junit.xml", tmp_path / "t", [KILLER], ["-k", "x"])
    assert command[:3] == [sys.executable, "-m", "pytest"]
    assert {"-x", "-q", f"--junitxml={tmp_path / 'junit.xml'}"} <= set(command)
    assert command[command.index("-p") + 1] == "no:cacheprovider"
    assert command[-3:] == ["-k", "x", KILLER]


def test_each_mutant_builds_under_tags_of_its_own() -> None:
    env = mutant_environment({"PATH": "/bin", "WEBAPP_IMAGE": "docker-tutorial.invalid/webapp:dev"}, "odd name/1")
    assert env == {
        "PATH": "/bin",
        "WEBAPP_IMAGE": f"docker-tutorial.invalid/webapp:mutant-{run.RUN_ID}-odd-name-1",
        "API_IMAGE": f"docker-tutorial.invalid/api:mutant-{run.RUN_ID}-odd-name-1",
        "PLANTED_MISTAKE": "odd name/1",
    }
    assert "PLANTED_MISTAKE" not in mutant_environment(env, "unmutated", planted=False)


def test_a_mistake_in_a_base_image_recipe_rebuilds_the_stand_ins_under_its_own_names() -> None:
    """The suite only uses the offline base images; a mutated recipe must be built to be tested."""
    assert rebuilds_stand_ins(replace(MISTAKE, file="scripts/offline/postgres.Dockerfile"))
    assert not rebuilds_stand_ins(MISTAKE)
    assert stand_in_environment("x") == {
        "OFFLINE": "1",
        "PYTHON_IMAGE": f"docker-tutorial.invalid/offline-python:mutant-{run.RUN_ID}-x",
        "OFFLINE_PYTHON_IMAGE": f"docker-tutorial.invalid/offline-python:mutant-{run.RUN_ID}-x",
        "POSTGRES_IMAGE": f"docker-tutorial.invalid/offline-postgres:mutant-{run.RUN_ID}-x",
        "OFFLINE_POSTGRES_IMAGE": f"docker-tutorial.invalid/offline-postgres:mutant-{run.RUN_ID}-x",
    }


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (FileNotFoundError, IndexError):
        return False
    return state != "Z"


def test_a_timed_out_run_is_interrupted_then_its_whole_group_killed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A child that ignores SIGINT and has started a child of its own: past the grace, the whole group goes."""
    monkeypatch.setattr(run, "INTERRUPT_GRACE", 0.3)
    script = (
        "import signal, subprocess, time; signal.signal(signal.SIGINT, signal.SIG_IGN); "
        "print(subprocess.Popen(['sleep', '60']).pid, flush=True); time.sleep(60)"
    )
    log = tmp_path / "log"
    started = time.monotonic()
    exit_code = run_process([sys.executable, "-c", script], tmp_path, {}, 1.0, log, Children())
    assert exit_code is None
    assert time.monotonic() - started < 10
    grandchild = int(log.read_text().split()[0])
    deadline = time.monotonic() + 5
    while _alive(grandchild) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not _alive(grandchild)


# --- reading pytest's verdict ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("classname", "name", "file", "expected"),
    [
        ("tests.unit.test_views", "test_page", "tests/unit/test_views.py", "tests/unit/test_views.py::test_page"),
        (
            "tests.unit.test_views",
            "test_page[a.b::c]",
            "tests/unit/test_views.py",
            "tests/unit/test_views.py::test_page[a.b::c]",
        ),
        ("tests.unit.test_views.TestA.TestB", "test_x", None, "tests/unit/test_views.py::TestA::TestB::test_x"),
        (
            "tests.unit.test_views.TestA",
            "test_x",
            "tests/unit/test_views.py",
            "tests/unit/test_views.py::TestA::test_x",
        ),
        ("tests.unit.test_views", "test_page", None, "tests/unit/test_views.py::test_page"),
        ("", "tests.unit.test_views", None, "tests/unit/test_views.py"),
    ],
)
def test_junit_names_become_node_ids(classname: str, name: str, file: str | None, expected: str) -> None:
    assert node_id(classname, name, file) == expected


def test_failures_and_errors_are_read_once_each_with_their_first_line() -> None:
    assert failed_tests(REPORT) == (
        Failure("tests/unit/test_views.py::test_other", "failure", "assert 1 == 2"),
        Failure("tests/unit/test_views.py::test_escaped[a.b::c|d]", "failure", "AssertionError: <script> on the page"),
        Failure(
            "tests/containers/test_08_database.py::test_rows", "error", 'failed on setup with "BuildError: pip failed"'
        ),
    )


def test_node_ids_match_what_pytest_itself_reports(tmp_path: Path) -> None:
    """Read back from a real report: a class, parameters with dots, a failing fixture, a pass."""
    (tmp_path / "pytest.ini").write_text("[pytest]\n")
    (tmp_path / "pkg").mkdir()
    (tmp_path / "pkg" / "test_probe.py").write_text(
        "import pytest\n"
        "@pytest.fixture\n"
        "def broken():\n    raise OSError('no engine')\n"
        "def test_ok():\n    pass\n"
        "@pytest.mark.parametrize('v', ['a.b', 'c'])\n"
        "def test_param(v):\n    assert v == 'c'\n"
        "class TestGroup:\n    def test_setup(self, broken):\n        pass\n"
    )
    junit = tmp_path / "junit.xml"
    command = [arg for arg in pytest_command(junit, tmp_path / "t", ["pkg"]) if arg != "-x"]
    # The runner's plugin that notes a run's reads lives in this project, not in tmp_path.
    plugin = command.index("tests.mutations.reads")
    del command[plugin - 1 : plugin + 1]
    completed = subprocess.run(command, cwd=tmp_path, capture_output=True, check=False)
    assert completed.returncode == 1, completed.stdout.decode()
    assert [f.node for f in failed_tests(junit.read_text())] == [
        "pkg/test_probe.py::test_param[a.b]",
        "pkg/test_probe.py::TestGroup::test_setup",
    ]


@pytest.mark.parametrize(
    ("killer", "node", "expected"),
    [
        (KILLER, KILLER, True),
        (KILLER, f"{KILLER}[param-1]", True),
        (f"{KILLER}[param-1]", f"{KILLER}[param-1]", True),
        (f"{KILLER}[param-1]", f"{KILLER}[param-2]", False),
        (KILLER, f"{KILLER}_and_more", False),
        ("tests/unit/test_views.py", KILLER, True),
        ("tests/unit/test_views.py::TestPage", "tests/unit/test_views.py::TestPage::test_total", True),
        ("./tests/unit", KILLER, True),
        ("tests/unit/test_view", KILLER, False),
    ],
)
def test_a_killer_covers_its_own_cases_only(killer: str, node: str, expected: bool) -> None:
    assert matches(killer, node) is expected


def test_a_failing_killer_kills_and_is_named() -> None:
    result = classify(MISTAKE, 1, failed_tests(REPORT), "tail")
    assert result.outcome == "killed"
    assert result.killed_by == ("tests/unit/test_views.py::test_escaped[a.b::c|d]",)
    assert not result.by_other_tests
    assert result.detail == "failure: AssertionError: <script> on the page"


def test_only_other_tests_failing_kills_but_says_so() -> None:
    """Possible with --whole-suite: an earlier scenario failed and -x stopped before the killers."""
    failed = (Failure("tests/unit/test_config.py::test_a", "failure", "boom"),)
    result = classify(MISTAKE, 1, failed, "tail")
    assert (result.outcome, result.killed_by, result.by_other_tests) == (
        "killed",
        ("tests/unit/test_config.py::test_a",),
        True,
    )


def test_passing_killers_mean_the_mistake_survived() -> None:
    result = classify(MISTAKE, 0, (), "...\n1 passed in 0.5s\n")
    assert (result.outcome, result.detail) == ("survived", "1 passed in 0.5s")


@pytest.mark.parametrize(
    ("exit_code", "says"),
    [
        (None, "ran past its timeout of 600 s"),
        (1, "names no failed test"),  # e.g. the report could not be written
        (2, "interrupted"),
        (3, "internal error"),
        (4, "a killer id that names no test"),
        (5, "no tests collected"),
    ],
)
def test_anything_else_is_an_error_with_pytests_output(exit_code: int | None, says: str) -> None:
    result = classify(MISTAKE, exit_code, (), "ERROR: not found: tests/unit/test_views.py::test_escaped", 600)
    assert result.outcome == "error"
    assert says in result.detail.splitlines()[0]
    assert result.detail.endswith("not found: tests/unit/test_views.py::test_escaped")


# --- the report -----------------------------------------------------------------------------------

RESULTS = [
    Result(
        "killed-one", "app/a.py", "killed", ("t.py::test_a", "t.py::test_b[x|y]"), seconds=12.34, detail="failure: x"
    ),
    Result("lives", "app/b.py", "survived", seconds=3.0, detail="1 passed"),
    Result("gone", "app/c.py", "stale", seconds=0.01, detail="`find` occurs 0 times in app/c.py; it must occur once"),
    Result("same", "app/d.py", "equivalent", detail="a | b, both the same"),
    Result("broken", "app/e.py", "error", seconds=1.0, detail="pytest exited 4: usage error\nERROR: not found"),
]


def test_the_table_has_a_row_per_mistake_and_escapes_pipes() -> None:
    lines = render_table(RESULTS).splitlines()
    assert lines[0] == "| mistake | file | outcome | killed by | ran or reused | seconds |"
    assert lines[2] == "| `killed-one` | `app/a.py` | killed | `t.py::test_a` (+1 more) | ran | 12.3 |"
    assert lines[3] == "| `lives` | `app/b.py` | survived |  | ran | 3.0 |"
    assert lines[5] == "| `same` | `app/d.py` | equivalent: a \\| b, both the same |  |  |  |"
    assert lines[6] == "| `broken` | `app/e.py` | error: pytest exited 4: usage error |  | ran | 1.0 |"
    assert len(lines) == 2 + len(RESULTS)


def test_a_kill_by_other_tests_is_marked_in_the_table() -> None:
    row = render_table([replace(RESULTS[0], by_other_tests=True)]).splitlines()[2]
    assert "(not one of its killers)" in row


def test_the_details_show_what_each_kill_asserted_and_each_errors_output() -> None:
    details = render_details(RESULTS)
    assert "- `killed-one`: failure: x" in details
    assert "### `broken`\n\n```\npytest exited 4: usage error\nERROR: not found\n```" in details


def test_the_summary_counts_outcomes_and_equivalents_are_not_planted() -> None:
    assert render_summary(RESULTS, 61.25) == (
        "killed 1 of 4; survived 1; errors 1; stale 1; equivalent 1; ran 4, reused 0, audited 0 "
        "(reused verdicts run again); wall time 61.2 s"
    )


def test_the_baseline_must_pass_outright() -> None:
    failing = PytestRun(1, (Failure(KILLER, "failure", "assert 1 == 2"),), "1 failed", 3.0)
    assert baseline_complaint(replace(failing, exit_code=0, failed=())) == ""
    complaint = baseline_complaint(failing)
    assert complaint.startswith("baseline failed (pytest exited 1): the scenarios fail without any mistake")
    assert f"{KILLER}: failure: assert 1 == 2" in complaint
    assert "no tests collected" in baseline_complaint(replace(failing, exit_code=5, failed=()))


def test_only_all_killed_passes() -> None:
    assert all_killed([RESULTS[0], RESULTS[3]])
    assert not all_killed(RESULTS)
    assert all_killed([])


# --- the catalogue as it is now -------------------------------------------------------------------


@pytest.mark.parametrize("mistake", MISTAKES, ids=lambda m: m.name)
def test_every_catalogued_mistake_still_applies(mistake: Mistake) -> None:
    """Its snippet occurs exactly once in the working tree: `make mutate` would not report it stale."""
    if os.environ.get(PLANTED_MISTAKE) == mistake.name:
        pytest.skip("this is the mutant's copy, with the mistake planted")  # not a kill under --whole-suite
    with (ROOT / mistake.file).open(encoding="utf-8", newline="") as f:
        apply_mistake(f.read(), mistake)


@pytest.mark.parametrize("mistake", MISTAKES, ids=lambda m: m.name)
def test_every_killer_names_a_test_that_exists(mistake: Mistake) -> None:
    assert mistake.killers or mistake.equivalent, f"{mistake.name} names no killers and is not equivalent"
    for killer in mistake.killers:
        path, *names = killer.split("[")[0].split("::")
        assert (ROOT / path).is_file(), killer
        scope: list[ast.stmt] = ast.parse((ROOT / path).read_text(encoding="utf-8")).body
        for name in names:
            found = [n for n in scope if isinstance(n, ast.FunctionDef | ast.ClassDef) and n.name == name]
            assert found, f"{killer}: no {name} in {path}"
            scope = found[0].body


def test_the_specification_lists_a_scenarios_mistakes_whatever_its_parameters() -> None:
    mistakes = (
        replace(MISTAKE, killers=(f"{KILLER}[a]",)),
        replace(MISTAKE, name="other", killers=("tests/unit/test_views.py::test_escaped_more",)),
    )
    assert killed_by(KILLER, mistakes) == ["not-escaped"]


def test_every_container_scenario_is_proven_by_a_mistake_or_documents_docker_itself() -> None:
    """A scenario of the system that no planted mistake can fail proves nothing: add a mistake."""
    killed = {killer.split("[")[0] for mistake in MISTAKES for killer in mistake.killers}
    unproven = []
    for path in sorted((ROOT / "tests" / "containers").glob("test_*.py")):
        for node in ast.parse(path.read_text(encoding="utf-8")).body:
            if isinstance(node, ast.FunctionDef) and node.name.startswith("test_"):
                scenario = f"{path.relative_to(ROOT)}::{node.name}"
                if scenario not in killed and scenario not in DOCKER_BEHAVIOUR:
                    unproven.append(scenario)
    assert unproven == []
    assert not killed & set(DOCKER_BEHAVIOUR), "a scenario some mistake kills is not Docker's alone"


def test_no_mistake_mixes_engine_wide_killers_with_others() -> None:
    """A mistake runs in the swarm's batch or beside any other, as a whole: its killers are all
    in the chapters that join a swarm, or none is."""
    mixed = [m.name for m in MISTAKES if len({k.startswith(run.ENGINE_WIDE_CHAPTERS) for k in m.killers}) > 1]
    assert mixed == []


def test_the_swarm_mistakes_run_last_beside_each_other_in_one_swarm(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The mistakes whose scenarios join a swarm run after all the others, `jobs` at a time (here
    two that must run at once to pass), inside one swarm held for their whole batch (no join or
    leave while any mutant runs); the results keep the catalogue's order."""
    events: list[str] = []
    both_swarm_mistakes_running = threading.Barrier(2, timeout=5)

    @contextlib.contextmanager
    def one_swarm() -> Iterator[None]:
        events.append("join")
        yield
        events.append("leave")

    def planted(mistake: Mistake, *_: object) -> Result:
        if mistake.name.startswith("swarm"):
            both_swarm_mistakes_running.wait()  # BrokenBarrierError if they ran one after the other
        events.append(mistake.name)
        return Result(mistake.name, mistake.file, "killed")

    monkeypatch.setattr(run, "engine_wide_batch", one_swarm)
    monkeypatch.setattr(run, "run_mistake", planted)
    swarm_killer = (f"{run.ENGINE_WIDE_CHAPTERS[0]}::test_x",)
    swarm, swarm_too = (replace(MISTAKE, name=name, killers=swarm_killer) for name in ("swarm-1", "swarm-2"))
    rehearsal = replace(MISTAKE, name="rehearsal", killers=("tests/containers/test_22_a_fresh_machine.py::test_x",))

    results, interrupted = run.run_all([swarm, MISTAKE, rehearsal, swarm_too], ROOT, ROOT, OPTIONS, jobs=2)

    assert set(events[:2]) == {"rehearsal", MISTAKE.name}
    assert events[2] == "join"
    assert set(events[3:5]) == {"swarm-1", "swarm-2"}
    assert events[5:] == ["leave"]
    assert [r.name for r in results] == ["swarm-1", MISTAKE.name, "rehearsal", "swarm-2"]
    assert {r.outcome for r in results} == {"killed"}
    assert not interrupted


def test_the_fresh_machine_rehearsals_mistakes_start_first(monkeypatch: pytest.MonkeyPatch) -> None:
    """Minutes each: started first, none is left to run alone at the end of the batch."""
    started: list[str] = []

    def planted(mistake: Mistake, *_: object) -> Result:
        started.append(mistake.name)
        return Result(mistake.name, mistake.file, "killed")

    monkeypatch.setattr(run, "run_mistake", planted)
    rehearsal = replace(MISTAKE, name="rehearsal", killers=("tests/containers/test_22_a_fresh_machine.py::test_x",))

    run.run_all([MISTAKE, rehearsal], ROOT, ROOT, OPTIONS, jobs=1)

    assert started == ["rehearsal", MISTAKE.name]


def test_a_swarm_that_cannot_be_joined_costs_only_its_batch(monkeypatch: pytest.MonkeyPatch) -> None:
    """The other mistakes' results are kept; the Swarm chapter's are errors that say why."""

    @contextlib.contextmanager
    def no_swarm() -> Iterator[None]:
        raise RuntimeError("the engine's swarm state is 'pending'")
        yield

    monkeypatch.setattr(run, "engine_wide_batch", no_swarm)
    monkeypatch.setattr(run, "run_mistake", lambda m, *_: Result(m.name, m.file, "killed"))
    swarm = replace(MISTAKE, name="swarm", killers=(f"{run.ENGINE_WIDE_CHAPTERS[0]}::test_x",))

    results, interrupted = run.run_all([swarm, MISTAKE], ROOT, ROOT, OPTIONS, jobs=2)

    assert [(r.outcome, r.detail) for r in results] == [
        ("error", "not run: the engine's swarm state is 'pending'"),
        ("killed", ""),
    ]
    assert not interrupted


def test_the_three_node_mistakes_that_leave_the_nodes_recipe_alone_share_one_cluster_in_turn(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Making a cluster takes most of such a mistake's time: the stack's mistakes run one after
    the other on one cluster (each session told its name), beside the other mistakes, and the
    cluster is removed after the last; a mistake in how the nodes are made gets its own."""
    ran: list[tuple[str, str | None, str]] = []
    removed: list[list[str]] = []

    def planted(mistake: Mistake, *args: object) -> Result:
        extra = args[6] if len(args) > 6 else None
        shared = dict(extra).get(SHARED_CLUSTER) if isinstance(extra, dict) else None
        ran.append((mistake.name, shared, threading.current_thread().name))
        return Result(mistake.name, mistake.file, "killed")

    def down(command: list[str], **kwargs: object) -> subprocess.CompletedProcess[str]:
        removed.append([*command, str(dict(kwargs["env"])["CLUSTER_NAME"])])  # type: ignore[call-overload]
        return subprocess.CompletedProcess(command, 0, "", "")

    monkeypatch.setattr(run, "run_mistake", planted)
    monkeypatch.setattr(subprocess, "run", down)
    killer = (f"{run.CLUSTER_CHAPTER}::test_x",)
    stack = [replace(MISTAKE, name=f"stack-{i}", file="swarm/stack.yml", killers=killer) for i in range(3)]
    nodes = replace(MISTAKE, name="nodes", file="scripts/cluster.sh", killers=killer)

    results, _ = run.run_all([*stack, nodes, MISTAKE], ROOT, ROOT, OPTIONS, jobs=2)

    shared = [(name, cluster, thread) for name, cluster, thread in ran if cluster]
    assert [name for name, _, _ in shared] == ["stack-0", "stack-1", "stack-2"]
    assert len({cluster for _, cluster, _ in shared}) == 1
    assert len({thread for _, _, thread in shared}) == 1
    assert {name for name, cluster, _ in ran if not cluster} == {"nodes", MISTAKE.name}
    assert removed == [[str(ROOT / "scripts" / "cluster.sh"), "down", shared[0][1]]]
    assert [r.name for r in results] == ["stack-0", "stack-1", "stack-2", "nodes", MISTAKE.name]


def test_the_scratch_copy_is_compiled_once_and_a_planted_file_forgets_its_bytecode(tmp_path: Path) -> None:
    """Every mutant's copy carries the scratch copy's bytecode (its modules compiled, its tests'
    asserts rewritten), except the planted file's, which is of the unplanted text."""
    (tmp_path / "pyproject.toml").write_text("[tool.pytest.ini_options]\n")
    (tmp_path / "tests" / "mutations").mkdir(parents=True)
    for package in ("tests", "tests/mutations"):
        (tmp_path / package / "__init__.py").write_text("")
    (tmp_path / "tests" / "mutations" / "reads.py").write_text("")  # the plugin a mutant loads
    (tmp_path / "shop.py").write_text("PRICE = 3\n")
    (tmp_path / "tests" / "test_shop.py").write_text(
        "from shop import PRICE\n\ndef test_price():\n    assert PRICE == 3\n"
    )

    assert run.compile_once(tmp_path) == ""
    cached = {
        path.name.split(".")[0] + ":" + ("rewritten" if "pytest" in path.name else "compiled")
        for path in tmp_path.rglob("__pycache__/*.pyc")
    }
    assert {"shop:compiled", "test_shop:rewritten"} <= cached

    run.forget_bytecode(tmp_path / "tests" / "test_shop.py")
    assert not list((tmp_path / "tests" / "__pycache__").glob("test_shop.*.pyc"))
    assert list(tmp_path.glob("__pycache__/shop.*.pyc"))
