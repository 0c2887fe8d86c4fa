"""Chapter 2. The Dockerfile and the build context: each instruction we check (WORKDIR, COPY,
RUN, USER, EXPOSE, HEALTHCHECK, CMD) leaves its mark on the image, and .dockerignore decides
what the build may see at all."""

from __future__ import annotations

import itertools
import shutil
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import requests
from testcontainers.core.container import DockerContainer
from testcontainers.core.image import DockerImage
from testcontainers.core.network import Network

from tests.support.containers import (
    DB_ENV,
    WEBAPP_PORT,
    api_container,
    exec_output,
    timed_stop,
    unanswering_host,
    url,
    webapp_container,
)
from tests.support.diagnostics import Diagnostics
from tests.support.environment import ROOT, Images
from tests.support.health import KEPT_PROBES, probes_after_start, seconds_between_probes
from tests.support.waiting import wait_until


@pytest.mark.parametrize(
    ("image_fixture", "port", "command"),
    [
        ("webapp_image", "5000/tcp", ["python", "-m", "app.serve"]),
        ("api_image", "5001/tcp", ["gunicorn", "--config", "gunicorn_conf.py", "service:create_app()"]),
    ],
)
def test_image_metadata_matches_the_dockerfile(
    request: pytest.FixtureRequest, image_fixture: str, port: str, command: list[str]
) -> None:
    """The image exposes its port, works in /app as a non-root user, has a health check,
    and starts its server in exec form (no shell between Docker and the server, so SIGTERM reaches it)."""
    image: DockerImage = request.getfixturevalue(image_fixture)
    config = image.get_wrapped_image().attrs["Config"]

    assert port in config["ExposedPorts"]
    assert config["WorkingDir"] == "/app"
    assert config["User"] not in ("", "root", "0")
    assert config["Healthcheck"]["Test"][0] == "CMD"
    assert config["Cmd"] == command
    assert config["Entrypoint"] is None or config["Entrypoint"] == []


@pytest.mark.parametrize("image_fixture", ["webapp_image", "api_image"])
def test_the_health_check_probes_while_the_server_starts_and_rarely_once_it_is_healthy(
    request: pytest.FixtureRequest, image_fixture: str
) -> None:
    """The image has the engine probe a new container at least once a second while it starts
    (start_interval) and no more often than every 30 s once it is healthy; the probes it kept
    for a fresh container were under 2 s apart. (Each probe is a process in the container:
    probing every second once cost an idle stack about 5% of a core, a measurement not
    repeated here.) (start_interval needs Docker Engine 25.)"""
    image: DockerImage = request.getfixturevalue(image_fixture)
    at_rest, while_starting = seconds_between_probes(image.get_wrapped_image().attrs)
    assert at_rest >= 30
    assert 0 < while_starting <= 1

    server = webapp_container(image, **DB_ENV) if image_fixture == "webapp_image" else api_container(image)
    with server as container:  # ready: reported healthy
        wrapped = container.get_wrapped_container()
        wrapped.reload()
        probes = probes_after_start(wrapped.attrs)
    # Without start_interval the first probe would come one full interval (30 s) after the start.
    # On a start slow enough for the engine to have dropped the first probe (it keeps the last
    # five), the ones kept are still half a second apart.
    assert probes
    if len(probes) < KEPT_PROBES:
        assert probes[0] < 5
    assert all(later - earlier < 2 for earlier, later in itertools.pairwise(probes))


def _idle(image: DockerImage) -> DockerContainer:
    """A container of the image that only sleeps: without the server's settings, the server
    would exit at once, and take a command run in the container with it."""
    return DockerContainer(str(image)).with_command(["sleep", "300"])


def test_each_instruction_has_its_effect_in_a_running_container(webapp_image: DockerImage) -> None:
    """WORKDIR sets the working directory, COPY brought the code, RUN pip installed the
    pinned requirements, USER makes the process non-root."""
    with _idle(webapp_image) as container:
        assert exec_output(container, "pwd") == (0, "/app")
        assert exec_output(container, "test", "-f", "/app/app/__init__.py")[0] == 0
        assert exec_output(container, "id", "-u") == (0, "10001")
        pinned = dict(
            line.split("==")
            for line in (ROOT / "requirements.in").read_text().splitlines()
            if "==" in line and not line.startswith("#")
        )
        code, versions = exec_output(
            container,
            "python",
            "-c",
            "import importlib.metadata as m, sys; print(' '.join(f'{n}=={m.version(n)}' for n in sys.argv[1:]))",
            *pinned,
        )
        assert code == 0
        assert versions.split() == [f"{name}=={version}" for name, version in pinned.items()]


# Run inside the image: import what its server imports, then name every module whose source
# has no bytecode beside it (the service's own few files aside: they change with every build).
_UNCOMPILED_MODULES = """
import importlib.util, os, sys
{imports}
print("uncompiled:", *sorted(
    name for name, module in list(sys.modules.items())
    if (getattr(module, "__file__", None) or "").endswith(".py")
    and not module.__file__.startswith("/app/")
    and not os.path.exists(importlib.util.cache_from_source(module.__file__))
))
"""
_SERVER_IMPORTS = {
    "webapp_image": "import app.serve, granian._internal, granian.wsgi; app.create_app(wait_for_database=False)",
    "api_image": "import gunicorn.app.wsgiapp, gunicorn.workers.gthread, service; service.create_app()",
}


