"""Chapter 6. Compose basics: one file describes the services; `up` builds and starts
them, `ps` and `logs` show them, `down` removes them with their network."""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path

import docker
import pytest
import requests

from tests.support.cleanup import Filters
from tests.support.compose import DEFAULT_ENVIRONMENT, ProjectCompose
from tests.support.containers import free_host_port
from tests.support.environment import API_REPOSITORY, ROOT, WEBAPP_REPOSITORY
from tests.support.events import EventRecorder
from tests.support.marks import COMPOSE_PROJECT_LABEL
from tests.support.waiting import ConditionTimeoutError, wait_until


def test_up_ps_logs_and_down(docker_client: docker.DockerClient) -> None:
    """`up` builds and starts the stack on the host port WEBAPP_PORT names; `ps` shows that
    mapping; `logs` shows the webapp's own output; `down` removes containers and network
    (gone within 10 s of its return)."""
    port = free_host_port()
    stack = ProjectCompose(build=True, environment={"WEBAPP_PORT": str(port)})
    try:
        stack.start()  # docker compose up --build --wait

        publishers = stack.get_container("webapp").Publishers
        assert (5000, port) in [(publisher.TargetPort, publisher.PublishedPort) for publisher in publishers]
        assert requests.get(f"http://127.0.0.1:{port}/", timeout=10).status_code == 200

        # The webapp writes the access line once the answer is sent: the client may read it first.
        def logs_with_the_page() -> str | None:
            logs = stack.compose("logs", "--no-color", "webapp")
            return logs if '"GET / ' in logs else None

        logs = wait_until(logs_with_the_page, timeout=10, what="the page's access line in the webapp's logs")
        assert "Listening at: http://0.0.0.0:5000" in logs
        assert '"GET / HTTP/1.1" 200' in logs

        stack.down(volumes=True)

        _wait_until_the_project_is_gone(docker_client, stack.project_name)
    finally:
        stack.stop()


def _wait_until_the_project_is_gone(client: docker.DockerClient, project_name: str) -> None:
    """No container or network of the project left, within 10 s of `down` returning (on a
    loaded engine one was seen listed a moment after)."""
    project: Filters = {"label": f"{COMPOSE_PROJECT_LABEL}={project_name}"}
    wait_until(
        lambda: not client.containers.list(all=True, filters=project) and not client.networks.list(filters=project),
        timeout=10,
        what=f"no container or network of {project_name} left",
    )


def test_by_default_the_webapp_is_published_on_host_port_8080() -> None:
    """The tutorial's mapping `8080:5000` is the default: the configuration Compose resolves
    when WEBAPP_PORT is not set publishes container port 5000 on host port 8080, on this
    machine's loopback only (WEBAPP_BIND, not set here, chooses another address). (Read from
    `docker compose config`, so the suite never needs the host's port 8080 free.)"""
    config = ProjectCompose(environment={"WEBAPP_PORT": "", "WEBAPP_BIND": ""}, env_file="/dev/null").get_config()

    ports = config["services"]["webapp"]["ports"]

    assert [(port["host_ip"], port["published"], port["target"]) for port in ports] == [("127.0.0.1", "8080", 5000)]


# Each dependency in turn is made to become healthy 3 s late (its server starts late), so
# that "started" and "healthy" are seconds apart for it. The api is held until the scenario
# releases it (a file in a folder it mounts): a fixed delay would race the migrations, which the
# webapp waits for too and which take longer than three seconds on a loaded machine.
SLOW_START = {
    "db": {"entrypoint": ["sh", "-c", 'sleep 3 && exec docker-entrypoint.sh "$$@"', "sh"], "command": ["postgres"]},
    "api": {
        "command": [
            "sh",
            "-c",
            "until [ -e /held/released ]; do sleep 0.1; done;"
            " exec gunicorn --config gunicorn_conf.py 'service:create_app()'",
        ],
        "volumes": ["{held}:/held:ro"],
    },
}
# How long, once the migrations completed, the webapp is watched for a start it must not make
# while the api is held (with `condition: service_started` it starts at once).
HELD_WATCH = 5


