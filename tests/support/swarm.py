"""The Swarm stack of chapter 18: a one-node swarm shared safely, and a stack deployed on it.

Swarm membership belongs to the engine, not to a test session: two sessions on one engine
(two suites at once, or pytest-xdist workers) share it. A lock file in the system's temporary
folder serialises joining and leaving; a state file next to it names the processes using the
swarm and whether the suite made it. The last user leaves the swarm only if the suite made it
(and no other stack is on it), so an engine already in a swarm is left in it.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import docker
from docker.errors import NotFound
from docker.models.containers import Container

from tests.support import state_folder
from tests.support.cleanup import process_alive
from tests.support.environment import ROOT
from tests.support.locks import exclusive
from tests.support.marks import SESSION_NAME, SWARM_SERVICE_LABEL
from tests.support.waiting import wait_until

LOCK_FILE = state_folder.FOLDER / "swarm.lock"
STATE_FILE = state_folder.FOLDER / "swarm.json"
STACK_SCRIPT = ROOT / "scripts" / "stack.sh"
# The states of an update Swarm has not ended (the others: completed, paused, rollback_completed, rollback_paused).
UPDATE_UNDER_WAY = frozenset({"updating", "rollback_started"})
# A page in a webapp's access log (the proxy speaks HTTP/1.0 to it).
PAGE_SERVED = re.compile(rb'"GET / HTTP/1\.[01]" 200 ')
# How long scripts/stack.sh waits for the stack to converge or go: a deployment converges in
# about 15 s here, also beside another; a stack that cannot (a mistake) is said so in 90 s.
WAIT_SECONDS = "90"
# `swarm init` makes this bridge and `swarm leave` keeps it: removed if the suite made it.
GATEWAY_BRIDGE = "docker_gwbridge"


def _locked() -> contextlib.AbstractContextManager[None]:
    return exclusive(state_folder.checked(LOCK_FILE))  # read at each call: a unit test points it elsewhere


@dataclass
class _SwarmState:
    """What the state file holds: who uses the swarm, and whether the suite made it."""

    users: list[int] = field(default_factory=list)  # process ids
    # The id of the swarm the suite made ("" if none): a swarm made since by someone else is not ours.
    made: str = ""
    made_bridge: bool = False

    @classmethod
    def read(cls) -> _SwarmState:
        """The state, without the users that died (a killed session never said goodbye)."""
        try:
            raw = json.loads(state_folder.checked(STATE_FILE).read_text())
            state = cls(list(raw["users"]), str(raw["made"]), bool(raw["made_bridge"]))
        except (FileNotFoundError, ValueError, KeyError, TypeError):
            state = cls()
        state.users = [pid for pid in state.users if isinstance(pid, int) and process_alive(pid)]
        return state

    def write(self) -> None:
        state_folder.checked(STATE_FILE).write_text(
            json.dumps({"users": self.users, "made": self.made, "made_bridge": self.made_bridge})
        )


def swarm_state(client: docker.DockerClient) -> str:
    state: str = client.info()["Swarm"]["LocalNodeState"]
    return state


def _swarm_id(client: docker.DockerClient) -> str:
    swarm_id: str = (client.info()["Swarm"].get("Cluster") or {}).get("ID", "")
    return swarm_id


@contextlib.contextmanager
def swarm_membership(client: docker.DockerClient) -> Iterator[None]:
    """The engine is in a swarm while this runs; afterwards, as it was before the first user."""
    with _locked():
        state = _SwarmState.read()
        engine_state = swarm_state(client)
        if engine_state not in ("inactive", "active"):
            raise RuntimeError(
                f"the engine's swarm state is '{engine_state}': settle it (docker info) before the chapter"
            )
        if engine_state == "inactive":
            wait_for_no_pristine_machine(client)
            bridge_existed = bool(_gateway_bridges(client))
            # The management port on loopback: nothing outside this machine joins a one-node swarm.
            client.swarm.init(advertise_addr="127.0.0.1", listen_addr="127.0.0.1:2377")
            state.made, state.made_bridge = _swarm_id(client), not bridge_existed
        elif state.made != _swarm_id(client):
            state.made, state.made_bridge = "", False  # a swarm of someone else's: never left
        else:
            remove_stacks_of_dead_sessions(client)
        state.users.append(os.getpid())
        state.write()
    try:
        yield
    finally:
        with _locked():
            state = _SwarmState.read()
            state.users = [pid for pid in state.users if pid != os.getpid()]
            ours = state.made and state.made == _swarm_id(client)
            if not state.users and ours and _stacks() == []:
                client.swarm.leave(force=True)
                if state.made_bridge:
                    for network in _gateway_bridges(client):
                        with contextlib.suppress(docker.errors.APIError):
                            network.remove()
                state.made, state.made_bridge = "", False
            state.write()


# The label of a rehearsal's pristine machines (scripts/rehearse.sh), and how long one may take.
REHEARSAL_LABEL = "org.example.rehearsal"
REHEARSAL_WAIT = 1800.0
REHEARSAL_POLL = 2.0


def wait_for_no_pristine_machine(client: docker.DockerClient) -> None:
    """A rehearsal that runs beside the suite (the gate starts it with `make test`) is done
    before the engine joins a swarm: a join changes the engine's networking under its machines."""
    wait_until(
        lambda: not client.containers.list(filters={"label": REHEARSAL_LABEL}),
        timeout=REHEARSAL_WAIT,
        what="the pristine machines of a rehearsal to be gone before joining a swarm",
        interval=REHEARSAL_POLL,
    )


