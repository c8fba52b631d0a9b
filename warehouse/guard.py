"""The SQL guard: only one safe, read-only, in-scope query reaches the executor.

Whoever wrote the SQL (the planner, a language model, a person, a notebook),
`validate_sql` parses it with sqlglot and, on the syntax tree, never on text:

1. accepts exactly one statement, and only a query (SELECT, WITH, set operations);
2. refuses any statement node anywhere inside it (DML, DDL, COPY, SET, PRAGMA, ...);
3. allows tables only from the warehouse (CTEs may not shadow them), no schema
   or database qualifiers, and only value-generating table functions;
4. allows functions from an allow-list (`sql_functions`);
5. resolves every column against the warehouse schema (sqlglot's `qualify`),
   naming the closest real column when one is unknown;
6. applies the caller's row scope to every warehouse table reference;
7. caps LIMIT at `max_rows + 1` (the extra row tells the executor the result
   was truncated).

>>> validate_sql("select model, sum(cost_usd) from llm_requests group by model", max_rows=100)
'SELECT model, SUM(cost_usd) FROM llm_requests GROUP BY model LIMIT 101'
"""

from __future__ import annotations

import difflib
import functools
import logging
from collections.abc import Mapping

import sqlglot
from sqlglot import exp
from sqlglot.errors import OptimizeError, ParseError, SqlglotError
from sqlglot.optimizer.qualify import qualify
from sqlglot.schema import MappingSchema

from warehouse.contract import QUERYABLE
from warehouse.errors import UnsafeSqlError
from warehouse.scope import Scope, apply_scope
from warehouse.sql_functions import ALLOWED_TABLE_FUNCTIONS, function_allowed

logging.getLogger("sqlglot").setLevel(logging.ERROR)

Schema = Mapping[str, Mapping[str, str]]

CONTRACT_SCHEMA: dict[str, dict[str, str]] = {
    table.name: {column.name: column.type for column in table.columns} for table in QUERYABLE.values()
}

# Statement kinds that never belong inside a query, wherever they appear.
_FORBIDDEN_NODES = tuple(
    getattr(exp, name)
    for name in (
        "DML", "DDL", "Insert", "Update", "Delete", "Merge", "Create", "Drop", "Alter", "TruncateTable",
        "Copy", "Command", "Set", "Pragma", "Use", "Attach", "Detach", "Transaction", "Commit",
        "Rollback", "Install", "Describe", "Summarize", "Show", "Kill", "LoadData", "Refresh",
        "Cache", "Uncache", "Export", "Analyze", "Grant", "Revoke", "Into",
    )
    if hasattr(exp, name)
)
_STATEMENT_WORDS = {
    "Insert": "INSERT", "Update": "UPDATE", "Delete": "DELETE", "Merge": "MERGE", "Create": "CREATE",
    "Drop": "DROP", "Alter": "ALTER", "Copy": "COPY", "Set": "SET", "Pragma": "PRAGMA",
    "Attach": "ATTACH", "Detach": "DETACH", "Transaction": "transaction", "Install": "INSTALL",
    "Describe": "DESCRIBE", "Summarize": "SUMMARIZE", "Show": "SHOW", "Use": "USE",
}


def validate_sql(
    sql: str,
    *,
    schema: Schema | None = None,
    max_rows: int = 10_000,
    scope: Scope | str | None = None,
) -> str:
    """The query as it may run (DuckDB SQL), or `UnsafeSqlError` saying why not."""
    schema = CONTRACT_SCHEMA if schema is None else schema
    if isinstance(scope, str):
        scope = Scope.parse(scope)
    statement = _single_query(sql)
    tables = {name.lower() for name in schema}
    _check_nodes(statement, tables)
    _check_columns(statement, schema)
    _check_star_lists(statement, schema)
    scoped = apply_scope(statement, scope, tables)
    # Scoping replaces table references inside the query (in place), never the query itself.
    assert isinstance(scoped, exp.Query)
    return _cap_limit(scoped, max_rows + 1).sql(dialect="duckdb")


def _single_query(sql: str) -> exp.Query:
    if not sql or not sql.strip():
        raise UnsafeSqlError("The SQL is empty; send one SELECT query.")
    try:
        statements = [
            s for s in sqlglot.parse(sql, read="duckdb") if s is not None and not isinstance(s, exp.Semicolon)
        ]
    except ParseError as error:
        first = error.errors[0] if error.errors else {}
        where = f" near line {first.get('line')}, column {first.get('col')}" if first.get("line") else ""
        raise UnsafeSqlError(f"The SQL could not be parsed{where}. Check the syntax and send one SELECT query.") from None
    except SqlglotError:
        raise UnsafeSqlError("The SQL could not be parsed. Check the syntax and send one SELECT query.") from None
    if len(statements) != 1:
        raise UnsafeSqlError(f"Send exactly one SQL statement; this has {len(statements)}.")
    statement = statements[0]
    if not isinstance(statement, exp.Query):
        raise UnsafeSqlError(f"Only read-only queries (SELECT) are allowed; this is {_kind(statement)}.")
    return statement


def _kind(node: exp.Expr) -> str:
    if isinstance(node, exp.Command):
        return f"a {str(node.this).upper()} command"
    word = _STATEMENT_WORDS.get(type(node).__name__)
    return f"a {word} statement" if word else "not a query"


