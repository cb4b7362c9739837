"""Compose and native mode run the same services on the same ports and variables: checked here
against the one definition in stack/services.py, so the two cannot drift apart."""

import re
from pathlib import Path
from typing import Any

import pytest
import yaml
from stack.compose import COMPLETED, unawaited_one_shots
from stack.native import StackError, database, native_prometheus_config
from stack.services import ALERTMANAGER, BACKEND, PROJECT_ROOT, PROMETHEUS, SERVICES, Service

COMPOSE = yaml.safe_load((PROJECT_ROOT / "compose" / "compose.yaml").read_text())
ENV_EXAMPLE = dict(
    line.split("=", 1)
    for line in (PROJECT_ROOT / ".env.example").read_text().splitlines()
    if line and not line.startswith("#")
)


def compose_service(service: Service) -> dict[str, Any]:
    definition: dict[str, Any] = COMPOSE["services"][service.name]
    return definition


@pytest.mark.parametrize("service", SERVICES, ids=lambda service: service.name)
def test_compose_publishes_the_same_port_variable_and_default(service: Service) -> None:
    [published] = compose_service(service)["ports"]
    match = re.fullmatch(r"127\.0\.0\.1:\$\{(\w+):-(\d+)\}:(\d+)", published)

    assert match, f"{service.name} publishes {published!r}: expected 127.0.0.1:${{VAR:-port}}:port"
    assert match[1] == service.port_variable
    assert int(match[2]) == service.default_port
    assert ENV_EXAMPLE[service.port_variable] == str(service.default_port)


@pytest.mark.parametrize("service", SERVICES, ids=lambda service: service.name)
def test_compose_checks_the_same_health_endpoint(service: Service) -> None:
    check = " ".join(compose_service(service)["healthcheck"]["test"])

    assert service.health_path in check


def test_native_prometheus_scrapes_the_compose_jobs_on_loopback() -> None:
    env = {"API_PORT": "18000", "PROMETHEUS_PORT": "19090"}

    config = native_prometheus_config(env, [BACKEND, PROMETHEUS])

    targets = {
        job["job_name"]: job["static_configs"][0]["targets"] for job in config["scrape_configs"]
    }
    assert targets == {"prometheus": ["127.0.0.1:19090"], "backend": ["127.0.0.1:18000"]}
    compose_config = yaml.safe_load(
        (PROJECT_ROOT / "compose/prometheus/prometheus.yml").read_text()
    )
    assert config["global"] == compose_config["global"]
    assert config["alerting"] == {"alertmanagers": []}  # no Alertmanager runs natively


def test_native_prometheus_alerts_the_native_alertmanager() -> None:
    env = {"ALERTMANAGER_PORT": "19093"}

    config = native_prometheus_config(env, [BACKEND, ALERTMANAGER, PROMETHEUS])

    [manager] = config["alerting"]["alertmanagers"]
    assert manager["static_configs"] == [{"targets": ["127.0.0.1:19093"]}]
    jobs = {job["job_name"]: job["static_configs"] for job in config["scrape_configs"]}
    assert jobs["alertmanager"] == [{"targets": ["127.0.0.1:19093"]}]


def test_a_database_url_of_another_kind_is_refused_before_anything_starts() -> None:
    with pytest.raises(StackError, match="DATABASE_URL must start with one of"):
        database({"DATABASE_URL": "mysql://app@db/items"})


def test_up_waits_for_every_one_shot_service_to_complete() -> None:
    assert unawaited_one_shots() == []


def test_a_one_shot_nothing_waits_for_is_found(tmp_path: Path) -> None:
    compose_file = tmp_path / "compose.yaml"
    services: dict[str, Any] = {
        "api": {"restart": "unless-stopped", "depends_on": {"migrate": {"condition": COMPLETED}}},
        "migrate": {"restart": "no"},  # waited for: fine
        "report": {"restart": "on-failure"},  # exits 0 and stays exited: a one-shot
        "index": {"restart": "no"},  # only started before `api`: not waited for
        "checked": {"healthcheck": {"test": ["CMD", "true"]}},  # --wait waits for healthy
        "unchecked": {"healthcheck": {"test": ["NONE"]}},  # a disabled check is none
        "loader": {"profiles": ["k6"]},  # `up` does not start it
    }
    services["api"]["depends_on"]["index"] = {"condition": "service_started"}
    compose_file.write_text(
        yaml.safe_dump({"services": services}, sort_keys=False), encoding="utf-8"
    )

    problems = unawaited_one_shots((compose_file,))

    assert [problem.split(":")[0] for problem in problems] == ["report", "index", "unchecked"]
    assert f"depends_on: {{report: {{condition: {COMPLETED}}}}}" in problems[0]


def test_the_override_file_counts_too(tmp_path: Path) -> None:
    base, override = tmp_path / "compose.yaml", tmp_path / "compose.override.yaml"
    base.write_text(yaml.safe_dump({"services": {"seed": {"restart": "no"}}}), encoding="utf-8")
    waiter = {"depends_on": {"seed": {"condition": COMPLETED}}, "restart": "always"}
    override.write_text(yaml.safe_dump({"services": {"ui": waiter}}), encoding="utf-8")

    assert unawaited_one_shots((base,)) != []
    assert unawaited_one_shots((base, override)) == []
