"""Reconciliation, tracked vs billed: a hand-built October with planted gaps, every figure against hand-written SQL.

The planted month (2026-10-01 to 2026-10-31, as_of 2026-11-01):

- openai gpt-4o, 2 requests a day: 10,000 input tokens of which 4,000 cached, 1,000 output. At
  model_prices ($2.50 / $1.25 cached / $10 per M) one costs $0.03, but the logs price the cached
  tokens at the full input rate: $0.035 logged. One acme-internal-llm request (Oct 20) has no price.
- anthropic claude-haiku-4, 2 requests a day at $0.024, logged right, except that the logs of
  2026-10-14 are missing.
- billing: OpenAI and Anthropic invoice lines per day at the true cost, an o3 line (Oct 3) the logs
  never saw, and lines that are no LLM provider's (EC2, a tax line).
- with `vendor_usage`: OpenAI's cost report, $0.062 a day for gpt-4o, plus o3 and the internal model.
"""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import date, datetime, timedelta
from pathlib import Path

import pytest

from assistant.analysis.overview import build_overview
from assistant.analysis.reconciliation import (
    RECONCILIATION_COLUMNS,
    RECONCILIATION_QUESTION,
    _billed_provider,
    answer_reconciliation,
    last_month,
    narrate_reconciliation,
    reconcile,
    summarize_reconciliation,
)
from assistant.answer import AskContext
from assistant.query.plan import QueryPlan
from assistant.query.window import Window
from tests.conftest import make_settings
from tests.tiny_data import write_table
from warehouse.demo.schema import TABLES, arrow_schema
from warehouse.executor import Executor
from warehouse.ingest import ingest

AS_OF = date(2026, 11, 1)
OCTOBER = Window("last month", date(2026, 10, 1), date(2026, 11, 1))
IN_OCTOBER = "{} >= TIMESTAMP '2026-10-01' AND {} < TIMESTAMP '2026-11-01'"
MISSING_DAY = date(2026, 10, 14)
OPEN = datetime(2026, 1, 1)
ROOT = Path(__file__).resolve().parent.parent

PRICES = [
    {"provider": "openai", "model": "gpt-4o", "tier": "large", "input_usd_per_mtok": 2.5, "cached_input_usd_per_mtok": 1.25,
     "output_usd_per_mtok": 10.0, "valid_from": OPEN, "valid_to": None},
    {"provider": "anthropic", "model": "claude-haiku-4", "tier": "small", "input_usd_per_mtok": 0.8,
     "cached_input_usd_per_mtok": 0.08, "output_usd_per_mtok": 4.0, "valid_from": OPEN, "valid_to": None},
]


def october() -> list[datetime]:
    return [datetime(2026, 10, 1) + timedelta(days=i) for i in range(31)]


def request(n: int, ts: datetime, provider: str, model: str, tokens: tuple[int, int, int], cost: float | None) -> dict:
    input_tokens, cached, output = tokens
    return {"request_id": f"r{n}", "ts": ts, "provider": provider, "model": model, "operation": "chat",
            "feature": "chat", "team": "apps", "user_id": "u1", "environment": "prod", "input_tokens": input_tokens,
            "cached_input_tokens": cached, "output_tokens": output, "latency_ms": 100.0, "status": "ok", "attempt": 1,
            "prompt_hash": f"p{n}", "cost_usd": cost}


def requests() -> list[dict]:
    rows = []
    for day in october():
        for hour in (9, 15):
            rows.append(request(len(rows), day + timedelta(hours=hour), "openai", "gpt-4o", (10_000, 4_000, 1_000), 0.035))
            if day.date() != MISSING_DAY:
                rows.append(request(len(rows), day + timedelta(hours=hour), "anthropic", "claude-haiku-4",
                                    (20_000, 0, 2_000), 0.024))
    rows.append(request(len(rows), datetime(2026, 10, 20, 12), "openai", "acme-internal-llm", (500, 0, 100), None))
    rows.append(request(len(rows), datetime(2026, 9, 30, 12), "openai", "gpt-4o", (10_000, 4_000, 1_000), 0.035))
    return rows


