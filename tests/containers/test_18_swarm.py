"""Chapter 18. Beyond one machine: the system as a Swarm stack (swarm/stack.yml), as
`make stack-up` deploys it. Three webapps behind a reverse proxy published in host mode, two
apis, one database with its volume, every service found by DNS round-robin. The stack scales,
updates and heals itself under load, and no request fails. Run these alone with `pytest -m swarm`."""

from __future__ import annotations

import contextlib
import io
import os
from collections import Counter
from collections.abc import Iterator

import docker
import pytest
import requests
from docker.errors import DockerException, ImageNotFound
from testcontainers.core.image import DockerImage

from tests.support.cleanup import COMPOSE_PROJECT_PREFIX
from tests.support.containers import SCHEMA_OWNERS, exec_in, free_host_port, psql_as_superuser, visits_total
from tests.support.diagnostics import Diagnostics
from tests.support.environment import Images
from tests.support.load import Load, RecordProperty, report
from tests.support.replicas import ReplicaWatch
from tests.support.swarm import Stack, swarm_membership
from tests.support.waiting import wait_until

pytestmark = pytest.mark.swarm

WEBAPP_REPLICAS = 3


@pytest.fixture(scope="module")
def stack(
    docker_client: docker.DockerClient, images: Images, webapp_image: DockerImage, api_image: DockerImage
) -> Iterator[Stack]:
    """The stack under a name of its own, its proxy on a free host port; on a one-node swarm
    made for it if the engine is in none. Afterwards (also after a failure) the stack is
    removed with its containers, networks and volume, and the engine left in or out of a
    swarm as it was found."""
    if not docker_client.images.list(name=images.nginx):
        pytest.fail(f"the proxy's image {images.nginx} is missing: run scripts/ensure-images.sh --proxy")
    with swarm_membership(docker_client):
        deployed = Stack(docker_client, f"{COMPOSE_PROJECT_PREFIX}sw{os.getpid()}", free_host_port())
        try:
            deployed.deploy()
            yield deployed
        finally:
            try:
                deployed.remove()
            finally:
                for tag in deployed.tags:
                    _remove_image(docker_client, tag)


def _remove_image(client: docker.DockerClient, name: str) -> None:
    """Remove an image the scenarios made, once no container uses it any more (the engine removes
    a removed stack's last containers a moment after `docker stack rm` has returned)."""

    def removed() -> bool:
        with contextlib.suppress(ImageNotFound):
            client.images.remove(name)  # a conflict (still in use) is "not yet" to wait_until
        return True

    wait_until(removed, timeout=60, what=f"no container to use {name}, so it can be removed")


@pytest.fixture(autouse=True)
def _stack_diagnostics(stack: Stack, diagnostics: Diagnostics) -> None:
    """A failing scenario's report carries `docker stack ps` and the services' logs."""
    diagnostics.watch(f"stack {stack.name}", stack.diagnostics)


def _healthy_replicas_watch(stack: Stack) -> ReplicaWatch:
    """The webapp's healthy containers, counted every 0.2 s."""
    return ReplicaWatch(
        lambda: len(stack.containers("webapp")),
        (DockerException, requests.RequestException),
        "the webapp's containers",
    )


def test_requests_through_the_published_port_are_served_by_more_than_one_webapp_replica(stack: Stack) -> None:
    """12 requests to the proxy's host port are all answered 200, by at least two of the
    webapp's replicas (each replica's access log shows the pages it served)."""
    stack.wait_converged("webapp")
    before = stack.pages_served()
    answers = [requests.get(stack.url, timeout=10) for _ in range(12)]

    assert {answer.status_code for answer in answers} == {200}
    after = stack.pages_served()
    servers = {container for container, pages in after.items() if pages > before.get(container, 0)}
    assert len(servers) >= 2, (before, after)
    assert sum(after.values()) - sum(before.values()) == 12


