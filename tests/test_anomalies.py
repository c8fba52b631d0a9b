"""Anomaly detection: hand-built daily series with known answers, a hand-built warehouse, a generated one.

Series start on a Monday; weekdays cost 1000, weekends 400, each day moved by a
small deterministic wobble (at most 2%) so the noise estimate is not zero.
"""

from __future__ import annotations

import json
import math
from datetime import date, datetime, timedelta

import numpy as np
import pytest

from assistant.analysis.anomalies import KINDS, Anomaly, anomalies_json, detect, find_anomalies, narrate_anomalies
from tests.conftest import make_settings
from tests.tiny_data import write_table
from warehouse.executor import Executor
from warehouse.ingest import ingest

MONDAY = date(2026, 3, 2)
DAYS = 70
LIMITS = {"min_usd": 50.0, "min_pct": 25.0}


def seasonal(days: int = DAYS, weekday: float = 1000.0, weekend: float = 400.0) -> np.ndarray:
    """A clean weekly pattern with a wobble of at most 2% that differs from week to week."""
    base = np.array([weekend if (MONDAY + timedelta(days=d)).weekday() >= 5 else weekday for d in range(days)])
    return base * (1 + 0.02 * np.sin(np.arange(days) * 1.7))


def day(n: int) -> date:
    return MONDAY + timedelta(days=n)


def test_weekly_seasonal_series_has_no_anomaly():
    assert detect(seasonal(), MONDAY, **LIMITS) == []


def test_a_tenfold_weekend_drop_is_still_the_normal_week():
    assert detect(seasonal(weekday=5000.0, weekend=500.0), MONDAY, **LIMITS) == []


def test_one_day_spike_is_one_spike_with_its_date_and_impact():
    values = seasonal()
    values[52] += 800.0  # a Thursday
    found = detect(values, MONDAY, **LIMITS)
    assert len(found) == 1
    spike = found[0]
    assert (spike.kind, spike.start, spike.end) == ("spike", day(52), day(53))
    assert spike.impact_usd == pytest.approx(800.0, rel=0.05)
    assert spike.expected == pytest.approx(1000.0, rel=0.03)
    assert spike.impact_pct == pytest.approx(80.0, rel=0.06)


def test_a_saturday_at_weekday_level_is_a_spike():
    values = seasonal()
    values[47] = 1000.0  # a Saturday, normally 400: unusual only against other Saturdays
    (spike,) = detect(values, MONDAY, **LIMITS)
    assert (spike.kind, spike.start) == ("spike", day(47))
    assert spike.expected == pytest.approx(400.0, rel=0.03)


def test_spike_down_is_reported_negative():
    values = seasonal()
    values[44] *= 0.3
    (dip,) = detect(values, MONDAY, **LIMITS)
    assert (dip.kind, dip.start) == ("spike", day(44))
    assert dip.impact_usd < -600


def test_step_that_persists_is_one_level_shift_from_its_first_day():
    values = seasonal()
    values[45:] *= 1.6
    (shift,) = detect(values, MONDAY, **LIMITS)
    assert (shift.kind, shift.start, shift.end) == ("level_shift", day(45), day(DAYS))
    assert shift.actual / shift.expected == pytest.approx(1.6, rel=0.03)


def test_compounding_creep_is_a_creep():
    values = seasonal()
    values[35:] *= 1.03 ** np.arange(1, DAYS - 35 + 1)  # 3% a day, compounding, from day 35
    found = detect(values, MONDAY, **LIMITS)
    assert [a.kind for a in found] == ["creep"]
    assert day(33) <= found[0].start <= day(42)
    assert found[0].end == day(DAYS)


def test_slow_creep_found_late_is_dated_back_to_when_it_rose():
    values = seasonal()
    values[28:] *= 1.013 ** np.arange(1, DAYS - 28 + 1)  # 1.3% a day: a day crosses 25% only after weeks
    found = detect(values, MONDAY, **LIMITS)
    assert [a.kind for a in found] == ["creep"]
    assert found[0].start <= day(40) and found[0].end == day(DAYS) and found[0].impact_usd > 0


