"""The same questions on DuckDB and on Spark over the same lake give the same rows.

Differential: every gold SQL of the core set and the SQL the planner writes for
each of its questions run on both engines over one small demo warehouse (the
core set's dates, 20 thousand requests); the analyses (drivers, anomalies,
savings, forecast, overview) run through both executors. Rows compare as the
eval compares them, stricter: order-free unless the statement orders them,
floats within 1e-9 relative, timestamps and dates by value. A difference is
fixed in the renderer or in `warehouse.transpile`, never here.

Then the engine's own contract on Spark: the guard before every statement,
the row cap, the timeout that cancels the job group, a construct Spark cannot
say refused. One local Spark serves the whole run (`spark` in conftest).

Cost: the file took 183 s on 2 cores (691 tests, the Spark start and the small
warehouse included; 435 s while other work kept the load average near 8).
"""

from __future__ import annotations

import dataclasses
import math
import time
from datetime import date, datetime
from decimal import Decimal

import pytest
import sqlglot

from assistant.answer import AskContext
from assistant.quality.evaluation import EvalChain, load_set
from tests.conftest import make_settings
from warehouse.demo import generate_demo
from warehouse.errors import QueryTimeoutError, SettingsError, UnsafeSqlError
from warehouse.executor import Executor
from warehouse.ingest import ingest
from warehouse.settings import load_settings

AS_OF = date(2026, 11, 23)  # the core set's day (evals/sets/README.md)
CORE = load_set("core")
TURNS = {
    (f"{item.id}#{n}" if isinstance(item, EvalChain) else item.id): turn
    for item in CORE
    for n, turn in enumerate(item.turns if isinstance(item, EvalChain) else [item], start=1)
}
# Each distinct gold once, under the first case that uses it.
GOLDS = {turn.gold_sql.strip(): (case_id, turn.ordered) for case_id, turn in reversed(TURNS.items()) if turn.gold_sql}
GOLD_CASES = sorted(((case_id, sql, ordered) for sql, (case_id, ordered) in GOLDS.items()), key=lambda c: c[0])


# ---------------------------------------------------------------- comparing rows


def _cell(value):
    """A value as both engines must agree on it: numbers as floats, a date as its midnight, maps and lists as tuples."""
    if isinstance(value, bool) or value is None or isinstance(value, str):
        return value
    if isinstance(value, int | float | Decimal):
        return float(value)
    if isinstance(value, datetime):
        return value
    if isinstance(value, date):
        return datetime(value.year, value.month, value.day)
    if isinstance(value, dict):
        return tuple(sorted((k, _cell(v)) for k, v in value.items()))
    if isinstance(value, list | tuple):
        return tuple(_cell(v) for v in value)
    return value


def _same(a, b) -> bool:
    if isinstance(a, float) and isinstance(b, float):
        if math.isnan(a) or math.isnan(b):
            return math.isnan(a) and math.isnan(b)
        return math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-9)
    if isinstance(a, tuple) and isinstance(b, tuple):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b))
    return a == b


def same_rows(duck: list[tuple], spark: list[tuple], ordered: bool) -> bool:
    """Equal as lists when `ordered`, else as multisets (each row matched once), cells by `_same`."""
    left, right = [_cell(tuple(r)) for r in duck], [_cell(tuple(r)) for r in spark]
    if len(left) != len(right):
        return False
    if ordered:
        return all(_same(x, y) for x, y in zip(left, right))

    def key(row):  # floats coarsely, so near-equal rows sort alike on both sides
        return tuple((type(v).__name__, f"{v:.6g}" if isinstance(v, float) else repr(v)) for v in row)

    left.sort(key=key)
    right.sort(key=key)
    if all(_same(x, y) for x, y in zip(left, right)):
        return True
    unmatched = list(right)  # a rounding at the sort key's edge: match row by row
    for row in left:
        found = next((i for i, other in enumerate(unmatched) if _same(row, other)), None)
        if found is None:
            return False
        unmatched.pop(found)
    return True


@pytest.mark.parametrize(
    "duck, spark, ordered, equal",
    [
        ([(1, 2.0)], [(1, 2.0 * (1 + 1e-12))], True, True),
        ([(1, 2.0)], [(1, 2.0 * (1 + 1e-6))], True, False),
        ([("a", 1), ("b", 2)], [("b", 2), ("a", 1)], False, True),
        ([("a", 1), ("b", 2)], [("b", 2), ("a", 1)], True, False),
        ([(date(2026, 11, 1),)], [(datetime(2026, 11, 1),)], True, True),
        ([(Decimal("1.5"), None)], [(1.5, None)], True, True),
        ([(None,)], [(0,)], True, False),
        ([("x", 1.0), ("x", 1.0)], [("x", 1.0)], False, False),
    ],
)
def test_rows_compare_as_the_differential_test_needs(duck, spark, ordered, equal):
    assert same_rows(duck, spark, ordered) is equal


