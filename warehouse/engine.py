"""What a query engine does for the executor, and how it says it failed.

The executor (`warehouse.executor`) owns everything a person relies on: the guard,
the row scope, the row cap, the timeout and the typed errors with their messages.
An engine only holds the contract views over the lake's committed files and runs
one statement on them: `DuckDBEngine` (embedded, the default) and `SparkEngine`
(`FINOPS_ENGINE=spark`, the same lake read by Apache Spark).

Statements reach an engine in DuckDB's dialect, as the guard writes them; an
engine for another dialect rewrites them itself (`warehouse.transpile`). Types
are named as DuckDB names them, on every engine, so the guard and the answers
read one vocabulary.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from warehouse.lake import Manifest


@dataclass(frozen=True)
class Fetched:
    """One statement's result: at most the `max_rows` + 1 rows an engine was asked for."""

    columns: tuple[str, ...]
    types: tuple[str, ...]  # DuckDB type names
    rows: list[tuple]


class EngineInterrupted(Exception):
    """The statement was stopped by `interrupt()` (the executor's watchdog)."""


class EngineOutOfMemory(Exception):
    """The statement needed more memory than the engine may use."""


class EngineFailed(Exception):
    """The statement failed; the message's first line says why, in the engine's words."""


class Engine(Protocol):
    name: str
    # True when the engine itself confines any SQL to the lake's files (DuckDB's allowed_paths and locked
    # configuration); an engine that does not gets every statement through the guard, trusted callers' too.
    sandboxed: bool

    def open(self, manifest: Manifest, usage: tuple[Path, ...]) -> None:
        """(Re)build the contract views over exactly these files; called when a load commits."""

    def schema(self) -> dict[str, dict[str, str]]:
        """Table -> column -> DuckDB type name, as the views expose them (contract columns plus kept extras)."""

    def execute(self, sql: str, params: Sequence[object] | None, max_rows: int) -> Fetched:
        """Run one DuckDB-dialect statement; return its first `max_rows` + 1 rows (or fewer)."""

    def interrupt(self) -> None:
        """Stop the statement running now, from another thread; `execute` then raises `EngineInterrupted`."""

    def close(self) -> None:
        """Release the engine's connection or session."""
