"""What the warehouse holds: tables, rows, date ranges, freshness and `as_of`."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

import sqlglot.expressions as exp

from warehouse.contract import TABLES
from warehouse.executor import Executor

# Tables whose latest day defines the default as_of (DATA-CONTRACT.md: "the latest charge day").
AS_OF_TABLES = ("billing", "llm_requests", "gpu_usage")


@dataclass(frozen=True)
class TableInfo:
    name: str
    rows: int
    first: datetime | None
    last: datetime | None
    files: int


@dataclass(frozen=True)
class WarehouseInfo:
    home: str
    tables: tuple[TableInfo, ...]
    as_of: date | None
    as_of_source: str  # "setting" or "data"
    last_load: datetime | None
    loads: int

    def to_json(self) -> dict:
        return {
            "home": self.home,
            "as_of": self.as_of.isoformat() if self.as_of else None,
            "as_of_source": self.as_of_source,
            "last_load": self.last_load.isoformat() if self.last_load else None,
            "loads": self.loads,
            "tables": [
                {
                    "name": t.name,
                    "rows": t.rows,
                    "first": t.first.isoformat() if t.first else None,
                    "last": t.last.isoformat() if t.last else None,
                    "files": t.files,
                }
                for t in self.tables
            ],
        }


def default_as_of(tables: tuple[TableInfo, ...]) -> date | None:
    """The day after the latest day with data in the fact tables."""
    last = [t.last for t in tables if t.name in AS_OF_TABLES and t.last is not None]
    return (max(last).date() + timedelta(days=1)) if last else None


def warehouse_info(executor: Executor) -> WarehouseInfo:
    tables = []
    for table in TABLES.values():
        aggregates: list[exp.Expr] = [exp.Count(this=exp.Star())]
        if table.time_column:
            column = exp.column(table.time_column, quoted=True)
            aggregates += [exp.Min(this=column), exp.Max(this=column)]
        row = executor.query(exp.select(*aggregates).from_(table.name).sql("duckdb")).rows[0]
        first, last = (row[1], row[2]) if table.time_column else (None, None)
        files = len(executor.manifest.files.get(table.name, ())) if executor.manifest else 0
        tables.append(TableInfo(table.name, row[0], first, last, files))
    with executor.lake.catalog() as cat:
        loads, last_load = cat.execute(
            "SELECT count(*), max(loaded_at) FROM _finops_loads WHERE rows_loaded >= 0"
        ).fetchall()[0]
    setting = executor.settings.as_of
    return WarehouseInfo(
        home=str(executor.settings.home),
        tables=tuple(tables),
        as_of=setting or default_as_of(tuple(tables)),
        as_of_source="setting" if setting else "data",
        last_load=last_load,
        loads=loads,
    )