@pytest.mark.parametrize("image_fixture", ["webapp_image", "api_image"])
def test_the_image_carries_the_bytecode_of_what_its_server_imports(
    request: pytest.FixtureRequest, image_fixture: str
) -> None:
    """The image compiles the standard library at build time, and pip compiles the packages
    it installs, so every module the server imports from outside /app already has its
    bytecode; only the service's own few files are compiled at a start. (The base image, like
    the official one, ships none.)"""
    image: DockerImage = request.getfixturevalue(image_fixture)
    probe = _UNCOMPILED_MODULES.format(imports=_SERVER_IMPORTS[image_fixture])
    with _idle(image) as container:
        code, uncompiled = exec_output(
            container, "python", "-c", probe, environment={**DB_ENV, "API_URL": "http://api:5001"}
        )

    assert code == 0, uncompiled
    (report,) = [line for line in uncompiled.splitlines() if line.startswith("uncompiled:")]
    assert report == "uncompiled:"


def test_requirements_live_in_the_image_not_on_the_host(webapp_image: DockerImage) -> None:
    """Flask, which the webapp imports, is installed inside the image (under /usr/local/lib
    or /opt/venv/lib), and the host's project folder is nowhere in the container."""
    with _idle(webapp_image) as container:
        code, location = exec_output(container, "python", "-c", "import flask; print(flask.__file__)")
        assert code == 0
        assert location.startswith(("/usr/local/lib/", "/opt/venv/lib/"))
        code, _ = exec_output(container, "test", "-e", str(ROOT))
        assert code != 0, "the host's project folder is not in the container"


@pytest.mark.security
def test_dockerignore_keeps_local_clutter_out_of_the_build_context(
    images: Images, tmp_path: Path, diagnostics: Diagnostics
) -> None:
    """A local virtual environment, the bytecode cache, .git, .env and the secrets/ passwords,
    present in the project folder, never reach the daemon: a probe image that copies the whole
    build context has none of them."""
    context = tmp_path / "context"
    shutil.copytree(ROOT / "app", context / "app", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(ROOT / ".dockerignore", context / ".dockerignore")
    shutil.copy(ROOT / "requirements.txt", context / "requirements.txt")
    clutter = [
        ".venv/bin/python",
        "venv/lib/site.py",
        "app/__pycache__/views.cpython-311.pyc",
        ".git/HEAD",
        ".env",
        "secrets/db_password",
    ]
    for path in clutter:
        (context / path).parent.mkdir(parents=True, exist_ok=True)
        (context / path).write_text("should not be in the image\n")
    # The label makes the probe image this run's own: another run's identical probe would
    # otherwise be the same image, removed under that run's container.
    (context / "probe.Dockerfile").write_text(
        f"ARG PYTHON_IMAGE\nFROM ${{PYTHON_IMAGE}}\nLABEL probe-run={uuid.uuid4().hex}\nCOPY . /context\n"
    )

    with (
        DockerImage(
            path=context, dockerfile_path="probe.Dockerfile", buildargs={"PYTHON_IMAGE": images.python}
        ) as probe,
        DockerContainer(str(probe.short_id)).with_command(["sleep", "300"]) as container,
    ):
        code, listing = exec_output(container, "find", "/context", "-mindepth", "1")
        diagnostics.watch("context in the probe image", lambda: listing)

        assert code == 0
        copied = {line.removeprefix("/context/") for line in listing.splitlines()}
        assert "app/views.py" in copied
        assert "requirements.txt" in copied
        kept_out = [".venv", "venv", ".git", ".env", "app/__pycache__", "secrets"]
        assert not [entry for entry in copied for out in kept_out if entry == out or entry.startswith(f"{out}/")]


@pytest.mark.parametrize("image_fixture", ["webapp_image", "api_image"])
def test_docker_stop_is_quick_and_clean(request: pytest.FixtureRequest, image_fixture: str) -> None:
    """The exec-form CMD makes the server (granian's main process, gunicorn's master) PID 1,
    which handles SIGTERM: `docker stop` ends with exit code 0 (not 137, a kill), and idle,
    with no request to finish, within 5 s: before the server's 5 s graceful timeout would end
    it, and well before Docker's 10 s grace period."""
    image: DockerImage = request.getfixturevalue(image_fixture)
    server = webapp_container(image, **DB_ENV) if image_fixture == "webapp_image" else api_container(image)
    with server as container:
        elapsed, exit_code = timed_stop(container)

        assert exit_code == 0
        # Idle: nothing for the graceful timeout (5 s) to wait on (the engine's own timestamps).
        assert elapsed < 5


def test_docker_stop_ends_cleanly_even_with_a_request_hanging(
    webapp_image: DockerImage, images: Images, network: Network
) -> None:
    """A request stuck on an api that never answers (API_CONNECT_TIMEOUT=60) does not hold
    the container: `docker stop` gives in-flight requests the server's 5 s graceful timeout,
    then ends with exit code 0, before Docker's 10 s grace period would kill it (137)."""
    with (
        unanswering_host(images, network, "api", 5001),
        webapp_container(webapp_image, network, API_CONNECT_TIMEOUT="60", **DB_ENV) as webapp,
    ):
        page = url(webapp, WEBAPP_PORT)
        with ThreadPoolExecutor(max_workers=1) as pool:
            hanging = pool.submit(requests.get, page, timeout=30)
            wait_until(lambda: _connections_open(webapp) > 0, timeout=10, what="a request to be in flight")

            elapsed, exit_code = timed_stop(webapp)

            with pytest.raises(requests.ConnectionError):
                hanging.result()
        assert exit_code == 0
        assert 5 <= elapsed < 9


def _connections_open(webapp: DockerContainer) -> int:
    """Requests in flight from outside: established connections to port 5000 that do not
    come from the container's own loopback (where its health check connects from)."""
    code, listing = exec_output(webapp, "cat", "/proc/net/tcp")
    assert code == 0
    established = [line.split() for line in listing.splitlines()[1:]]
    return sum(
        1
        for fields in established
        if fields[1].endswith(":1388") and fields[3] == "01" and not fields[2].startswith("0100007F")
    )