def test_every_service_of_the_stack_keeps_a_bounded_log(stack: Stack) -> None:
    """As in Compose: every service's tasks log to files rotated at 10 MB, five kept."""
    services = ("proxy", "webapp", "api", "db", "migrate")
    drivers = {service: stack.inspect(service)["Spec"]["TaskTemplate"].get("LogDriver") for service in services}

    bounded = {"Name": "json-file", "Options": {"max-size": "10m", "max-file": "5"}}
    assert drivers == {service: bounded for service in services}


def test_the_migrations_ran_once_as_a_swarm_job_as_the_databases_owner(stack: Stack) -> None:
    """In the stack the migrate service is a Swarm job (`mode: replicated-job`): a task run to
    completion (the deployment waited for it) before the scenarios' first page; the tables and
    the database are the database owner's, not the webapp's role's."""
    mode = stack.inspect("migrate")["Spec"]["Mode"]
    (database,) = stack.containers("db")

    assert "ReplicatedJob" in mode
    # A task retried after a failure (the database not yet up) leaves its failed ones beside it.
    assert _completed_migrations(stack) == 1
    assert psql_as_superuser(database, SCHEMA_OWNERS) == "postgres postgres"


def _completed_migrations(stack: Stack) -> int:
    states = stack.cli("service", "ps", "--format", "{{.CurrentState}}", stack.service("migrate"))
    return sum(1 for state in states.splitlines() if state.startswith("Complete"))


def test_a_rebuilt_image_under_the_same_tag_is_rolled_out_and_migrates_again(
    stack: Stack, docker_client: docker.DockerClient, webapp_image: DockerImage
) -> None:
    """`make stack-up` after a code change rebuilds the webapp's image under the same tag (:dev),
    and `docker stack deploy --resolve-image never` compares image names only. The webapp's spec
    also carries the image's id (a label scripts/stack.sh fills), so the next deploy sees a new
    spec and every replica runs the rebuilt image; the migrations' job runs again (as at every
    deploy: Swarm starts a job anew at each update of its service)."""
    tag = str(webapp_image)
    original = docker_client.images.get(tag)
    recipe = f"FROM {original.id}\nLABEL org.example.rebuilt={stack.name}\n".encode()
    rebuilt, _ = docker_client.images.build(fileobj=io.BytesIO(recipe), tag=tag, rm=True)
    stack.tags.append(str(rebuilt.id))  # removed with the stack, once no task uses it
    try:
        stack.deploy()
        # The new spec names the rebuilt image: else Swarm sees nothing to roll out (and the wait
        # below would wait out its deadline).
        container_labels = stack.inspect("webapp")["Spec"]["TaskTemplate"]["ContainerSpec"].get("Labels") or {}
        assert rebuilt.id in container_labels.values(), container_labels
        wait_until(lambda: _completed_migrations(stack) == 2, timeout=120, what="the migrations' job to run again")
        wait_until(
            lambda: (
                {str(c.image.id if c.image else "") for c in stack.containers("webapp")} == {rebuilt.id}
                and stack.running_replicas("webapp") == WEBAPP_REPLICAS
            ),
            timeout=90,
            what="every webapp replica on the rebuilt image",
        )
    finally:
        original.tag(tag)  # the session's tag back on the image it names
    assert requests.get(stack.url, timeout=10).status_code == 200


def test_every_visit_lands_in_the_one_database(stack: Stack) -> None:
    """20 visits through the proxy, whichever replica serves them, raise the total by exactly
    20: six answers through the proxy (from whichever replicas give them) report the same
    total, and so does psql in the database's container."""
    before = visits_total(stack.url)
    pages = [requests.get(stack.url, timeout=10) for _ in range(20)]
    assert {page.status_code for page in pages} == {200}

    totals = {visits_total(stack.url) for _ in range(6)}
    assert totals == {before + 20}
    (database,) = stack.containers("db")
    assert int(psql_as_superuser(database, "SELECT count(*) FROM visits")) == before + 20


