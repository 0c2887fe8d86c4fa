"""Chapter 19. Three nodes: the Swarm stack of chapter 18 on a swarm of three machines, all on
this one (`make cluster-up`, scripts/cluster.sh). Each node is a Docker engine in a privileged
container; all three are managers; the images reach them through a registry beside them, as
on real hosts. The database is pinned to the node that keeps its volume, the proxy to the node
whose port the clients reach (one node, node1, for both), the webapp's replicas spread one per
node. Under a bounded load through the proxy, a node is drained, a node is killed, the leader
is killed and the webapp is updated across the nodes; then, with no load, the database's node
is killed. Run these alone with `pytest -m cluster`: about four minutes."""

from __future__ import annotations

import contextlib
import io
import os
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass

import docker
import pytest
from docker.errors import DockerException

from tests.support.cleanup import COMPOSE_PROJECT_PREFIX
from tests.support.cluster import DB_NODE, EDGE_NODE, NODES, PLAIN_NODES, REGISTRY, Cluster, three_nodes
from tests.support.containers import visits_total
from tests.support.diagnostics import Diagnostics
from tests.support.environment import Images
from tests.support.load import Answer, Load, RecordProperty, report
from tests.support.replicas import ReplicaWatch
from tests.support.swarm import UPDATE_UNDER_WAY
from tests.support.waiting import wait_for_http, wait_until

pytestmark = [pytest.mark.cluster, pytest.mark.timeout(600)]

REPLICAS = len(NODES)
# What the image pushed under the webapp's name carries, and the deployed one does not.
IMPOSTOR_LABEL = "org.example.impostor"
# The load of every scenario: two clients, one request after the other, each given 10 s.
CLIENTS = 2
CLIENT_TIMEOUT = 10


@pytest.fixture(scope="module")
def cluster(
    docker_client: docker.DockerClient, images: Images, webapp_image: object, api_image: object
) -> Iterator[Cluster]:
    """Three nodes and the stack on them, the images built by this session; afterwards (also
    after a failure) the nodes, the registry, their volumes and network are removed."""
    with three_nodes(docker_client, f"{COMPOSE_PROJECT_PREFIX}cl{os.getpid()}", images.webapp, images.api) as made:
        yield made


@pytest.fixture(autouse=True)
def _cluster_diagnostics(cluster: Cluster, diagnostics: Diagnostics) -> None:
    """A failing scenario's report carries `docker node ls`, `docker stack ps` and the logs."""
    diagnostics.watch(f"cluster {cluster.name}", cluster.diagnostics)


@dataclass(frozen=True)
class Kill:
    """From the kill signal sent (time.monotonic()) to the node known dead."""

    sent: float
    dead: float

    def in_flight(self, answer: Answer) -> bool:
        """Whether the request was sent before the node was dead and not answered when the
        kill was sent: the replica it went to may have died with it."""
        return answer.started <= self.dead and answer.started + answer.seconds >= self.sent


def _running_replicas_watch(cluster: Cluster) -> ReplicaWatch:
    """The webapp's running (healthy) tasks, counted every 0.2 s through a manager."""
    return ReplicaWatch(
        lambda: len(cluster.running_tasks("webapp")),
        (RuntimeError, OSError, subprocess.SubprocessError),
        "the webapp's tasks",
    )


def test_three_managers_replicas_on_every_node_and_pages_served_across_the_overlay(
    cluster: Cluster, record_testsuite_property: RecordProperty
) -> None:
    """The three nodes are managers, one of them the leader. The webapp runs one replica on
    each node, every replica's image pulled from the cluster's registry; the database runs on
    the node labelled for it. 30 pages loaded through the proxy (on the edge node) are all
    answered 200, by replicas on at least two nodes: the overlay network carries the requests
    from the edge node to the others."""
    nodes = cluster.nodes()
    assert set(nodes) == set(NODES)
    assert sorted(node.manager_status for node in nodes.values()) == ["Leader", "Reachable", "Reachable"], nodes
    cluster.wait_converged("webapp", REPLICAS)
    assert set(cluster.replicas_by_node("webapp")) == set(NODES), cluster.replicas_by_node("webapp")
    for node in NODES:
        images = {c.attrs["Config"]["Image"] for c in cluster.containers(node, "webapp")}
        assert images, f"no webapp container on {node}"
        assert all(image.startswith(f"{REGISTRY}/") for image in images), (node, images)
    assert cluster.running_tasks("db") == [DB_NODE]

    before = cluster.pages_served()
    with Load(cluster.url, clients=CLIENTS, seconds=60, timeout=CLIENT_TIMEOUT) as load:
        wait_until(lambda: len(load.answers()) >= 30, timeout=30, what="30 answers")
    answers = load.answers()
    after = cluster.pages_served()
    serving_nodes = {node for (node, container), pages in after.items() if pages > before.get((node, container), 0)}

    statuses = report(record_testsuite_property, "spread", answers, nodes_serving=len(serving_nodes))
    assert set(statuses) == {200}, statuses
    assert len(serving_nodes) >= 2, (before, after)
    assert serving_nodes - {EDGE_NODE}, "no page was served by a replica on another node than the proxy's"


