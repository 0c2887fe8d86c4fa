"""The replica watch of the Swarm chapters (tests/support/replicas.py): the fewest replicas seen
while a scenario acts, counted in a thread, with an engine slow to answer costing a sample."""

from __future__ import annotations

import itertools

import pytest

from tests.support.replicas import ReplicaWatch
from tests.support.waiting import wait_until


def test_the_watch_gives_the_fewest_replicas_it_counted_and_skips_a_count_that_failed() -> None:
    counts = itertools.chain([3, None, 2, 3], itertools.repeat(3))
    calls = []

    def count() -> int:
        calls.append(1)
        value = next(counts)
        if value is None:
            raise TimeoutError("the manager did not answer")
        return value

    watch = ReplicaWatch(count, (TimeoutError,), "the webapp's tasks", interval=0.01)
    wait_until(lambda: len(calls) >= 6 or not watch.counting, timeout=10, what="six counts, or the watch ended")
    assert watch.counting
    assert watch.stop() == 2
    assert watch.counts[:3] == [3, 2, 3]


def test_a_watch_that_never_counted_says_what_it_was_counting() -> None:
    def count() -> int:
        raise TimeoutError("the manager did not answer")

    watch = ReplicaWatch(count, (TimeoutError,), "the webapp's tasks", interval=0.01)
    with pytest.raises(AssertionError, match="the webapp's tasks were never counted"):
        watch.stop()


def test_a_watch_ended_by_an_unexpected_failure_gives_no_fewest() -> None:
    """A count that fails for another reason than a slow answer ends the watch: its fewest
    would be the fewest of a part of the scenario only, so stop() raises instead."""
    counts = iter([3, 3])

    def count() -> int:
        return next(counts)  # then StopIteration: a bug of the count, not a slow manager

    watch = ReplicaWatch(count, (TimeoutError,), "the webapp's tasks", interval=0.01)
    wait_until(lambda: not watch.counting, timeout=10, what="the watch to end")
    with pytest.raises(AssertionError, match="counting the webapp's tasks failed"):
        watch.stop()