def test_scaling_the_webapp_from_3_to_5_and_back_keeps_serving(stack: Stack) -> None:
    """Under a load of 2 clients the webapp is scaled to 5 replicas and back to 3: every
    request is answered 200, and the proxy sends requests to the two new replicas within 20 s
    of their being healthy (it resolves the service's name per request, not once)."""
    stack.wait_converged("webapp", WEBAPP_REPLICAS)
    before = set(stack.pages_served())
    with Load(stack.url, clients=2, seconds=150, timeout=10) as load:
        stack.cli("service", "scale", "--detach=false", f"{stack.service('webapp')}=5")
        stack.wait_converged("webapp", 5)
        added = set(stack.pages_served()) - before
        assert len(added) == 2, added
        wait_until(
            lambda: all(stack.pages_served().get(container, 0) > 0 for container in added),
            timeout=20,
            what=f"the proxy to send requests to the new replicas {sorted(added)}",
        )
        stack.cli("service", "scale", "--detach=false", f"{stack.service('webapp')}={WEBAPP_REPLICAS}")
        stack.wait_converged("webapp", WEBAPP_REPLICAS)
        load.wait_more(20, after="scaling down")

    statuses = Counter(answer.status for answer in load.answers())
    assert set(statuses) == {200}, statuses


def test_a_rolling_update_under_load_answers_every_request(
    stack: Stack, docker_client: docker.DockerClient, record_testsuite_property: RecordProperty
) -> None:
    """The webapp's image is updated (`docker service update --image`, the same image under a
    new tag) while 2 clients load the page. The update replaces the tasks one at a time,
    starting each new one before stopping its old one (as the stack file's update_config
    says): every count taken during the update finds at least 3 healthy replicas, every
    request answered 200, the update completed, every task on the new image."""
    stack.wait_converged("webapp", WEBAPP_REPLICAS)
    service = stack.service("webapp")
    current = stack.inspect("webapp")["Spec"]["TaskTemplate"]["ContainerSpec"]["Image"]
    new_tag = f"{current.split('@')[0].rsplit(':', 1)[0]}:{stack.name}-next"
    docker_client.images.get(current.split("@")[0]).tag(new_tag)
    stack.tags.append(new_tag)

    load = Load(stack.url, clients=2, seconds=150, timeout=10)
    watch = _healthy_replicas_watch(stack)
    try:
        stack.cli("service", "update", "--detach=false", "--no-resolve-image", "--image", new_tag, service)
        # The command returns once the tasks are replaced; the update is complete after its last monitor period.
        wait_until(
            lambda: not stack.update_under_way("webapp"),
            timeout=60,
            what="the update's last monitor period to end",
        )
    finally:
        fewest = watch.stop()
        answers = load.stop()

    statuses = report(record_testsuite_property, "rolling update", answers)
    update = stack.inspect("webapp").get("UpdateStatus", {})
    assert update.get("State") == "completed", update
    images = {c.attrs["Config"]["Image"] for c in stack.containers("webapp")}
    assert images == {new_tag}
    assert fewest >= WEBAPP_REPLICAS, watch.counts
    assert set(statuses) == {200}, statuses


def test_a_killed_webapp_replica_is_replaced_and_no_request_fails(
    stack: Stack, record_testsuite_property: RecordProperty
) -> None:
    """One webapp replica's container is killed (SIGKILL) under a load of 2 clients. The
    orchestrator starts a new task in its place (3 healthy replicas again, the killed one not
    among them); no request fails, and the visits recorded are exactly as many as the pages
    answered (the proxy is set to send a request whose connection was lost to another
    replica, with the same request id, which the webapp records once)."""
    stack.wait_converged("webapp", WEBAPP_REPLICAS)
    before = visits_total(stack.url)
    with Load(stack.url, clients=2, seconds=150, timeout=10) as load:
        load.wait_answered(20)
        victim = stack.containers("webapp")[0]
        victim.kill()
        wait_until(
            lambda: (
                victim.id not in {c.id for c in stack.containers("webapp")}
                and stack.running_replicas("webapp") == WEBAPP_REPLICAS
                and len(stack.containers("webapp")) == WEBAPP_REPLICAS
            ),
            timeout=60,
            what="a new webapp task in place of the killed one",
        )
        load.wait_more(20, after="the healing")

    statuses = report(record_testsuite_property, "killed replica", load.answers())
    assert set(statuses) == {200}, statuses
    # A request the killed replica had recorded but not answered was sent again with its id: once.
    assert visits_total(stack.url) == before + statuses[200]


