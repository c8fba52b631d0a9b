"""Kestrel Freightworks: a blind fixture company for the billing question set.

Who: a mid-size freight-forwarding SaaS (dispatch, customs and shipment
tracking for logistics firms) that runs on three clouds. AWS is the main
platform (payer `kestrel-aws-payer`, linked accounts kestrel-prod,
kestrel-staging, kestrel-data, kestrel-ml; us-east-1, us-west-2,
eu-central-1). Azure carries the EU customs portal (billing account
`Kestrel Freightworks EU`, subscriptions kestrel-eu-prod and
kestrel-eu-analytics; westeurope, northeurope). Google Cloud carries
analytics and the self-hosted model serving (projects kestrel-ml-serving,
kestrel-analytics; europe-west4, us-central1). Everything is billed in USD.

What the data covers: 2027-02-01 to 2027-04-20 inclusive (79 days), so
AS_OF is 2027-04-21 (a Wednesday). Billing periods February and March are
closed (taxes posted), April is open.

- billing (FOCUS 1.2): EC2 at hourly grain (route-engine fleet, staging
  boxes, a GPU burst pool in an On-Demand Capacity Reservation), everything
  else daily; a Compute Savings Plan (recurring monthly purchase, amortized
  into EC2 EffectiveCost), an Azure reserved VM instance (one-time purchase
  on 2027-03-01), a GCP resource-based committed use discount (recurring
  monthly fee); AWS generative-AI credits on Bedrock, taxes for each closed
  billing period, one Azure adjustment, two corrections, AWS and Azure
  marketplace charges (Vectorly Inc., Tollgate Security Ltd, Geomesh GmbH),
  tag keys team / feature / environment / model / application / cost-center
  with partial coverage, an AWS enterprise discount (ContractedCost < ListCost).
  AI services (Amazon Bedrock, Azure OpenAI Service, Vertex AI) are billed
  daily from the same requests that llm_requests logs, plus one daily batch
  inference line per service that the request logs do not see (so the bill
  is far larger than the logged inference cost). Unused capacity
  reservation hours carry FOCUS CapacityReservationStatus = 'Unused'.
- llm_requests: ~70k calls from six features (route-copilot, eta-explainer,
  customs-classifier, shipment-search, email-triage, claims-assistant) over
  openai, anthropic, bedrock, azure-openai, vertex and self-hosted models.
- gpu_usage: two GKE clusters (gke-llm-euw4 with A100 nodes, gke-llm-usc1 with
  L4 nodes), hourly per node.
- model_prices (one price change), budgets (total, service, team, feature,
  model scopes over cost, inference_cost and gpu_cost).

Stories planted:

1. Savings Plan under-use: on 2027-03-15 four of the ten route-engine EC2
   instances were stopped (work moved to GKE); the Compute Savings Plan
   SP-kestrel-compute-1y keeps its $3.30/h commitment, so its utilization
   falls from ~99.7% to ~66% and unused commitment cost appears every hour.
2. NAT gateway spike: a misconfigured replication job pushed data through
   nat-0e7d1c2b3a4f5e6d7 (kestrel-data, eu-central-1) from 2027-04-13 to
   2027-04-16: Amazon VPC cost jumps in "last week" (2027-04-12..18).
3. Idle capacity: the On-Demand Capacity Reservation cr-0g6burst4x reserves
   four g6.12xlarge in us-east-1a but only two run (three from 2027-04-05);
   and on 2027-03-29 the ranker-v2 deployment was removed from gke-llm-euw4,
   leaving two A100 nodes unallocated and nearly idle.
4. Prompt growth: customs-classifier (claude-3-5-haiku on bedrock) added the
   tariff schedule to its prompt on 2027-03-22; input tokens per request go
   from ~1.8k to ~5.6k and the Amazon Bedrock bill follows.
5. Price change: gemini-2.0-flash on vertex got more expensive on 2027-03-08
   (input 0.10 -> 0.15, output 0.40 -> 0.60 USD per million tokens).
6. Retry storm: on 2027-04-08 route-copilot (gpt-4.1) was rate limited for
   most of the day and retried up to four times.
7. Billing events: an S3 over-charge of 2027-02-10..14 refunded as a
   correction on the March invoice; a BigQuery under-billing for 2027-03-20
   charged as a correction on the April invoice; the AWS Generative AI credit
   pool ($3,000, applied to Amazon Bedrock charges) ran out on 2027-03-24; the Azure reservation was bought on
   2027-03-01 and one of its six VMs was decommissioned on 2027-03-20.
"""

from __future__ import annotations

import datetime as dt
import json
import pathlib

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

AS_OF = dt.date(2027, 4, 21)
START = dt.date(2027, 2, 1)
DAYS = (AS_OF - START).days  # 79
SEED = 20270421


def _ts(day: dt.date, hour: int = 0) -> dt.datetime:
    return dt.datetime(day.year, day.month, day.day, hour)


def _month_start(day: dt.date) -> dt.date:
    return day.replace(day=1)


def _next_month(day: dt.date) -> dt.date:
    return (day.replace(day=28) + dt.timedelta(days=4)).replace(day=1)


# --------------------------------------------------------------------------- models and prices

# provider, model, input, cached input, output, tier
_PRICES = [
    ("openai", "gpt-4.1", 2.00, 0.50, 8.00, "large"),
    ("openai", "text-embedding-3-small", 0.02, None, 0.0, "small"),
    ("anthropic", "claude-sonnet-4", 3.00, 0.30, 15.00, "large"),
    ("bedrock", "claude-3-5-haiku", 0.80, 0.08, 4.00, "small"),
    ("bedrock", "titan-embed-text-v2", 0.02, None, 0.0, "small"),
    ("azure-openai", "gpt-4o-mini", 0.15, 0.075, 0.60, "small"),
    ("self-hosted", "llama-3.1-8b-instruct", 0.0, None, 0.0, "small"),
    ("self-hosted", "qwen2.5-32b-instruct", 0.0, None, 0.0, "medium"),
]
_GEMINI_OLD = ("vertex", "gemini-2.0-flash", 0.10, 0.025, 0.40, "small")
_GEMINI_NEW = ("vertex", "gemini-2.0-flash", 0.15, 0.0375, 0.60, "small")
_GEMINI_CHANGE = dt.datetime(2027, 3, 8)


def _price(provider: str, model: str, ts: dt.datetime):
    if model == "gemini-2.0-flash":
        row = _GEMINI_OLD if ts < _GEMINI_CHANGE else _GEMINI_NEW
        return row[2], row[3] if row[3] is not None else row[2], row[4]
    for p, m, i, c, o, _ in _PRICES:
        if p == provider and m == model:
            return i, c if c is not None else i, o
    raise KeyError(model)


def _model_prices() -> pa.Table:
    rows = []
    since = dt.datetime(2026, 10, 1)
    for p, m, i, c, o, tier in _PRICES:
        rows.append((p, m, i, c, o, tier, since, None))
    rows.append((*_GEMINI_OLD, since, _GEMINI_CHANGE))
    rows.append((*_GEMINI_NEW, _GEMINI_CHANGE, None))
    names = ["provider", "model", "input_usd_per_mtok", "cached_input_usd_per_mtok", "output_usd_per_mtok", "tier", "valid_from", "valid_to"]
    types = [pa.string(), pa.string(), pa.float64(), pa.float64(), pa.float64(), pa.string(), pa.timestamp("us"), pa.timestamp("us")]
    cols = list(zip(*rows))
    return pa.table({n: pa.array(list(c), type=t) for n, c, t in zip(names, cols, types)})


