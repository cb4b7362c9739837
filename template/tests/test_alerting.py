"""Alerts reach a receiver: a real Prometheus evaluates the generated rules on the API's metrics
and sends what fires to a real Alertmanager running compose/alertmanager/alertmanager.yml, whose
receivers the test points at a webhook of its own, as a user points them at theirs.

Needs Prometheus and Alertmanager (stack/tools.py says how to install each): without them these
tests are skipped, and fail when CI=true.
"""

import os
import queue
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml
from stack import slo
from stack.api import serving_api
from stack.native import native_prometheus_config
from stack.processes import free_port, running
from stack.services import ALERTMANAGER, ALERTMANAGER_CONFIG, BACKEND, PROMETHEUS, Env
from stack.tools import ALERTMANAGER as ALERTMANAGER_PROGRAM
from stack.tools import PROMETHEUS as PROMETHEUS_PROGRAM

from .programs import require
from .recorder import Request, recording_server

Notification = dict[str, Any]  # Alertmanager's webhook payload


@contextmanager
def alertmanager(webhook_url: str, workdir: Path) -> Iterator[str]:
    """The project's Alertmanager config with every receiver given the webhook; its URL."""
    [binary] = require(ALERTMANAGER_PROGRAM)
    config = yaml.safe_load(ALERTMANAGER_CONFIG.read_text(encoding="utf-8"))
    # Seconds instead of minutes before a group is sent; routes, grouping and inhibitions as
    # written in the file.
    config["route"] |= {"group_wait": "1s", "group_interval": "1s"}
    for receiver in config["receivers"]:
        receiver["webhook_configs"] = [{"url": webhook_url}]
    (workdir / "alertmanager.yml").write_text(yaml.safe_dump(config), encoding="utf-8")
    port = free_port()
    command = [
        binary, f"--config.file={workdir / 'alertmanager.yml'}",
        f"--storage.path={workdir / 'alertmanager-data'}",
        f"--web.listen-address=127.0.0.1:{port}", "--cluster.listen-address=",
    ]  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    with running(command, dict(os.environ), f"{url}/-/ready", workdir / "alertmanager.log"):
        yield url


def alerts(alertmanager_url: str, alertname: str) -> list[dict[str, Any]]:
    answer = httpx.get(
        f"{alertmanager_url}/api/v2/alerts", params={"filter": f'alertname="{alertname}"'}
    )
    answer.raise_for_status()
    found: list[dict[str, Any]] = answer.json()
    return found


def wait_for_alerts(
    alertmanager_url: str, alertname: str, severity: str, count: int = 2
) -> list[dict[str, Any]]:
    """The alerts of that name and severity once `count` of them have arrived."""
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        found = [
            alert
            for alert in alerts(alertmanager_url, alertname)
            if alert["labels"]["severity"] == severity
        ]
        if len(found) >= count:
            return found
        time.sleep(0.5)
    pytest.fail(f"Alertmanager never had {count} {severity} {alertname} alerts")


def next_notification(received: queue.Queue[Request], deadline: float) -> Notification:
    try:
        notification: Notification = received.get(
            timeout=max(deadline - time.monotonic(), 0)
        ).json()
    except queue.Empty:
        pytest.fail("no notification reached the webhook in time")
    return notification


def evaluated_each_second(rule_files: list[str], folder: Path) -> list[str]:
    """Copies of the rule files whose groups follow the global evaluation interval: the slow
    burns' group is evaluated each minute as written, which would hold the test back a minute."""
    folder.mkdir()
    copies = []
    for pattern in rule_files:
        path = Path(pattern)
        for rule_file in sorted(path.parent.glob(path.name)):
            document = yaml.safe_load(rule_file.read_text(encoding="utf-8"))
            for group in document["groups"]:
                group.pop("interval", None)
            copy = folder / rule_file.name
            copy.write_text(yaml.safe_dump(document), encoding="utf-8")
            copies.append(str(copy))
    assert copies, f"no rule file matches {rule_files}"
    return copies