def line(day: datetime, provider: str, service: str, cost: float, model: str | None = None, category: str = "Usage") -> dict:
    return {"BilledCost": cost, "EffectiveCost": cost, "ListCost": cost, "ContractedCost": cost,
            "BillingAccountId": "a1", "BillingAccountName": "Acme", "BillingCurrency": "USD",
            "BillingPeriodStart": datetime(2026, 10, 1), "BillingPeriodEnd": datetime(2026, 11, 1),
            "ChargePeriodStart": day, "ChargePeriodEnd": day + timedelta(days=1), "ChargeCategory": category,
            "ChargeClass": None, "ChargeDescription": service, "InvoiceIssuerName": provider, "ProviderName": provider,
            "PublisherName": provider, "ServiceCategory": "AI and Machine Learning", "ServiceName": service,
            "PricingQuantity": 1.0, "PricingUnit": "1M tokens", "Tags": [("model", model)] if model else None}


def invoice(ai: bool = True) -> list[dict]:
    rows = []
    for day in october():
        rows.append(line(day, "AWS", "Amazon Elastic Compute Cloud", 100.0))
        if ai:
            rows.append(line(day, "OpenAI", "OpenAI API", 0.06, "gpt-4o"))
            rows.append(line(day, "Anthropic", "Claude API", 0.048, "claude-haiku-4"))
    if ai:
        rows.append(line(datetime(2026, 10, 3), "OpenAI", "OpenAI API", 0.5, "o3"))
        rows.append(line(datetime(2026, 10, 20), "OpenAI", "OpenAI API", 0.01, "acme-internal-llm"))
        rows.append(line(datetime(2026, 10, 31), "OpenAI", "OpenAI API", 0.3, category="Tax"))
    return rows


def cost_report() -> list[dict]:
    def row(day: datetime, model: str, cost: float) -> dict:
        return {"period_start": day, "period_end": day + timedelta(days=1), "provider": "openai", "source": "openai-costs",
                "row_key": f"{day:%m%d}-{model}", "model": model, "project": "proj_a", "line_item": f"{model}, input",
                "cost_usd": cost}

    rows = [row(day, "gpt-4o", 0.062) for day in october()]
    rows += [row(datetime(2026, 10, 3), "o3", 0.5), row(datetime(2026, 10, 20), "acme-internal-llm", 0.01)]
    # a usage row (no cost) is not billed
    rows.append({**row(datetime(2026, 10, 5), "gpt-4o", 0.0), "row_key": "usage", "cost_usd": None, "requests": 2})
    return rows


WAREHOUSES = {
    "billing": {"model_prices": PRICES, "llm_requests": requests(), "billing": invoice()},
    "vendor": {"model_prices": PRICES, "llm_requests": requests(), "billing": invoice(), "vendor_usage": cost_report()},
    "logs_only": {"model_prices": PRICES, "llm_requests": requests(), "billing": invoice(ai=False)},
    "billed_only": {"billing": invoice()},
}


def build(root: Path, tables: dict[str, list[dict]]) -> Path:
    for name, rows in tables.items():
        write_table(rows, root / "data" / name / f"{name}.parquet", arrow_schema(TABLES[name]))
    home = root / "home"
    report = ingest([root / "data"], make_settings(home))
    assert not report.refused, report.refused
    return home


@pytest.fixture(scope="module")
def homes(tmp_path_factory) -> dict[str, Path]:
    return {name: build(tmp_path_factory.mktemp(name), tables) for name, tables in WAREHOUSES.items()}


@pytest.fixture(scope="module")
def warehouses(homes):
    opened = {}
    for name, home in homes.items():
        settings = make_settings(home, query_timeout_s=10, max_rows=1000, memory_limit="1GB", threads=2)
        opened[name] = (Executor(settings), settings)
    yield opened
    for executor, _ in opened.values():
        executor.close()


def run(warehouses, name: str, window: Window = OCTOBER):
    executor, settings = warehouses[name]
    return reconcile(executor, settings, window)


def by_key(executor, sql: str) -> dict:
    return {row[0]: row[1] for row in executor.query(sql).rows}


# ---------------------------------------------------------------- figures against SQL


