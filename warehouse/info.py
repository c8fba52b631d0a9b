"""What the warehouse holds: tables, rows, date ranges, freshness, `as_of` and FOCUS versions."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path

import sqlglot.expressions as exp

from warehouse.contract import TABLES
from warehouse.executor import Executor
from warehouse.focus import METADATA_KEY as FOCUS_METADATA_KEY
from warehouse.focus import VERSIONS as FOCUS_VERSIONS
from warehouse.focus import infer_version, is_version_column

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
    focus_versions: tuple[str, ...] = ()  # of the billing data, oldest first (`focus_versions`)

    def to_json(self) -> dict:
        return {
            "home": self.home,
            "as_of": self.as_of.isoformat() if self.as_of else None,
            "as_of_source": self.as_of_source,
            "last_load": self.last_load.isoformat() if self.last_load else None,
            "loads": self.loads,
            "focus_versions": list(self.focus_versions),
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
        focus_versions=focus_versions(executor),
    )


def focus_versions(executor: Executor) -> tuple[str, ...]:
    """The FOCUS versions of the billing data, oldest first; each lake file counts once.

    1. A file whose export stated its version in a column (`FocusVersion`, kept as
       `x_FocusVersion`; `warehouse.focus.is_version_column`): that column's values.
    2. Other files loaded by this version of ingest: the version inferred at ingest
       from the FOCUS columns the source had (the earliest of 1.0, 1.1 and 1.2 that
       defines them all, `warehouse.focus.infer_version`), kept in the Parquet footer.
    3. Files written before ingest kept it: the same inference over the FOCUS columns,
       `x_`-prefixed ones included, that hold at least one value, read from the footers.
    """
    columns = executor.schema().get("billing", {})  # connects, which reads the manifest
    files = executor.manifest.files.get("billing", ()) if executor.manifest else ()
    if not files:
        return ()
    versions: set[str] = set()
    for column in columns:
        if is_version_column(column):
            quoted = exp.column(column, quoted=True)
            rows = executor.query(
                exp.select(quoted).distinct().from_("billing").where(exp.Not(this=exp.Is(this=quoted, expression=exp.null()))).sql("duckdb")
            ).rows
            versions.update(str(row[0]).strip() for row in rows)
    paths = exp.Array(expressions=[exp.Literal.string(str(path)) for path in files])
    version = exp.Anonymous(this="decode", expressions=[exp.column("value")])
    recorded = executor.query(  # one row per version: (version, its files)
        exp.select(version, exp.func("list", exp.column("file_name")))
        .from_(exp.Table(this=exp.Anonymous(this="parquet_kv_metadata", expressions=[paths])))
        .where(exp.EQ(this=exp.Anonymous(this="decode", expressions=[exp.column("key")]), expression=exp.Literal.string(FOCUS_METADATA_KEY)))
        .group_by(version)
        .sql("duckdb")
    ).rows
    versions.update(row[0] for row in recorded)
    known = {name for _, names in recorded for name in names}
    older = [path for path in files if str(path) not in known]
    if older:
        versions.update(_versions_from_footers(executor, older))
    return tuple(sorted(versions, key=lambda v: (FOCUS_VERSIONS.index(v) if v in FOCUS_VERSIONS else len(FOCUS_VERSIONS), v)))


def _versions_from_footers(executor: Executor, files: list[Path]) -> set[str]:
    """Per file: skipped when it has a version column, else inferred from its columns that hold a value."""
    paths = exp.Array(expressions=[exp.Literal.string(str(path)) for path in files])
    with_values = exp.GT(
        this=exp.Sum(this=exp.column("num_values")),
        expression=exp.Sum(this=exp.func("coalesce", exp.column("stats_null_count"), exp.Literal.number(0))),
    )
    per_column = (
        exp.select("file_name", "path_in_schema", exp.alias_(with_values, "has_values"))
        .from_(exp.Table(this=exp.Anonymous(this="parquet_metadata", expressions=[paths])))
        .group_by("file_name", "path_in_schema")
    )
    column = exp.column("path_in_schema")
    rows = executor.query(  # one row per file: (every column, the columns holding a value)
        exp.select(exp.func("list", column), exp.Filter(this=exp.func("list", column), expression=exp.Where(this=exp.column("has_values"))))
        .from_(per_column.subquery("c"))
        .group_by("file_name")
        .sql("duckdb")
    ).rows
    return {
        infer_version(valued or ())
        for every, valued in rows
        if not any(is_version_column(name) for name in every)
    }
