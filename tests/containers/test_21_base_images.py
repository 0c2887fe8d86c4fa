"""Chapter 21. The base images: whichever images are in use (the official ones pulled from a
registry, or their stand-ins built from Debian's packages), they keep the contract the
project's Dockerfiles and Compose file rely on. The same checks run on both, so a green run
offline says the same as a green run with a registry. The last two prove what the stand-in for
postgres adds to the official image's contract (with the official image they are skipped).

The pairing (images.env): Python PYTHON_SERIES and PostgreSQL POSTGRES_MAJOR, for the official
images and the stand-ins alike."""

from __future__ import annotations

import base64
import gzip
import hashlib
import zipfile
from collections.abc import Iterator
from pathlib import Path

import docker
import pytest
import sqlalchemy
from testcontainers.community.postgres import PostgresContainer
from testcontainers.core.container import DockerContainer
from testcontainers.core.wait_strategies import LogMessageWaitStrategy

from tests.support.containers import DB_NAME, DB_USER, exec_output, postgres_on_volume
from tests.support.diagnostics import LoggedContainer, logs
from tests.support.environment import IMAGE_NAMES, OFFLINE_RECIPE_LABEL, Images

PYTHON_SERIES = IMAGE_NAMES["PYTHON_SERIES"]
POSTGRES_MAJOR = IMAGE_NAMES["POSTGRES_MAJOR"]
SITE_PACKAGES = f"/usr/local/lib/python{PYTHON_SERIES}/site-packages"
SUPERUSER_PASSWORD = "secret"  # a throwaway database's


def idle(image: str) -> DockerContainer:
    """A container of `image` that only waits, for commands run inside it."""
    return LoggedContainer(image).with_command(["sleep", "infinity"])


# --- Python ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def python(images: Images) -> Iterator[DockerContainer]:
    with idle(images.python) as container:
        yield container


def test_python_and_pip_are_in_usr_local_bin(python: DockerContainer) -> None:
    """`python`, `python3`, `pip` and `pip3` are found first in /usr/local/bin, where the
    official image puts them: a health check or a shebang naming /usr/local/bin/python3
    works on either image."""
    code, output = exec_output(python, "sh", "-c", "for n in python python3 pip pip3; do command -v $n; done")

    assert (code, output.split()) == (0, [f"/usr/local/bin/{n}" for n in ("python", "python3", "pip", "pip3")])


def test_python_is_the_paired_version_and_says_so_in_python_version(python: DockerContainer) -> None:
    """The interpreter is of the paired series, and PYTHON_VERSION in the image's
    environment names its exact version, as the official image's does."""
    code, output = exec_output(
        python, "python3", "-c", "import os, platform; print(os.environ['PYTHON_VERSION'], platform.python_version())"
    )

    stated, running = output.split()
    assert code == 0
    assert stated == running
    assert running.startswith(f"{PYTHON_SERIES}.")


def test_ssl_and_sqlite3_work(python: DockerContainer) -> None:
    """The standard library's C parts that slim images are known to lose are there and
    work: TLS, finding the system's certificate authorities where OpenSSL looks, and SQLite."""
    check = (
        "import os, ssl, sqlite3; "
        "ssl.create_default_context(); "
        "paths = ssl.get_default_verify_paths(); "
        "print(bool(paths.cafile or (paths.capath and os.listdir(paths.capath))), "
        "sqlite3.connect(':memory:').execute('select 6 * 7').fetchone()[0])"
    )
    code, output = exec_output(python, "python3", "-c", check)

    assert (code, output) == (0, "True 42")


def test_the_official_images_own_import_test_passes(python: DockerContainer) -> None:
    """The official images' own test (`python-imports`) imports these modules and round-trips
    data through the compressors: curses, readline, dbm.gnu (Debian ships it apart, as
    python3-gdbm), lzma, bz2 and zlib."""
    check = (
        "import curses, readline, dbm.gnu, lzma, bz2, zlib; "
        "data = b'IT WORKS IT WORKS IT WORKS'; "
        "print(all(m.decompress(m.compress(data)) == data for m in (lzma, bz2, zlib)))"
    )
    code, output = exec_output(python, "python3", "-c", check)

    assert (code, output) == (0, "True")


def test_the_image_ships_no_compiled_bytecode(images: Images) -> None:
    """No .pyc file comes with the image, as with the official one (an image built on it
    compiles what its own server imports: chapter 2); a fresh container has none before
    Python first runs."""
    with idle(images.python) as container:
        code, output = exec_output(container, "find", "/", "-xdev", "-name", "*.pyc")

    assert (code, output) == (0, "")


