"""A bounded load on one URL: N clients, each sending requests one after the other.

A scenario that serves through a fault reads:

    with Load(url, clients=2, seconds=150) as load:
        load.wait_answered(20)                  # serving before the fault
        ...the fault, and the wait for its healing...
        load.wait_more(20, after="the healing")  # and serving after it
    answers = load.answers()                    # stopped however the body ended
"""

from __future__ import annotations

import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from types import TracebackType

import requests

from tests.support.waiting import wait_until


@dataclass(frozen=True)
class Answer:
    started: float  # time.monotonic() when the request was sent
    seconds: float
    status: int | None  # None: no HTTP answer (refused, reset, cut short, timed out)
    body: str = ""
    headers: dict[str, str] = field(default_factory=dict)


class Load:
    """`clients` clients on `url`, in threads, until `seconds` have passed or `stop()`."""

    def __init__(self, url: str, *, clients: int, seconds: float, timeout: float = 30) -> None:
        self._url = url
        self._timeout = timeout
        self._until = time.monotonic() + seconds
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._answers: list[Answer] = []
        self._threads = [threading.Thread(target=self._client, daemon=True) for _ in range(clients)]
        for thread in self._threads:
            thread.start()

    def _client(self) -> None:
        with requests.Session() as session:
            while time.monotonic() < self._until and not self._stop.is_set():
                started = time.monotonic()
                try:
                    response = session.get(self._url, timeout=self._timeout)
                    answer = Answer(
                        started, time.monotonic() - started, response.status_code, response.text, dict(response.headers)
                    )
                except requests.RequestException:
                    answer = Answer(started, time.monotonic() - started, None)
                    session.close()  # a broken keep-alive connection is not reused
                with self._lock:
                    self._answers.append(answer)

    @property
    def sending(self) -> bool:
        """Whether a client still sends (or waits for an answer)."""
        return any(thread.is_alive() for thread in self._threads)

    def answers(self) -> list[Answer]:
        """The answers so far, in the order their requests were sent."""
        with self._lock:
            return sorted(self._answers, key=lambda answer: answer.started)

    def count(self, status: int | None) -> int:
        return sum(1 for answer in self.answers() if answer.status == status)

    def wait_answered(self, pages: int, timeout: float = 30) -> None:
        """Wait until `pages` requests have been answered 200."""
        wait_until(lambda: self.count(200) >= pages, timeout=timeout, what=f"{pages} pages answered")

    def wait_more(self, answers: int, *, after: str, timeout: float = 30) -> None:
        """Wait for `answers` more answers (of any status) than there are now, `after` what."""
        served = len(self.answers())
        wait_until(
            lambda: len(self.answers()) >= served + answers,
            timeout=timeout,
            what=f"{answers} more answers after {after}",
        )

    def run_out(self) -> list[Answer]:
        """Let the clients go on until their `seconds` have passed; return every answer."""
        for thread in self._threads:
            thread.join(timeout=max(0.0, self._until - time.monotonic()) + self._timeout + 5)
        assert not any(thread.is_alive() for thread in self._threads), "a client outlived its request timeout"
        return self.answers()

    def stop(self) -> list[Answer]:
        """Stop sending, wait for the requests in flight, return every answer."""
        self._stop.set()
        for thread in self._threads:
            thread.join(timeout=self._timeout + 5)
        return self.answers()

    def __enter__(self) -> Load:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, traceback: TracebackType | None
    ) -> None:
        self.stop()


# What pytest's record_testsuite_property fixture is: a figure in the JUnit report (record_property
# is not in the xunit2 format the suite writes).
RecordProperty = Callable[[str, object], None]


def report(record: RecordProperty, scenario: str, answers: list[Answer], **more: int) -> Counter[int | None]:
    """Requests sent, answered 200 and failed (and `more` figures): in the JUnit report (a
    property of the test suite, e.g. `rolling_update.sent`) and on the terminal (-s)."""
    statuses = Counter(answer.status for answer in answers)
    figures = {"sent": len(answers), "answered_200": statuses[200], "failed": len(answers) - statuses[200], **more}
    for key, value in figures.items():
        record(f"{scenario.replace(' ', '_')}.{key}", value)
    print(f"\n{scenario}: " + ", ".join(f"{value} {key.replace('_', ' ')}" for key, value in figures.items()))
    return statuses
