"""Session fixtures of the specification: engine, images, networks, databases.

Container scenarios need a Docker engine and the base images: `make test` (or
scripts/ensure-images.sh) provides both. Without them a scenario fails with the
reason; it is never skipped.
"""

from __future__ import annotations

import contextlib
import os
import re
import subprocess
import uuid
from collections.abc import Generator, Iterator
from pathlib import Path

import pytest

from tests.support.environment import ROOT, Images, load_environment

# pytester runs a session of the suite inside a scenario (chapter 20).
pytest_plugins = ["pytester"]

# Before testcontainers is imported: it reads its settings once, at import time.
load_environment()

import docker  # noqa: E402
from docker.errors import DockerException  # noqa: E402
from testcontainers.community.postgres import PostgresContainer  # noqa: E402
from testcontainers.core.image import DockerImage  # noqa: E402
from testcontainers.core.network import Network  # noqa: E402

from tests.mutations.inputs import tree_digest  # noqa: E402
from tests.mutations.reads import READS_FILE  # noqa: E402
from tests.support import cleanup  # noqa: E402
from tests.support import diagnostics as scenario_reports  # noqa: E402
from tests.support.containers import postgres_container  # noqa: E402
from tests.support.diagnostics import Diagnostics, scenario_diagnostics  # noqa: E402


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    """A failed scenario's report carries the logs of its containers, read while they still run;
    so does reports/logs/<scenario>.txt, which a CI run keeps as an artefact."""
    report = yield
    collected = item.stash.get(scenario_diagnostics, None)
    if report.failed and report.when == "call" and collected is not None and collected.sources:
        rendered = collected.render()
        report.sections.append(("containers", rendered))
        FAILED_SCENARIO_LOGS.mkdir(parents=True, exist_ok=True)
        name = re.sub(r"[^A-Za-z0-9_.\[\]-]+", "_", item.nodeid)[-200:]
        (FAILED_SCENARIO_LOGS / f"{name}.txt").write_text(rendered + "\n", encoding="utf-8")
    return report


def pytest_configure(config: pytest.Config) -> None:
    """Note which tree the session runs on, for its JUnit report: the planted-mistake runner stores
    a kill only where a report of that very tree shows the killers passing unpatched."""
    # A run of the planted-mistake runner (which notes every program a run starts, this git too)
    # is no evidence of the unpatched tree.
    if hasattr(config, "workerinput") or not config.option.xmlpath or os.environ.get(READS_FILE):
        return
    # Not a git checkout (a copy, an archive): no report of it is evidence.
    with contextlib.suppress(OSError, subprocess.CalledProcessError):
        config.stash[tree_of_this_run] = tree_digest(ROOT)


def pytest_sessionfinish(session: pytest.Session) -> None:
    tree = session.config.stash.get(tree_of_this_run, None)
    if tree is not None:
        Path(session.config.option.xmlpath + ".tree").write_text(tree + "\n", encoding="utf-8")


tree_of_this_run = pytest.StashKey[str]()


# Where a failed scenario's container logs are written, beside the JUnit reports.
FAILED_SCENARIO_LOGS = ROOT / "reports" / "logs"


# Chapters that run in a session of their own, and why.
RUN_ALONE = {
    # Joining and leaving a swarm cuts name resolution in the engine's other running
    # containers (moby/moby#45144), so no other scenario may run beside it.
    "swarm": "they run alone, with `pytest -m swarm`",
    # Minutes, three engines of its own and six node failures: never beside other scenarios.
    "cluster": "they run alone, with `pytest -m cluster` (the third session of `make test`)",
    # Minutes each, and the README's test command runs inside them: never part of that command.
    "rehearsal": "they run alone, with `pytest -m rehearsal` (`make rehearse`)",
}


# Last: after -m and -k have chosen the session's scenarios.
@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """The Swarm chapter and the fresh-machine rehearsals run in sessions of their own
    (`make test` runs the Swarm chapter as a second session; `make rehearse` the rehearsals):
    a session that selects them with other scenarios leaves them out."""
    reporter = config.pluginmanager.get_plugin("terminalreporter")
    for marker, how in RUN_ALONE.items():
        alone = [item for item in items if item.get_closest_marker(marker)]
        if not alone or len(alone) == len(items):
            continue
        config.hook.pytest_deselected(items=alone)
        items[:] = [item for item in items if not item.get_closest_marker(marker)]
        if reporter is not None:
            reporter.write_line(f"{len(alone)} {marker} scenario(s) deselected: {how}")


@pytest.fixture(autouse=True)
def diagnostics(request: pytest.FixtureRequest) -> Diagnostics:
    """What to show if the scenario fails; the suite's containers register their logs here."""
    collected = scenario_reports.begin_scenario()
    request.node.stash[scenario_diagnostics] = collected
    return collected


@pytest.fixture(scope="session")
def docker_client() -> Iterator[docker.DockerClient]:
    """The engine; at session end, anything this session left on it is removed."""
    try:
        client = docker.from_env()
        client.ping()
    except DockerException as error:
        pytest.fail(
            f"no Docker engine answers ({error}). Start one with scripts/ensure-engine.sh, "
            "or run the suite with `make test`, which does.",
            pytrace=False,
        )
    with cleanup.noted_session():
        yield client
    removed = cleanup.sweep(client)
    if any(removed.values()):
        print(f"\nsession cleanup removed leftovers: {removed}")
    client.close()


@pytest.fixture(scope="session")
def images(docker_client: docker.DockerClient) -> Images:
    names = Images.from_environment()
    missing = [name for name in (names.python, names.postgres) if not docker_client.images.list(name=name)]
    if missing:
        pytest.fail(
            f"base images missing: {', '.join(missing)}. Run scripts/ensure-images.sh "
            "(it pulls them, or builds offline stand-ins and names them in .env).",
            pytrace=False,
        )
    return names


def _build(path: str, tag: str, base_image: str) -> DockerImage:
    # clean_up=False: the images outlive the session, so the next run starts from the build cache.
    return DockerImage(path=path, tag=tag, clean_up=False, buildargs={"PYTHON_IMAGE": base_image}).build()


@pytest.fixture(scope="session")
def webapp_image(images: Images) -> DockerImage:
    """The webapp image, built once per session from the root Dockerfile."""
    return _build(str(ROOT), images.webapp, images.python)


@pytest.fixture(scope="session")
def api_image(images: Images) -> DockerImage:
    """The api image, built once per session from api/Dockerfile."""
    return _build(str(ROOT / "api"), images.api, images.python)


@pytest.fixture
def network(docker_client: docker.DockerClient) -> Iterator[Network]:
    """A user-defined network: containers on it find each other by name."""
    with Network() as net:
        yield net


@pytest.fixture
def postgres(images: Images, network: Network) -> Iterator[PostgresContainer]:
    """PostgreSQL on `network`, reachable there as "db"."""
    with postgres_container(images, network) as container:
        yield container


@pytest.fixture
def data_volume(docker_client: docker.DockerClient) -> Iterator[str]:
    """A named volume of its own for a database's data directory, removed afterwards."""
    volume = docker_client.volumes.create(f"tc-data-{uuid.uuid4().hex[:12]}")
    yield str(volume.name)
    # A container a failed wait left running still uses it: it goes first.
    for container in docker_client.containers.list(all=True, filters={"volume": str(volume.name)}):
        container.remove(force=True, v=True)
    volume.remove(force=True)
