"""The same guarded query for another engine that reads the lake (Spark, Trino, BigQuery, Snowflake).

>>> transpile("SELECT date_trunc('month', ts) AS m, sum(cost_usd) FROM llm_requests GROUP BY 1", "bigquery")
'SELECT TIMESTAMP_TRUNC(ts, MONTH) AS m, SUM(cost_usd) FROM llm_requests GROUP BY 1'

Before sqlglot writes Spark, the few constructs it would write in a form Spark
rejects or answers differently are put in Spark's own words (`SPARK_REWRITES`):
an exact continuous percentile is Spark's `percentile` (sqlglot writes
`PERCENTILE_CONT(x, q)`, which Spark refuses, or `PERCENTILE_APPROX`, which is
approximate); an ASOF join, which Spark SQL lacks (sqlglot would write it as
it is, and Spark read `ASOF` as an alias), becomes a join on the interval from
each right-hand row to the next. Each is checked on both engines by
tests/test_spark_engine.py; an ASOF join of another shape is refused.

Known limits of the target engines, not of the rewrite: BigQuery has no MAP type
(billing `Tags[...]` needs a STRUCT or JSON column there), and Trino reads
`GROUP BY ALL` as a grouping-set quantifier, so plans group by explicit columns.
"""

from __future__ import annotations

import sqlglot
from sqlglot import exp
from sqlglot.errors import SqlglotError, UnsupportedError

from warehouse.errors import UnsafeSqlError

DIALECTS = ("duckdb", "spark", "databricks", "trino", "presto", "bigquery", "snowflake")


def _exact_percentile(node: exp.Expr) -> exp.Expr:
    """`quantile_cont(x, q)` / `percentile_cont(q) WITHIN GROUP (ORDER BY x)` -> Spark's exact `percentile(x, q)`.

    >>> _exact_percentile(sqlglot.parse_one("quantile_cont(x, 0.95)", read="duckdb")).sql("spark")
    'PERCENTILE(x, 0.95)'
    """
    if isinstance(node, exp.PercentileCont) and node.expression is not None and not isinstance(node.parent, exp.WithinGroup):
        return exp.Anonymous(this="PERCENTILE", expressions=[node.this, node.expression])
    if isinstance(node, exp.WithinGroup) and isinstance(node.this, exp.PercentileCont):
        order = node.expression.expressions if isinstance(node.expression, exp.Order) else []
        if len(order) == 1 and not order[0].args.get("desc"):
            return exp.Anonymous(this="PERCENTILE", expressions=[order[0].this, node.this.this])
    return node


def _asof_join(node: exp.Expr) -> exp.Expr:
    """`A ASOF [LEFT] JOIN B ON <equalities> AND A.t >= B.s` -> a join on B's interval [s, next s of the same keys).

    >>> sql = "SELECT r.ts, p.price FROM r ASOF LEFT JOIN p ON r.m = p.m AND r.ts >= p.valid_from"
    >>> print(sqlglot.parse_one(sql, read="duckdb").transform(_asof_join).sql("spark"))
    SELECT r.ts, p.price FROM r LEFT JOIN (SELECT *, LEAD(valid_from) OVER (PARTITION BY m ORDER BY valid_from NULLS LAST) AS _asof_next FROM p) AS p ON (r.m = p.m AND r.ts >= p.valid_from) AND (p._asof_next IS NULL OR r.ts < p._asof_next)
    """
    if not isinstance(node, exp.Join) or str(node.args.get("method") or "").upper() != "ASOF":
        return node
    right, on = node.this, node.args.get("on")
    if not isinstance(right, exp.Table) or not isinstance(right.this, exp.Identifier) or on is None:
        raise UnsupportedError("an ASOF join must join a table ON conditions")
    name = right.alias_or_name

    def on_right(expression: exp.Expr) -> bool:
        columns = list(expression.find_all(exp.Column))
        return bool(columns) and all(column.table == name for column in columns)

    def unqualified(expression: exp.Expr) -> exp.Expr:
        return expression.transform(lambda n: exp.column(n.name, quoted=n.this.quoted) if isinstance(n, exp.Column) else n)

    keys: list[exp.Expr] = []
    bound: tuple[exp.Expr, exp.Column, bool] | None = None  # (left time, right time, strict)
    for condition in on.flatten() if isinstance(on, exp.And) else [on]:
        if isinstance(condition, exp.EQ) and on_right(condition.expression) != on_right(condition.this):
            keys.append(unqualified(condition.expression if on_right(condition.expression) else condition.this))
        elif isinstance(condition, exp.GTE | exp.GT) and isinstance(condition.expression, exp.Column) and on_right(condition.expression) and bound is None:
            bound = (condition.this, condition.expression, isinstance(condition, exp.GT))
        else:
            raise UnsupportedError("an ASOF join's ON must be equalities and one `left >= right` bound")
    if bound is None:
        raise UnsupportedError("an ASOF join needs a `left >= right` bound")
    left_time, right_time, strict = bound
    following = exp.Window(
        this=exp.Anonymous(this="LEAD", expressions=[unqualified(right_time)]),
        partition_by=keys or None,
        order=exp.Order(expressions=[exp.Ordered(this=unqualified(right_time))]),
    )
    source = right.copy()
    source.set("alias", None)
    ranged = exp.select("*", exp.alias_(following, "_asof_next")).from_(source).subquery(name)
    following_column = exp.column("_asof_next", table=name)
    before_next = (exp.LTE if strict else exp.LT)(this=left_time.copy(), expression=following_column.copy())
    join = node.copy()
    join.set("method", None)
    join.set("this", ranged)
    join.set("on", exp.and_(on.copy(), exp.paren(exp.or_(exp.Is(this=following_column, expression=exp.null()), before_next))))
    return join


# Dialect -> rewrites of the DuckDB tree applied before sqlglot writes that dialect.
SPARK_REWRITES = (_exact_percentile, _asof_join)
_REWRITES = {"spark": SPARK_REWRITES, "databricks": SPARK_REWRITES}


def transpile(sql: str, dialect: str, *, pretty: bool = False) -> str:
    """DuckDB SQL (as the guard returns it) rewritten for `dialect`."""
    dialect = dialect.lower()
    if dialect not in DIALECTS:
        raise UnsafeSqlError(f"Unknown SQL dialect {dialect!r}; choose one of {', '.join(DIALECTS)}.")
    try:
        tree = sqlglot.parse_one(sql, read="duckdb")
        for rewrite in _REWRITES.get(dialect, ()):
            tree = tree.transform(rewrite)
        out = tree.sql(dialect=dialect, pretty=pretty, unsupported_level=sqlglot.ErrorLevel.RAISE)
    except SqlglotError as error:
        raise UnsafeSqlError(f"This query cannot be written for {dialect}: {str(error).splitlines()[0]}.") from None
    return out
