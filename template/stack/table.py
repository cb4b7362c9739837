"""The one way the stack prints a table: each column as wide as its widest cell."""

from collections.abc import Collection, Sequence


def print_table(rows: Sequence[Sequence[str]], *, right_aligned: Collection[int] = ()) -> None:
    """Print `rows` (the first is usually a header); columns in `right_aligned` (numbers) are
    padded on the left."""
    widths = [max(len(row[column]) for row in rows) for column in range(len(rows[0]))]
    for row in rows:
        cells = (
            cell.rjust(width) if column in right_aligned else cell.ljust(width)
            for column, (cell, width) in enumerate(zip(row, widths, strict=True))
        )
        print("  ".join(cells).rstrip())
