"""Chapter 4. Rebuild and rerun: a container runs the image it was started from; after a code
change, the running container keeps serving the old code, and a new container from the rebuilt
image serves the new."""

from __future__ import annotations

import contextlib
import shutil
import uuid
from pathlib import Path

import docker
import requests
from docker.errors import ImageNotFound
from testcontainers.core.image import DockerImage

from tests.support.containers import API_MESSAGE, API_PORT, api_container, url
from tests.support.environment import ROOT, Images


def _cached_steps(build: DockerImage) -> dict[str, bool]:
    """Each build step of the classic builder, and whether it came from the cache."""
    lines = "".join(str(entry.get("stream", "")) for entry in build.get_logs() if isinstance(entry, dict)).splitlines()
    steps: dict[str, bool] = {}
    current = None
    for line in lines:
        if line.startswith("Step "):
            current = line.split(" : ", 1)[1]
            steps[current] = False
        elif current and line.strip() == "---> Using cache":
            steps[current] = True
    return steps


def test_a_code_change_needs_a_rebuild_and_a_new_container(
    images: Images, tmp_path: Path, docker_client: docker.DockerClient
) -> None:
    """After editing the code, the running container still serves the old code; the
    rebuilt image serves the new; the rebuild reused the dependency layer, since
    requirements.txt is copied and installed before the code."""
    # Unique per run: a change another run already built would come from the shared cache,
    # and a shared tag could be moved by another run between build and start.
    run = uuid.uuid4().hex[:12]
    new = f"Hello from the rebuilt API container! ({run})"
    context = tmp_path / "api"
    shutil.copytree(ROOT / "api", context, ignore=shutil.ignore_patterns("__pycache__"))
    tag = f"docker-tutorial.invalid/rebuild-test:{run}"
    build_args = {"PYTHON_IMAGE": images.python}

    # The first build is the project's api image again, from cache: removing that image would
    # conflict with the tags that share it, so only the tag is removed at the end.
    first = DockerImage(path=context, tag=tag, buildargs=build_args, clean_up=False)
    try:
        with first, api_container(first) as old:
            service = context / "service.py"
            service.write_text(service.read_text().replace(API_MESSAGE, new))

            with DockerImage(path=context, tag=tag, buildargs=build_args) as second, api_container(second) as rebuilt:
                assert requests.get(url(old, API_PORT), timeout=5).text == API_MESSAGE
                assert requests.get(url(rebuilt, API_PORT), timeout=5).text == new

                steps = _cached_steps(second)
                assert steps["RUN pip install --no-cache-dir --require-hashes -r requirements.txt"] is True
                assert steps["COPY service.py gunicorn_conf.py ./"] is False
                assert second.short_id != first.short_id
    finally:
        with contextlib.suppress(ImageNotFound):
            docker_client.images.remove(tag)


def test_a_code_only_change_to_the_webapp_rebuilds_without_pip(
    images: Images, webapp_image: DockerImage, tmp_path: Path
) -> None:
    """The root Dockerfile copies requirements.txt and installs it before it copies app/:
    after a change to the webapp's code alone, the rebuild takes the pip step from the
    cache and builds the code step anew."""
    context = tmp_path / "webapp"
    context.mkdir()
    for name in ("Dockerfile", ".dockerignore", "requirements.txt"):
        shutil.copy(ROOT / name, context / name)
    shutil.copytree(ROOT / "app", context / "app", ignore=shutil.ignore_patterns("__pycache__"))
    views = context / "app" / "views.py"
    views.write_text(views.read_text() + f"\n# changed by the rebuild scenario {uuid.uuid4().hex}\n")

    tag = f"docker-tutorial.invalid/rebuild-test:{uuid.uuid4().hex[:12]}"
    with DockerImage(path=context, tag=tag, buildargs={"PYTHON_IMAGE": images.python}) as rebuilt:
        steps = _cached_steps(rebuilt)

        assert steps["RUN pip install --no-cache-dir --require-hashes -r requirements.txt"] is True
        assert steps["COPY app/ ./app/"] is False
        assert rebuilt.short_id != webapp_image.short_id
