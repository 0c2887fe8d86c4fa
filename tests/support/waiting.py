"""Waiting on a condition with a deadline: the suite's only way to synchronise."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TypeVar

import requests
from docker.errors import APIError, NotFound
from testcontainers.core import wait_strategies
from testcontainers.core.waiting_utils import WaitStrategyTarget

T = TypeVar("T")

POLL_INTERVAL = 0.1


class ConditionTimeoutError(AssertionError):
    pass


def wait_until(
    probe: Callable[[], T | None],
    *,
    timeout: float,
    what: str,
    interval: float = POLL_INTERVAL,
) -> T:
    """Call `probe` until it returns something other than None or False; fail after `timeout` s.

    An exception from `probe` means "not yet" (a server still starting refuses
    connections), except an AssertionError: a failed check is a result, never retried.
    """
    deadline = time.monotonic() + timeout
    last_error: Exception | None = None
    while True:
        try:
            result = probe()
            if result is not None and result is not False:
                return result
        except AssertionError:
            raise
        except Exception as error:  # the condition may raise while it is not yet true
            last_error = error
        if time.monotonic() >= deadline:
            detail = f" (last error: {last_error!r})" if last_error else ""
            raise ConditionTimeoutError(f"timed out after {timeout:g}s waiting for {what}{detail}")
        time.sleep(interval)


def wait_for_http(
    url: str,
    *,
    timeout: float = 60,
    status: int = 200,
) -> requests.Response:
    """GET `url` until it answers `status`; return that response."""

    def probe() -> requests.Response | None:
        response = requests.get(url, timeout=5)
        if response.status_code == status:
            return response
        return None

    return wait_until(probe, timeout=timeout, what=f"{url} to answer {status}")


class ExecWaitStrategy(wait_strategies.ExecWaitStrategy):
    """testcontainers' ExecWaitStrategy, failing at once when the container stops running (as
    its LogMessageWaitStrategy does) instead of running the command until the timeout."""

    def wait_until_ready(self, container: WaitStrategyTarget) -> None:
        wrapped = container.get_wrapped_container()
        command = " ".join(self._command)
        deadline = time.monotonic() + self._startup_timeout
        last = ""
        while True:
            try:
                result = wrapped.exec_run(self._command)
                if result.exit_code == self._expected_exit_code:
                    return
                last = f"exit code {result.exit_code}: {result.output.decode(errors='replace').strip()}"
            except (APIError, requests.RequestException) as error:  # stopped meanwhile, or the engine was slow
                last = str(error)
            try:
                wrapped.reload()
            except NotFound:
                raise RuntimeError(f"the container was removed before `{command}` succeeded") from None
            if wrapped.status not in ("created", "running"):
                state = wrapped.attrs["State"]
                logs = wrapped.logs(tail=20).decode(errors="replace")
                raise RuntimeError(
                    f"the container is no longer running (status {wrapped.status}, exit code "
                    f"{state.get('ExitCode')}{', ' + state['Error'] if state.get('Error') else ''}) before "
                    f"`{command}` succeeded; last attempt: {last}\nits last log lines:\n{logs}"
                )
            if time.monotonic() > deadline:
                raise TimeoutError(f"`{command}` did not succeed within {self._startup_timeout:g}s ({last})")
            time.sleep(self._poll_interval)