# ---------------------------------------------------------------- the small demo warehouse on both engines


@pytest.fixture(scope="module")
def both(tmp_path_factory, spark):
    """The core set's demo warehouse, small (20k requests, same days), open on DuckDB and on Spark."""
    root = tmp_path_factory.mktemp("spark-demo")
    generate_demo(root / "data", days=90, rows=20_000, seed=7, end=AS_OF)
    settings = make_settings(root / "home", threads=2, max_rows=10_000, query_timeout_s=120)
    assert not ingest([root / "data"], settings).refused
    spark_settings = settings.model_copy(update={"engine": "spark", "spark_master": spark.master})
    with Executor(settings) as duck, Executor(spark_settings) as on_spark:
        yield Both(duck, on_spark)


class Both:
    """The two executors, and each statement's rows on both, run once however many cases share it."""

    def __init__(self, duck: Executor, spark: Executor) -> None:
        self.duck, self.spark = duck, spark
        self._rows: dict[str, tuple[list, list]] = {}

    def rows(self, sql: str) -> tuple[list, list]:
        if sql not in self._rows:
            self._rows[sql] = (self.duck.query(sql).rows, self.spark.query(sql).rows)
        return self._rows[sql]


@pytest.fixture(scope="module")
def planner_sql(both) -> dict[str, str]:
    """Case id -> the guarded SQL the planner answered it with, on DuckDB (follow-ups after their turn before)."""
    from assistant.ask import ask

    written: dict[str, str] = {}
    for item in CORE:
        context = AskContext(settings=both.duck.settings, as_of=AS_OF, route="planner", executor=both.duck, channel="eval")
        turns = item.turns if isinstance(item, EvalChain) else [item]
        for n, turn in enumerate(turns, start=1):
            answer = ask(turn.question, context)
            context = context.after(answer)
            if answer.sql:
                written[f"{item.id}#{n}" if isinstance(item, EvalChain) else item.id] = answer.sql
    return written


@pytest.mark.parametrize("case_id, sql, ordered", GOLD_CASES, ids=[c[0] for c in GOLD_CASES])
def test_gold_sql_answers_the_same_on_spark(both, case_id, sql, ordered):
    duck, spark = both.rows(sql)
    assert same_rows(duck, spark, ordered), f"{case_id}: DuckDB {duck[:5]} vs Spark {spark[:5]}"


def test_the_planner_answers_most_core_questions_with_one_statement(planner_sql):
    assert len(planner_sql) > 0.8 * len(TURNS)  # the rest are analyses (savings, forecast...), compared below


@pytest.mark.parametrize("case_id", sorted(TURNS))
def test_planner_sql_answers_the_same_on_spark(both, planner_sql, case_id):
    sql = planner_sql.get(case_id)
    if sql is None:  # refused, or answered by an analysis: nothing to run
        return
    ordered = sqlglot.parse_one(sql, read="duckdb").args.get("order") is not None
    duck, spark = both.rows(sql)
    assert same_rows(duck, spark, ordered), f"{case_id}: {sql}\nDuckDB {duck[:5]}\nSpark  {spark[:5]}"


# ---------------------------------------------------------------- the analyses through both executors


