"""The Parquet lake (store of record) and its DuckDB catalog.

Layout under FINOPS_HOME::

    lake/<table>/month=YYYY-MM/<load_id>_<n>.parquet   the data
    warehouse.duckdb                                    ledger + one view per table
    ingest.lock                                         one ingest at a time

A table is a view over exactly the files its committed loads list, so a file
that is not in the ledger (a load that died half-way) is never seen. Outside
tools may open `warehouse.duckdb` read-only and query the views.
"""

from __future__ import annotations

import fcntl
import json
import os
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb
import sqlglot.expressions as exp

from warehouse.contract import TABLES, TableContract
from warehouse.errors import WarehouseError
from warehouse.files import write_atomically

LEDGER_DDL = """
CREATE TABLE IF NOT EXISTS _finops_loads (
    load_id VARCHAR PRIMARY KEY,
    table_name VARCHAR NOT NULL,
    source VARCHAR NOT NULL,
    sha256 VARCHAR NOT NULL,
    bytes BIGINT NOT NULL,
    format VARCHAR NOT NULL,
    rows_read BIGINT NOT NULL,
    rows_loaded BIGINT NOT NULL,
    rows_duplicate BIGINT NOT NULL,
    rows_priced BIGINT NOT NULL,
    rows_unpriced BIGINT NOT NULL,
    loaded_at TIMESTAMP NOT NULL
);
CREATE TABLE IF NOT EXISTS _finops_files (
    load_id VARCHAR NOT NULL,
    table_name VARCHAR NOT NULL,
    path VARCHAR NOT NULL,
    month VARCHAR
);
"""


@dataclass(frozen=True)
class Manifest:
    """The committed lake files of every table, as the ledger lists them."""

    files: dict[str, tuple[Path, ...]]
    version: float

    def rows_known(self, table: str) -> bool:
        return bool(self.files.get(table))


class Lake:
    def __init__(self, home: Path) -> None:
        self.home = Path(home)
        self.root = self.home / "lake"
        self.catalog_path = self.home / "warehouse.duckdb"
        self.lock_path = self.home / "ingest.lock"
        self.staging = self.root / ".staging"

    def exists(self) -> bool:
        return self.catalog_path.is_file()

    def create(self) -> None:
        """Create the catalog (ledger and empty views) under another name, then rename it into place.

        A process killed meanwhile (`finops collect` under `kill -9`) leaves no catalog, never
        an empty file or one without the ledger, which every later load would fail on.
        """
        self.home.mkdir(parents=True, exist_ok=True)
        for stale in self.home.glob(f".{self.catalog_path.name}.*.new*"):
            stale.unlink(missing_ok=True)
        partial = self.home / f".{self.catalog_path.name}.{os.getpid()}.new"
        con = duckdb.connect(str(partial))
        try:
            con.execute(LEDGER_DDL)
            create_views(con, Manifest({}, 0.0))
            con.execute("CHECKPOINT")
        finally:
            con.close()
        os.replace(partial, self.catalog_path)

    def version(self) -> float:
        """Changes whenever a load commits (the catalog file's mtime)."""
        try:
            return self.catalog_path.stat().st_mtime_ns / 1e9
        except FileNotFoundError:
            return 0.0

    def read_cache(self, name: str) -> Any:  # the JSON value written
        """What `write_cache(name, ...)` stored for the data as it is now, or None (a load changes the version)."""
        try:
            return json.loads(self._cache_path(name).read_text())
        except (OSError, ValueError):
            return None

    def write_cache(self, name: str, data: object) -> None:
        """Keep JSON `data` for this data version, dropping what was kept for earlier versions."""
        path = self._cache_path(name)
        try:
            for stale in path.parent.glob(f"{name}-*.json"):
                stale.unlink(missing_ok=True)
            write_atomically(path, json.dumps(data).encode())  # a second process may be reading it
        except OSError:
            pass  # a cache that cannot be written is only slower

    def _cache_path(self, name: str) -> Path:
        return self.home / "cache" / f"{name}-{self.version():.6f}.json"

    @contextmanager
    def ingest_lock(self) -> Iterator[None]:
        self.home.mkdir(parents=True, exist_ok=True)
        with open(self.lock_path, "w") as handle:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                raise WarehouseError(
                    f"Another ingest is running on {self.home}; wait for it to finish and try again."
                ) from None
            try:
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)

    @contextmanager
    def catalog(self, *, write: bool = False, timeout_s: float = 10.0) -> Iterator[duckdb.DuckDBPyConnection]:
        """A short-lived connection to the catalog; retried while another process holds it."""
        if not write and not self.exists():
            raise WarehouseError(
                f"No warehouse at {self.home}. Load data with `finops ingest PATH` or build the demo with `make demo`."
            )
        self.home.mkdir(parents=True, exist_ok=True)
        deadline = time.monotonic() + timeout_s
        while True:
            try:
                con = duckdb.connect(str(self.catalog_path), read_only=not write)
                break
            except duckdb.IOException as error:
                if "lock" not in str(error).lower() or time.monotonic() > deadline:
                    raise WarehouseError(
                        f"The warehouse {self.catalog_path} is busy or unreadable ({error}). Close other programs using it and try again."
                    ) from None
                time.sleep(0.05)
        try:
            if write:
                con.execute(LEDGER_DDL)
            yield con
        finally:
            con.close()

    def manifest(self) -> Manifest:
        version = self.version()
        files: dict[str, list[Path]] = {name: [] for name in TABLES}
        if self.exists():
            with self.catalog() as con:
                has_ledger = con.execute(
                    "SELECT count(*) FROM duckdb_tables() WHERE table_name = '_finops_files'"
                ).fetchall()[0][0]
                if has_ledger:
                    rows = con.execute(
                        "SELECT table_name, path FROM _finops_files ORDER BY load_id, path"
                    ).fetchall()
                    for table, path in rows:
                        files.setdefault(table, []).append(self.root / path)
        return Manifest({name: tuple(paths) for name, paths in files.items()}, version)

    def month_files(self, table: str, months: list[str]) -> tuple[Path, ...]:
        """The committed files of `table` in these month partitions (YYYY-MM), as the ledger lists them."""
        if not months or not self.exists():
            return ()
        with self.catalog() as con:
            rows = con.execute(
                "SELECT path FROM _finops_files WHERE table_name = $1 AND list_contains($2, month) ORDER BY load_id, path",
                [table, months],
            ).fetchall()
        return tuple(self.root / path for (path,) in rows)

    def orphan_files(self, manifest: Manifest) -> list[Path]:
        """Lake files no committed load lists: left by a load that died."""
        known = {path for paths in manifest.files.values() for path in paths}
        if not self.root.exists():
            return []
        return sorted(path for path in self.root.rglob("*.parquet") if path not in known)


