"""The load of the scenarios that serve through a fault (tests/support/load.py), against a tiny
HTTP server in this process: what it waits for, and that it stops however the body ends."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from tests.support.load import Load
from tests.support.waiting import ConditionTimeoutError


@pytest.fixture
def url(http_server: Callable[..., str]) -> str:
    return http_server(200, "ok") + "/"


def test_the_load_serves_before_and_after_the_body_and_stops_with_it(url: str) -> None:
    with Load(url, clients=2, seconds=60, timeout=5) as load:
        load.wait_answered(20)
        answered = len(load.answers())
        load.wait_more(20, after="the body")
    assert not load.sending
    assert len(load.answers()) >= answered + 20
    assert {answer.status for answer in load.answers()} == {200}


def test_the_load_stops_when_the_body_fails(url: str) -> None:
    load = Load(url, clients=1, seconds=60, timeout=5)
    with pytest.raises(ConditionTimeoutError, match="100000 more answers after the fault"), load:
        load.wait_more(100000, after="the fault", timeout=0.5)
    assert not load.sending
