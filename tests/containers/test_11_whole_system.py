"""Chapter 11. The whole system: webapp, api and db together from docker-compose.yml,
as `make up` starts them."""

from __future__ import annotations

import json
import re
import statistics
import time
from collections.abc import Iterator

import docker
import pytest
import requests

from tests.support.compose import ProjectCompose
from tests.support.containers import API_MESSAGE, psql_as_superuser
from tests.support.environment import OFFLINE_RECIPE_LABEL, ROOT, Images
from tests.support.health import seconds_between_probes
from tests.support.slow_clients import answered_or_closed, held_connections
from tests.support.waiting import wait_until

# What every service logs to: json-file, rotated (docker inspect's HostConfig.LogConfig).
BOUNDED_LOG = {"Type": "json-file", "Config": {"max-size": "10m", "max-file": "5"}}


@pytest.fixture(scope="module")
def stack(images: Images) -> Iterator[ProjectCompose]:
    """`docker compose up --build --wait` on a host port Docker picks (WEBAPP_PORT=0),
    shared by the scenarios that only look at it."""
    with ProjectCompose(build=True, wait=True) as compose:
        yield compose


def test_the_stack_comes_up_healthy_and_the_page_shows_the_api_message_and_a_visit(stack: ProjectCompose) -> None:
    """All three services report healthy; the page shows the api's message, fetched by
    service name over the Compose network, and the visits recorded in PostgreSQL, the newest
    first."""
    states = {container.Service: container.Health for container in stack.get_containers()}
    assert states == {"webapp": "healthy", "api": "healthy", "db": "healthy"}

    page = requests.get(stack.url("webapp", 5000), timeout=10)

    assert page.status_code == 200
    assert "<h1>Hello from the webapp container!</h1>" in page.text
    assert f'<p class="api-message">{API_MESSAGE}</p>' in page.text
    # The visit it just recorded heads the list (the module's other scenarios may have visited first).
    listed = [int(n) for n in re.findall(r'<tr data-visit-id="(\d+)">', page.text)]
    assert listed
    assert listed[0] == max(listed)


def test_every_service_is_probed_often_while_it_starts_and_every_30_s_once_healthy(stack: ProjectCompose) -> None:
    """The health checks as the running containers have them (the webapp's and the api's
    from their images, the database's from docker-compose.yml): at least once a second while a
    service starts, which keeps `up --wait` short, and no more often than every 30 s once it is
    healthy, which keeps the stack at rest near idle."""
    services = ("webapp", "api", "db")
    intervals = {service: seconds_between_probes(stack.container(service).attrs) for service in services}

    assert {service: at_rest >= 30 for service, (at_rest, _) in intervals.items()} == dict.fromkeys(services, True)
    assert {service: 0 < starting <= 1 for service, (_, starting) in intervals.items()} == dict.fromkeys(services, True)


@pytest.mark.security
def test_every_service_keeps_a_bounded_log(stack: ProjectCompose) -> None:
    """Each page writes an access line: a flood of requests must not fill the engine's disk.
    Every running service logs to files rotated at 10 MB, five kept (at most 50 MB each)."""
    services = ("webapp", "api", "db")
    logs = {service: stack.container(service).attrs["HostConfig"]["LogConfig"] for service in services}

    assert logs == {service: BOUNDED_LOG for service in services}


@pytest.mark.security
def test_only_the_webapp_shares_a_network_with_the_database_which_has_no_way_out(
    stack: ProjectCompose, docker_client: docker.DockerClient
) -> None:
    """The api never needs the database: from the api the name "db" does not even resolve. The
    database is on internal networks only (no route off this machine), and the webapp reaches
    both the database and the api (its page answers 200 with the api's message)."""
    code, output = stack.exec("api", "python", "-c", "import socket; socket.getaddrinfo('db', 5432)")
    database_networks = stack.container("db").attrs["NetworkSettings"]["Networks"]
    internal = {name: docker_client.networks.get(name).attrs["Internal"] for name in database_networks}

    assert code != 0
    assert "gaierror" in output
    assert internal == dict.fromkeys(database_networks, True)
    page = requests.get(stack.url("webapp", 5000), timeout=10)
    assert page.status_code == 200
    assert API_MESSAGE in page.text


def _seconds_for_a_page(page: str) -> float:
    began = time.monotonic()
    assert requests.get(page, timeout=5).status_code == 200
    return time.monotonic() - began


