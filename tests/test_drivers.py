"""Cost-driver decomposition: hand-built windows whose answer is known by construction.

Every case compares the week of 2026-03-09 with the week of 2026-03-02. Prices
are round: `small` costs 1 / 0.5 / 4 USD and `large` 10 / 5 / 40 USD per million
input / cached / output tokens, so each request's cost is easy to check by hand.
"""

from __future__ import annotations

import json
import random
import tempfile
from datetime import date, datetime, timedelta
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from assistant.analysis.drivers import DriverReport, decompose, lmdi, log_mean, narrate_drivers
from assistant.query.plan import Filter
from assistant.query.window import Window
from tests.conftest import make_settings
from tests.tiny_data import billing_rows, write_table, write_tiny_dataset
from warehouse.executor import Executor
from warehouse.ingest import ingest

WEEK = Window("last week", date(2026, 3, 9), date(2026, 3, 16), date(2026, 3, 2), date(2026, 3, 9))
MONDAY = datetime(2026, 3, 2)
CUT = datetime(2026, 3, 9)  # when a price change takes effect
NOON = datetime(2026, 3, 11, 12)  # a price change inside a day
PRICES = {"small": (1.0, 0.5, 4.0), "large": (10.0, 5.0, 40.0)}
TEAMS = {"A": "alpha", "B": "beta", "C": "gamma"}


def price_rows() -> list[dict]:
    """`cut` costs what `small` costs until 2026-03-09, then twice as much."""
    rows = [{"provider": "openai", "model": model, "input_usd_per_mtok": inp, "cached_input_usd_per_mtok": cached,
             "output_usd_per_mtok": out, "tier": model, "valid_from": datetime(2026, 1, 1), "valid_to": None}
            for model, (inp, cached, out) in PRICES.items()]
    cut = rows[0] | {"model": "cut", "valid_to": CUT}
    noon = rows[0] | {"model": "noon", "valid_to": NOON}  # `small` until noon, `large` after
    return rows + [cut, cut | {"input_usd_per_mtok": 2.0, "cached_input_usd_per_mtok": 1.0, "output_usd_per_mtok": 8.0,
                               "valid_from": CUT, "valid_to": None},
                   noon, rows[1] | {"model": "noon", "valid_from": NOON}]


def cost(model: str, input_tokens: int, output_tokens: int, cached: int = 0, after: bool = False) -> float:
    inp, cached_price, out = PRICES["small" if model in ("cut", "noon") else model]
    scale = 2.0 if model == "cut" and after else 1.0
    return scale * ((input_tokens - cached) * inp + cached * cached_price + output_tokens * out) / 1e6


def requests(after: bool, feature: str, model: str, n: int, input_tokens: int = 200_000, output_tokens: int = 20_000,
             cached: int = 0, attempt: int = 1, status: str = "ok", case: str = "") -> list[dict]:
    """n requests of one feature on one model, spread over the week (before or after); `case` is the environment."""
    start = MONDAY + timedelta(days=7 if after else 0)
    return [
        {
            "request_id": f"{after:d}-{case}-{feature}-{model}-{attempt}-{status}-{input_tokens}-{i}",
            "ts": start + timedelta(hours=i * 7 % 160),
            "provider": "openai", "model": model, "operation": "chat", "feature": feature,
            "team": TEAMS.get(feature, "other"), "user_id": f"u{i}", "environment": case,
            "input_tokens": input_tokens, "cached_input_tokens": cached, "output_tokens": output_tokens,
            "latency_ms": 100.0, "status": status, "attempt": attempt, "prompt_hash": f"h{i}",
            "cost_usd": cost(model, input_tokens, output_tokens, cached, after),
        }
        for i in range(n)
    ]


