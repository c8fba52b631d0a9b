"""Month-end forecast and budget outlook on hand-built daily series with answers known by construction."""

from __future__ import annotations

import json
import math
from datetime import date, datetime, timedelta
from pathlib import Path

import pytest

from assistant.analysis.forecast import (
    budget_outlook,
    forecast_month,
    month_of,
    narrate_forecast,
    narrate_outlook,
    project,
)
from assistant.query.plan import Filter
from tests.conftest import make_settings
from tests.test_savings import budget, load, request
from warehouse.executor import Executor

NOV = date(2026, 11, 1)  # a Sunday; November has 30 days


def gpu_day(day: date, cost: float) -> dict:
    return {"hour": datetime.combine(day, datetime.min.time()) + timedelta(hours=3), "cluster": "c1", "node_id": "n1",
            "gpu_type": "L4", "gpu_count": 1, "deployment": "d1", "team": "platform", "cost_usd": cost,
            "gpu_util_pct": 50.0, "gpu_mem_util_pct": 50.0}


@pytest.fixture(scope="module")
def flat(tmp_path_factory):
    """$100 of GPU cost on each of Nov 1-9 (as_of Nov 10), and a $2,000 GPU budget; October must not count."""
    rows = [gpu_day(NOV + timedelta(days=i), 100.0) for i in range(9)] + [gpu_day(date(2026, 10, 31), 5000.0)]
    executor, settings = load(tmp_path_factory.mktemp("flat"), gpu_usage=rows,
                              budgets=[budget("total", None, None, amount=2000.0, metric="gpu_cost")])
    with executor:
        yield executor, settings


def weekday_cost(day: date, noisy: bool = False) -> float:
    if day.weekday() >= 5:
        return 20.0
    return (90.0 if day.day % 2 else 110.0) if noisy else 100.0


@pytest.fixture(scope="module")
def weekly(tmp_path_factory):
    """Nov 1-14 (as_of Nov 15): feature main $100 on weekdays, $20 on weekends; feature noisy alternates 90/110."""
    rows = []
    for i in range(14):
        day = NOV + timedelta(days=i)
        ts = datetime.combine(day, datetime.min.time()) + timedelta(hours=12)
        rows.append(request(ts, "main", "openai", "gpt-small", 10, 10, weekday_cost(day), team="docs"))
        rows.append(request(ts, "noisy", "openai", "gpt-small", 10, 10, weekday_cost(day, noisy=True), team="other"))
    executor, settings = load(tmp_path_factory.mktemp("weekly"), llm_requests=rows,
                              budgets=[budget("feature", "main", None, amount=1000.0),
                                       budget("team", "other", None, amount=5000.0)])
    with executor:
        yield executor, settings


def test_month_of_uses_the_last_complete_day():
    assert month_of(date(2026, 11, 10)) == (NOV, 9, 30)
    assert month_of(date(2026, 12, 1)) == (NOV, 30, 30)
    assert month_of(date(2024, 3, 1)) == (date(2024, 2, 1), 29, 29)


@pytest.mark.parametrize("method", ["weekday", "run_rate"])
def test_flat_spend_projects_exactly_with_no_interval(flat, method):
    executor, settings = flat
    f = forecast_month(executor, settings, "gpu_cost", as_of=date(2026, 11, 10), method=method)
    assert (f.month_start, f.days_elapsed, f.days_in_month, f.method) == (NOV, 9, 30, method)
    assert f.spent_so_far == pytest.approx(900.0)
    assert (f.projected_total, f.low, f.high) == pytest.approx((3000.0, 3000.0, 3000.0))


def test_flat_budget_runs_out_on_the_20th(flat):
    executor, settings = flat
    [outlook] = budget_outlook(executor, settings, as_of=date(2026, 11, 10))
    assert (outlook.metric, outlook.scope, outlook.budget) == ("gpu_cost", "total", 2000.0)
    assert outlook.spent == pytest.approx(900.0)
    assert outlook.projected == pytest.approx(3000.0)
    assert outlook.runs_out_on == date(2026, 11, 20)
    assert outlook.projected_pct == pytest.approx(150.0)
    text = narrate_outlook([outlook])
    assert "total GPU budget ($2,000.00) will run out on Nov 20" in text
    assert "projected $3,000.00 (±$0.00) by Nov 30, 150% of budget" in text
    assert "Method: weekday mean" in text


def test_weekday_pattern_projects_each_remaining_day_at_its_weekday(weekly):
    executor, settings = weekly
    main = (Filter("feature", ("main",)),)
    f = forecast_month(executor, settings, "inference_cost", as_of=date(2026, 11, 15), filters=main)
    # so far: 10 weekdays * 100 + 4 weekend days * 20; rest (Nov 15-30): 11 weekdays, 5 weekend days
    assert f.spent_so_far == pytest.approx(1080.0)
    assert f.projected_total == pytest.approx(1080.0 + 11 * 100 + 5 * 20)
    assert (f.low, f.high) == pytest.approx((2280.0, 2280.0))
    rate = forecast_month(executor, settings, "inference_cost", as_of=date(2026, 11, 15), filters=main, method="run_rate")
    assert rate.projected_total == pytest.approx(1080.0 / 14 * 30)
    assert rate.high > rate.projected_total > rate.low  # weekends differ from weekdays: a spread


