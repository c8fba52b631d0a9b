"""The SQL guard: only a single read-only query reaches the executor.

This first version checks the statement shape; the table, function and scope
rules come with the guard issue.

>>> validate_sql("select 1 as one")
'SELECT 1 AS one'
"""

from __future__ import annotations

import sqlglot
from sqlglot import exp
from sqlglot.errors import ParseError

from warehouse.errors import UnsafeSqlError


def validate_sql(sql: str) -> str:
    """The statement re-rendered for DuckDB, or UnsafeSqlError."""
    try:
        statements = [s for s in sqlglot.parse(sql, read="duckdb") if s is not None]
    except ParseError as error:
        first = error.errors[0] if error.errors else {}
        where = f" at line {first.get('line')}, column {first.get('col')}" if first else ""
        raise UnsafeSqlError(f"The SQL could not be parsed{where}. Check the syntax and try again.") from None
    if len(statements) != 1:
        raise UnsafeSqlError(f"Send exactly one SQL statement; this has {len(statements)}.")
    statement = statements[0]
    if not isinstance(statement, exp.Query):
        raise UnsafeSqlError(
            f"Only read-only queries (SELECT) are allowed; this is a {statement.key.upper()} statement."
        )
    return statement.sql(dialect="duckdb")