def _plain(value):
    """A result object as nested builtins, floats kept for `_close`."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return _plain({f.name: getattr(value, f.name) for f in dataclasses.fields(value)})
    if isinstance(value, dict):  # how long it took is the one thing the engines may differ on
        return {k: _plain(v) for k, v in value.items() if k != "elapsed_ms"}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return _cell(value) if isinstance(value, int | float | Decimal | date) and not isinstance(value, bool) else value


def _close(a, b, path="") -> list[str]:
    """Where two results differ (floats within 1e-9 relative)."""
    if isinstance(a, dict) and isinstance(b, dict):
        if set(a) != set(b):
            return [f"{path}: keys {sorted(set(a) ^ set(b))}"]
        return [d for k in a for d in _close(a[k], b[k], f"{path}.{k}")]
    if isinstance(a, list) and isinstance(b, list):
        if len(a) != len(b):
            return [f"{path}: {len(a)} vs {len(b)} items"]
        return [d for i, (x, y) in enumerate(zip(a, b)) for d in _close(x, y, f"{path}[{i}]")]
    return [] if _same(a, b) else [f"{path}: {a!r} vs {b!r}"]


def _drivers(executor):
    from assistant.analysis.drivers import decompose
    from assistant.query.window import Window

    week = Window("last week", date(2026, 11, 16), date(2026, 11, 23), date(2026, 11, 9), date(2026, 11, 16))
    return [decompose(executor, metric, week, settings=executor.settings) for metric in ("inference_cost", "cost", "gpu_cost")]


def _anomalies(executor):
    from assistant.analysis.anomalies import find_anomalies

    return find_anomalies(executor, executor.settings, as_of=AS_OF, days=30)


def _savings(executor):
    from assistant.analysis.savings import find_savings

    return find_savings(executor, executor.settings, as_of=AS_OF)


def _forecast(executor):
    from assistant.analysis.forecast import budget_outlook, forecast_month

    return [forecast_month(executor, executor.settings, "cost", as_of=AS_OF), budget_outlook(executor, executor.settings, as_of=AS_OF)]


def _overview(executor):
    from assistant.analysis.overview import build_overview

    overview = build_overview(AskContext(settings=executor.settings, as_of=AS_OF, executor=executor))
    return [section for section in overview.sections]


@pytest.mark.parametrize("analysis", [_drivers, _anomalies, _savings, _forecast, _overview], ids=lambda f: f.__name__.strip("_"))
def test_analyses_give_the_same_results_on_spark(both, analysis):
    duck, spark = _plain(analysis(both.duck)), _plain(analysis(both.spark))
    assert duck, "the analysis found nothing to compare"
    assert _close(duck, spark) == []


# ---------------------------------------------------------------- the engine's contract on Spark


@pytest.fixture(scope="module")
def tiny_spark(warehouse_settings, spark):
    settings = warehouse_settings.model_copy(update={"engine": "spark", "spark_master": spark.master, "query_timeout_s": 60.0})
    with Executor(settings) as executor:
        yield executor


def test_spark_views_have_duckdb_names_and_types(tiny_spark, executor):
    assert tiny_spark.schema() == executor.schema()


def test_the_row_cap_is_applied_before_collecting(tiny_spark):
    capped = Executor(tiny_spark.settings.model_copy(update={"max_rows": 7}), engine=tiny_spark.engine)
    result = capped.query("SELECT request_id FROM llm_requests ORDER BY request_id")
    assert (len(result.rows), result.truncated, result.rows[0]) == (7, True, ("req-00000",))


@pytest.mark.parametrize(
    "sql, message",
    [
        ("SELECT * FROM read_parquet('/etc/passwd')", "not allowed"),
        ("SELECT * FROM parquet.`/etc/hostname`", "could not be parsed|not allowed"),
        ("SELECT model FROM llm_requests; DROP VIEW billing", "exactly one"),
        ("SELECT arg_max(model, cost_usd, 2) FROM llm_requests", "cannot be written for spark"),
    ],
    ids=["file-function", "spark-file-path", "two-statements", "does-not-transpile"],
)
def test_every_spark_statement_is_guarded_and_transpiled_strictly(tiny_spark, sql, message):
    with pytest.raises(UnsafeSqlError, match=message):
        tiny_spark.query(sql)


def test_a_timeout_cancels_the_spark_job_group(tiny_spark):
    slow = Executor(tiny_spark.settings.model_copy(update={"query_timeout_s": 2.0}), engine=tiny_spark.engine)
    started = time.monotonic()
    with pytest.raises(QueryTimeoutError, match="FINOPS_QUERY_TIMEOUT_S"):
        slow.query("SELECT sum(a.input_tokens * b.output_tokens + c.input_tokens * d.output_tokens) "
                   "FROM llm_requests a, llm_requests b, llm_requests c, llm_requests d")  # 8.1e9 rows
    assert time.monotonic() - started < 30
    assert tiny_spark.query("SELECT count(*) FROM llm_requests").rows == [(300,)]  # the session survives


@pytest.mark.parametrize(
    "environ, phrase",
    [({"FINOPS_ENGINE": "presto"}, "FINOPS_ENGINE"), ({"FINOPS_SPARK_REMOTE": "http://host:15002"}, "FINOPS_SPARK_REMOTE")],
)
def test_bad_engine_settings_name_the_setting(environ, phrase):
    with pytest.raises(SettingsError, match=phrase):
        load_settings(environ=environ, config_path=None)


@pytest.mark.parametrize("command", [["sql", "SELECT 1"], ["ask", "total cost last week"], ["eval", "--set", "core"]])
def test_an_unknown_engine_flag_is_refused_with_exit_2(monkeypatch, tmp_path, command):
    from typer.testing import CliRunner

    from ui.cli import app

    monkeypatch.setenv("FINOPS_HOME", str(tmp_path))
    result = CliRunner().invoke(app, [*command, "--engine", "oracle"])
    assert result.exit_code == 2
    assert "FINOPS_ENGINE" in result.output and "duckdb, spark" in result.output
