"""A few hundred deterministic rows of every contract table, with known answers.

Prices are chosen so costs are easy to check by hand:
openai/gpt-4o costs 5.00 / 2.50 / 15.00 USD per million input / cached / output
tokens until 2026-10-15, then 2.50 / 1.25 / 10.00.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

START = datetime(2026, 10, 1)
DAYS = 30
PRICE_CHANGE = datetime(2026, 10, 15)

PRICES = [
    # provider, model, input, cached, output, tier, valid_from, valid_to
    ("openai", "gpt-4o", 5.00, 2.50, 15.00, "large", datetime(2026, 1, 1), PRICE_CHANGE),
    ("openai", "gpt-4o", 2.50, 1.25, 10.00, "large", PRICE_CHANGE, None),
    ("openai", "gpt-4o-mini", 0.15, 0.075, 0.60, "small", datetime(2026, 1, 1), None),
    ("anthropic", "claude-haiku-4", 0.80, None, 4.00, "small", datetime(2026, 1, 1), None),
]
FEATURES = [("document-analysis", "docs-ai"), ("support-chat", "cx"), ("summarize", "platform")]
MODELS = [("openai", "gpt-4o"), ("openai", "gpt-4o-mini"), ("anthropic", "claude-haiku-4")]


def price_at(provider: str, model: str, ts: datetime):
    for p, m, inp, cached, out, _, start, end in PRICES:
        if p == provider and m == model and start <= ts and (end is None or ts < end):
            return inp, (cached if cached is not None else inp), out
    return None


def request_cost(provider, model, ts, input_tokens, cached, output_tokens) -> float:
    inp, cached_price, out = price_at(provider, model, ts)
    return ((input_tokens - cached) * inp + cached * cached_price + output_tokens * out) / 1e6


def llm_rows() -> list[dict]:
    rows = []
    for i in range(300):
        day = i % DAYS
        feature, team = FEATURES[i % 3]
        provider, model = MODELS[(i // 3) % 3]
        ts = START + timedelta(days=day, hours=(i * 7) % 24, minutes=i % 60)
        input_tokens = 1000 + (i * 37) % 2000
        cached = (i % 4) * 100
        output_tokens = 100 + (i * 13) % 400
        cost = request_cost(provider, model, ts, input_tokens, cached, output_tokens)
        rows.append(
            {
                "request_id": f"req-{i:05d}",
                "ts": ts,
                "provider": provider,
                "model": model,
                "operation": "chat",
                "feature": feature,
                "team": team,
                "user_id": f"u{i % 17}",
                "environment": "prod" if i % 5 else "staging",
                "input_tokens": input_tokens,
                "cached_input_tokens": cached,
                "output_tokens": output_tokens,
                "latency_ms": 200.0 + i,
                "status": "ok" if i % 10 else "error",
                "attempt": 1 if i % 10 else 2,
                "prompt_hash": f"h{i % 50}",
                "cost_usd": None if i % 25 == 0 else round(cost, 10),
            }
        )
    return rows


def gpu_rows() -> list[dict]:
    rows = []
    for hour in range(48):
        for node, deployment, team in (("node-1", "llama-70b", "platform"), ("node-2", None, "cx")):
            rows.append(
                {
                    "hour": START + timedelta(hours=hour),
                    "cluster": "gpu-prod",
                    "node_id": node,
                    "gpu_type": "H100",
                    "gpu_count": 8,
                    "deployment": deployment,
                    "team": team,
                    "cost_usd": 40.0,
                    "gpu_util_pct": 75.0 if deployment else 5.0,
                    "gpu_mem_util_pct": 60.0 if deployment else 10.0,
                }
            )
    return rows


# Compute is untagged (tag hygiene), storage belongs to cx, the OpenAI invoice to platform.
TAGS = (None, [("team", "cx"), ("environment", "prod")], [("team", "platform"), ("feature", "document-analysis")])


def billing_rows() -> list[dict]:
    services = [
        ("Amazon Elastic Compute Cloud", "Compute", "AWS", "us-east-1", 120.0),
        ("Amazon Simple Storage Service", "Storage", "AWS", "us-east-1", 15.0),
        ("OpenAI API", "AI and Machine Learning", "OpenAI", None, 30.0),
    ]
    rows = []
    for day in range(DAYS):
        start = START + timedelta(days=day)
        for index, (service, category, provider, region, cost) in enumerate(services):
            effective = cost + day
            rows.append(
                {
                    "BilledCost": effective,
                    "EffectiveCost": effective,
                    "ListCost": effective * 1.2,
                    "ContractedCost": effective,
                    "BillingAccountId": "acct-1",
                    "BillingAccountName": "Acme",
                    "BillingCurrency": "USD",
                    "BillingPeriodStart": datetime(2026, 10, 1),
                    "BillingPeriodEnd": datetime(2026, 11, 1),
                    "ChargePeriodStart": start,
                    "ChargePeriodEnd": start + timedelta(days=1),
                    "ChargeCategory": "Usage",
                    "ChargeClass": None,
                    "ChargeDescription": f"{service} usage",
                    "InvoiceIssuerName": provider,
                    "ProviderName": provider,
                    "PublisherName": provider,
                    "ServiceCategory": category,
                    "ServiceName": service,
                    "PricingQuantity": 10.0 + day,
                    "PricingUnit": "Hours",
                    "RegionId": region,
                    "SubAccountName": "prod" if index else "ml",
                    "Tags": TAGS[index],
                }
            )
    return rows


def budget_rows() -> list[dict]:
    return [
        {"scope": "total", "scope_value": None, "metric": "cost", "period": "month", "amount_usd": 6000.0, "max_cost_per_request_usd": None},
        {"scope": "team", "scope_value": "docs-ai", "metric": "inference_cost", "period": "month", "amount_usd": 1.0, "max_cost_per_request_usd": None},
        {"scope": "feature", "scope_value": "support-chat", "metric": "inference_cost", "period": "month", "amount_usd": 5.0, "max_cost_per_request_usd": 0.01},
        {"scope": "team", "scope_value": "cx", "metric": "inference_cost", "period": "month", "amount_usd": 50.0, "max_cost_per_request_usd": None},
    ]


def price_rows() -> list[dict]:
    keys = ["provider", "model", "input_usd_per_mtok", "cached_input_usd_per_mtok", "output_usd_per_mtok", "tier", "valid_from", "valid_to"]
    return [dict(zip(keys, row)) for row in PRICES]


def vendor_rows() -> list[dict]:
    """Two days of one provider's usage report and one cost line, as the report importers write them."""
    rows = []
    for day in (1, 2):
        start, end = datetime(2026, 10, day), datetime(2026, 10, day + 1)
        rows.append({"period_start": start, "period_end": end, "provider": "openai", "source": "openai-usage",
                     "row_key": f"usage-{day}", "model": "gpt-4o", "project": "proj_a", "api_key_id": None,
                     "line_item": None, "input_tokens": 10_000 * day, "cached_input_tokens": 1_000, "cache_write_input_tokens": None,
                     "output_tokens": 2_000, "requests": 10, "cost_usd": None})
        rows.append({"period_start": start, "period_end": end, "provider": "openai", "source": "openai-costs",
                     "row_key": f"cost-{day}", "model": None, "project": "proj_a", "api_key_id": None,
                     "line_item": "gpt-4o, input", "input_tokens": None, "cached_input_tokens": None, "cache_write_input_tokens": None,
                     "output_tokens": None, "requests": None, "cost_usd": 0.5 * day})
    return rows


