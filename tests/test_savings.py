"""Savings finder: each kind of leak on a hand-built warehouse, its dollars computed by hand."""

from __future__ import annotations

import json
from datetime import date, datetime, timedelta
from pathlib import Path

import pytest

from assistant.analysis.savings import (
    _CACHING,
    ROUTING_MAX_MEDIAN_INPUT_TOKENS,
    Saving,
    bind,
    find_savings,
    narrate_savings,
    savings_table,
)
from assistant.query.window import Window
from tests.conftest import make_settings, normalized
from tests.tiny_data import write_table
from warehouse.demo.schema import TABLES, arrow_schema
from warehouse.executor import Executor
from warehouse.ingest import ingest

AS_OF = date(2026, 11, 11)  # default window: 2026-10-12 .. 2026-11-10, 30 days
DAY = datetime(2026, 11, 5)
OPEN = datetime(2026, 1, 1)


def price(provider, model, tier, input_, cached, output):
    return {"provider": provider, "model": model, "tier": tier, "input_usd_per_mtok": input_,
            "cached_input_usd_per_mtok": cached, "output_usd_per_mtok": output, "valid_from": OPEN, "valid_to": None}


PRICES = [
    price("openai", "gpt-big", "large", 10.0, 5.0, 30.0),
    price("openai", "gpt-small", "small", 0.5, 0.25, 1.5),
    price("openai", "gpt-tiny", "small", 0.2, None, 2.0),
    price("openai", "embed-small", "small", 0.02, None, 0.0),  # an embedding model: cannot answer a chat
    price("anthropic", "claude-large", "large", 3.0, 0.3, 15.0),
    # an old, closed price of gpt-tiny that must not be used
    {**price("openai", "gpt-tiny", "small", 0.01, None, 0.01), "valid_to": datetime(2026, 6, 1)},
]

_ids = iter(range(1_000_000))


def request(ts, feature, provider, model, input_tokens, output_tokens, cost, *, team="apps", cached=0,
            status="ok", attempt=1, prompt_hash=None):
    n = next(_ids)
    return {"request_id": f"r{n}", "ts": ts, "provider": provider, "model": model, "operation": "chat",
            "feature": feature, "team": team, "user_id": "u1", "environment": "prod",
            "input_tokens": input_tokens, "cached_input_tokens": cached, "output_tokens": output_tokens,
            "latency_ms": 100.0, "status": status, "attempt": attempt,
            "prompt_hash": prompt_hash or f"unique-{n}", "cost_usd": cost}


def requests() -> list[dict]:
    rows = []
    # routing: 10 short calls to a large model, 1000 tokens in, 100 out, $0.013 each as logged
    rows += [request(DAY + timedelta(minutes=i), "tagline", "openai", "gpt-big", 1000, 100, 0.013) for i in range(10)]
    # no routing: long prompts on the same large model
    rows += [request(DAY, "report", "openai", "gpt-big", 5000, 100, 0.053) for _ in range(3)]
    # caching: claude-large, hash p1 five times on Nov 6 (4 repeats), three times on Nov 7 (2 repeats)
    nov6, nov7 = datetime(2026, 11, 6, 9), datetime(2026, 11, 7, 9)
    rows += [request(nov6 + timedelta(minutes=i), "faq", "anthropic", "claude-large", 3000, 50, 0.01, team="cx",
                     prompt_hash="p1") for i in range(5)]
    rows += [request(nov7 + timedelta(minutes=i), "faq", "anthropic", "claude-large", 3000, 50, 0.01, team="cx",
                     prompt_hash="p1", cached=1000 if i == 2 else 0) for i in range(3)]
    rows.append(request(nov7, "faq", "anthropic", "claude-large", 3000, 50, 0.01, team="cx", prompt_hash="p2"))
    # retries and failures on a small model
    rows += [
        request(DAY, "agent", "openai", "gpt-small", 100, 10, 0.5),
        request(DAY, "agent", "openai", "gpt-small", 100, 10, 0.2, status="error"),
        request(DAY, "agent", "openai", "gpt-small", 100, 10, 0.5, attempt=2),
        request(DAY, "agent", "openai", "gpt-small", 100, 10, 0.0, status="rate_limited", attempt=3),
        request(DAY, "agent", "openai", "gpt-small", 100, 10, 0.3, status="timeout", attempt=2),
    ]
    # outside the window: must not count
    rows.append(request(datetime(2026, 10, 1), "agent", "openai", "gpt-small", 100, 10, 99.0, status="error"))
    return rows


