"""The rendered service's local stack, run natively through its own nox sessions: up, data that
survives down/up, recovery from a killed API, and nothing left behind by down."""

import json
import os
import signal
import socket
import subprocess
from pathlib import Path

import httpx
import pytest

from .rendering import (
    BACKEND_ONLY,
    SUPPORTED_COMBINATIONS,
    Combination,
    Renders,
    generous_objectives,
    render_env,
    run_nox,
    stack_ports,
)


def listening(port: int) -> bool:
    with socket.socket() as sock:
        return sock.connect_ex(("127.0.0.1", port)) == 0


def alive(pid: int) -> bool:
    # A zombie has ended; only its parent has yet to notice.
    try:
        state = Path(f"/proc/{pid}/stat").read_text(encoding="utf-8").rsplit(")", 1)[1].split()[0]
    except FileNotFoundError:
        return False
    return state != "Z"


class Stack:
    def __init__(self, project: Path) -> None:
        self.project = project
        # Every port of its own: another render's stack may be up at the same time.
        self.ports = stack_ports()
        self.env = render_env(
            **{name: str(port) for name, port in self.ports.items()},
            STACK_MODE="native",
            API_BASE=f"http://127.0.0.1:{self.ports['API_PORT']}",
        )
        self.api = self.env["API_BASE"]

    def nox(self, *args: str) -> subprocess.CompletedProcess[str]:
        # After the first run, -R reuses the session's environment: no reinstall.
        reuse = ["-R"] if (self.project / ".nox").exists() else []
        return run_nox(self.project, *reuse, "-s", *args, env=self.env)

    def client(self) -> httpx.Client:
        """A client of the stack's API; with auth=oidc it sends the tools client's token, got by the
        render's own `nox -s token`, as the README shows it."""
        headers = {}
        if (self.project / "auth").is_dir():
            token = self.nox("token")
            assert token.returncode == 0, token.stdout + token.stderr
            headers["Authorization"] = f"Bearer {token.stdout.strip().splitlines()[-1]}"
        return httpx.Client(base_url=self.api, headers=headers)

    def recorded_pids(self) -> dict[str, int]:
        state = json.loads((self.project / ".stack" / "state.json").read_text(encoding="utf-8"))
        return {name: entry["pid"] for name, entry in state.items()}


# The defaults' stack comes up, is seeded, restarted and taken down by the README's own commands
# (tests/test_readme.py); these combinations hold it to the rest: load, data kept, recovery.
@pytest.fixture(params=[c for c in SUPPORTED_COMBINATIONS if c.id != "defaults"])
def stack(request: pytest.FixtureRequest, renders: Renders, workspace: Path) -> Stack:
    combination: Combination = request.param
    project = renders.copy(combination, workspace / "service")
    generous_objectives(project)  # the stack under load, not this machine's speed, is tested
    return Stack(project)


def test_up_keeps_data_recovers_and_down_leaves_nothing(stack: Stack) -> None:
    first = stack.nox("up")
    assert first.returncode == 0, first.stdout + first.stderr
    with_ui = (stack.project / "ui").is_dir()
    expected = {"postgres", "backend", *(["frontend"] if with_ui else [])}
    assert expected <= set(stack.recorded_pids())
    assert "backend" in first.stdout
    assert "healthy" in first.stdout
    if with_ui:
        ui_health = f"http://127.0.0.1:{stack.ports['UI_PORT']}/_stcore/health"
        assert httpx.get(ui_health).status_code == 200
    # The generated secrets are readable by their owner only.
    assert (stack.project / ".env").stat().st_mode & 0o077 == 0
    try:  # from here on, the stack is taken down whatever fails
        with stack.client() as api:
            created = api.post("/items", json={"title": "survives restarts"})
            assert created.status_code == 201, created.text
            item = created.json()

            load = stack.nox("load", "--", "--quick", "crud")  # the stack under load, gated
            assert load.returncode == 0, load.stdout[-5000:] + load.stderr[-5000:]
            assert f"Using the API at {stack.api}" in load.stdout

            again = stack.nox("up")  # harmless when everything is up
            assert again.returncode == 0, again.stdout + again.stderr

            assert stack.nox("down").returncode == 0
            assert not listening(stack.ports["API_PORT"])
            assert stack.nox("up").returncode == 0
            assert api.get(f"/items/{item['id']}").json() == item

            os.killpg(stack.recorded_pids()["backend"], signal.SIGKILL)
            recovered = stack.nox("up")
            assert recovered.returncode == 0, recovered.stdout + recovered.stderr
            assert httpx.get(f"{stack.api}/health/ready").status_code == 200
    finally:
        pids = stack.recorded_pids()
        down = stack.nox("down", "--", "--wipe")

    assert down.returncode == 0, down.stdout + down.stderr
    assert [name for name, pid in pids.items() if alive(pid)] == []
    assert [port for port in stack.ports.values() if listening(port)] == []
    assert not (stack.project / ".stack" / "postgres").exists()


@pytest.mark.backend_only
def test_up_refuses_a_taken_port_and_leaves_nothing_running(
    renders: Renders, workspace: Path
) -> None:
    stack = Stack(renders.copy(BACKEND_ONLY, workspace / "service"))
    del stack.env["STACK_MODE"]  # the mode as the README shows it, after the session's `--`
    with socket.socket() as squatter:
        squatter.bind(("127.0.0.1", stack.ports["API_PORT"]))
        squatter.listen()

        result = stack.nox("up", "--", "--mode", "native")

    assert result.returncode != 0
    taken = f"port {stack.ports['API_PORT']} for backend is taken by pid {os.getpid()}"
    assert taken in result.stdout + result.stderr
    assert json.loads((stack.project / ".stack" / "state.json").read_text(encoding="utf-8")) == {}
