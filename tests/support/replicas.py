"""A count of a service's replicas taken over and over while a scenario acts (an update, a drain),
in a thread: the fewest seen says whether the service ever ran short."""

from __future__ import annotations

import threading
from collections.abc import Callable


class ReplicaWatch:
    """Calls `count` every `interval` seconds from the start to stop(). A call that raises one of
    `transient` (an engine or a manager slow to answer) costs a sample, not the watch."""

    def __init__(
        self,
        count: Callable[[], int],
        transient: tuple[type[BaseException], ...],
        what: str,
        interval: float = 0.2,
    ) -> None:
        self._count = count
        self._transient = transient
        self._what = what
        self._interval = interval
        self._stop = threading.Event()
        self.counts: list[int] = []
        self._failure: BaseException | None = None
        self._thread = threading.Thread(target=self._watch, name=f"watch {what}", daemon=True)
        self._thread.start()

    def _watch(self) -> None:
        while not self._stop.wait(self._interval):
            try:
                self.counts.append(self._count())
            except self._transient:
                continue
            except BaseException as failure:  # given to stop(): the fewest of a watch cut short proves nothing
                self._failure = failure
                return

    @property
    def counting(self) -> bool:
        """Whether the watch still counts (a count that raised anything but `transient` ends it)."""
        return self._thread.is_alive()

    def stop(self, timeout: float = 60) -> int:
        """Stop counting; the fewest seen. An AssertionError if none was ever counted; what ended
        the watch early if anything did."""
        self._stop.set()
        self._thread.join(timeout=timeout)
        if self._failure is not None:
            raise AssertionError(f"counting {self._what} failed") from self._failure
        assert self.counts, f"{self._what} were never counted"
        return min(self.counts)