def gpu_rows() -> list[dict]:
    rows = []
    for hour in range(24):
        ts = datetime(2026, 11, 1) + timedelta(hours=hour)
        base = {"hour": ts, "cluster": "c1", "gpu_type": "H100", "gpu_count": 8, "team": "platform", "gpu_mem_util_pct": 50.0}
        rows.append(base | {"node_id": "n-idle", "deployment": "d1", "cost_usd": 10.0, "gpu_util_pct": 5.0})
        rows.append(base | {"node_id": "n-busy", "deployment": "d2", "cost_usd": 10.0, "gpu_util_pct": 80.0})
        rows.append(base | {"node_id": "n-edge", "deployment": "d3", "cost_usd": 10.0, "gpu_util_pct": 25.0})
        if hour < 10:
            rows.append(base | {"node_id": "n-free", "deployment": None, "cost_usd": 2.0, "gpu_util_pct": 0.0})
    return rows


def billing_line(service, cost, tags, category="Usage"):
    return {
        "BilledCost": cost, "EffectiveCost": cost, "ListCost": cost, "ContractedCost": cost,
        "BillingAccountId": "a1", "BillingAccountName": "Acme", "BillingCurrency": "USD",
        "BillingPeriodStart": datetime(2026, 11, 1), "BillingPeriodEnd": datetime(2026, 12, 1),
        "ChargePeriodStart": DAY, "ChargePeriodEnd": DAY + timedelta(days=1),
        "ChargeCategory": category, "ChargeClass": None, "ChargeDescription": service,
        "InvoiceIssuerName": "AWS", "ProviderName": "AWS", "PublisherName": "AWS",
        "ServiceCategory": "Compute", "ServiceName": service, "PricingQuantity": 1.0, "PricingUnit": "Hours",
        "Tags": tags,
    }


def billing_rows() -> list[dict]:
    return [
        billing_line("Amazon CloudWatch", 40.0, None),
        billing_line("Amazon CloudWatch", 10.0, [("environment", "prod")]),
        billing_line("Amazon S3", 7.0, [("team", "")]),
        billing_line("Amazon EC2", 100.0, [("team", "cx")]),
        billing_line("Tax", 5.0, None, category="Tax"),
    ]


def budget(scope, value, ceiling, amount=1000.0, metric="inference_cost"):
    return {"scope": scope, "scope_value": value, "metric": metric, "period": "month",
            "amount_usd": amount, "max_cost_per_request_usd": ceiling}


BUDGETS = [
    budget("feature", "tagline", 0.005),  # actual $0.013 per request on 10 requests
    budget("feature", "agent", 10.0),  # far above the actual
    budget("team", "apps", None),
]


def load(root: Path, **tables) -> tuple[Executor, object]:
    for name, rows in tables.items():
        write_table(rows, root / "data" / name / f"{name}.parquet", arrow_schema(TABLES[name]))
    settings = make_settings(root / "home", query_timeout_s=10, max_rows=1000, memory_limit="1GB", threads=2)
    report = ingest([root / "data"], settings)
    assert not report.refused, report.refused
    return Executor(settings), settings


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory):
    executor, settings = load(
        tmp_path_factory.mktemp("savings"), model_prices=PRICES, llm_requests=requests(), gpu_usage=gpu_rows(),
        billing=billing_rows(), budgets=BUDGETS,
    )
    with executor:
        yield executor, settings


@pytest.fixture(scope="module")
def found(warehouse):
    executor, settings = warehouse
    return find_savings(executor, settings, as_of=AS_OF)


def only(found, kind, value) -> Saving:
    [saving] = [s for s in found if s.kind == kind and s.value == value]
    return saving


def test_routing_reprices_short_calls_at_the_cheapest_small_chat_model(found):
    saving = only(found, "routing", "tagline")
    # gpt-small: 10 * (1000 * 0.5 + 100 * 1.5) / 1e6 = 0.0065; gpt-tiny: 10 * (1000 * 0.2 + 100 * 2.0) / 1e6 = 0.004
    # (embed-small would be cheaper but charges nothing for output: an embedding model)
    assert saving.evidence["small_model"] == "gpt-tiny"
    assert saving.monthly_usd == pytest.approx(10 * 0.013 - 0.004)
    assert saving.dimension == "feature"
    assert not [s for s in found if s.kind == "routing" and s.value in ("report", "faq", "agent")]
    assert ROUTING_MAX_MEDIAN_INPUT_TOKENS == 2000


