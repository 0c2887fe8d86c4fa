"""The specification document is generated from the tests and kept current."""

from __future__ import annotations

import itertools
import re

from tests.mutations.catalogue import MISTAKES
from tests.tools.specification import (
    COMPANION,
    DOCUMENT,
    PARTS,
    anchor,
    chapter_files,
    chapter_number,
    part_of,
    read_chapter,
    render,
    render_companion,
)


def test_the_committed_specification_is_current() -> None:
    """docs/SPECIFICATION.md matches what the tests' docstrings say now (`make spec` rewrites it)."""
    assert DOCUMENT.read_text(encoding="utf-8") == render()


def test_the_committed_companion_of_planted_mistakes_is_current() -> None:
    """docs/MISTAKES.md matches the catalogue and the scenarios now (`make spec` rewrites it)."""
    assert COMPANION.read_text(encoding="utf-8") == render_companion()


def test_the_learners_page_names_no_mistake_and_each_link_finds_its_chapter() -> None:
    """The specification reads as prose: no mistake is named in it; a scenario's link to its
    planted mistakes leads to a heading of the companion."""
    specification, companion = render(), render_companion()
    headings = {anchor(line.removeprefix("### ")) for line in companion.splitlines() if line.startswith("### ")}
    links = re.findall(r"\]\(MISTAKES\.md#([^)]+)\)", specification)

    assert [m.name for m in MISTAKES if f"`{m.name}`" in specification] == []
    assert links
    assert set(links) <= headings


def test_every_container_scenario_states_its_behaviour() -> None:
    """Each chapter and each container scenario has a docstring: the specification has no blank lines."""
    for path in chapter_files():
        chapter = read_chapter(path)
        assert chapter.title.startswith("Chapter"), path
        for scenario in chapter.scenarios:
            assert scenario.statement, f"{path.name}::{scenario.name} has no docstring"


def test_the_chapters_are_numbered_in_reading_order_each_in_one_part() -> None:
    """Chapter files are numbered 1 to N with no gap, each title says its file's number, and every
    chapter falls in one part; the parts follow each other with no chapter between them."""
    numbers = [chapter_number(path) for path in chapter_files()]

    assert numbers == list(range(1, len(numbers) + 1))
    for path in chapter_files():
        assert read_chapter(path).title.startswith(f"Chapter {chapter_number(path)}. "), path.name
        part_of(path)  # raises for a chapter no part holds
    bounds = [(chapters.start, chapters.stop) for _, chapters in PARTS]
    assert all(stop == next_start for (_, stop), (next_start, _) in itertools.pairwise(bounds))
    assert bounds[0][0] == 1
    assert bounds[-1][1] == len(numbers) + 1
