"""The specification document is generated from the tests and kept current."""

from __future__ import annotations

from tests.support.specification import DOCUMENT, SECTIONS, read_chapter, render


def test_the_committed_specification_is_current() -> None:
    """docs/SPECIFICATION.md matches what the tests' docstrings say now (`make spec` rewrites it)."""
    assert DOCUMENT.read_text(encoding="utf-8") == render()


def test_every_container_scenario_states_its_behaviour() -> None:
    """Each chapter and each container scenario has a docstring: the specification has no blank lines."""
    _, folder = SECTIONS[0]
    for path in sorted(folder.glob("test_*.py")):
        chapter = read_chapter(path)
        assert chapter.title.startswith("Chapter"), path
        for scenario in chapter.scenarios:
            assert scenario.statement, f"{path.name}::{scenario.name} has no docstring"
