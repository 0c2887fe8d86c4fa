"""Chapter 5. The inner loop, the tutorial's "rebuild and rerun" made short: `make dev` runs the
stack with Compose's file watch (compose.dev.yml). An edit to the template is served within
10 s and a fix to the webapp's code within 30 s, both with no new webapp image, and an edit to
the api's code is served within 10 s; an edit to the webapp's requirements or Dockerfile builds
a new image and replaces its container; a syntax error is logged with its file and line, and
fixing it brings the page back with no restart by hand."""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import signal
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import docker
import pytest
import requests

from tests.support.compose import DEFAULT_ENVIRONMENT, ProjectCompose
from tests.support.containers import API_MESSAGE
from tests.support.environment import API_REPOSITORY, ROOT, WEBAPP_REPOSITORY
from tests.support.waiting import wait_until

# What `make dev` runs.
DEV_FILES = ["docker-compose.yml", "compose.dev.yml"]
HEADING = "Hello from the webapp container!"
# About two seconds on a quiet machine; the margin is for a busy one (the gate runs this beside
# other sessions and a rehearsal: Flask's reloader then took 6 s to restart).
LIVE_WITHIN = 2.0 + 8.0


def _copy_of_the_project(destination: Path) -> Path:
    """What the dev stack builds and mounts, copied, so the scenario's edits touch no real file."""
    for folder in ("app", "api", "db", "secrets"):
        shutil.copytree(ROOT / folder, destination / folder, ignore=shutil.ignore_patterns("__pycache__"))
    for name in (*DEV_FILES, "Dockerfile", ".dockerignore", "requirements.txt"):
        shutil.copy2(ROOT / name, destination / name)
    return destination


class DevStack:
    """`docker compose up --build --watch` on a copy of the project, in the background."""

    def __init__(self, project: Path, stack: ProjectCompose, client: docker.DockerClient) -> None:
        self.project, self.stack, self.client = project, stack, client
        self.output = project / "watch.log"
        command = [*stack.compose_command_property, "up", "--build", "--watch"]
        environment = {**os.environ, **DEFAULT_ENVIRONMENT, **stack.environment}
        with self.output.open("wb") as log:
            self.process = subprocess.Popen(
                command, cwd=project, env=environment, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
            )

    def page(self) -> requests.Response:
        return requests.get(self.stack.url("webapp", 5000), timeout=5)

    def page_status(self) -> int | None:
        with contextlib.suppress(Exception):
            return self.page().status_code
        return None

    def webapp(self) -> tuple[str, str]:
        """The webapp container's id and its image's."""
        container = self.stack.container("webapp")
        return str(container.id), str(container.image.id if container.image else "")

    def watch_action(self, since: int) -> str | None:
        """What `--watch` did after byte `since` of its output: "Rebuilding" or "Syncing" (None: nothing yet)."""
        said = self.output.read_bytes()[since:].decode(errors="replace")
        found = re.search(r"(Rebuilding|Syncing) service", said)  # a colour code just before: no word boundary
        return found.group(1) if found else None

    def logs(self, service: str) -> str:
        return self.stack.compose("logs", "--no-color", service)

    def stop(self) -> None:
        """Ctrl-C, as a user stops `make dev`; then whatever is left goes."""
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGINT)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()


@pytest.fixture
def dev(tmp_path: Path, docker_client: docker.DockerClient) -> Iterator[DevStack]:
    project = _copy_of_the_project(tmp_path / "project")
    stack = ProjectCompose(context=project, compose_file_name=DEV_FILES)
    # Images of its own: the rebuild below must not retag the session's.
    stack.environment.update(
        WEBAPP_IMAGE=f"{WEBAPP_REPOSITORY}:{stack.project_name}",
        API_IMAGE=f"{API_REPOSITORY}:{stack.project_name}",
    )
    running = DevStack(project, stack, docker_client)
    built: list[str] = [stack.environment["WEBAPP_IMAGE"], stack.environment["API_IMAGE"]]
    try:
        wait_until(lambda: running.page_status() == 200, timeout=180, what="the dev stack's first page")
        built.append(running.webapp()[1])  # untagged once the scenario rebuilds it
        yield running
    finally:
        running.stop()
        stack.stop()
        # Tags first, then the image a rebuild left untagged (kept if something else still uses it).
        for image in built:
            with contextlib.suppress(docker.errors.ImageNotFound, docker.errors.APIError):
                docker_client.images.remove(image, noprune=False)


