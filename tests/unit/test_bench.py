"""The benchmark's own parts (no engine): reading wrk's report, and the targets' verdicts."""

from __future__ import annotations

from bench.report import Figures, in_turns_figure, render
from bench.wrk import parse

WRK_OUTPUT = """Running 5s test @ http://127.0.0.1:8080/
  1 threads and 8 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency    14.21ms    5.02ms  60.10ms   80.64%
    Req/Sec   578.20     40.10   650.00     72.00%
  Latency Distribution
     50%   12.70ms
     75%   15.07ms
     90%   20.08ms
     99%   41.40ms
  2891 requests in 5.00s, 12.77MB read
  Socket errors: connect 0, read 1, write 0, timeout 2
  Non-2xx or 3xx responses: 3
Requests/sec:    578.19
Transfer/sec:      2.55MB
"""


def test_wrk_figures_are_read_with_their_units_and_every_kind_of_error() -> None:
    result = parse(WRK_OUTPUT)
    assert (result.requests_per_second, result.p50_ms, result.p99_ms) == (578.19, 12.7, 41.4)
    assert (result.completed, result.errors) == (2891, 6)


def test_a_run_that_completed_nothing_has_no_latency() -> None:
    result = parse("  0 requests in 5.00s, 0B read\nRequests/sec:      0.00\n")
    assert (result.requests_per_second, result.p50_ms, result.p99_ms) == (0.0, None, None)


def _figures(ours_10k: float) -> Figures:
    figures = Figures()
    for name, tutorial, ours in [
        ("GET / 10,000 rows, 8 conn: req/s", 50.0, ours_10k),
        ("GET / 0 rows, 8 conn: req/s", 140.0, 500.0),
        ("GET /healthz, 8 conn: req/s (the server's ceiling)", None, 1000.0),
        ("GET / 0 rows, 8 conn: p99 ms", 100.0, 40.0),
        ("GET / 10,000 rows, 8 conn: p99 ms", 200.0, 44.0),
    ]:
        figures.record(name, "tutorial", tutorial)
        figures.record(name, "ours", ours)
    figures.count_check = (10_012, 10_012)
    return figures


def test_each_target_is_judged_and_a_missed_one_says_why() -> None:
    report = render(_figures(ours_10k=400.0), plan_text="test", machine="test", rows=(0, 10_000))

    assert "| 1. `GET /` at 10,000 rows, 8 connections: at least 10x the tutorial's | 8.00x | no |" in report
    assert "| 50% (500 of 1,000 req/s) | yes |" in report
    assert "| 1.10x (44.0 vs 40.0 ms); shown 10,012, counted 10,012 | yes |" in report
    assert "Target 1 is bounded by" in report
    assert "Target 2 compares" not in report


def test_a_met_target_gives_no_excuse() -> None:
    report = render(_figures(ours_10k=600.0), plan_text="test", machine="test", rows=(0, 10_000))
    assert "| 12.0x | yes |" in report
    assert "Target 1 is bounded by" not in report


def test_target_1_is_read_from_the_measurement_in_turns_when_there_is_one() -> None:
    """One stack after the other gave 8x on a drifting machine; in turns, 11x: the turns decide."""
    figures = _figures(ours_10k=400.0)
    figures.record(in_turns_figure(10_000), "tutorial", 50.0)
    figures.record(in_turns_figure(10_000), "ours", 550.0)
    report = render(figures, plan_text="test", machine="test", rows=(0, 10_000))
    assert "| 1. `GET /` at 10,000 rows, 8 connections: at least 10x the tutorial's | 11.0x | yes |" in report


def test_the_resource_targets_judge_rest_start_memory_stop_and_rebuild() -> None:
    figures = _figures(ours_10k=600.0)
    for name, tutorial, ours in [
        ("stack CPU at rest, % of a core", 0.1, 4.2),
        ("up (built images) to the page answering 200, s", 3.0, 3.9),
        ("webapp memory at rest, MiB", 30.0, 55.0),
        ("docker stop webapp, s", 10.1, 0.4),
        ("docker stop api, s", 10.1, 0.3),
        ("docker stop db, s", 0.1, 0.1),
        ("rebuild after a one-line code change, s", 2.4, 0.3),
    ]:
        figures.record(name, "tutorial", tutorial)
        figures.record(name, "ours", ours)

    report = render(figures, plan_text="test", machine="test", rows=(0, 10_000))

    assert "| 4.20% at rest; up in 3.9 s | no |" in report
    assert "Target 4 counts every health probe" in report
    assert "| webapp 55.0 vs 30.0 MiB; slowest stop 0.40 s; rebuild 0.30 s | yes |" in report
    assert "Target 5's memory part" not in report
