"""`make update` (scripts/update.sh, and ensure-images.sh with REFRESH=1): what the set-up
installed is brought up to date from where it came, and nothing else is, with apt, dpkg and
Docker replaced by scripts that print what the real ones would."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.unit.fake_programs import run_with_fakes


def _madison(offers: dict[str, list[str]]) -> str:
    """An `apt-cache madison` that lists what the machine's own suites offer of each package."""
    lines = [
        f"{package} | {version} | http://deb.debian.org/debian bookworm/main amd64 Packages"
        for package, versions in offers.items()
        for version in versions
    ]
    return 'case "$1" in madison) printf "%s\\n" ' + " ".join(f"'{line}'" for line in lines) + ' | grep "^$2 " ;; esac'


# What a bookworm's own suites offer: an engine too old, runc with a security update.
BOOKWORM = {"docker.io": ["20.10.24+dfsg1-1+deb12u1+b1"], "runc": ["1.1.5+ds1-1", "1.1.5+ds1-1+deb12u1"]}


@pytest.mark.parametrize(
    ("package", "installed", "came_from"),
    [
        ("docker.io", "26.1.5+dfsg1-9+deb13u1+b1", "newer"),  # newer than any bookworm offers
        ("containerd", "1.7.24~ds1-6+deb13u1", "newer"),  # bookworm offers none at all here
        ("runc", "1.1.5+ds1-1+deb12u1", "own"),  # bookworm-security's, the newest it offers
        ("runc", "1.1.5+ds1-1", "own"),  # bookworm's, with a security update waiting
    ],
)
def test_a_docker_package_newer_than_any_the_machines_own_suites_offer_came_from_the_newer_suite(
    tmp_path: Path, package: str, installed: str, came_from: str
) -> None:
    check = f"source scripts/update.sh && {{ from_newer_suite {package} '{installed}' && echo newer || echo own; }}"
    result = run_with_fakes(check, tmp_path, {"apt-cache": _madison(BOOKWORM)})
    assert result.stdout.split() == [came_from], result.stderr


def test_make_update_upgrades_dockers_packages_each_from_its_suite_and_nothing_else(tmp_path: Path) -> None:
    """The newer suite is read for the packages that came from it; one `apt-get install
    --only-upgrade` names Docker's installed packages and no other (not the engine's companions,
    ca-certificates and iptables, which are the machine's to upgrade)."""
    installed = "docker.io 26.1.5+dfsg1-9+deb13u1+b1 ii\\ncontainerd 1.7.24~ds1-6+deb13u1 ii\\nrunc 1.1.5+ds1-1 ii"
    calls = tmp_path / "calls"
    update = (
        f'source scripts/update.sh && as_root() {{ echo "$*" >>{calls}; }} && '
        f'read_newer_suite() {{ echo "read_newer_suite $*" >>{calls}; NEWER_APT=(-o newer-lists); }} && '
        "refuse_unasked_changes() { :; } && update_engine"
    )
    result = run_with_fakes(
        update, tmp_path, {"apt-cache": _madison(BOOKWORM), "dpkg-query": f'printf "{installed}\\n"'}
    )
    assert result.returncode == 0, result.stderr
    lines = calls.read_text().splitlines()
    assert "read_newer_suite docker.io containerd" in lines
    install = next(line for line in lines if " install " in line)
    assert "--only-upgrade" in install
    assert "-o newer-lists" in install
    assert install.split()[-3:] == ["docker.io", "containerd", "runc"]
    assert "ca-certificates" not in install
    assert "iptables" not in install


def test_make_update_says_what_it_upgraded_or_that_nothing_needed_it(tmp_path: Path) -> None:
    before, after = (
        "docker-cli 26.1.5+dfsg1-9+deb13u1\\nrunc 1.1.5",
        "docker-cli 26.1.5+dfsg1-9+deb13u1+b1\\nrunc 1.1.5",
    )
    changed = run_with_fakes(
        f'source scripts/update.sh && report_changes "$(printf "{before}")" "$(printf "{after}")"', tmp_path
    )
    same = run_with_fakes(
        f'source scripts/update.sh && report_changes "$(printf "{after}")" "$(printf "{after}")"', tmp_path
    )
    assert changed.stderr.splitlines() == [
        "update: upgraded docker-cli 26.1.5+dfsg1-9+deb13u1 -> 26.1.5+dfsg1-9+deb13u1+b1"
    ]
    assert same.stderr.startswith("update: Docker's packages: up to date (docker-cli 26.1.5+dfsg1-9+deb13u1+b1, runc")


