"""Copier's tasks for a rendered service, run by copier.yml with Copier's own Python (so they
run the same on Linux, macOS and Windows: no shell).

    python after_render.py copy|update

Both operations write uv.lock (on update, brought in line with pyproject.toml; existing pins are
kept). A copy also makes the new service a git repository with every file staged, because
pre-commit (`nox -s lint`) only sees files git knows; inside an existing repository it does not.
"""

import shutil
import subprocess
import sys


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
    subprocess.run([uv, "lock", "--quiet"], check=True)  # noqa: S603 - uv, found on PATH
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
