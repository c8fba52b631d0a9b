"""The same guarded query for another engine that reads the lake (Spark, Trino, BigQuery, Snowflake).

>>> transpile("SELECT date_trunc('month', ts) AS m, sum(cost_usd) FROM llm_requests GROUP BY 1", "bigquery")
'SELECT TIMESTAMP_TRUNC(ts, MONTH) AS m, SUM(cost_usd) FROM llm_requests GROUP BY 1'

Before sqlglot writes Spark, the few constructs it would write in a form Spark
rejects or answers differently are put in Spark's own words (`SPARK_REWRITES`):
an exact continuous percentile is Spark's `percentile` (sqlglot writes
`PERCENTILE_CONT(x, q)`, which Spark refuses, or `PERCENTILE_APPROX`, which is
approximate). Each is checked on both engines by tests/test_spark_engine.py.

Known limits of the target engines, not of the rewrite: BigQuery has no MAP type
(billing `Tags[...]` needs a STRUCT or JSON column there), and Trino reads
`GROUP BY ALL` as a grouping-set quantifier, so plans group by explicit columns.
"""

from __future__ import annotations

import sqlglot
from sqlglot import exp
from sqlglot.errors import SqlglotError

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


# Dialect -> rewrites of the DuckDB tree applied before sqlglot writes that dialect.
SPARK_REWRITES = (_exact_percentile,)
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
