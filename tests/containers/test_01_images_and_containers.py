"""Chapter 1. Images and containers: an image is a read-only template; each container
started from it gets a writable layer of its own, which lives as long as the container."""

from __future__ import annotations

from testcontainers.core.container import DockerContainer
from testcontainers.core.image import DockerImage

from tests.support.containers import api_container, exec_output


def _running(image: DockerImage) -> DockerContainer:
    # Ready means gunicorn has its signal handlers: a Python PID 1 ignores SIGTERM before that.
    return api_container(image)


def test_one_image_runs_as_several_isolated_containers(api_image: DockerImage) -> None:
    """Two containers of one image run at once, and a file written in one is not in the other."""
    with _running(api_image) as first, _running(api_image) as second:
        assert exec_output(first, "sh", "-c", "echo first > /tmp/marker")[0] == 0

        assert exec_output(first, "cat", "/tmp/marker") == (0, "first")
        code, _ = exec_output(second, "cat", "/tmp/marker")
        assert code != 0
        assert first.get_wrapped_container().id != second.get_wrapped_container().id


def test_a_stopped_container_keeps_its_files_and_a_removed_one_takes_them(api_image: DockerImage) -> None:
    """Stop and start keep the container's writable layer; a new container from the same
    image starts from the image again, without the file."""
    with _running(api_image) as container:
        exec_output(container, "sh", "-c", "echo kept > /tmp/marker")
        wrapped = container.get_wrapped_container()
        wrapped.stop(timeout=5)
        wrapped.start()

        assert exec_output(container, "cat", "/tmp/marker") == (0, "kept")

    with _running(api_image) as fresh:
        code, _ = exec_output(fresh, "cat", "/tmp/marker")
        assert code != 0


def test_the_image_is_unchanged_by_what_containers_do(api_image: DockerImage) -> None:
    """What a container writes shows in its own diff, as a file added to the container's
    writable layer."""
    image = api_image.get_wrapped_image()
    image.reload()
    layers_before = image.attrs["RootFS"]["Layers"]
    with _running(api_image) as container:
        exec_output(container, "sh", "-c", "echo change > /tmp/marker")
        changes = container.get_wrapped_container().diff()

        assert {"Path": "/tmp/marker", "Kind": 1} in changes  # Kind 1: added
    image.reload()
    assert image.attrs["RootFS"]["Layers"] == layers_before
    assert image.id == api_image.get_wrapped_image().id
