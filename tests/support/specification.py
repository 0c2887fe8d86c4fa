"""The specification as a document: every scenario by chapter, with its one-line statement.

    python -m tests.support.specification            # write docs/SPECIFICATION.md
    python -m tests.support.specification --check    # fail if docs/SPECIFICATION.md is stale
    python -m tests.support.specification --results reports/junit.xml   # print, with results

Chapters are the test modules (their docstrings), scenarios are the test functions
(their docstrings), read with `ast` so that no engine is needed. Under each scenario, the
planted mistakes of tests/mutations/catalogue.py it kills; at the end, the catalogue itself.
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

DOCUMENT = ROOT / "docs" / "SPECIFICATION.md"
SECTIONS = [
    ("With real containers", ROOT / "tests" / "containers"),
    ("Without an engine", ROOT / "tests" / "unit"),
]
# Chapters about the suite and the images rather than the tutorial's story: listed last.
APPENDICES = {"test_11_the_suite_cleans_up.py", "test_15_base_images.py"}
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


def _chapters(folder: Path) -> list[Path]:
    """The chapters in order, the appendices last."""
    paths = sorted(folder.glob("test_*.py"))
    return [p for p in paths if p.name not in APPENDICES] + [p for p in paths if p.name in APPENDICES]


def scenario_id(path: Path, function: str) -> str:
    """The scenario's pytest node id, as the catalogue names killers."""
    return f"{path.relative_to(ROOT).as_posix()}::{function}"


def killed_by(scenario: str, mistakes: tuple[Mistake, ...] = MISTAKES) -> list[str]:
    """Names of the mistakes that name `scenario` among their killers ([params] ignored)."""
    return [m.name for m in mistakes if scenario in (k.split("[")[0] for k in m.killers)]


def render_mistakes(mistakes: tuple[Mistake, ...] = MISTAKES) -> list[str]:
    lines = [
        "",
        "## Planted mistakes",
        "",
        "A scenario marked *kills* fails when that mistake is in the code: `make mutate` plants each",
        "mistake in a scratch copy of the project and fails if the scenarios named for it still pass.",
        "",
    ]
    for m in mistakes:
        why = f" Equivalent, not planted: {m.equivalent}" if m.equivalent else ""
        lines.append(f"- `{m.name}` in `{m.file}` — {m.claim}{why}")
    return lines


def read_results(junit: Path) -> dict[tuple[str, str], str]:
    """(module, function) -> passed / failed / skipped, parametrized cases folded together."""
    results: dict[tuple[str, str], str] = {}
    for case in ET.parse(junit).getroot().iter("testcase"):  # noqa: S314 (pytest's own report)
        key = (case.get("classname", ""), case.get("name", "").split("[")[0])
        if case.find("failure") is not None or case.find("error") is not None:
            outcome = "failed"
        elif case.find("skipped") is not None:
            outcome = "skipped"
        else:
            outcome = "passed"
        if results.get(key) != "failed":
            results[key] = outcome if results.get(key) in (None, "passed") else results[key]
    return results


def render(results: dict[tuple[str, str], str] | None = None) -> str:
    marks = {"passed": "✅", "failed": "❌", "skipped": "⏭️"}
    lines = [
        "# Specification",
        "",
        "How containers, images, ports, networks, Compose and volumes behave, each claim",
        "proven by a scenario in `tests/`. Generated from the tests' docstrings by",
        "`make spec`; do not edit by hand.",
    ]
    for section, folder in SECTIONS:
        lines += ["", f"## {section}"]
        for path in _chapters(folder):
            chapter = read_chapter(path)
            appendix = "Appendix: " if path.name in APPENDICES else ""
            where = path.relative_to(ROOT).as_posix()
            lines += ["", f"### {appendix}{chapter.title}", ""]
            if chapter.summary:
                lines += [chapter.summary, ""]
            # A chapter whose module fixture is a whole stack or cluster: one for the session, not one per worker.
            workers = "PYTEST_WORKERS=0 " if any(m in path.read_text() for m in ONE_SESSION_FIXTURE) else ""
            command = (
                f"make test {workers}PYTEST_ARGS={where}"
                if folder.name == "containers"
                else f"make unit PYTEST_ARGS={where}"
            )
            lines += [f"[`{where}`](../{where}) · run it alone: `{command}`", ""]
            for scenario in chapter.scenarios:
                mark = ""
                if results is not None:
                    mark = marks.get(results.get((scenario.module, scenario.name), ""), "❔") + " "
                title = heading(scenario.name)
                statement = f" — {scenario.statement}" if scenario.statement else ""
                lines.append(f"- {mark}**{title}**{statement}")
                scenario_key = scenario_id(chapter.path, scenario.name)
                kills = killed_by(scenario_key)
                if kills:
                    lines.append("  - kills: " + ", ".join(f"`{name}`" for name in kills))
                elif scenario_key in DOCKER_BEHAVIOUR:
                    lines.append(
                        f"  - Docker's own behaviour, no mistake of ours can break it: {DOCKER_BEHAVIOUR[scenario_key]}"
                    )
    lines += render_mistakes()
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--check", action="store_true", help="fail if the document is out of date")
    parser.add_argument("--results", type=Path, help="a JUnit XML report: print the specification with results")
    args = parser.parse_args(argv)
    if args.results:
        sys.stdout.write(render(read_results(args.results)))
        return 0
    text = render()
    if args.check:
        if not DOCUMENT.exists() or DOCUMENT.read_text(encoding="utf-8") != text:
            print(f"{DOCUMENT.relative_to(ROOT)} is out of date: run `make spec`", file=sys.stderr)
            return 1
        return 0
    DOCUMENT.write_text(text, encoding="utf-8")
    print(f"wrote {DOCUMENT.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