A_COST, B_COST, LARGE_A = cost("small", 200_000, 20_000), cost("large", 200_000, 20_000), cost("large", 200_000, 20_000)
BASE = (("A", "small", 10, {}), ("B", "large", 5, {}))
# case -> (before, after): (feature, model, requests, token overrides) for each side
CASES = {
    "volume": (BASE, (("A", "small", 20, {}), ("B", "large", 10, {}))),
    "prompt": ((("A", "small", 10, {"cached": 20_000}), BASE[1]),
               (("A", "small", 10, {"input_tokens": 500_000, "cached": 50_000}), BASE[1])),
    "move-all": (BASE, (("A", "large", 10, {}), BASE[1])),
    "move-half": (BASE, (("A", "large", 5, {}), ("A", "small", 5, {}), BASE[1])),
    "price": ((("A", "cut", 10, {}), BASE[1]), (("A", "cut", 10, {}), BASE[1])),
    "cache": (BASE, (("A", "small", 10, {"cached": 100_000}), BASE[1])),
    "new": (BASE, (BASE[0], ("C", "small", 4, {}))),
    "retries": (BASE, BASE + (("A", "small", 3, {"attempt": 2, "status": "rate_limited"}),)),
    "narrate": (BASE, (("A", "small", 10, {"input_tokens": 500_000}), BASE[1])),
    "price-noon": ((("A", "noon", 10, {"cached": 30_000}), BASE[1]), (("A", "noon", 24, {"cached": 30_000}), BASE[1])),
}


def case_rows(case: str, sides) -> list[dict]:
    return [row for after, side in enumerate(sides) for feature, model, n, extra in side
            for row in requests(bool(after), feature, model, n, case=case, **extra)]


def random_case(rng: random.Random, case: str) -> tuple[list[dict], float]:
    """Random traffic over three features and two models; logged costs off list prices by a random factor."""
    rows, noise = [], rng.uniform(0.5, 3.0)
    for after in (False, True):
        for feature in "ABC":
            for model in PRICES:
                if rng.random() < 0.3:
                    continue
                tokens = rng.randint(0, 400_000)
                rows += requests(after, feature, model, rng.randint(1, 3), tokens, rng.randint(0, 50_000),
                                 rng.randint(0, tokens), case=case)
    for row in rows:
        row["cost_usd"] *= noise if row["request_id"].startswith("1") else 1.0
    return rows, sum(r["cost_usd"] * (1 if r["request_id"].startswith("1") else -1) for r in rows)


RANDOM = {f"random-{k}": random_case(random.Random(k), f"random-{k}") for k in range(12)}


def bill(day: int, service: str, sku: str | None, quantity: float | None, amount: float, category="Usage") -> dict:
    row = {k: v for k, v in billing_rows()[0].items() if k != "Tags"} | {"ChargePeriodStart": MONDAY + timedelta(days=day),
                               "ChargePeriodEnd": MONDAY + timedelta(days=day + 1),
                               "BillingPeriodStart": datetime(2026, 3, 1), "BillingPeriodEnd": datetime(2026, 4, 1)}
    return row | {"ServiceName": service, "SkuId": sku, "PricingQuantity": quantity, "EffectiveCost": amount,
                  "BilledCost": amount, "ListCost": amount, "ContractedCost": amount, "ChargeCategory": category,
                  "PricingUnit": "Hours" if quantity is not None else None}


def bills() -> list[dict]:
    rows = []
    for day in range(14):
        after = day >= 7
        rows.append(bill(day, "Compute", "vm", 20.0 if after else 10.0, 40.0 if after else 20.0))  # usage doubles at $2
        rows.append(bill(day, "Search", "node", 5.0, 20.0 if after else 15.0))  # $3 -> $4 an hour
        rows.append(bill(day, "Tax", None, None, 2.0 if after else 1.0, "Tax"))
    return rows


def gpu(day: int, cluster: str, node: str, deployment: str | None, util: float) -> dict:
    return {"hour": MONDAY + timedelta(days=day), "cluster": cluster, "node_id": node, "gpu_type": "H100",
            "gpu_count": 8, "deployment": deployment, "team": "ml", "cost_usd": 10.0, "gpu_util_pct": util,
            "gpu_mem_util_pct": 50.0}