@pytest.mark.security
def test_the_proxy_is_as_hard_as_the_services_behind_it(stack: Stack) -> None:
    """The proxy, the one service reachable from beyond the machine: a read-only root (tmpfs
    where nginx writes), no capability but the three its master needs, bounded memory and
    processes, and a health check it passes."""
    spec = stack.inspect("proxy")["Spec"]["TaskTemplate"]
    container = spec["ContainerSpec"]

    assert container.get("ReadOnly") is True
    assert container.get("CapabilityDrop") == ["ALL"]
    assert sorted(container.get("CapabilityAdd") or []) == ["CAP_CHOWN", "CAP_SETGID", "CAP_SETUID"]
    assert {mount["Target"] for mount in container.get("Mounts", []) if mount["Type"] == "tmpfs"} >= {"/run", "/tmp"}
    limits = spec["Resources"]["Limits"]
    assert limits.get("MemoryBytes") == 64 * 2**20
    assert limits.get("Pids") == 32
    assert container.get("Healthcheck", {}).get("Test", [None])[0] == "CMD"
    (proxy,) = stack.containers("proxy")
    assert proxy.attrs["State"]["Health"]["Status"] == "healthy"


@pytest.mark.security
def test_every_service_of_the_stack_drops_every_capability_and_is_bounded_in_memory_and_processes(
    stack: Stack,
) -> None:
    """As in Compose, each service of the stack drops every capability (the proxy and the
    database add back only what their entrypoints need) and has its memory and its number of
    processes bounded: 256 MiB and 128 processes for the webapp, the api and the migrations'
    job, 512 MiB and 256 for the database, 64 MiB and 32 for the proxy. (A Swarm service has no
    no-new-privileges, which Compose's have: docs/security.md says what bounds that.)"""
    bounds = {"proxy": (64, 32), "webapp": (256, 128), "api": (256, 128), "migrate": (256, 128), "db": (512, 256)}
    found = {}
    for service in bounds:
        spec = stack.inspect(service)["Spec"]["TaskTemplate"]
        limits = spec.get("Resources", {}).get("Limits", {})
        dropped = spec["ContainerSpec"].get("CapabilityDrop")
        found[service] = ((limits.get("MemoryBytes", 0) // 2**20, limits.get("Pids")), dropped)

    assert found == {service: (bound, ["ALL"]) for service, bound in bounds.items()}


@pytest.mark.security
def test_the_api_cannot_reach_the_database_in_the_stack_either(stack: Stack) -> None:
    """As in Compose: the database is on the back-end network, which the api is not on, and
    that network is internal (no way off the swarm): from an api task the database's name does
    not even resolve, while a webapp task reaches it."""
    probe = "import socket, sys; socket.create_connection((sys.argv[1], 5432), timeout=3).close()"
    (api, *_) = stack.containers("api")
    (webapp, *_) = stack.containers("webapp")

    code, output = exec_in(api, "python", "-c", probe, "db")
    from_webapp = exec_in(webapp, "python", "-c", probe, "db")

    backend = stack.client.networks.get(f"{stack.name}_backend")
    assert backend.attrs["Internal"] is True
    assert code != 0
    assert "gaierror" in output or "Name or service not known" in output, output
    assert from_webapp[0] == 0, from_webapp
