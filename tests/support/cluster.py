"""The three-node swarm of chapter 19 (scripts/cluster.sh): its nodes, its stack, its failures.

Each node is a Docker engine in a privileged container on this engine; the suite talks to a
node's engine through the socket the node shares with the host, and to the stack through the
port its edge node publishes on the host's loopback.
"""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
import tempfile
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import docker
from docker.errors import DockerException, NotFound
from docker.models.containers import Container
from testcontainers.core.labels import SESSION_ID

from tests.support.environment import ROOT
from tests.support.marks import SESSION_LABEL, SWARM_SERVICE_LABEL
from tests.support.swarm import PAGE_SERVED, UPDATE_UNDER_WAY
from tests.support.waiting import wait_until

CLUSTER_SCRIPT = ROOT / "scripts" / "cluster.sh"
NODES = ("node1", "node2", "node3")
# Their roles, as scripts/cluster.sh labels them.
EDGE_NODE = "node1"  # its port is the stack's, the proxy runs there
DB_NODE = "node1"  # the database and its volume
# The nodes the stack can lose and still serve: neither the proxy's nor the database's.
PLAIN_NODES = ("node2", "node3")
STACK = "tutorial"
REGISTRY = "registry:5000"
# The proxy's port on the edge node, which the node publishes on the host.
NODE_PROXY_PORT = "8080/tcp"
# For the commands polled while a node is lost or a leader elected: one that hangs is a failed poll.
POLL_TIMEOUT = 15


@dataclass(frozen=True)
class Node:
    """A line of `docker node ls`."""

    hostname: str
    status: str  # Ready, Down, Unknown
    availability: str  # Active, Pause, Drain
    manager_status: str  # Leader, Reachable, Unreachable ("" for a worker)


