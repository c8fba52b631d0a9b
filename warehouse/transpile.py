"""The same guarded query for another engine that reads the lake (Spark, Trino, BigQuery, Snowflake).

>>> transpile("SELECT date_trunc('month', ts) AS m, sum(cost_usd) FROM llm_requests GROUP BY 1", "bigquery")
'SELECT TIMESTAMP_TRUNC(ts, MONTH) AS m, SUM(cost_usd) FROM llm_requests GROUP BY 1'

Known limits of the target engines, not of the rewrite: BigQuery has no MAP type
(billing `Tags[...]` needs a STRUCT or JSON column there), and Trino reads
`GROUP BY ALL` as a grouping-set quantifier, so plans group by explicit columns.
"""

from __future__ import annotations

import sqlglot
from sqlglot.errors import SqlglotError

from warehouse.errors import UnsafeSqlError

DIALECTS = ("duckdb", "spark", "databricks", "trino", "presto", "bigquery", "snowflake")


def transpile(sql: str, dialect: str, *, pretty: bool = False) -> str:
    """DuckDB SQL (as the guard returns it) rewritten for `dialect`."""
    dialect = dialect.lower()
    if dialect not in DIALECTS:
        raise UnsafeSqlError(f"Unknown SQL dialect {dialect!r}; choose one of {', '.join(DIALECTS)}.")
    try:
        [out] = sqlglot.transpile(sql, read="duckdb", write=dialect, pretty=pretty, unsupported_level=sqlglot.ErrorLevel.RAISE)
    except SqlglotError as error:
        raise UnsafeSqlError(f"This query cannot be written for {dialect}: {str(error).splitlines()[0]}.") from None
    return out
