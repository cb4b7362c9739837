"""Rendering the template for tests, over the answer combinations Paved supports, and running
a render's own nox sessions."""

import json
import os
import re
import shutil
import socket
import subprocess
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import copier
import pytest

ROOT = Path(__file__).parents[1]


@dataclass(frozen=True)
class Combination:
    """A set of answers Paved supports: rendered once per test run, its tests marked with its
    marker (`pytest -m backend_only`), and a job of the template's workflow."""

    id: str
    answers: dict[str, str | bool] = field(default_factory=dict, hash=False)

    @property
    def marker(self) -> str:
        return self.id.replace("-", "_")


# Between them the combinations cover every Python this machine has (the default is 3.13): each
# render's sessions run on its own `python_version`, whatever Python runs the tests. 3.14 runs in
# the GitHub workflow's Python axis.
DEFAULTS = Combination("defaults")
BACKEND_ONLY = Combination(
    "backend-only",
    {
        "auth": "none",  # the open API of before identity: still a supported answer
        "with_ui": False,
        "with_opensearch": False,
        "with_kubernetes": False,
        "python_version": "3.11",
    },
)
CUSTOM_NAME_UI_ONLY = Combination(
    "custom-name-ui-only",
    {"project_name": "Acme Orders", "with_opensearch": False, "python_version": "3.12"},
)
SUPPORTED = (DEFAULTS, BACKEND_ONLY, CUSTOM_NAME_UI_ONLY)
SUPPORTED_COMBINATIONS = [
    pytest.param(combination, id=combination.id, marks=getattr(pytest.mark, combination.marker))
    for combination in SUPPORTED
]


def render(destination: Path, **answers: str | bool) -> Path:
    """The service for `answers`, as `copier copy --trust` makes it (tasks included)."""
    return _copy(destination, answers, run_tasks=True)


# What a copy of a render leaves behind: what the render's sessions made in it.
_MADE_BY_SESSIONS = shutil.ignore_patterns(
    ".nox", ".stack", ".env", "reports", ".coverage", ".*_cache", "__pycache__"
)


class Renders:
    """Each combination rendered once per test run, on first use, and shared. A test that
    changes its render (plants a bug, runs a stack in it) works on a copy."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self._rendered: dict[str, Path] = {}

    def of(self, combination: Combination) -> Path:
        if combination.id not in self._rendered:
            self._rendered[combination.id] = render(
                self.root / combination.id, **combination.answers
            )
        return self._rendered[combination.id]

    def copy(self, combination: Combination, destination: Path) -> Path:
        """The render as Copier made it (git repository included), at `destination`."""
        shutil.copytree(self.of(combination), destination, symlinks=True, ignore=_MADE_BY_SESSIONS)
        return destination


def render_without_tasks(destination: Path, **answers: str | bool) -> Path:
    """The files alone: no `uv lock`, no `git init`."""
    return _copy(destination, answers, run_tasks=False)


def _copy(destination: Path, answers: dict[str, str | bool], *, run_tasks: bool) -> Path:
    copier.run_copy(
        str(ROOT),
        destination,
        data=answers,
        defaults=True,
        unsafe=True,  # the template's tasks: `uv lock`, `git init` of the new service
        skip_tasks=not run_tasks,
        vcs_ref="HEAD",
        quiet=True,
    )
    return destination


# What a render's nox must not inherit from this test session: its virtualenv and import path,
# and its database (the render's sessions use their own).
_THIS_SESSION_ONLY = frozenset(
    {"VIRTUAL_ENV", "UV_PYTHON", "UV_PROJECT_ENVIRONMENT", "PYTHONPATH", "DATABASE_URL"}
)


def render_env(**overrides: str) -> dict[str, str]:
    """This environment without what belongs to this test session, plus `overrides`."""
    return {k: v for k, v in os.environ.items() if k not in _THIS_SESSION_ONLY} | overrides


def run_nox(
    project: Path, *args: str, env: Mapping[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """`nox ARGS` in a render (in `render_env()` unless `env` is given); output captured."""
    return subprocess.run(
        ["nox", *args],
        cwd=project,
        env=render_env() if env is None else dict(env),
        capture_output=True,
        text=True,
        check=False,
    )


def generous_objectives(project: Path) -> None:
    """Latency objectives in a render's k6/slo.json that any machine meets (5 s, 10 s): for the
    tests that show `nox -s load` passing. Whether the service meets the real ones on a machine
    shared with other renders' gates is the bench's question, not a test's (a loaded CI machine
    has taken 0.5-1.3 s to commit a create)."""
    slo_file = project / "k6" / "slo.json"
    slo = json.loads(slo_file.read_text(encoding="utf-8"))
    for objective in slo["operations"].values():
        objective.update(p95_ms=5000, p99_ms=10000)
    slo_file.write_text(json.dumps(slo, indent=2), encoding="utf-8")


def plant(project: Path, path: str, old: str, new: str) -> None:
    """Replace `old` with `new` in a render's file: a bug for a gate to find."""
    file = project / path
    source = file.read_text(encoding="utf-8")
    assert old in source, f"the code to break is gone from {path}: update this test"
    file.write_text(source.replace(old, new), encoding="utf-8")


GIT_IDENTITY = ["-c", "user.name=Paved Tests", "-c", "user.email=tests@paved.invalid"]


def git(cwd: Path, *args: str) -> str:
    result = subprocess.run(
        ["git", *GIT_IDENTITY, *args], cwd=cwd, capture_output=True, text=True, check=True
    )
    return result.stdout


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def stack_ports() -> dict[str, int]:
    """A free port for each port variable of a render's `.env` (taken from the template's
    .env.example, so a new service gets one too): other renders' stacks may be up meanwhile."""
    example = (ROOT / "template" / ".env.example.jinja").read_text(encoding="utf-8")
    return {name: free_port() for name in re.findall(r"^(\w+_PORT)=", example, re.MULTILINE)}
