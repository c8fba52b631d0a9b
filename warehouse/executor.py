"""The only way a question's SQL reaches an engine.

Shared by every engine (`warehouse.engine`): the guard and the caller's row scope
(`run_sql`), the row cap (`max_rows + 1` rows are fetched so truncation is known),
the timeout (a watchdog interrupts a statement after FINOPS_QUERY_TIMEOUT_S) and
the typed errors a person reads. The engine, DuckDB unless FINOPS_ENGINE says
`spark`, holds the contract views over exactly the lake files the ledger lists;
when an ingest commits, the next query sees it.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from warehouse.duckdb_engine import DuckDBEngine
from warehouse.engine import Engine, EngineFailed, EngineInterrupted, EngineOutOfMemory
from warehouse.errors import QueryError, QueryMemoryError, QueryTimeoutError, WarehouseError
from warehouse.lake import Lake, Manifest
from warehouse.settings import Settings
from warehouse.usage import usage_files, usage_version

if TYPE_CHECKING:
    from warehouse.scope import Scope


def make_engine(settings: Settings) -> Engine:
    """The engine FINOPS_ENGINE names; Spark is imported only when chosen (the planner's cold start never pays for it)."""
    if settings.engine == "spark":
        from warehouse.spark_engine import SparkEngine

        return SparkEngine(settings)
    return DuckDBEngine(settings)


@dataclass(frozen=True)
class QueryResult:
    sql: str
    columns: tuple[str, ...]
    types: tuple[str, ...]
    rows: list[tuple]
    truncated: bool
    elapsed_ms: float


class Executor:
    def __init__(self, settings: Settings, engine: Engine | None = None) -> None:
        self.settings = settings
        self.lake = Lake(settings.home)
        self.engine = engine if engine is not None else make_engine(settings)
        self._lock = threading.Lock()
        self._version: tuple[float, int] | None = None
        self._schema: dict[str, dict[str, str]] | None = None
        self.manifest: Manifest | None = None

    def close(self) -> None:
        with self._lock:
            self.engine.close()
            self._version = None

    def __enter__(self) -> Executor:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def _engine(self) -> Engine:
        """The engine, its views over the lake as it is now (rebuilt when a load or a usage file was added)."""
        version = (self.lake.version(), usage_version(self.settings.home))
        if self._version is not None and version == self._version:
            return self.engine
        if not self.lake.exists():
            raise WarehouseError(
                f"No warehouse at {self.settings.home}. Load data with `finops ingest PATH` or build the demo with `make demo`."
            )
        manifest = self.lake.manifest()
        try:
            self.engine.open(manifest, usage_files(self.settings.home))
        except EngineFailed as error:
            raise WarehouseError(f"The {self.engine.name} engine could not open the warehouse: {_first_line(error)}") from None
        self._version, self.manifest, self._schema = version, manifest, None
        return self.engine

    def schema(self) -> dict[str, dict[str, str]]:
        """Table -> column -> type, as the views expose them now (contract columns plus kept extras)."""
        with self._lock:
            engine = self._engine()
            if self._schema is None:
                self._schema = engine.schema()
            return self._schema

    def guard(self, sql: str, scope: Scope | None = None, max_rows: int | None = None) -> str:
        """The statement as it would run: one read-only SELECT over these tables, scoped, with its LIMIT."""
        from warehouse.guard import validate_sql

        return validate_sql(sql, schema=self.schema(), max_rows=max_rows or self.settings.max_rows, scope=scope)

    def run_sql(self, sql: str, scope: Scope | None = None, max_rows: int | None = None) -> QueryResult:
        """Guard, then run: the way every SQL that did not come from this package reaches the engine.

        `max_rows` is the guard's LIMIT (default FINOPS_MAX_ROWS); `QueryResult.sql` is the guarded statement.
        """
        return self._run(self.guard(sql, scope=scope, max_rows=max_rows))

    def query(self, sql: str, params: Sequence[object] | None = None) -> QueryResult:
        """Run one statement of this package under the limits; raises typed errors a user can act on.

        On an engine that does not confine SQL to the lake itself (Spark), the statement passes the guard first.
        """
        if not self.engine.sandboxed:
            sql = self.guard(sql)
        return self._run(sql, params)

    def _run(self, sql: str, params: Sequence[object] | None = None) -> QueryResult:
        max_rows = self.settings.max_rows
        timeout = self.settings.query_timeout_s
        with self._lock:
            engine = self._engine()
            timed_out = threading.Event()

            def stop() -> None:
                timed_out.set()
                engine.interrupt()

            watchdog = threading.Timer(timeout, stop)
            started = time.perf_counter()
            watchdog.start()
            try:
                fetched = engine.execute(sql, params, max_rows)
            except EngineInterrupted:
                raise QueryTimeoutError(
                    f"The query ran longer than {timeout:g} s and was stopped. "
                    f"Narrow it (a shorter window, fewer groups), or raise FINOPS_QUERY_TIMEOUT_S."
                ) from None
            except EngineOutOfMemory:
                raise QueryMemoryError(
                    f"The query needed more than FINOPS_MEMORY_LIMIT ({self.settings.memory_limit}) and was stopped. "
                    f"Narrow it, or raise FINOPS_MEMORY_LIMIT."
                ) from None
            except EngineFailed as error:
                if timed_out.is_set():
                    raise QueryTimeoutError(
                        f"The query ran longer than {timeout:g} s and was stopped. "
                        f"Narrow it, or raise FINOPS_QUERY_TIMEOUT_S."
                    ) from None
                raise QueryError(f"The query failed: {_first_line(error)}") from None
            finally:
                watchdog.cancel()
            elapsed_ms = (time.perf_counter() - started) * 1000
        rows = fetched.rows
        return QueryResult(
            sql=sql,
            columns=fetched.columns,
            types=fetched.types,
            rows=rows[:max_rows],
            truncated=len(rows) > max_rows,
            elapsed_ms=elapsed_ms,
        )


def _first_line(error: Exception) -> str:
    return str(error).strip().splitlines()[0]
