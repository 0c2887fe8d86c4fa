"""docs/gate-stages.svg: the gate's stages, one bar per measured run, drawn from docs/gate-figures.csv.

    python -m tests.tools.gate_chart            # rewrite the picture from the figures
    python -m tests.tools.gate_chart --check    # fail if the picture is not the figures' (a unit test runs it)

Each row of the CSV is a run of `.ci/run` measured from a clean clone: its commit, date, what
changed, and each stage's seconds. A stage reused from the store (tests/mutations/stages.py)
counts the seconds it took to say so.
"""

from __future__ import annotations

import argparse
import csv
import sys
from dataclasses import dataclass
from html import escape
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
FIGURES = ROOT / "docs" / "gate-figures.csv"
PICTURE = ROOT / "docs" / "gate-stages.svg"
STAGES = ("rehearsal", "make test", "make mutate", "bench smoke", "tox")
COLOURS = ("#8c6bb1", "#2b8cbe", "#e34a33", "#31a354", "#fdae6b")
# CI's hard limit and the budget of a cold run, in minutes: the chart's two lines.
LIMITS = ((90, "CI's hard limit"), (40, "the budget of a cold run"))
WIDTH, LABEL, ROW, TOP = 900, 330, 28, 40


@dataclass(frozen=True)
class Run:
    commit: str
    date: str
    what: str
    seconds: tuple[int, ...]

    @property
    def total(self) -> int:
        return sum(self.seconds)


def read_figures(path: Path = FIGURES) -> list[Run]:
    with path.open(newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    return [Run(r["commit"], r["date"], r["what changed"], tuple(int(r[s]) for s in STAGES)) for r in rows]


def render(runs: list[Run]) -> str:
    scale_minutes = max([*(r.total / 60 for r in runs), *(m for m, _ in LIMITS)]) * 1.05
    per_minute = (WIDTH - LABEL - 20) / scale_minutes
    height = TOP + ROW * len(runs) + 60
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{height}" '
        f'font-family="sans-serif" font-size="12">',
        '<rect width="100%" height="100%" fill="white"/>',
        '<text x="10" y="20" font-size="14">The gate\'s stages over the commits that changed them (minutes, '
        "from a clean clone)</text>",
    ]
    for i, run in enumerate(runs):
        y = TOP + i * ROW
        parts.append(f'<text x="10" y="{y + 17}">{escape(run.commit)} {escape(run.what)}</text>')
        x = float(LABEL)
        for seconds, colour, stage in zip(run.seconds, COLOURS, STAGES, strict=True):
            width = seconds / 60 * per_minute
            parts.append(
                f'<rect x="{x:.1f}" y="{y + 4}" width="{width:.1f}" height="{ROW - 8}" fill="{colour}">'
                f"<title>{escape(stage)}: {seconds} s</title></rect>"
            )
            x += width
        parts.append(f'<text x="{x + 4:.1f}" y="{y + 17}">{run.total / 60:.0f}</text>')
    bottom = TOP + ROW * len(runs)
    for minutes, label in LIMITS:
        x = LABEL + minutes * per_minute
        parts.append(f'<line x1="{x:.1f}" y1="{TOP}" x2="{x:.1f}" y2="{bottom}" stroke="black" stroke-dasharray="4"/>')
        parts.append(f'<text x="{x - 4:.1f}" y="{bottom + 14}" text-anchor="end">{minutes} min: {escape(label)}</text>')
    legend_y = bottom + 40
    x = 10.0
    for stage, colour in zip(STAGES, COLOURS, strict=True):
        parts.append(f'<rect x="{x}" y="{legend_y - 10}" width="12" height="12" fill="{colour}"/>')
        parts.append(f'<text x="{x + 16}" y="{legend_y}">{escape(stage)}</text>')
        x += 130
    parts.append("</svg>")
    return "\n".join(parts) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.tools.gate_chart", description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="fail if the picture is stale")
    args = parser.parse_args(argv)
    picture = render(read_figures())
    if args.check:
        if not PICTURE.exists() or PICTURE.read_text(encoding="utf-8") != picture:
            print(f"{PICTURE.relative_to(ROOT)} is not drawn from {FIGURES.relative_to(ROOT)}: run make gate-chart")
            return 1
        return 0
    PICTURE.write_text(picture, encoding="utf-8")
    print(f"wrote {PICTURE.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
