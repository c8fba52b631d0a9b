"""The embedded engine: an in-memory DuckDB connection over the lake's committed files.

Its views read exactly the lake files the ledger lists; file access is then
limited to those files (`allowed_paths`), the configuration is locked, and
threads and memory are capped, so even SQL that skipped the guard cannot reach
outside the lake.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import duckdb

from warehouse.contract import ASSISTANT_USAGE
from warehouse.engine import EngineFailed, EngineInterrupted, EngineOutOfMemory, Fetched
from warehouse.lake import Manifest, create_views, view_sql
from warehouse.settings import Settings


class DuckDBEngine:
    name = "duckdb"
    sandboxed = True

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._con: duckdb.DuckDBPyConnection | None = None

    def open(self, manifest: Manifest, usage: tuple[Path, ...]) -> None:
        self.close()
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
        con.execute(view_sql(ASSISTANT_USAGE, usage))
        files = sorted([str(path) for paths in manifest.files.values() for path in paths] + [str(p) for p in usage])
        con.execute("SET allowed_paths = $1", [files])
        con.execute("SET enable_external_access = false")
        con.execute("SET lock_configuration = true")
        self._con = con

    def _connection(self) -> duckdb.DuckDBPyConnection:
        assert self._con is not None, "open() first"
        return self._con

    def schema(self) -> dict[str, dict[str, str]]:
        rows = self._connection().execute(
            "SELECT table_name, column_name, data_type FROM duckdb_columns() WHERE NOT internal ORDER BY table_name, column_index"
        ).fetchall()
        schema: dict[str, dict[str, str]] = {}
        for table, column, type_ in rows:
            schema.setdefault(table, {})[column] = type_
        return schema

    def execute(self, sql: str, params: Sequence[object] | None, max_rows: int) -> Fetched:
        try:
            result = self._connection().execute(sql, list(params or []))
            description = result.description or []
            rows = result.fetchmany(max_rows + 1) if description else []
        except duckdb.InterruptException:
            raise EngineInterrupted() from None
        except duckdb.OutOfMemoryException:
            raise EngineOutOfMemory() from None
        except duckdb.Error as error:
            raise EngineFailed(str(error)) from None
        return Fetched(tuple(d[0] for d in description), tuple(str(d[1]) for d in description), rows)

    def interrupt(self) -> None:
        if self._con is not None:
            self._con.interrupt()

    def close(self) -> None:
        if self._con is not None:
            self._con.close()
            self._con = None
