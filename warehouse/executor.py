"""The only way a question's SQL reaches DuckDB.

An in-memory DuckDB connection whose views read exactly the lake files the
ledger lists; file access is then limited to those files (`allowed_paths`), the
configuration is locked, and threads and memory are capped. A watchdog
interrupts a query after FINOPS_QUERY_TIMEOUT_S; `max_rows + 1` rows are
fetched so truncation is known. When an ingest commits, the next query sees it.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING

import duckdb

from warehouse.contract import ASSISTANT_USAGE
from warehouse.errors import QueryError, QueryMemoryError, QueryTimeoutError, WarehouseError
from warehouse.lake import Lake, Manifest, create_views, view_sql
from warehouse.settings import Settings
from warehouse.usage import usage_files, usage_version

if TYPE_CHECKING:
    from warehouse.scope import Scope


@dataclass(frozen=True)
class QueryResult:
    sql: str
    columns: tuple[str, ...]
    types: tuple[str, ...]
    rows: list[tuple]
    truncated: bool
    elapsed_ms: float


class Executor:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.lake = Lake(settings.home)
        self._lock = threading.Lock()
        self._con: duckdb.DuckDBPyConnection | None = None
        self._version: tuple[float, int] | None = None
        self._schema: dict[str, dict[str, str]] | None = None
        self.manifest: Manifest | None = None

    def close(self) -> None:
        with self._lock:
            if self._con is not None:
                self._con.close()
                self._con = None

    def __enter__(self) -> Executor:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def _connection(self) -> duckdb.DuckDBPyConnection:
        version = (self.lake.version(), usage_version(self.settings.home))
        if self._con is not None and version == self._version:
            return self._con
        if not self.lake.exists():
            raise WarehouseError(
                f"No warehouse at {self.settings.home}. Load data with `finops ingest PATH` or build the demo with `make demo`."
            )
        if self._con is not None:
            self._con.close()
        manifest = self.lake.manifest()
        tmp = self.settings.home / "tmp"
        tmp.mkdir(parents=True, exist_ok=True)
        con = duckdb.connect(
            config={
                "threads": self.settings.threads,
                "memory_limit": self.settings.memory_limit,
                "temp_directory": str(tmp),
                "autoinstall_known_extensions": False,
                "autoload_known_extensions": False,
            }
        )
        # Lake files are immutable (a load only adds new ones), so their footers can be cached.
        con.execute("SET parquet_metadata_cache = true")
        create_views(con, manifest)
        used = usage_files(self.settings.home)
        con.execute(view_sql(ASSISTANT_USAGE, used))
        files = sorted([str(path) for paths in manifest.files.values() for path in paths] + [str(p) for p in used])
        con.execute("SET allowed_paths = $1", [files])
        con.execute("SET enable_external_access = false")
        con.execute("SET lock_configuration = true")
        self._con, self._version, self.manifest, self._schema = con, version, manifest, None
        return con

    def schema(self) -> dict[str, dict[str, str]]:
        """Table -> column -> type, as the views expose them now (contract columns plus kept extras)."""
        with self._lock:
            con = self._connection()
            if self._schema is None:
                rows = con.execute(
                    "SELECT table_name, column_name, data_type FROM duckdb_columns() "
                    "WHERE NOT internal ORDER BY table_name, column_index"
                ).fetchall()
                schema: dict[str, dict[str, str]] = {}
                for table, column, type_ in rows:
                    schema.setdefault(table, {})[column] = type_
                self._schema = schema
            return self._schema

    def guard(self, sql: str, scope: Scope | None = None, max_rows: int | None = None) -> str:
        """The statement as it would run: one read-only SELECT over these tables, scoped, with its LIMIT."""
        from warehouse.guard import validate_sql

        return validate_sql(sql, schema=self.schema(), max_rows=max_rows or self.settings.max_rows, scope=scope)

    def run_sql(self, sql: str, scope: Scope | None = None, max_rows: int | None = None) -> QueryResult:
        """Guard, then run: the way every SQL that did not come from this package reaches DuckDB.

        `max_rows` is the guard's LIMIT (default FINOPS_MAX_ROWS); `QueryResult.sql` is the guarded statement.
        """
        return self.query(self.guard(sql, scope=scope, max_rows=max_rows))

    def query(self, sql: str, params: list | None = None) -> QueryResult:
        """Run one statement under the limits; raises typed errors a user can act on."""
        max_rows = self.settings.max_rows
        with self._lock:
            con = self._connection()
            timed_out = threading.Event()

            def stop() -> None:
                timed_out.set()
                con.interrupt()

            watchdog = threading.Timer(self.settings.query_timeout_s, stop)
            started = time.perf_counter()
            watchdog.start()
            try:
                result = con.execute(sql, params or [])
                description = result.description or []
                rows = result.fetchmany(max_rows + 1) if description else []
            except duckdb.InterruptException:
                raise QueryTimeoutError(
                    f"The query ran longer than {self.settings.query_timeout_s:g} s and was stopped. "
                    f"Narrow it (a shorter window, fewer groups), or raise FINOPS_QUERY_TIMEOUT_S."
                ) from None
            except duckdb.OutOfMemoryException:
                raise QueryMemoryError(
                    f"The query needed more than FINOPS_MEMORY_LIMIT ({self.settings.memory_limit}) and was stopped. "
                    f"Narrow it, or raise FINOPS_MEMORY_LIMIT."
                ) from None
            except duckdb.Error as error:
                if timed_out.is_set():
                    raise QueryTimeoutError(
                        f"The query ran longer than {self.settings.query_timeout_s:g} s and was stopped. "
                        f"Narrow it, or raise FINOPS_QUERY_TIMEOUT_S."
                    ) from None
                raise QueryError(f"The query failed: {_first_line(error)}") from None
            finally:
                watchdog.cancel()
            elapsed_ms = (time.perf_counter() - started) * 1000
        truncated = len(rows) > max_rows
        return QueryResult(
            sql=sql,
            columns=tuple(d[0] for d in description),
            types=tuple(str(d[1]) for d in description),
            rows=rows[:max_rows],
            truncated=truncated,
            elapsed_ms=elapsed_ms,
        )


def _first_line(error: Exception) -> str:
    return str(error).strip().splitlines()[0]
