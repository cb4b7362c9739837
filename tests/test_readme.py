"""The READMEs' commands, run as written: Paved's (the demo, starting a service, cutting a release)
and the rendered service's (its quick start and daily sessions), one after the other in one fresh
render, the way a newcomer meets them. A command that is not run here has a twin that runs it:
`.ci/run` runs the set-up and test commands. The tables are checked against what they document:
the questions against `copier.yml`, the sessions against `nox -l`."""

import os
import re
import shlex
import shutil
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import yaml

from .rendering import ROOT, git, render_env, render_without_tasks, run_nox, stack_ports

README = ROOT / "README.md"
CI_RUN = ROOT / ".ci" / "run"
CONSOLE_BLOCK = re.compile(r"```console\n(.*?)```", re.DOTALL)
CHANGELOG_VERSION = re.compile(r"^## (\d+\.\d+\.\d+) — \d{4}-\d{2}-\d{2}$", re.MULTILINE)
# The variables a command line may set before its program, as in `STACK_MODE=native nox -s up`.
ASSIGNMENT = re.compile(r"([A-Z_][A-Z0-9_]*)=(.*)")


def console_commands(markdown: str) -> list[str]:
    """Every command line of the ```console blocks, without its comment; continuation lines of
    a comment (starting with `#`) are left out."""
    lines = [line for block in CONSOLE_BLOCK.findall(markdown) for line in block.splitlines()]
    commands = [shlex.join(shlex.split(line, comments=True)) for line in lines]
    return [command for command in commands if command]


def newest_release() -> str:
    found = CHANGELOG_VERSION.search((ROOT / "CHANGELOG.md").read_text(encoding="utf-8"))
    assert found, "CHANGELOG.md has no '## X.Y.Z — YYYY-MM-DD' heading"
    return found[1]


@dataclass
class Shell:
    """Runs README lines as a shell would: `cd`, `NAME=value command`, and the rest through PATH
    (uv's tool folder first). The stack runs natively on free ports; the Compose stack is the
    rendered workflow's `stack` job."""

    cwd: Path
    env: dict[str, str]
    outputs: dict[str, str] = field(default_factory=dict)

    def run(self, line: str) -> str:
        words = shlex.split(line)
        if words[0] == "cd":
            self.cwd = (self.cwd / words[1]).resolve()
            return ""
        env = dict(self.env)
        while match := ASSIGNMENT.fullmatch(words[0]):
            env[match[1]] = match[2]
            words.pop(0)
        if "copy" in words and any(word.startswith("copier") for word in words[:2]):
            words.append("--defaults")  # nobody is at a terminal to answer the questions
        program = shutil.which(words[0], path=env["PATH"])
        assert program, f"{words[0]} is not on PATH for: {line}"
        result = subprocess.run(
            [program, *words[1:]],
            cwd=self.cwd,
            env=env,
            capture_output=True,
            text=True,
            check=False,
        )
        output = result.stdout + result.stderr
        assert result.returncode == 0, f"`{line}` in {self.cwd} failed:\n{output[-8000:]}"
        self.outputs[line] = output
        return output


@pytest.fixture
def shell(workspace: Path) -> Shell:
    tools = workspace / "uv-tools"
    ports = {name: str(port) for name, port in stack_ports().items()}
    identity = {
        f"GIT_{role}_{part}": value
        for role in ("AUTHOR", "COMMITTER")
        for part, value in (("NAME", "Paved Tests"), ("EMAIL", "tests@paved.invalid"))
    }
    env = render_env(
        **ports,
        **identity,  # the release tag is annotated: git wants to know who made it
        STACK_MODE="native",
        # `uv tool install` puts its programs here, not in this machine's ~/.local/bin.
        UV_TOOL_DIR=str(tools / "tools"),
        UV_TOOL_BIN_DIR=str(tools / "bin"),
        PATH=os.pathsep.join(
            [str(tools / "bin"), str(Path(sys.executable).parent), os.environ["PATH"]]
        ),
    )
    return Shell(workspace, env)


def release_copy(shell: Shell, destination: Path) -> Path:
    """This checkout (uncommitted changes too) as a repository, released with the README's own
    release command: the commands that copy from `.` get the newest release, as users do."""
    ignore = shutil.ignore_patterns(".git", ".nox", "demo", "__pycache__", ".*_cache")
    shutil.copytree(ROOT, destination, ignore=ignore)
    git(destination, "init", "--quiet", "--initial-branch=main")
    git(destination, "add", "--all")
    git(destination, "commit", "--quiet", "--message", "the checkout under test")
    [tag] = [
        line
        for line in console_commands(README.read_text(encoding="utf-8"))
        if line.startswith("git tag")
    ]
    shell.cwd = destination
    shell.run(tag)
    return destination