def _wheel(directory: Path) -> Path:
    """A one-module package as a wheel, made here: pip installs it with no index to reach."""
    files = {
        "tiny_demo/__init__.py": b"GREETING = 'installed'\n",
        "tiny_demo-1.0.dist-info/METADATA": b"Metadata-Version: 2.1\nName: tiny-demo\nVersion: 1.0\n",
        "tiny_demo-1.0.dist-info/WHEEL": (
            b"Wheel-Version: 1.0\nGenerator: hand\nRoot-Is-Purelib: true\nTag: py3-none-any\n"
        ),
    }
    record = [
        f"{name},sha256={base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b'=').decode()},{len(data)}"
        for name, data in files.items()
    ]
    files["tiny_demo-1.0.dist-info/RECORD"] = ("\n".join([*record, "tiny_demo-1.0.dist-info/RECORD,,"]) + "\n").encode()
    wheel = directory / "tiny_demo-1.0-py3-none-any.whl"
    with zipfile.ZipFile(wheel, "w") as archive:
        for name, data in files.items():
            archive.writestr(name, data)
    wheel.chmod(0o644)
    directory.chmod(0o755)
    return wheel


def test_pip_installs_for_root_into_site_packages_and_for_another_user_into_their_home(
    images: Images, tmp_path: Path
) -> None:
    """`pip install` works as root, into /usr/local/lib/pythonX.Y/site-packages, and as any
    other user, who cannot write there, into their own ~/.local, from where Python imports
    it: the two ways a Dockerfile installs packages."""
    wheel = _wheel(tmp_path)
    install = ["pip", "install", "--no-index", "--no-cache-dir", f"/wheels/{wheel.name}"]
    where = ["python3", "-c", "import tiny_demo; print(tiny_demo.GREETING, tiny_demo.__file__)"]

    with idle(images.python).with_volume_mapping(str(tmp_path), "/wheels", "ro") as container:
        home = {"HOME": "/tmp/home"}
        user_install = exec_output(container, *install, user="1000", environment=home)
        user_import = exec_output(container, *where, user="1000", environment=home)
        root_install = exec_output(container, *install)
        root_import = exec_output(container, *where, user="1000", environment={"HOME": "/tmp/nobody"})

    user_site = f"/tmp/home/.local/lib/python{PYTHON_SERIES}/site-packages"
    assert user_install[0] == 0, user_install[1]
    assert user_import == (0, f"installed {user_site}/tiny_demo/__init__.py")
    assert root_install[0] == 0, root_install[1]
    assert root_import == (0, f"installed {SITE_PACKAGES}/tiny_demo/__init__.py")


# --- PostgreSQL -----------------------------------------------------------------------


def test_postgres_is_the_paired_version_and_says_so_in_pg_major_and_pg_version(images: Images) -> None:
    """The server is of the paired major version, and PG_MAJOR and PG_VERSION in the
    image's environment say which, as the official image's do."""
    with idle(images.postgres) as container:
        code, output = exec_output(container, "sh", "-c", 'echo "$PG_MAJOR" "$PG_VERSION"; postgres --version')

    stated_major, stated_version, *banner = output.split()
    running = banner[2]  # postgres (PostgreSQL) 17.2 ...
    assert code == 0
    assert stated_major == running.split(".")[0] == POSTGRES_MAJOR
    assert stated_version.startswith(running)


def query(container: DockerContainer, sql: str, password: str = SUPERUSER_PASSWORD) -> list[str]:
    """`sql`'s rows, one text column each, as the superuser "postgres", through the published port."""
    host, port = container.get_container_host_ip(), container.get_exposed_port(5432)
    engine = sqlalchemy.create_engine(f"postgresql+psycopg2://postgres:{password}@{host}:{port}/postgres")
    try:
        with engine.connect() as db:
            return [str(row[0]) for row in db.execute(sqlalchemy.text(sql))]
    finally:
        engine.dispose()


def _init_scripts(directory: Path) -> Path:
    """One script of each kind /docker-entrypoint-initdb.d/ takes, each recording that it ran."""
    record = (
        'psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname "$POSTGRES_DB" -c "INSERT INTO ran VALUES ($1)"\n'
    )
    scripts = {
        "10-table.sql": b"CREATE TABLE ran (script text);\nINSERT INTO ran VALUES ('sql');\n",
        # Its own process: its `exit` ends only itself (sourced, it would end the image's start).
        "20-executed.sh": ("#!/bin/sh\nset -e\n" + record.replace("$1", "'executed sh'") + "exit 0\n").encode(),
        "30-sourced.sh": record.replace("$1", "'sourced sh'").encode(),
        "40-compressed.sql.gz": gzip.compress(b"INSERT INTO ran VALUES ('sql.gz');\n"),
        "50-ignored.txt": b"INSERT INTO ran VALUES ('txt');\n",
    }
    for name, content in scripts.items():
        (directory / name).write_bytes(content)
        (directory / name).chmod(0o755 if name == "20-executed.sh" else 0o644)
    directory.chmod(0o755)
    return directory