def _check_nodes(statement: exp.Query, tables: set[str]) -> None:
    cte_names = {cte.alias_or_name.lower() for cte in statement.find_all(exp.CTE)}
    shadowing = cte_names & tables
    if shadowing:
        raise UnsafeSqlError(
            f"A CTE may not be named like the warehouse table {sorted(shadowing)[0]}; rename it."
        )
    for node in statement.walk():
        if isinstance(node, _FORBIDDEN_NODES):
            raise UnsafeSqlError(f"Only read-only queries are allowed; this one contains {_kind(node)}.")
        if isinstance(node, exp.Table):
            _check_table(node, tables, cte_names)
        elif isinstance(node, exp.Func):
            _check_function(node)
        elif isinstance(node, exp.Parameter | exp.Placeholder):
            raise UnsafeSqlError("Parameters are not allowed; write the values into the query.")


def _check_table(node: exp.Table, tables: set[str], cte_names: set[str]) -> None:
    source = node.this
    if isinstance(source, exp.Func):
        name = _function_name(source)
        if name.upper() not in ALLOWED_TABLE_FUNCTIONS:
            raise UnsafeSqlError(
                f"The table function {name.lower()}() is not allowed: queries read only the warehouse tables "
                f"({', '.join(sorted(tables))})."
            )
        return
    if not isinstance(source, exp.Identifier):
        raise UnsafeSqlError("Queries may read only the warehouse tables by name.")
    if node.args.get("catalog") or (node.args.get("db") and node.db.lower() != "main"):
        raise UnsafeSqlError(
            f"Qualified table names ({node.sql(dialect='duckdb')}) are not allowed; "
            f"use the warehouse tables by name: {', '.join(sorted(tables))}."
        )
    name = node.name.lower()
    if name in tables or (name in cte_names and not node.args.get("db")):
        return
    if source.quoted and any(ch in node.name for ch in "/\\.:'"):
        raise UnsafeSqlError("Reading files or URLs is not allowed; queries read only the warehouse tables.")
    close = difflib.get_close_matches(name, sorted(tables), n=1, cutoff=0.6)
    hint = f"; did you mean {close[0]}?" if close else f"; the tables are {', '.join(sorted(tables))}."
    raise UnsafeSqlError(f"There is no table {node.name!r} in the warehouse{hint}")


def _function_name(node: exp.Func) -> str:
    if isinstance(node, exp.Anonymous):
        return str(node.this)
    return node.sql_name()


def _check_function(node: exp.Func) -> None:
    typed = not isinstance(node, exp.Anonymous)
    name = _function_name(node)
    if not function_allowed(name, typed=typed):
        raise UnsafeSqlError(
            f"The function {name.lower()}() is not allowed in queries: it reads files or reveals the system, "
            f"or is not one the assistant knows."
        )


@functools.lru_cache(maxsize=16)
def _mapping_schema(frozen: tuple) -> MappingSchema:
    return MappingSchema({table: dict(columns) for table, columns in frozen}, dialect="duckdb")


def _check_columns(statement: exp.Query, schema: Schema) -> None:
    frozen = tuple(sorted((table, tuple(sorted(columns.items()))) for table, columns in schema.items()))
    try:
        qualify(
            statement.copy(),
            schema=_mapping_schema(frozen),
            dialect="duckdb",
            validate_qualify_columns=True,
            identify=False,
        )
    except OptimizeError as error:
        raise UnsafeSqlError(_column_message(str(error), statement, schema)) from None
    except SqlglotError as error:
        raise UnsafeSqlError(f"The query could not be checked against the warehouse: {error}.") from None


def _check_star_lists(statement: exp.Query, schema: Schema) -> None:
    """Columns named in `* EXCLUDE (...)` / `* REPLACE (...)` must exist (qualify does not check them)."""
    stars = [star for star in statement.find_all(exp.Star) if star.args.get("except_") or star.args.get("replace")]
    if not stars:
        return
    used = {t.name.lower() for t in statement.find_all(exp.Table)}
    known = {c.lower() for table, columns in schema.items() if table.lower() in used for c in columns}
    known |= {a.alias.lower() for a in statement.find_all(exp.Alias)}
    known |= {c.name.lower() for alias in statement.find_all(exp.TableAlias) for c in alias.columns}
    for star in stars:
        named = list(star.args.get("except_") or []) + [
            r.alias if isinstance(r, exp.Alias) else r for r in star.args.get("replace") or []
        ]
        for column in named:
            name = column if isinstance(column, str) else column.name
            if name.lower() not in known:
                raise UnsafeSqlError(_column_message(f"Column '{name}' could not be resolved", statement, schema))


def _column_message(message: str, statement: exp.Query, schema: Schema) -> str:
    import re

    match = re.search(r"Column '([^']+)' could not be resolved", message)
    if not match:
        return f"The query does not fit the warehouse schema: {message.splitlines()[0]}."
    column = match.group(1)
    used = {t.name.lower() for t in statement.find_all(exp.Table)} & {t.lower() for t in schema}
    candidates = {
        name: table for table, columns in schema.items() if table.lower() in used for name in columns
    }
    by_lower = {name.lower(): name for name in candidates}
    close = difflib.get_close_matches(column.lower(), list(by_lower), n=1, cutoff=0.5)
    where = f" in {', '.join(sorted(used))}" if used else ""
    if close:
        real = by_lower[close[0]]
        return f"There is no column {column!r}{where}; did you mean {real!r}?"
    return f"There is no column {column!r}{where}."


def _cap_limit(statement: exp.Query, cap: int) -> exp.Query:
    limit = statement.args.get("limit")
    current = None
    if isinstance(limit, exp.Limit) and isinstance(limit.expression, exp.Literal) and limit.expression.is_int:
        current = int(limit.expression.this)
    if current is not None and current <= cap:
        return statement
    return statement.limit(cap, copy=False)
