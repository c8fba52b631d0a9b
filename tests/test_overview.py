"""The overview page's data: every figure against hand-written SQL over the tiny warehouse (as_of 2026-10-31)."""

from __future__ import annotations

import json
from datetime import date

import pytest

import assistant.analysis.overview as overview_module
from assistant.analysis.overview import SAVINGS_QUESTION, build_overview
from assistant.analysis.reconciliation import RECONCILIATION_QUESTION
from assistant.answer import Answer, AnswerError, AskContext
from assistant.ask import ask
from tests.conftest import make_settings, normalized
from tests.tiny_data import price_rows, write_table
from warehouse.errors import QueryTimeoutError, WarehouseError
from warehouse.ingest import ingest
from warehouse.scope import Scope

AS_OF = date(2026, 10, 31)
MONTH = ("2026-10-01", "2026-10-31")  # the month so far: 30 of October's 31 days
LAST_30 = ("2026-10-01", "2026-10-31")
LAST_WEEK, WEEK_BEFORE = ("2026-10-19", "2026-10-26"), ("2026-10-12", "2026-10-19")
KEYS = ["spend", "trend", "movers", "anomalies", "savings", "reconciliation"]
CX = Scope("team", "cx")


@pytest.fixture(scope="module")
def overview(warehouse_settings, executor):
    return build_overview(AskContext(warehouse_settings, executor=executor))


@pytest.fixture(scope="module")
def cx_overview(warehouse_settings, executor):
    return build_overview(AskContext(warehouse_settings, executor=executor, scope=CX))


def one(executor, sql: str):
    return executor.query(sql).rows[0][0]


def between(column: str, window: tuple[str, str]) -> str:
    return f"{column} >= TIMESTAMP '{window[0]}' AND {column} < TIMESTAMP '{window[1]}'"


def test_every_section_is_there_answered_and_json(overview):
    assert overview.as_of == AS_OF and overview.scope is None
    assert [s.key for s in overview.sections] == KEYS
    for section in overview.sections:
        assert section.ok, (section.key, section.error)
        # Last month (September) holds no data here: the reconciliation says so in words, with no items.
        assert section.text and section.question and (section.items or section.key == "reconciliation"), section.key
    assert overview.section("reconciliation").text.startswith("No LLM spend to reconcile last month (2026-09-01 to 2026-09-30)")
    data = json.loads(json.dumps(overview.to_json()))
    assert [s["key"] for s in data["sections"]] == KEYS
    assert data["sections"][0]["figures"]["month_start"] == "2026-10-01"


def test_spend_against_budget_matches_sql(overview, executor):
    spend = overview.section("spend").figures
    so_far = one(executor, f"SELECT sum(EffectiveCost) FROM billing WHERE {between('ChargePeriodStart', MONTH)}")
    # The one day left (Saturday 31 October) is projected at the mean of the month's Saturdays so far.
    saturdays = one(executor, f"""
        SELECT avg(cost) FROM (
          SELECT date_trunc('day', ChargePeriodStart) AS day, sum(EffectiveCost) AS cost FROM billing
          WHERE {between('ChargePeriodStart', MONTH)} GROUP BY 1)
        WHERE dayofweek(day) = dayofweek(DATE '2026-10-31')""")
    budget = one(executor, "SELECT amount_usd FROM budgets WHERE metric = 'cost' AND scope = 'total' AND period = 'month'")
    assert spend["spent_so_far"] == pytest.approx(so_far)
    assert spend["projected"] == pytest.approx(so_far + saturdays)
    assert spend["low"] <= spend["projected"] <= spend["high"]
    assert spend["budget"] == pytest.approx(budget)
    assert spend["projected_vs_budget"] == pytest.approx(so_far + saturdays - budget)
    assert (spend["days_elapsed"], spend["days_in_month"]) == (30, 31)
    section = overview.section("spend")
    budgets = one(executor, "SELECT count(*) FROM budgets WHERE period = 'month'")
    assert len(section.rows) == budgets and len(section.items) == budgets + 1
    total = next(i for i in section.items if i.figures.get("scope") == "total")
    assert total.figures["over_budget"] and "over budget" in section.text


