"""How long each chapter takes alone, on images already built: the README's chapter table.

    python -m tests.tools.chapter_times           # run each chapter alone; rewrite the column
    python -m tests.tools.chapter_times 7 19      # only these chapters

Each chapter runs in a session of its own, as `make test PYTEST_ARGS=<its file>` runs it but with
one worker per core (`make test` adds one), after one session that builds the images, so a time
is what a person waits for one chapter once the images exist. The rehearsal (22, minutes, and
root) is left out: its time is in docs/prerequisites.md. The time is written into the README's
table, in the column "alone"; the CPU-seconds the machine spent meanwhile (all cores, containers
included) are printed beside it.
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import time
from pathlib import Path

from tests.support.environment import ROOT

README = ROOT / "README.md"
CHAPTERS = ROOT / "tests" / "containers"
NOT_TIMED = {
    19: "three nodes: minutes, the second session of `make test`",
    22: "the rehearsal: see docs/prerequisites.md",
}
# A row of the README's chapter table: | 7 | The database | what it shows | 12 s |
_ROW = re.compile(r"^\| (\d+) \| (.+?) \| (.+?) \| ([^|]*) \|$")


def chapter_files(numbers: list[int]) -> dict[int, Path]:
    found = {int(p.name[5:7]): p for p in sorted(CHAPTERS.glob("test_[0-9][0-9]_*.py"))}
    return {n: p for n, p in found.items() if (not numbers or n in numbers) and n not in NOT_TIMED}


def cpu_seconds() -> float:
    """CPU time the whole machine has spent busy (all cores, containers included), from /proc/stat."""
    user, nice, system, _idle, _iowait, irq, softirq, steal = map(int, Path("/proc/stat").read_text().split()[1:9])
    return (user + nice + system + irq + softirq + steal) / os.sysconf("SC_CLK_TCK")


def time_alone(path: Path) -> tuple[float, float]:
    """Seconds and machine CPU-seconds for one session of the chapter, as `make test
    PYTEST_ARGS=...` runs it."""
    marker = ["-m", "swarm"] if path.name == "test_18_swarm.py" else []
    command = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-n", "auto", *marker, str(path)]
    started, cpu = time.monotonic(), cpu_seconds()
    result = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, check=False)
    elapsed, cpu = time.monotonic() - started, cpu_seconds() - cpu
    if result.returncode != 0:
        raise SystemExit(f"{path.name} failed:\n{result.stdout[-3000:]}")
    return elapsed, cpu


def rewrite_table(text: str, times: dict[int, float]) -> str:
    lines = []
    for line in text.splitlines():
        match = _ROW.match(line)
        if match and int(match.group(1)) in times:
            number, title, shows, _ = match.groups()
            line = f"| {number} | {title} | {shows} | {times[int(number)]:.0f} s |"
        lines.append(line)
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.tools.chapter_times", description=__doc__.splitlines()[0])
    parser.add_argument("chapters", nargs="*", type=int, help="chapter numbers (default: all)")
    files = chapter_files(parser.parse_args(argv).chapters)
    # The images first, in a session that runs one quick scenario, so no chapter pays for the build.
    time_alone(CHAPTERS / "test_01_images_and_containers.py")
    times = {}
    for number, path in files.items():
        times[number], cpu = time_alone(path)
        print(f"chapter {number:2d}: {times[number]:5.0f} s {cpu:6.0f} CPU-s  {path.name}", flush=True)
    README.write_text(rewrite_table(README.read_text(encoding="utf-8"), times), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
