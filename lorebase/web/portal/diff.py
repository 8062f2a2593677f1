"""Two texts side by side, line against line, as the history and conflict screens show them
(difflib's matching; the table is ours so it has headers and no inline styles)."""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from typing import Literal

Change = Literal["same", "changed", "removed", "added"]
# Lines shown around each change; the runs of unchanged lines between are folded.
CONTEXT = 3


@dataclass(frozen=True)
class DiffRow:
    change: Change
    left_number: int | None
    left: str
    right_number: int | None
    right: str


@dataclass(frozen=True)
class Fold:
    """Unchanged lines left out between two changes."""

    lines: int


def side_by_side(left: str, right: str, *, context: int = CONTEXT) -> list[DiffRow | Fold]:
    a, b = left.splitlines(), right.splitlines()
    rows: list[DiffRow | Fold] = []
    matcher = difflib.SequenceMatcher(None, a, b, autojunk=False)
    for group_index, group in enumerate(matcher.get_grouped_opcodes(context)):
        first = group[0]
        if group_index == 0 and first[1] > 0:
            rows.append(Fold(first[1]))
        elif group_index > 0:
            previous_end = rows_end_left(rows)
            if first[1] > previous_end:
                rows.append(Fold(first[1] - previous_end))
        for tag, i1, i2, j1, j2 in group:
            if tag == "equal":
                rows.extend(
                    DiffRow("same", i + 1, a[i], j + 1, b[j])
                    for i, j in zip(range(i1, i2), range(j1, j2), strict=True)
                )
            elif tag == "replace":
                for offset in range(max(i2 - i1, j2 - j1)):
                    i, j = i1 + offset, j1 + offset
                    rows.append(
                        DiffRow(
                            "changed",
                            i + 1 if i < i2 else None,
                            a[i] if i < i2 else "",
                            j + 1 if j < j2 else None,
                            b[j] if j < j2 else "",
                        )
                    )
            elif tag == "delete":
                rows.extend(DiffRow("removed", i + 1, a[i], None, "") for i in range(i1, i2))
            else:
                rows.extend(DiffRow("added", None, "", j + 1, b[j]) for j in range(j1, j2))
    last = rows_end_left(rows)
    if rows and last < len(a):
        rows.append(Fold(len(a) - last))
    return rows


def rows_end_left(rows: list[DiffRow | Fold]) -> int:
    """The last left-hand line number shown so far (0 when none)."""
    for row in reversed(rows):
        if isinstance(row, DiffRow) and row.left_number is not None:
            return row.left_number
    return 0
