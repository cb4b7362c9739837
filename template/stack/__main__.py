"""`python -m stack COMMAND`: what the nox sessions up, down, logs, migrate, revision, seed,
contract, load, bench and slo run (`python -m stack --help` lists the commands)."""

import argparse
import os
import subprocess
import sys
import time
from collections.abc import Sequence

from . import bench, compose, load, native, seed, slo, tools
from .environment import ensure_env_file, load_env
from .migrations import MigrationError, migrate, revise
from .services import left_out
from .target import api_base, api_target


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if args.command == "with-api":
        return _with_api(args.tool)
    if args.command == "bench":
        return _bench(args)
    if args.command == "slo":
        return _slo(check=args.check)
    if args.command == "tool":
        return _tool(tools.BY_NAME[args.program], args.arguments)
    if args.command == "load":
        env = load_env()
        with api_target(env) as base:
            return load.run(env, base, args.scenarios, quick=args.quick)
    if args.command == "seed":
        return _seed()
    if ensure_env_file():
        print("Created .env with freshly generated secrets (git-ignored; see .env.example).")
    mode = args.mode
    if mode == "auto":
        mode = "compose" if compose.engine_answers() else "native"
    if args.command in ("migrate", "revision"):
        return _schema(args, mode)
    if mode == "compose":
        return _compose(args)
    return _native(args)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m stack", description=__doc__)
    # Each command that runs the stack takes --mode after its name (`nox -s up -- --mode native`).
    with_mode = argparse.ArgumentParser(add_help=False)
    with_mode.add_argument(
        "--mode",
        choices=["auto", "compose", "native"],
        default=os.environ.get("STACK_MODE", "auto"),
        help="compose when a Docker engine answers (auto, the default), or force one (env STACK_MODE)",
    )
    commands = parser.add_subparsers(dest="command", required=True)
    up = commands.add_parser(
        "up", parents=[with_mode], help="start the stack; returns once every service is healthy"
    )
    up.add_argument(
        "--production",
        action="store_true",
        help="Compose: run the images as built, without the development override (reload, mounts)",
    )
    down = commands.add_parser("down", parents=[with_mode], help="stop everything `up` started")
    down.add_argument("--wipe", action="store_true", help="also delete the stack's data")
    logs = commands.add_parser(
        "logs", parents=[with_mode], help="show (and follow) the services' logs"
    )
    logs.add_argument("services", nargs="*", help="only these services")
    logs.add_argument("--no-follow", action="store_true", help="print and exit")
    commands.add_parser("status", parents=[with_mode], help="print each service's URL and state")
    commands.add_parser(
        "migrate", parents=[with_mode], help="upgrade the stack's database to the newest revision"
    )
    revision = commands.add_parser(
        "revision",
        parents=[with_mode],
        help="write a migration from the models' changes (against the stack's database, at"
        " head), then check that every revision builds the models' schema",
    )
    revision.add_argument(
        "-m", "--message", required=True, help='what it changes, e.g. "add projects"'
    )
    commands.add_parser(
        "seed", help="create a few dozen example items through the API at API_BASE (idempotent)"
    )
    load_parser = commands.add_parser("load", help="run k6 scenarios, gated on k6/slo.json")
    load_parser.add_argument(
        "scenarios", nargs="*", help=f"default: {' '.join(load.DEFAULT_SCENARIOS)}"
    )
    load_parser.add_argument("--quick", action="store_true", help="shorter stages (for CI)")
    bench_parser = commands.add_parser("bench", help="the API against pgbench; reports/bench.json")
    bench_parser.add_argument("--vus", type=int, default=16, help="k6 virtual users (default 16)")
    bench_parser.add_argument(
        "--duration", type=int, default=10, help="seconds per run (default 10)"
    )
    bench_parser.add_argument(
        "--workers", type=int, default=os.cpu_count() or 1, help="API workers (default: cores)"
    )
    bench_parser.add_argument(
        "--opensearch",
        metavar="URL",
        help="also measure log shipping to OpenSearch at URL, and with OpenSearch down",
    )
    slo_parser = commands.add_parser(
        "slo", help="write the alert rules and SLO dashboard generated from k6/slo.json"
    )
    slo_parser.add_argument("--check", action="store_true", help="only check they are current")
    tool_parser = commands.add_parser(
        "tool",
        help="run a system program (lint hooks do); when it is not installed, say how to install"
        " it and succeed, unless CI=true",
    )
    tool_parser.add_argument("program", choices=sorted(tools.BY_NAME))
    tool_parser.add_argument("arguments", nargs=argparse.REMAINDER, help="its arguments")
    with_api = commands.add_parser(
        "with-api",
        help="run a command against the API at API_BASE, or a private one when none answers;"
        " `{api}` in its arguments becomes the base URL",
    )
    with_api.add_argument("tool", nargs=argparse.REMAINDER, help="the command, after --")
    return parser