def _served_within(dev: DevStack, text: str) -> float:
    """How long the page took to show `text`; no longer than LIVE_WITHIN is waited."""
    started = time.monotonic()
    wait_until(lambda: text in dev.page().text, timeout=LIVE_WITHIN, what=f"the page to show {text!r}")
    return time.monotonic() - started


def test_an_edit_is_served_live_a_syntax_error_is_logged_and_new_requirements_rebuild(dev: DevStack) -> None:
    """With `make dev` running: the template's heading edited → the page shows the new heading
    within 10 s (most of that is margin for a busy machine), from the same container and image.
    A syntax error in the code → the page answers 500 and the webapp's log names the file and
    line; fixed → the page is back, the container never restarted. The requirements edited → a
    new image is built and the webapp's container replaced, serving again. The api's code edited
    → the page shows its new message within 10 s. The Dockerfile edited → a new image and a new
    container, as for the requirements."""
    container, image = dev.webapp()
    template = dev.project / "app" / "templates" / "index.html"
    template.write_text(template.read_text().replace(HEADING, "Edited while it runs"))

    assert _served_within(dev, "Edited while it runs") < LIVE_WITHIN
    assert dev.webapp() == (container, image)

    views = dev.project / "app" / "views.py"
    working = views.read_text()
    views.write_text(working + "\ndef broken(:\n")
    wait_until(lambda: dev.page_status() == 500, timeout=30, what="the broken code to be served")
    log = dev.logs("webapp")
    assert 'File "/app/app/views.py", line' in log
    assert "SyntaxError" in log

    views.write_text(working)
    wait_until(lambda: dev.page_status() == 200, timeout=30, what="the fixed code to be served")
    assert dev.webapp() == (container, image)
    assert dev.stack.container("webapp").attrs["RestartCount"] == 0

    requirements = dev.project / "requirements.txt"
    before = len(dev.output.read_bytes())
    requirements.write_text(requirements.read_text() + "# an edit to the requirements\n")
    # What the watch does about it, said at once; a sync would serve on with the old image.
    action = wait_until(lambda: dev.watch_action(since=before), timeout=30, what="the watch to act on the edit")
    assert action == "Rebuilding"
    wait_until(lambda: dev.webapp()[1] != image, timeout=90, what="a new webapp image")
    wait_until(lambda: dev.page_status() == 200, timeout=60, what="the rebuilt webapp to serve")
    assert dev.webapp()[0] != container

    # The api's code is synced as the webapp's is, and served by its own reloader.
    service = dev.project / "api" / "service.py"
    service.write_text(service.read_text().replace(API_MESSAGE, "The api, edited while it runs"))
    assert _served_within(dev, "The api, edited while it runs") < LIVE_WITHIN

    # The Dockerfile, as the requirements: a new image (a label changes its configuration), the
    # container replaced.
    container, image = dev.webapp()
    dockerfile = dev.project / "Dockerfile"
    before = len(dev.output.read_bytes())
    dockerfile.write_text(dockerfile.read_text() + 'LABEL org.example.edited="while it runs"\n')
    action = wait_until(lambda: dev.watch_action(since=before), timeout=30, what="the watch to act on the Dockerfile")
    assert action == "Rebuilding"
    wait_until(lambda: dev.webapp()[1] != image, timeout=90, what="a webapp image from the edited Dockerfile")
    wait_until(lambda: dev.page_status() == 200, timeout=60, what="the rebuilt webapp to serve")
    assert dev.webapp()[0] != container