def write_table(rows: list[dict], path: Path, schema: pa.Schema | None = None) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    table = pa.Table.from_pylist(rows, schema=schema)
    pq.write_table(table, path)
    return path


BILLING_TAGS = pa.map_(pa.string(), pa.string())


def _type_of(column: str) -> pa.DataType:
    values = [row[column] for row in billing_rows()]
    return pa.array(values).type if any(v is not None for v in values) else pa.string()


def team_only(team: str) -> dict[str, list[dict]]:
    """The rows a `team=<team>` scope may see, table by table, filtered here in Python."""
    def tagged(row):
        return dict(row["Tags"] or []).get("team") == team

    return {
        "model_prices": price_rows(),
        "budgets": [r for r in budget_rows() if r["scope"] == "team" and r["scope_value"] == team],
        "gpu_usage": [r for r in gpu_rows() if r["team"] == team],
        "llm_requests": [r for r in llm_rows() if r["team"] == team],
        "billing": [r for r in billing_rows() if tagged(r)],
        "vendor_usage": [],  # the providers' reports belong to no team
    }


def write_tiny_dataset(out: Path, tables: dict[str, list[dict]] | None = None) -> None:
    """Every table as Parquet under out/<table>/; `tables` replaces the full rows (for scoped copies)."""
    tables = tables or {
        "model_prices": price_rows(),
        "budgets": budget_rows(),
        "gpu_usage": gpu_rows(),
        "llm_requests": llm_rows(),
        "billing": billing_rows(),
        "vendor_usage": vendor_rows(),
    }
    for name in ("model_prices", "budgets", "gpu_usage", "llm_requests", "vendor_usage"):
        if tables.get(name):
            write_table(tables[name], out / name / f"{name}.parquet")
    billing = tables["billing"]
    if not billing:
        return
    fields = [pa.field(k, BILLING_TAGS if k == "Tags" else _type_of(k)) for k in billing[0]]
    write_table(billing, out / "billing" / "billing.parquet", pa.schema(fields))
