"""The docs say only what the code does: the names and lists in them that can be read from the
code are checked against it here, so that neither drifts without the other."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

from tests.support.environment import ROOT
from tests.tools.specification import PARTS

# Named one by one, not globbed: a stage of the gate is reused while the prose a file of code
# names is unchanged (tests/mutations/inputs.py), so each page this reads must be named here.
# Not the record of past measurements: it may name what has since gone.
DOCS = [
    ROOT / name
    for name in (
        "README.md",
        "docs/adopting.md",
        "docs/compose.md",
        "docs/configuration.md",
        "docs/gate.md",
        "docs/offline.md",
        "docs/performance.md",
        "docs/prerequisites.md",
        "docs/security.md",
        "docs/swarm.md",
        "docs/troubleshooting.md",
        "docs/webapp.md",
    )
]
README_LINES = 150


def _text(path: Path) -> str:
    return path.read_text(encoding="utf-8")


def _make_targets_with_help() -> dict[str, str]:
    """The Makefile's targets and their `## help` (empty where a target has none)."""
    targets = {}
    for line in _text(ROOT / "Makefile").splitlines():
        match = re.match(r"^([a-z][a-z0-9-]*):(?!=)[^#]*(?:## (.*))?$", line)
        if match:
            targets[match[1]] = (match[2] or "").strip()
    return targets


def _run_alone_chapters() -> dict[str, int]:
    """Each marker of a chapter that runs in a session of its own, and that chapter's number."""
    chapters = {}
    for path in sorted((ROOT / "tests" / "containers").glob("test_[0-9][0-9]_*.py")):
        marks = re.search(r"^pytestmark = (.*)$", _text(path), re.MULTILINE)
        for marker in ("swarm", "rehearsal", "cluster"):
            if marks and f"pytest.mark.{marker}" in marks[1]:
                chapters[marker] = int(path.name[5:7])
    return chapters


def _on_every_python() -> list[str]:
    """What .ci/run's tox stage runs on the other Pythons (its `on_every_python` list)."""
    script = _text(ROOT / ".ci" / "run")
    listed = re.search(r"^on_every_python=\((.*?)\)$", script, re.MULTILINE | re.DOTALL)
    assert listed, "no on_every_python=(...) in .ci/run"
    return shlex.split(listed[1])


def test_every_make_target_the_docs_name_exists_and_says_what_it_does() -> None:
    targets = _make_targets_with_help()
    named = {name for doc in DOCS for name in re.findall(r"`make ([a-z][a-z0-9-]*)", _text(doc))}

    assert named - set(targets) == set()
    assert {name for name in named if not targets[name]} == set()


def test_the_readme_is_at_most_150_lines() -> None:
    assert len(_text(ROOT / "README.md").splitlines()) <= README_LINES


def test_the_chapters_run_alone_are_the_ones_tox_and_the_docs_leave_out() -> None:
    chapters = _run_alone_chapters()
    tox = _text(ROOT / "tox.ini")

    assert chapters == {"swarm": 18, "rehearsal": 22, "cluster": 19}
    assert f"({', '.join(str(n) for n in sorted(chapters.values()))})" in tox
    assert "chapters that run in sessions of their own: 18, 19 and 22" in _text(ROOT / "docs" / "gate.md")


def test_the_readme_tells_the_sessions_of_make_test_in_the_makefiles_order() -> None:
    """The three-node chapter before the Swarm chapter: the Swarm chapter waits for a rehearsal
    running beside `make test`, and the three-node chapter need not."""
    recipe = re.search(r"^test:.*?\n((?:\t.*\n)+)", _text(ROOT / "Makefile"), re.MULTILINE)
    assert recipe
    sessions = re.findall(r"pytest -m (\w+)", recipe[1])
    names = {"cluster": "the three-node chapter", "swarm": "the Swarm chapter"}
    readme = " ".join(_text(ROOT / "README.md").split())

    assert sessions == ["cluster", "swarm"]
    assert f"then {names[sessions[0]]} and {names[sessions[1]]}, each in a session of its own" in readme


def test_the_readme_gives_each_part_the_chapters_the_specification_puts_in_it() -> None:
    readme = " ".join(_text(ROOT / "README.md").split())
    for part, numbers in PARTS:
        name = part.split(". ", 1)[-1].lower()
        assert f"{name} ({numbers.start}–{numbers.stop - 1})" in readme, part


def test_the_gate_page_names_each_stage_as_ci_runs_it() -> None:
    """Each make command .ci/run runs as a stage (with its arguments) is in docs/gate.md's table
    of stages, written as .ci/run writes it."""
    script = _text(ROOT / ".ci" / "run")
    stages = re.findall(
        r"(?:^|-- )(make (?:test|rehearse|mutate|bench)\b(?: [A-Z_]+=\"[^\"]*\"| [A-Z_]+=\S+)?)", script, re.M
    )
    table = "\n".join(line for line in _text(ROOT / "docs" / "gate.md").splitlines() if line.startswith("| "))

    assert {command.split()[1] for command in stages} == {"test", "rehearse", "mutate", "bench"}
    for command in stages:
        assert f"`{command}" in table, command


def test_what_the_gate_runs_on_every_python_exists_and_the_gate_page_names_its_chapters() -> None:
    """Each scenario .ci/run names is a test of the suite; docs/gate.md names its chapter."""
    gate = _text(ROOT / "docs" / "gate.md")
    scenarios = [item for item in _on_every_python() if "::" in item]

    assert "tests/unit" in _on_every_python()
    assert scenarios
    for item in scenarios:
        file, test = item.split("::")
        assert re.search(rf"^def {test}\(", _text(ROOT / file), re.MULTILINE), item
        assert f"chapter {int(Path(file).name[5:7])}'s" in gate, item


def test_lint_checks_every_compose_and_stack_file() -> None:
    lint = _text(ROOT / "scripts" / "lint.sh")
    files = [
        path.relative_to(ROOT).as_posix()
        for path in [*ROOT.glob("*.yml"), *(ROOT / "swarm").glob("*.yml")]
        if path.name not in ("ci.yml",)
    ]

    assert files
    assert [name for name in files if name not in lint] == []