def test_trend_by_category_matches_sql(overview, executor):
    section = overview.section("trend")
    expected = dict(executor.query(f"""
        SELECT ServiceCategory, sum(EffectiveCost) FROM billing
        WHERE {between('ChargePeriodStart', LAST_30)} GROUP BY 1""").rows)
    assert {i.title: i.figures["cost"] for i in section.items} == pytest.approx(expected)
    daily = executor.query(f"""
        SELECT date_trunc('day', ChargePeriodStart), ServiceCategory, sum(EffectiveCost) FROM billing
        WHERE {between('ChargePeriodStart', LAST_30)} GROUP BY 1, 2""").rows
    assert sorted((d, c, round(v, 6)) for d, c, v in section.rows) == sorted((d, c, round(v, 6)) for d, c, v in daily)
    assert section.figures["total"] == pytest.approx(sum(expected.values()))
    chart = section.chart
    assert chart["$schema"].endswith("/v5.json") and chart["mark"]["type"] == "area"
    assert chart["encoding"]["y"]["stack"] == "zero" and chart["encoding"]["y"]["axis"]["format"].startswith("$")
    assert len(chart["data"]["values"]) == len(section.rows) == 30 * 3


def test_small_categories_are_folded_into_one(monkeypatch, warehouse_settings, executor):
    monkeypatch.setattr(overview_module, "CATEGORIES", 1)
    section = build_overview(AskContext(warehouse_settings, executor=executor)).section("trend")
    assert [i.title for i in section.items] == ["Compute", overview_module.OTHERS]
    other = one(executor, f"SELECT sum(EffectiveCost) FROM billing WHERE ServiceCategory <> 'Compute' AND {between('ChargePeriodStart', LAST_30)}")
    assert section.items[1].figures["cost"] == pytest.approx(other)
    assert section.items[1].question == overview_module.TREND_QUESTION


MOVER_SQL = {
    ("inference_cost", "feature"): ("llm_requests", "feature", "cost_usd", "ts"),
    ("inference_cost", "model"): ("llm_requests", "model", "cost_usd", "ts"),
    ("inference_cost", "team"): ("llm_requests", "team", "cost_usd", "ts"),
    ("cost", "service"): ("billing", "ServiceName", "EffectiveCost", "ChargePeriodStart"),
}


def mover_changes(executor, team: str | None = None) -> dict:
    """(metric, dimension, value) -> (before, after), last week against the week before."""
    out = {}
    for (metric, dimension), (table, column, money, time) in MOVER_SQL.items():
        where = "1 = 1" if team is None else f"team = '{team}'" if table == "llm_requests" else f"Tags['team'] = '{team}'"
        for value, before, after in executor.query(f"""
                SELECT {column}, coalesce(sum({money}) FILTER (WHERE {between(time, WEEK_BEFORE)}), 0),
                       coalesce(sum({money}) FILTER (WHERE {between(time, LAST_WEEK)}), 0)
                FROM {table} WHERE {where} GROUP BY 1""").rows:
            out[(metric, dimension, value)] = (before, after)
    return out


def test_movers_week_over_week_match_sql(overview, executor):
    section = overview.section("movers")
    expected = mover_changes(executor)
    at = {c: i for i, c in enumerate(section.columns)}
    got = {(r[at["metric"]], r[at["dimension"]], r[at["value"]]): (r[at["before"]], r[at["after"]]) for r in section.rows}
    assert got.keys() == expected.keys()
    for key, (before, after) in expected.items():
        assert got[key] == pytest.approx((before, after)), key
    changes = sorted(((a - b), k) for k, (b, a) in expected.items())
    ups = [i for i in section.items if i.figures["change_usd"] > 0]
    downs = [i for i in section.items if i.figures["change_usd"] < 0]
    assert [i.figures["change_usd"] for i in ups] == pytest.approx([c for c, _ in reversed(changes) if c > 0][:5])
    assert [i.figures["change_usd"] for i in downs] == pytest.approx([c for c, _ in changes if c < 0][:5])
    doc = next(i for i in section.items if i.figures["value"] == "document-analysis")
    before, after = expected[("inference_cost", "feature", "document-analysis")]
    assert doc.figures["change_pct"] == pytest.approx((after - before) / before * 100)
    assert doc.question == "why did inference cost for feature document-analysis change last week?"