def _bench(args: argparse.Namespace) -> int:
    results = bench.bench(
        load_env(),
        vus=args.vus,
        duration_s=args.duration,
        workers=args.workers,
        opensearch=args.opensearch,
    )
    bench.print_table(results)
    print(f"Wrote {bench.report(results)}")
    return 0


def _seed() -> int:
    api = api_base(load_env())
    try:
        created, present = seed.seed(api)
    except seed.SeedError as error:
        print(f"seed failed: {error}", file=sys.stderr)
        return 1
    print(f"Seeded {api}: {created} items created, {present} already there.")
    return 0


def _schema(args: argparse.Namespace, mode: str) -> int:
    env = load_env()
    database_url = compose.database_url(env) if mode == "compose" else native.database(env)
    try:
        if args.command == "migrate":
            migrate(env, database_url)
            print(f"Migrated {database_url} to the newest revision.")
        else:
            revise(env, database_url, args.message)
            print("Every revision together builds the models' schema (alembic check).")
            print("Apply it with `nox -s migrate`.")
    except MigrationError as error:
        print(f"{args.command} failed: {error}", file=sys.stderr)
        return 1
    return 0


def _compose(args: argparse.Namespace) -> int:
    if args.command == "up":
        code = compose.compose(
            "up", "--detach", "--wait", "--build", development=not args.production
        )
        if code == 0:
            print(f"Database: {compose.database_url(load_env())}")
        return code or compose.compose("images")  # what runs, with the versions of its images
    if args.command == "down":
        return compose.compose("down", "--remove-orphans", *(["--volumes"] if args.wipe else []))
    if args.command == "logs":
        return compose.compose("logs", *([] if args.no_follow else ["--follow"]), *args.services)
    return compose.compose("ps")


def _native(args: argparse.Namespace) -> int:
    env = load_env()
    if args.command == "up":
        try:
            started = native.up(env)
        except native.StackError as error:
            print(f"up failed: {error}", file=sys.stderr)
            return 1
        _print_table(started.statuses)
        print(f"Database: {started.database_url}")
        versions = started.versions
        print("Versions: " + ", ".join(f"{name} {version}" for name, version in versions.items()))
        for program in left_out():
            print(f"Left out: {program.missing()}")
        return 0
    if args.command == "down":
        stopped = native.down(wipe=args.wipe)
        print(f"Stopped: {', '.join(stopped)}." if stopped else "Nothing was running.")
        if args.wipe:
            print("Deleted the stack's data.")
        return 0
    if args.command == "logs":
        return _logs(args.services, follow=not args.no_follow)
    _print_table(native.status(env))
    return 0


def _with_api(tool: list[str]) -> int:
    command = tool[1:] if tool[:1] == ["--"] else tool
    if not command:
        print("with-api needs a command: python -m stack with-api -- TOOL ARGS...", file=sys.stderr)
        return 2
    env = load_env()
    with api_target(env) as base:
        argv = [arg.replace("{api}", base) for arg in command]
        return subprocess.run(argv, env={**env, "API_BASE": base}, check=False).returncode  # noqa: S603


def _tool(program: tools.Program, arguments: list[str]) -> int:
    path = program.find()
    if path is None:
        if tools.required():
            print(f"{program.missing()} (required when CI=true)", file=sys.stderr)
            return 1
        print(f"Skipped: {program.missing()}")
        return 0
    return subprocess.run([path, *arguments], check=False).returncode  # noqa: S603


def _slo(*, check: bool) -> int:
    if check:
        found = slo.problems()
        for problem in found:
            print(problem, file=sys.stderr)
        return 1 if found else 0
    for path in slo.write():
        print(f"Wrote {path}")
    return 0


def _print_table(rows: Sequence[native.Status]) -> None:
    header = native.Status("SERVICE", "URL", "STATE")
    widths = [max(len(getattr(row, f)) for row in (header, *rows)) for f in ("service", "url")]
    for row in (header, *rows):
        print(f"{row.service:<{widths[0]}}  {row.url:<{widths[1]}}  {row.state}")


def _logs(services: Sequence[str], *, follow: bool) -> int:
    files = {
        name: path for name, path in native.log_files().items() if not services or name in services
    }
    if not files:
        print("No logs yet: run `nox -s up` first.", file=sys.stderr)
        return 1
    handles = {name: path.open(errors="replace") for name, path in files.items()}
    for name, handle in handles.items():
        for line in handle.read().splitlines()[-50:]:
            print(f"{name:<10} | {line}")
    try:
        while follow:
            for name, handle in handles.items():
                for line in handle.readlines():
                    print(f"{name:<10} | {line.rstrip()}", flush=True)
            time.sleep(0.5)
    except KeyboardInterrupt:
        pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