def test_the_newer_suite_is_read_with_its_updates_and_security_updates_and_gives_only_what_is_named(
    tmp_path: Path,
) -> None:
    """Security fixes reach trixie-security first: the newer suite's lists include it and its
    point-release updates. Pinned below the machine's own suite, it gives the packages named
    (their newest version in any of the three) and nothing else by choice."""
    read = (
        "source scripts/ensure-engine.sh && as_root() { :; } && debian_mirror() { echo http://deb.debian.org/debian; } "
        '&& read_newer_suite docker.io docker-cli && cat "${NEWER_APT[1]#*=}" && echo --- && cat "${NEWER_APT[5]#*=}"'
    )
    result = run_with_fakes(read, tmp_path)
    assert result.returncode == 0, result.stderr
    sources, preferences = result.stdout.split("---\n")
    assert "deb http://deb.debian.org/debian trixie main" in sources
    assert "deb http://deb.debian.org/debian trixie-updates main" in sources
    assert "deb http://deb.debian.org/debian-security trixie-security main" in sources
    pins = [block.split("\n") for block in preferences.strip().split("\n\n")]
    for suite in ("trixie", "trixie-updates", "trixie-security"):
        assert ["Package: *", f"Pin: release n={suite}", "Pin-Priority: 100"] in pins
        assert ["Package: docker.io docker-cli", f"Pin: release n={suite}", "Pin-Priority: 990"] in pins


# What apt-get simulates in a stand-in when the archive has a newer libssl.
NEWER_LIBSSL = "Inst libssl3t64 [3.5.1-1] (3.5.4-1~deb13u1 Debian-Security:13/stable-security [amd64])"


@pytest.mark.parametrize(
    ("refresh", "simulation", "rebuilt"),
    [
        ("", NEWER_LIBSSL, False),  # `make up`: a stand-in of the same recipe is kept, unasked
        ("1", NEWER_LIBSSL, True),  # `make update`: Debian has a newer libssl in it
        ("1", "", False),  # `make update`: nothing newer, nothing rebuilt
    ],
)
def test_a_stand_in_is_rebuilt_by_make_update_where_debian_has_newer_packages_in_it(
    tmp_path: Path, refresh: str, simulation: str, rebuilt: bool
) -> None:
    """The stand-ins are asked, with a stock machine's sources (security updates included),
    whether Debian has newer versions of their packages; only `make update` asks."""
    asked = tmp_path / "asked"
    docker = f'[ "$1" = run ] && {{ echo "$@" >{asked}; printf "%s\\n" "{simulation}"; }}; exit 0'
    check = (
        "source scripts/ensure-images.sh && "
        "{ outdated docker-tutorial.invalid/offline-python:3.13-trixie && echo rebuild || echo keep; }"
    )
    result = run_with_fakes(check, tmp_path, {"docker": docker}, env={"REFRESH": refresh})
    assert result.stdout.split() == ["rebuild" if rebuilt else "keep"], result.stderr
    assert asked.exists() == bool(refresh)
    if refresh:
        assert "Suites: trixie-security" in asked.read_text()
    if rebuilt:
        assert "Debian has newer libssl3t64: rebuilding it" in result.stderr


@pytest.mark.parametrize(("current", "no_cache"), [(True, True), (False, False)])
def test_an_outdated_stand_in_is_built_again_without_the_cache(tmp_path: Path, current: bool, no_cache: bool) -> None:
    """Rebuilt for a newer package with the same recipe on the same base, every layer would
    come from the build cache, outdated packages and all: that rebuild skips the cache. A
    stand-in built for the first time or for a new recipe uses it."""
    built = tmp_path / "built"
    build = (
        "source scripts/ensure-images.sh && "
        f"image_is_current() {{ {'true' if current else 'false'}; }} && outdated() {{ true; }} && "
        "build_debian_base() { :; } && debian_version() { echo 3.13.5-1; } && "
        "build_stand_in docker-tutorial.invalid/offline-python:3.13-trixie python.Dockerfile PYTHON_VERSION python3.13"
    )
    result = run_with_fakes(build, tmp_path, {"docker": f'[ "$1" = build ] && echo "$@" >{built}; exit 0'})
    assert result.returncode == 0, result.stderr
    assert ("--no-cache" in built.read_text().split()) == no_cache
