"""Chapter 5. Compose basics: one file describes the services; `up` builds and starts
them, `ps` and `logs` show them, `down` removes them with their network."""

from __future__ import annotations

import docker
import requests

from tests.support.compose import ProjectCompose
from tests.support.containers import free_host_port
from tests.support.diagnostics import Diagnostics
from tests.support.environment import ROOT


def test_up_ps_logs_and_down(docker_client: docker.DockerClient, diagnostics: Diagnostics) -> None:
    """`up` builds and starts the stack on the host port WEBAPP_PORT names; `ps` shows that
    mapping; `logs` shows the webapp's own output; `down` removes containers and network."""
    port = free_host_port()
    stack = ProjectCompose(context=ROOT, build=True, environment={"WEBAPP_PORT": str(port)})
    diagnostics.watch("docker compose", stack.diagnostics)
    try:
        stack.compose("up", "--build", "--wait", "--detach")

        publishers = stack.ps()["webapp"]["Publishers"]
        assert {"TargetPort": 5000, "PublishedPort": port} in [
            {"TargetPort": p["TargetPort"], "PublishedPort": p["PublishedPort"]} for p in publishers
        ]
        assert requests.get(f"http://127.0.0.1:{port}/", timeout=10).status_code == 200
        logs = stack.compose("logs", "--no-color", "webapp")
        assert "Listening at: http://0.0.0.0:5000" in logs
        assert '"GET / HTTP/1.1" 200' in logs

        stack.down(volumes=True)

        project = {"label": f"com.docker.compose.project={stack.project_name}"}
        assert docker_client.containers.list(all=True, filters=project) == []
        assert docker_client.networks.list(names=[f"{stack.project_name}_default"]) == []
    finally:
        stack.down(volumes=True)
