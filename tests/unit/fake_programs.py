"""Set-up scripts run with some programs (apt, dpkg, docker, debootstrap) replaced by scripts
that print or record what a real one would: for the unit tests of the set-up, no engine needed."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

from tests.support.environment import ROOT


def run_with_fakes(
    commands: str,
    tmp_path: Path,
    fakes: dict[str, str] | None = None,
    env: dict[str, str] | None = None,
    timeout: float = 30,
) -> subprocess.CompletedProcess[str]:
    """`commands` in bash at the project's root, each program named in `fakes` replaced by a
    bash script of that body (first on PATH), with `env` added to the environment."""
    fake_bin = tmp_path / "bin"
    fake_bin.mkdir(exist_ok=True)
    for name, body in (fakes or {}).items():
        (fake_bin / name).write_text(f"#!/bin/bash\n{body}\n")
        (fake_bin / name).chmod(0o755)
    return subprocess.run(
        ["bash", "-c", commands],
        cwd=ROOT,
        env={**os.environ, **(env or {}), "PATH": f"{fake_bin}:{os.environ['PATH']}"},
        capture_output=True,
        text=True,
        timeout=timeout,
    )
