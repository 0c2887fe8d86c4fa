"""Every image name has one source, images.env: where a tool cannot read it (Compose's
defaults, a Dockerfile's ARG), the copy must say the same."""

from __future__ import annotations

import re
import subprocess

import pytest

from tests.support.environment import IMAGE_NAMES, ROOT


@pytest.mark.parametrize("dockerfile", ["Dockerfile", "api/Dockerfile"])
def test_the_dockerfiles_default_base_image_is_the_official_one(dockerfile: str) -> None:
    defaults = re.findall(r"^ARG PYTHON_IMAGE=(\S+)$", (ROOT / dockerfile).read_text(), flags=re.MULTILINE)
    assert defaults == [IMAGE_NAMES["OFFICIAL_PYTHON_IMAGE"]]


# What each Compose file's ${VAR:-default} image defaults must be: the names in images.env.
_OFFICIAL = {
    "PYTHON_IMAGE": IMAGE_NAMES["OFFICIAL_PYTHON_IMAGE"],
    "POSTGRES_IMAGE": IMAGE_NAMES["OFFICIAL_POSTGRES_IMAGE"],
    "NGINX_IMAGE": IMAGE_NAMES["OFFICIAL_NGINX_IMAGE"],
    "WEBAPP_IMAGE": f"{IMAGE_NAMES['WEBAPP_REPOSITORY']}:dev",
    "API_IMAGE": f"{IMAGE_NAMES['API_REPOSITORY']}:dev",
}


@pytest.mark.parametrize(
    ("compose_file", "images"),
    [
        ("docker-compose.yml", ("PYTHON_IMAGE", "POSTGRES_IMAGE", "WEBAPP_IMAGE", "API_IMAGE")),
        ("swarm/stack.yml", ("NGINX_IMAGE", "POSTGRES_IMAGE", "WEBAPP_IMAGE", "API_IMAGE")),
    ],
)
def test_the_compose_files_defaults_are_the_names_in_images_env(compose_file: str, images: tuple[str, ...]) -> None:
    defaults = dict(re.findall(r"\$\{(\w+_IMAGE):-([^}]+)\}", (ROOT / compose_file).read_text()))

    assert defaults == {name: _OFFICIAL[name] for name in images}


def test_the_image_script_reads_its_names_from_images_env_and_the_environment_wins() -> None:
    script = 'source scripts/ensure-images.sh && echo "$OFFICIAL_POSTGRES_IMAGE $OFFLINE_PYTHON_IMAGE"'
    result = subprocess.run(
        ["bash", "-c", script],
        cwd=ROOT,
        env={"PATH": "/usr/bin:/bin", "OFFLINE_PYTHON_IMAGE": "elsewhere/python:1"},
        capture_output=True,
        text=True,
        check=True,
    )
    assert result.stdout.split() == [IMAGE_NAMES["OFFICIAL_POSTGRES_IMAGE"], "elsewhere/python:1"]
