"""A container's health check as the engine runs it: how often, and when it first probed."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

NANOSECONDS = 1_000_000_000


def _moment(stamp: str) -> datetime:
    """The engine's RFC 3339 time stamps carry up to nine digits of a second (trailing zeros
    left out); Python 3.10 reads exactly six."""
    six_digits = re.sub(r"\.(\d+)", lambda fraction: "." + fraction.group(1)[:6].ljust(6, "0"), stamp)
    return datetime.fromisoformat(six_digits.replace("Z", "+00:00"))


def seconds_between_probes(attrs: dict[str, Any]) -> tuple[float, float]:
    """(interval once healthy, interval while starting) of a container's or an image's check."""
    check = (attrs.get("Config") or attrs["ContainerConfig"])["Healthcheck"]
    return check.get("Interval", 0) / NANOSECONDS, check.get("StartInterval", 0) / NANOSECONDS


# The engine keeps the results of a container's last five probes.
KEPT_PROBES = 5


def probes_after_start(attrs: dict[str, Any]) -> list[float]:
    """Seconds from the container's start to each health probe the engine still keeps."""
    state = attrs["State"]
    started = _moment(state["StartedAt"])
    return [(_moment(probe["Start"]) - started).total_seconds() for probe in state["Health"]["Log"]]