def test_anomalies_carry_impact_root_causes_and_sql_actuals(overview, executor):
    section = overview.section("anomalies")
    assert section.window.days == 14 and section.figures["count"] == len(section.rows) > 0
    checked = 0
    for item in section.items:
        a = item.figures
        assert a["impact_usd"] is not None and a["root_causes"], item.title
        assert a["ongoing"] == (date.fromisoformat(a["end"]) >= AS_OF)
        assert date.fromisoformat(a["end"]) > AS_OF.replace(day=17)  # overlaps the last 14 days
        if a["metric"] in ("requests", "inference_cost") and a["dimension"] in ("model", "feature", "team"):
            measure = "count(*)" if a["metric"] == "requests" else "sum(cost_usd)"
            actual = one(executor, f"""SELECT {measure} FROM llm_requests
                WHERE {a['dimension']} = '{a['value']}' AND {between('ts', (a['start'], a['end']))}""")
            assert a["actual"] == pytest.approx(actual), item.title
            checked += 1
    assert checked


def test_top_savings_match_sql(overview, executor):
    section = overview.section("savings")
    by_name = {(i.figures["kind"], i.figures["value"]): i.figures["monthly_usd"] for i in section.items}
    # 30-day window, so dollars per month are the window's dollars.
    idle = one(executor, f"""SELECT sum(cost_usd * (1 - gpu_util_pct / 100)) FROM gpu_usage
        WHERE deployment IS NULL AND node_id = 'node-2' AND {between('hour', LAST_30)}""")
    waste = one(executor, f"""SELECT sum(cost_usd) FROM llm_requests
        WHERE feature = 'document-analysis' AND (attempt > 1 OR status <> 'ok') AND {between('ts', LAST_30)}""")
    assert by_name[("unallocated_gpu", "node-2")] == pytest.approx(idle, abs=0.01)
    assert by_name[("retry_waste", "document-analysis")] == pytest.approx(waste, abs=0.01)
    assert len(section.items) == 5 and all(i.figures["kind"] != "untagged_spend" for i in section.items)
    amounts = [i.figures["monthly_usd"] for i in section.items]
    assert amounts == sorted(amounts, reverse=True)
    untagged = one(executor, f"""SELECT sum(EffectiveCost) FROM billing WHERE coalesce(Tags['team'], '') = ''
        AND ChargeCategory = 'Usage' AND {between('ChargePeriodStart', LAST_30)}""")
    assert section.figures["unattributed_monthly_usd"] == pytest.approx(untagged, abs=0.01)


@pytest.mark.parametrize("which", ["overview", "cx_overview"])
def test_every_linked_question_is_answered_by_the_planner(which, request, warehouse_settings, executor):
    shown = request.getfixturevalue(which)
    questions = shown.questions()
    assert len(questions) > len(KEYS) + 5
    scope = CX if which == "cx_overview" else None
    assert RECONCILIATION_QUESTION in questions
    for question in questions:
        answer = ask(question, AskContext(warehouse_settings, as_of=shown.as_of, scope=scope, executor=executor, route="planner"))
        assert answer.route == "planner" and answer.error is None, (question, answer.error)