@pytest.mark.parametrize("name, sources", [
    ("billing", {"openai": "billing", "anthropic": "billing"}),
    ("vendor", {"openai": "vendor_usage", "anthropic": "billing"}),
])
def test_variance_by_provider_matches_sql(warehouses, name, sources):
    executor, _ = warehouses[name]
    result = run(warehouses, name)
    tracked = by_key(executor, f"SELECT provider, sum(cost_usd) FROM llm_requests WHERE {IN_OCTOBER.format('ts', 'ts')} GROUP BY 1")
    invoiced = by_key(executor, f"""SELECT lower(ProviderName), sum(EffectiveCost) FROM billing WHERE ChargeCategory = 'Usage'
        AND ProviderName IN ('OpenAI', 'Anthropic') AND {IN_OCTOBER.format('ChargePeriodStart', 'ChargePeriodStart')} GROUP BY 1""")
    reported = by_key(executor, f"""SELECT provider, sum(cost_usd) FROM vendor_usage WHERE cost_usd IS NOT NULL
        AND {IN_OCTOBER.format('period_start', 'period_start')} GROUP BY 1""")
    billed = {p: reported[p] if source == "vendor_usage" else invoiced[p] for p, source in sources.items()}
    lines = {p.provider: p for p in result.providers}
    assert set(lines) == set(sources)
    for provider, source in sources.items():
        p = lines[provider]
        assert p.billed_source == source
        assert p.tracked_usd == pytest.approx(tracked[provider])
        assert p.billed_usd == pytest.approx(billed[provider])
        assert p.variance_usd == pytest.approx(tracked[provider] - billed[provider])
        assert p.variance_pct == pytest.approx((tracked[provider] - billed[provider]) / billed[provider] * 100)
    assert result.tracked_usd == pytest.approx(sum(tracked.values()))
    assert result.billed_usd == pytest.approx(sum(billed.values()))


@pytest.mark.parametrize("name, provider, tracked, billed", [
    # by hand: 62 gpt-4o requests at $0.035 logged; 31 days at $0.06, o3 $0.50 and the internal model's $0.01 invoiced
    ("billing", "openai", 2.17, 2.37),
    ("billing", "anthropic", 1.44, 1.488),  # 60 requests at $0.024 against 31 days at $0.048
    ("vendor", "openai", 2.17, 2.432),  # the cost report: 31 days at $0.062, o3 and the internal model
])
def test_planted_figures(warehouses, name, provider, tracked, billed):
    line = next(p for p in run(warehouses, name).providers if p.provider == provider)
    assert (line.tracked_usd, line.billed_usd) == (pytest.approx(tracked), pytest.approx(billed))


def test_days_and_months_add_up(warehouses):
    result = run(warehouses, "billing", Window("September to October 2026", date(2026, 9, 1), date(2026, 11, 1)))
    months = {(m.provider, m.month): (m.tracked_usd, m.billed_usd) for m in result.months}
    assert months[("openai", date(2026, 9, 1))] == (pytest.approx(0.035), pytest.approx(0.0))
    assert months[("openai", date(2026, 10, 1))] == (pytest.approx(2.17), pytest.approx(2.37))
    assert months[("anthropic", date(2026, 10, 1))] == (pytest.approx(1.44), pytest.approx(1.488))
    day = next(d for d in result.days if d.provider == "anthropic" and d.day == MISSING_DAY)
    assert (day.requests, day.tracked_usd, day.billed_usd) == (0, None, pytest.approx(0.048))
    assert sum(d.tracked_usd or 0 for d in result.days) == pytest.approx(sum(p.tracked_usd or 0 for p in result.providers))


# ---------------------------------------------------------------- causes


@pytest.mark.parametrize("name", ["billing", "vendor"])
def test_the_missing_day_is_named(warehouses, name):
    result = run(warehouses, name)
    missing = [c for c in result.causes if c.kind == "missing_logs"]
    assert [(c.provider, c.evidence["days"]) for c in missing] == [("anthropic", [MISSING_DAY.isoformat()])]
    assert missing[0].impact_usd == pytest.approx(-0.048)
    assert "2026-10-14 (no requests)" in missing[0].text
    assert "Missing logs: anthropic" in narrate_reconciliation(result)