def _gateway_bridges(client: docker.DockerClient) -> list[Any]:
    # names= matches by substring: only the network of exactly that name.
    return [network for network in client.networks.list(names=[GATEWAY_BRIDGE]) if network.name == GATEWAY_BRIDGE]


def _stacks() -> list[str] | None:
    """The stacks on the swarm; None when they cannot be listed (then the swarm is kept)."""
    result = subprocess.run(["docker", "stack", "ls", "--format", "{{.Name}}"], capture_output=True, text=True)
    return result.stdout.split() if result.returncode == 0 else None


# The chapter's stack names: the session's project prefix, "sw", the session's process id.
_SESSION_STACK = re.compile(rf"^{SESSION_NAME.pattern}sw(?P<pid>\d+)$")


def remove_stacks_of_dead_sessions(client: docker.DockerClient) -> None:
    """A session killed before its teardown left its stack: removed, so the swarm can be left again."""
    for name in _stacks() or []:
        match = _SESSION_STACK.match(name)
        if match and not process_alive(int(match["pid"])):
            Stack(client, name, 0).remove()


@dataclass
class Stack:
    """swarm/stack.yml deployed as `name` through scripts/stack.sh, the proxy on host port `port`."""

    client: docker.DockerClient
    name: str
    port: int
    # Image tags made for the stack's scenarios, removed with it.
    tags: list[str] = field(default_factory=list)

    def _script(self, command: str) -> None:
        env = {**os.environ, "STACK_NAME": self.name, "PROXY_PORT": str(self.port), "STACK_WAIT_SECONDS": WAIT_SECONDS}
        result = subprocess.run([str(STACK_SCRIPT), command], env=env, capture_output=True, text=True)
        if result.returncode != 0:
            raise RuntimeError(f"scripts/stack.sh {command} exited {result.returncode}\n{result.stderr}")

    def deploy(self) -> None:
        """Deploy and wait until every service runs all its replicas, healthy."""
        self._script("deploy")

    def remove(self) -> None:
        """Remove the stack; wait until its containers and networks are gone; remove its volume."""
        self._script("remove")

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/"

    def service(self, service: str) -> str:
        return f"{self.name}_{service}"

    def cli(self, *args: str, timeout: float = 170, stderr: bool = True) -> str:
        """Run a docker CLI command (it must succeed); its stdout, and its stderr interleaved unless told not."""
        result = subprocess.run(
            ["docker", *args],
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT if stderr else subprocess.PIPE,
            text=True,
            timeout=timeout,
        )
        if result.returncode != 0:
            raise RuntimeError(
                f"`docker {' '.join(args)}` exited {result.returncode}\n{result.stdout}{result.stderr or ''}"
            )
        return result.stdout

    def containers(self, service: str) -> list[Container]:
        """The service's containers that run and report healthy (or run with no health check)."""
        # sparse, then inspected one by one: a container removed meanwhile (a task replaced) is skipped,
        # where the SDK's own inspection would fail the whole list.
        listed = self.client.containers.list(
            sparse=True, filters={"label": f"{SWARM_SERVICE_LABEL}={self.service(service)}"}
        )
        found = []
        for container in listed:
            with contextlib.suppress(NotFound):
                container.reload()
                if container.attrs["State"].get("Health", {}).get("Status", "healthy") == "healthy":
                    found.append(container)
        return found

    def addresses(self, service: str) -> set[str]:
        """The addresses of the service's healthy containers on the page's overlay network."""
        network = f"{self.name}_frontend"
        return {
            str(c.attrs["NetworkSettings"]["Networks"][network]["IPAddress"])
            for c in self.containers(service)
            if network in c.attrs["NetworkSettings"]["Networks"]
        }

    def pages_served(self, service: str = "webapp") -> dict[str, int]:
        """Pages (`GET /` answered 200) each of the service's healthy containers has served, by
        container id, read from its access log: which replica served a request, learnt without
        the proxy telling visitors anything about it."""
        served = {}
        for container in self.containers(service):
            with contextlib.suppress(NotFound):
                served[str(container.id)] = len(PAGE_SERVED.findall(container.logs(stderr=False)))
        return served

    def inspect(self, service: str) -> dict[str, Any]:
        """`docker service inspect`: the service's spec, and the state of its last update."""
        found: list[dict[str, Any]] = json.loads(self.cli("service", "inspect", self.service(service), stderr=False))
        return found[0]

    def running_replicas(self, service: str) -> int:
        """Tasks the orchestrator counts as running (with a health check: running and healthy)."""
        states = self.cli(
            "service", "ps", "--filter", "desired-state=running", "--format", "{{.CurrentState}}", self.service(service)
        )
        return sum(1 for state in states.splitlines() if state.startswith("Running"))

    def update_under_way(self, service: str) -> bool:
        """Whether the service's last update (or its rollback) has not ended: it ends after its
        last monitor period, when Swarm writes the service again, so a `docker service scale` or
        `update` read before that write is refused ("update out of sequence")."""
        return self.inspect(service).get("UpdateStatus", {}).get("State") in UPDATE_UNDER_WAY

    def wait_converged(self, service: str, replicas: int | None = None, timeout: float = 90) -> None:
        """Wait until the service runs `replicas` healthy replicas (default: as many as its spec
        asks) and no update of it is under way."""
        if replicas is None:
            replicas = int(self.inspect(service)["Spec"]["Mode"]["Replicated"]["Replicas"])
        wait_until(
            lambda: (
                self.running_replicas(service) == replicas
                and len(self.containers(service)) == replicas
                and not self.update_under_way(service)
            ),
            timeout=timeout,
            what=f"{self.service(service)} to run {replicas} healthy replicas, no update under way",
        )

    def diagnostics(self) -> str:
        """`docker stack ps` and the proxy's and the webapp's logs."""
        ps = self.cli("stack", "ps", "--no-trunc", self.name)
        logs = {
            service: self.cli("service", "logs", "--raw", "--tail", "50", self.service(service), timeout=30)
            for service in ("proxy", "webapp")
        }
        return f"$ docker stack ps {self.name}\n{ps}\n" + "".join(
            f"$ docker service logs {self.service(s)}\n{text}\n" for s, text in logs.items()
        )
