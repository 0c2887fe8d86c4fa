"""The test suite's view of its environment, set up before testcontainers is imported.

Image names come from the same variables Compose reads (PYTHON_IMAGE, POSTGRES_IMAGE),
taken from the process environment or else from the project's .env file, which
scripts/ensure-images.sh writes.
"""

from __future__ import annotations

import hashlib
import os
import sys
from dataclasses import dataclass
from pathlib import Path

from dotenv import dotenv_values

ROOT = Path(__file__).resolve().parents[2]

# Every image name of the project, in one place (scripts/ensure-images.sh reads it too).
IMAGE_NAMES: dict[str, str] = {k: v for k, v in dotenv_values(ROOT / "images.env").items() if v is not None}
OFFICIAL_PYTHON_IMAGE = IMAGE_NAMES["OFFICIAL_PYTHON_IMAGE"]
OFFICIAL_POSTGRES_IMAGE = IMAGE_NAMES["OFFICIAL_POSTGRES_IMAGE"]
WEBAPP_REPOSITORY = IMAGE_NAMES["WEBAPP_REPOSITORY"]
API_REPOSITORY = IMAGE_NAMES["API_REPOSITORY"]
# The label scripts/ensure-images.sh puts on the stand-ins it builds (their recipe's digest).
OFFLINE_RECIPE_LABEL = "org.example.offline-recipe"
# What each image is built from: its tag names a digest of these, so two runs of different
# code on one engine never share a tag (and runs of the same code share its build cache).
WEBAPP_SOURCES = ("Dockerfile", ".dockerignore", "requirements.txt", "app")
API_SOURCES = ("api/Dockerfile", "api/.dockerignore", "api/requirements.txt", "api")

# The audit event around reads that name images and are no input of a run's verdict.
UNRECORDED = "docker_tutorial.unrecorded"

# Settings testcontainers reads once, at import time.
TESTCONTAINERS_DEFAULTS = {
    # This machine may carry a /.dockerenv: without this, testcontainers would
    # connect through the bridge gateway instead of the published ports on localhost.
    "TESTCONTAINERS_CONNECTION_MODE": "docker_host",
    # Poll readiness every 0.1 s (default 1 s) for up to 30 s: a container that is not ready by then never will be.
    "TC_POOLING_INTERVAL": "0.1",
    "TC_MAX_TRIES": "300",
}


def load_environment() -> None:
    """Fill os.environ from .env and testcontainers' defaults; explicit variables win."""
    env_file = ROOT / ".env"
    if env_file.exists():
        for key, value in dotenv_values(env_file).items():
            if value is not None:
                os.environ.setdefault(key, value)
    for key, value in TESTCONTAINERS_DEFAULTS.items():
        os.environ.setdefault(key, value)
    # Compose, `make` and the fixtures all read the app images' names from here. Reading the
    # sources only to name the images is no dependency of a run (tests/mutations/reads.py).
    sys.audit(UNRECORDED, "begin")
    try:
        os.environ.setdefault("WEBAPP_IMAGE", f"{WEBAPP_REPOSITORY}:src-{source_digest(WEBAPP_SOURCES)}")
        os.environ.setdefault("API_IMAGE", f"{API_REPOSITORY}:src-{source_digest(API_SOURCES)}")
    finally:
        sys.audit(UNRECORDED, "end")


def source_digest(sources: tuple[str, ...], root: Path = ROOT) -> str:
    """A short digest of the files under `sources` in `root` (caches excluded), names and contents."""
    digest = hashlib.sha256()
    for source in sources:
        path = root / source
        files = sorted(path.rglob("*")) if path.is_dir() else [path]
        for file in files:
            if file.is_file() and "__pycache__" not in file.parts and file.suffix != ".pyc":
                digest.update(file.relative_to(root).as_posix().encode() + b"\0" + file.read_bytes())
    return digest.hexdigest()[:12]


@dataclass(frozen=True)
class Images:
    python: str
    postgres: str
    webapp: str
    api: str
    nginx: str  # the Swarm stack's proxy (chapter 18)

    @classmethod
    def from_environment(cls) -> Images:
        return cls(
            python=os.environ.get("PYTHON_IMAGE", OFFICIAL_PYTHON_IMAGE),
            postgres=os.environ.get("POSTGRES_IMAGE", OFFICIAL_POSTGRES_IMAGE),
            webapp=os.environ["WEBAPP_IMAGE"],
            api=os.environ["API_IMAGE"],
            nginx=os.environ.get("NGINX_IMAGE", IMAGE_NAMES["OFFICIAL_NGINX_IMAGE"]),
        )