def test_cached_tokens_at_the_full_input_rate_are_flagged(warehouses):
    executor, _ = warehouses["billing"]
    result = run(warehouses, "billing")
    logged, expected = executor.query(f"""SELECT sum(cost_usd),
        sum(((input_tokens - cached_input_tokens) * 2.5 + cached_input_tokens * 1.25 + output_tokens * 10) / 1e6)
        FROM llm_requests WHERE model = 'gpt-4o' AND {IN_OCTOBER.format('ts', 'ts')}""").rows[0]
    flagged = [c for c in result.causes if c.kind == "cached_full_rate"]
    assert [(c.provider, c.evidence["model"]) for c in flagged] == [("openai", "gpt-4o")]
    cause = flagged[0]
    assert (cause.evidence["logged_usd"], cause.evidence["expected_usd"]) == (pytest.approx(logged), pytest.approx(expected))
    assert cause.impact_usd == pytest.approx(2.17 - 1.86)
    assert cause.evidence["cached_input_tokens"] == 62 * 4_000
    assert "full input rate" in cause.text and "$1.25/M" in cause.text
    assert not any(c.kind in ("cached_full_rate", "price_mismatch") and c.provider == "anthropic" for c in result.causes)


@pytest.mark.parametrize("name, kind, provider, evidence", [
    ("billing", "unpriced", "openai", {"models": {"acme-internal-llm": {"requests": 1, "unpriced_requests": 1, "in_model_prices": False}}}),
    ("billing", "unlogged_model", "openai", {"models": {"o3": pytest.approx(0.5)}, "source": "billing"}),
    ("vendor", "unlogged_model", "openai", {"models": {"o3": pytest.approx(0.5)}, "source": "vendor_usage"}),
])
def test_models_the_logs_cannot_account_for(warehouses, name, kind, provider, evidence):
    found = [c for c in run(warehouses, name).causes if c.kind == kind]
    assert [(c.provider, c.evidence) for c in found] == [(provider, evidence)]


def test_no_cause_where_none_was_planted(warehouses):
    kinds = sorted((c.kind, c.provider) for c in run(warehouses, "vendor").causes)
    assert kinds == [("cached_full_rate", "openai"), ("missing_logs", "anthropic"), ("unlogged_model", "openai"),
                     ("unpriced", "openai")]


# ---------------------------------------------------------------- words


def test_the_text_leads_with_the_figure(warehouses):
    text = narrate_reconciliation(run(warehouses, "billing"))
    # $3.61 tracked against $3.858 billed: -6.4%
    assert text.startswith("**Tracked LLM spend last month (2026-10-01 to 2026-10-31) was $3.61 against $3.86 billed (−6.4%)**")
    assert "openai $2.17 vs $2.37 (invoice, −8.4%)" in text and "anthropic $1.44 vs $1.49 (invoice, −3.2%)" in text


@pytest.mark.parametrize("name, window, says", [
    ("logs_only", OCTOBER, "Nothing billed to compare with last month (2026-10-01 to 2026-10-31)"),
    ("billed_only", OCTOBER, "No LLM requests are logged last month (2026-10-01 to 2026-10-31), against $3.86 billed"),
    ("billing", Window("in August 2026", date(2026, 8, 1), date(2026, 9, 1)), "No LLM spend to reconcile"),
])
def test_empty_sides_are_said_in_words(warehouses, name, window, says):
    result = run(warehouses, name, window)
    text = narrate_reconciliation(result)
    assert says in text, text
    assert "$0.00" not in text
    assert result.summary_json() is None and summarize_reconciliation(result) is None
    assert result.tracked_usd is None


def test_the_answer(warehouses):
    executor, settings = warehouses["vendor"]
    plan = QueryPlan("total", ("inference_cost",), OCTOBER)  # the intent the planner will route here is the lead's
    answer = answer_reconciliation(RECONCILIATION_QUESTION, plan, AskContext(settings, executor=executor), executor, AS_OF)
    assert answer.answered and answer.route == "planner" and answer.window == OCTOBER
    assert answer.columns == RECONCILIATION_COLUMNS
    assert {row[0]: row[5] for row in answer.rows} == {"openai": "vendor_usage", "anthropic": "billing"}
    assert answer.text.startswith("**Tracked LLM spend last month")
    assert "vendor_usage" in answer.sql and "billing" in answer.sql and "llm_requests" in answer.sql
    assert {v["side"] for v in answer.chart["data"]["values"]} == {"tracked", "billed"}
    json.dumps(answer.to_json())


