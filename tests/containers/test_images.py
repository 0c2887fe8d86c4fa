"""Images: what the Dockerfiles promise is what the built images carry."""

from __future__ import annotations

import pytest
from testcontainers.core.image import DockerImage


@pytest.mark.parametrize(
    ("image_fixture", "port", "command"),
    [
        ("webapp_image", "5000/tcp", ["gunicorn", "--config", "python:app.gunicorn_conf", "app:create_app()"]),
        ("api_image", "5001/tcp", ["gunicorn", "--config", "gunicorn_conf.py", "service:create_app()"]),
    ],
)
def test_image_metadata_matches_the_dockerfile(
    request: pytest.FixtureRequest, image_fixture: str, port: str, command: list[str]
) -> None:
    """The image exposes its port, works in /app as a non-root user, has a health check,
    and starts gunicorn in exec form (no shell between Docker and the server, so SIGTERM reaches it)."""
    image: DockerImage = request.getfixturevalue(image_fixture)
    config = image.get_wrapped_image().attrs["Config"]

    assert port in config["ExposedPorts"]
    assert config["WorkingDir"] == "/app"
    assert config["User"] not in ("", "root", "0")
    assert config["Healthcheck"]["Test"][0] == "CMD"
    assert config["Cmd"] == command
    assert config["Entrypoint"] is None or config["Entrypoint"] == []