@pytest.mark.parametrize("slow", ["db", "api"])
def test_the_webapp_starts_only_once_the_database_and_the_api_are_healthy(
    docker_client: docker.DockerClient, tmp_path: Path, slow: str
) -> None:
    """`depends_on` in the Compose file has the webapp wait for the api with `condition:
    service_healthy`, and for the db through the one-shot migrate, which Compose starts once
    the db is healthy and which the webapp waits for to complete. With the api healthy already
    and the db slow to become ready (or the other way round), the engine's own event stream
    shows the webapp container starting only after both the db and the api reported healthy,
    not when the slow one was merely running."""
    held = tmp_path / "held"
    held.mkdir()
    held.chmod(0o755)  # the api runs as a user of its own
    override = tmp_path / "slow-start.yml"
    override.write_text(json.dumps({"services": {slow: SLOW_START[slow]}}).replace("{held}", str(held)))
    stack = ProjectCompose(compose_file_name=["docker-compose.yml", str(override)])
    project: Filters = {"label": f"com.docker.compose.project={stack.project_name}"}
    other = "api" if slow == "db" else "db"
    with EventRecorder(docker_client, project) as events, ThreadPoolExecutor(max_workers=1) as background:
        try:
            # The other dependency first, healthy already: the webapp then waits on the slow one only.
            stack.compose("up", "--wait", "--detach", other)
            up = background.submit(stack.start)  # returns once every service is healthy
            if slow == "api":
                _watch_the_webapp_while_the_api_is_held(events, up)
                (held / "released").touch()
            up.result(timeout=180)
        finally:
            (held / "released").touch()
            events.stop()
            stack.stop()

    webapp_started = events.first("webapp", "start")
    assert webapp_started > events.first("db", "health_status: healthy")
    assert webapp_started > events.first("api", "health_status: healthy")


def _watch_the_webapp_while_the_api_is_held(events: EventRecorder, up: Future[None]) -> None:
    """Once the migrations have completed, HELD_WATCH seconds for the webapp to start (it must
    not: the api is not healthy); a start ends the watch at once."""
    wait_until(
        lambda: events.saw("die", "migrate") or (up.exception(timeout=0) if up.done() else None),
        timeout=120,
        what="the migrations to complete",
    )
    with contextlib.suppress(ConditionTimeoutError):
        wait_until(lambda: events.saw("start", "webapp"), timeout=HELD_WATCH, what="a start of the webapp")


def test_make_up_serves_the_page_at_once_and_make_down_leaves_nothing(docker_client: docker.DockerClient) -> None:
    """The README's own commands: `make up` returns only once every service is healthy and
    the page answers, and asks no registry for an image it builds, not even the webapp's,
    which the migrations' service shares (its output has no pull line, with images not built
    before); `make down` removes the stack's containers and its network (gone within 10 s of
    its return) and the database's anonymous volume, so nothing is left orphaned."""
    stack = ProjectCompose()
    images = {
        "WEBAPP_IMAGE": f"{WEBAPP_REPOSITORY}:{stack.project_name}",
        "API_IMAGE": f"{API_REPOSITORY}:{stack.project_name}",
    }
    make_env = {**os.environ, **DEFAULT_ENVIRONMENT, **images, "COMPOSE_PROJECT_NAME": stack.project_name}
    try:
        made = subprocess.run(["make", "up"], cwd=ROOT, env=make_env, check=True, capture_output=True, timeout=150)
        output = (made.stdout + made.stderr).decode(errors="replace")
        assert [line for line in output.splitlines() if "pull" in line.lower()] == []

        assert {container.Service: container.Health for container in stack.get_containers()} == dict.fromkeys(
            ("webapp", "api", "db"), "healthy"
        )
        assert requests.get(stack.url("webapp", 5000), timeout=10).status_code == 200
        db = stack.container("db")
        volumes = [mount["Name"] for mount in db.attrs["Mounts"] if mount["Type"] == "volume"]
        stack.keep_track_of_volumes(volumes)  # `make down` runs outside the stack object

        subprocess.run(["make", "down"], cwd=ROOT, env=make_env, check=True, capture_output=True, timeout=60)

        _wait_until_the_project_is_gone(docker_client, stack.project_name)
        assert volumes
        assert [name for name in volumes if docker_client.volumes.list(filters={"name": name})] == []
    finally:
        stack.stop()
        for image in images.values():
            with contextlib.suppress(docker.errors.APIError):
                docker_client.images.remove(image)
