"""Whether alerts reach anyone: the receivers of compose/alertmanager/alertmanager.yml that someone
is reached through (`page`, `ticket`) deliver nowhere until they are given an integration.

`up` says so while they are empty, and `slo --check` fails on it in CI (CI=true) unless told
they may be empty (`--receivers-optional`, which the rendered lint hook passes until a team
fills them in).
"""

from pathlib import Path

import yaml

from .services import ALERTMANAGER_CONFIG, PROJECT_ROOT

# The receivers the routes send pages and tickets to; `watchdog` is the always-firing alert's.
REACHING_PEOPLE = ("page", "ticket")


def silent_receivers(config: Path) -> list[str]:
    """The receivers of REACHING_PEOPLE that have no integration (no non-empty *_configs)."""
    receivers = yaml.safe_load(config.read_text(encoding="utf-8"))["receivers"]
    return [
        receiver["name"]
        for receiver in receivers
        if receiver["name"] in REACHING_PEOPLE
        and not any(key.endswith("_configs") and value for key, value in receiver.items())
    ]


def silence_notice(config: Path | None = None) -> str | None:
    """What to tell a user whose alerts reach nobody (the project's Alertmanager config unless
    `config`); None when every receiver that reaches people delivers."""
    config = config or ALERTMANAGER_CONFIG
    silent = silent_receivers(config)
    if not silent:
        return None
    where = (
        config.relative_to(PROJECT_ROOT).as_posix()
        if config.is_relative_to(PROJECT_ROOT)
        else config
    )
    names = " and ".join(f"`{name}`" for name in silent)
    return (
        f"Alerts reach nobody: the {names} receiver{'s' if len(silent) > 1 else ''} in {where} "
        "deliver nowhere (Alertmanager's UI lists what they would have sent). Give them your "
        "webhook, PagerDuty or Slack settings: the file shows how."
    )
