"""Compose and native mode run the same services on the same ports and variables: checked here
against the one definition in stack/services.py, so the two cannot drift apart."""

import re
from typing import Any

import pytest
import yaml
from stack.compose import COMPLETED, one_shot_problems
from stack.native import StackError, database, native_prometheus_config
from stack.services import ALERTMANAGER, BACKEND, PROJECT_ROOT, PROMETHEUS, SERVICES, Service

COMPOSE = yaml.safe_load((PROJECT_ROOT / "compose" / "compose.yaml").read_text(encoding="utf-8"))
COMPOSE_PROMETHEUS = yaml.safe_load(
    (PROJECT_ROOT / "compose" / "prometheus" / "prometheus.yml").read_text(encoding="utf-8")
)
ENV_EXAMPLE = dict(
    line.split("=", 1)
    for line in (PROJECT_ROOT / ".env.example").read_text(encoding="utf-8").splitlines()
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
    env = {"API_PORT": "18000", "API_METRICS_PORT": "19464", "PROMETHEUS_PORT": "19090"}

    config = native_prometheus_config(env, [BACKEND, PROMETHEUS])

    targets = {
        job["job_name"]: job["static_configs"][0]["targets"] for job in config["scrape_configs"]
    }
    # The API's metrics port, never its own.
    assert targets == {"prometheus": ["127.0.0.1:19090"], "backend": ["127.0.0.1:19464"]}
    assert config["global"] == COMPOSE_PROMETHEUS["global"]
    assert config["alerting"] == {"alertmanagers": []}  # no Alertmanager runs natively


def test_compose_scrapes_the_api_on_the_metrics_port_its_image_serves_them_on() -> None:
    assert BACKEND.metrics_port_setting is not None
    variable, default = BACKEND.metrics_port_setting
    [backend] = [
        job for job in COMPOSE_PROMETHEUS["scrape_configs"] if job["job_name"] == "backend"
    ]
    image = (PROJECT_ROOT / "compose" / "backend.Dockerfile").read_text(encoding="utf-8")

    assert backend["static_configs"] == [{"targets": [f"backend:{default}"]}]
    assert f'"--metrics-port", "{default}"' in image
    assert ENV_EXAMPLE[variable] == str(default)
    # Only the API's port is published: the metrics stay inside Compose's network.
    assert compose_service(BACKEND)["ports"] == ["127.0.0.1:${API_PORT:-8000}:8000"]


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


def test_a_one_shot_nothing_waits_for_is_found() -> None:
    # Services as Compose models them (`config --format json`): depends_on in its long form.
    services: dict[str, dict[str, Any]] = {
        "api": {
            "restart": "unless-stopped",
            "depends_on": {
                "migrate": {"condition": COMPLETED},
                "index": {"condition": "service_started"},  # started first, not waited for
            },
        },
        "migrate": {"restart": "no"},  # waited for: fine
        "report": {"restart": "on-failure"},  # exits 0 and stays exited: a one-shot
        "index": {},  # no restart policy
        "checked": {"healthcheck": {"test": ["CMD", "true"]}},  # --wait waits for healthy
        "unchecked": {"healthcheck": {"test": ["NONE"]}},  # a disabled check is none
        "swarm": {"deploy": {"restart_policy": {"condition": "any"}}},  # restarts
        "off": {"scale": 0},  # never started
    }

    problems = one_shot_problems(services)

    assert [problem.split(":")[0] for problem in problems] == ["report", "index", "unchecked"]
    assert f"depends_on: {{report: {{condition: {COMPLETED}}}}}" in problems[0]