def gpus() -> list[dict]:
    rows = [gpu(day, "prod", "n1", "llama", 20.0 if day >= 7 else 80.0) for day in range(14)]  # same cost, less used
    return rows + [gpu(day, "batch", "n2", None, 0.0) for day in range(7, 14)]  # a new, idle node


def load(root: Path, llm: list[dict], billing=(), gpu_usage=()) -> Executor:
    tables = {"model_prices": price_rows(), "budgets": [], "gpu_usage": list(gpu_usage), "llm_requests": llm, "billing": []}
    write_tiny_dataset(root / "data", tables)
    if billing:
        write_table(list(billing), root / "data" / "billing" / "billing.parquet")
    settings = make_settings(root / "home", query_timeout_s=10, max_rows=1000, memory_limit="1GB", threads=2)
    report = ingest([root / "data"], settings)
    assert not report.refused, report.refused
    return Executor(settings)


@pytest.fixture(scope="module")
def cases(tmp_path_factory):
    """Every hand-built case in one warehouse, one environment each; a case is read with an environment filter."""
    rows = [row for case, sides in CASES.items() for row in case_rows(case, sides)]
    rows += [row for random_rows, _ in RANDOM.values() for row in random_rows]
    with load(tmp_path_factory.mktemp("drivers"), rows, bills(), gpus()) as executor:
        yield executor


def explain(executor, case: str | None = None, metric: str = "inference_cost", filters=()) -> DriverReport:
    filters = tuple(filters) + ((Filter("environment", (case,)),) if case else ())
    return decompose(executor, metric, WEEK, settings=executor.settings, filters=filters)


def factors(report: DriverReport) -> dict[str, float]:
    return {f.factor: f.impact_usd for f in report.factors}


def drivers(report: DriverReport, dimension: str) -> dict[str, tuple[str, float]]:
    return {d.value: (d.factor, d.impact_usd) for d in report.drivers if d.dimension == dimension}


def assert_exact(report: DriverReport) -> None:
    assert sum(factors(report).values()) == pytest.approx(report.change_usd, abs=1e-6)
    assert report.change_usd == pytest.approx(report.total_after - report.total_before, abs=1e-9)
    for dimension in {d.dimension for d in report.drivers}:
        assert sum(v for _, v in drivers(report, dimension).values()) == pytest.approx(report.change_usd, abs=1e-6)


def only(report: DriverReport, factor: str, amount: float) -> None:
    """All of the change, and nothing else, in `factor`."""
    assert report.change_usd == pytest.approx(amount, abs=1e-6)
    assert factors(report)[factor] == pytest.approx(amount, abs=1e-6)
    assert all(abs(v) < 1e-6 for f, v in factors(report).items() if f != factor), factors(report)


def test_only_volume_doubles(cases):
    report = explain(cases, "volume")
    only(report, "volume", 10 * A_COST + 5 * B_COST)
    assert drivers(report, "feature") == {"B": ("volume", pytest.approx(5 * B_COST)), "A": ("volume", pytest.approx(10 * A_COST))}
    assert [d.value for d in report.drivers if d.dimension == "feature"] == ["B", "A"]  # ranked by impact
    assert_exact(report)


def test_only_prompt_size_grows_for_one_feature(cases):
    report = explain(cases, "prompt")
    grown = 10 * (cost("small", 500_000, 20_000, 50_000) - cost("small", 200_000, 20_000, 20_000))
    only(report, "tokens_per_request", grown)  # the cached share stayed 10%: no cache effect
    assert drivers(report, "feature")["A"] == ("tokens_per_request", pytest.approx(grown))
    assert "B" not in drivers(report, "feature")
    assert report.drivers[0].detail == "prompts 2.5x longer (200.0k -> 500.0k tokens)"
    assert_exact(report)