def test_an_error_burst_pages_through_alertmanager(
    tmp_path: Path, api_auth: httpx.Auth | None
) -> None:
    [prometheus_binary] = require(PROMETHEUS_PROGRAM)
    # The database is down: every request that needs it fails fast with a 503.
    unreachable = f"postgresql://app@127.0.0.1:{free_port()}/app"
    api_settings = {
        "API_WORKERS": "1",
        "PROMETHEUS_MULTIPROC_DIR": str(tmp_path / "metrics"),
        "DB_POOL_TIMEOUT_S": "0.2",
        "DB_CONNECT_TIMEOUT_S": "1",
        "API_METRICS_PORT": str(free_port()),
    }
    with (
        recording_server() as (webhook_url, received),
        alertmanager(webhook_url, tmp_path) as alertmanager_url,
        serving_api(
            os.environ, unreachable, tmp_path / "api.log", health_path="/health/live",
            **api_settings,
        ) as (api, _),
    ):  # fmt: skip
        env: Env = {
            BACKEND.port_variable: str(httpx.URL(api).port),
            "API_METRICS_PORT": api_settings["API_METRICS_PORT"],
            ALERTMANAGER.port_variable: str(httpx.URL(alertmanager_url).port),
            PROMETHEUS.port_variable: str(free_port()),
        }
        # Native `up`'s own Prometheus config, scraping and evaluating every second.
        config = native_prometheus_config(env, [BACKEND, ALERTMANAGER, PROMETHEUS])
        config["global"] = {"scrape_interval": "1s", "evaluation_interval": "1s"}
        config["rule_files"] = evaluated_each_second(config["rule_files"], tmp_path / "rules")
        (tmp_path / "prometheus.yml").write_text(yaml.safe_dump(config), encoding="utf-8")
        command = [
            prometheus_binary, f"--config.file={tmp_path / 'prometheus.yml'}",
            f"--storage.tsdb.path={tmp_path / 'prometheus-data'}",
            f"--web.listen-address=127.0.0.1:{env[PROMETHEUS.port_variable]}",
            # The Watchdog fires at the first evaluation, before Prometheus has found the
            # Alertmanager: resent each second, not after the default minute.
            "--rules.alert.resend-delay=1s",
        ]  # fmt: skip
        prometheus_url = f"http://127.0.0.1:{env[PROMETHEUS.port_variable]}"
        with (
            running(command, dict(os.environ), f"{prometheus_url}/-/ready", tmp_path / "p.log"),
            httpx.Client(base_url=api, timeout=10, auth=api_auth) as http,
            ThreadPoolExecutor(8) as pool,
        ):
            deadline = time.monotonic() + 90
            # The first notification of each receiver: the watchdog's may come first (it fires
            # at the first evaluation), and is kept, not waited for again.
            first: dict[str, Notification] = {}
            while time.monotonic() < deadline and "page" not in first:
                statuses = set(pool.map(lambda _: http.get("/items").status_code, range(16)))
                assert statuses == {503}
                while not received.empty():
                    notification = received.get().json()
                    first.setdefault(notification["receiver"], notification)
                time.sleep(0.5)
            while not {"page", "watchdog"} <= first.keys():
                notification = next_notification(received, deadline)
                first.setdefault(notification["receiver"], notification)
            page, watchdog = first["page"], first["watchdog"]
            # The slow burns fired too, and wait behind the fast ones of the same budget.
            slow_burns = wait_for_alerts(alertmanager_url, "ErrorBudgetBurn", "warning")

    assert page["receiver"] == "page"
    assert page["status"] == "firing"
    # The always-firing alert reaches a receiver of its own (a dead man's switch in production).
    assert [alert["labels"]["alertname"] for alert in watchdog["alerts"]] == ["Watchdog"]
    # Grouped by alert and severity: the fast burns of every window in one notification.
    assert page["groupLabels"] == {"alertname": "ErrorBudgetBurn", "severity": "critical"}
    for alert in page["alerts"]:
        assert alert["labels"]["window"] in {"1h", "6h"}
        assert alert["annotations"]["runbook_url"] == f"{slo.RUNBOOKS}#errorbudgetburn"
    assert {alert["labels"]["window"] for alert in slow_burns} == {"1d", "3d"}
    for alert in slow_burns:
        assert alert["status"]["state"] == "suppressed"
        assert alert["status"]["inhibitedBy"]


def test_api_down_inhibits_the_budget_alerts_of_its_own_deployment_only(tmp_path: Path) -> None:
    prod, staging = (
        {"job": "backend", "namespace": "prod"},
        {"job": "backend", "namespace": "staging"},
    )
    sent = [
        {"alertname": "ApiDown", "severity": "critical", **prod},
        {"alertname": "LatencyBudgetBurn", "severity": "critical", "window": "1h",
         "operation": "get", "quantile": "0.95", **prod},
        {"alertname": "ErrorBudgetBurn", "severity": "critical", "window": "1h", **prod},
        {"alertname": "ErrorBudgetBurn", "severity": "critical", "window": "1h", **staging},
    ]  # fmt: skip
    with (
        recording_server() as (webhook_url, received),
        alertmanager(webhook_url, tmp_path) as alertmanager_url,
    ):
        posted = httpx.post(
            f"{alertmanager_url}/api/v2/alerts", json=[{"labels": labels} for labels in sent]
        )
        posted.raise_for_status()
        first = next_notification(received, time.monotonic() + 30)
        states = {
            (name, alert["labels"]["namespace"]): alert["status"]
            for name in ("ApiDown", "LatencyBudgetBurn", "ErrorBudgetBurn")
            for alert in alerts(alertmanager_url, name)
        }

    assert first["receiver"] == "page"
    assert {alert["labels"]["alertname"] for alert in first["alerts"]} <= {
        "ApiDown",
        "ErrorBudgetBurn",
    }
    assert states["ApiDown", "prod"]["state"] == "active"
    for muted in ("LatencyBudgetBurn", "ErrorBudgetBurn"):
        assert states[muted, "prod"]["state"] == "suppressed", muted
        assert states[muted, "prod"]["inhibitedBy"], muted
    # Another deployment's burn is its own news: prod's outage does not mute it.
    assert states["ErrorBudgetBurn", "staging"]["state"] == "active"
