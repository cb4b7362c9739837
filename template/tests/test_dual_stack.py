"""The images bind dual-stack: the API's listening sockets on `::` take IPv4 and IPv6
connections alike (Linux maps IPv4 onto them), so the kubelet's probes reach the pod on an
IPv6-only cluster (EKS with IPv6) as on an IPv4 one. The API is started with its image's own
command (compose/backend.Dockerfile), two workers as the chart runs it."""

import json
import os
import sys
from pathlib import Path

import httpx
from stack.processes import free_port, running

PROJECT_ROOT = Path(__file__).parents[1]


def image_command(dockerfile: Path) -> list[str]:
    """The image's CMD, in its exec form."""
    [command] = [
        json.loads(line.removeprefix("CMD "))
        for line in dockerfile.read_text(encoding="utf-8").splitlines()
        if line.startswith("CMD [")
    ]
    assert isinstance(command, list)
    return [str(part) for part in command]


def test_the_api_image_answers_over_ipv4_and_ipv6(database_url: str, tmp_path: Path) -> None:
    command = image_command(PROJECT_ROOT / "compose" / "backend.Dockerfile")
    port = free_port()
    command[command.index("--port") + 1] = str(port)
    command[0] = sys.executable  # the image's python, here this environment's
    env = {**os.environ, "DATABASE_URL": database_url, "API_WORKERS": "2"}

    health = f"http://127.0.0.1:{port}/health/live"
    with running(command, env, health, tmp_path / "api.log", cwd=PROJECT_ROOT):
        over_ipv4 = httpx.get(health, timeout=5)
        over_ipv6 = httpx.get(f"http://[::1]:{port}/health/live", timeout=5)

    assert command[command.index("--host") + 1] == "::"
    assert over_ipv4.status_code == over_ipv6.status_code == 200
