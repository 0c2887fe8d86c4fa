"""A database at the migrations' head, made once and kept as an image: what the `postgres`
fixture starts from.

A database's first start (initdb, about 1.3 s of CPU) and its migrations are the same each time
a scenario needs a migrated database to check something else. So the first session that needs
one makes it: a container of the postgres image with its data directory outside the image's
VOLUME (which `docker commit` leaves out), initialised, migrated, stopped cleanly and committed.
A container of that image finds a data directory and starts the server at once, as the postgres
image does on every start after the first.

Its tag is a digest of what it is made of (the postgres image, the migrations and the code they
run, the credentials), as the webapp's `src-` tags are: a change to any of them makes another,
and sessions of the same code share it. Sessions and pytest-xdist workers take turns making it
(a lock file). The scenarios about a first start (the image chapter's, the database chapter's,
the migrations chapter's, and every Compose stack) still run one.
"""

from __future__ import annotations

import contextlib
import hashlib
from pathlib import Path

import docker
from docker.errors import ImageNotFound

from tests.support import state_folder
from tests.support.environment import IMAGE_NAMES, ROOT, source_digest
from tests.support.locks import exclusive

SNAPSHOT_REPOSITORY = IMAGE_NAMES["DB_SNAPSHOT_REPOSITORY"]
# Not under /var/lib/postgresql/data: the image declares that a VOLUME, and a commit keeps no volume.
SNAPSHOT_DATA = "/var/lib/postgresql/migrated"
# On each snapshot image: the postgres image it was made from (`make clean` removes superseded ones).
SNAPSHOT_LABEL = "org.example.db-snapshot-of"
# What the migrations are and run: a change to any of these makes another snapshot.
MIGRATION_SOURCES = (
    "app/migrations",
    "app/migrate.py",
    "app/schema.py",
    "app/privileges.py",
    "app/visits.py",
    "app/config.py",
    "app/startup.py",
)
# How a snapshot is made, and the versions of what runs the migrations (the runtime lock): a
# change to any of these makes another snapshot too.
RECIPE = ("tests/support/snapshot.py", "tests/support/containers.py", "requirements.txt")
# A docker stop's grace for the server's clean shutdown (a checkpoint) before the commit.
STOP_TIMEOUT = 30


def snapshot_tag(postgres_image_id: str, credentials: tuple[str, str, str], root: Path = ROOT) -> str:
    """The snapshot's name: a digest of the postgres image, the credentials, and MIGRATION_SOURCES
    and RECIPE under `root`."""
    sources = source_digest((*MIGRATION_SOURCES, *RECIPE), root)
    digest = hashlib.sha256("\0".join((postgres_image_id, *credentials, sources)).encode())
    return f"{SNAPSHOT_REPOSITORY}:src-{digest.hexdigest()[:12]}"


def _turn(tag: str) -> contextlib.AbstractContextManager[None]:
    """One maker of `tag` at a time, across processes."""
    return exclusive(state_folder.checked(state_folder.FOLDER / f"{tag.replace('/', '-').replace(':', '-')}.lock"))


def current_tag(client: docker.DockerClient, postgres_image: str) -> str:
    """The snapshot's name for today's code and `postgres_image` (which must exist)."""
    from tests.support.containers import DB_NAME, DB_PASSWORD, DB_USER

    return snapshot_tag(str(client.images.get(postgres_image).id), (DB_USER, DB_PASSWORD, DB_NAME))


def migrated_database_image(postgres_image: str, credentials: tuple[str, str, str]) -> str:
    """The snapshot image of a database at the head, made from `postgres_image` if there is none yet."""
    # Imported here: the migrations' code loads SQLAlchemy and Alembic, which a unit test of the tag needs not.
    from tests.support.containers import LoggedPostgresContainer, migrate_to_head

    client = docker.from_env()
    try:
        image = client.images.get(postgres_image)
        volumes = image.attrs["Config"].get("Volumes") or {}
        if any(f"{SNAPSHOT_DATA}/".startswith(f"{volume.rstrip('/')}/") for volume in volumes):
            raise RuntimeError(
                f"{postgres_image} declares a VOLUME over {SNAPSHOT_DATA}, which a commit leaves out: "
                "move SNAPSHOT_DATA in tests/support/snapshot.py outside its volumes"
            )
        tag = snapshot_tag(str(image.id), credentials)
        with _turn(tag):
            with contextlib.suppress(ImageNotFound):
                client.images.get(tag)
                return tag
            user, password, database = credentials
            container = LoggedPostgresContainer(
                postgres_image, username=user, password=password, dbname=database
            ).with_env("PGDATA", SNAPSHOT_DATA)
            with container:
                migrate_to_head(container.get_connection_url(), user)
                wrapped = container.get_wrapped_container()
                wrapped.stop(timeout=STOP_TIMEOUT)
                exit_code = wrapped.wait()["StatusCode"]
                if exit_code != 0:  # not a clean shutdown: its data directory is not one to copy
                    log = wrapped.logs(tail=20).decode(errors="replace")
                    raise RuntimeError(f"the snapshot's server exited {exit_code} at its stop:\n{log}")
                repository, _, version = tag.rpartition(":")
                wrapped.commit(
                    repository=repository,
                    tag=version,
                    changes=[f"ENV PGDATA={SNAPSHOT_DATA}", f'LABEL {SNAPSHOT_LABEL}="{postgres_image}"'],
                )
            return tag
    finally:
        client.close()
