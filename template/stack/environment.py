"""The stack's `.env`: written from `.env.example` on first use, with fresh random secrets."""

import os
import secrets
from pathlib import Path

from dotenv import dotenv_values

from .private import write_private
from .services import PROJECT_ROOT, Env

ENV_FILE = PROJECT_ROOT / ".env"
ENV_EXAMPLE = PROJECT_ROOT / ".env.example"
# Left empty in .env.example; never a well-known default such as admin/admin.
GENERATED_SECRETS = ("POSTGRES_PASSWORD", "GRAFANA_ADMIN_PASSWORD")


def ensure_env_file(env_file: Path = ENV_FILE, example: Path = ENV_EXAMPLE) -> bool:
    """Create the git-ignored `.env` if it is missing; True when it was created."""
    if env_file.exists():
        return False
    lines = []
    for line in example.read_text(encoding="utf-8").splitlines():
        key, sep, value = line.partition("=")
        if sep and key.strip() in GENERATED_SECRETS and not value.strip():
            secret = secrets.token_urlsafe(24)
            mask_in_ci(secret)
            line = f"{key.strip()}={secret}"
        lines.append(line)
    write_private(env_file, "\n".join(lines) + "\n")
    return True


def mask_in_ci(secret: str) -> None:
    """On GitHub Actions, have the runner print `***` for `secret` in every later log line of the
    job (the stack job's `up` creates `.env`; its `migrate`, `load` and `logs` steps follow)."""
    if os.environ.get("GITHUB_ACTIONS") == "true":
        print(f"::add-mask::{secret}", flush=True)


def load_env(env_file: Path = ENV_FILE) -> Env:
    """`.env` overlaid with the process environment (real variables win, as in Compose)."""
    values = {key: value for key, value in dotenv_values(env_file).items() if value is not None}
    return {**values, **os.environ}
