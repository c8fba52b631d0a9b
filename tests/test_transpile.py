"""Planner-shaped queries written for other engines that read the same lake."""

from __future__ import annotations

import pytest
import sqlglot

from evals.bench_guard import PLANNER_SHAPES
from warehouse.errors import UnsafeSqlError
from warehouse.guard import validate_sql
from warehouse.transpile import transpile

CASES = [
    # (query, dialect, fragments the target engine needs)
    ("SELECT strftime(ts, '%Y-%m-%d') AS d FROM llm_requests", "spark", ["DATE_FORMAT(ts, 'yyyy-MM-dd')"]),
    ("SELECT strftime(ts, '%Y-%m-%d') AS d FROM llm_requests", "trino", ["DATE_FORMAT(ts, '%Y-%m-%d')"]),
    ("SELECT date_trunc('month', ts) AS m FROM llm_requests", "bigquery", ["TIMESTAMP_TRUNC(ts, MONTH)"]),
    ("SELECT date_trunc('month', ts) AS m FROM llm_requests", "snowflake", ["DATE_TRUNC('MONTH', ts)"]),
    ("SELECT sum(cost_usd) FILTER (WHERE attempt > 1) AS r FROM llm_requests", "bigquery", ["SUM(IF(attempt > 1, cost_usd, NULL))"]),
    ("SELECT sum(cost_usd) FILTER (WHERE attempt > 1) AS r FROM llm_requests", "snowflake", ["SUM(IFF(attempt > 1, cost_usd, NULL))"]),
    ("SELECT quantile_cont(latency_ms, 0.95) AS p95 FROM llm_requests", "snowflake", ["PERCENTILE_CONT(0.95) WITHIN GROUP (ORDER BY latency_ms)"]),
    ("SELECT Tags['team'] AS team FROM billing", "spark", ["Tags['team']"]),
    ("SELECT ChargePeriodStart FROM billing WHERE ChargePeriodStart >= TIMESTAMP '2026-11-16'", "spark", ["CAST('2026-11-16' AS TIMESTAMP_NTZ)"]),
]


@pytest.mark.parametrize("sql, dialect, fragments", CASES)
def test_dialect_specific_rewrites(sql, dialect, fragments):
    out = transpile(sql, dialect)
    for fragment in fragments:
        assert fragment in out


@pytest.mark.parametrize("name", sorted(PLANNER_SHAPES))
@pytest.mark.parametrize("dialect", ["spark", "trino", "snowflake", "bigquery"])
def test_guarded_planner_queries_transpile_to_valid_sql(name, dialect):
    guarded = validate_sql(PLANNER_SHAPES[name], scope="team=cx")
    out = transpile(guarded, dialect)
    reparsed = sqlglot.parse_one(out, read=dialect)
    # the scope filter and the row cap survive the rewrite
    assert "'cx'" in out and reparsed.args.get("limit") is not None
    ctes = {cte.alias.lower() for cte in reparsed.find_all(sqlglot.exp.CTE)}
    tables = {t.name.lower() for t in reparsed.find_all(sqlglot.exp.Table)} - ctes
    assert tables <= {"billing", "llm_requests", "gpu_usage", "model_prices", "budgets"}


def test_unknown_dialect_is_refused():
    with pytest.raises(UnsafeSqlError, match="Unknown SQL dialect"):
        transpile("SELECT 1", "oracle-ish")
