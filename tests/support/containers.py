"""The project's containers, built from testcontainers' DockerContainer."""

from __future__ import annotations

import socket
from collections.abc import Mapping, Sequence

import sqlalchemy
from docker.models.containers import Container
from testcontainers.community.postgres import PostgresContainer
from testcontainers.core.container import DockerContainer
from testcontainers.core.image import DockerImage
from testcontainers.core.network import Network
from testcontainers.core.wait_strategies import HealthcheckWaitStrategy, LogMessageWaitStrategy

from tests.support.diagnostics import LoggedContainer, logs
from tests.support.environment import Images
from tests.support.events import stop_and_time
from tests.support.snapshot import migrated_database_image
from tests.support.waiting import ExecWaitStrategy, wait_for_http, wait_until

WEBAPP_PORT = 5000
API_PORT = 5001
# What the api answers on "/", and the page shows.
API_MESSAGE = "Hello from the API container!"

DB_USER = "webapp"
DB_PASSWORD = "webapp-secret"
DB_NAME = "visits"
# What a webapp container needs to reach `postgres_container` by its alias "db".
DB_ENV = {"POSTGRES_HOST": "db", "POSTGRES_USER": DB_USER, "POSTGRES_PASSWORD": DB_PASSWORD, "POSTGRES_DB": DB_NAME}


class LoggedPostgresContainer(LoggedContainer, PostgresContainer):
    """testcontainers' PostgresContainer, with its logs in a failing scenario's report."""


def migrate_to_head(database_url: str, webapp_role: str = DB_USER) -> None:
    """What `python -m app.migrate` does, from this process, on the database at `database_url`."""
    # Imported here: every session imports this module (the root conftest), and only the
    # scenarios that migrate from this process need the webapp's code; a planted mistake's
    # stored kill then depends on that code only where its killing run imported it.
    from app.migrate import upgrade

    engine = sqlalchemy.create_engine(database_url)
    try:
        upgrade(engine, webapp_role)
    finally:
        engine.dispose()


def postgres_container(images: Images, network: Network, *, migrated: bool = True) -> PostgresContainer:
    """PostgreSQL on `network`, reachable there as "db", with the suite's credentials: at the
    migrations' head, as the migrate service leaves it (started from a snapshot made once:
    tests/support/snapshot.py), unless `migrated` is False (an empty database, its first start).
    (Here the webapp's role is the database's superuser, which the migrations run as; chapter 14
    has the two roles of the Compose stack.)"""
    image = migrated_database_image(images.postgres, (DB_USER, DB_PASSWORD, DB_NAME)) if migrated else images.postgres
    container: PostgresContainer = (
        LoggedPostgresContainer(image, username=DB_USER, password=DB_PASSWORD, dbname=DB_NAME)
        .with_network(network)
        .with_network_aliases("db")
    )
    return container


def postgres_on_volume(image: str, volume: str, **environment: str) -> DockerContainer:
    """A postgres container on `volume`, ready once it answers on TCP (so after its first
    start's initialisation, which the image does on a server listening on no port)."""
    return (
        LoggedContainer(image)
        .with_envs(**environment)
        .with_volume_mapping(volume, "/var/lib/postgresql/data", "rw")
        .with_exposed_ports(5432)
        .waiting_for(ExecWaitStrategy(["pg_isready", "-h", "127.0.0.1", "-p", "5432"]))
    )


def webapp_container(image: DockerImage, network: Network | None = None, /, **environment: str) -> DockerContainer:
    """A webapp publishing port 5000 on a host port Docker picks; ready when its image's
    health check says so."""
    container = LoggedContainer(str(image)).with_exposed_ports(WEBAPP_PORT).with_envs(**environment)
    if network is not None:
        container = container.with_network(network)
    return container.waiting_for(HealthcheckWaitStrategy())


def api_container(
    image: DockerImage, network: Network | None = None, *, aliases: Sequence[str] = ("api",), publish: bool = True
) -> DockerContainer:
    """An api, published or not; ready when its image's health check says so (so also an
    unpublished one is answering before the scenario goes on)."""
    container = LoggedContainer(str(image)).waiting_for(HealthcheckWaitStrategy())
    if network is not None:
        container = container.with_network(network).with_network_aliases(*aliases)
    if publish:
        container = container.with_exposed_ports(API_PORT)
    return container


def url(container: DockerContainer, port: int, path: str = "/") -> str:
    return f"http://{container.get_container_host_ip()}:{container.get_exposed_port(port)}{path}"


def visits_total(site: str) -> int:
    """The total of visits the webapp at `site` (its root URL, ending in "/") reports, once it answers."""
    total: int = wait_for_http(f"{site}visits.json", timeout=30).json()["total"]
    return total


def exec_in(
    container: Container, *command: str, user: str = "", environment: Mapping[str, str] | None = None
) -> tuple[int, str]:
    """Run a command inside a Docker SDK container (as `user`, with `environment` added to
    the container's); its exit code and combined output."""
    result = container.exec_run(list(command), user=user, environment=dict(environment or {}))
    # Not streamed: exec waited for the command to end, so both are there.
    assert isinstance(result.output, bytes)
    assert result.exit_code is not None
    return result.exit_code, result.output.decode(errors="replace").strip()


def exec_output(
    container: DockerContainer, *command: str, user: str = "", environment: Mapping[str, str] | None = None
) -> tuple[int, str]:
    """exec_in for a testcontainers container."""
    return exec_in(container.get_wrapped_container(), *command, user=user, environment=environment)


