"""Verdicts stored by content (tests/mutations/verdicts.py, keys.py, inputs.py, reads.py): a kill
is reused only while every input it depended on is unchanged, and the key is complete. Each
test that an input changes the key is the killer of a mistake planted in the key itself."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import pytest

from tests.mutations import inputs, keys, run, verdicts
from tests.mutations.catalogue import Mistake
from tests.mutations.reads import Reads

READS_PLUGIN = Path(__file__).resolve().parents[2] / "tests" / "mutations" / "reads.py"

MISTAKE = Mistake(
    name="a-mistake",
    file="app/views.py",
    find="x",
    replace="y",
    claim="",
    killers=("tests/unit/test_a.py::test_a",),
)


def make_tree(root: Path) -> list[str]:
    """A small project: a test importing a support module, which imports app code."""
    files = {
        "pyproject.toml": "[tool.pytest.ini_options]\n",
        "conftest.py": "import tests.support.env\n",
        "app/__init__.py": "",
        "app/views.py": "x = 1\n",
        "tests/__init__.py": "",
        "tests/support/__init__.py": "",
        "tests/support/env.py": "try:\n    import app.optional\nexcept ImportError:\n    pass\n",
        "tests/support/waiting.py": "from app import views\n\n\ndef later():\n    from app import lazy\n",
        "app/optional.py": "",
        "app/lazy.py": "",
        "tests/unit/__init__.py": "",
        "tests/unit/test_a.py": "from tests.support.waiting import views\n",
        "tests/unit/test_b.py": "",
        "requirements-dev.txt": "pytest==8\n",
        "docs/guide.md": "prose\n",
        "README.md": "prose\n",
    }
    for name, text in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text)
    return sorted(files)


def snapshot_of(root: Path, files: list[str], **changes: object) -> keys.Snapshot:
    base = keys.Snapshot(
        files=inputs.file_digests(root, files),
        tools={"tool:python": "3.11.7", "tool:engine": "26.1.5", "tool:compose": "2.26.1"},
        images={"image:PYTHON_IMAGE": "python sha256:1", "image:POSTGRES_IMAGE": "postgres sha256:2"},
        system_files=frozenset(inputs.system_files(root, files)),
    )
    return replace(base, **changes)  # type: ignore[arg-type]


def required(root: Path, snapshot: keys.Snapshot, mistake: Mistake = MISTAKE) -> dict[str, str]:
    return keys.required_inputs(snapshot, mistake, root)


def stored_for(root: Path, snapshot: keys.Snapshot, whole_system: bool = False) -> verdicts.Stored:
    every = {**required(root, snapshot), **(snapshot.system() if whole_system else {})}
    return verdicts.Stored(MISTAKE.name, every, ("tests/unit/test_a.py::test_a",), "failure: x", 3.0, whole_system)


def lookup(store: verdicts.Store, root: Path, snapshot: keys.Snapshot, mistake: Mistake = MISTAKE) -> verdicts.Lookup:
    return verdicts.look_up(store, mistake.name, snapshot.current, required(root, snapshot, mistake))


@pytest.fixture
def tree(tmp_path: Path) -> tuple[Path, list[str]]:
    root = tmp_path / "project"
    root.mkdir()
    return root, make_tree(root)


@pytest.fixture
def store(tmp_path: Path) -> verdicts.Store:
    return verdicts.Store.open(tmp_path / "store", lambda message: None)


def test_a_stored_kill_is_reused_while_every_input_is_unchanged(
    tree: tuple[Path, list[str]], store: verdicts.Store
) -> None:
    root, files = tree
    snapshot = snapshot_of(root, files)
    assert lookup(store, root, snapshot).why == "no stored verdict"
    store.save(stored_for(root, snapshot))
    found = lookup(store, root, snapshot)
    assert found.stored is not None
    assert found.why == ""
    assert found.stored.killed_by == ("tests/unit/test_a.py::test_a",)


def test_another_base_image_id_means_the_mistake_runs(tree: tuple[Path, list[str]], store: verdicts.Store) -> None:
    root, files = tree
    store.save(stored_for(root, snapshot_of(root, files)))
    rebuilt = snapshot_of(root, files, images={"image:PYTHON_IMAGE": "python sha256:9", "image:POSTGRES_IMAGE": "x"})
    found = lookup(store, root, rebuilt)
    assert found.stored is None
    assert "image:PYTHON_IMAGE" in found.why


def test_a_changed_support_module_a_killer_imports_means_the_mistake_runs(
    tree: tuple[Path, list[str]], store: verdicts.Store
) -> None:
    root, files = tree
    store.save(stored_for(root, snapshot_of(root, files)))
    (root / "tests/support/waiting.py").write_text("from app import views  # changed\n")
    found = lookup(store, root, snapshot_of(root, files))
    assert found.stored is None
    assert "file:tests/support/waiting.py" in found.why


def test_the_closure_follows_imports_conftests_and_packages(tree: tuple[Path, list[str]]) -> None:
    root, files = tree
    closure = inputs.python_closure(root, ["tests/unit/test_a.py"], files)
    assert {
        "tests/unit/test_a.py",
        "tests/support/waiting.py",
        "app/views.py",
        "conftest.py",
        "tests/support/env.py",
        "tests/unit/__init__.py",
        "pyproject.toml",
    } <= closure
    assert "tests/unit/test_b.py" not in closure


def test_the_closure_holds_what_runs_at_import_and_not_an_import_inside_a_function(
    tree: tuple[Path, list[str]],
) -> None:
    root, files = tree
    closure = inputs.python_closure(root, ["tests/unit/test_a.py"], files)
    assert "app/optional.py" in closure  # imported in a top-level `try`, which runs at import
    assert "app/lazy.py" not in closure  # imported only if `later()` runs: then the run read it


def test_a_module_imported_inside_a_function_that_ran_is_an_input(
    tree: tuple[Path, list[str]], store: verdicts.Store
) -> None:
    """The audit hook of a real interpreter sees the lazy import's file; the key then holds it."""
    root, files = tree
    # The plugin loaded from its file (the tree has packages named `tests` and `app` of its own).
    script = (
        "import importlib.util, pathlib, sys\n"
        f"spec = importlib.util.spec_from_file_location('reads_plugin', {str(READS_PLUGIN)!r})\n"
        "plugin = importlib.util.module_from_spec(spec)\n"
        "spec.loader.exec_module(plugin)\n"
        f"reads = plugin.Reads(pathlib.Path({str(root)!r}))\n"
        "sys.addaudithook(reads.hook)\n"
        f"sys.path.insert(0, {str(root)!r})\n"
        "from tests.support import waiting\n"
        "waiting.later()\n"
        "print(reads.as_json())\n"
    )
    done = subprocess.run([sys.executable, "-c", script], cwd=root, capture_output=True, text=True, check=True)
    snapshot = snapshot_of(root, files)
    observed, _ = keys.observed_inputs(snapshot, done.stdout)
    assert "file:app/lazy.py" in observed
    store.save(replace(stored_for(root, snapshot), inputs={**required(root, snapshot), **observed}))
    (root / "app/lazy.py").write_text("x = 2\n")
    assert "file:app/lazy.py" in lookup(store, root, snapshot_of(root, files)).why