def view_query(table: TableContract, source: exp.Expr | None, missing: tuple[str, ...] = ()) -> exp.Select:
    """A contract view's query, for every engine: all of `source`'s columns plus typed NULLs for `missing`.

    `source` is a table expression reading the table's committed files (DuckDB's `read_parquet`,
    a Spark DataFrame's temporary view); without files the view is the contract's columns,
    typed and empty. `missing` names contract columns no file has (optional columns added after
    the files were written): every query then sees the whole contract on every engine.

    >>> view_query(TABLES["budgets"], exp.to_table("b"), ("max_cost_per_request_usd",)).sql("spark")
    'SELECT *, CAST(NULL AS DOUBLE) AS `max_cost_per_request_usd` FROM b'
    """
    if source is not None:
        nulls = [exp.alias_(exp.cast(exp.null(), table.column(name).type, dialect="duckdb"), name, quoted=True) for name in missing]
        return exp.select("*", *nulls).from_(source)
    return exp.select(
        *[exp.alias_(exp.cast(exp.null(), column.type, dialect="duckdb"), column.name, quoted=True) for column in table.columns]
    ).where(exp.false())


def missing_columns(table: TableContract, present: Iterable[str]) -> tuple[str, ...]:
    """The contract columns a table's files do not have (`present`: the columns they do)."""
    have = set(present)
    return tuple(column.name for column in table.columns if column.name not in have)


def view_sql(table: TableContract, files: tuple[Path, ...], missing: tuple[str, ...] = ()) -> str:
    """DuckDB's `CREATE OR REPLACE VIEW` over the table's files (`view_query` over `read_parquet`).

    >>> from warehouse.contract import TABLES
    >>> view_sql(TABLES["budgets"], ())[:40]
    'CREATE OR REPLACE VIEW budgets AS SELECT'
    """
    source = None
    if files:
        source = exp.Table(
            this=exp.Anonymous(
                this="read_parquet",
                expressions=[
                    exp.Array(expressions=[exp.Literal.string(str(path)) for path in files]),
                    exp.EQ(this=exp.column("union_by_name"), expression=exp.true()),
                    # The month folders are for people and other engines; the data carries its own time.
                    exp.EQ(this=exp.column("hive_partitioning"), expression=exp.false()),
                ],
            )
        )
    create = exp.Create(
        this=exp.to_table(table.name),
        kind="VIEW",
        replace=True,
        expression=view_query(table, source, missing),
    )
    return create.sql(dialect="duckdb")


def create_views(con: duckdb.DuckDBPyConnection, manifest: Manifest) -> None:
    """One view per contract table; files written before an optional column existed read it as NULL."""
    for name, table in TABLES.items():
        files = manifest.files.get(name, ())
        con.execute(view_sql(table, files))
        if files:
            present = [row[0] for row in con.execute(exp.Describe(this=exp.to_table(name)).sql(dialect="duckdb")).fetchall()]
            missing = missing_columns(table, present)
            if missing:
                con.execute(view_sql(table, files, missing))
