"""The specification as documents: every scenario by chapter, with its one-line statement
(docs/SPECIFICATION.md, for reading), and the planted mistakes each one kills (its companion,
docs/MISTAKES.md, for checking).

    python -m tests.tools.specification            # write both
    python -m tests.tools.specification --check    # fail if either is stale
    python -m tests.tools.specification --results reports/junit.xml   # print, with results

Chapters are the test modules (their docstrings), scenarios are the test functions
(their docstrings), read with `ast` so that no engine is needed. Each scenario with planted
mistakes links to its chapter in the companion, which lists under each scenario the mistakes of
tests/mutations/catalogue.py it kills, and at the end the catalogue itself.
"""

from __future__ import annotations

import argparse
import ast
import sys
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from pathlib import Path

from tests.mutations.catalogue import DOCKER_BEHAVIOUR, MISTAKES, Mistake
from tests.support.environment import ROOT
from tests.support.junit import parse_cases, worst_outcomes

DOCUMENT = ROOT / "docs" / "SPECIFICATION.md"
COMPANION = ROOT / "docs" / "MISTAKES.md"
CHAPTERS = ROOT / "tests" / "containers"
UNIT_TESTS = ROOT / "tests" / "unit"
# The parts a learner reads in order, each a run of chapters by number: the chapter files are
# numbered in reading order. The appendices are about the suite and the machines, not the system.
APPENDICES = "Appendices"
PARTS = (
    ("Part I. The tutorial", range(1, 13)),
    ("Part II. Running it for real", range(13, 18)),
    ("Part III. Beyond one host", range(18, 20)),
    (APPENDICES, range(20, 23)),
)
WITHOUT_AN_ENGINE = "Without an engine"
# Words a test function's name cannot spell as English does.
_WORDS = {
    "ascii": "ASCII",
    "debian": "Debian",
    "debians": "Debian's",
    "docker": "Docker",
    "dockerfile": "Dockerfile",
    "dockerfiles": "Dockerfiles",
    "dockerignore": ".dockerignore",
    "compose": "Compose",
    "html": "HTML",
    "json": "JSON",
    "junit": "JUnit",
    "kib": "KiB",
    "proxys": "proxy's",
    "python": "Python",
    "pytests": "pytest's",
    "ssl": "SSL",
    "url": "URL",
    "utc": "UTC",
}


@dataclass(frozen=True)
class Scenario:
    module: str
    name: str
    statement: str


@dataclass(frozen=True)
class Chapter:
    path: Path
    title: str
    summary: str
    scenarios: list[Scenario]


# The markers of chapters whose scenarios share one Swarm stack or one three-node cluster.
ONE_SESSION_FIXTURE = ("pytest.mark.swarm", "pytest.mark.cluster")


def _one_paragraph(text: str) -> str:
    return " ".join(text.split())


def read_chapter(path: Path) -> Chapter:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    doc = _one_paragraph(ast.get_docstring(tree) or path.stem)
    title, _, summary = doc.partition(": ")
    summary = summary[:1].upper() + summary[1:]
    module = ".".join(path.relative_to(ROOT).with_suffix("").parts)
    scenarios = [
        Scenario(module, node.name, _one_paragraph(ast.get_docstring(node) or ""))
        for node in tree.body
        if isinstance(node, ast.FunctionDef) and node.name.startswith("test_")
    ]
    return Chapter(path, title.rstrip("."), summary, scenarios)


def heading(function: str) -> str:
    """A scenario's heading from its function's name, as written English."""
    words = [_WORDS.get(word, word) for word in function.removeprefix("test_").split("_")]
    text = " ".join(words)
    return text[:1].upper() + text[1:]


def chapter_number(path: Path) -> int:
    """A chapter's number, from its file's name: test_NN_….py."""
    return int(path.name[5:7])


def chapter_files() -> list[Path]:
    return sorted(CHAPTERS.glob("test_[0-9][0-9]_*.py"))


def part_of(path: Path) -> str:
    """The part a chapter belongs to (ValueError for a number no part holds)."""
    number = chapter_number(path)
    for part, numbers in PARTS:
        if number in numbers:
            return part
    raise ValueError(f"{path.name}: chapter {number} is in no part of PARTS")


def scenario_id(path: Path, function: str) -> str:
    """The scenario's pytest node id, as the catalogue names killers."""
    return f"{path.relative_to(ROOT).as_posix()}::{function}"


def killed_by(scenario: str, mistakes: tuple[Mistake, ...] = MISTAKES) -> list[str]:
    """Names of the mistakes that name `scenario` among their killers ([params] ignored)."""
    return [m.name for m in mistakes if scenario in (k.split("[")[0] for k in m.killers)]


def render_mistakes(mistakes: tuple[Mistake, ...] = MISTAKES) -> list[str]:
    lines = [
        "",
        "## The catalogue",
        "",
        "Each mistake, the file it is planted in, and the claim it breaks.",
        "",
    ]
    for m in mistakes:
        why = f" Equivalent, not planted: {m.equivalent}" if m.equivalent else ""
        lines.append(f"- `{m.name}` in `{m.file}` — {m.claim}{why}")
    return lines


def read_results(junit: Path) -> dict[tuple[str, str], str]:
    """(module, function) -> passed / failed / skipped, parametrized cases folded together (the worst stands)."""
    return worst_outcomes(
        parse_cases(junit.read_text(encoding="utf-8")), lambda case: (case.classname, case.name.split("[")[0])
    )