def test_init_scripts_run_once_on_an_empty_data_directory(images: Images, data_volume: str, tmp_path: Path) -> None:
    """On its first start, on an empty data directory, the image runs what
    /docker-entrypoint-initdb.d/ holds: *.sql and *.sql.gz with psql, *.sh executed if
    executable and sourced if not; other files are ignored. A second start on the same data
    runs none of them again."""
    scripts = _init_scripts(tmp_path)

    def start() -> DockerContainer:
        return postgres_on_volume(
            images.postgres, data_volume, POSTGRES_PASSWORD=SUPERUSER_PASSWORD
        ).with_volume_mapping(str(scripts), "/docker-entrypoint-initdb.d", "ro")

    with start() as first:
        after_first = query(first, "SELECT script FROM ran ORDER BY script")
    with start() as second:
        after_second = query(second, "SELECT script FROM ran ORDER BY script")

    assert after_first == ["executed sh", "sourced sh", "sql", "sql.gz"]
    assert after_second == after_first


def test_postgres_initdb_args_reach_initdb(images: Images, data_volume: str) -> None:
    """POSTGRES_INITDB_ARGS is given to initdb on the first start: here a WAL segment size of
    32 MB, which only initdb can set (16 MB otherwise)."""
    with postgres_on_volume(
        images.postgres, data_volume, POSTGRES_PASSWORD=SUPERUSER_PASSWORD, POSTGRES_INITDB_ARGS="--wal-segsize=32"
    ) as db:
        assert query(db, "SHOW wal_segment_size") == ["32MB"]


def test_postgres_host_auth_method_trust_needs_no_password(images: Images, data_volume: str) -> None:
    """POSTGRES_HOST_AUTH_METHOD=trust starts a database with no password set, and lets
    clients in over the network without one (the official documentation's warning applies:
    for throwaway databases only)."""
    with postgres_on_volume(images.postgres, data_volume, POSTGRES_HOST_AUTH_METHOD="trust") as db:
        assert query(db, "SELECT current_user", password="") == ["postgres"]


# --- What the stand-in for postgres adds --------------------------------------------------
# The offline stand-in goes further than the official image in two ways: a learner of the
# official images meets neither, so they are here rather than in the database's chapter.


@pytest.fixture
def stand_in_postgres(images: Images, docker_client: docker.DockerClient) -> str:
    """The offline stand-in for the postgres image, which goes further than the official
    image in two ways; with the official image these scenarios do not apply."""
    if OFFLINE_RECIPE_LABEL not in (docker_client.images.get(images.postgres).labels or {}):
        pytest.skip(f"{images.postgres} is not the offline stand-in")
    return images.postgres


@pytest.mark.security
def test_every_login_needs_the_password_also_over_the_local_socket(
    stand_in_postgres: str, postgres: PostgresContainer
) -> None:
    """Inside the database's container too, a login needs the password: a process there
    cannot become the database's superuser (or any role) just by using the Unix socket.
    (The official image trusts every local login.)"""
    command = ["psql", "-U", DB_USER, "-d", DB_NAME, "-Atc", "SELECT current_user"]

    code, output = exec_output(postgres, *command, user="postgres")
    with_password = exec_output(postgres, *command, user="postgres", environment={"PGPASSWORD": postgres.password})

    assert code != 0
    assert "password authentication failed" in output or "no password supplied" in output
    assert with_password == (0, DB_USER)


def test_a_first_start_killed_midway_starts_over_on_the_next(
    stand_in_postgres: str, data_volume: str, tmp_path: Path
) -> None:
    """A database killed during its first start (here: while an init script runs) leaves a
    data directory without all that /docker-entrypoint-initdb.d/ makes. The next start on
    that volume sees the interrupted start, says so, makes the directory again and runs
    every init script: the database is complete, made once."""
    initdb = tmp_path / "initdb.d"
    initdb.mkdir()
    (initdb / "10-slow.sh").write_text('if [ -n "${HANG_IN_INIT:-}" ]; then echo "init hangs"; sleep infinity; fi\n')
    (initdb / "20-table.sql").write_text("CREATE TABLE made_once (n int);\nINSERT INTO made_once VALUES (1);\n")
    for path in (initdb, *initdb.iterdir()):
        path.chmod(0o755)

    def database(**environment: str) -> DockerContainer:
        credentials = {"POSTGRES_USER": "owner", "POSTGRES_PASSWORD": "secret", "POSTGRES_DB": "store"}
        return postgres_on_volume(stand_in_postgres, data_volume, **credentials, **environment).with_volume_mapping(
            str(initdb), "/docker-entrypoint-initdb.d", "ro"
        )

    with database(HANG_IN_INIT="1").waiting_for(LogMessageWaitStrategy("init hangs")) as first:
        first.get_wrapped_container().kill()

    with database() as second:
        host, port = second.get_container_host_ip(), second.get_exposed_port(5432)
        engine = sqlalchemy.create_engine(f"postgresql+psycopg2://owner:secret@{host}:{port}/store")
        try:
            with engine.connect() as db:
                made = db.execute(sqlalchemy.text("SELECT count(*) FROM made_once")).scalar_one()
        finally:
            engine.dispose()
        log = logs(second)

    assert made == 1
    assert "the first start was interrupted" in log