def test_series_appearing_from_nothing_is_new():
    values = np.where(np.arange(DAYS) >= 40, seasonal(), 0.0)
    (new,) = detect(values, MONDAY, **LIMITS)
    assert (new.kind, new.start, new.end, new.expected) == ("new", day(40), day(DAYS), 0.0)
    assert new.impact_usd == pytest.approx(values[40:].sum())


def test_series_that_stops_is_removed():
    values = np.where(np.arange(DAYS) >= 50, 0.0, seasonal())
    (gone,) = detect(values, MONDAY, **LIMITS)
    assert (gone.kind, gone.start, gone.actual) == ("removed", day(50), 0.0)


@pytest.mark.parametrize("min_usd, reported", [(50.0, False), (5.0, True)])
def test_ten_dollar_blip_is_under_the_dollar_threshold(min_usd, reported):
    values = seasonal(weekday=20.0, weekend=20.0)
    values[50] += 10.0  # +50%: far outside the noise, but only $10
    found = detect(values, MONDAY, min_usd=min_usd, min_pct=25.0)
    assert bool(found) is reported


def test_small_percent_change_of_a_big_series_is_under_the_percent_threshold():
    values = seasonal(weekday=100_000.0, weekend=100_000.0)
    values[50:53] *= 1.15  # $15k a day, 15%
    assert detect(values, MONDAY, **LIMITS) == []
    assert [a.kind for a in detect(values, MONDAY, min_usd=50.0, min_pct=10.0)] == ["spike"]


# ---------------------------------------------------------------- a hand-built warehouse

START = datetime(2026, 3, 2)
WAREHOUSE_DAYS = 56
INCIDENT_DAYS = range(47, 50)  # feature docs' cost per request triples on these days


def llm_rows() -> list[dict]:
    """Two features, each on its own model and team; `docs` on one model costs 3x on INCIDENT_DAYS."""
    rows = []
    plan = (("docs", "model-a", "team-a", 30.0), ("chat", "model-b", "team-b", 20.0))
    for d in range(WAREHOUSE_DAYS):
        weekend = (START + timedelta(days=d)).weekday() >= 5
        for feature, model, team, dollars in plan:
            for i in range(4 if weekend else 10):
                cost = dollars * (1 + 0.02 * math.sin(d * 1.7 + i))
                if feature == "docs" and d in INCIDENT_DAYS:
                    cost *= 3
                rows.append({
                    "request_id": f"{feature}-{d}-{i}", "ts": START + timedelta(days=d, hours=i),
                    "provider": "openai", "model": model, "operation": "chat", "feature": feature, "team": team,
                    "user_id": f"u{i}", "environment": "prod", "input_tokens": 1000, "cached_input_tokens": 0,
                    "output_tokens": 100, "latency_ms": 500.0, "status": "ok", "attempt": 1,
                    "prompt_hash": f"h{d}-{i}", "cost_usd": cost,
                })
    return rows


@pytest.fixture(scope="module")
def incident_warehouse(tmp_path_factory):
    root = tmp_path_factory.mktemp("anomaly-warehouse")
    write_table(llm_rows(), root / "data" / "llm_requests" / "llm_requests.parquet")
    settings = make_settings(root / "home", query_timeout_s=10, max_rows=1000, memory_limit="1GB", threads=2)
    assert not ingest([root / "data"], settings).refused
    with Executor(settings) as executor:
        yield executor, settings


def test_feature_model_and_team_of_one_incident_merge_into_one_anomaly(incident_warehouse):
    executor, settings = incident_warehouse
    as_of = (START + timedelta(days=WAREHOUSE_DAYS)).date()
    found = find_anomalies(executor, settings, as_of=as_of, days=21)
    assert len(found) == 1, found
    anomaly = found[0]
    first = (START + timedelta(days=INCIDENT_DAYS[0])).date()
    assert (anomaly.metric, anomaly.kind, anomaly.start, anomaly.end) == (
        "inference_cost", "spike", first, first + timedelta(days=3))
    excess = sum(2 * r["cost_usd"] / 3 for r in llm_rows()
                 if r["feature"] == "docs" and (r["ts"] - START).days in INCIDENT_DAYS)
    assert anomaly.impact_usd == pytest.approx(excess, rel=0.05)
    causes = {(c.dimension, c.value) for c in anomaly.root_causes}
    assert causes == {("feature", "docs"), ("model", "model-a"), ("team", "team-a")}
    assert all(c.impact_usd == pytest.approx(excess, rel=0.05) for c in anomaly.root_causes)