def test_prompt_caching_prices_uncached_input_of_same_day_repeats(found):
    saving = only(found, "prompt_caching", "faq")
    # repeats: 4 on Nov 6, 2 on Nov 7 (one of which already had 1000 cached tokens)
    tokens = 4 * 3000 + 3000 + 2000
    assert saving.evidence["repeats"] == 6
    assert saving.evidence["repeat_uncached_input_tokens"] == tokens
    assert saving.evidence["repeat_share"] == pytest.approx(6 / 9)
    assert saving.monthly_usd == pytest.approx(tokens * (3.0 - 0.3) / 1e6)
    assert [s.value for s in found if s.kind == "prompt_caching"] == ["faq"]


def test_retry_waste_is_the_cost_of_retries_and_failures(found):
    saving = only(found, "retry_waste", "agent")
    assert saving.monthly_usd == pytest.approx(0.2 + 0.5 + 0.0 + 0.3)
    assert (saving.evidence["retries"], saving.evidence["failures"]) == (3, 3)
    assert [s.value for s in found if s.kind == "retry_waste"] == ["agent"]


def test_idle_and_unallocated_gpus(found, warehouse):
    idle = only(found, "idle_gpu", "n-idle")
    assert idle.monthly_usd == pytest.approx(24 * 10.0 * 0.95)
    assert idle.evidence["deployment"] == "d1"
    free = only(found, "unallocated_gpu", "n-free")
    assert free.monthly_usd == pytest.approx(10 * 2.0)
    gpu_nodes = {s.value for s in found if s.kind in ("idle_gpu", "unallocated_gpu")}
    assert gpu_nodes == {"n-idle", "n-free"}  # 80% and 25% are above the 20% line
    # a 10-day window: the same idle dollars scaled to 30 days
    executor, settings = warehouse
    ten_days = Window("ten days", date(2026, 11, 1), AS_OF)
    scaled = only(find_savings(executor, settings, as_of=AS_OF, window=ten_days), "idle_gpu", "n-idle")
    assert scaled.monthly_usd == pytest.approx(24 * 10.0 * 0.95 * 30 / 10)
    stricter = only(find_savings(executor, settings.model_copy(update={"idle_gpu_util_pct": 30.0}), as_of=AS_OF),
                    "idle_gpu", "n-edge")
    assert stricter.monthly_usd == pytest.approx(24 * 10.0 * 0.75)


def test_untagged_spend_by_service_usage_only(found):
    untagged = {s.value: s.monthly_usd for s in found if s.kind == "untagged_spend"}
    assert untagged == {"Amazon CloudWatch": pytest.approx(50.0), "Amazon S3": pytest.approx(7.0)}


def test_unit_cost_ceiling_excess(found):
    saving = only(found, "unit_cost_ceiling", "tagline")
    assert saving.dimension == "feature"
    assert saving.monthly_usd == pytest.approx((0.013 - 0.005) * 10)
    assert [s.value for s in found if s.kind == "unit_cost_ceiling"] == ["tagline"]


def test_order_narration_and_table(found):
    kinds = [s.kind for s in found]
    assert kinds[-2:] == ["untagged_spend", "untagged_spend"]  # attribution after savings
    dollars = [s.monthly_usd for s in found if s.kind != "untagged_spend"]
    assert dollars == sorted(dollars, reverse=True)
    text = narrate_savings(found)
    total = sum(dollars)
    assert text.splitlines()[0].startswith(f"**About ${total:,.2f} per month**")
    assert "$57.00 per month of cloud spend has no team tag" in text
    assert len(text.splitlines()) == 1 + len(found)
    columns, rows = savings_table(found)
    assert columns[:4] == ["kind", "dimension", "value", "monthly_usd"]
    assert len(rows) == len(found) and json.dumps(rows)


def test_row_scope_limits_every_finder(warehouse):
    executor, settings = warehouse
    scoped = find_savings(executor, settings, as_of=AS_OF, scope="team=cx")
    assert {(s.kind, s.value) for s in scoped} == {("prompt_caching", "faq")}