@dataclass
class Cluster:
    """scripts/cluster.sh's three nodes and the stack on them, under a name of this session."""

    host: docker.DockerClient
    name: str
    # Labelled with the session, whose sweep then removes what a killed run left (not a cluster
    # kept for several sessions: the first one's sweep would remove it under the others).
    session_labelled: bool = True
    sockets: Path = field(init=False)
    _engines: dict[str, docker.DockerClient] = field(default_factory=dict, init=False)

    def __post_init__(self) -> None:
        self.sockets = Path(tempfile.gettempdir()) / self.name

    def _script(self, command: str, env: dict[str, str] | None = None) -> None:
        environment = {
            **os.environ,
            "CLUSTER_NAME": self.name,
            "CLUSTER_PORT": "0",
            "CLUSTER_SOCKETS": str(self.sockets),
            # A stack converges in about 30 s here, also beside other work; one that cannot is said so in 120.
            "CLUSTER_WAIT_SECONDS": "120",
            # The session's sweep removes what a killed run left.
            "CLUSTER_LABELS": f"{SESSION_LABEL}={SESSION_ID}" if self.session_labelled else "",
            **(env or {}),
        }
        result = subprocess.run([str(CLUSTER_SCRIPT), command], env=environment, capture_output=True, text=True)
        if result.returncode != 0:
            raise RuntimeError(f"scripts/cluster.sh {command} exited {result.returncode}\n{result.stderr[-4000:]}")

    def up(self, webapp_image: str, api_image: str) -> None:
        """Nodes, registry, swarm, the stack deployed and converged."""
        self._script("up", {"WEBAPP_IMAGE": webapp_image, "API_IMAGE": api_image})

    def down(self) -> None:
        for engine in self._engines.values():
            engine.close()
        self._script("down")

    def reset(self) -> None:
        """A cluster made before whole again and without its stack (nothing when none was made)."""
        self._script("reset")

    # --- talking to the nodes --------------------------------------------------------------------

    def socket(self, node: str) -> str:
        return f"unix://{self.sockets / node / 'docker.sock'}"

    def cli(self, *args: str, node: str = EDGE_NODE, timeout: float = 60) -> str:
        """A docker CLI command on `node`'s engine (it must succeed): its output."""
        result = subprocess.run(
            ["docker", *args],
            env={**os.environ, "DOCKER_HOST": self.socket(node)},
            capture_output=True,
            text=True,
            timeout=timeout,
        )
        if result.returncode != 0:
            raise RuntimeError(f"`docker {' '.join(args)}` on {node} exited {result.returncode}\n{result.stderr}")
        return result.stdout

    def engine(self, node: str) -> docker.DockerClient:
        if node not in self._engines:
            self._engines[node] = docker.DockerClient(base_url=self.socket(node), timeout=30)
        return self._engines[node]

    def container(self, node: str) -> Container:
        """The node itself: a container on this machine's engine."""
        return self.host.containers.get(f"{self.name}-{node}")

    @property
    def url(self) -> str:
        bindings = self.container(EDGE_NODE).ports.get(NODE_PROXY_PORT)
        assert bindings, f"{EDGE_NODE} publishes no {NODE_PROXY_PORT}"
        return f"http://{bindings[0]['HostIp']}:{bindings[0]['HostPort']}/"

    def push_under(self, image: str, name: str) -> None:
        """`image` pushed into the cluster's registry as `name`, through the registry's port on
        the host's loopback, as any user of this machine may: the registry has no accounts."""
        bindings = self.host.containers.get(f"{self.name}-registry").ports.get("5000/tcp")
        assert bindings, "the cluster's registry publishes no port"
        target = f"127.0.0.1:{bindings[0]['HostPort']}/{name}"
        subprocess.run(["docker", "tag", image, target], check=True, capture_output=True)
        try:
            subprocess.run(["docker", "push", "-q", target], check=True, capture_output=True, timeout=120)
        finally:
            subprocess.run(["docker", "image", "rm", target], check=False, capture_output=True)

    # --- the swarm ---------------------------------------------------------------------------------

    def nodes(self, via: str = EDGE_NODE) -> dict[str, Node]:
        """`docker node ls` as a manager (`via`) sees it, by hostname."""
        lines = self.cli("node", "ls", "--format", "{{json .}}", node=via, timeout=POLL_TIMEOUT).splitlines()
        found = {}
        for line in lines:
            raw = json.loads(line)
            node = Node(raw["Hostname"], raw["Status"], raw["Availability"], raw["ManagerStatus"])
            found[node.hostname] = node
        return found

    def leader(self, via: str = EDGE_NODE) -> str | None:
        return next((n.hostname for n in self.nodes(via).values() if n.manager_status == "Leader"), None)

    def service(self, service: str) -> str:
        return f"{STACK}_{service}"

    def tasks(self, service: str, via: str = EDGE_NODE) -> list[tuple[str, str]]:
        """(node, state) of each task of `service` meant to run; the node is "" for a task that
        no node can take yet (Pending)."""
        lines = self.cli(
            "service",
            "ps",
            "--filter",
            "desired-state=running",
            "--format",
            "{{.Node}}|{{.CurrentState}}",
            self.service(service),
            node=via,
            timeout=POLL_TIMEOUT,
        ).splitlines()
        return [(node, state.split()[0]) for node, _, state in (line.partition("|") for line in lines)]

    def unplaceable(self, service: str) -> str:
        """Why a task of `service` waits for a node while every node is Ready ("" when none
        does): the scheduler finds no node it may go to, and nothing changes that while a
        scenario waits (a constraint, or a limit of replicas per node, excludes them all)."""
        lines = self.cli(
            "service",
            "ps",
            "--no-trunc",
            "--filter",
            "desired-state=running",
            "--format",
            "{{.CurrentState}}|{{.Error}}",
            self.service(service),
            timeout=POLL_TIMEOUT,
        ).splitlines()
        stuck = [error for state, _, error in (line.partition("|") for line in lines) if state.startswith("Pending")]
        stuck = [error for error in stuck if "no suitable node" in error]
        if stuck and all(node.status == "Ready" for node in self.nodes().values()):
            return stuck[0]
        return ""

    def running_tasks(self, service: str) -> list[str]:
        """The node of each task of `service` that runs (with a health check: runs healthy)."""
        return [node for node, state in self.tasks(service) if state == "Running"]

    def replicas_by_node(self, service: str = "webapp") -> Counter[str]:
        return Counter(self.running_tasks(service))

    def task_nodes_ever(self, service: str) -> set[str]:
        """Every node a task of `service` was ever placed on (its history included)."""
        lines = self.cli("service", "ps", "--format", "{{.Node}}", self.service(service)).split()
        return set(lines)

    def update_state(self, service: str) -> str:
        """The state of the service's last update ("" if it was never updated)."""
        template = "{{if .UpdateStatus}}{{.UpdateStatus.State}}{{end}}"
        return self.cli("service", "inspect", "-f", template, self.service(service)).strip()

    def wait_converged(self, service: str, replicas: int, timeout: float = 120) -> None:
        """Wait until `replicas` tasks of `service` run healthy and no update of it is under way
        (Swarm writes the service again when an update ends: a `docker service update` read
        before that write is refused, "update out of sequence")."""
        wait_until(
            lambda: len(self.running_tasks(service)) == replicas and self.update_state(service) not in UPDATE_UNDER_WAY,
            timeout=timeout,
            what=f"{self.service(service)} to run {replicas} healthy replicas, no update under way",
        )

    def plain_node_running_webapp(self, avoid: str | None = None) -> str:
        """A node that is neither the proxy's nor the database's and runs a webapp replica (not
        `avoid` if another does). A node that came back, or was made active again, gets tasks
        only when tasks are placed anew: if no such node runs one, they are (a rolling
        restart, `docker service update --force`; the spread preference puts new tasks on the
        zones with the fewest)."""
        self.wait_converged("webapp", len(NODES))
        for _ in range(3):
            candidates = [node for node in PLAIN_NODES if node in self.replicas_by_node()]
            if candidates:
                return next((node for node in candidates if node != avoid), candidates[0])
            self.cli("service", "update", "--detach=false", "--force", self.service("webapp"), timeout=300)
            self.wait_converged("webapp", len(NODES))
        raise AssertionError(f"no webapp replica on {PLAIN_NODES}: {self.replicas_by_node()}")

    def make_leader_one_of(self, wanted: tuple[str, ...]) -> str:
        """The leader moved to one of `wanted` if it is elsewhere: demoted, the others elect one
        of themselves (with `wanted` all but one node, one hand-over is enough); the leader."""
        for _ in range(3):
            leader = wait_until(self.leader, timeout=60, what="a leader")
            if leader in wanted:
                return leader
            self._hand_over(leader)
        raise AssertionError(f"none of {wanted} became the leader")

    def _hand_over(self, leader: str) -> None:
        """`leader` demoted (another is elected), then promoted again."""
        via = next(node for node in NODES if node != leader)
        self.cli("node", "demote", leader, node=via)
        wait_until(lambda: self.leader(via) not in (None, leader), timeout=60, what="a new leader", interval=0.5)
        self.cli("node", "promote", leader, node=via)
        wait_until(
            lambda: self.nodes(via)[leader].manager_status == "Reachable",
            timeout=60,
            what=f"{leader} a manager again",
            interval=0.5,
        )

    # --- a node's failures -------------------------------------------------------------------------

    def kill(self, node: str) -> None:
        """The node's engine and everything on it killed at once (SIGKILL), as a host that dies;
        returns once it is dead."""
        container = self.container(node)
        container.kill()
        container.wait(timeout=30)

    def start(self, node: str) -> None:
        """The node started again: its engine finds its swarm state on its volume and rejoins,
        Ready and a reachable manager again (a quorum counts on it from then on)."""
        self.container(node).start()
        wait_until(lambda: self.engine(node).ping(), timeout=60, what=f"the engine of {node} to answer")
        self.wait_rejoined(node)

    def wait_rejoined(self, node: str, timeout: float = 120) -> None:
        via = next(other for other in NODES if other != node)

        def rejoined() -> bool:
            seen = self.nodes(via)[node]
            return seen.status == "Ready" and seen.manager_status in ("Leader", "Reachable")

        wait_until(rejoined, timeout=timeout, what=f"{node} Ready and a reachable manager", interval=0.5)

    def wait_node(self, node: str, status: str, timeout: float = 90, via: str = EDGE_NODE) -> None:
        wait_until(
            lambda: self.nodes(via)[node].status == status,
            timeout=timeout,
            what=f"{node} to be {status}",
            interval=0.5,
        )

    # --- what the nodes' containers say ------------------------------------------------------------

    def containers(self, node: str, service: str) -> list[Container]:
        """`service`'s containers running on `node`."""
        with contextlib.suppress(DockerException):
            label = f"{SWARM_SERVICE_LABEL}={self.service(service)}"
            return list(self.engine(node).containers.list(filters={"label": label}))
        return []

    def pages_served(self) -> dict[tuple[str, str], int]:
        """Pages each webapp container has served, by (node, container id), from its access log."""
        served = {}
        for node in NODES:
            for container in self.containers(node, "webapp"):
                with contextlib.suppress(NotFound):
                    served[(node, str(container.id))] = len(PAGE_SERVED.findall(container.logs(stderr=False)))
        return served

    def diagnostics(self) -> str:
        """`docker node ls`, `docker stack ps` and the proxy's and the webapp's logs."""
        parts = []
        for title, args in (
            ("docker node ls", ("node", "ls")),
            (f"docker stack ps {STACK}", ("stack", "ps", "--no-trunc", STACK)),
            ("docker service logs proxy", ("service", "logs", "--raw", "--tail", "30", self.service("proxy"))),
            ("docker service logs webapp", ("service", "logs", "--raw", "--tail", "30", self.service("webapp"))),
        ):
            try:
                parts.append(f"$ {title}\n{self.cli(*args, timeout=30)}")
            except (RuntimeError, subprocess.TimeoutExpired) as error:
                parts.append(f"$ {title}\n{error}")
        return "\n".join(parts)


# Names a cluster the planted-mistake runner keeps for several mutants in turn (those that leave
# the nodes' recipe alone): each session resets it and deploys its own stack, and never removes it.
SHARED_CLUSTER = "CLUSTER_SHARED"


@contextlib.contextmanager
def three_nodes(host: docker.DockerClient, name: str, webapp_image: str, api_image: str) -> Iterator[Cluster]:
    """A cluster up with the stack on it; afterwards (also after a failure) removed whole; or,
    where $CLUSTER_SHARED names one, that one reset (whole again, no stack) and kept."""
    shared = os.environ.get(SHARED_CLUSTER)
    cluster = Cluster(host, shared or name, session_labelled=not shared)
    try:
        if shared:
            cluster.reset()
        cluster.up(webapp_image, api_image)
        yield cluster
    finally:
        if not shared:
            cluster.down()