def test_a_scope_hides_what_it_cannot_see(incident_warehouse):
    executor, settings = incident_warehouse
    as_of = (START + timedelta(days=WAREHOUSE_DAYS)).date()
    assert find_anomalies(executor, settings, as_of=as_of, days=21, scope="team=team-b") == []
    assert len(find_anomalies(executor, settings, as_of=as_of, days=21, scope="team=team-a")) == 1


def test_window_keeps_only_anomalies_that_overlap_it(incident_warehouse):
    executor, settings = incident_warehouse
    as_of = (START + timedelta(days=WAREHOUSE_DAYS)).date()
    assert find_anomalies(executor, settings, as_of=as_of, days=6) == []  # the incident ended 6 days before


def test_json_and_narration_carry_the_anomaly():
    anomaly = detect(np.where(np.arange(DAYS) == 52, 1800.0, seasonal()), MONDAY, metric="cost",
                     dimension="service", value="AWS Data Transfer", **LIMITS)[0]
    payload = anomalies_json([anomaly], day(DAYS))
    assert json.loads(json.dumps(payload)) == payload
    row = payload["anomalies"][0]
    assert (payload["as_of"], row["start"], row["end"], row["value"]) == (
        "2026-05-11", "2026-04-23", "2026-04-24", "AWS Data Transfer")
    assert set(row) >= {"metric", "dimension", "expected", "actual", "impact_usd", "impact_pct", "score", "root_causes"}
    text = narrate_anomalies([anomaly], day(DAYS), 30)
    assert text.startswith("**1 anomaly**") and "2026-04-23" in text and "AWS Data Transfer" in text
    assert "+$" in text and "%" in text


def test_tiny_warehouse_of_every_table_runs_and_returns_anomalies(executor, warehouse_settings):
    found = find_anomalies(executor, warehouse_settings, as_of=date(2026, 10, 31), days=30, scope="team=cx")
    assert all(isinstance(a, Anomaly) and a.kind in KINDS for a in found)
    assert find_anomalies(executor, warehouse_settings, as_of=date(2027, 6, 1), days=30) == []  # no data then


# ---------------------------------------------------------------- a generated warehouse


@pytest.fixture(scope="module")
def demo_warehouse(tmp_path_factory):
    from warehouse.demo import generate_demo

    root = tmp_path_factory.mktemp("anomaly-demo")
    summary = generate_demo(root / "data", days=60, rows=150_000, seed=23, end=date(2026, 6, 15))
    settings = make_settings(root / "home", query_timeout_s=30, memory_limit="1GB", threads=2)
    assert not ingest([root / "data"], settings).refused
    with Executor(settings) as executor:
        yield executor, settings, summary


def _incident(summary, name: str):
    return next(i for i in summary.incidents if i.id == name)


def _names(anomaly: Anomaly, value: str) -> bool:
    return anomaly.value == value or any(c.value == value for c in anomaly.root_causes)


def test_generated_retry_storm_and_data_transfer_spike_are_found_on_their_dates(demo_warehouse):
    executor, settings, summary = demo_warehouse
    found = find_anomalies(executor, settings, as_of=summary.end, days=60)
    storm, spike = _incident(summary, "retry_storm"), _incident(summary, "data_transfer_spike")
    errors = [a for a in found if a.metric == "error_rate" and _names(a, "support-chat")]
    assert {(a.start.isoformat(), a.end.isoformat()) for a in errors} == {(storm.start, storm.end)}
    assert errors[0].value == "support-chat" and errors[0].actual > 5 * errors[0].expected
    transfer = [a for a in found if a.metric == "cost" and _names(a, "AWS Data Transfer")]
    assert [(a.start.isoformat(), a.end.isoformat(), a.kind) for a in transfer] == [(spike.start, spike.end, "spike")]
    assert transfer[0].impact_usd == pytest.approx(spike.expected_impact_usd, rel=0.25)
