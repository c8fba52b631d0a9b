"""Unit-cost anomalies and the spend-scaled dollar floor, on a small company (tests/small_company.py).

Pico Legal spends ~$50 a weekday on LLMs; contract-review's prompts grow 2.4x
from Monday GROWTH_DAY (+~$30 a weekday). Under the old fixed $50 floor no day
of it was an anomaly. Expected figures are computed here from the generated
rows with pyarrow, not by the detector.
"""

from __future__ import annotations

from datetime import date, timedelta
from statistics import median

import pyarrow.compute as pc
import pytest

from assistant.analysis.anomalies import anomalies_json, find_anomalies, narrate_anomalies
from assistant.analysis.anomaly_causes import pick_cause
from tests.conftest import make_settings
from tests.small_company import AS_OF, GROWTH_DAY, requests_table, write_small_company
from warehouse.errors import SettingsError
from warehouse.executor import Executor
from warehouse.ingest import ingest
from warehouse.settings import load_settings

FIRST_FULL_DAY = GROWTH_DAY + timedelta(days=1)  # as_of the morning after the first day of bigger prompts


@pytest.fixture(scope="module")
def small_company(tmp_path_factory):
    root = tmp_path_factory.mktemp("small-company")
    write_small_company(root / "data")
    settings = make_settings(root / "home", query_timeout_s=20, memory_limit="1GB", threads=2)
    assert not ingest([root / "data"], settings).refused
    return settings


@pytest.fixture(scope="module")
def daily() -> dict[tuple[str, date], float]:
    """(feature, day) -> dollars, summed from the generated rows."""
    table = requests_table()
    days = pc.cast(table["ts"], "date32").to_pylist()
    out: dict[tuple[str, date], float] = {}
    for feature, day, cost in zip(table["feature"].to_pylist(), days, table["cost_usd"].to_pylist()):
        out[(feature, day)] = out.get((feature, day), 0.0) + cost
    return out


def _find(settings, as_of: date, **overrides):
    settings = settings.model_copy(update=overrides) if overrides else settings
    with Executor(settings) as executor:
        return find_anomalies(executor, settings, as_of=as_of, days=14)


def _about(anomaly, value: str) -> bool:
    return anomaly.value == value or any(c.value == value for c in anomaly.root_causes)


def test_prompt_growth_is_reported_from_its_first_full_day_with_prompt_size_as_cause(small_company, daily):
    (found,) = _find(small_company, FIRST_FULL_DAY)
    assert _about(found, "contract-review")
    assert (found.start, found.end, found.cause) == (GROWTH_DAY, FIRST_FULL_DAY, "tokens_per_request")
    mondays = [daily[("contract-review", GROWTH_DAY - timedelta(days=7 * k))] for k in range(1, 5)]
    excess = daily[("contract-review", GROWTH_DAY)] - median(mondays)
    assert 15 < excess < 50  # the story: tens of dollars, under the old $50 floor
    assert found.impact_usd == pytest.approx(excess, rel=0.05)
    assert "prompt size" in narrate_anomalies([found], FIRST_FULL_DAY, 14)


def test_two_weeks_on_it_is_one_level_shift_and_nothing_else_is_reported(small_company):
    found = _find(small_company, AS_OF)
    assert len(found) == 1, found
    shift = found[0]
    assert _about(shift, "contract-review") and shift.kind == "level_shift"
    assert (shift.start, shift.end, shift.cause) == (GROWTH_DAY, AS_OF, "tokens_per_request")
    row = anomalies_json(found, AS_OF)["anomalies"][0]
    assert row["cause"] == "tokens_per_request"
    assert row["factors"][0]["factor"] == "tokens_per_request" and row["factors"][0]["impact_usd"] > 0


@pytest.mark.parametrize("as_of, min_usd, metric", [
    (FIRST_FULL_DAY, None, "inference_cost"),  # the floor scales with spend: ~25 cents a day here
    (FIRST_FULL_DAY, 50.0, None),  # the old fixed floor: one day of +$30 is not enough
    (AS_OF, 50.0, "cost_per_request"),  # a unit cost's whole run must reach the floor, and two weeks do
])
def test_floor(small_company, as_of, min_usd, metric):
    found = _find(small_company, as_of, anomaly_min_usd=min_usd)
    assert [a.metric for a in found] == ([metric] if metric else [])


def test_dollar_floor_is_a_share_of_the_median_daily_total(small_company, daily):
    from assistant.analysis.anomalies import SOURCES, _read_cube, dollar_floor

    totals: dict[date, float] = {}
    for (_, day), cost in daily.items():
        if AS_OF - timedelta(days=14 + 28) <= day < AS_OF:
            totals[day] = totals.get(day, 0.0) + cost
    with Executor(small_company) as executor:
        cube = _read_cube(executor, SOURCES[1], AS_OF - timedelta(days=42), AS_OF, None)
    assert cube is not None
    assert dollar_floor(small_company, [cube]) == pytest.approx(0.005 * median(totals.values()), rel=1e-9)
    fixed = small_company.model_copy(update={"anomaly_min_usd": 12.5})
    assert dollar_floor(fixed, [cube]) == 12.5


@pytest.mark.parametrize("env", [{"FINOPS_ANOMALY_MIN_SHARE_PCT": "-1"}, {"FINOPS_ANOMALY_MIN_USD": "-5"}])
def test_negative_floors_are_bad_settings(env):
    with pytest.raises(SettingsError, match=next(iter(env))):
        load_settings(environ=env, config_path=None)


@pytest.mark.parametrize("factors, retries, unit, up, errors, cause", [
    ({"volume": 90.0, "tokens_per_request": 40.0}, 0.0, True, True, False, "tokens_per_request"),
    ({"volume": 90.0, "tokens_per_request": 40.0}, 0.0, False, True, False, "volume"),
    ({"model_mix": 300.0, "price": -20.0}, 0.0, True, True, False, "model_mix"),
    ({"price": -80.0, "model_mix": 10.0}, 0.0, True, False, False, "price"),  # a drop: the factor that fell most
    ({"volume": 19.0, "tokens_per_request": -13.0}, 12.0, False, True, True, "retries"),
    ({"volume": 19.0}, 12.0, False, True, False, "volume"),  # retries beat a factor only for errors when smaller
    ({"volume": 50.0}, 0.0, True, True, False, None),  # a unit cost is never explained by volume
])
def test_pick_cause(factors, retries, unit, up, errors, cause):
    assert pick_cause(factors, retries, unit=unit, up=up, errors=errors) == cause