def test_a_rolling_update_across_the_nodes_answers_every_request_and_runs_only_the_deployed_image(
    cluster: Cluster, images: Images, record_testsuite_property: RecordProperty
) -> None:
    """The webapp's spec changes (`docker service update`, a new container label) while two
    clients load the page (the stack file's update order: one task at a time, the new one
    started first). Every count taken during the update finds at least 3 replicas running,
    every request is answered 200, and afterwards the replicas run on at least two nodes.
    Before the update, another image (one that works) is pushed into the registry under the
    webapp's name, as any user of this machine may (the registry has no accounts): every
    replica the update starts runs the image the stack was deployed with, because the stack
    names each image by the digest its push reported, not by its tag."""
    cluster.wait_converged("webapp", REPLICAS)
    with _impostor_of(cluster.host, images.webapp) as impostor:
        cluster.push_under(impostor, images.webapp)
    load = Load(cluster.url, clients=CLIENTS, seconds=240, timeout=CLIENT_TIMEOUT)
    watch = _running_replicas_watch(cluster)
    try:
        cluster.cli(
            "service",
            "update",
            "--detach=false",
            "--container-label-add",
            f"org.example.rollout={os.getpid()}",
            cluster.service("webapp"),
            timeout=300,
        )
        wait_until(
            lambda: cluster.update_state("webapp") not in UPDATE_UNDER_WAY,
            timeout=60,
            what="the update's last monitor period to end",
        )
    finally:
        fewest = watch.stop()
        answers = load.stop()

    statuses = report(record_testsuite_property, "rolling update across nodes", answers, fewest_replicas=fewest)
    assert cluster.update_state("webapp") == "completed"
    assert fewest >= REPLICAS, watch.counts
    assert set(statuses) == {200}, statuses
    assert len(cluster.replicas_by_node("webapp")) >= 2, cluster.replicas_by_node("webapp")
    # A container carries its image's labels: the impostor's would name it.
    running = [c.attrs["Config"]["Labels"] for node in NODES for c in cluster.containers(node, "webapp")]
    assert len(running) >= REPLICAS, running
    assert [labels for labels in running if IMPOSTOR_LABEL in labels] == []


@contextlib.contextmanager
def _impostor_of(host: docker.DockerClient, image: str) -> Iterator[str]:
    """An image that works as `image` does and is another (one label more), removed afterwards."""
    tag = f"docker-tutorial.invalid/impostor:{COMPOSE_PROJECT_PREFIX}-{os.getpid()}"
    recipe = f"FROM {image}\nLABEL {IMPOSTOR_LABEL}=true\n".encode()
    host.images.build(fileobj=io.BytesIO(recipe), tag=tag, rm=True)
    try:
        yield tag
    finally:
        with contextlib.suppress(DockerException):
            host.images.remove(tag, force=True)


def test_killing_the_leader_elects_another_and_the_stack_keeps_serving(
    cluster: Cluster, record_testsuite_property: RecordProperty
) -> None:
    """The leader (neither the database's node nor the proxy's) is killed under load. The
    two other managers elect a new leader; `docker node ls` on a survivor shows the dead one
    Down and unreachable; the stack keeps serving: only requests in flight at the kill may
    fail, and no answered visit is lost. Started again, the node rejoins as a manager."""
    victim = cluster.make_leader_one_of(PLAIN_NODES)
    before = visits_total(cluster.url)
    try:
        with Load(cluster.url, clients=CLIENTS, seconds=300, timeout=CLIENT_TIMEOUT) as load:
            load.wait_answered(20)
            killed = _kill(cluster, victim)
            wait_until(
                lambda: cluster.leader() not in (None, victim),
                timeout=60,
                what="a new leader among the survivors",
                interval=0.5,
            )
            cluster.wait_node(victim, "Down", timeout=120)
            assert cluster.nodes()[victim].manager_status == "Unreachable"
            load.wait_more(20, after="the new leader's election")
    finally:
        cluster.start(victim)  # and waits until it is a reachable manager again
    answers = load.answers()

    failed = [answer for answer in answers if answer.status != 200]
    visits = visits_total(cluster.url) - before
    statuses = report(record_testsuite_property, "leader killed", answers, visits_recorded=visits)
    assert all(killed.in_flight(answer) for answer in failed), failed
    assert visits >= statuses[200], (visits, statuses)


