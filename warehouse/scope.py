"""Row scope: a caller that may see only part of the data (`team=cx`).

`apply_scope` replaces every reference to a scoped table, wherever it stands
(subqueries, CTEs, set operations, joins, under any alias), with a filtered
subquery of the same name, so no query can reach rows outside the scope.
A table that cannot be filtered by the scope's dimension shows no rows.

>>> Scope.parse("team=cx")
Scope(dimension='team', value='cx')
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import sqlglot
import sqlglot.expressions as exp

from warehouse.errors import UnsafeSqlError


def _col(name: str) -> exp.Column:
    return exp.column(name, quoted=True)


def _tag(key: str) -> exp.Expr:
    return exp.Bracket(this=_col("Tags"), expressions=[exp.Literal.string(key)])


# Builds a table's predicate from the scope's value (a string literal).
_Predicate = Callable[[exp.Expr], exp.Expr]


def _budget(dimension: str) -> _Predicate:
    return lambda value: exp.and_(
        exp.EQ(this=_col("scope"), expression=exp.Literal.string(dimension)),
        exp.EQ(this=_col("scope_value"), expression=value),
    )


def _equals(column: exp.Expr) -> _Predicate:
    return lambda value: exp.EQ(this=column, expression=value)


# dimension -> table -> predicate builder; a table missing here has no rows in that scope.
SCOPE_FILTERS: dict[str, dict[str, _Predicate]] = {
    "team": {
        "llm_requests": _equals(_col("team")),
        "gpu_usage": _equals(_col("team")),
        "billing": _equals(_tag("team")),
        "budgets": _budget("team"),
    },
    "feature": {
        "llm_requests": _equals(_col("feature")),
        "billing": _equals(_tag("feature")),
        "budgets": _budget("feature"),
    },
    "environment": {
        "llm_requests": _equals(_col("environment")),
        "billing": _equals(_tag("environment")),
    },
}
# Tables that hold no one's rows (public price lists) are never filtered.
UNSCOPED_TABLES = frozenset({"model_prices"})


@dataclass(frozen=True)
class Scope:
    dimension: str
    value: str

    @classmethod
    def parse(cls, text: str) -> Scope:
        dimension, sep, value = text.partition("=")
        dimension, value = dimension.strip().lower(), value.strip()
        if not sep or not value:
            raise UnsafeSqlError(f"A scope is written DIMENSION=VALUE, such as team=cx; got {text!r}.")
        if dimension not in SCOPE_FILTERS:
            raise UnsafeSqlError(
                f"Scopes can limit by {', '.join(sorted(SCOPE_FILTERS))}; not by {dimension!r}."
            )
        return cls(dimension, value)

    def predicate(self, table: str) -> exp.Expr:
        build = SCOPE_FILTERS[self.dimension].get(table)
        return build(exp.Literal.string(self.value)) if build else exp.false()

    def __str__(self) -> str:
        return f"{self.dimension}={self.value}"


def apply_scope(query: exp.Expr, scope: Scope | None, warehouse_tables: set[str]) -> exp.Expr:
    """`query` with each warehouse table reference replaced by its scoped subquery."""
    if scope is None:
        return query

    def rewrite(node: exp.Expr) -> exp.Expr:
        if not isinstance(node, exp.Table) or not isinstance(node.this, exp.Identifier):
            return node
        name = node.name.lower()
        if name not in warehouse_tables or name in UNSCOPED_TABLES:
            return node
        alias = node.args.get("alias") or exp.TableAlias(this=exp.to_identifier(node.name, quoted=True))
        inner = exp.select("*").from_(exp.to_table(name)).where(scope.predicate(name))
        return exp.Subquery(this=inner, alias=alias.copy())

    return query.transform(rewrite, copy=False)


def remove_scope(sql: str, scope: Scope) -> str | None:
    """The query as it was before `apply_scope`, or None when it cannot be recovered exactly.

    Every `(SELECT * FROM t WHERE <the scope's predicate for t>) AS a` goes back
    to `t AS a` (the alias dropped when it is the table's own name); the result
    is accepted only if scoping it again gives back the same query. This is how
    a confirmed answer asked under a scope becomes an example for everyone.

    >>> scope = Scope("team", "cx")
    >>> scoped = apply_scope(sqlglot.parse_one("SELECT count(*) FROM llm_requests"), scope, {"llm_requests"}).sql()
    >>> remove_scope(scoped, scope)
    'SELECT COUNT(*) FROM llm_requests'
    """
    try:
        scoped = sqlglot.parse_one(sql, read="duckdb")
    except sqlglot.errors.ParseError:
        return None
    tables: set[str] = set()

    def restore(node: exp.Expr) -> exp.Expr:
        if not isinstance(node, exp.Subquery) or not isinstance(node.this, exp.Select):
            return node
        inner = node.this
        source = inner.args.get("from_") or inner.args.get("from")
        table = source.this if source is not None else None
        if (
            not isinstance(table, exp.Table)
            or len(inner.expressions) != 1
            or not isinstance(inner.expressions[0], exp.Star)
            or inner.args.get("joins")
            or inner.args.get("where") is None
            or inner.args["where"].this != scope.predicate(table.name.lower())
        ):
            return node
        tables.add(table.name.lower())
        alias = node.args.get("alias")
        plain = exp.to_table(table.name)
        if alias is not None and alias.name.lower() != table.name.lower():
            plain.set("alias", alias.copy())
        return plain

    unscoped = scoped.copy().transform(restore)
    if apply_scope(unscoped.copy(), scope, tables).sql("duckdb") != scoped.sql("duckdb"):
        return None
    return unscoped.sql("duckdb")
