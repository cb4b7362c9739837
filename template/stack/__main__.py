"""`python -m stack COMMAND`: what the nox sessions up, down, logs, migrate, revision, seed,
contract, load, bench and slo run (`python -m stack --help` lists the commands)."""

import argparse
import os
import subprocess
import sys
import time
from collections.abc import Callable, Sequence

from . import compose, load, seed, tools
from .environment import ensure_env_file, load_env
from .services import Status, api_base, left_out
from .table import print_table

# What loads the service's package or SQLAlchemy (native, api, migrations, bench, slo) is
# imported by the commands that use it: `tool` runs in every lint hook, `seed` needs none of it.

Command = Callable[[argparse.Namespace], int]


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    run: Command = args.run
    return run(args)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m stack", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)

    def command(
        name: str, run: Command, help: str, *, mode: bool = False
    ) -> argparse.ArgumentParser:
        sub = commands.add_parser(name, help=help)
        sub.set_defaults(run=run)
        if mode:  # after the command's name: `nox -s up -- --mode native`
            sub.add_argument(
                "--mode",
                choices=["auto", "compose", "native"],
                default=os.environ.get("STACK_MODE", "auto"),
                help="compose when a Docker engine answers (auto, the default), or force one"
                " (env STACK_MODE)",
            )
        return sub

    up = command("up", _up, "start the stack; returns once every service is healthy", mode=True)
    up.add_argument(
        "--production",
        action="store_true",
        help="Compose: run the images as built, without the development override (reload, mounts)",
    )
    down = command("down", _down, "stop everything `up` started", mode=True)
    down.add_argument("--wipe", action="store_true", help="also delete the stack's data")
    logs = command("logs", _logs, "show (and follow) the services' logs", mode=True)
    logs.add_argument("services", nargs="*", help="only these services")
    logs.add_argument("--no-follow", action="store_true", help="print and exit")
    command("status", _status, "print each service's URL and state", mode=True)
    command("migrate", _schema, "upgrade the stack's database to the newest revision", mode=True)
    revision = command(
        "revision",
        _schema,
        "write a migration from the models' changes (against the stack's database, at head),"
        " then check that every revision builds the models' schema",
        mode=True,
    )
    revision.add_argument(
        "-m", "--message", required=True, help='what it changes, e.g. "add projects"'
    )
    command(
        "seed", _seed, "create a few dozen example items through the API at API_BASE (idempotent)"
    )
    load_parser = command("load", _load, "run k6 scenarios, gated on k6/slo.json")
    load_parser.add_argument(
        "scenarios", nargs="*", help=f"default: {' '.join(load.DEFAULT_SCENARIOS)}"
    )
    load_parser.add_argument("--quick", action="store_true", help="shorter stages (for CI)")
    bench = command("bench", _bench, "the API against pgbench; reports/bench.json")
    bench.add_argument("--vus", type=int, default=16, help="k6 virtual users (default 16)")
    bench.add_argument("--duration", type=int, default=10, help="seconds per run (default 10)")
    bench.add_argument(
        "--workers", type=int, default=os.cpu_count() or 1, help="API workers (default: cores)"
    )
    bench.add_argument(
        "--opensearch",
        metavar="URL",
        help="also measure log shipping to OpenSearch at URL, and with OpenSearch down",
    )
    slo = command("slo", _slo, "write the alert rules and SLO dashboard generated from k6/slo.json")
    slo.add_argument("--check", action="store_true", help="only check they are current")
    tool = command(
        "tool",
        _tool,
        "run a system program (lint hooks do); when it is not installed, say how to install it"
        " and succeed, unless CI=true",
    )
    tool.add_argument("program", choices=sorted(tools.BY_NAME))
    tool.add_argument("arguments", nargs=argparse.REMAINDER, help="its arguments")
    with_api = command(
        "with-api",
        _with_api,
        "run a command against the API at API_BASE, or a private one when none answers;"
        " `{api}` in its arguments becomes the base URL",
    )
    with_api.add_argument("tool", nargs=argparse.REMAINDER, help="the command, after --")
    return parser


def _mode(args: argparse.Namespace) -> str:
    """The mode a stack command runs in, once `.env` exists."""
    if ensure_env_file():
        print("Created .env with freshly generated secrets (git-ignored; see .env.example).")
    if args.mode == "auto":
        return "compose" if compose.engine_answers() else "native"
    mode: str = args.mode
    return mode