@pytest.mark.security
def test_64_clients_that_send_half_a_request_and_go_quiet_take_nothing_from_the_others(
    stack: ProjectCompose,
) -> None:
    """64 connections that send `GET / HTTP/1.1` and then nothing are held open against the
    published port: meanwhile the median of an ordinary client's ten pages stays within three
    times the usual median plus a tenth of a second, because the webapp's server reads a
    request whole before a request thread sees it. A request left half sent is dropped (its
    limit is 10 s: here all 64 are dropped within a 20 s wait, the last no sooner than 8 s
    after they were opened), so such sockets cannot pile up."""
    page = stack.url("webapp", 5000)
    port = int(stack.url("webapp", 5000).rsplit(":", 1)[1].rstrip("/"))
    usual = statistics.median(_seconds_for_a_page(page) for _ in range(10))

    with held_connections(port, 64, b"GET / HTTP/1.1\r\n") as stalled:
        opened = time.monotonic()
        during = [_seconds_for_a_page(page) for _ in range(10)]
        assert answered_or_closed(stalled) == [], "held open while the pages answered"

        assert statistics.median(during) <= 3 * usual + 0.1, (usual, during)
        wait_until(
            lambda: len(answered_or_closed(stalled)) == len(stalled), timeout=20, what="the half-sent requests dropped"
        )
        assert time.monotonic() - opened >= 8


@pytest.mark.security
@pytest.mark.parametrize("path", ["/", "/healthz", "/readyz", "/visits.json", "/no-such-page"])
def test_every_answer_of_the_webapp_allows_no_script_no_frame_and_no_referrer(stack: ProjectCompose, path: str) -> None:
    """The page needs no script: the answer of every route (/, /healthz, /readyz, /visits.json),
    and of an unknown page, carries a Content-Security-Policy that allows none (its one inline
    style by its hash, never 'unsafe-inline'), forbids being framed, and tells the browser not
    to guess content types or send a referrer."""
    answer = requests.get(stack.url("webapp", 5000, path), timeout=10)
    policy = [directive.strip() for directive in answer.headers.get("Content-Security-Policy", "").split(";")]

    assert "default-src 'none'" in policy
    assert "frame-ancestors 'none'" in policy
    styles = [directive for directive in policy if directive.startswith("style-src")]
    assert len(styles) == 1
    assert re.fullmatch(r"style-src 'sha256-[A-Za-z0-9+/]{43}='", styles[0])
    assert not [d for d in policy if d.startswith("script-src") or "unsafe" in d]
    assert answer.headers.get("X-Content-Type-Options") == "nosniff"
    assert answer.headers.get("Referrer-Policy") == "no-referrer"


@pytest.mark.security
@pytest.mark.parametrize("service", ["webapp", "api"])
def test_the_python_services_run_with_least_privilege(stack: ProjectCompose, service: str) -> None:
    """The webapp and the api run as a non-root user, on a read-only root filesystem (/tmp
    writable), with every capability dropped, no way to gain privileges, bounded
    memory and processes, and a restart policy."""
    host = stack.container(service).attrs["HostConfig"]

    assert stack.exec(service, "id", "-u")[1] != "0"
    assert host["ReadonlyRootfs"] is True
    root_mount_options = stack.exec(service, "awk", '$2 == "/" {print $4}', "/proc/mounts")[1]
    assert root_mount_options.split(",")[0] == "ro"
    assert stack.exec(service, "touch", "/tmp/probe")[0] == 0
    assert host["CapDrop"] == ["ALL"]
    assert not host["CapAdd"]
    assert "NoNewPrivs:\t1" in stack.exec(service, "cat", "/proc/1/status")[1]
    assert host["Memory"] > 0
    assert host["PidsLimit"] > 0
    assert host["RestartPolicy"]["Name"] == "unless-stopped"
    assert host["Privileged"] is False
    assert not [m for m in host.get("Binds") or [] if "docker.sock" in m]


@pytest.mark.security
def test_the_database_keeps_only_the_capabilities_it_needs(stack: ProjectCompose) -> None:
    """PostgreSQL's entrypoint starts as root only to own its data directory and drop to the
    postgres user: it keeps CHOWN, FOWNER, SETGID and SETUID and nothing else, on a
    read-only root filesystem, with no way to gain privileges, bounded, restarted on a crash.
    The server itself runs as the postgres user."""
    host = stack.container("db").attrs["HostConfig"]

    assert host["CapDrop"] == ["ALL"]
    # Compose writes "CAP_CHOWN" or "CHOWN" by version; the engine reads both as the same.
    assert sorted(cap.removeprefix("CAP_") for cap in host["CapAdd"]) == ["CHOWN", "FOWNER", "SETGID", "SETUID"]
    assert host["ReadonlyRootfs"] is True
    assert "NoNewPrivs:\t1" in stack.exec("db", "cat", "/proc/1/status")[1]
    assert (host["Memory"] > 0, host["PidsLimit"] > 0) == (True, True)
    assert host["RestartPolicy"]["Name"] == "unless-stopped"
    assert stack.exec("db", "sh", "-c", "id -un $(cat /proc/1/status | awk '/^Uid/ {print $2}')")[1] in (
        "postgres",
        "70",
    )