def test_draining_a_node_moves_its_tasks_to_the_others_with_no_failed_request(
    cluster: Cluster, record_testsuite_property: RecordProperty
) -> None:
    """A node running a webapp replica is drained under load (`docker node update
    --availability drain`): its tasks are stopped there and started on the two other nodes,
    3 replicas run again, and every request is answered 200, each recorded once. The node is
    made active again afterwards."""
    victim = cluster.plain_node_running_webapp(avoid=cluster.leader())
    before = visits_total(cluster.url)
    try:
        with Load(cluster.url, clients=CLIENTS, seconds=240, timeout=CLIENT_TIMEOUT) as load:
            load.wait_answered(20)
            cluster.cli("node", "update", "--availability", "drain", victim)
            wait_until(
                lambda: _replicas_all_off(cluster, victim),
                timeout=90,
                what=f"the webapp's replicas to leave {victim} and run 3 again",
                interval=0.5,
            )
            load.wait_more(20, after="the drain")
    finally:
        cluster.cli("node", "update", "--availability", "active", victim)
    answers = load.answers()

    visits = visits_total(cluster.url) - before
    statuses = report(record_testsuite_property, "node drained", answers, visits_recorded=visits)
    assert set(statuses) == {200}, statuses
    assert visits == statuses[200]
    assert victim not in cluster.running_tasks("api"), "an api task still runs on the drained node"


def test_the_replicas_of_a_killed_node_are_started_on_the_others(
    cluster: Cluster, record_testsuite_property: RecordProperty
) -> None:
    """A node running a webapp replica (not the database's, not the proxy's) is killed under
    load, as a host that loses its power. The swarm marks it Down and starts its webapp
    replica on one of the two others: 3 replicas run again, none on it. Only requests in
    flight at the kill may fail, and no answered visit is lost."""
    victim = cluster.plain_node_running_webapp(avoid=cluster.leader())
    before = visits_total(cluster.url)
    try:
        with Load(cluster.url, clients=CLIENTS, seconds=300, timeout=CLIENT_TIMEOUT) as load:
            load.wait_answered(20)
            killed = _kill(cluster, victim)
            cluster.wait_node(victim, "Down", timeout=90)
            wait_until(
                lambda: _replicas_all_off(cluster, victim),
                timeout=90,
                what="3 webapp replicas on the two other nodes",
                interval=0.5,
            )
            load.wait_more(20, after="the healing")
    finally:
        cluster.start(victim)
    answers = load.answers()

    failed = [answer for answer in answers if answer.status != 200]
    visits = visits_total(cluster.url) - before
    statuses = report(record_testsuite_property, "node killed", answers, visits_recorded=visits)
    assert all(killed.in_flight(answer) for answer in failed), failed
    assert visits >= statuses[200], (visits, statuses)


def test_the_database_waits_for_its_node_and_comes_back_there_with_every_visit(
    cluster: Cluster, record_testsuite_property: RecordProperty
) -> None:
    """The database's node (the proxy's too) is killed. The database is not started on
    another node, where its volume is not: its task waits for its node, pending on none. Started again, the
    node runs the database with every visit recorded before the kill, and the page answers
    again through the proxy."""
    survivor = PLAIN_NODES[0]
    for node in NODES:
        cluster.wait_rejoined(node)  # a quorum of two survives the loss
    wait_for_http(cluster.url, timeout=30)
    before = visits_total(cluster.url)
    assert before > 0
    _kill(cluster, DB_NODE)
    try:
        cluster.wait_node(DB_NODE, "Down", timeout=120, via=survivor)
        # The orchestrator replaces the lost task with one that no other node may take.
        wait_until(
            lambda: ("", "Pending") in cluster.tasks("db", via=survivor),
            timeout=30,
            what="the database's task pending, on no node",
            interval=0.5,
        )
        assert not any(state == "Running" for _, state in cluster.tasks("db", via=survivor))
    finally:
        cluster.start(DB_NODE)
    cluster.wait_converged("db", 1)
    wait_for_http(cluster.url, timeout=60)  # a page: one visit more
    after = visits_total(cluster.url)

    record_testsuite_property("database_node_killed.visits_before", before)
    record_testsuite_property("database_node_killed.visits_after", after)
    print(f"\ndatabase node killed: {before} visits before, {after} after")
    assert cluster.running_tasks("db") == [DB_NODE]
    assert cluster.task_nodes_ever("db") == {DB_NODE}
    assert after >= before + 1


def _kill(cluster: Cluster, node: str) -> Kill:
    """Kills `node`: when the signal went, when it was dead."""
    sent = time.monotonic()
    try:
        cluster.kill(node)
    except DockerException as error:
        raise AssertionError(f"{node} could not be killed: {error}") from error
    return Kill(sent, time.monotonic())


def _replicas_all_off(cluster: Cluster, node: str) -> bool:
    """3 webapp replicas run, none on `node`; fails at once where a replica can go to no node."""
    running = cluster.running_tasks("webapp")
    if node not in running and len(running) == REPLICAS:
        return True
    reason = cluster.unplaceable("webapp")
    assert not reason, f"a webapp replica can be placed on no node while every node is Ready: {reason}"
    return False