@pytest.mark.defaults
def test_every_readme_command_runs_in_order(shell: Shell, workspace: Path) -> None:
    paved = release_copy(shell, workspace / "paved")
    ci_run = CI_RUN.read_text(encoding="utf-8").splitlines()

    for line in console_commands(README.read_text(encoding="utf-8")):
        if line.startswith("git tag"):
            continue  # already run: it made the release
        if line.startswith(("python3 -m pip install uv", "uvx nox@")) and "-s demo" not in line:
            assert line in ci_run, f"{line!r}: .ci/run must run it as the README shows it"
            continue
        if "-s demo" not in line:
            shell.run(line)
            continue
        try:
            output = shell.run(line)
            assert "Seeded" in output, output[-3000:]
            assert "healthy" in output
        finally:
            # As the README says: nothing of the demo stays up, whether it passed or not.
            stopped = shell.run(f"{line} -- down")
        assert "Stopped: " in stopped

    service = shell.cwd
    recorded = yaml.safe_load((service / ".copier-answers.yml").read_text(encoding="utf-8"))
    assert recorded["_commit"] == f"v{newest_release()}"
    service_commands = console_commands((service / "README.md").read_text(encoding="utf-8"))
    try:
        for line in service_commands:
            if line not in shell.outputs:
                shell.run(line)
    finally:
        subprocess.run(
            ["nox", "-R", "-s", "down", "--", "--wipe"],
            cwd=service,
            env=shell.env,
            capture_output=True,
            check=False,
        )

    outputs = shell.outputs
    # After the copy, Copier named the next steps: the rendered README's quick start.
    [copied] = [output for line, output in outputs.items() if " copy " in line]
    message = copied.split(" is ready in ", 1)[1].splitlines()[1:]
    steps = [line.strip() for line in message if line.startswith("    ")]
    assert (paved / steps[0].removeprefix("cd ")).resolve() == service.resolve(), copied[-3000:]
    assert [shlex.join(shlex.split(step, comments=True)) for step in steps[1:]] == (
        service_commands[:5]
    )
    assert "Database: postgresql://" in outputs["nox -s up"]
    assert "items created, 0 already there" in outputs["nox -s seed"]
    # Every rendered file is as the copy staged it (`fmt` and `slo` changed none of them);
    # the revision is the one new file.
    status = git(service, "status", "--porcelain").splitlines()
    changed = [line for line in status if not line.startswith("A  ")]
    assert len(changed) == 1, changed
    assert re.fullmatch(r"\?\? migrations/versions/\S+_add_projects\.py", changed[0])
    assert "Migrated " in outputs["nox -s migrate"]


def test_the_questions_table_is_copier_yml(tmp_path: Path) -> None:
    questions = {
        name: spec
        for name, spec in yaml.safe_load((ROOT / "copier.yml").read_text(encoding="utf-8")).items()
        if not name.startswith("_")
    }
    rows = re.findall(
        r"^\| `([a-z_]+)`(?:, `([a-z_]+)`)? \| ([^|]+) \|", README.read_text(encoding="utf-8"), re.M
    )
    documented = {name for row in rows for name in row[:2] if name}
    project = render_without_tasks(tmp_path / "svc")
    rendered_answers = yaml.safe_load((project / ".copier-answers.yml").read_text(encoding="utf-8"))

    assert documented == set(questions)
    for first, second, default in rows:
        for name in filter(None, (first, second)):
            shown = default.strip()
            answer = str(rendered_answers[name]).lower()
            if shown.startswith("derived: "):
                assert shown == f"derived: `{rendered_answers[name]}`", name
            elif shown != "…":
                assert answer in shown.lower(), (name, shown, answer)


def test_the_sessions_table_is_the_noxfile(tmp_path: Path) -> None:
    project = render_without_tasks(tmp_path / "svc")
    # `* name -> docstring` for the sessions a bare `nox` runs, `- name -> ...` for the others.
    listed = run_nox(project, "--list").stdout.splitlines()
    sessions = [line[2:].split(" -> ")[0] for line in listed if line[:2] in ("* ", "- ")]
    table = (
        (project / "README.md")
        .read_text(encoding="utf-8")
        .split("## Sessions", 1)[1]
        .split("\n## ", 1)[0]
    )
    # A row's first cell names one session or several: `nox -s up` / `down` / `logs`.
    cells = [line.split("|")[1] for line in table.splitlines() if line.startswith("| `nox -s ")]
    documented = [name.split()[-1] for cell in cells for name in re.findall(r"`([^`]+)`", cell)]

    assert len(sessions) > 10
    assert sorted(documented) == sorted(sessions)


def test_the_release_and_the_changelog_agree() -> None:
    version = newest_release()
    pyproject = (ROOT / "pyproject.toml").read_text(encoding="utf-8")

    assert f'version = "{version}"' in pyproject
    assert f"git tag --annotate v{version} " in README.read_text(encoding="utf-8")


NOX_REQUIREMENT = re.compile(r"\bnox(?:@|==)([0-9][\w.]*)")
UNPINNED_NOX = re.compile(r"\b(?:uv tool install|pipx install|uvx(?: --python \S+)?) nox(?![@=\w])")


def test_every_nox_a_user_or_a_workflow_installs_is_the_pinned_one() -> None:
    # uv installs a tool by version; it takes no hash for the tool itself (only for what it
    # builds), so the version is the pin, the same everywhere.
    [pinned] = NOX_REQUIREMENT.findall(
        (ROOT / "template" / "pyproject.toml.jinja").read_text(encoding="utf-8")
    )
    places = [
        README,
        CI_RUN,
        ROOT / "copier.yml",
        ROOT / "pyproject.toml",
        ROOT / "template" / "README.md.jinja",
        *(ROOT / ".github" / "workflows").glob("*.yml"),
        *(ROOT / "template" / ".github" / "workflows").iterdir(),
    ]

    texts = {
        place.relative_to(ROOT).as_posix(): place.read_text(encoding="utf-8") for place in places
    }
    versions = {name: set(NOX_REQUIREMENT.findall(text)) for name, text in texts.items()}
    unpinned = {name: UNPINNED_NOX.findall(text) for name, text in texts.items()}

    assert {name: found for name, found in versions.items() if found - {pinned}} == {}
    assert {name: found for name, found in unpinned.items() if found} == {}
    assert versions["README.md"] == versions[".ci/run"] == {pinned}
