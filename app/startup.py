"""Waiting for the database at start: a bounded retry with capped exponential backoff."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import Protocol

from sqlalchemy.exc import SQLAlchemyError
from tenacity import RetryCallState, Retrying, retry_if_exception_type, stop_after_delay, wait_exponential

from app.schema import SchemaNotReadyError

log = logging.getLogger(__name__)

# Waited out: the database down or starting, or up but not yet migrated.
_NOT_YET = (SQLAlchemyError, SchemaNotReadyError)


class RetrySettings(Protocol):
    """The settings of the wait (the webapp's and the migrate command's have them)."""

    @property
    def db_startup_deadline(self) -> float: ...
    @property
    def db_retry_initial_delay(self) -> float: ...
    @property
    def db_retry_max_delay(self) -> float: ...
    @property
    def database_description(self) -> str: ...


def describe_error(error: BaseException) -> str:
    """The first line of a database error: what failed, without SQLAlchemy's boilerplate."""
    original = getattr(error, "orig", None) or error
    first_line = str(original).strip().splitlines()[0] if str(original).strip() else ""
    return f"{type(original).__name__}: {first_line}" if first_line else type(original).__name__


def _log_attempt(state: RetryCallState) -> None:
    if state.outcome is None or not state.outcome.failed:
        return
    error = state.outcome.exception()
    assert error is not None
    log.warning(
        "database not ready (attempt %d, %.1fs elapsed): %s",
        state.attempt_number,
        state.seconds_since_start or 0.0,
        describe_error(error),
    )


def wait_for_database(
    prepare: Callable[[], None],
    settings: RetrySettings,
    *,
    sleep: Callable[[float], None] = time.sleep,
) -> bool:
    """Call `prepare` until it succeeds or the deadline passes; True when it succeeded.

    Each failed attempt logs one line naming what failed. Past the deadline the
    caller keeps serving (answering "database unavailable") rather than hanging.
    """
    retrying = Retrying(
        retry=retry_if_exception_type(_NOT_YET),
        stop=stop_after_delay(settings.db_startup_deadline),
        wait=wait_exponential(
            multiplier=settings.db_retry_initial_delay,
            min=settings.db_retry_initial_delay,
            max=settings.db_retry_max_delay,
        ),
        after=_log_attempt,
        sleep=sleep,
        reraise=True,
    )
    started = time.monotonic()
    try:
        retrying(prepare)
    except _NOT_YET as error:
        log.error(
            "database still unavailable after %.1fs (deadline %gs): %s",
            time.monotonic() - started,
            settings.db_startup_deadline,
            describe_error(error),
        )
        return False
    log.info("database at %s ready after %.2fs", settings.database_description, time.monotonic() - started)
    return True


def wait_in_background(prepare: Callable[[], None], settings: RetrySettings) -> threading.Thread:
    """Wait for the database without blocking the server: /healthz answers meanwhile."""
    thread = threading.Thread(target=wait_for_database, args=(prepare, settings), name="wait-for-database", daemon=True)
    thread.start()
    return thread
