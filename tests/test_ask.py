"""`ask()` and `finops ask`: the Answer contract, figures that match the data, refusals, scopes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from assistant.answer import AskContext
from assistant.ask import ask, explain
from tests.test_cli import finops
from tests.tiny_data import llm_rows

CONTRACT_KEYS = {
    "question", "route", "window", "sql", "columns", "rows", "text", "chart", "drivers",
    "anomalies", "suggestions", "llm_usage", "elapsed_ms", "reading", "error",
}


def expected_cost(team: str | None = None, start="2026-10-19", end="2026-10-26") -> float:
    from datetime import datetime

    lo, hi = datetime.fromisoformat(start), datetime.fromisoformat(end)
    from tests.tiny_data import request_cost

    total = 0.0
    for row in llm_rows():
        if lo <= row["ts"] < hi and (team is None or row["team"] == team):
            cost = row["cost_usd"]
            if cost is None:
                cost = request_cost(row["provider"], row["model"], row["ts"], row["input_tokens"], row["cached_input_tokens"], row["output_tokens"])
            total += cost
    return total


def test_json_answer_follows_the_contract(warehouse_settings):
    result = finops("ask", "--json", "what was inference cost last week?", home=warehouse_settings.home)
    assert result.returncode == 0, result.stderr
    answer = json.loads(result.stdout)
    assert set(answer) == CONTRACT_KEYS
    assert answer["route"] == "planner" and answer["error"] is None
    assert answer["window"] == {"label": "last week", "start": "2026-10-19", "end": "2026-10-26", "compare_start": "2026-10-12", "compare_end": "2026-10-19"}
    assert answer["rows"][0][0] == pytest.approx(expected_cost(), rel=1e-9)
    assert answer["llm_usage"] == {"calls": 0, "input_tokens": 0, "output_tokens": 0, "cost_usd": 0.0}
    assert "inference cost = sum of llm_requests.cost_usd" in answer["text"]
    assert answer["chart"] is None  # a single figure needs no chart
    assert answer["reading"] == {"metrics": ["inference_cost"], "by": [], "filters": [], "window": "last week",
                                 "intent": "total", "text": "inference cost · last week"}


def test_contract_keys_are_the_documented_ones():
    documented = (Path(__file__).parent.parent / "docs" / "ANSWER-CONTRACT.md").read_text()
    example = json.loads(documented.split("```json")[1].split("```")[0])
    assert set(example) == CONTRACT_KEYS


@pytest.mark.parametrize("question, understood, unplaced", [
    ("inference cost per 1M images by feature last week", "inference cost · by feature · last week", ["1m", "images"]),
    ("what is our llm spend on the moon last week", "inference cost · last week", ["moon"]),
    ("weighted inference cost last week", "inference cost · last week", ["weighted"]),
])
def test_a_word_not_understood_is_said_not_dropped(question, understood, unplaced, warehouse_settings):
    result = finops("ask", "--json", question, home=warehouse_settings.home)
    assert result.returncode == 2
    answer = json.loads(result.stdout)
    assert answer["route"] == "none" and answer["rows"] == []
    assert answer["error"]["kind"] == "partly_understood"
    assert answer["reading"]["text"] == understood
    assert set(unplaced) <= set(answer["error"]["unplaced"])
    assert all(word in answer["error"]["message"] for word in unplaced)


def test_breakdown_has_a_bar_chart_with_its_data(executor, warehouse_settings):
    answer = ask("inference cost by team last week", AskContext(settings=warehouse_settings, executor=executor))
    assert answer.columns == ("team", "inference_cost")
    by_team = dict(answer.rows)
    assert by_team["cx"] == pytest.approx(expected_cost("cx"), rel=1e-9)
    assert answer.chart["mark"]["type"] == "bar"
    assert {row["team"] for row in answer.chart["data"]["values"]} == set(by_team)
    assert answer.suggestions


def test_trend_is_a_line_chart(executor, warehouse_settings):
    answer = ask("daily inference cost this month", AskContext(settings=warehouse_settings, executor=executor))
    assert answer.chart["mark"]["type"] == "line"
    assert answer.chart["encoding"]["x"]["type"] == "temporal"
    assert len(answer.rows) == 30


def test_refusal_exits_2_with_an_error_and_suggestions(warehouse_settings):
    result = finops("ask", "--json", "what's the weather in Paris?", home=warehouse_settings.home)
    assert result.returncode == 2
    answer = json.loads(result.stdout)
    assert answer["route"] == "none" and answer["error"]["kind"] == "unknown_question"
    assert answer["suggestions"] and answer["rows"] == []


def test_scope_limits_the_answer(warehouse_settings):
    result = finops("ask", "--json", "--scope", "team=cx", "inference cost by team last week", home=warehouse_settings.home)
    answer = json.loads(result.stdout)
    assert [row[0] for row in answer["rows"]] == ["cx"]
    assert answer["rows"][0][1] == pytest.approx(expected_cost("cx"), rel=1e-9)


def test_as_of_moves_the_window(warehouse_settings):
    result = finops("ask", "--json", "--as-of", "2026-10-15", "requests yesterday", home=warehouse_settings.home)
    answer = json.loads(result.stdout)
    assert answer["window"]["start"] == "2026-10-14"
    assert answer["rows"][0][0] == sum(1 for r in llm_rows() if r["ts"].date().isoformat() == "2026-10-14")


def test_follow_up_keeps_context(executor, warehouse_settings):
    context = AskContext(settings=warehouse_settings, executor=executor)
    first = ask("inference cost by feature last week", context)
    second = ask("and by model?", context.after(first))
    assert second.columns[0] == "model" and second.window == first.window


def test_explain_shows_sql_without_running(executor, warehouse_settings):
    plan, sql = explain("top 2 models by requests last week", AskContext(settings=warehouse_settings, executor=executor), dialect="bigquery")
    assert plan.limit == 2 and ("TIMESTAMP" in sql or "DATETIME" in sql)
    assert "LIMIT 2" in sql


def test_bad_flags_are_refused(warehouse_settings):
    assert finops("ask", "--route", "magic", "cost", home=warehouse_settings.home).returncode == 2
    assert finops("ask", "--as-of", "soon", "cost", home=warehouse_settings.home).returncode == 2
    assert finops("ask", "--scope", "planet=mars", "cost", home=warehouse_settings.home).returncode == 2


def test_savings_question_lists_the_idle_node(executor, warehouse_settings):
    answer = ask("where are we wasting money?", AskContext(settings=warehouse_settings, executor=executor))
    assert answer.route == "planner", answer.error
    rows = [dict(zip(answer.columns, row)) for row in answer.rows]
    node = next(r for r in rows if r["value"] == "node-2")
    # node-2: 48 unallocated hours at $40/h and 5% utilization, over the 30-day window -> per 30 days
    assert node["kind"] == "unallocated_gpu"
    assert node["monthly_usd"] == pytest.approx(48 * 40 * 0.95, rel=1e-6)
    assert "per month" in answer.text


def test_forecast_question_projects_the_month(executor, warehouse_settings):
    answer = ask("projected inference cost at end of month", AskContext(settings=warehouse_settings, executor=executor))
    assert answer.route == "planner", answer.error
    row = dict(zip(answer.columns, answer.rows[0]))
    assert row["metric"] == "inference_cost"
    assert row["low"] <= row["projected_total"] <= row["high"]
    assert row["projected_total"] >= row["spent_so_far"] > 0
    assert "Method:" in answer.text


def test_why_question_carries_drivers_that_sum_to_the_change(executor, warehouse_settings):
    answer = ask("why did inference cost change last week?", AskContext(settings=warehouse_settings, executor=executor))
    assert answer.route == "planner", answer.error
    change = expected_cost(start="2026-10-19", end="2026-10-26") - expected_cost(start="2026-10-12", end="2026-10-19")
    features = [d for d in answer.drivers if d["dimension"] == "feature"]
    assert features and set(features[0]) >= {"dimension", "value", "factor", "impact_usd"}
    assert sum(d["impact_usd"] for d in features) == pytest.approx(change, abs=1e-6)
    assert answer.text.startswith("Inference cost")


def test_anything_unusual_answers_with_the_anomaly_list(executor, warehouse_settings):
    answer = ask("anything unusual this month?", AskContext(settings=warehouse_settings, executor=executor))
    assert answer.route == "planner", answer.error
    assert len(answer.anomalies) == len(answer.rows)
    assert "anomal" in answer.text.lower()


@pytest.mark.parametrize("question", ["What share of prompts were duplicates last week?", "error rate last week", "inference cost last week"])
def test_a_change_is_now_minus_before_for_every_kind_of_metric(executor, warehouse_settings, question):
    """`1 - a / b` minus its previous value must keep its sign: the change is rendered in parentheses."""
    answer = ask(question, AskContext(warehouse_settings, executor=executor))
    assert answer.route == "planner", answer.error
    now, before, change = answer.rows[0]
    assert answer.columns[2].endswith("_change")
    assert change == pytest.approx(now - before)


LAST_WEEK = "ts >= TIMESTAMP '2026-10-19' AND ts < TIMESTAMP '2026-10-26'"


@pytest.mark.parametrize("question, gold", [
    ("failed requests by feature last week",
     f"SELECT feature, COUNT(*) FROM llm_requests WHERE {LAST_WEEK} AND status <> 'ok' GROUP BY feature"),
    ("requests and inference cost by team last week",
     f"SELECT team, COUNT(*), SUM(cost_usd) FROM llm_requests WHERE {LAST_WEEK} GROUP BY team"),
    ("retry cost as a share of inference cost by team last week",
     f"SELECT team, SUM(cost_usd) FILTER (WHERE attempt > 1), SUM(cost_usd), "
     f"SUM(cost_usd) FILTER (WHERE attempt > 1) / SUM(cost_usd) FROM llm_requests WHERE {LAST_WEEK} GROUP BY team"),
    ("teams with over 10 requests last week",
     f"SELECT team, COUNT(*) FROM llm_requests WHERE {LAST_WEEK} GROUP BY team HAVING COUNT(*) > 10"),
    ("which day had the most requests last week?",
     f"SELECT date_trunc('day', ts) AS d, COUNT(*) AS n FROM llm_requests WHERE {LAST_WEEK} GROUP BY d ORDER BY n DESC, d LIMIT 1"),
], ids=lambda value: value[:40])
def test_question_shapes_answer_what_hand_written_sql_answers(question, gold, executor, warehouse_settings):
    answer = ask(question, AskContext(settings=warehouse_settings, executor=executor))
    assert answer.answered, answer.error
    expected = executor.query(gold).rows
    assert expected, "the gold must have rows on the tiny warehouse"
    normalized = sorted(tuple(round(v, 9) if isinstance(v, float) else v for v in row) for row in answer.rows)
    assert normalized == sorted(tuple(round(v, 9) if isinstance(v, float) else v for v in row) for row in expected)
