"""Swarm membership shared by test sessions (chapter 18's fixture), checked with a stand-in
engine: the engine is left in or out of a swarm as the first user found it."""

from __future__ import annotations

import subprocess
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, cast

import docker
import pytest

from tests.support import swarm
from tests.support.swarm import swarm_membership


@dataclass
class FakeNetwork:
    engine: FakeEngine
    name: str = "docker_gwbridge"

    def remove(self) -> None:
        self.engine.bridge = False


@dataclass
class FakeSwarm:
    engine: FakeEngine

    def init(self, advertise_addr: str, listen_addr: str) -> None:
        assert (advertise_addr, listen_addr) == ("127.0.0.1", "127.0.0.1:2377")  # loopback only
        self.engine.swarm_id = f"swarm-{len(self.engine.made)}"
        self.engine.made.append(self.engine.swarm_id)
        self.engine.bridge = True

    def leave(self, force: bool) -> None:
        self.engine.swarm_id = ""
        self.engine.left += 1


@dataclass
class FakeNetworks:
    engine: FakeEngine

    def list(self, names: list[str]) -> list[FakeNetwork]:
        return [FakeNetwork(self.engine)] if self.engine.bridge and names == ["docker_gwbridge"] else []


@dataclass
class FakeContainers:
    engine: FakeEngine

    def list(self, filters: dict[str, str]) -> list[str]:
        """The running pristine machines of a rehearsal: each listing, one fewer."""
        assert filters == {"label": swarm.REHEARSAL_LABEL}
        running = self.engine.pristine_machines[:]
        if self.engine.pristine_machines:
            self.engine.pristine_machines.pop()
        return running


@dataclass
class FakeEngine:
    """What swarm_membership asks of docker.DockerClient: info(), swarm, networks, containers."""

    swarm_id: str = ""
    bridge: bool = False
    made: list[str] = field(default_factory=list)
    left: int = 0
    pristine_machines: list[str] = field(default_factory=list)

    @property
    def containers(self) -> FakeContainers:
        return FakeContainers(self)

    def info(self) -> dict[str, Any]:
        if not self.swarm_id:
            return {"Swarm": {"LocalNodeState": "inactive", "Cluster": None}}
        return {"Swarm": {"LocalNodeState": "active", "Cluster": {"ID": self.swarm_id}}}

    @property
    def swarm(self) -> FakeSwarm:
        return FakeSwarm(self)

    @property
    def networks(self) -> FakeNetworks:
        return FakeNetworks(self)

    def close(self) -> None:
        pass


