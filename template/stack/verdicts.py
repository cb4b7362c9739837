"""An objective's verdict, whoever measured it (k6 in `nox -s load`, Prometheus in the SLO
gate), printed as one table."""

from dataclasses import dataclass

from .table import print_table


@dataclass(frozen=True)
class Verdict:
    operation: str
    objective: str
    measured: str
    passed: bool


def print_verdicts(rows: list[Verdict]) -> None:
    table = [
        ("OPERATION", "OBJECTIVE", "MEASURED", ""),
        *((r.operation, r.objective, r.measured, "pass" if r.passed else "FAIL") for r in rows),
    ]
    print_table(table, right_aligned={2})
