"""Retry on startup: bounded, with capped exponential backoff, one log line per attempt."""

from __future__ import annotations

import logging
import time

import pytest
from sqlalchemy.exc import OperationalError

from app.config import load_settings
from app.startup import describe_error, wait_for_database


def _settings(**overrides: str) -> object:
    return load_settings({"POSTGRES_PASSWORD": "x", **overrides})


def _refused() -> OperationalError:
    return OperationalError("SELECT 1", {}, Exception('connection to server at "db" failed: Connection refused'))


def test_it_retries_until_the_database_answers(caplog: pytest.LogCaptureFixture) -> None:
    attempts: list[int] = []
    sleeps: list[float] = []

    def prepare() -> None:
        attempts.append(1)
        if len(attempts) < 4:
            raise _refused()

    caplog.set_level(logging.INFO, logger="app.startup")
    settings = _settings(DB_RETRY_INITIAL_DELAY="0.1", DB_RETRY_MAX_DELAY="0.3", DB_STARTUP_DEADLINE="60")
    assert wait_for_database(prepare, settings, sleep=sleeps.append) is True  # type: ignore[arg-type]

    assert len(attempts) == 4
    # Exponential from the initial delay, capped at the maximum.
    assert sleeps == pytest.approx([0.1, 0.2, 0.3])
    failures = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert len(failures) == 3
    assert all("Connection refused" in line for line in failures)
    assert failures[0].startswith("database not ready (attempt 1,")
    assert "database at postgresql+psycopg2://postgres:***@db:5432/postgres ready after" in caplog.text


def test_it_gives_up_at_the_deadline_instead_of_hanging(caplog: pytest.LogCaptureFixture) -> None:
    def prepare() -> None:
        raise _refused()

    settings = _settings(DB_RETRY_INITIAL_DELAY="0.01", DB_RETRY_MAX_DELAY="0.05", DB_STARTUP_DEADLINE="0.3")
    started = time.monotonic()
    assert wait_for_database(prepare, settings) is False  # type: ignore[arg-type]
    elapsed = time.monotonic() - started

    assert 0.3 <= elapsed < 1.0
    assert "database still unavailable" in caplog.text


def test_an_error_that_is_not_about_the_database_is_not_retried() -> None:
    def prepare() -> None:
        raise RuntimeError("a bug")

    with pytest.raises(RuntimeError):
        wait_for_database(prepare, _settings(), sleep=lambda _: None)  # type: ignore[arg-type]


def test_errors_are_described_by_their_first_line() -> None:
    error = OperationalError("SELECT 1", {}, Exception("first line\nDETAIL: more"))
    assert describe_error(error) == "Exception: first line"
