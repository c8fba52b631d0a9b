"""The assistant's own usage: what every language-model call it made cost.

Each answered question that called a model appends one small Parquet file
(one row per call) to `FINOPS_HOME/usage/`, written to a temporary name and
renamed into place, so a reader sees a whole file or none. The executor
exposes the files as the `assistant_usage` view, so "how much did the
assistant cost this month?" is an ordinary question. The folder's mtime
changes with every new file, which is how the executor knows to look again.
"""

from __future__ import annotations

import uuid
from dataclasses import asdict, dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from warehouse.contract import ASSISTANT_USAGE
from warehouse.files import write_atomically

if TYPE_CHECKING:
    from warehouse.executor import Executor

FOLDER = "usage"


@dataclass(frozen=True)
class UsageRow:
    """One model call, as the API's `usage` reported it, priced."""

    called_at: datetime
    question_id: str
    operation: str
    model: str
    input_tokens: int
    output_tokens: int
    cost_usd: float
    question: str | None = None
    channel: str | None = None


def usage_folder(home: Path) -> Path:
    return Path(home) / FOLDER


def record_usage(home: Path, rows: list[UsageRow]) -> Path | None:
    """Append `rows` as one new file; returns its path (None when there was nothing to record)."""
    if not rows:
        return None
    import pyarrow as pa  # only when there is something to write: the executor imports this module
    import pyarrow.parquet as pq

    from warehouse.demo.schema import arrow_schema

    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S")
    final = usage_folder(home) / f"assistant_usage-{stamp}-{uuid.uuid4().hex[:12]}.parquet"
    records = [asdict(row) for row in rows]
    for record in records:
        called_at = record["called_at"]
        if called_at.tzinfo is not None:  # stored as naive UTC, like every timestamp in the lake
            record["called_at"] = called_at.astimezone(UTC).replace(tzinfo=None)
    table = pa.Table.from_pylist(records, schema=arrow_schema(ASSISTANT_USAGE))
    buffer = pa.BufferOutputStream()
    pq.write_table(table, buffer)
    return write_atomically(final, buffer.getvalue().to_pybytes())


def usage_files(home: Path) -> tuple[Path, ...]:
    folder = usage_folder(home)
    return tuple(sorted(folder.glob("assistant_usage-*.parquet"))) if folder.is_dir() else ()


def usage_version(home: Path) -> int:
    """Changes whenever a usage file is added (0 when there is none)."""
    folder = usage_folder(home)
    try:
        return folder.stat().st_mtime_ns
    except FileNotFoundError:
        return 0


def month_spend(executor: Executor, today: date) -> tuple[float, int]:
    """What the assistant's model calls cost in `today`'s calendar month (UTC): dollars and calls."""
    import sqlglot.expressions as exp

    start = date(today.year, today.month, 1).isoformat()
    query = (
        exp.select("coalesce(sum(cost_usd), 0)", "count(*)")
        .from_("assistant_usage")
        .where(exp.GTE(this=exp.column("called_at"), expression=exp.cast(exp.Literal.string(start), "TIMESTAMP")))
    )
    rows = executor.run_sql(query.sql("duckdb")).rows  # through the guard, like every statement
    return float(rows[0][0]), int(rows[0][1])