# --------------------------------------------------------------------------- llm_requests

# feature, team, provider, model, operation, daily calls, input mean, output mean, cache share, latency
_FEATURES = [
    ("route-copilot", "routing", "openai", "gpt-4.1", "chat", 150, 3200, 420, 0.35, 2400),
    ("route-copilot", "routing", "self-hosted", "qwen2.5-32b-instruct", "chat", 90, 2600, 380, 0.0, 1800),
    ("eta-explainer", "routing", "vertex", "gemini-2.0-flash", "chat", 140, 1500, 260, 0.10, 900),
    ("customs-classifier", "trade-compliance", "bedrock", "claude-3-5-haiku", "chat", 170, 1800, 140, 0.20, 1100),
    ("shipment-search", "search", "bedrock", "titan-embed-text-v2", "embeddings", 120, 350, 0, 0.0, 120),
    ("shipment-search", "search", "openai", "text-embedding-3-small", "embeddings", 60, 300, 0, 0.0, 110),
    ("email-triage", "ops-automation", "azure-openai", "gpt-4o-mini", "chat", 110, 1200, 180, 0.15, 800),
    ("email-triage", "ops-automation", "self-hosted", "llama-3.1-8b-instruct", "chat", 80, 900, 120, 0.0, 600),
    ("claims-assistant", "ops-automation", "anthropic", "claude-sonnet-4", "chat", 45, 4200, 650, 0.25, 5200),
]
_PROMPT_GROWTH = dt.date(2027, 3, 22)
_CLAIMS_LAUNCH = dt.date(2027, 4, 1)
_RETRY_DAY = dt.date(2027, 4, 8)