def _section_chapters() -> list[tuple[str, str, list[tuple[Path, Chapter]]]]:
    """(section, the folder's kind, [(path, chapter)]) in the documents' order."""
    chapters = [(path, read_chapter(path)) for path in chapter_files()]
    parts = [(part, "containers", [(p, c) for p, c in chapters if part_of(p) == part]) for part, _ in PARTS]
    unit = [(path, read_chapter(path)) for path in sorted(UNIT_TESTS.glob("test_*.py"))]
    return [*parts, (WITHOUT_AN_ENGINE, "unit", unit)]


def anchor(title: str) -> str:
    """The anchor a Markdown heading gets (GitHub's rule: lower case, no punctuation, dashes)."""
    kept = "".join(c for c in title.lower() if c.isalnum() or c in " -_")
    return kept.replace(" ", "-")


def _chapter_heading(path: Path, chapter: Chapter) -> str:
    appendix = path.parent == CHAPTERS and part_of(path) == APPENDICES
    return ("Appendix: " if appendix else "") + chapter.title


def render(results: dict[tuple[str, str], str] | None = None) -> str:
    """The specification: chapters and their scenarios' statements, for a learner to read."""
    marks = {"passed": "✅", "failed": "❌", "skipped": "⏭️"}
    lines = [
        "# Specification",
        "",
        "How containers, images, ports, networks, Compose and volumes behave, each claim",
        "proven by a scenario in `tests/`. Generated from the tests' docstrings by",
        "`make spec`; do not edit by hand. Which planted mistake each scenario kills, the proof",
        "that it can fail: [MISTAKES.md](MISTAKES.md).",
    ]
    for section, kind, chapters in _section_chapters():
        lines += ["", f"## {section}"]
        for path, chapter in chapters:
            where = path.relative_to(ROOT).as_posix()
            lines += ["", f"### {_chapter_heading(path, chapter)}", ""]
            if chapter.summary:
                lines += [chapter.summary, ""]
            # A chapter whose module fixture is a whole stack or cluster: one for the session, not one per worker.
            workers = "PYTEST_WORKERS=0 " if any(m in path.read_text() for m in ONE_SESSION_FIXTURE) else ""
            command = (
                f"make test {workers}PYTEST_ARGS={where}" if kind == "containers" else f"make unit PYTEST_ARGS={where}"
            )
            lines += [f"[`{where}`](../{where}) · run it alone: `{command}`", ""]
            for scenario in chapter.scenarios:
                mark = ""
                if results is not None:
                    mark = marks.get(results.get((scenario.module, scenario.name), ""), "❔") + " "
                statement = f" — {scenario.statement}" if scenario.statement else ""
                kills = killed_by(scenario_id(chapter.path, scenario.name))
                proof = ""
                if kills:
                    mistakes = "mistake" if len(kills) == 1 else "mistakes"
                    target = anchor(_chapter_heading(path, chapter))
                    proof = f" ([{len(kills)} planted {mistakes}](MISTAKES.md#{target}))"
                lines.append(f"- {mark}**{heading(scenario.name)}**{statement}{proof}")
    return "\n".join(lines) + "\n"


def render_companion() -> str:
    """The companion: under each scenario, the planted mistakes it kills; then the catalogue."""
    lines = [
        "# Planted mistakes",
        "",
        "The proof that each scenario of the [specification](SPECIFICATION.md) can fail: a small",
        "wrong change to the system that makes it fail. `make mutate` plants each mistake in a",
        "scratch copy of the project and fails if the scenarios named for it still pass. Generated",
        "by `make spec`; do not edit by hand.",
    ]
    for section, _, chapters in _section_chapters():
        lines += ["", f"## {section}"]
        for path, chapter in chapters:
            lines += ["", f"### {_chapter_heading(path, chapter)}", ""]
            for scenario in chapter.scenarios:
                scenario_key = scenario_id(chapter.path, scenario.name)
                kills = killed_by(scenario_key)
                if kills:
                    names = ", ".join(f"`{name}`" for name in kills)
                    lines.append(f"- **{heading(scenario.name)}** kills {names}")
                elif scenario_key in DOCKER_BEHAVIOUR:
                    lines.append(
                        f"- **{heading(scenario.name)}**: Docker's own behaviour, no mistake of ours can break it:"
                        f" {DOCKER_BEHAVIOUR[scenario_key]}"
                    )
    lines += render_mistakes()
    return "\n".join(lines) + "\n"


def _current(path: Path, text: str) -> bool:
    return path.exists() and path.read_text(encoding="utf-8") == text


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--check", action="store_true", help="fail if the document is out of date")
    parser.add_argument("--results", type=Path, help="a JUnit XML report: print the specification with results")
    args = parser.parse_args(argv)
    if args.results:
        try:
            results = read_results(args.results)
        except OSError as error:
            parser.error(f"--results {args.results}: {error.strerror} (`make test` writes reports/junit.xml)")
        except ET.ParseError as error:
            parser.error(f"--results {args.results}: not a whole JUnit report ({error})")
        sys.stdout.write(render(results))
        return 0
    documents = {DOCUMENT: render(), COMPANION: render_companion()}
    if args.check:
        stale = [
            path for path, text in documents.items() if not path.exists() or path.read_text(encoding="utf-8") != text
        ]
        for path in stale:
            print(f"{path.relative_to(ROOT)} is out of date: run `make spec`", file=sys.stderr)
        return 1 if stale else 0
    for path, text in documents.items():
        path.write_text(text, encoding="utf-8")
        print(f"wrote {path.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
