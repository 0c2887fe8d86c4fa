"""A gate stage's pass stored by content (tests/mutations/stages.py): reused while every input is
unchanged, its reports written back; run again when one changed, at random as the audit, or
with --fresh; a failure is never stored."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from tests.mutations import inputs, stages

WRITE_REPORT = [sys.executable, "-c", "import pathlib; pathlib.Path('reports/junit-x.xml').write_text('<ok/>')"]


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The stage's inputs read off a fixed tree; the engine's and tools' versions fixed."""
    root = tmp_path / "project"
    (root / "reports").mkdir(parents=True)
    monkeypatch.setattr(stages, "ROOT", root)
    monkeypatch.setattr(inputs, "project_files", lambda r: sorted(p.name for p in r.glob("*.txt")))
    monkeypatch.setattr(inputs, "tool_versions", lambda: {"tool:engine": "26"})
    monkeypatch.setattr(inputs, "base_image_ids", lambda r, e: {"image:PYTHON_IMAGE": "sha256:1"})
    monkeypatch.setenv("STAGE_AUDIT_ONE_IN", "0")
    (root / "code.txt").write_text("v1")
    return root


def stage(project: Path, store: Path, *extra: str, command: list[str] = WRITE_REPORT) -> int:
    report = str(project / "reports" / "junit-x.xml")
    return stages.main(["x", "--store", str(store), "--report", report, *extra, "--", *command])


def test_a_pass_is_reused_while_every_input_is_unchanged_and_its_report_written_back(
    project: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    store = tmp_path / "store"
    assert stage(project, store) == 0
    assert "runs: no stored pass" in capsys.readouterr().err
    (project / "reports" / "junit-x.xml").unlink()
    assert stage(project, store, command=["false"]) != 0  # another command is another input
    assert stage(project, store) == 0
    assert "reused a stored pass" in capsys.readouterr().err
    assert (project / "reports" / "junit-x.xml").read_text() == "<ok/>"


def test_a_changed_file_runs_the_stage_and_says_which(
    project: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    store = tmp_path / "store"
    stage(project, store)
    (project / "code.txt").write_text("v2")
    assert stage(project, store) == 0
    assert "runs: changed: file:code.txt" in capsys.readouterr().err


def test_a_failure_is_never_stored_and_fresh_ignores_the_store(
    project: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    store = tmp_path / "store"
    assert stage(project, store, command=["false"]) == 1
    assert stage(project, store, command=["false"]) == 1
    assert "no stored pass" in capsys.readouterr().err
    stage(project, store)
    assert stage(project, store, "--fresh") == 0
    assert "--fresh: the store is ignored" in capsys.readouterr().err


def test_the_audit_runs_a_reused_pass_again_and_fails_if_it_does_not_hold(
    project: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    store = tmp_path / "store"
    stage(project, store)
    monkeypatch.setenv("STAGE_AUDIT_ONE_IN", "1")
    # The same key, but what it runs now fails: a key that missed an input.
    stored = stages.stored_pass(store, "x", print)
    assert stored is not None
    monkeypatch.setattr(stages, "stage_inputs", lambda *_, **__: stored["inputs"])
    assert stage(project, store, command=["false"]) == 1
    assert "the stored pass did not hold" in capsys.readouterr().err
