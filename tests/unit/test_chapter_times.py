"""The README's chapter table gets each chapter's time alone (tests/tools/chapter_times.py)."""

from __future__ import annotations

from tests.tools.chapter_times import chapter_files, rewrite_table


def test_the_time_goes_into_the_rows_measured_and_nowhere_else() -> None:
    table = (
        "| # | chapter | what it shows | alone |\n|---|---|---|---|\n"
        "| 7 | The database | rows | – |\n| 8 | Retry | backoff | 9 s |\n"
    )

    rewritten = rewrite_table(table, {7: 12.4})

    assert rewritten.splitlines()[2:] == ["| 7 | The database | rows | 12 s |", "| 8 | Retry | backoff | 9 s |"]


def test_every_chapter_is_timed_but_the_rehearsal() -> None:
    numbers = set(chapter_files([]))
    assert 22 not in numbers
    assert {1, 5, 14, 15, 18, 21} <= numbers
