"""The gate's chart (docs/gate-stages.svg) is drawn from the recorded figures, never by hand."""

from __future__ import annotations

import re

from tests.tools import gate_chart


def test_the_committed_chart_is_drawn_from_the_recorded_figures() -> None:
    """`make gate-chart` redraws it after a new row in docs/gate-figures.csv."""
    assert gate_chart.main(["--check"]) == 0


def test_each_bar_is_as_long_as_its_stage_took() -> None:
    runs = [gate_chart.Run("a", "d", "w", (60, 120, 0, 0, 0)), gate_chart.Run("b", "d", "w", (0, 0, 600, 0, 0))]
    widths = [float(w) for w in re.findall(r'<rect x="[\d.]+" y="\d+" width="([\d.]+)"', gate_chart.render(runs))]
    rehearsal, test, mutate = widths[0], widths[1], widths[7]
    assert abs(test / rehearsal - 2) < 0.05
    assert abs(mutate / rehearsal - 10) < 0.05