@pytest.mark.parametrize("provider_name, publisher, service, provider", [
    ("OpenAI", "OpenAI", "OpenAI API", "openai"),
    ("Anthropic", "Anthropic", "Claude API", "anthropic"),
    ("AWS", "Anthropic", "Amazon Bedrock", "bedrock"),  # resold on Bedrock: billed by AWS
    ("Microsoft", "OpenAI", "Azure OpenAI Service", "azure-openai"),
    ("Google Cloud", "Google", "Vertex AI", "vertex"),
    ("Google Cloud", "Google", "Gemini API", "google"),
    ("AWS", "AWS", "Amazon Elastic Compute Cloud", None),
])
def test_billing_lines_map_to_providers(warehouses, provider_name, publisher, service, provider):
    executor, _ = warehouses["billing"]
    sql = (f"SELECT {_billed_provider()} FROM (SELECT '{provider_name}' AS ProviderName, "
           f"'{publisher}' AS PublisherName, '{service}' AS ServiceName)")
    assert executor.query(sql).rows == [(provider,)]


def test_last_month_is_the_calendar_month_before():
    assert last_month(AS_OF) == OCTOBER


# ---------------------------------------------------------------- the overview card and `finops info`


def test_the_overview_card(warehouses):
    executor, settings = warehouses["vendor"]
    section = build_overview(AskContext(settings, executor=executor)).section("reconciliation")
    assert section.ok, section.error
    assert section.question == RECONCILIATION_QUESTION and section.window == OCTOBER
    result = run(warehouses, "vendor")
    assert section.figures["tracked_usd"] == pytest.approx(result.tracked_usd)
    assert section.figures["billed_usd"] == pytest.approx(result.billed_usd)
    assert section.text == narrate_reconciliation(result)
    assert [i.title for i in section.items[:2]] == ["openai", "anthropic"]
    assert any(i.title == "Missing logs, anthropic" and "2026-10-14" in i.text for i in section.items)
    assert section.chart is not None and section.columns == RECONCILIATION_COLUMNS


def finops_info(home: Path, *args: str) -> subprocess.CompletedProcess:
    import os

    environment = {k: v for k, v in os.environ.items() if not k.startswith(("FINOPS_", "OPENAI_"))}
    return subprocess.run([sys.executable, "-m", "ui.cli", "info", *args], capture_output=True, text=True, timeout=120,
                          env={**environment, "FINOPS_HOME": str(home)}, cwd=ROOT)


@pytest.mark.parametrize("name, line", [
    ("billing", "reconciliation last month: tracked $3.61 vs billed $3.86 (−6.4%)"),
    ("logs_only", None),
])
def test_finops_info_line(homes, name, line):
    shown = finops_info(homes[name])
    assert shown.returncode == 0, shown.stderr
    assert (line in shown.stdout) if line else ("reconciliation" not in shown.stdout), shown.stdout
    facts = json.loads(finops_info(homes[name], "--json").stdout)
    if line is None:
        assert "reconciliation" not in facts
    else:
        assert facts["as_of"] == AS_OF.isoformat()
        assert facts["reconciliation"] == {"window": OCTOBER.to_json(), "tracked_usd": 3.61, "billed_usd": 3.86,
                                           "variance_usd": -0.25, "variance_pct": -6.4}


# ---------------------------------------------------------------- models: one pass against pricing each request