@pytest.fixture
def engine(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> FakeEngine:
    monkeypatch.setattr(swarm, "LOCK_FILE", tmp_path / "swarm.lock")
    monkeypatch.setattr(swarm, "STATE_FILE", tmp_path / "swarm.json")
    monkeypatch.setattr(swarm, "_stacks", list)
    return FakeEngine()


def _client(engine: FakeEngine) -> docker.DockerClient:
    return cast(docker.DockerClient, engine)


def _another_session() -> subprocess.Popen[bytes]:
    """A live process standing for a second test session."""
    return subprocess.Popen(["sleep", "60"])


def test_an_engine_in_no_swarm_is_put_in_one_and_taken_out_with_its_bridge(engine: FakeEngine) -> None:
    """No swarm: one is made for the session, and left at its end with the bridge it made."""
    with swarm_membership(_client(engine)):
        assert engine.swarm_id == "swarm-0"
    assert (engine.swarm_id, engine.bridge) == ("", False)


def test_an_engine_already_in_a_swarm_is_left_in_it(engine: FakeEngine) -> None:
    """A swarm the suite did not make is never left."""
    engine.swarm_id, engine.bridge = "someone-elses", True
    with swarm_membership(_client(engine)):
        pass
    assert (engine.swarm_id, engine.bridge, engine.left) == ("someone-elses", True, 0)


def test_the_last_of_two_sessions_leaves_the_swarm(engine: FakeEngine) -> None:
    """While another session uses the swarm the suite made, the first to finish keeps it; the
    last (or the next one after the other died) leaves it."""
    other = _another_session()
    try:
        with swarm_membership(_client(engine)):
            # The other session joins while this one runs, and is still there when this one ends.
            state = swarm._SwarmState.read()
            state.users.append(other.pid)
            state.write()
        assert engine.swarm_id == "swarm-0"
        assert swarm._SwarmState.read().users == [other.pid]
    finally:
        other.kill()
        other.wait()
    # The other session ends (here: dies without a word); the next user to finish leaves.
    with swarm_membership(_client(engine)):
        pass
    assert (engine.swarm_id, engine.made, engine.left) == ("", ["swarm-0"], 1)


def test_a_swarm_left_with_a_stack_on_it_is_kept(engine: FakeEngine, monkeypatch: pytest.MonkeyPatch) -> None:
    """The suite's swarm is kept while a stack of someone else's (e.g. `make stack-up`) is on it."""
    monkeypatch.setattr(swarm, "_stacks", lambda: ["made-by-stack-up"])
    with swarm_membership(_client(engine)):
        pass
    assert engine.swarm_id == "swarm-0"


def test_a_swarm_whose_stacks_cannot_be_listed_is_kept(engine: FakeEngine, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(swarm, "_stacks", lambda: None)  # `docker stack ls` failed

    with swarm_membership(_client(engine)):
        pass

    assert (engine.swarm_id, engine.left) == ("swarm-0", 0)


def test_the_stack_of_a_session_that_died_is_removed_when_the_next_joins(
    engine: FakeEngine, monkeypatch: pytest.MonkeyPatch
) -> None:
    with swarm_membership(_client(engine)):
        dead = subprocess.Popen(["true"])
        dead.wait()
        stacks = [f"tut0123456789sw{dead.pid}", "made-by-stack-up"]
        removed: list[str] = []
        monkeypatch.setattr(swarm, "_stacks", lambda: list(stacks))
        monkeypatch.setattr(swarm.Stack, "remove", lambda stack: removed.append(stack.name))
        with swarm_membership(_client(engine)):
            pass

    assert removed == [f"tut0123456789sw{dead.pid}"]


def test_the_engine_joins_a_swarm_only_once_no_pristine_machine_of_a_rehearsal_runs(
    engine: FakeEngine, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The gate runs a rehearsal beside `make test`: a join waits for its machines to be gone."""
    monkeypatch.setattr(swarm, "REHEARSAL_POLL", 0.01)
    engine.pristine_machines = ["rehearsal-bookworm-1", "rehearsal-bookworm-engine-20-2"]
    with swarm.swarm_membership(engine):  # type: ignore[arg-type]
        assert engine.pristine_machines == []
        assert engine.swarm_id


@dataclass
class FakeItem:
    markers: tuple[str, ...]

    def get_closest_marker(self, name: str) -> str | None:
        return name if name in self.markers else None


def _session(*items: FakeItem, collect_only: bool = False) -> Any:
    option = type("Option", (), {"collectonly": collect_only})()
    return type("Session", (), {"config": type("Config", (), {"option": option})(), "items": list(items)})()


@pytest.mark.parametrize(
    ("items", "collect_only", "waits"),
    [
        ((FakeItem(("container", "swarm")),), False, True),
        ((FakeItem(("container",)), FakeItem(("container", "cluster"))), False, False),
        ((FakeItem(("container", "swarm")),), True, False),
    ],
    ids=["a swarm session waits", "a session with no swarm scenario does not", "collection alone does not"],
)
def test_a_swarm_session_waits_for_the_rehearsal_before_its_first_scenario_not_inside_it(
    engine: FakeEngine, monkeypatch: pytest.MonkeyPatch, items: tuple[FakeItem, ...], collect_only: bool, waits: bool
) -> None:
    """The wait is the session's, ahead of its scenarios: inside the stack's fixture it counted
    against the first scenario's 180 s timeout, and a rehearsal still running failed the chapter."""
    from tests.containers import conftest as containers_conftest

    waited: list[object] = []
    monkeypatch.setattr(docker, "from_env", lambda: engine)
    monkeypatch.setattr(containers_conftest, "wait_for_no_pristine_machine", waited.append)
    containers_conftest.pytest_runtestloop(_session(*items, collect_only=collect_only))
    assert waited == ([engine] if waits else [])