def _up(args: argparse.Namespace) -> int:
    from . import native

    if _mode(args) == "compose":
        code = compose.compose(
            "up", "--detach", "--wait", "--build", development=not args.production
        )
        if code == 0:
            print(f"Database: {compose.database_url(load_env())}")
        return code or compose.compose("images")  # what runs, with the versions of its images
    try:
        started = native.up(load_env())
    except native.StackError as error:
        print(f"up failed: {error}", file=sys.stderr)
        return 1
    _print_statuses(started.statuses)
    print(f"Database: {started.database_url}")
    print("Versions: " + ", ".join(f"{name} {v}" for name, v in started.versions.items()))
    for program in left_out():
        print(f"Left out: {program.missing()}")
    return 0


def _down(args: argparse.Namespace) -> int:
    from . import native

    if _mode(args) == "compose":
        return compose.compose("down", "--remove-orphans", *(["--volumes"] if args.wipe else []))
    stopped = native.down(wipe=args.wipe)
    print(f"Stopped: {', '.join(stopped)}." if stopped else "Nothing was running.")
    if args.wipe:
        print("Deleted the stack's data.")
    return 0


def _status(args: argparse.Namespace) -> int:
    from . import native

    if _mode(args) == "compose":
        return compose.compose("ps")
    _print_statuses(native.status(load_env()))
    return 0


def _print_statuses(rows: Sequence[Status]) -> None:
    print_table([("SERVICE", "URL", "STATE"), *((r.service, r.url, r.state) for r in rows)])


def _logs(args: argparse.Namespace) -> int:
    from . import native

    if _mode(args) == "compose":
        return compose.compose("logs", *([] if args.no_follow else ["--follow"]), *args.services)
    files = {
        name: path
        for name, path in native.log_files().items()
        if not args.services or name in args.services
    }
    if not files:
        print("No logs yet: run `nox -s up` first.", file=sys.stderr)
        return 1
    handles = {name: path.open(errors="replace") for name, path in files.items()}
    for name, handle in handles.items():
        for line in handle.read().splitlines()[-50:]:
            print(f"{name:<10} | {line}")
    try:
        while not args.no_follow:
            for name, handle in handles.items():
                for line in handle.readlines():
                    print(f"{name:<10} | {line.rstrip()}", flush=True)
            time.sleep(0.5)
    except KeyboardInterrupt:
        pass
    return 0


def _schema(args: argparse.Namespace) -> int:
    from . import native
    from .migrations import MigrationError, migrate, revise

    mode = _mode(args)
    env = load_env()
    try:
        database_url = compose.database_url(env) if mode == "compose" else native.database(env)
        if args.command == "migrate":
            migrate(env, database_url)
            print(f"Migrated {database_url} to the newest revision.")
        else:
            revise(env, database_url, args.message)
            print("Every revision together builds the models' schema (alembic check).")
            print("Apply it with `nox -s migrate`.")
    except (MigrationError, native.StackError) as error:
        print(f"{args.command} failed: {error}", file=sys.stderr)
        return 1
    return 0


def _seed(args: argparse.Namespace) -> int:
    api = api_base(load_env())
    try:
        created, present = seed.seed(api)
    except seed.SeedError as error:
        print(f"seed failed: {error}", file=sys.stderr)
        return 1
    print(f"Seeded {api}: {created} items created, {present} already there.")
    return 0


def _load(args: argparse.Namespace) -> int:
    from .api import api_target

    env = load_env()
    with api_target(env) as base:
        return load.run(env, base, args.scenarios, quick=args.quick)


def _bench(args: argparse.Namespace) -> int:
    from . import bench

    results = bench.bench(
        load_env(),
        vus=args.vus,
        duration_s=args.duration,
        workers=args.workers,
        opensearch=args.opensearch,
    )
    bench.print_results(results)
    print(f"Wrote {bench.report(results)}")
    return 0


def _slo(args: argparse.Namespace) -> int:
    from . import slo

    if not args.check:
        for path in slo.write():
            print(f"Wrote {path}")
        return 0
    found = slo.problems()
    for problem in found:
        print(problem, file=sys.stderr)
    return 1 if found else 0


def _tool(args: argparse.Namespace) -> int:
    program: tools.Program = tools.BY_NAME[args.program]
    path = program.find()
    if path is None:
        if tools.required():
            print(f"{program.missing()} (required when CI=true)", file=sys.stderr)
            return 1
        print(f"Skipped: {program.missing()}")
        return 0
    return subprocess.run([path, *args.arguments], check=False).returncode  # noqa: S603


def _with_api(args: argparse.Namespace) -> int:
    command = args.tool[1:] if args.tool[:1] == ["--"] else args.tool
    if not command:
        print("with-api needs a command: python -m stack with-api -- TOOL ARGS...", file=sys.stderr)
        return 2
    from .api import api_target

    env = load_env()
    with api_target(env) as base:
        argv = [arg.replace("{api}", base) for arg in command]
        return subprocess.run(argv, env={**env, "API_BASE": base}, check=False).returncode  # noqa: S603


if __name__ == "__main__":
    sys.exit(main())
