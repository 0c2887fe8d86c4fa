"""HTTP load with wrk (Debian's package): requests per second and latency percentiles."""

from __future__ import annotations

import re
import shutil
import subprocess
from dataclasses import dataclass

_UNITS = {"us": 1e-3, "ms": 1.0, "s": 1e3, "m": 60e3}


@dataclass(frozen=True)
class LoadResult:
    requests_per_second: float
    p50_ms: float | None
    p99_ms: float | None
    completed: int
    errors: int  # non-2xx answers, socket errors and timeouts


def ensure_wrk() -> str:
    """The wrk binary; installed from Debian's packages when missing (as root)."""
    found = shutil.which("wrk")
    if found:
        return found
    subprocess.run(["apt-get", "update", "-qq"], check=True)
    subprocess.run(
        ["apt-get", "install", "-y", "-qq", "wrk"],
        check=True,
        env={"DEBIAN_FRONTEND": "noninteractive", "PATH": "/usr/sbin:/usr/bin:/sbin:/bin"},
    )
    found = shutil.which("wrk")
    if not found:
        raise SystemExit("bench: wrk is not installed and could not be installed (apt-get install wrk)")
    return found


def _milliseconds(text: str) -> float:
    number, unit = re.fullmatch(r"([\d.]+)(us|ms|s|m)", text).groups()  # type: ignore[union-attr]
    return float(number) * _UNITS[unit]


def parse(output: str) -> LoadResult:
    """wrk's report (with --latency) as figures."""
    rps = re.search(r"Requests/sec:\s+([\d.]+)", output)
    completed = re.search(r"(\d+) requests in", output)
    p50 = re.search(r"^\s+50%\s+(\S+)", output, flags=re.MULTILINE)
    p99 = re.search(r"^\s+99%\s+(\S+)", output, flags=re.MULTILINE)
    non_2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    socket = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", output)
    count = int(completed.group(1)) if completed else 0
    return LoadResult(
        requests_per_second=float(rps.group(1)) if rps else 0.0,
        p50_ms=_milliseconds(p50.group(1)) if p50 and count else None,
        p99_ms=_milliseconds(p99.group(1)) if p99 and count else None,
        completed=count,
        errors=(int(non_2xx.group(1)) if non_2xx else 0) + (sum(map(int, socket.groups())) if socket else 0),
    )


def run_load(url: str, *, connections: int, seconds: float, wrk: str = "wrk") -> LoadResult:
    """`connections` clients asking for `url` as fast as they can for `seconds`."""
    command = [wrk, "-t1", f"-c{connections}", f"-d{max(1, round(seconds))}s", "--latency", "--timeout", "30s", url]
    result = subprocess.run(command, capture_output=True, text=True, check=True, timeout=seconds + 60)
    return parse(result.stdout)