# Independent of reconciliation.py: every request priced on its own (the query _MODELS replaced).
PER_REQUEST_MODELS = """
WITH prices AS (
  SELECT lower(provider) AS provider, lower(model) AS model, valid_from, valid_to, input_usd_per_mtok AS input_price,
         coalesce(cached_input_usd_per_mtok, input_usd_per_mtok) AS cached_price,
         coalesce(cache_write_usd_per_mtok, input_usd_per_mtok) AS write_price, output_usd_per_mtok AS output_price
  FROM model_prices
), requests AS (
  SELECT coalesce(lower(r.provider), 'unknown') AS provider, lower(r.model) AS model, r.cost_usd,
         r.input_tokens - coalesce(r.cached_input_tokens, 0) - coalesce(r.cache_write_input_tokens, 0) AS uncached,
         coalesce(r.cached_input_tokens, 0) AS cached, coalesce(r.cache_write_input_tokens, 0) AS written, r.output_tokens AS output,
         coalesce(p.input_price, u.input_price) AS input_price, coalesce(p.cached_price, u.cached_price) AS cached_price,
         coalesce(p.write_price, u.write_price) AS write_price, coalesce(p.output_price, u.output_price) AS output_price
  FROM llm_requests AS r
  LEFT JOIN prices AS p ON p.provider = lower(r.provider) AND p.model = lower(r.model)
    AND p.valid_from <= r.ts AND (p.valid_to IS NULL OR p.valid_to > r.ts)
  LEFT JOIN prices AS u ON u.provider = lower(r.provider)
    AND u.model = regexp_replace(lower(r.model), '[-@]([0-9]{{8}}|[0-9]{{4}}-[0-9]{{2}}-[0-9]{{2}})$', '')
    AND u.valid_from <= r.ts AND (u.valid_to IS NULL OR u.valid_to > r.ts)
  WHERE r.ts >= TIMESTAMP '{start}' AND r.ts < TIMESTAMP '{end}'
)
SELECT provider, model, count(*) AS requests, count_if(cost_usd IS NULL) AS unpriced, count_if(input_price IS NULL) AS without_price,
       sum(cost_usd) FILTER (WHERE input_price IS NOT NULL) AS checked_usd,
       sum(cached) FILTER (WHERE cost_usd IS NOT NULL AND input_price IS NOT NULL) AS cached_tokens,
       sum((uncached * input_price + cached * cached_price + written * write_price + output * output_price) / 1e6)
         FILTER (WHERE cost_usd IS NOT NULL) AS expected_usd,
       sum((uncached * input_price + cached * input_price + written * write_price + output * output_price) / 1e6)
         FILTER (WHERE cost_usd IS NOT NULL) AS full_rate_usd,
       max(input_price) AS input_price, min(cached_price) AS cached_price
FROM requests GROUP BY provider, model ORDER BY provider, model
"""
LOGGED = ("requests", "unpriced", "without_price", "checked_usd", "cached_tokens", "expected_usd", "full_rate_usd",
          "input_price", "cached_price")


@pytest.fixture(scope="module")
def noon_prices(tmp_path_factory):
    """The tiny warehouse with gpt-4o's price change moved to noon, and some requests without token counts."""
    from tests.tiny_data import PRICE_CHANGE, llm_rows, price_rows, write_tiny_dataset
    from warehouse.executor import Executor
    from warehouse.ingest import ingest

    prices = [p | {k: PRICE_CHANGE + timedelta(hours=12) for k in ("valid_from", "valid_to") if p[k] == PRICE_CHANGE}
              for p in price_rows()]
    rows = [r | ({"output_tokens": None} if i % 7 == 0 else {}) for i, r in enumerate(llm_rows())]
    root = tmp_path_factory.mktemp("noon-prices")
    write_tiny_dataset(root / "data", {"model_prices": prices, "llm_requests": rows, "billing": []})
    settings = make_settings(root / "home", query_timeout_s=10, max_rows=1000, memory_limit="1GB", threads=2)
    assert not ingest([root / "data"], settings).refused
    with Executor(settings) as executor:
        yield executor


@pytest.mark.parametrize("warehouse", ["tiny", "noon"])
def test_models_summed_per_price_segment_equal_pricing_each_request(request, warehouse):
    from assistant.analysis.drivers import price_segment
    from assistant.analysis.reconciliation import _MODELS, _sql

    executor = request.getfixturevalue("executor" if warehouse == "tiny" else "noon_prices")
    window = Window("October", date(2026, 10, 1), date(2026, 11, 1))
    got = executor.run_sql(_sql(_MODELS, window, price_segment(executor, executor.settings, None)), max_rows=1000)
    have = {(r["provider"], r["model"]): r for r in (dict(zip(got.columns, row)) for row in got.rows) if r["requests"]}
    want = executor.query(PER_REQUEST_MODELS.format(start=window.start, end=window.end))
    assert len(want.rows) == len(have) >= 3
    for row in want.rows:
        expected = dict(zip(want.columns, row))
        actual = have[(expected["provider"], expected["model"])]
        for name in LOGGED:
            assert actual[name] == pytest.approx(expected[name], rel=1e-9, abs=1e-12), name
