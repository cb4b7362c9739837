"""System programs some tests need: without one, the test is skipped and says how to install it;
in CI (`CI=true`) it fails instead, so a green CI run has run every test."""

from typing import NoReturn

import pytest
from stack.tools import Program, required


def require(program: Program) -> str:
    """The path of `program`; skips (fails in CI) the calling test when it is not installed."""
    path = program.find()
    if path is None:
        do_without(program.missing())
    return path


def do_without(reason: str) -> NoReturn:
    if required():
        pytest.fail(f"{reason} (CI=true: every test must run)")
    pytest.skip(reason)
