"""Property: any query shape over the schema either is refused or stays inside its scope.

Hypothesis builds random queries (projections, aggregates, windows, filters that
try to widen the scope, joins, set operations, subqueries, CTEs, aliases named
like other tables, and now and then a forbidden function or table). Each runs
with `team=cx` on the full warehouse and without a scope on the cx-only one.
"""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.conftest import normalized
from warehouse.errors import FinopsError, QueryError, UnsafeSqlError
from warehouse.scope import Scope

TABLES = {
    "llm_requests": {"numeric": ["cost_usd", "input_tokens", "output_tokens", "latency_ms"], "text": ["team", "feature", "model", "status"]},
    "gpu_usage": {"numeric": ["cost_usd", "gpu_util_pct", "gpu_count"], "text": ["team", "node_id", "deployment"]},
    "billing": {"numeric": ["EffectiveCost", "BilledCost", "ListCost"], "text": ["ServiceName", "ProviderName", "ChargeCategory"]},
    "budgets": {"numeric": ["amount_usd"], "text": ["scope", "scope_value", "metric"]},
}
WIDENERS = ["1 = 1", "team <> 'cx'", "TRUE", "team IS NULL", "NOT (team = 'cx')", "team = 'docs-ai'"]
FORBIDDEN = [
    "(SELECT count(*) FROM read_csv('/etc/passwd'))",
    "getenv('HOME')",
    "(SELECT count(*) FROM duckdb_tables())",
    "current_setting('threads')",
    "(SELECT count(*) FROM other.llm_requests)",
]


@st.composite
def projection(draw, table):
    columns = TABLES[table]
    kind = draw(st.sampled_from(["count", "sum", "column", "window"]))
    if kind == "count":
        return "count(*) AS v", True
    if kind == "sum":
        return f"sum({draw(st.sampled_from(columns['numeric']))}) AS v", True
    if kind == "window":
        return f"sum({draw(st.sampled_from(columns['numeric']))}) OVER () AS v", False
    return f"CAST({draw(st.sampled_from(columns['text'] + columns['numeric']))} AS VARCHAR) AS v", False


@st.composite
def select(draw, depth=0):
    table = draw(st.sampled_from(sorted(TABLES)))
    alias = draw(st.sampled_from(["", " AS t", " AS gpu_usage", " AS llm_requests", " AS billing", " AS x"]))
    expression, aggregate = draw(projection(table))
    sql = f"SELECT {expression} FROM {table}{alias}"
    where = []
    if table in ("llm_requests", "gpu_usage") and draw(st.booleans()):
        where.append(draw(st.sampled_from(WIDENERS)))
    if draw(st.integers(0, 4)) == 0 and depth < 2:
        inner = draw(select(depth + 1))
        where.append(draw(st.sampled_from([f"EXISTS ({inner})", f"({inner} LIMIT 1) IS NOT NULL OR TRUE"])))
    if draw(st.integers(0, 9)) == 0:
        where.append(f"{draw(st.sampled_from(FORBIDDEN))} IS NOT NULL")
    if where:
        sql += " WHERE " + draw(st.sampled_from([" OR ", " AND "])).join(f"({w})" for w in where)
    if not aggregate and draw(st.booleans()):
        sql = f"SELECT v FROM ({sql}) AS sub"
    return sql


@st.composite
def query(draw):
    first = draw(select())
    shape = draw(st.sampled_from(["plain", "union", "cte", "join", "in"]))
    if shape == "union":
        return f"{first} {draw(st.sampled_from(['UNION ALL', 'UNION', 'EXCEPT', 'INTERSECT']))} {draw(select())}"
    if shape == "cte":
        return f"WITH c AS ({first}) SELECT * FROM c"
    if shape == "join":
        return (
            "SELECT count(*) AS n, sum(a.cost_usd) AS s FROM llm_requests a "
            f"JOIN {draw(st.sampled_from(['gpu_usage', 'llm_requests']))} b ON a.team = b.team"
        )
    if shape == "in":
        return f"SELECT count(*) AS n FROM llm_requests WHERE CAST(team AS VARCHAR) IN (SELECT v FROM ({first}) AS q)"
    return first


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(sql=query())
def test_random_query_is_refused_or_stays_in_scope(executor, team_warehouse, sql):
    try:
        scoped = executor.run_sql(sql, scope=Scope("team", "cx"))
    except (UnsafeSqlError, QueryError):
        return
    alone = team_warehouse.run_sql(sql)
    assert normalized(scoped.rows) == normalized(alone.rows), sql


def test_forbidden_elements_are_always_refused(executor):
    for element in FORBIDDEN:
        try:
            executor.run_sql(f"SELECT {element} AS x", scope=Scope("team", "cx"))
        except FinopsError as error:
            assert isinstance(error, UnsafeSqlError), element
        else:
            raise AssertionError(f"{element} ran")