def test_templates_take_values_only_as_literals():
    sql = bind("SELECT 1 FROM llm_requests WHERE feature = :f", f="x' OR 1=1 --")
    assert sql == "SELECT 1 FROM llm_requests WHERE feature = 'x'' OR 1=1 --'"


DEMO_HOME = Path("/tmp/demo-home")


@pytest.mark.skipif(not (DEMO_HOME / "demo-data" / "incidents.json").exists(), reason="no demo warehouse")
def test_demo_savings_find_the_planted_idle_gpus_and_unit_cost_breach():
    incidents = {i["id"]: i for i in json.loads((DEMO_HOME / "demo-data" / "incidents.json").read_text())["incidents"]}
    settings = make_settings(DEMO_HOME)
    with Executor(settings) as executor:
        found = find_savings(executor, settings, as_of=date(2026, 11, 23))
    idle = [s for s in found if s.kind in ("idle_gpu", "unallocated_gpu")]
    assert incidents["idle_gpu"]["value"] in {s.evidence["cluster"] for s in idle}
    named = {s.value for s in idle}
    assert {"batch-a100-02", "batch-l4-04", "prod-h100-02"} <= named
    assert all(node in incidents["idle_gpu"]["description"] for node in named)
    assert any(s.kind == "unit_cost_ceiling" and s.value == "document-analysis" for s in found)
    assert found[0].kind in ("idle_gpu", "unallocated_gpu")


# The caching finder's figures by the definition itself, written independently of the finder: a window numbering
# every request of the (UTC day, prompt_hash) by time over the whole window, then priced at its time.
_REPEATS_BY_DEFINITION = """
WITH seen AS (
  SELECT *, row_number() OVER (PARTITION BY date_trunc('day', ts), prompt_hash ORDER BY ts, request_id) > 1 AS is_repeat
  FROM llm_requests WHERE ts >= TIMESTAMP '{start}' AND ts < TIMESTAMP '{end}' AND prompt_hash IS NOT NULL
)
SELECT r.feature, r.model, count(*), count_if(r.is_repeat),
       sum(r.input_tokens - coalesce(r.cached_input_tokens, 0) - coalesce(r.cache_write_input_tokens, 0)) FILTER (WHERE r.is_repeat),
       sum((r.input_tokens - coalesce(r.cached_input_tokens, 0) - coalesce(r.cache_write_input_tokens, 0))
           * (p.input_usd_per_mtok - coalesce(p.cached_input_usd_per_mtok, p.input_usd_per_mtok)) / 1e6) FILTER (WHERE r.is_repeat),
       min(p.input_usd_per_mtok), min(coalesce(p.cached_input_usd_per_mtok, p.input_usd_per_mtok))
FROM seen AS r
JOIN model_prices AS p ON lower(p.provider) = lower(r.provider) AND lower(p.model) = lower(r.model)
  AND p.valid_from <= r.ts AND (p.valid_to IS NULL OR r.ts < p.valid_to)
WHERE coalesce(p.cached_input_usd_per_mtok, p.input_usd_per_mtok) < p.input_usd_per_mtok
GROUP BY r.feature, r.model
"""


@pytest.mark.parametrize("warehouse_name, start, end, scope", [
    ("tiny", date(2026, 10, 1), date(2026, 11, 1), None),  # h0..h49 sent again and again by several features
    ("tiny", date(2026, 10, 3), date(2026, 10, 9), None),  # a window cutting days off: firsts counted in it only
    ("tiny", date(2026, 10, 1), date(2026, 11, 1), "team=cx"),  # a scope: repeats among the team's requests
    ("savings", date(2026, 10, 12), date(2026, 11, 11), None),
])
def test_caching_pass_matches_the_repeat_definition(request, warehouse_name, start, end, scope):
    executor = request.getfixturevalue("executor") if warehouse_name == "tiny" else request.getfixturevalue("warehouse")[0]
    found = executor.run_sql(bind(_CACHING, start=start, end=end, now=end), scope=scope)
    expected = executor.run_sql(_REPEATS_BY_DEFINITION.format(start=start, end=end), scope=scope)
    assert expected.rows and any(row[3] for row in expected.rows)  # the case has repeats to find
    assert normalized(found.rows) == normalized(expected.rows)