@pytest.mark.security
def test_only_the_webapp_is_published_and_only_on_loopback(stack: ProjectCompose) -> None:
    """By default the webapp's port is published on 127.0.0.1 only (WEBAPP_BIND opens it);
    the api and the database publish nothing."""
    bindings = {
        service: stack.container(service).attrs["HostConfig"]["PortBindings"] for service in ("webapp", "api", "db")
    }

    assert [binding["HostIp"] for binding in bindings["webapp"]["5000/tcp"]] == ["127.0.0.1"]
    assert not bindings["api"]
    assert not bindings["db"]


@pytest.mark.security
def test_the_webapp_uses_its_own_database_role_not_the_superuser(stack: ProjectCompose) -> None:
    """The webapp logs in as its own role, "webapp", which db/initdb.d/ makes on the
    database's first start: not a superuser, no new roles, no new databases (made so: the
    migrate service, which would take such rights away and say so, found none to take), and
    owner of neither the database nor its table (the migrate service made them, as the
    database's owner; chapter 14 has what the role may do)."""
    requests.get(stack.url("webapp", 5000), timeout=10).raise_for_status()

    database = stack.container("db")
    logged_in = psql_as_superuser(
        database,
        "SELECT DISTINCT usename FROM pg_stat_activity "
        "WHERE client_addr IS NOT NULL AND usename IS NOT NULL AND pid <> pg_backend_pid()",
    )
    role = psql_as_superuser(
        database, "SELECT rolsuper, rolcreaterole, rolcreatedb FROM pg_roles WHERE rolname = 'webapp'"
    )
    owners = psql_as_superuser(
        database,
        "SELECT pg_get_userbyid(datdba) || ',' || (SELECT tableowner FROM pg_tables WHERE tablename = 'visits') "
        "FROM pg_database WHERE datname = current_database()",
    )

    assert logged_in == "webapp"
    assert role == "f|f|f"
    assert "had more than a page needs" not in stack.compose("logs", "migrate")
    assert owners == "postgres,postgres"


def _process_environment(stack: ProjectCompose, service: str) -> str:
    """The environment of the container's main process (the running server), as it is now."""
    user = "postgres" if service == "db" else ""  # /proc/1/environ is readable by its owner only
    code, output = stack.exec(service, "cat", "/proc/1/environ", user=user)
    assert code == 0, output
    return output.replace("\0", "\n")


@pytest.mark.security
def test_passwords_reach_the_services_only_as_secret_files(
    stack: ProjectCompose, docker_client: docker.DockerClient
) -> None:
    """Both passwords are kept in secrets/ (made at random by scripts/ensure-secrets.sh); the
    webapp's running server is pointed to its own as a file:
    POSTGRES_PASSWORD_FILE=/run/secrets/webapp_db_password. Neither the three services'
    containers (`docker inspect`) nor their running servers' environments hold a *PASSWORD
    variable or either password, and their images' configuration and history hold neither
    password.
    (The official postgres image does export the password it read into its server's
    environment; the offline stand-in does not, and only it is held to that.)"""
    passwords = [(ROOT / "secrets" / name).read_text().strip() for name in ("db_password", "webapp_db_password")]
    assert all(passwords)

    for service in ("webapp", "api", "db"):
        container = stack.container(service)
        image = docker_client.images.get(container.attrs["Image"])
        seen_by_docker = json.dumps([container.attrs, image.attrs, image.history()])
        environment = _process_environment(stack, service)

        configured = "\n".join(container.attrs["Config"]["Env"])
        if service == "db" and OFFLINE_RECIPE_LABEL not in (image.labels or {}):
            environment = ""  # the official image exports the password it read into the server's environment

        assert not [password for password in passwords if password in seen_by_docker + environment], service
        assert not re.findall(r"^\w*PASSWORD=", configured + "\n" + environment, flags=re.MULTILINE), service
    assert "POSTGRES_PASSWORD_FILE=/run/secrets/webapp_db_password" in _process_environment(stack, "webapp")