def test_team_scope_sees_only_that_teams_rows(overview, cx_overview, warehouse_settings, team_warehouse, executor):
    """team=cx over the full warehouse equals no scope over a warehouse of cx's rows only."""
    alone = build_overview(AskContext(warehouse_settings, as_of=AS_OF, executor=team_warehouse))
    assert cx_overview.scope == "team=cx"
    for key in KEYS:
        scoped, only = cx_overview.section(key), alone.section(key)
        assert scoped.ok and only.ok, key
        assert scoped.columns == only.columns, key
        assert normalized(scoped.rows) == normalized(only.rows), key
    spend = cx_overview.section("spend").figures
    cx_cost = one(executor, f"SELECT sum(EffectiveCost) FROM billing WHERE Tags['team'] = 'cx' AND {between('ChargePeriodStart', MONTH)}")
    assert spend["spent_so_far"] == pytest.approx(cx_cost) != pytest.approx(overview.section("spend").figures["spent_so_far"])
    assert spend["budget"] is None  # the total budget is not cx's to see; cx's own budget is listed
    assert [i.figures["scope_value"] for i in cx_overview.section("spend").items[1:]] == ["cx"]
    movers = {(r[0], r[1], r[2]): (r[3], r[4]) for r in cx_overview.section("movers").rows}
    expected = mover_changes(executor, team="cx")
    assert movers.keys() == expected.keys() and {v for _, d, v in movers if d == "team"} == {"cx"}
    for key, figures in expected.items():
        assert movers[key] == pytest.approx(figures), key
    assert {i.figures["value"] for i in cx_overview.section("savings").items} <= {"support-chat", "node-2", "cx"}


def test_a_failing_section_leaves_the_others(monkeypatch, warehouse_settings, executor, caplog):
    def broken(*args, **kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr(overview_module, "forecast_month", broken)
    shown = build_overview(AskContext(warehouse_settings, executor=executor))
    spend = shown.section("spend")
    assert spend.error.kind == "internal" and "request" in spend.error.message and "boom" not in spend.error.message
    assert "are we over budget this month?" in spend.error.message
    assert all(shown.section(k).ok for k in KEYS if k != "spend")
    assert "boom" in caplog.text
    assert json.loads(json.dumps(shown.to_json()))["sections"][0]["error"]["kind"] == "internal"


def test_a_section_shows_the_users_message(monkeypatch, warehouse_settings, executor):
    def slow(*args, **kwargs):
        raise QueryTimeoutError("The query ran past FINOPS_QUERY_TIMEOUT_S (5 s).")

    real_ask = overview_module.ask

    def refusing(question, context):
        if question == SAVINGS_QUESTION:
            return Answer(question, "none", error=AnswerError("memory", "Out of memory: raise FINOPS_MEMORY_LIMIT."))
        return real_ask(question, context)

    monkeypatch.setattr(overview_module, "budget_outlook", slow)
    monkeypatch.setattr(overview_module, "ask", refusing)
    shown = build_overview(AskContext(warehouse_settings, executor=executor))
    assert shown.section("spend").error == AnswerError("timeout", "The query ran past FINOPS_QUERY_TIMEOUT_S (5 s).")
    assert shown.section("savings").error == AnswerError("memory", "Out of memory: raise FINOPS_MEMORY_LIMIT.")
    assert all(shown.section(k).ok for k in ("trend", "movers", "anomalies"))


def test_no_budgets_in_scope_still_forecasts(warehouse_settings, executor):
    spend = build_overview(AskContext(warehouse_settings, executor=executor, scope=Scope("environment", "prod"))).section("spend")
    assert spend.ok and spend.figures["budget"] is None and spend.rows == []
    assert "No monthly budgets" in spend.text and spend.figures["projected"] > 0


def test_an_empty_or_missing_warehouse_is_a_clear_error(tmp_path):
    with pytest.raises(WarehouseError, match="finops ingest"):
        build_overview(AskContext(make_settings(tmp_path / "none")))
    settings = make_settings(tmp_path / "prices-only")
    assert not ingest([write_table(price_rows(), tmp_path / "data" / "model_prices" / "p.parquet")], settings).refused
    with pytest.raises(WarehouseError, match="empty"):
        build_overview(AskContext(settings))
