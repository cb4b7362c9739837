"""Copier's tasks for a rendered service, run by copier.yml with Copier's own Python (so they
run the same on Linux, macOS and Windows: no shell).

    python after_render.py copy|update

Both operations write uv.lock (on update, brought in line with pyproject.toml; existing pins are
kept). A copy also makes the new service a git repository with every file staged, because
pre-commit (`nox -s lint`) only sees files git knows; inside an existing repository it does not.
"""

import os
import shutil
import subprocess
import sys

# What points uv at the environment Copier runs in rather than at the new service.
OTHER_ENVIRONMENT = frozenset({"VIRTUAL_ENV", "UV_PYTHON", "UV_PROJECT_ENVIRONMENT"})


def main(operation: str) -> int:
    uv = shutil.which("uv")
    if uv is None:
        print(
            "uv is needed to write uv.lock: install it (`pipx install uv`, `brew install uv`, or"
            " https://docs.astral.sh/uv/getting-started/installation/), then run `uv lock` in"
            " the new service.",
            file=sys.stderr,
        )
        return 1
    # Copier often runs inside another environment (an activated venv, a nox session): uv would
    # take that Python for the new service's, and refuse it when it is older than
    # `requires-python`. The service's own `.python-version` decides instead.
    env = {name: value for name, value in os.environ.items() if name not in OTHER_ENVIRONMENT}
    subprocess.run([uv, "lock", "--quiet"], env=env, check=True)  # noqa: S603 - uv, on PATH
    if operation == "copy" and not _inside_git_work_tree():
        subprocess.run(["git", "init", "--quiet", "--initial-branch=main"], check=True)  # noqa: S607
        subprocess.run(["git", "add", "--all"], check=True)  # noqa: S607
    return 0


def _inside_git_work_tree() -> bool:
    result = subprocess.run(
        ["git", "rev-parse", "--is-inside-work-tree"],  # noqa: S607 - git, from PATH
        capture_output=True,
        check=False,
    )
    return result.returncode == 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