@pytest.mark.parametrize("case, moved", [("move-all", 10), ("move-half", 5)])
def test_feature_moving_to_an_expensive_model_is_model_mix(cases, case, moved):
    report = explain(cases, case)
    only(report, "model_mix", moved * (LARGE_A - A_COST))
    assert drivers(report, "feature")["A"] == ("model_mix", pytest.approx(moved * (LARGE_A - A_COST)))
    assert drivers(report, "model")["large"] == ("model_mix", pytest.approx(moved * LARGE_A))
    assert report.drivers[0].detail.startswith("moved from small to large (small to large tier)")
    assert_exact(report)


def test_a_price_change_only_is_price(cases):
    report = explain(cases, "price")
    only(report, "price", 10 * A_COST)
    assert drivers(report, "feature") == {"A": ("price", pytest.approx(10 * A_COST))}
    assert report.drivers[0].detail == "price per 1M tokens: input $1.00 -> $2.00, output $4.00 -> $8.00"
    assert_exact(report)


def test_cache_share_only(cases):
    only(explain(cases, "cache"), "cache_share", 10 * (cost("small", 200_000, 20_000, 100_000) - A_COST))


def test_new_and_removed_features(cases):
    report = explain(cases, "new")
    assert report.change_usd == pytest.approx(4 * A_COST - 5 * B_COST)
    by_feature = drivers(report, "feature")
    assert by_feature["C"] == ("new", pytest.approx(4 * A_COST))
    assert by_feature["B"] == ("removed", pytest.approx(-5 * B_COST))
    assert abs(by_feature.pop("A", ("", 0.0))[1]) < 1e-9  # its volume and its share of requests cancel
    assert factors(report)["new"] == pytest.approx(4 * A_COST)
    assert factors(report)["removed"] == pytest.approx(-5 * B_COST)
    assert drivers(report, "team")["gamma"] == ("new", pytest.approx(4 * A_COST))
    assert_exact(report)


def test_retries_are_reported_beside_the_split_not_added(cases):
    report = explain(cases, "retries")
    assert report.change_usd == pytest.approx(3 * A_COST)
    info = {f.factor: f.impact_usd for f in report.informational}
    assert info == {"retries": pytest.approx(3 * A_COST), "errors": pytest.approx(3 * A_COST)}
    assert_exact(report)  # the factors alone add up to the change: retries are inside them


def test_filters_restrict_the_rows(cases):
    report = explain(cases, "volume", filters=(Filter("feature", ("A",)),))
    only(report, "volume", 10 * A_COST)
    assert set(drivers(report, "feature")) == {"A"}


def test_narration_gives_the_change_first_then_the_drivers(cases):
    text = narrate_drivers(explain(cases, "narrate"))
    total = 10 * 300_000 / 1e6
    pct = total / (10 * A_COST + 5 * B_COST) * 100
    assert text.startswith(f"Inference cost rose {pct:.1f}% (+${total:,.2f}) last week (2026-03-09 to 2026-03-15)")
    assert "A: +$3.00, prompts 2.5x longer (200.0k -> 500.0k tokens)" in text
    assert "None" not in text


def test_report_json_matches_the_answer_contract(cases):
    report = explain(cases, "volume")
    item = report.drivers_json()[0]
    assert {"dimension", "value", "factor", "impact_usd"} <= set(item) <= {"dimension", "value", "factor", "impact_usd", "detail"}
    assert (item["dimension"], item["value"], item["factor"]) == ("feature", "B", "volume")
    json.dumps(report.to_json())


@pytest.mark.parametrize("case", sorted(RANDOM))
def test_random_traffic_splits_exactly(cases, case):
    report = explain(cases, case)
    assert report.change_usd == pytest.approx(RANDOM[case][1], abs=1e-6)
    assert_exact(report)


