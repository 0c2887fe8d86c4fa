"""The two stacks the benchmark compares, each a Compose project of its own."""

from __future__ import annotations

import os
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

import docker
import requests
from docker.models.containers import Container

ROOT = Path(__file__).resolve().parents[1]


@dataclass
class Stack:
    """A Compose project: `docker compose -p <project> -f <files>` run in `directory`."""

    label: str
    project: str
    directory: Path
    files: list[str]
    # How psql inside the db container gets the superuser's password.
    password_from: str
    # The visits table's time column.
    time_column: str
    environment: dict[str, str] = field(default_factory=dict)
    wait_for_health: bool = True

    def compose(self, *args: str, check: bool = True) -> str:
        command = ["docker", "compose", "-p", self.project]
        for file in self.files:
            command += ["-f", file]
        result = subprocess.run(
            [*command, *args],
            cwd=self.directory,
            env={**os.environ, **self.environment},
            capture_output=True,
            text=True,
            check=False,
        )
        if check and result.returncode != 0:
            raise RuntimeError(f"`{' '.join(command + list(args))}` exited {result.returncode}:\n{result.stderr}")
        return result.stdout

    def build(self) -> None:
        self.compose("build", "--quiet")

    def up(self, *services: str) -> float:
        """Start (from built images) and wait until the page answers 200; seconds taken."""
        started = time.monotonic()
        self.compose("up", "-d", *(["--wait"] if self.wait_for_health else []), *services)
        self.wait_for_page()
        return time.monotonic() - started

    def down(self) -> None:
        self.compose("down", "--volumes", "--remove-orphans", check=False)

    def url(self, path: str = "/") -> str:
        port = self.compose("port", "webapp", "5000").strip().rsplit(":", 1)[1]
        return f"http://127.0.0.1:{port}{path}"

    def wait_for_page(self, timeout: float = 120) -> float:
        """Poll the page until it answers 200; seconds waited."""
        started = time.monotonic()
        while time.monotonic() - started < timeout:
            try:
                if requests.get(self.url(), timeout=30).status_code == 200:
                    return time.monotonic() - started
            except (requests.RequestException, RuntimeError, IndexError):
                pass
            time.sleep(0.05)
        raise TimeoutError(f"{self.label}: the page did not answer 200 within {timeout:g} s")

    def container(self, service: str) -> Container:
        container_id = self.compose("ps", "--all", "-q", service).strip()
        container: Container = docker.from_env().containers.get(container_id)
        return container

    def psql(self, sql: str) -> str:
        """Run `sql` as the database superuser inside the db container."""
        script = (
            f'PGPASSWORD="{self.password_from}" psql -h 127.0.0.1 -U "$POSTGRES_USER" -d "$POSTGRES_DB" '
            '-v ON_ERROR_STOP=1 -Atc "$0"'
        )
        code, output = self.container("db").exec_run(["sh", "-c", script, sql])
        assert isinstance(output, bytes)  # not streamed
        text = output.decode(errors="replace").strip()
        if code != 0:
            raise RuntimeError(f"{self.label}: psql failed: {text}")
        return text

    def seed(self, rows: int) -> None:
        """Exactly `rows` visits in the table (it exists once the page has answered)."""
        # Only numbers and this module's own column names go into the SQL.
        self.psql(
            f"TRUNCATE visits RESTART IDENTITY; "  # noqa: S608
            f"INSERT INTO visits ({self.time_column}) SELECT now() FROM generate_series(1, {int(rows)})"
        )
        self.psql("VACUUM ANALYZE visits")

    def db_ready(self) -> bool:
        code, _ = self.container("db").exec_run(["pg_isready", "-h", "127.0.0.1", "-q"])
        return bool(code == 0)


def our_stack(environment: dict[str, str]) -> Stack:
    return Stack(
        label="this project",
        project="bench-ours",
        directory=ROOT,
        files=["docker-compose.yml"],
        password_from="$(cat /run/secrets/db_password)",
        time_column="visited_at",
        environment={
            **environment,
            "WEBAPP_PORT": "0",
            "WEBAPP_IMAGE": "docker-tutorial.invalid/webapp:bench",
            "API_IMAGE": "docker-tutorial.invalid/api:bench",
        },
    )


def tutorial_stack(environment: dict[str, str]) -> Stack:
    return Stack(
        label="the tutorial",
        project="bench-tutorial",
        directory=ROOT / "bench" / "tutorial",
        files=["docker-compose.yml"],
        password_from="postgres",
        time_column="timestamp",
        environment={**environment, "WEBAPP_PORT": "0"},
        wait_for_health=False,
    )