def test_weekday_interval_from_residuals(weekly):
    executor, settings = weekly
    f = forecast_month(executor, settings, "inference_cost", as_of=date(2026, 11, 15), filters=(Filter("feature", ("noisy",)),))
    # each weekday seen twice, once at 90 and once at 110: residuals +-10 on 10 days, 0 on weekends;
    # 14 days - 7 weekday means = 7 degrees of freedom
    sigma = math.sqrt(10 * 10.0**2 / 7)
    assert f.projected_total == pytest.approx(2280.0)
    assert f.high - f.projected_total == pytest.approx(1.96 * sigma * math.sqrt(16))
    assert f.projected_total - f.low == pytest.approx(1.96 * sigma * math.sqrt(16))


def test_budget_already_exhausted_says_when(weekly):
    executor, settings = weekly
    outlooks = budget_outlook(executor, settings, as_of=date(2026, 11, 15))
    main = next(o for o in outlooks if o.scope_value == "main")
    # cumulative: 20 (Sun), +500 by Fri Nov 6, +40 weekend, then 660, 760, 860, 960, 1060 on Fri Nov 13
    assert main.runs_out_on == date(2026, 11, 13)
    assert main.over_budget and main.spent == pytest.approx(1080.0)
    other = next(o for o in outlooks if o.scope_value == "other")
    assert other.runs_out_on is None and other.spent == pytest.approx(1080.0)
    assert outlooks[0] is main  # highest share of budget first
    text = narrate_outlook(outlooks)
    assert "**main inference budget ($1,000.00) ran out on Nov 13**" in text
    assert "other inference budget ($5,000.00) holds" in text


def test_scope_limits_the_outlook(weekly):
    executor, settings = weekly
    [only] = budget_outlook(executor, settings, as_of=date(2026, 11, 15), scope="team=other")
    assert only.scope_value == "other" and only.spent == pytest.approx(1080.0)


def test_projection_before_every_weekday_is_seen_uses_the_daily_mean():
    # Nov 1 (Sun) 10, Nov 2 (Mon) 30: a Tuesday has not happened yet -> mean 20
    p = project([10.0, 30.0], NOV, 30, "weekday")
    assert p.remaining[0] == 20.0  # Tue Nov 3
    assert p.remaining[5] == 10.0  # Sun Nov 8
    assert p.remaining[6] == 30.0  # Mon Nov 9


def test_unknown_metric_and_method_are_refused(flat):
    executor, settings = flat
    with pytest.raises(ValueError, match="additive"):
        forecast_month(executor, settings, "cost_per_request", as_of=date(2026, 11, 10))
    with pytest.raises(ValueError, match="method"):
        project([1.0], NOV, 30, "prophet")


DEMO_HOME = Path("/tmp/demo-home")


@pytest.mark.skipif(not (DEMO_HOME / "demo-data" / "incidents.json").exists(), reason="no demo warehouse")
def test_demo_docs_ai_budget_is_over():
    incidents = {i["id"]: i for i in json.loads((DEMO_HOME / "demo-data" / "incidents.json").read_text())["incidents"]}
    breach = incidents["budget_breach"]
    settings = make_settings(DEMO_HOME)
    with Executor(settings) as executor:
        outlooks = budget_outlook(executor, settings, as_of=date(2026, 11, 23))
        cost = forecast_month(executor, settings, "cost", as_of=date(2026, 11, 23), method="run_rate")
    docs = next(o for o in outlooks if o.scope == breach["dimension"] and o.scope_value == breach["value"])
    assert docs.over_budget and docs.runs_out_on is not None and docs.runs_out_on < date(2026, 11, 23)
    assert docs.spent - docs.budget == pytest.approx(breach["expected_impact_usd"], abs=0.01)
    assert "docs-ai inference budget" in narrate_outlook(outlooks) and "ran out on" in narrate_outlook(outlooks)
    assert cost.projected_total == pytest.approx(cost.spent_so_far / 22 * 30)
    assert "22 of 30 days" in narrate_forecast(cost)


def test_budgets_read_together_match_each_budget_read_alone(executor, warehouse_settings):
    """budget_outlook reads each metric and budget dimension once; each budget's own query gives the same."""
    from assistant.understand.planners import resolve_as_of

    as_of = resolve_as_of(executor, warehouse_settings)
    outlooks = budget_outlook(executor, warehouse_settings, as_of=as_of)
    assert {o.scope for o in outlooks} >= {"total", "team", "feature"}, outlooks  # two dimensions of one metric
    for o in outlooks:
        filters = () if o.scope == "total" else (Filter(o.scope, (o.scope_value,)),)
        alone = forecast_month(executor, warehouse_settings, o.metric, as_of=as_of, filters=filters)
        assert (o.spent, o.projected, o.low, o.high) == pytest.approx(
            (alone.spent_so_far, alone.projected_total, alone.low, alone.high), abs=1e-9)