def test_cloud_cost_splits_into_usage_price_and_fees(cases):
    report = explain(cases, metric="cost")
    assert report.change_usd == pytest.approx(7 * (20 + 5 + 1))
    assert factors(report) == {"usage_quantity": pytest.approx(140.0), "price": pytest.approx(35.0),
                               "fees_and_credits": pytest.approx(7.0)}
    assert drivers(report, "service")["Compute"] == ("usage_quantity", pytest.approx(140.0))
    assert drivers(report, "service")["Search"] == ("price", pytest.approx(35.0))
    assert_exact(report)


def test_gpu_cost_splits_into_idle_and_used_capacity(cases):
    report = explain(cases, metric="gpu_cost")
    assert report.change_usd == pytest.approx(70.0)
    assert factors(report) == {"idle_capacity": pytest.approx(7 * (6.0 + 10.0)), "used_capacity": pytest.approx(-7 * 6.0)}
    assert drivers(report, "cluster")["batch"] == ("idle_capacity", pytest.approx(70.0))
    assert drivers(report, "deployment")["(unallocated)"] == ("idle_capacity", pytest.approx(70.0))
    assert_exact(report)


# ---------------------------------------------------------------- the index itself


def test_log_mean_and_lmdi_on_hand_cases():
    assert log_mean(2.0, 2.0) == 2.0
    assert log_mean(4.0, 1.0) == pytest.approx(3 / __import__("math").log(4))
    assert lmdi((10.0, 1.0), (20.0, 1.0)) == pytest.approx([10.0, 0.0])
    assert lmdi((2.0, 3.0), (0.0, 3.0)) == pytest.approx([-6.0, 0.0])  # a factor going to zero takes it all
    assert lmdi((None, 0.0), (5.0, 2.0)) == pytest.approx([0.0, 10.0])  # undefined before: takes the after value
    assert sum(lmdi((2.0, -3.0), (4.0, -1.0))) == pytest.approx(-4.0 + 6.0)  # a negative price factor


@st.composite
def traffic(draw):
    rows = []
    for after in (False, True):
        for feature in "AB":
            for model in PRICES:
                n = draw(st.integers(0, 2))
                tokens = draw(st.integers(0, 400_000))
                rows += requests(after, feature, model, n, tokens, draw(st.integers(0, 50_000)),
                                 draw(st.integers(0, tokens)))
    return rows