def fetch_inside(address: str) -> list[str]:
    """The command that, run inside a container of the project's images, prints the body
    `address` answers (a 2 s timeout; fails on no answer)."""
    script = "import sys, urllib.request; print(urllib.request.urlopen(sys.argv[1], timeout=2).read().decode())"
    return ["python", "-c", script, address]


def psql_as_superuser(database: Container, query: str) -> str:
    """A query's rows as `psql -At` prints them, run inside the database's container of the
    stack (Compose or Swarm) as its superuser, the password read from its secret file
    (every login needs one)."""
    script = (
        'PGPASSWORD="$(cat /run/secrets/db_password)" psql -h 127.0.0.1 -U "$POSTGRES_USER" -d "$POSTGRES_DB" -Atc "$0"'
    )
    code, output = exec_in(database, "sh", "-c", script, query)
    assert code == 0, output
    return output


# Who owns what the migrations made, then the database: "<owners> <owner>", as psql -At prints it.
# The database owner's role, never the webapp's (chapters 14 and 18).
SCHEMA_OWNERS = (
    "SELECT string_agg(DISTINCT pg_get_userbyid(relowner), ',') || ' ' || "
    "(SELECT pg_get_userbyid(datdba) FROM pg_database WHERE datname = current_database()) "
    "FROM pg_class WHERE relnamespace = 'public'::regnamespace"
)


def free_host_port() -> int:
    """A host port free right now (for scenarios where the port itself is the subject)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


def timed_stop(container: DockerContainer) -> tuple[float, int]:
    """`docker stop` with Docker's default 10 s grace period: seconds from the SIGTERM to the
    exit (the engine's own timestamps) and the exit code."""
    return stop_and_time(container.get_docker_client().client, str(container.get_wrapped_container().id))


# A listener whose accept queue is full and never emptied: Linux then drops every new
# SYN without an answer, as a host behind a firewall that drops packets does. A client
# without a connect timeout waits for minutes; no refusal ever tells it to give up.
_DROP_CONNECTIONS = """
import signal, socket, sys
port = int(sys.argv[1])
signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGTERM, signal.SIGINT})
server = socket.socket()
server.bind(("0.0.0.0", port))
server.listen(0)
fillers = [socket.socket() for _ in range(2)]
for filler in fillers:
    filler.setblocking(False)
    filler.connect_ex(("127.0.0.1", port))
print("dropping connections", flush=True)
signal.sigwait({signal.SIGTERM, signal.SIGINT})
"""


def unanswering_host(images: Images, network: Network, alias: str, port: int) -> DockerContainer:
    """A host named `alias` on `network` that neither accepts nor refuses connections to `port`."""
    return (
        LoggedContainer(images.python)
        .with_command(["python", "-c", _DROP_CONNECTIONS, str(port)])
        .with_network(network)
        .with_network_aliases(alias)
        .waiting_for(LogMessageWaitStrategy("dropping connections"))
    )


# An "api" that accepts a request and then misbehaves: an endless body, its status line
# over and over a byte a second (headers that never end), or silence.
_HOSTILE_API = """
import itertools, socket, sys, threading, time
mode, port = sys.argv[1], int(sys.argv[2])

def answer(connection):
    with connection:
        connection.recv(65536)
        try:
            if mode == "endless":
                connection.sendall(b"HTTP/1.1 200 OK\\r\\nContent-Type: text/plain\\r\\n\\r\\n")
                while True:
                    connection.sendall(b"x" * 65536)
            if mode == "trickle-headers":
                for byte in itertools.cycle(b"HTTP/1.1 200 OK\\r\\n"):
                    connection.sendall(bytes([byte]))
                    time.sleep(1)
        except OSError:  # the webapp gave up and closed the connection
            return
        threading.Event().wait()  # silent: never a byte

server = socket.create_server(("0.0.0.0", port))
print("hostile api ready", flush=True)
while True:
    threading.Thread(target=answer, args=(server.accept()[0],), daemon=True).start()
"""


def hostile_api(images: Images, network: Network, mode: str) -> DockerContainer:
    """A host named "api" on `network` that answers on the api's port with an endless body
    (`mode="endless"`), with its status line over and over, a byte a second, so that its
    headers never end (`mode="trickle-headers"`), or accepts and never answers (`mode="silent"`)."""
    return (
        LoggedContainer(images.python)
        .with_command(["python", "-c", _HOSTILE_API, mode, str(API_PORT)])
        .with_network(network)
        .with_network_aliases("api")
        .waiting_for(LogMessageWaitStrategy("hostile api ready"))
    )


def server_starts(container: DockerContainer) -> tuple[int, int]:
    """How often the server's main process and its workers started, read from the container's
    log: granian's lines (the webapp) or gunicorn's (the api)."""
    log = logs(container)
    mains = log.count("Starting granian") + log.count("Starting gunicorn")
    return mains, log.count("] Spawning worker-") + log.count("Booting worker with pid")


def assert_never_restarted(container: DockerContainer, workers: int = 2) -> None:
    """The server started once and each of its workers booted once: no crash loop.

    Workers boot one after the other, and the last may still be booting on a loaded
    machine: wait until all have, then check that none booted again.
    """
    wait_until(lambda: server_starts(container)[1] >= workers, timeout=15, what=f"{workers} workers to boot")
    container.get_wrapped_container().reload()
    assert container.get_wrapped_container().status == "running"
    assert server_starts(container) == (1, workers)