def test_another_patch_means_the_mistake_runs(tree: tuple[Path, list[str]], store: verdicts.Store) -> None:
    root, files = tree
    snapshot = snapshot_of(root, files)
    store.save(stored_for(root, snapshot))
    found = lookup(store, root, snapshot, replace(MISTAKE, replace="z"))
    assert found.stored is None
    assert "patch" in found.why


def test_another_engine_version_means_the_mistake_runs(
    tree: tuple[Path, list[str]], store: verdicts.Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    root, files = tree
    engine = {"version": "26.1.5"}
    monkeypatch.setattr(inputs, "_command_output", lambda command: engine["version"] if "version" in command else "x")
    before = snapshot_of(root, files, tools=inputs.tool_versions())
    store.save(stored_for(root, before))
    engine["version"] = "27.0.1"
    after = snapshot_of(root, files, tools=inputs.tool_versions())
    found = lookup(store, root, after)
    assert found.stored is None
    assert "tool:engine" in found.why


def test_a_file_the_killing_run_read_is_an_input(tree: tuple[Path, list[str]], store: verdicts.Store) -> None:
    root, files = tree
    snapshot = snapshot_of(root, files)
    observed, whole_system = keys.observed_inputs(
        snapshot, json.dumps({"files": ["docs/guide.md"], "folders": [], "spawned": False, "engine": False})
    )
    assert not whole_system
    store.save(replace(stored_for(root, snapshot), inputs={**required(root, snapshot), **observed}))
    (root / "README.md").write_text("prose nobody read, changed\n")
    assert lookup(store, root, snapshot_of(root, files)).stored is not None
    (root / "docs/guide.md").write_text("prose it read, changed\n")
    assert "file:docs/guide.md" in lookup(store, root, snapshot_of(root, files)).why


def test_a_run_that_started_a_program_depends_on_every_system_file(
    tree: tuple[Path, list[str]], store: verdicts.Store
) -> None:
    root, files = tree
    store.save(stored_for(root, snapshot_of(root, files), whole_system=True))
    (root / "docs/guide.md").write_text("prose, changed\n")
    assert lookup(store, root, snapshot_of(root, files)).stored is not None
    (root / "requirements-dev.txt").write_text("pytest==9\n")
    assert lookup(store, root, snapshot_of(root, files)).stored is None


def test_a_new_system_file_is_a_change_for_such_a_run(tree: tuple[Path, list[str]], store: verdicts.Store) -> None:
    root, files = tree
    store.save(stored_for(root, snapshot_of(root, files), whole_system=True))
    (root / "app/new.py").write_text("")
    found = lookup(store, root, snapshot_of(root, [*files, "app/new.py"]))
    assert found.stored is None
    assert "system-files" in found.why


def test_prose_is_outside_the_system_unless_a_build_context_sends_it(tree: tuple[Path, list[str]]) -> None:
    root, files = tree
    assert "README.md" not in inputs.system_files(root, files)
    (root / "Dockerfile").write_text("FROM x\n")
    assert "README.md" in inputs.system_files(root, [*files, "Dockerfile"])
    (root / ".dockerignore").write_text("*.md\n")
    assert "README.md" not in inputs.system_files(root, [*files, "Dockerfile", ".dockerignore"])


@pytest.mark.parametrize(
    "content",
    ["{not json", json.dumps({"format": 1, "project": "someone-else", "entries": []}), json.dumps([1, 2])],
)
def test_a_corrupt_or_foreign_entry_is_ignored_with_a_warning(tmp_path: Path, content: str) -> None:
    said: list[str] = []
    store = verdicts.Store.open(tmp_path, said.append)
    (tmp_path / "a-mistake.json").write_text(content)
    assert store.entries("a-mistake") == []
    assert len(said) == 1
    assert "ignoring the stored verdict" in said[0]


def test_a_store_that_cannot_be_written_means_everything_runs_said_once(tmp_path: Path) -> None:
    said: list[str] = []
    blocked = tmp_path / "a-file"
    blocked.write_text("")
    store = verdicts.Store.open(blocked / "store", said.append)
    assert not store.writable
    assert store.entries("a-mistake") == []
    store.save(verdicts.Stored("a-mistake", {}, (), "", 1.0))
    assert len(said) == 1
    assert said[0].startswith(f"the verdict store {blocked / 'store'} cannot be written")
    assert said[0].endswith("every mistake runs")


def test_only_a_clean_kill_is_stored(
    tree: tuple[Path, list[str]], store: verdicts.Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    root, files = tree
    monkeypatch.setattr(run, "ROOT", root)
    reads = json.dumps({"files": [], "folders": [], "spawned": False, "engine": False})
    killer = MISTAKE.killers[0]
    killed = run.Result(MISTAKE.name, MISTAKE.file, "killed", killed_by=(killer,), seconds=2.0)
    no_evidence = run.Keeping(store, snapshot_of(root, files), passed=set(), failed=set())
    no_evidence.keep(MISTAKE, killed, reads)
    assert store.entries(MISTAKE.name) == []
    assert no_evidence.flush() == 1
    assert store.entries(MISTAKE.name) == []
    clean = run.Keeping(store, snapshot_of(root, files), passed={killer}, failed=set())
    clean.keep(MISTAKE, replace(killed, outcome="survived"), reads)
    clean.keep(MISTAKE, replace(killed, outcome="error"), reads)
    clean.keep(MISTAKE, replace(killed, by_other_tests=True), reads)
    assert store.entries(MISTAKE.name) == []
    clean.keep(MISTAKE, killed, reads)
    assert [e.killed_by for e in store.entries(MISTAKE.name)] == [(killer,)]


def test_only_reports_of_this_very_tree_are_evidence(tmp_path: Path) -> None:
    report = tmp_path / "junit.xml"
    report.write_text(
        '<testsuites><testsuite><testcase classname="tests.unit.test_a" name="test_a" file="tests/unit/test_a.py"/>'
        '<testcase classname="tests.unit.test_a" name="test_b" file="tests/unit/test_a.py"><failure message="x"/>'
        "</testcase></testsuite></testsuites>"
    )
    (tmp_path / "junit.xml.tree").write_text("tree-1\n")
    passed, failed = run.reports_of_this_tree([report], "tree-1")
    assert passed == {"tests/unit/test_a.py::test_a"}
    assert failed == {"tests/unit/test_a.py::test_b"}
    assert run.reports_of_this_tree([report], "tree-2") == (set(), set())


@pytest.mark.parametrize(("reused", "sampled"), [(0, 0), (3, 3), (5, 5), (20, 5), (51, 6), (231, 24)])
def test_the_audit_reruns_at_least_five_or_ten_percent(reused: int, sampled: int) -> None:
    assert verdicts.audit_sample_size(reused) == sampled


def test_the_plan_reuses_audits_a_sample_and_says_why_the_rest_run(
    tree: tuple[Path, list[str]], store: verdicts.Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    root, files = tree
    monkeypatch.setattr(run, "ROOT", root)
    snapshot = snapshot_of(root, files)
    mistakes = [replace(MISTAKE, name=f"m{i}") for i in range(8)]
    for m in mistakes[:7]:
        store.save(verdicts.Stored(m.name, required(root, snapshot, m), m.killers, "failure: x", 1.0))
    keeping = run.Keeping(store, snapshot, passed=set(), failed=set())
    the_plan = run.plan(mistakes, keeping, "fresh", seed=1)
    assert len(the_plan.reused) == 7
    assert len(the_plan.audited) == 5
    assert the_plan.why["m7"] == "no stored verdict"
    assert {m.name for m in the_plan.to_run} == {"m7", *the_plan.audited}
    results = run.merge(mistakes, the_plan, [run.Result(m.name, m.file, "killed") for m in the_plan.to_run])
    assert sum(r.how == "reused" for r in results) == 2
    assert {r.name for r in results if r.how == "audit"} == set(the_plan.audited)
    assert "reused" in run.render_table(results)
    assert "audit (audit: a reused verdict run again from scratch)" in run.render_table(results)


def test_a_reused_verdict_that_does_not_hold_fails_the_gate_and_is_named() -> None:
    held = run.Result("a", "f", "killed", how="audit")
    broke = run.Result("b", "f", "survived", how="audit")
    assert run.audit_failures([held, broke, run.Result("c", "f", "survived")]) == [broke]


def test_fresh_plans_every_mistake_to_run_and_says_so() -> None:
    the_plan = run.plan([MISTAKE], None, "--fresh: the store is ignored")
    assert the_plan.to_run == (MISTAKE,)
    assert the_plan.why == {MISTAKE.name: "--fresh: the store is ignored"}


@pytest.mark.parametrize(("text", "expected"), [("1/1", (1, 1)), ("2/4", (2, 4))])
def test_a_shard_is_k_of_n(text: str, expected: tuple[int, int]) -> None:
    assert run.parse_shard(text) == expected


@pytest.mark.parametrize("text", ["0/2", "3/2", "x", "1"])
def test_a_wrong_shard_is_refused(text: str) -> None:
    with pytest.raises(ValueError):  # noqa: PT011 (int() and the range check both say ValueError)
        run.parse_shard(text)


def test_naming_the_images_at_the_sessions_start_is_no_input_and_what_follows_is(tmp_path: Path) -> None:
    """The session's start reads every webapp and api source to name their images; a real
    interpreter's audit hook leaves those reads out, and notes the reads that come after."""
    project = READS_PLUGIN.parents[2]
    script = (
        "import importlib.util, json, pathlib, sys\n"
        f"spec = importlib.util.spec_from_file_location('reads_plugin', {str(READS_PLUGIN)!r})\n"
        "plugin = importlib.util.module_from_spec(spec)\n"
        "spec.loader.exec_module(plugin)\n"
        f"reads = plugin.Reads(pathlib.Path({str(project)!r}))\n"
        "sys.addaudithook(reads.hook)\n"
        "from tests.support import environment\n"
        "environment.load_environment()\n"
        "(environment.ROOT / 'app' / 'views.py').read_bytes()\n"
        "print(reads.as_json())\n"
    )
    env = {k: v for k, v in os.environ.items() if k not in ("WEBAPP_IMAGE", "API_IMAGE", "MUTATION_READS_FILE")}
    done = subprocess.run(
        [sys.executable, "-c", script], cwd=project, env=env, capture_output=True, text=True, check=True
    )
    noted = json.loads(done.stdout)
    assert "app/views.py" in noted["files"]  # read after the images were named
    sources = [f for f in noted["files"] if f.startswith(("app/", "api/")) and f != "app/views.py"]
    assert sources == []
    assert not {"Dockerfile", "requirements.txt", "api/Dockerfile"} & set(noted["files"])
    assert not [f for f in noted["folders"] if f.startswith(("app", "api"))]


def test_the_reads_plugin_notes_project_files_listings_programs_and_the_engine(tmp_path: Path) -> None:
    reads = Reads(tmp_path)
    reads.hook("open", (str(tmp_path / "docs/guide.md"), "r", 0))
    reads.hook("open", (str(tmp_path / "reports/out.xml"), "w", 0))
    reads.hook("open", (str(tmp_path / "app/__pycache__/views.cpython-311.pyc"), "rb", 0))
    reads.hook("open", ("/usr/lib/python3/os.py", "r", 0))
    reads.hook("os.scandir", (str(tmp_path / "app"),))
    assert json.loads(reads.as_json()) == {
        "files": ["app/views.py", "docs/guide.md"],
        "folders": ["app"],
        "spawned": False,
        "engine": False,
    }
    reads.hook("subprocess.Popen", ("docker", ["docker", "compose"], None, None))
    reads.hook("socket.connect", (object(), "/var/run/docker.sock"))
    assert json.loads(reads.as_json())["spawned"] is True
    assert json.loads(reads.as_json())["engine"] is True


@pytest.mark.parametrize("what", ["spawned", "engine"])
def test_a_run_that_started_a_program_or_talked_to_the_engine_is_keyed_on_the_system(
    tree: tuple[Path, list[str]], what: str
) -> None:
    root, files = tree
    snapshot = snapshot_of(root, files)
    reads = {"files": [], "folders": [], "spawned": False, "engine": False, what: True}
    _, whole_system = keys.observed_inputs(snapshot, json.dumps(reads))
    assert whole_system


def test_a_kill_is_stored_at_the_end_when_a_report_of_this_tree_shows_its_killers_passing_by_then(
    tree: tuple[Path, list[str]], store: verdicts.Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A rehearsal may run while the mistakes do: its report, written after a kill, still counts."""
    root, files = tree
    monkeypatch.setattr(run, "ROOT", root)
    snapshot = snapshot_of(root, files)
    report = tmp_path / "junit-rehearsal.xml"
    keeping = run.Keeping(store, snapshot, passed=set(), failed=set(), reports=[report])
    reads = json.dumps({"files": [], "folders": [], "spawned": False, "engine": False})
    killed = run.Result(MISTAKE.name, MISTAKE.file, "killed", killed_by=MISTAKE.killers, seconds=2.0)
    keeping.keep(MISTAKE, killed, reads)
    report.write_text(
        '<testsuites><testsuite><testcase classname="tests.unit.test_a" name="test_a" file="tests/unit/test_a.py"/>'
        "</testsuite></testsuites>"
    )
    (tmp_path / "junit-rehearsal.xml.tree").write_text(snapshot.tree())
    assert keeping.flush() == 0
    assert len(store.entries(MISTAKE.name)) == 1


def test_a_dry_run_says_what_would_run_and_why_and_what_it_took_last(
    tree: tuple[Path, list[str]], store: verdicts.Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    root, files = tree
    monkeypatch.setattr(run, "ROOT", root)
    snapshot = snapshot_of(root, files)
    changed = replace(MISTAKE, name="changed")
    store.save(verdicts.Stored("changed", {**required(root, snapshot, changed), "file:gone.txt": "x"}, (), "", 40.0))
    the_plan = run.plan([changed, replace(MISTAKE, name="new")], run.Keeping(store, snapshot, set(), set()), "")
    text = the_plan.render(jobs=2)
    assert "changed: changed: file:gone.txt\n" in text
    assert "new: no stored verdict\n" in text
    assert text.endswith(
        "2 would run (0 of them as the audit), 0 reused; the 1 run before took 40 s in all "
        "(about 20 s at --jobs 2); 1 never stored\n"
    )


def test_the_tree_a_report_names_is_its_sources_not_the_set_ups_env_file() -> None:
    """The set-up writes .env as the suite runs (the Swarm chapters add to it): a report of the
    tree stays evidence for it; any source changed makes it another tree."""
    files = {"app/views.py": "a", ".env": "PYTHON_IMAGE=x"}
    tree = inputs.source_tree_digest(files)
    assert inputs.source_tree_digest({**files, ".env": "PYTHON_IMAGE=x\nDEBIAN_IMAGE=y"}) == tree
    assert inputs.source_tree_digest({**files, "app/views.py": "b"}) != tree