def _llm_requests(rng: np.random.Generator) -> tuple[pa.Table, dict]:
    cols: dict[str, list] = {k: [] for k in (
        "request_id", "ts", "provider", "model", "operation", "feature", "team", "user_id", "environment",
        "input_tokens", "cached_input_tokens", "output_tokens", "latency_ms", "status", "attempt", "prompt_hash", "cost_usd")}
    daily_cost: dict[tuple, float] = {}  # (day, provider, model, feature, team, environment) -> cost
    daily_tokens: dict[tuple, list] = {}
    seq = 0
    for d in range(DAYS):
        day = START + dt.timedelta(days=d)
        weekday = day.weekday()
        for feature, team, provider, model, operation, per_day, in_mean, out_mean, cache_share, lat in _FEATURES:
            if feature == "claims-assistant" and day < _CLAIMS_LAUNCH:
                continue
            scale = 0.6 if weekday >= 5 else 1.0
            growth = 1.0 + 0.004 * d
            n = int(rng.poisson(per_day * scale * growth))
            if feature == "customs-classifier" and day >= _PROMPT_GROWTH:
                in_mean_day = 5600
            else:
                in_mean_day = in_mean
            hours = np.sort(rng.integers(0, 24, size=n))
            seconds = rng.integers(0, 3600, size=n)
            ins = np.maximum(20, rng.normal(in_mean_day, in_mean_day * 0.25, size=n)).astype(np.int64)
            outs = np.maximum(0, rng.normal(out_mean, out_mean * 0.3 + 1, size=n)).astype(np.int64) if out_mean else np.zeros(n, dtype=np.int64)
            cached = (ins * cache_share * rng.uniform(0.5, 1.5, size=n)).astype(np.int64)
            cached = np.minimum(cached, ins)
            envs = rng.choice(["prod", "prod", "prod", "prod", "prod", "prod", "staging", "dev"], size=n)
            users = rng.integers(1, 400, size=n)
            prompts = rng.integers(0, max(5, n // 3), size=n)
            lats = rng.gamma(4.0, lat / 4.0, size=n)
            errs = rng.random(n)
            for i in range(n):
                ts = dt.datetime(day.year, day.month, day.day, int(hours[i])) + dt.timedelta(seconds=int(seconds[i]))
                attempts = 1
                storm = feature == "route-copilot" and provider == "openai" and day == _RETRY_DAY and 6 <= hours[i] <= 20
                if storm:
                    attempts = int(rng.integers(2, 6))
                for attempt in range(1, attempts + 1):
                    seq += 1
                    if storm and attempt < attempts:
                        status = "rate_limited"
                    elif errs[i] < 0.012:
                        status = "error"
                    elif errs[i] < 0.018:
                        status = "timeout"
                    else:
                        status = "ok"
                    t = ts + dt.timedelta(seconds=2 * (attempt - 1))
                    inp, cch = int(ins[i]), int(cached[i])
                    out = int(outs[i]) if status == "ok" else (int(outs[i]) // 4 if status == "timeout" else 0)
                    pi, pc, po = _price(provider, model, t)
                    cost = ((inp - cch) * pi + cch * pc + out * po) / 1e6
                    inp_logged, cch_logged = inp, cch
                    if status == "rate_limited":
                        cost = 0.0
                    env = str(envs[i])
                    cols["request_id"].append(f"kfw-{seq:07d}")
                    cols["ts"].append(t)
                    cols["provider"].append(provider)
                    cols["model"].append(model)
                    cols["operation"].append(operation)
                    cols["feature"].append(feature)
                    cols["team"].append(team)
                    cols["user_id"].append(f"u{int(users[i]):04d}")
                    cols["environment"].append(env)
                    cols["input_tokens"].append(inp_logged)
                    cols["cached_input_tokens"].append(cch_logged)
                    cols["output_tokens"].append(out)
                    cols["latency_ms"].append(round(float(lats[i]) if status != "rate_limited" else 35.0, 1))
                    cols["status"].append(status)
                    cols["attempt"].append(attempt)
                    cols["prompt_hash"].append(f"{feature[:4]}-{int(prompts[i]):05x}")
                    cols["cost_usd"].append(round(cost, 8))
                    key = (day, provider, model, feature, team, env)
                    daily_cost[key] = daily_cost.get(key, 0.0) + cost
                    tok = daily_tokens.setdefault(key, [0, 0])
                    tok[0] += inp_logged
                    tok[1] += out
    types = {
        "ts": pa.timestamp("us"), "input_tokens": pa.int64(), "cached_input_tokens": pa.int64(),
        "output_tokens": pa.int64(), "latency_ms": pa.float64(), "attempt": pa.int32(), "cost_usd": pa.float64(),
    }
    table = pa.table({k: pa.array(v, type=types.get(k, pa.string())) for k, v in cols.items()})
    return table, {"cost": daily_cost, "tokens": daily_tokens}


# --------------------------------------------------------------------------- gpu_usage

# cluster, node, gpu type, gpus, cost per hour, deployment, team, model, util mean
_NODES = [
    ("gke-llm-euw4", "a100-node-1", "A100", 8, 23.60, "qwen2.5-32b-route", "ml-platform", "qwen2.5-32b-instruct", 71),
    ("gke-llm-euw4", "a100-node-2", "A100", 8, 23.60, "qwen2.5-32b-route", "ml-platform", "qwen2.5-32b-instruct", 66),
    ("gke-llm-euw4", "a100-node-3", "A100", 8, 23.60, "ranker-v2", "search", "bge-reranker-v2", 48),
    ("gke-llm-euw4", "a100-node-4", "A100", 8, 23.60, "ranker-v2", "search", "bge-reranker-v2", 44),
    ("gke-llm-usc1", "l4-node-1", "L4", 4, 3.20, "llama-8b-triage", "ops-automation", "llama-3.1-8b-instruct", 62),
    ("gke-llm-usc1", "l4-node-2", "L4", 4, 3.20, "llama-8b-triage", "ops-automation", "llama-3.1-8b-instruct", 58),
    ("gke-llm-usc1", "l4-node-3", "L4", 4, 3.20, "llama-8b-triage", "ops-automation", "llama-3.1-8b-instruct", 55),
    ("gke-llm-usc1", "l4-node-4", "L4", 4, 3.20, None, "ml-platform", None, 4),
]
_RANKER_REMOVED = dt.date(2027, 3, 29)


def _gpu_usage(rng: np.random.Generator) -> tuple[pa.Table, dict]:
    cols: dict[str, list] = {k: [] for k in (
        "hour", "cluster", "node_id", "gpu_type", "gpu_count", "deployment", "team", "cost_usd", "gpu_util_pct", "gpu_mem_util_pct", "model")}
    daily: dict[tuple, float] = {}
    for d in range(DAYS):
        day = START + dt.timedelta(days=d)
        for cluster, node, gpu, count, cost, dep, team, model, util in _NODES:
            removed = dep == "ranker-v2" and day >= _RANKER_REMOVED
            noise = rng.normal(0, 8, size=24)
            mem = rng.normal(0, 5, size=24)
            for h in range(24):
                if removed:
                    u = max(0.0, min(100.0, 3.0 + noise[h] / 4))
                    deployment, owner, mdl = None, "ml-platform", None
                else:
                    diurnal = 12 * np.sin((h - 9) / 24 * 2 * np.pi) if util > 10 else 0
                    u = max(0.0, min(100.0, util + diurnal + noise[h]))
                    deployment, owner, mdl = dep, team, model
                cols["hour"].append(_ts(day, h))
                cols["cluster"].append(cluster)
                cols["node_id"].append(node)
                cols["gpu_type"].append(gpu)
                cols["gpu_count"].append(count)
                cols["deployment"].append(deployment)
                cols["team"].append(owner)
                cols["cost_usd"].append(cost)
                cols["gpu_util_pct"].append(round(u, 2))
                cols["gpu_mem_util_pct"].append(round(max(0.0, min(100.0, (u * 0.8 + 15) + mem[h])), 2))
                cols["model"].append(mdl)
                daily[(day, cluster, gpu)] = daily.get((day, cluster, gpu), 0.0) + cost
    types = {"hour": pa.timestamp("us"), "gpu_count": pa.int32(), "cost_usd": pa.float64(), "gpu_util_pct": pa.float64(), "gpu_mem_util_pct": pa.float64()}
    table = pa.table({k: pa.array(v, type=types.get(k, pa.string())) for k, v in cols.items()})
    return table, daily


# --------------------------------------------------------------------------- billing (FOCUS 1.2)

_BILLING_COLUMNS = [
    ("BilledCost", pa.float64()), ("EffectiveCost", pa.float64()), ("ListCost", pa.float64()), ("ContractedCost", pa.float64()),
    ("BillingAccountId", pa.string()), ("BillingAccountName", pa.string()), ("BillingCurrency", pa.string()),
    ("BillingPeriodStart", pa.timestamp("us")), ("BillingPeriodEnd", pa.timestamp("us")),
    ("ChargePeriodStart", pa.timestamp("us")), ("ChargePeriodEnd", pa.timestamp("us")),
    ("ChargeCategory", pa.string()), ("ChargeClass", pa.string()), ("ChargeDescription", pa.string()), ("ChargeFrequency", pa.string()),
    ("InvoiceIssuerName", pa.string()), ("ProviderName", pa.string()), ("PublisherName", pa.string()), ("InvoiceId", pa.string()),
    ("ServiceCategory", pa.string()), ("ServiceSubcategory", pa.string()), ("ServiceName", pa.string()),
    ("SubAccountId", pa.string()), ("SubAccountName", pa.string()),
    ("RegionId", pa.string()), ("RegionName", pa.string()), ("AvailabilityZone", pa.string()),
    ("ResourceId", pa.string()), ("ResourceName", pa.string()), ("ResourceType", pa.string()),
    ("SkuId", pa.string()), ("SkuPriceId", pa.string()), ("SkuMeter", pa.string()),
    ("PricingCategory", pa.string()), ("PricingQuantity", pa.float64()), ("PricingUnit", pa.string()),
    ("ConsumedQuantity", pa.float64()), ("ConsumedUnit", pa.string()),
    ("ListUnitPrice", pa.float64()), ("ContractedUnitPrice", pa.float64()),
    ("CommitmentDiscountId", pa.string()), ("CommitmentDiscountName", pa.string()), ("CommitmentDiscountCategory", pa.string()),
    ("CommitmentDiscountType", pa.string()), ("CommitmentDiscountStatus", pa.string()),
    ("CapacityReservationId", pa.string()), ("CapacityReservationStatus", pa.string()),
    ("Tags", pa.string()),
]

_ACCOUNTS = {
    "AWS": ("418295706311", "kestrel-aws-payer", "AWS", "AWS"),
    "Microsoft": ("86115370", "Kestrel Freightworks EU", "Microsoft", "Microsoft"),
    "Google Cloud": ("01F3A2-7B9C4D-E5F601", "Kestrel GCP billing", "Google Cloud", "Google Cloud"),
}
_SUBS = {
    "kestrel-prod": ("AWS", "552193847210"),
    "kestrel-staging": ("AWS", "552193847211"),
    "kestrel-data": ("AWS", "552193847212"),
    "kestrel-ml": ("AWS", "552193847213"),
    "kestrel-eu-prod": ("Microsoft", "b7e2c4a1-5d3f-4e8a-9c61-2f0d8e7b3a11"),
    "kestrel-eu-analytics": ("Microsoft", "c93f1e02-7a4b-4c2d-8e15-6b9a0d4f2c22"),
    "kestrel-ml-serving": ("Google Cloud", "kestrel-ml-serving"),
    "kestrel-analytics": ("Google Cloud", "kestrel-analytics"),
}
_REGIONS = {
    "us-east-1": "US East (N. Virginia)", "us-west-2": "US West (Oregon)", "eu-central-1": "Europe (Frankfurt)",
    "westeurope": "West Europe", "northeurope": "North Europe", "europe-west4": "Netherlands", "us-central1": "Iowa",
}
_AWS_EDP = 0.96  # AWS enterprise discount: contracted = 96% of list
_SP_ID = "arn:aws:savingsplans::418295706311:savingsplan/sp-kestrel-compute-1y"
_SP_NAME = "SP-kestrel-compute-1y"
_SP_RATE = 0.68  # savings plan rate as a share of list
_SP_COMMIT = 3.30  # USD per hour
_FLEET_CUT = dt.date(2027, 3, 15)
_CR_ID = "cr-0g6burst4x"
_RI_ID = "/providers/Microsoft.Capacity/reservationOrders/7f1c0d2e/reservations/ri-d8sv5-weu"
_RI_NAME = "RI-D8sv5-westeurope-1y"
_RI_START = dt.date(2027, 3, 1)
_VM_GONE = dt.date(2027, 3, 20)
_CUD_ID = "projects/kestrel-ml-serving/regions/europe-west4/commitments/cud-n2-euw4"
_CUD_NAME = "cud-n2-euw4"
_NAT_SPIKE = (dt.date(2027, 4, 13), dt.date(2027, 4, 17))
_CREDIT_POOL = 3000.0
_TAX_RATES = {"AWS": 0.07, "Microsoft": 0.19, "Google Cloud": 0.21}


class _Billing:
    def __init__(self) -> None:
        self.rows: list[dict] = []

    def add(self, provider: str, sub: str | None, day_start: dt.datetime, day_end: dt.datetime, *, category: str,
            service: str, svc_cat: str, svc_sub: str | None, billed: float, effective: float, listed: float,
            contracted: float, description: str, quantity: float | None, unit: str | None,
            region: str | None = None, zone: str | None = None, resource: str | None = None,
            resource_name: str | None = None, resource_type: str | None = None, sku: str | None = None,
            meter: str | None = None, list_price: float | None = None, contracted_price: float | None = None,
            pricing_category: str | None = "Standard", frequency: str = "Usage-Based", tags: dict | None = None,
            publisher: str | None = None, charge_class: str | None = None, billing_start: dt.date | None = None,
            consumed: float | None = None, consumed_unit: str | None = None, commitment: tuple | None = None,
            commitment_status: str | None = None, reservation_status: str | None = None,
            reservation: str | None = None) -> None:
        acct_id, acct_name, issuer, pub = _ACCOUNTS[provider]
        bp = billing_start or _month_start(day_start.date())
        cd = commitment or (None, None, None, None)
        self.rows.append({
            "BilledCost": round(billed, 6), "EffectiveCost": round(effective, 6), "ListCost": round(listed, 6),
            "ContractedCost": round(contracted, 6),
            "BillingAccountId": acct_id, "BillingAccountName": acct_name, "BillingCurrency": "USD",
            "BillingPeriodStart": _ts(bp), "BillingPeriodEnd": _ts(_next_month(bp)),
            "ChargePeriodStart": day_start, "ChargePeriodEnd": day_end,
            "ChargeCategory": category, "ChargeClass": charge_class, "ChargeDescription": description,
            "ChargeFrequency": frequency,
            "InvoiceIssuerName": issuer, "ProviderName": provider, "PublisherName": publisher or pub,
            "InvoiceId": f"{provider[:3].upper()}-INV-{bp:%Y%m}",
            "ServiceCategory": svc_cat, "ServiceSubcategory": svc_sub, "ServiceName": service,
            "SubAccountId": _SUBS[sub][1] if sub else None, "SubAccountName": sub,
            "RegionId": region, "RegionName": _REGIONS.get(region) if region else None, "AvailabilityZone": zone,
            "ResourceId": resource, "ResourceName": resource_name, "ResourceType": resource_type,
            "SkuId": sku, "SkuPriceId": f"{sku}-{'std' if pricing_category != 'Committed' else 'cmt'}" if sku else None,
            "SkuMeter": meter,
            "PricingCategory": pricing_category, "PricingQuantity": quantity, "PricingUnit": unit,
            "ConsumedQuantity": consumed if consumed is not None else (quantity if category == "Usage" else None),
            "ConsumedUnit": consumed_unit or (unit if category == "Usage" else None),
            "ListUnitPrice": list_price, "ContractedUnitPrice": contracted_price,
            "CommitmentDiscountId": cd[0], "CommitmentDiscountName": cd[1], "CommitmentDiscountCategory": cd[2],
            "CommitmentDiscountType": cd[3], "CommitmentDiscountStatus": commitment_status,
            "CapacityReservationId": reservation, "CapacityReservationStatus": reservation_status,
            "Tags": json.dumps(tags, sort_keys=True) if tags else None,
        })

    def usage(self, provider, sub, start, end, *, quantity, list_price, discount=1.0, effective_price=None, **kw):
        """A usage line priced from its unit prices: list, contracted (list * discount), effective."""
        listed = quantity * list_price
        contracted = quantity * list_price * discount
        effective = quantity * effective_price if effective_price is not None else contracted
        billed = kw.pop("billed", None)
        billed = contracted if billed is None else billed
        self.add(provider, sub, start, end, category="Usage", billed=billed, effective=effective, listed=listed,
                 contracted=contracted, quantity=quantity, list_price=list_price,
                 contracted_price=list_price * discount, **kw)

    def table(self) -> pa.Table:
        return pa.table({name: pa.array([r[name] for r in self.rows], type=t) for name, t in _BILLING_COLUMNS})


def _tags(**kw) -> dict:
    return {k.replace("_", "-"): v for k, v in kw.items() if v is not None}


def _billing(rng: np.random.Generator, llm: dict, gpu_daily: dict) -> pa.Table:
    b = _Billing()
    sp = (_SP_ID, _SP_NAME, "Spend", "Savings Plan")
    ri = (_RI_ID, _RI_NAME, "Usage", "Reservation")
    cud = (_CUD_ID, _CUD_NAME, "Usage", "Committed Use Discount")
    credit_left = _CREDIT_POOL

    # EC2 fleets, hourly. (resource, name, sub, region, zone, type, list/h, tags, running until)
    fleet = []
    for i in range(10):
        zone = "us-east-1a" if i % 2 == 0 else "us-east-1b"
        fleet.append((f"i-0re{i:02d}a7c3", f"route-engine-{i + 1:02d}", "kestrel-prod", "us-east-1", zone, "m7i.2xlarge", 0.4032,
                      _tags(team="routing", application="route-engine", environment="prod", cost_center="CC-2100"),
                      _FLEET_CUT if i >= 6 else None))
    for i in range(4):
        fleet.append((f"i-0st{i:02d}b4d1", f"staging-app-{i + 1:02d}", "kestrel-staging", "us-west-2", "us-west-2a", "m7i.xlarge", 0.2016,
                      _tags(team="platform", environment="staging") if i < 3 else None, None))
    for d in range(DAYS):
        day = START + dt.timedelta(days=d)
        for h in range(24):
            s, e = _ts(day, h), _ts(day, h) + dt.timedelta(hours=1)
            used = 0.0
            for res, name, sub, region, zone, itype, lp, tags, until in fleet:
                if until is not None and day >= until:
                    continue
                used += lp * _SP_RATE
                b.usage("AWS", sub, s, e, quantity=1.0, list_price=lp, discount=_AWS_EDP, effective_price=lp * _SP_RATE,
                        billed=0.0, service="Amazon Elastic Compute Cloud", svc_cat="Compute", svc_sub="Virtual Machines",
                        description=f"{itype} Linux instance hour covered by Compute Savings Plan", unit="Hours",
                        region=region, zone=zone, resource=res, resource_name=name, resource_type="Instance",
                        sku=f"EC2-{itype}-Linux", meter="BoxUsage", pricing_category="Committed", tags=tags,
                        commitment=sp, commitment_status="Used")
            unused = _SP_COMMIT - used
            b.add("AWS", "kestrel-prod", s, e, category="Usage", service="AWS Savings Plans", svc_cat="Compute",
                  svc_sub="Virtual Machines", billed=0.0, effective=unused, listed=unused, contracted=unused,
                  description="Unused Compute Savings Plan commitment", quantity=unused, unit="USD",
                  resource=_SP_ID, resource_name=_SP_NAME, resource_type="Savings Plan", sku="SavingsPlanUnused",
                  meter="SavingsPlanNegation", pricing_category="Committed", commitment=sp, commitment_status="Unused")
            # GPU burst pool in a capacity reservation of four g6.12xlarge
            running = 3 if day >= dt.date(2027, 4, 5) else 2
            g6 = 4.6016
            for k in range(running):
                b.usage("AWS", "kestrel-ml", s, e, quantity=1.0, list_price=g6, discount=_AWS_EDP,
                        service="Amazon Elastic Compute Cloud", svc_cat="Compute", svc_sub="Virtual Machines",
                        description="g6.12xlarge Linux instance hour in capacity reservation", unit="Hours",
                        region="us-east-1", zone="us-east-1a", resource=f"i-0g6burst{k}", resource_name=f"gpu-burst-{k + 1}",
                        resource_type="Instance", sku="EC2-g6.12xlarge-Linux", meter="BoxUsage",
                        tags=_tags(team="ml-platform", application="gpu-burst", environment="prod"),
                        reservation=_CR_ID, reservation_status="Used")
            idle = 4 - running
            b.usage("AWS", "kestrel-ml", s, e, quantity=float(idle), list_price=g6, discount=_AWS_EDP,
                    service="Amazon Elastic Compute Cloud", svc_cat="Compute", svc_sub="Virtual Machines",
                    description="Unused capacity reservation g6.12xlarge", unit="Hours",
                    region="us-east-1", zone="us-east-1a", resource=_CR_ID, resource_name="g6-burst-reservation",
                    resource_type="Capacity Reservation", sku="EC2-g6.12xlarge-Reservation", meter="UnusedBox",
                    tags=_tags(team="ml-platform", application="gpu-burst"),
                    reservation=_CR_ID, reservation_status="Unused")

    for month in (dt.date(2027, 2, 1), dt.date(2027, 3, 1), dt.date(2027, 4, 1)):
        hours = (_next_month(month) - month).days * 24
        fee = _SP_COMMIT * hours
        b.add("AWS", "kestrel-prod", _ts(month), _ts(_next_month(month)), category="Purchase", service="AWS Savings Plans",
              svc_cat="Compute", svc_sub="Virtual Machines", billed=fee, effective=0.0, listed=fee, contracted=fee,
              description="Compute Savings Plan 1 year No Upfront, monthly recurring fee", quantity=fee, unit="USD",
              resource=_SP_ID, resource_name=_SP_NAME, resource_type="Savings Plan", sku="ComputeSP-1yr-NoUpfront",
              pricing_category=None, frequency="Recurring", commitment=sp)
        # GCP CUD fee for 32 N2 cores, monthly
        cud_fee = 32 * 0.0218 * hours
        b.add("Google Cloud", "kestrel-ml-serving", _ts(month), _ts(_next_month(month)), category="Purchase",
              service="Compute Engine", svc_cat="Compute", svc_sub="Virtual Machines", billed=cud_fee, effective=0.0,
              listed=cud_fee, contracted=cud_fee, description="Commitment v1: N2 Cores in europe-west4 for 1 year",
              quantity=32 * hours, unit="Hours", region="europe-west4", resource=_CUD_ID, resource_name=_CUD_NAME,
              resource_type="Commitment", sku="CUD-N2-Core-euw4", pricing_category=None, frequency="Recurring",
              commitment=cud)

    # Azure reservation, one-time purchase
    ri_rate = 0.384 * 0.59
    ri_total = 6 * ri_rate * 8760
    b.add("Microsoft", "kestrel-eu-prod", _ts(_RI_START), _ts(_RI_START) + dt.timedelta(days=1), category="Purchase",
          service="Virtual Machines", svc_cat="Compute", svc_sub="Virtual Machines", billed=ri_total, effective=0.0,
          listed=ri_total, contracted=ri_total, description="Reserved VM Instance, Standard_D8s_v5, West Europe, 1 Year (6)",
          quantity=6.0, unit="Reservations", region="westeurope", resource=_RI_ID, resource_name=_RI_NAME,
          resource_type="Reservation", sku="DZH318Z0BQ4L", pricing_category=None, frequency="One-Time", commitment=ri)

    for d in range(DAYS):
        day = START + dt.timedelta(days=d)
        s, e = _ts(day), _ts(day + dt.timedelta(days=1))
        wk = 0.8 if day.weekday() >= 5 else 1.0
        ramp = 1.0 + 0.003 * d

        # --- AWS daily
        b.usage("AWS", "kestrel-prod", s, e, quantity=48.0, list_price=1.04, discount=_AWS_EDP,
                service="Amazon Relational Database Service", svc_cat="Databases", svc_sub="Relational Databases",
                description="db.r6g.2xlarge Multi-AZ PostgreSQL instance hours", unit="Hours", region="us-east-1",
                resource="arn:aws:rds:us-east-1:552193847210:db:shipments-db", resource_name="shipments-db",
                resource_type="DB Instance", sku="RDS-r6g.2xlarge-MAZ", meter="InstanceUsage",
                tags=_tags(team="platform", application="shipments-api", environment="prod", cost_center="CC-1000"))
        gb = 182000 + 620 * d + rng.normal(0, 400)
        b.usage("AWS", "kestrel-data", s, e, quantity=gb / 30, list_price=0.023, discount=_AWS_EDP,
                service="Amazon Simple Storage Service", svc_cat="Storage", svc_sub="Object Storage",
                description="S3 Standard storage", unit="GB-Month", consumed=gb / 30 * 730, consumed_unit="GB-Hours",
                region="us-east-1", resource="arn:aws:s3:::kestrel-telemetry-lake", resource_name="kestrel-telemetry-lake",
                resource_type="Bucket", sku="S3-Standard-Storage", meter="TimedStorage-ByteHrs",
                tags=_tags(team="data-eng", application="telemetry-lake", cost_center="CC-3300"))
        b.usage("AWS", "kestrel-data", s, e, quantity=64000 / 30, list_price=0.0125, discount=_AWS_EDP,
                service="Amazon Simple Storage Service", svc_cat="Storage", svc_sub="Object Storage",
                description="S3 Standard-IA storage", unit="GB-Month", consumed=64000 / 30 * 730, consumed_unit="GB-Hours",
                region="us-east-1", resource="arn:aws:s3:::kestrel-docs-archive", resource_name="kestrel-docs-archive",
                resource_type="Bucket", sku="S3-StandardIA-Storage", meter="TimedStorage-SIA-ByteHrs")
        req = (2.4e6 + rng.normal(0, 1e5)) * wk / 1000
        b.usage("AWS", "kestrel-data", s, e, quantity=req, list_price=0.005, discount=_AWS_EDP,
                service="Amazon Simple Storage Service", svc_cat="Storage", svc_sub="Object Storage",
                description="S3 PUT, COPY, POST, LIST requests", unit="1K Requests", region="us-east-1",
                resource="arn:aws:s3:::kestrel-telemetry-lake", resource_name="kestrel-telemetry-lake",
                resource_type="Bucket", sku="S3-Tier1-Requests", meter="Requests-Tier1",
                tags=_tags(team="data-eng", application="telemetry-lake", cost_center="CC-3300"))
        nat_gb = 900 + rng.normal(0, 60)
        if _NAT_SPIKE[0] <= day < _NAT_SPIKE[1]:
            nat_gb = 41000 + rng.normal(0, 1500)
        b.usage("AWS", "kestrel-data", s, e, quantity=nat_gb, list_price=0.045, discount=_AWS_EDP,
                service="Amazon Virtual Private Cloud", svc_cat="Networking", svc_sub="Network Infrastructure",
                description="NAT Gateway data processed", unit="GB", region="eu-central-1",
                resource="nat-0e7d1c2b3a4f5e6d7", resource_name="data-egress-nat", resource_type="NAT Gateway",
                sku="VPC-NatGateway-Bytes", meter="NatGateway-Bytes",
                tags=_tags(team="data-eng", environment="prod"))
        b.usage("AWS", "kestrel-data", s, e, quantity=24.0, list_price=0.045, discount=_AWS_EDP,
                service="Amazon Virtual Private Cloud", svc_cat="Networking", svc_sub="Network Infrastructure",
                description="NAT Gateway hours", unit="Hours", region="eu-central-1",
                resource="nat-0e7d1c2b3a4f5e6d7", resource_name="data-egress-nat", resource_type="NAT Gateway",
                sku="VPC-NatGateway-Hours", meter="NatGateway-Hours", tags=_tags(team="data-eng", environment="prod"))
        xfer = (5200 + rng.normal(0, 300)) * wk
        b.usage("AWS", "kestrel-prod", s, e, quantity=xfer, list_price=0.02, discount=_AWS_EDP,
                service="AWS Data Transfer", svc_cat="Networking", svc_sub="Network Connectivity",
                description="Inter-region data transfer us-east-1 to eu-central-1", unit="GB", region="us-east-1",
                sku="DataTransfer-InterRegion", meter="DataTransfer-Out-Bytes")
        cdn = (5200 + rng.normal(0, 300)) * wk * ramp
        b.usage("AWS", "kestrel-prod", s, e, quantity=cdn, list_price=0.085, discount=_AWS_EDP,
                service="Amazon CloudFront", svc_cat="Networking", svc_sub="Content Delivery",
                description="CloudFront data transfer out to internet", unit="GB", region="us-east-1",
                resource="E2KFW7TRACK01", resource_name="tracking-portal-cdn", resource_type="Distribution",
                sku="CloudFront-DataTransfer-Out", meter="DataTransfer-Out-Bytes",
                tags=_tags(team="platform", application="tracking-portal", environment="prod", cost_center="CC-1000"))
        logs = 310 + 2.2 * d + rng.normal(0, 15)
        b.usage("AWS", "kestrel-prod", s, e, quantity=logs, list_price=0.50, discount=_AWS_EDP,
                service="Amazon CloudWatch", svc_cat="Management and Governance", svc_sub="Observability",
                description="CloudWatch Logs data ingested", unit="GB", region="us-east-1",
                sku="CW-Logs-Ingestion", meter="DataProcessing-Bytes", tags=_tags(team="platform", environment="prod"))
        b.usage("AWS", "kestrel-staging", s, e, quantity=45 + rng.normal(0, 4), list_price=0.50, discount=_AWS_EDP,
                service="Amazon CloudWatch", svc_cat="Management and Governance", svc_sub="Observability",
                description="CloudWatch Logs data ingested", unit="GB", region="us-west-2",
                sku="CW-Logs-Ingestion", meter="DataProcessing-Bytes", tags=_tags(team="platform", environment="staging"))
        b.usage("AWS", "kestrel-prod", s, e, quantity=24.0, list_price=0.10, discount=_AWS_EDP,
                service="Amazon Elastic Kubernetes Service", svc_cat="Compute", svc_sub="Containers",
                description="EKS cluster hours", unit="Hours", region="us-east-1",
                resource="arn:aws:eks:us-east-1:552193847210:cluster/kfw-prod", resource_name="kfw-prod",
                resource_type="Cluster", sku="EKS-Cluster-Hours", meter="AmazonEKS-Hours",
                tags=_tags(team="platform", environment="prod"))
        # AWS marketplace: Vectorly (daily units) for shipment-search
        units = 96 + 0.5 * d
        b.usage("AWS", "kestrel-ml", s, e, quantity=units, list_price=0.75, publisher="Vectorly Inc.",
                service="Vectorly Managed Vector Search", svc_cat="Databases", svc_sub="Other (Databases)",
                description="Vectorly search units (AWS Marketplace)", unit="Units", region="us-east-1",
                resource="vectorly-kfw-prod", resource_name="shipment-vectors", resource_type="Index",
                sku="VECTORLY-SU", pricing_category="Standard",
                tags=_tags(team="search", feature="shipment-search", environment="prod"))

        # Bedrock from llm_requests (input / output lines per model, feature, environment)
        for provider, service, sub, region, acct in (
            ("bedrock", "Amazon Bedrock", "kestrel-ml", "us-east-1", "AWS"),
            ("azure-openai", "Azure OpenAI Service", "kestrel-eu-prod", "westeurope", "Microsoft"),
            ("vertex", "Vertex AI", "kestrel-ml-serving", "us-central1", "Google Cloud"),
        ):
            day_ai = 0.0
            for (kday, kprov, kmodel, kfeat, kteam, kenv), cost in sorted(llm["cost"].items()):
                if kday != day or kprov != provider or cost <= 0:
                    continue
                tin, tout = llm["tokens"][(kday, kprov, kmodel, kfeat, kteam, kenv)]
                pi, _, po = _price(kprov, kmodel, s)
                out_cost = tout * po / 1e6
                in_cost = cost - out_cost
                tags = _tags(team=kteam, feature=kfeat, model=kmodel, environment=kenv)
                for what, c, qty in (("input", in_cost, tin), ("output", out_cost, tout)):
                    if c <= 0:
                        continue
                    b.add(acct, sub, s, e, category="Usage", service=service, svc_cat="AI and Machine Learning",
                          svc_sub="Generative AI", billed=c, effective=c, listed=c, contracted=c,
                          description=f"{kmodel} {what} tokens", quantity=qty / 1000, unit="1K Tokens",
                          list_price=c / (qty / 1000), contracted_price=c / (qty / 1000), region=region,
                          sku=f"{kmodel}-{what}", meter=f"{what.capitalize()}Tokens", tags=tags)
                    day_ai += c
            # bulk traffic the request logs do not see: batch jobs billed per day
            batch = {
                "bedrock": ("customs-classifier", "trade-compliance", "claude-3-5-haiku", 0.0004,
                            (165.0 if day >= _PROMPT_GROWTH else 55.0) * wk),
                "azure-openai": ("email-triage", "ops-automation", "gpt-4o-mini", 0.000075, 18.0 * wk),
                "vertex": ("eta-explainer", "routing", "gemini-2.0-flash", 0.00005 if s < _GEMINI_CHANGE else 0.000075,
                           220000.0 * (0.00005 if s < _GEMINI_CHANGE else 0.000075) * wk),
            }[provider]
            bfeat, bteam, bmodel, bprice, bcost = batch
            bcost = round(bcost * (1 + rng.normal(0, 0.05)), 4)
            b.add(acct, sub, s, e, category="Usage", service=service, svc_cat="AI and Machine Learning",
                  svc_sub="Generative AI", billed=bcost, effective=bcost, listed=bcost, contracted=bcost,
                  description=f"{bmodel} batch inference input tokens", quantity=bcost / bprice, unit="1K Tokens",
                  list_price=bprice, contracted_price=bprice, region=region, sku=f"{bmodel}-batch-input",
                  meter="BatchInputTokens", tags=_tags(team=bteam, feature=bfeat, model=bmodel, environment="prod"))
            day_ai += bcost
            if provider == "bedrock" and credit_left > 0:
                credit = min(credit_left, day_ai)
                credit_left -= credit
                b.add("AWS", "kestrel-ml", s, e, category="Credit", service="Amazon Bedrock",
                      svc_cat="AI and Machine Learning", svc_sub="Generative AI", billed=-credit, effective=-credit,
                      listed=-credit, contracted=-credit, description="AWS Generative AI Accelerator credit",
                      quantity=None, unit=None, pricing_category=None, frequency="Usage-Based", region="us-east-1")

        # --- Azure daily
        vms = 6 if day < _VM_GONE else 5
        for k in range(vms):
            covered = day >= _RI_START
            b.usage("Microsoft", "kestrel-eu-prod", s, e, quantity=24.0, list_price=0.384,
                    effective_price=ri_rate if covered else None, billed=0.0 if covered else None,
                    service="Virtual Machines", svc_cat="Compute", svc_sub="Virtual Machines",
                    description="D8s v5 compute hours" + (" (reservation)" if covered else ""), unit="Hours",
                    region="westeurope", zone=f"westeurope-{k % 3 + 1}",
                    resource=f"/subscriptions/b7e2c4a1/resourceGroups/customs/providers/Microsoft.Compute/virtualMachines/customs-vm-{k + 1}",
                    resource_name=f"customs-vm-{k + 1}", resource_type="Virtual machine", sku="DZH318Z0BQ4L",
                    meter="D8s v5", pricing_category="Committed" if covered else "Standard",
                    commitment=ri if covered else None, commitment_status="Used" if covered else None,
                    tags=_tags(team="trade-compliance", application="customs-portal", environment="prod", cost_center="CC-4200"))
        if day >= _RI_START and vms < 6:
            unused = (6 - vms) * 24 * ri_rate
            b.add("Microsoft", "kestrel-eu-prod", s, e, category="Usage", service="Virtual Machines", svc_cat="Compute",
                  svc_sub="Virtual Machines", billed=0.0, effective=unused, listed=unused, contracted=unused,
                  description="Unused reservation hours, D8s v5", quantity=(6 - vms) * 24.0, unit="Hours",
                  region="westeurope", resource=_RI_ID, resource_name=_RI_NAME, resource_type="Reservation",
                  sku="DZH318Z0BQ4L", meter="D8s v5", pricing_category="Committed", commitment=ri,
                  commitment_status="Unused")
        b.usage("Microsoft", "kestrel-eu-prod", s, e, quantity=24.0, list_price=0.962,
                service="Azure Database for PostgreSQL", svc_cat="Databases", svc_sub="Relational Databases",
                description="Flexible Server General Purpose D8ds v5 vCore hours", unit="Hours", region="westeurope",
                resource="/subscriptions/b7e2c4a1/resourceGroups/customs/providers/Microsoft.DBforPostgreSQL/flexibleServers/customs-pg",
                resource_name="customs-pg", resource_type="PostgreSQL flexible server", sku="PG-GP-D8ds-v5",
                meter="vCore", tags=_tags(team="trade-compliance", application="customs-portal", environment="prod"))
        b.usage("Microsoft", "kestrel-eu-analytics", s, e, quantity=(52000 + 150 * d) / 30, list_price=0.0184,
                service="Storage Accounts", svc_cat="Storage", svc_sub="Object Storage",
                description="Hot LRS data stored", unit="GB-Month", region="northeurope",
                resource="/subscriptions/c93f1e02/resourceGroups/analytics/providers/Microsoft.Storage/storageAccounts/kfwcustomsarchive",
                resource_name="kfwcustomsarchive", resource_type="Storage account", sku="Blob-Hot-LRS", meter="Hot LRS Data Stored")
        b.usage("Microsoft", "kestrel-eu-prod", s, e, quantity=38 + rng.normal(0, 3), list_price=2.30,
                service="Azure Monitor", svc_cat="Management and Governance", svc_sub="Observability",
                description="Log Analytics data ingestion", unit="GB", region="westeurope", sku="LA-PayGo-Ingest",
                meter="Analytics Logs Data Ingestion", tags=_tags(team="trade-compliance", environment="prod"))
        calls = (380 + rng.normal(0, 25)) * wk
        b.usage("Microsoft", "kestrel-eu-prod", s, e, quantity=calls, list_price=0.05, publisher="Geomesh GmbH",
                service="Geomesh Routing Maps API", svc_cat="Web", svc_sub="Other (Web)",
                description="Geomesh route matrix calls, per 1,000 (Azure Marketplace)", unit="1K Calls", region="westeurope",
                resource="geomesh-kfw", resource_name="geomesh-kfw", resource_type="SaaS", sku="GEOMESH-MATRIX-1K",
                tags=_tags(team="routing", feature="route-copilot", environment="prod", application="route-engine"))

        # --- GCP daily
        for (gday, cluster, gpu), cost in sorted(gpu_daily.items()):
            if gday != day:
                continue
            region = "europe-west4" if cluster.endswith("euw4") else "us-central1"
            lp = 2.95 if gpu == "A100" else 0.80
            qty = cost / lp
            b.usage("Google Cloud", "kestrel-ml-serving", s, e, quantity=qty, list_price=lp,
                    service="Compute Engine", svc_cat="Compute", svc_sub="Virtual Machines",
                    description=f"Nvidia {gpu} GPU running in {region}", unit="GPU-Hours", region=region,
                    zone=f"{region}-a", resource=f"//container.googleapis.com/projects/kestrel-ml-serving/clusters/{cluster}",
                    resource_name=cluster, resource_type="GKE cluster", sku=f"GPU-{gpu}-{region}", meter=f"{gpu} GPU",
                    tags=_tags(team="ml-platform", application="llm-serving", environment="prod"))
        for k in range(4):
            b.usage("Google Cloud", "kestrel-ml-serving", s, e, quantity=8 * 24.0, list_price=0.031611, discount=1.0,
                    effective_price=0.0218, billed=0.0, service="Compute Engine", svc_cat="Compute",
                    svc_sub="Virtual Machines", description="N2 Instance Core running in Netherlands (commitment)",
                    unit="Hours", region="europe-west4", zone="europe-west4-b",
                    resource=f"//compute.googleapis.com/projects/kestrel-ml-serving/zones/europe-west4-b/instances/gke-route-pool-{k + 1}",
                    resource_name=f"gke-route-pool-{k + 1}", resource_type="Instance", sku="N2-Core-euw4", meter="N2 Core",
                    pricing_category="Committed", commitment=cud, commitment_status="Used",
                    tags=_tags(team="routing", application="route-engine", environment="prod", cost_center="CC-2100"))
        b.usage("Google Cloud", "kestrel-ml-serving", s, e, quantity=24.0, list_price=0.10,
                service="Kubernetes Engine", svc_cat="Compute", svc_sub="Containers",
                description="GKE cluster management fee", unit="Hours", region="europe-west4",
                resource="//container.googleapis.com/projects/kestrel-ml-serving/clusters/gke-llm-euw4",
                resource_name="gke-llm-euw4", resource_type="GKE cluster", sku="GKE-Mgmt", meter="Cluster management",
                tags=_tags(team="ml-platform", environment="prod"))
        tib = (26 + rng.normal(0, 3)) * wk * ramp
        b.usage("Google Cloud", "kestrel-analytics", s, e, quantity=tib, list_price=6.25,
                service="BigQuery", svc_cat="Analytics", svc_sub="Data Processing",
                description="Analysis (on-demand), TiB scanned", unit="TiB", region="europe-west4", sku="BQ-Analysis-OnDemand",
                meter="Analysis", tags=_tags(team="data-eng", application="freight-analytics", cost_center="CC-3300"))
        b.usage("Google Cloud", "kestrel-analytics", s, e, quantity=(41000 + 90 * d) / 30, list_price=0.020,
                service="Cloud Storage", svc_cat="Storage", svc_sub="Object Storage",
                description="Standard Storage Netherlands", unit="GiB-Month", region="europe-west4",
                resource="kfw-analytics-raw", resource_name="kfw-analytics-raw", resource_type="Bucket",
                sku="GCS-Standard-euw4", meter="Standard Storage")

    # Tollgate Security (AWS Marketplace), monthly subscription
    for month in (dt.date(2027, 2, 1), dt.date(2027, 3, 1), dt.date(2027, 4, 1)):
        b.usage("AWS", "kestrel-prod", _ts(month), _ts(_next_month(month)), quantity=1.0, list_price=1450.0,
                publisher="Tollgate Security Ltd", service="Tollgate WAF Managed Rules", svc_cat="Security",
                svc_sub="Network Security", description="Tollgate WAF Managed Rules, Business tier, monthly (AWS Marketplace)",
                unit="Months", region="us-east-1", sku="TOLLGATE-WAF-BIZ", frequency="Recurring")

    # Azure adjustment (SLA credit on the PostgreSQL outage)
    b.add("Microsoft", "kestrel-eu-prod", _ts(dt.date(2027, 3, 12)), _ts(dt.date(2027, 3, 13)), category="Adjustment",
          service="Azure Database for PostgreSQL", svc_cat="Databases", svc_sub="Relational Databases",
          billed=-115.44, effective=-115.44, listed=-115.44, contracted=-115.44,
          description="Service level agreement credit, customs-pg outage 2027-03-11", quantity=None, unit=None,
          region="westeurope", pricing_category=None, frequency="One-Time")

    # Corrections: S3 over-charge refunded on the March invoice; BigQuery under-billing on the April invoice
    b.add("AWS", "kestrel-data", _ts(dt.date(2027, 2, 10)), _ts(dt.date(2027, 2, 15)), category="Usage",
          charge_class="Correction", service="Amazon Simple Storage Service", svc_cat="Storage", svc_sub="Object Storage",
          billed=-842.50, effective=-842.50, listed=-877.60, contracted=-842.50,
          description="Correction: S3 Standard storage over-metered 2027-02-10 to 2027-02-14", quantity=-38152.17,
          unit="GB-Month", region="us-east-1", resource="arn:aws:s3:::kestrel-telemetry-lake",
          resource_name="kestrel-telemetry-lake", resource_type="Bucket", sku="S3-Standard-Storage",
          billing_start=dt.date(2027, 3, 1), tags=_tags(team="data-eng", application="telemetry-lake", cost_center="CC-3300"))
    b.add("Google Cloud", "kestrel-analytics", _ts(dt.date(2027, 3, 20)), _ts(dt.date(2027, 3, 21)), category="Usage",
          charge_class="Correction", service="BigQuery", svc_cat="Analytics", svc_sub="Data Processing",
          billed=1236.40, effective=1236.40, listed=1236.40, contracted=1236.40,
          description="Correction: BigQuery analysis under-billed on 2027-03-20", quantity=197.824, unit="TiB",
          region="europe-west4", sku="BQ-Analysis-OnDemand", billing_start=dt.date(2027, 4, 1),
          tags=_tags(team="data-eng", application="freight-analytics", cost_center="CC-3300"))

    # Taxes on the closed billing periods (February, March), per billing account
    for month in (dt.date(2027, 2, 1), dt.date(2027, 3, 1)):
        for provider, rate in _TAX_RATES.items():
            base = sum(r["BilledCost"] for r in b.rows
                       if r["ProviderName"] == provider and r["BillingPeriodStart"] == _ts(month) and r["ChargeCategory"] != "Tax")
            tax = round(base * rate, 2)
            b.add(provider, None, _ts(month), _ts(_next_month(month)), category="Tax", service=
                  {"AWS": "AWS Tax", "Microsoft": "Azure Tax", "Google Cloud": "Google Cloud Tax"}[provider],
                  svc_cat="Other", svc_sub=None, billed=tax, effective=tax, listed=tax, contracted=tax,
                  description={"AWS": "US sales tax", "Microsoft": "VAT 19% (DE)", "Google Cloud": "VAT 21% (NL)"}[provider],
                  quantity=None, unit=None, pricing_category=None, frequency="Recurring")
    return b.table()


# --------------------------------------------------------------------------- budgets

def _budgets() -> pa.Table:
    rows = [
        ("total", None, "cost", 160000.0, None),
        ("service", "Amazon Elastic Compute Cloud", "cost", 14000.0, None),
        ("service", "Amazon Virtual Private Cloud", "cost", 2500.0, None),
        ("service", "Amazon Bedrock", "cost", 3000.0, None),
        ("service", "BigQuery", "cost", 7000.0, None),
        ("team", "routing", "inference_cost", 40.0, 0.02),
        ("team", "trade-compliance", "inference_cost", 15.0, None),
        ("feature", "customs-classifier", "inference_cost", 20.0, 0.004),
        ("model", "claude-sonnet-4", "inference_cost", 25.0, None),
        ("total", None, "gpu_cost", 75000.0, None),
        ("team", "ml-platform", "gpu_cost", 40000.0, None),
    ]
    names = ["scope", "scope_value", "metric", "amount_usd", "max_cost_per_request_usd"]
    cols = list(zip(*rows))
    types = [pa.string(), pa.string(), pa.string(), pa.float64(), pa.float64()]
    table = pa.table({n: pa.array(list(c), type=t) for n, c, t in zip(names, cols, types)})
    return table.append_column("period", pa.array(["month"] * len(rows), type=pa.string()))


def write_company(out_dir: pathlib.Path) -> None:
    """Write Kestrel Freightworks' tables as Parquet files, one folder per table."""
    out_dir = pathlib.Path(out_dir)
    rng = np.random.default_rng(SEED)
    llm, llm_daily = _llm_requests(rng)
    gpu, gpu_daily = _gpu_usage(rng)
    billing = _billing(rng, llm_daily, gpu_daily)
    tables = {
        "model_prices": _model_prices(),
        "budgets": _budgets(),
        "llm_requests": llm,
        "gpu_usage": gpu,
        "billing": billing,
    }
    for name, table in tables.items():
        folder = out_dir / name
        folder.mkdir(parents=True, exist_ok=True)
        pq.write_table(table, folder / f"{name}.parquet", compression="zstd")


if __name__ == "__main__":  # pragma: no cover
    import sys

    write_company(pathlib.Path(sys.argv[1] if len(sys.argv) > 1 else "/tmp/blind_billing-data"))
