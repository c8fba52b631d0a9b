"""Whether an answer's result table holds the gold one: cells within tolerance, columns matched by content.

Numbers agree within 0.5% (or 1e-6), dates and times as ISO text, NULL with NULL,
text exactly. Gold columns are matched to answer columns by their values, so
names, order and extra answer columns do not matter; a miss is named by why
(`WRONG_ROWS`, `MISSING_COLUMN`, `ROW_COUNT`).

>>> compare_tables(("model", "cost"), [("gpt-4o", 10.0)], ("cost", "m"), [(10.03, "gpt-4o")])
(True, '')
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from datetime import UTC, date, datetime
from decimal import Decimal

REL_TOLERANCE = 0.005
ABS_TOLERANCE = 1e-6

# Reasons a table does not match.
WRONG_ROWS = "wrong rows"
MISSING_COLUMN = "missing column"
ROW_COUNT = "row count"


def _number(value: object) -> float | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float, Decimal)):
        return float(value)
    return None


_ISO = re.compile(r"^\d{4}-\d{2}-\d{2}([ T]\d{2}:\d{2}(:\d{2}(\.\d+)?)?)?$")


def _temporal(value: object) -> str | None:
    """The ISO text of a date or time (a timestamp at midnight is its date), else None."""
    if isinstance(value, str):
        if not _ISO.match(value):
            return None
        try:
            value = datetime.fromisoformat(value)
        except ValueError:
            return None
    if isinstance(value, datetime):
        if value.tzinfo is not None:
            value = value.astimezone(UTC).replace(tzinfo=None)
        if value.hour == value.minute == value.second == value.microsecond == 0:
            return value.date().isoformat()
        return value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    return None


def cells_equal(answer: object, gold: object) -> bool:
    """One cell: numbers within 0.5% (or 1e-6), dates as ISO text, NULL = NULL, text exactly.

    >>> cells_equal(100.4, 100.0), cells_equal(100.6, 100.0), cells_equal("2026-11-16", datetime(2026, 11, 16))
    (True, False, True)
    """
    if gold is None or answer is None:
        return gold is None and answer is None
    gold_number, answer_number = _number(gold), _number(answer)
    if gold_number is not None:
        if answer_number is None:
            return False
        if math.isnan(gold_number) or math.isinf(gold_number):
            return str(gold_number) == str(answer_number)
        return abs(answer_number - gold_number) <= max(ABS_TOLERANCE, REL_TOLERANCE * abs(gold_number))
    gold_time = _temporal(gold)
    if gold_time is not None:
        return gold_time == _temporal(answer)
    if isinstance(gold, (list, tuple, dict)):
        return gold == answer
    return isinstance(answer, str) and answer == str(gold)


def _sort_key(value):
    number = _number(value)
    if value is None:
        return (0, 0.0, "")
    if number is not None:
        return (1, number, "")
    return (2, 0.0, _temporal(value) or str(value))


def _same_figures(row: tuple, other: tuple) -> bool:
    """Whether two rows have equal numbers in every numeric cell (and at least one): a tie no ORDER BY breaks."""
    pairs = [(a, b) for a, b in zip(row, other) if _number(a) is not None and _number(b) is not None]
    return bool(pairs) and all(cells_equal(a, b) for a, b in pairs)


def _rows_match(answer_rows: list[tuple], gold_rows: list[tuple], ordered: bool) -> bool:
    if len(answer_rows) != len(gold_rows):
        return False
    if ordered:  # in the gold's order, but rows it cannot order (the same figures) in any order among themselves
        start = 0
        for end in range(1, len(gold_rows) + 1):
            if end == len(gold_rows) or not _same_figures(gold_rows[end], gold_rows[end - 1]):
                if not _rows_match(answer_rows[start:end], gold_rows[start:end], ordered=False):
                    return False
                start = end
        return True
    # Sorted pairwise first (fast); close numbers may sort differently, so fall back to matching.
    key = lambda row: tuple(_sort_key(v) for v in row)  # noqa: E731
    if all(
        all(cells_equal(a, g) for a, g in zip(arow, grow))
        for arow, grow in zip(sorted(answer_rows, key=key), sorted(gold_rows, key=key))
    ):
        return True
    unused = list(answer_rows)
    for grow in gold_rows:
        for index, arow in enumerate(unused):
            if all(cells_equal(a, g) for a, g in zip(arow, grow)):
                del unused[index]
                break
        else:
            return False
    return True


def _column_fits(answer_values: list, gold_values: list) -> bool:
    """Whether a column holds the gold column's values (as a multiset: the rows' order is checked whole)."""
    return _rows_match([(v,) for v in answer_values], [(v,) for v in gold_values], ordered=False)


def _is_measure(values: list) -> bool:
    present = [v for v in values if v is not None]
    return bool(present) and all(_number(v) is not None for v in present)


def _has_counterpart(name: str, values: list, answer_columns: Sequence[str], answer_cols: list[list]) -> bool:
    """Whether the answer has this key column with wrong values (same name, or some values in common)."""
    if name.lower() in (c.lower() for c in answer_columns):
        return True
    wanted = {_temporal(v) or v for v in values if v is not None and _number(v) is None}
    return any(wanted & {_temporal(v) or v for v in col if isinstance(v, (str, date))} for col in answer_cols)


def compare_tables(
    answer_columns: Sequence[str],
    answer_rows: Sequence[Sequence],
    gold_columns: Sequence[str],
    gold_rows: Sequence[Sequence],
    ordered: bool = False,
) -> tuple[bool, str]:
    """Whether the answer's table contains the gold table; `(passed, reason)`.

    Every gold column must be matched by a distinct answer column (names and order
    free, extra answer columns allowed) so that the rows agree as a multiset, or
    row by row when `ordered`. A 1×1 gold passes when the answer has one row and
    one of its cells matches.

    >>> compare_tables(("cost",), [(1.0,), (2.0,)], ("cost",), [(1.0,)])
    (False, 'row count')
    """
    answer = [tuple(row) for row in answer_rows]
    gold = [tuple(row) for row in gold_rows]
    width = len(gold_columns)
    if not gold or (len(gold) == 1 and all(v is None for v in gold[0])):
        # No data in the window: an empty table and a single all-NULL row say the same.
        if not answer or (len(answer) == 1 and all(v is None for v in answer[0])):
            return True, ""
        if not gold:
            return False, ROW_COUNT
    if len(gold) == 1 and width == 1:
        if len(answer) != 1:
            return False, ROW_COUNT
        return (True, "") if any(cells_equal(v, gold[0][0]) for v in answer[0]) else (False, WRONG_ROWS)
    if len(answer) != len(gold):
        return False, ROW_COUNT
    n_answer = len(answer[0]) if answer else len(answer_columns)
    if n_answer < width:
        return False, MISSING_COLUMN
    gold_cols = [[row[j] for row in gold] for j in range(width)]
    answer_cols = [[row[i] for row in answer] for i in range(n_answer)]
    # Which answer columns hold each gold column's values (as a multiset first, then in order).
    candidates = [
        [i for i in range(n_answer) if _column_fits(answer_cols[i], gold_cols[j])] for j in range(width)
    ]
    for j, fits in enumerate(candidates):
        if not fits:
            present = _is_measure(gold_cols[j]) or _has_counterpart(
                gold_columns[j], gold_cols[j], answer_columns, answer_cols
            )
            return False, (WRONG_ROWS if present else MISSING_COLUMN)
    # Try the assignments (few in practice: a candidate list is usually one column long).
    order = sorted(range(width), key=lambda j: len(candidates[j]))
    chosen: dict[int, int] = {}
    tries = [0]

    def assign(position: int) -> bool:
        if position == width:
            tries[0] += 1
            projected = [tuple(row[chosen[j]] for j in range(width)) for row in answer]
            return _rows_match(projected, gold, ordered)
        if tries[0] > 5000:
            return False
        j = order[position]
        for i in candidates[j]:
            if i in chosen.values():
                continue
            chosen[j] = i
            if assign(position + 1):
                return True
            del chosen[j]
        return False

    return (True, "") if assign(0) else (False, WRONG_ROWS)
