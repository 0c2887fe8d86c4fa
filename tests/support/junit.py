"""pytest's JUnit XML reports, read back: each testcase's pytest node id and outcome.

The one reader of the soak, the mistake runner and the specification's results."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Callable, Hashable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

# How a report's INTERNALERROR (testcase "pytest" / "internal") is named.
INTERNAL_ERROR = "(pytest internal error)"

PASSED, SKIPPED, FAILED = "passed", "skipped", "failed"
# Where a report names a test twice (a teardown's error after its pass) or where cases are folded
# together (a scenario's parameters), the worst outcome stands: a claim with a case skipped is
# not shown as proven, nor one with a case failed as merely skipped.
RANK = {PASSED: 0, SKIPPED: 1, FAILED: 2}

Key = TypeVar("Key", bound=Hashable)


@dataclass(frozen=True)
class Case:
    """One testcase element of a report."""

    classname: str
    name: str
    node: str
    outcome: str
    # A failed case's "failure" (an assertion) or "error" (setup, teardown, collection), and the
    # first line of its message; "" otherwise.
    problem: str = ""
    message: str = ""


def node_id(classname: str, name: str, file: str | None = None) -> str:
    """Undo pytest's junit naming: ("tests.unit.test_x.TestY", "test_z[1]") -> "tests/unit/test_x.py::TestY::test_z[1]".

    The report joins module and classes with dots. With the report's `file` attribute
    (junit_family=xunit1) the module is known; without it, classes are told from modules by
    pytest's default class prefix "Test". A collection error has no classname and the
    module as its name.
    """
    if (classname, name) == ("pytest", "internal"):
        return INTERNAL_ERROR
    if not classname:
        return name.replace(".", "/") + ".py"
    if file and file.endswith(".py"):
        module = file[:-3].replace("/", ".")
        if classname == module or classname.startswith(module + "."):
            classes = classname[len(module) + 1 :].split(".") if classname != module else []
            return "::".join([file, *classes, name])
    parts = classname.split(".")
    first_class = next((i for i, part in enumerate(parts) if i > 0 and part.startswith("Test")), len(parts))
    return "::".join(["/".join(parts[:first_class]) + ".py", *parts[first_class:], name])


def _case(element: ET.Element) -> Case:
    classname, name = element.get("classname", ""), element.get("name", "")
    node = node_id(classname, name, element.get("file"))
    problem = element.find("failure")
    if problem is None:
        problem = element.find("error")
    if problem is not None:
        message = (problem.get("message") or "").strip().splitlines()
        return Case(classname, name, node, FAILED, problem.tag, message[0] if message else "")
    return Case(classname, name, node, SKIPPED if element.find("skipped") is not None else PASSED)


def parse_cases(text: str) -> list[Case]:
    """The testcases of a report's text, in its order (ET.ParseError if it is not one)."""
    return [_case(element) for element in ET.fromstring(text).iter("testcase")]  # noqa: S314 (pytest's own report)


def read_cases(path: Path) -> list[Case]:
    """The testcases of the report at `path`; none when pytest died before writing it whole."""
    try:
        return parse_cases(path.read_text(encoding="utf-8"))
    except (OSError, ET.ParseError):
        return []


def worst_outcomes(cases: Iterable[Case], key: Callable[[Case], Key]) -> dict[Key, str]:
    """Each key's worst outcome among its cases (RANK)."""
    outcomes: dict[Key, str] = {}
    for case in cases:
        current = outcomes.get(key(case))
        if current is None or RANK[case.outcome] > RANK[current]:
            outcomes[key(case)] = case.outcome
    return outcomes


def outcomes_by_node(cases: Iterable[Case]) -> dict[str, str]:
    """Node id -> its worst outcome."""
    return worst_outcomes(cases, lambda case: case.node)
