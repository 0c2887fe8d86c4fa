"""A container's health check as the engine runs it: how often, and when it first probed."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

NANOSECONDS = 1_000_000_000


def _moment(stamp: str) -> datetime:
    """The engine's RFC 3339 time stamps carry nanoseconds; Python reads up to microseconds."""
    return datetime.fromisoformat(re.sub(r"(\.\d{6})\d*", r"\1", stamp).replace("Z", "+00:00"))


def seconds_between_probes(attrs: dict[str, Any]) -> tuple[float, float]:
    """(interval once healthy, interval while starting) of a container's or an image's check."""
    check = (attrs.get("Config") or attrs["ContainerConfig"])["Healthcheck"]
    return check.get("Interval", 0) / NANOSECONDS, check.get("StartInterval", 0) / NANOSECONDS


def earliest_probe_after_start(attrs: dict[str, Any]) -> float:
    """Seconds from the container's start to the earliest health probe the engine still
    keeps (it keeps the last five): the first one, for a container asked soon after it
    became healthy."""
    state = attrs["State"]
    probes = state["Health"]["Log"]
    assert probes, "the engine ran no health probe yet"
    return (_moment(probes[0]["Start"]) - _moment(state["StartedAt"])).total_seconds()