@hypothesis_settings(max_examples=4, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(traffic(), st.floats(0.5, 3.0))
def test_hypothesis_traffic_splits_exactly(rows, noise):
    for row in rows:  # logged costs need not match list prices
        row["cost_usd"] *= noise if row["request_id"].startswith("1") else 1.0
    change = sum(r["cost_usd"] * (1 if r["request_id"].startswith("1") else -1) for r in rows)
    with tempfile.TemporaryDirectory() as folder, load(Path(folder), rows) as executor:
        report = explain(executor)
    assert report.change_usd == pytest.approx(change, abs=1e-6)
    assert_exact(report)


# ---------------------------------------------------------------- a generated warehouse


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    from warehouse.demo import generate_demo

    root = tmp_path_factory.mktemp("drivers-demo")
    generate_demo(root / "data", days=60, rows=200_000, seed=11, end=date(2026, 7, 1))
    settings = make_settings(root / "home", query_timeout_s=30, max_rows=10_000, memory_limit="1GB", threads=2)
    assert not ingest([root / "data"], settings).refused
    incidents = {i["id"]: i for i in json.loads((root / "data" / "incidents.json").read_text())["incidents"]}
    with Executor(settings) as executor:
        yield executor, incidents


def test_prompt_growth_is_the_top_driver_of_the_last_week(demo):
    executor, incidents = demo
    growth = incidents["prompt_growth"]
    start = date.fromisoformat(growth["start"])
    week = Window("last week", start, start + timedelta(days=7), start - timedelta(days=7), start)
    report = decompose(executor, growth["metric"], week, settings=executor.settings)
    top = next(d for d in report.drivers if d.dimension == growth["dimension"])
    assert (top.value, top.factor) == (growth["value"], growth["factor"])
    direct = executor.query(
        f"SELECT SUM(cost_usd) FILTER (WHERE ts >= '{start}' AND ts < '{start + timedelta(days=7)}') "
        f"- SUM(cost_usd) FILTER (WHERE ts >= '{start - timedelta(days=7)}' AND ts < '{start}') FROM llm_requests"
    ).rows[0][0]
    assert report.change_usd == pytest.approx(direct, abs=1e-6)
    assert_exact(report)
    switch = incidents["model_switch"]
    if week.compare_start <= date.fromisoformat(switch["start"]) < week.end:
        assert drivers(report, "feature")[switch["value"]][0] == switch["factor"]


# ---------------------------------------------------------------- one pass against request-by-request SQL

# Independent of drivers.py: every request priced on its own (ASOF join per request), summed per cell and window.
PER_REQUEST = """
SELECT r.team, r.feature, r.provider, r.model, r.ts >= TIMESTAMP '{start}' AS after, count(*) AS requests,
       sum(coalesce(r.input_tokens, 0)) AS input, sum(least(greatest(coalesce(r.cached_input_tokens, 0), 0),
       coalesce(r.input_tokens, 0))) AS cached, sum(coalesce(r.output_tokens, 0)) AS output,
       sum(coalesce(r.cost_usd, 0)) AS cost, sum(coalesce(r.cost_usd, 0)) FILTER (WHERE r.attempt > 1) AS retry,
       sum((coalesce(r.input_tokens, 0) - least(greatest(coalesce(r.cached_input_tokens, 0), 0), coalesce(r.input_tokens, 0)))
           * coalesce(CASE WHEN p.valid_to IS NULL OR r.ts < p.valid_to THEN p.input_usd_per_mtok END, 1.0)) AS w_uncached,
       sum(least(greatest(coalesce(r.cached_input_tokens, 0), 0), coalesce(r.input_tokens, 0))
           * coalesce(CASE WHEN p.valid_to IS NULL OR r.ts < p.valid_to
                           THEN coalesce(p.cached_input_usd_per_mtok, p.input_usd_per_mtok) END, 0.5)) AS w_cached,
       sum(coalesce(r.output_tokens, 0)
           * coalesce(CASE WHEN p.valid_to IS NULL OR r.ts < p.valid_to THEN p.output_usd_per_mtok END, 4.0)) AS w_output
FROM llm_requests AS r ASOF LEFT JOIN model_prices AS p
  ON lower(r.provider) = lower(p.provider) AND lower(r.model) = lower(p.model) AND r.ts >= p.valid_from
WHERE r.ts >= TIMESTAMP '{cstart}' AND r.ts < TIMESTAMP '{end}' {where}
GROUP BY ALL
"""
DAILY = """
SELECT feature, model, CAST(ts AS DATE) AS day, count(*) FROM llm_requests
WHERE ts >= TIMESTAMP '{cstart}' AND ts < TIMESTAMP '{end}' {where} GROUP BY ALL
"""
MEASURES = ("requests", "input", "cached", "output", "cost", "retry", "w_uncached", "w_cached", "w_output")


def one_pass_against_per_request(executor: Executor, window: Window, environment: str | None) -> None:
    from assistant.analysis.drivers import _inference_rows
    from assistant.semantic import load_semantic_model

    filters = (Filter("environment", (environment,)),) if environment else ()
    cells, daily = _inference_rows(executor, window, executor.settings, None, filters, load_semantic_model())
    got = {(tuple(c["keys"][k] for k in ("team", "feature", "provider", "model")), i): c[i]
           for c in cells for i in (0, 1)}
    sql = {"start": window.start, "end": window.end, "cstart": window.compare_start,
           "where": f"AND environment = '{environment}'" if environment else ""}
    expected = executor.query(PER_REQUEST.format(**sql))
    assert expected.rows
    for row in expected.rows:
        want = dict(zip(expected.columns, row))
        have = got.pop((tuple(want[k] for k in ("team", "feature", "provider", "model")), int(want["after"])))
        for name in MEASURES:
            assert have[name] == pytest.approx(float(want[name] or 0), rel=1e-9, abs=1e-9), name
    assert all(not m["requests"] for m in got.values())  # a cell's other window, when it had no requests
    counts = {(f, m, d): n for f, by_model in daily.items() for m, by_day in by_model.items() for d, n in by_day.items()}
    assert counts == {(f, m, d): n for f, m, d, n in executor.query(DAILY.format(**sql)).rows}


@pytest.mark.parametrize("case", ["price", "price-noon", "move-half", "retries", "cache", "random-3", "random-7"])
def test_one_pass_equals_pricing_every_request(cases, case):
    """Segments priced once give what pricing every request gives, a price change inside a day included."""
    one_pass_against_per_request(cases, WEEK, case)


def test_one_pass_equals_pricing_every_request_on_the_demo(demo):
    executor, incidents = demo
    switch = date.fromisoformat(incidents["model_switch"]["start"])
    one_pass_against_per_request(executor, Window("w", switch, switch + timedelta(days=7),
                                                  switch - timedelta(days=7), switch), None)


def test_the_day_a_feature_moved_models_is_named(demo):
    executor, incidents = demo
    switch = incidents["model_switch"]
    start = date.fromisoformat(switch["start"])
    first = start - timedelta(days=3)  # the switch inside the later week
    report = decompose(executor, "inference_cost", Window("w", first, first + timedelta(days=7),
                                                          first - timedelta(days=7), first), settings=executor.settings)
    detail = next(d.detail for d in report.drivers if d.dimension == "feature" and d.value == switch["value"])
    assert detail.startswith("moved from") and detail.endswith(f"on {start:%b} {start.day}"), detail


SPLITS = {  # filters on the demo; the windows: the switch week and two weeks of three days
    "all": (), "feature": (Filter("feature", ("summarize",)),), "team": (Filter("team", ("docs-ai",)),),
    "not a model": (Filter("model", ("gpt-4o",), negate=True),),
}


@pytest.mark.parametrize("name", sorted(SPLITS))
def test_splits_from_segments_read_once_equal_their_own_query(demo, name):
    """Anomaly causes split many windows from one `read_segments` pass: the same reports as one query each."""
    from assistant.analysis.drivers import read_segments

    executor, incidents = demo
    start = date.fromisoformat(incidents["model_switch"]["start"])
    windows = [Window("w", start, start + timedelta(days=7), start - timedelta(days=7), start),
               Window("w", start + timedelta(days=1), start + timedelta(days=4), start - timedelta(days=6), start - timedelta(days=3))]
    segments = read_segments(executor, start - timedelta(days=7), start + timedelta(days=7), settings=executor.settings)
    assert segments is not None and segments.rows
    for window in windows:
        alone = decompose(executor, "inference_cost", window, settings=executor.settings, filters=SPLITS[name])
        shared = decompose(executor, "inference_cost", window, settings=executor.settings, filters=SPLITS[name],
                           segments=segments)
        assert alone.change_usd != 0
        assert (shared.total_before, shared.total_after) == pytest.approx((alone.total_before, alone.total_after), rel=1e-9)
        assert factors(shared) == pytest.approx(factors(alone), rel=1e-6, abs=1e-6)
        assert [(d.dimension, d.value, d.factor, d.detail) for d in shared.drivers] == \
            [(d.dimension, d.value, d.factor, d.detail) for d in alone.drivers]
        assert [d.impact_usd for d in shared.drivers] == pytest.approx([d.impact_usd for d in alone.drivers], rel=1e-6, abs=1e-6)
