"""The images bind dual-stack: their listening sockets on `::` take IPv4 and IPv6 connections
alike (Linux maps IPv4 onto them), so the kubelet's probes reach the pods on an IPv6-only
cluster (EKS with IPv6) as on an IPv4 one. Each image's server is started with the image's own
command (compose/*.Dockerfile); the API with two workers, as the chart runs it."""

import json
import os
import shlex
import sys
from pathlib import Path

import httpx
import pytest
import yaml
from stack.processes import free_port, running
from stack.services import venv_program

PROJECT_ROOT = Path(__file__).parents[1]
SOURCE = PROJECT_ROOT / "src"
# Each image's ports, each with a route that answers 200 on it when the server is up: the API's
# metrics port too (Prometheus scrapes it over the pod network, IPv6 on an IPv6-only cluster).
IMAGES = {
    "backend": {8000: "/health/live", 9464: "/metrics"},
    "frontend": {8501: "/_stcore/health"},
}


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


def on_ports(command: list[str], ports: dict[int, int]) -> list[str]:
    """The command with the image's ports replaced (`ports`: image port to port), and run by
    this environment's Python."""
    moved = list(command)
    for image_port, port in ports.items():
        moved = [
            str(port) if part == str(image_port) else part.replace(f"={image_port}", f"={port}")
            for part in moved
        ]
    program, *arguments = moved
    if program == "python":
        return [sys.executable, *arguments]
    return [sys.executable, "-m", program, *arguments]


@pytest.mark.parametrize("image", [name for name in IMAGES if dockerfile(name).exists()])
def test_the_image_answers_over_ipv4_and_ipv6(
    image: str, database_url: str, tmp_path: Path
) -> None:
    paths = IMAGES[image]
    command = image_command(dockerfile(image))
    ports = {image_port: free_port() for image_port in paths}
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

    [(image_port, health_path), *_] = paths.items()
    health = f"http://127.0.0.1:{ports[image_port]}{health_path}"
    served = on_ports(command, ports)
    with running(served, env, health, tmp_path / f"{image}.log", cwd=PROJECT_ROOT):
        statuses = {
            (image_port, host): httpx.get(f"http://{host}:{ports[image_port]}{path}").status_code
            for image_port, path in paths.items()
            for host in ("127.0.0.1", "[::1]")
        }

    assert {"::", "--server.address=::"} & set(command)
    assert set(statuses.values()) == {200}, statuses


@pytest.mark.skipif(
    sys.platform == "win32", reason="the image is Linux: watchfiles splits its command as sh does"
)
def test_the_development_server_serves_the_api_and_its_metrics(
    database_url: str, tmp_path: Path
) -> None:
    """compose.override.yaml's backend (what `nox -s up` runs in Compose without --production):
    the image's server under watchfiles, so the metrics port Prometheus scrapes is served."""
    override = yaml.safe_load(
        (PROJECT_ROOT / "compose" / "compose.override.yaml").read_text(encoding="utf-8")
    )["services"]["backend"]
    watcher, *options, server, source = override["command"]
    port, metrics_port = free_port(), free_port()
    program, *arguments = shlex.split(server)
    moved = on_ports([program, *arguments], {8000: port, 9464: metrics_port})
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "PYTHONPATH": override["environment"]["PYTHONPATH"].replace(source, str(SOURCE)),
    }
    command = [str(venv_program(watcher)), *options, shlex.join(moved), str(SOURCE)]

    health = f"http://127.0.0.1:{port}/health/live"
    with running(command, env, health, tmp_path / "development.log", cwd=PROJECT_ROOT):
        scrape = httpx.get(f"http://127.0.0.1:{metrics_port}/metrics", timeout=5)

    assert (watcher, program, source) == ("watchfiles", "python", "/app/src")
    assert scrape.status_code == 200
    assert "http_requests_total" in scrape.text
