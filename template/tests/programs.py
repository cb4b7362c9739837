"""System programs some tests need: without one, the test is skipped and says how to install it;
in CI (`CI=true`) it fails instead, so a green CI run has run every test."""

from typing import NoReturn

import pytest
from stack.tools import Program, required


def require(*programs: Program) -> list[str]:
    """The paths of `programs`; skips (fails in CI) the calling test, naming each one missing."""
    paths = [program.find() for program in programs]
    missing = [program.missing() for program, path in zip(programs, paths, strict=True) if not path]
    if missing:
        do_without("; ".join(missing))
    return [path for path in paths if path]


def do_without(reason: str) -> NoReturn:
    if required():
        pytest.fail(f"{reason} (CI=true: every test must run)")
    pytest.skip(reason)
