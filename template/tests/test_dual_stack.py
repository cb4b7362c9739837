"""The images bind dual-stack: their listening sockets on `::` take IPv4 and IPv6 connections
alike (Linux maps IPv4 onto them), so the kubelet's probes reach the pods on an IPv6-only
cluster (EKS with IPv6) as on an IPv4 one. Each image's server is started with the image's own
command (compose/*.Dockerfile); the API with two workers, as the chart runs it."""

import json
import os
import sys
from pathlib import Path

import httpx
import pytest
from stack.processes import free_port, running

PROJECT_ROOT = Path(__file__).parents[1]
# Each image's port and a route that answers 200 when it is up.
IMAGES = {"backend": (8000, "/health/live"), "frontend": (8501, "/_stcore/health")}


def dockerfile(image: str) -> Path:
    return PROJECT_ROOT / "compose" / f"{image}.Dockerfile"


def image_command(path: Path) -> list[str]:
    """The image's CMD, in its exec form."""
    [command] = [
        json.loads(line.removeprefix("CMD "))
        for line in path.read_text(encoding="utf-8").splitlines()
        if line.startswith("CMD [")
    ]
    assert isinstance(command, list)
    return [str(part) for part in command]


def on_port(command: list[str], image_port: int, port: int) -> list[str]:
    """The command with the image's port replaced, and run by this environment's Python."""
    moved = [
        str(port) if part == str(image_port) else part.replace(f"={image_port}", f"={port}")
        for part in command
    ]
    program, *arguments = moved
    if program == "python":
        return [sys.executable, *arguments]
    return [sys.executable, "-m", program, *arguments]


@pytest.mark.parametrize("image", [name for name in IMAGES if dockerfile(name).exists()])
def test_the_image_answers_over_ipv4_and_ipv6(
    image: str, database_url: str, tmp_path: Path
) -> None:
    image_port, path = IMAGES[image]
    command = image_command(dockerfile(image))
    port = free_port()
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "API_WORKERS": "2",
        # The UI's sign-in settings (auth=oidc), placeholders: its health route asks nothing of
        # the provider. An open render's UI ignores them.
        "AUTH_ISSUER": "http://127.0.0.1:9/realms/dual-stack",
        "AUTH_UI_CLIENT_ID": "dual-stack",
        "AUTH_UI_CLIENT_SECRET": "placeholder",
        "AUTH_UI_COOKIE_SECRET": "placeholder",
    }

    health = f"http://127.0.0.1:{port}{path}"
    served = on_port(command, image_port, port)
    with running(served, env, health, tmp_path / f"{image}.log", cwd=PROJECT_ROOT):
        over_ipv4 = httpx.get(health, timeout=5)
        over_ipv6 = httpx.get(f"http://[::1]:{port}{path}", timeout=5)

    assert {"::", "--server.address=::"} & set(command)
    assert over_ipv4.status_code == over_ipv6.status_code == 200
