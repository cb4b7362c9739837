"""The stack's command line refuses bad arguments before anything starts, and says why."""

import pytest
from stack.__main__ import main


@pytest.mark.parametrize(
    ("arguments", "complaint"),
    [
        (["--workers", "0"], "worker counts like 2 or 1,2,4, not '0'"),
        (["--workers", "1,two"], "worker counts like 2 or 1,2,4, not '1,two'"),
        (["--rounds", "0"], "a whole number of at least 1, not '0'"),
    ],
)
def test_bench_refuses_bad_counts(
    arguments: list[str], complaint: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exit_status:
        main(["bench", *arguments])

    assert exit_status.value.code == 2
    assert complaint in capsys.readouterr().err
