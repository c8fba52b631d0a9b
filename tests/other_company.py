"""Fjord Fintech: a second company, shaped unlike the demo, for generalization tests.

Nothing here comes from the demo generator: other features, teams, models,
providers, environments, GPU fleet, cloud services, regions and budgets. The
offline planner must read every value it matches from the warehouse, so a
question set written against this data (`evals/sets/othercorp.yaml`) only passes
when it does.

The data covers 60 days, 2026-08-01 through 2026-09-29 (UTC); the default
`as_of` is therefore 2026-09-30, a Wednesday. Everything is drawn from one
seeded `numpy` generator, so the files are byte-for-byte the same on every run.

What lives in it (the stories the questions ask about):

- LLM traffic of five features: fraud-scoring (risk; gemini-2.0-flash, some
  self-hosted qwen-2.5-72b), kyc-review (onboarding; gpt-4.1 on azure-openai),
  statement-parser (payments; mistral-small, some mistral-large), advisor-chat
  (wealth; gemini-2.5-pro, some gpt-4.1-mini, plus mistral-embed retrieval
  calls) and receipt-ocr (payments; gpt-4.1-mini). Environments prod and sandbox.
  azure-openai requests are logged without a cost: ingest prices them.
- kyc-review's prompts grow 2.2x from Monday 2026-09-21 (a bigger document
  pack): inference cost jumps last week.
- advisor-chat is rate limited by vertex on 2026-09-24..26: errors and retries.
- gemini-2.5-pro gets cheaper on 2026-09-15 (a `model_prices` price change).
- Statement runs double statement-parser traffic on the 1st and 2nd of a month.
- GPUs on GKE: two 2xH100 nodes serve qwen-2.5-72b (prod and sandbox); the
  sandbox deployment is torn down on 2026-09-10 but its node stays up, idle
  and unallocated. L4 nodes run small deployments in two other clusters.
- Billing from Google Cloud, Microsoft (Azure) and Mistral AI; a BigQuery
  backfill more than doubles BigQuery from 2026-09-16; Azure Monitor creeps up;
  Azure Monitor and Cloud Logging lines carry no tags.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

START = datetime(2026, 8, 1)
DAYS = 60  # 2026-08-01 .. 2026-09-29
AS_OF = datetime(2026, 9, 30)  # the day after the last day of data: a Wednesday
SEED = 20260930

KYC_GROWTH_FROM = datetime(2026, 9, 21)
KYC_GROWTH_FACTOR = 2.2
STORM_DAYS = (datetime(2026, 9, 24), datetime(2026, 9, 25), datetime(2026, 9, 26))
PRICE_CUT = datetime(2026, 9, 15)
SANDBOX_TEARDOWN = datetime(2026, 9, 10)
BQ_BACKFILL_FROM = datetime(2026, 9, 16)

TEAMS = ("risk", "onboarding", "payments", "wealth")

# provider, model, input, cached input, output (USD per million tokens), tier, valid_from, valid_to
PRICES = [
    ("mistral", "mistral-large", 2.00, None, 6.00, "large", datetime(2026, 1, 1), None),
    ("mistral", "mistral-small", 0.20, None, 0.60, "small", datetime(2026, 1, 1), None),
    ("mistral", "mistral-embed", 0.10, None, 0.00, "small", datetime(2026, 1, 1), None),
    ("vertex", "gemini-2.0-flash", 0.10, 0.025, 0.40, "small", datetime(2026, 1, 1), None),
    ("vertex", "gemini-2.5-pro", 1.25, 0.31, 10.00, "large", datetime(2026, 1, 1), PRICE_CUT),
    ("vertex", "gemini-2.5-pro", 1.00, 0.25, 8.00, "large", PRICE_CUT, None),
    ("azure-openai", "gpt-4.1", 2.00, 0.50, 8.00, "large", datetime(2026, 1, 1), None),
    ("azure-openai", "gpt-4.1-mini", 0.40, 0.10, 1.60, "small", datetime(2026, 1, 1), None),
    ("self-hosted", "qwen-2.5-72b", 0.00, 0.00, 0.00, "medium", datetime(2026, 1, 1), None),
]
PROVIDER_OF = {model: provider for provider, model, *_ in PRICES}
# first-token latency (ms) and ms per output token
LATENCY = {
    "mistral-large": (520.0, 16.0),
    "mistral-small": (260.0, 7.0),
    "mistral-embed": (45.0, 0.0),
    "gemini-2.0-flash": (210.0, 4.0),
    "gemini-2.5-pro": (900.0, 13.0),
    "gpt-4.1": (640.0, 12.0),
    "gpt-4.1-mini": (330.0, 6.0),
    "qwen-2.5-72b": (180.0, 15.0),
}


@dataclass(frozen=True)
class Feature:
    name: str
    team: str
    model: str
    alt_model: str | None
    alt_share: float
    per_day: float  # prod requests on a weekday
    input_mean: float
    output_mean: float
    cached_share: float
    repeat_rate: float
    fail_rate: float
    sandbox_share: float
    embed_share: float = 0.0  # share of requests that are mistral-embed retrieval calls


FEATURES = (
    Feature("fraud-scoring", "risk", "gemini-2.0-flash", "qwen-2.5-72b", 0.20, 260, 1800, 80, 0.50, 0.30, 0.010, 0.05),
    Feature("kyc-review", "onboarding", "gpt-4.1", None, 0.0, 70, 14000, 900, 0.20, 0.02, 0.020, 0.10),
    Feature("statement-parser", "payments", "mistral-small", "mistral-large", 0.30, 150, 5000, 900, 0.0, 0.05, 0.015, 0.08),
    Feature("advisor-chat", "wealth", "gemini-2.5-pro", "gpt-4.1-mini", 0.30, 150, 4000, 450, 0.30, 0.08, 0.020, 0.06,
            embed_share=0.40),
    Feature("receipt-ocr", "payments", "gpt-4.1-mini", None, 0.0, 75, 1400, 220, 0.10, 0.03, 0.010, 0.04),
)
# Share of a day's requests per UTC hour: European business hours.
HOUR_WEIGHTS = np.array([1, 1, 1, 1, 1, 2, 3, 5, 8, 9, 9, 9, 8, 9, 9, 8, 7, 6, 5, 4, 3, 2, 2, 1], dtype=float)
HOUR_WEIGHTS /= HOUR_WEIGHTS.sum()
USERS = 900


def _hex(text: str, n: int = 16) -> str:
    return hashlib.sha1(text.encode()).hexdigest()[:n]


def price_at(model: str, ts: datetime) -> tuple[float, float, float]:
    for _, m, inp, cached, out, _, start, end in PRICES:
        if m == model and start <= ts and (end is None or ts < end):
            return inp, (cached if cached is not None else inp), out
    raise KeyError(model)


# --------------------------------------------------------------------------- llm_requests


def llm_rows(rng: np.random.Generator) -> list[dict]:
    rows: list[dict] = []
    user_weights = 1.0 / np.arange(1, USERS + 1) ** 0.8
    user_weights /= user_weights.sum()
    user_ids = [f"cust-{_hex(f'user-{u}', 10)}" for u in range(USERS)]
    popular_hashes = {f.name: [_hex(f"{f.name}-popular-{k}") for k in range(40)] for f in FEATURES}
    seq = 0
    for day in range(DAYS):
        date = START + timedelta(days=day)
        weekend = date.weekday() >= 5
        growth = 1.004**day
        for feature in FEATURES:
            volume = feature.per_day * growth * (0.6 if weekend else 1.0)
            if feature.name == "statement-parser" and date.day in (1, 2):
                volume *= 2.0
            n = int(rng.poisson(volume))
            # plain Python lists: numpy scalars make the row loop several times slower
            hours = rng.choice(24, size=n, p=HOUR_WEIGHTS).tolist()
            seconds = rng.integers(0, 3600, size=n).tolist()
            users = rng.choice(USERS, size=n, p=user_weights).tolist()
            kind = rng.random(n).tolist()
            sandbox = (rng.random(n) < feature.sandbox_share).tolist()
            in_noise = rng.lognormal(0.0, 0.45, size=n).tolist()
            out_noise = rng.lognormal(0.0, 0.5, size=n).tolist()
            lat_noise = rng.lognormal(0.0, 0.25, size=n).tolist()
            repeat = (rng.random(n) < feature.repeat_rate).tolist()
            popular = rng.integers(0, 40, size=n).tolist()
            fail = rng.random(n).tolist()
            retry = rng.random(n).tolist()
            for i in range(n):
                ts = date + timedelta(hours=int(hours[i]), seconds=int(seconds[i]))
                if feature.embed_share and kind[i] < feature.embed_share:
                    model, operation = "mistral-embed", "embeddings"
                elif feature.alt_model and kind[i] > 1.0 - feature.alt_share:
                    model, operation = feature.alt_model, "chat"
                else:
                    model, operation = feature.model, "chat"
                if operation == "embeddings":
                    input_tokens = max(16, int(300 * in_noise[i]))
                    output_tokens = 0
                    cached = 0
                else:
                    mean = feature.input_mean
                    if feature.name == "kyc-review" and ts >= KYC_GROWTH_FROM:
                        mean *= KYC_GROWTH_FACTOR
                    input_tokens = max(50, int(mean * in_noise[i]))
                    output_tokens = max(5, int(feature.output_mean * out_noise[i]))
                    cached = int(input_tokens * feature.cached_share) if PROVIDER_OF[model] != "mistral" else 0
                fail_rate = feature.fail_rate
                storm = feature.name == "advisor-chat" and model == "gemini-2.5-pro" and date in STORM_DAYS
                if storm:
                    fail_rate = 0.35
                if fail[i] >= fail_rate:
                    status = "ok"
                elif storm:
                    status = "rate_limited"
                else:
                    status = ("error", "timeout", "rate_limited")[int(fail[i] / fail_rate * 3) % 3]
                prompt = popular_hashes[feature.name][popular[i]] if repeat[i] else _hex(f"{feature.name}-{seq}")
                first, per_token = LATENCY[model]
                latency = round((first + per_token * output_tokens) * lat_noise[i], 1)
                base = {
                    "provider": PROVIDER_OF[model],
                    "model": model,
                    "operation": operation,
                    "feature": feature.name,
                    "team": feature.team,
                    "user_id": user_ids[users[i]],
                    "environment": "sandbox" if sandbox[i] else "prod",
                    "input_tokens": input_tokens,
                    "cached_input_tokens": cached,
                    "output_tokens": output_tokens,
                    "prompt_hash": prompt,
                }
                attempts = [(ts, status, latency)]
                if status != "ok" and retry[i] < 0.85:
                    # a retry a few seconds later; in the storm a third of retries are limited again
                    again = "rate_limited" if storm and retry[i] < 0.30 else "ok"
                    attempts.append((ts + timedelta(seconds=3), again, round(latency * 1.1, 1)))
                    if again != "ok":
                        attempts.append((ts + timedelta(seconds=9), "ok", round(latency * 1.2, 1)))
                for attempt, (at, st, lat) in enumerate(attempts, start=1):
                    seq += 1
                    inp, cached_price, out = price_at(model, at)
                    cost = ((input_tokens - cached) * inp + cached * cached_price + output_tokens * out) / 1e6
                    rows.append(
                        {
                            "request_id": f"fj-{seq:07d}",
                            "ts": at,
                            **base,
                            # failed calls still bill the prompt they sent
                            "output_tokens": output_tokens if st == "ok" else 0,
                            "latency_ms": lat,
                            "status": st,
                            "attempt": attempt,
                            "cost_usd": None
                            if base["provider"] == "azure-openai"
                            else round(cost if st == "ok" else cost - output_tokens * out / 1e6, 8),
                        }
                    )
    return rows


def request_cost(row: dict) -> float:
    """A row's cost as ingest prices it (logged, or from PRICES when NULL)."""
    if row["cost_usd"] is not None:
        return row["cost_usd"]
    inp, cached_price, out = price_at(row["model"], row["ts"])
    cached = row["cached_input_tokens"]
    return ((row["input_tokens"] - cached) * inp + cached * cached_price + row["output_tokens"] * out) / 1e6


# --------------------------------------------------------------------------- gpu_usage


@dataclass(frozen=True)
class Node:
    node_id: str
    cluster: str
    region: str
    project: str
    gpu_type: str
    gpu_count: int
    hourly_usd: float  # effective (1-year committed use discount on the H100s)
    list_hourly_usd: float
    deployment: str | None
    team: str
    environment: str
    util_mean: float
    mem_util: float


NODES = (
    # prod runs on a 1-year committed use discount; the sandbox node was never committed (on-demand)
    Node("inf-node-01", "gke-inference-euw4", "europe-west4", "fjord-risk-prod", "H100", 2, 15.60, 22.12,
         "qwen-2.5-72b-prod", "risk", "prod", 61.0, 88.0),
    Node("inf-node-02", "gke-inference-euw4", "europe-west4", "fjord-sandbox", "H100", 2, 22.12, 22.12,
         "qwen-2.5-72b-sandbox", "risk", "sandbox", 24.0, 86.0),
    Node("batch-node-01", "gke-batch-euw4", "europe-west4", "fjord-payments-prod", "L4", 2, 2.00, 2.00,
         "receipt-layout", "payments", "prod", 57.0, 70.0),
    Node("batch-node-02", "gke-batch-euw4", "europe-west4", "fjord-payments-prod", "L4", 1, 1.73, 1.73,
         "receipt-layout", "payments", "prod", 52.0, 68.0),
    Node("batch-node-03", "gke-batch-euw4", "europe-west4", "fjord-risk-prod", "L4", 2, 1.60, 2.00,
         "fraud-embedder", "risk", "prod", 71.0, 62.0),
    Node("batch-node-04", "gke-batch-euw4", "europe-west4", "fjord-payments-prod", "L4", 1, 1.16, 1.16,
         "statement-ner", "payments", "prod", 44.0, 58.0),
    Node("wealth-node-01", "gke-wealth-euw1", "europe-west1", "fjord-wealth-prod", "L4", 1, 0.86, 0.86,
         "advisor-rerank", "wealth", "prod", 36.0, 40.0),
)
DIURNAL = (1.0 + 0.35 * np.sin((np.arange(24) - 8) / 24 * 2 * np.pi)).tolist()


def gpu_rows(rng: np.random.Generator) -> list[dict]:
    rows = []
    for hour in range(DAYS * 24):
        at = START + timedelta(hours=hour)
        noise = rng.normal(0.0, 6.0, size=len(NODES)).tolist()
        for k, node in enumerate(NODES):
            deployment, util = node.deployment, node.util_mean * DIURNAL[at.hour] + noise[k]
            mem = node.mem_util
            if node.node_id == "inf-node-02" and at >= SANDBOX_TEARDOWN:
                deployment, util, mem = None, 1.5 + abs(noise[k]) / 6, 3.0
            rows.append(
                {
                    "hour": at,
                    "cluster": node.cluster,
                    "node_id": node.node_id,
                    "gpu_type": node.gpu_type,
                    "gpu_count": node.gpu_count,
                    "deployment": deployment,
                    "team": node.team,
                    "cost_usd": node.hourly_usd,
                    "gpu_util_pct": round(float(min(99.0, max(0.5, util))), 2),
                    "gpu_mem_util_pct": round(float(mem), 2),
                }
            )
    return rows


# --------------------------------------------------------------------------- billing

GCP = ("Google Cloud", "01F3A9-7C21B4-D0E8F5", "Fjord Fintech")
AZURE = ("Microsoft", "86120455", "Fjord Fintech EA")
MISTRAL = ("Mistral AI", "org-fjord-7Q2K", "Fjord Fintech (Mistral)")


def _sku(text: str) -> str:
    h = _hex(text, 12).upper()
    return f"{h[:4]}-{h[4:8]}-{h[8:12]}"


def _meter(text: str) -> str:
    h = _hex(text, 32)
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


def _tags(team=None, feature=None, model=None, environment=None):
    pairs = (("team", team), ("feature", feature), ("model", model), ("environment", environment))
    kept = [(k, v) for k, v in pairs if v is not None]
    return kept or None


def _line(day: datetime, vendor, sub_account, service, category, subcategory, region, resource, resource_type,
          sku, description, unit, quantity, cost, list_cost, tags, commitment=None) -> dict:
    provider, account_id, account_name = vendor
    month = day.replace(day=1)
    next_month = (month + timedelta(days=32)).replace(day=1)
    return {
        "BilledCost": round(cost, 6),
        "EffectiveCost": round(cost, 6),
        "ListCost": round(list_cost, 6),
        "ContractedCost": round(cost, 6),
        "BillingAccountId": account_id,
        "BillingAccountName": account_name,
        "BillingCurrency": "USD",
        "BillingPeriodStart": month,
        "BillingPeriodEnd": next_month,
        "ChargePeriodStart": day,
        "ChargePeriodEnd": day + timedelta(days=1),
        "ChargeCategory": "Usage",
        "ChargeClass": None,
        "ChargeDescription": description,
        "InvoiceIssuerName": provider,
        "ProviderName": provider,
        "PublisherName": provider,
        "ServiceCategory": category,
        "ServiceName": service,
        "PricingQuantity": round(quantity, 6),
        "PricingUnit": unit,
        "SubAccountId": sub_account and _hex(sub_account, 12),
        "SubAccountName": sub_account,
        "ServiceSubcategory": subcategory,
        "RegionId": region,
        "RegionName": region,
        "ResourceId": resource,
        "ResourceName": resource and resource.rsplit("/", 1)[-1],
        "ResourceType": resource_type,
        "SkuId": sku,
        "CommitmentDiscountId": commitment,
        "Tags": tags,
    }


# (key, vendor, sub account, service, category, subcategory, region, resource, type, unit, USD/day, growth/day, tags, list factor)
FIXED_LINES = (
    ("api-pool", GCP, "fjord-payments-prod", "Compute Engine", "Compute", "Virtual Machines", "europe-west4",
     "projects/fjord-payments-prod/zones/europe-west4-b/instanceGroups/api-pool", "Instance Group", "Hours",
     58.0, 0.002, _tags("payments", environment="prod"), 1.0),
    ("sandbox-vms", GCP, "fjord-sandbox", "Compute Engine", "Compute", "Virtual Machines", "europe-west4",
     "projects/fjord-sandbox/zones/europe-west4-a/instanceGroups/dev-pool", "Instance Group", "Hours",
     13.0, 0.0, _tags(environment="sandbox"), 1.0),
    ("idv-docs", GCP, "fjord-onboarding-prod", "Cloud Storage", "Storage", "Object Storage", "europe-west4",
     "projects/_/buckets/fjord-idv-docs", "Bucket", "GiB-Months",
     17.0, 0.008, _tags("onboarding", "kyc-review", environment="prod"), 1.0),
    ("statements-raw", GCP, "fjord-payments-prod", "Cloud Storage", "Storage", "Object Storage", "europe-west4",
     "projects/_/buckets/fjord-statements-raw", "Bucket", "GiB-Months",
     9.5, 0.004, _tags("payments", "statement-parser", environment="prod"), 1.0),
    ("risk-warehouse", GCP, "fjord-risk-prod", "BigQuery", "Analytics", "Data Warehouses", "europe-west4",
     "projects/fjord-risk-prod/datasets/risk_warehouse", "Dataset", "TiB",
     41.0, 0.0, _tags("risk", environment="prod"), 1.0),
    ("cloud-logging", GCP, "fjord-shared", "Cloud Logging", "Management and Governance", "Observability", None,
     None, None, "GiB", 6.2, 0.0, None, 1.0),
    ("load-balancing", GCP, "fjord-payments-prod", "Cloud Load Balancing", "Networking", "Load Balancing",
     "europe-west4", "projects/fjord-payments-prod/global/forwardingRules/api-lb", "Forwarding Rule", "Hours",
     4.8, 0.0, _tags("payments", environment="prod"), 1.0),
    ("azure-monitor", AZURE, "fjord-shared", "Azure Monitor", "Management and Governance", "Observability",
     "westeurope", None, None, "GB", 9.0, 0.02, None, 1.0),
    ("onboarding-vms", AZURE, "fjord-onboarding-prod", "Virtual Machines", "Compute", "Virtual Machines",
     "westeurope", "/subscriptions/3f6c/resourceGroups/onboarding/providers/Microsoft.Compute/virtualMachines/idv-worker",
     "Virtual Machine", "Hours", 21.0, 0.0, _tags("onboarding", "kyc-review", environment="prod"), 1.0),
    ("ledger-db", AZURE, "fjord-payments-prod", "Azure Database for PostgreSQL", "Databases", "Relational Databases",
     "northeurope", "/subscriptions/8a1d/resourceGroups/payments/providers/Microsoft.DBforPostgreSQL/flexibleServers/ledger",
     "Flexible Server", "Hours", 31.0, 0.0, _tags("payments", environment="prod"), 1.38),
    ("kyc-blobs", AZURE, "fjord-onboarding-prod", "Azure Blob Storage", "Storage", "Object Storage", "westeurope",
     "/subscriptions/3f6c/resourceGroups/onboarding/providers/Microsoft.Storage/storageAccounts/fjordidvblobs",
     "Storage Account", "GB-Months", 7.4, 0.005, _tags("onboarding", "kyc-review", environment="prod"), 1.0),
)

# Which billing line an LLM model's daily spend lands on: (vendor, sub account, service, region, resource, team, feature)
LLM_LINES = {
    ("gemini-2.0-flash", "fraud-scoring"): (GCP, "fjord-risk-prod", "Vertex AI", "europe-west4",
                                            "projects/fjord-risk-prod/locations/europe-west4/endpoints/scoring"),
    ("gemini-2.5-pro", "advisor-chat"): (GCP, "fjord-wealth-prod", "Vertex AI", "europe-west4",
                                         "projects/fjord-wealth-prod/locations/europe-west4/endpoints/advisor"),
    ("gpt-4.1", "kyc-review"): (AZURE, "fjord-onboarding-prod", "Azure OpenAI Service", "westeurope",
                                "/subscriptions/3f6c/resourceGroups/onboarding/providers/Microsoft.CognitiveServices/accounts/oai-idv"),
    ("gpt-4.1-mini", "receipt-ocr"): (AZURE, "fjord-payments-prod", "Azure OpenAI Service", "westeurope",
                                      "/subscriptions/8a1d/resourceGroups/payments/providers/Microsoft.CognitiveServices/accounts/oai-receipts"),
    ("gpt-4.1-mini", "advisor-chat"): (AZURE, "fjord-wealth-prod", "Azure OpenAI Service", "swedencentral",
                                       "/subscriptions/51be/resourceGroups/wealth/providers/Microsoft.CognitiveServices/accounts/oai-advisor"),
    ("mistral-small", "statement-parser"): (MISTRAL, None, "Mistral AI API", None, None),
    ("mistral-large", "statement-parser"): (MISTRAL, None, "Mistral AI API", None, None),
    ("mistral-embed", "advisor-chat"): (MISTRAL, None, "Mistral AI API", None, None),
}
TEAM_OF = {feature.name: feature.team for feature in FEATURES}


def billing_rows(rng: np.random.Generator, llm: list[dict], gpu: list[dict]) -> list[dict]:
    rows = []
    llm_daily: dict[tuple[int, str, str, str], float] = {}
    tokens_daily: dict[tuple[int, str, str, str], float] = {}
    for r in llm:
        if r["model"] == "qwen-2.5-72b":
            continue
        key = ((r["ts"] - START).days, r["model"], r["feature"], r["environment"])
        llm_daily[key] = llm_daily.get(key, 0.0) + request_cost(r)
        tokens_daily[key] = tokens_daily.get(key, 0.0) + r["input_tokens"] + r["output_tokens"]
    gpu_daily: dict[tuple[int, str], float] = {}
    for r in gpu:
        key = ((r["hour"] - START).days, r["node_id"])
        gpu_daily[key] = gpu_daily.get(key, 0.0) + r["cost_usd"]
    nodes = {node.node_id: node for node in NODES}

    for day in range(DAYS):
        date = START + timedelta(days=day)
        weekend = date.weekday() >= 5
        noise = rng.lognormal(0.0, 0.04, size=len(FIXED_LINES)).tolist()
        for k, (key, vendor, sub, service, category, subcat, region, resource, rtype, unit, usd, growth, tags,
                list_factor) in enumerate(FIXED_LINES):
            cost = usd * (1 + growth) ** day * noise[k]
            if key in ("api-pool", "load-balancing") and weekend:
                cost *= 0.8
            if key == "risk-warehouse" and date >= BQ_BACKFILL_FROM:
                cost *= 2.6
            rows.append(
                _line(date, vendor, sub, service, category, subcat, region, resource, rtype, _sku(f"{service}-{key}"),
                      f"{service} {key}", unit, cost / 0.05, cost, cost * list_factor, tags,
                      f"reservations/{key}-1y" if list_factor > 1 else None)
            )
        for node_id, node in nodes.items():
            cost = gpu_daily[(day, node_id)]
            deployment_model = "qwen-2.5-72b" if node.gpu_type == "H100" else None
            environment = node.environment
            rows.append(
                _line(date, GCP, node.project, "Compute Engine", "Compute", "Virtual Machines", node.region,
                      f"projects/{node.project}/zones/{node.region}-a/instances/{node_id}", "Instance",
                      _sku(f"gpu-{node.gpu_type}"), f"{node.gpu_type} GPU node {node_id}", "Hours", 24.0, cost,
                      cost * node.list_hourly_usd / node.hourly_usd,
                      _tags(node.team, None, deployment_model, environment),
                      f"projects/{node.project}/regions/{node.region}/commitments/gpu-1y" if node.list_hourly_usd > node.hourly_usd else None)
            )
        for (model, feature), (vendor, sub, service, region, resource) in LLM_LINES.items():
            for environment in ("prod", "sandbox"):
                cost = llm_daily.get((day, model, feature, environment), 0.0)
                if cost <= 0:
                    continue
                tokens = tokens_daily[(day, model, feature, environment)]
                rows.append(
                    _line(date, vendor, sub, service, "AI and Machine Learning", "Generative AI", region, resource,
                          "Model Deployment" if resource else None, _sku(f"{service}-{model}"),
                          f"{model} tokens", "1M Tokens", tokens / 1e6, cost, cost,
                          _tags(TEAM_OF[feature], feature, model, environment))
                )
    return rows


# --------------------------------------------------------------------------- budgets, prices


def budget_rows() -> list[dict]:
    def budget(scope, value, metric, amount, per_request=None):
        return {"scope": scope, "scope_value": value, "metric": metric, "period": "month",
                "amount_usd": amount, "max_cost_per_request_usd": per_request}

    return [
        budget("total", None, "cost", 40000.0),
        budget("service", "BigQuery", "cost", 2000.0),
        budget("service", "Vertex AI", "cost", 15.0),
        budget("team", "onboarding", "inference_cost", 90.0),
        budget("team", "payments", "inference_cost", 40.0),
        budget("team", "wealth", "inference_cost", 20.0),
        budget("team", "risk", "inference_cost", 2.0),
        budget("feature", "kyc-review", "inference_cost", 95.0, 0.05),
        budget("total", None, "gpu_cost", 32000.0),
        budget("team", "risk", "gpu_cost", 28000.0),
    ]


def price_rows() -> list[dict]:
    keys = ["provider", "model", "input_usd_per_mtok", "cached_input_usd_per_mtok", "output_usd_per_mtok", "tier",
            "valid_from", "valid_to"]
    return [dict(zip(keys, row)) for row in PRICES]


# --------------------------------------------------------------------------- files

LLM_SCHEMA = pa.schema([
    ("request_id", pa.string()), ("ts", pa.timestamp("us")), ("provider", pa.string()), ("model", pa.string()),
    ("operation", pa.string()), ("feature", pa.string()), ("team", pa.string()), ("user_id", pa.string()),
    ("environment", pa.string()), ("input_tokens", pa.int64()), ("cached_input_tokens", pa.int64()),
    ("output_tokens", pa.int64()), ("latency_ms", pa.float64()), ("status", pa.string()), ("attempt", pa.int32()),
    ("prompt_hash", pa.string()), ("cost_usd", pa.float64()),
])
GPU_SCHEMA = pa.schema([
    ("hour", pa.timestamp("us")), ("cluster", pa.string()), ("node_id", pa.string()), ("gpu_type", pa.string()),
    ("gpu_count", pa.int32()), ("deployment", pa.string()), ("team", pa.string()), ("cost_usd", pa.float64()),
    ("gpu_util_pct", pa.float64()), ("gpu_mem_util_pct", pa.float64()),
])
PRICE_SCHEMA = pa.schema([
    ("provider", pa.string()), ("model", pa.string()), ("input_usd_per_mtok", pa.float64()),
    ("cached_input_usd_per_mtok", pa.float64()), ("output_usd_per_mtok", pa.float64()), ("tier", pa.string()),
    ("valid_from", pa.timestamp("us")), ("valid_to", pa.timestamp("us")),
])
BUDGET_SCHEMA = pa.schema([
    ("scope", pa.string()), ("scope_value", pa.string()), ("metric", pa.string()), ("period", pa.string()),
    ("amount_usd", pa.float64()), ("max_cost_per_request_usd", pa.float64()),
])
_TS = pa.timestamp("us")
BILLING_SCHEMA = pa.schema([
    ("BilledCost", pa.float64()), ("EffectiveCost", pa.float64()), ("ListCost", pa.float64()),
    ("ContractedCost", pa.float64()), ("BillingAccountId", pa.string()), ("BillingAccountName", pa.string()),
    ("BillingCurrency", pa.string()), ("BillingPeriodStart", _TS), ("BillingPeriodEnd", _TS),
    ("ChargePeriodStart", _TS), ("ChargePeriodEnd", _TS), ("ChargeCategory", pa.string()),
    ("ChargeClass", pa.string()), ("ChargeDescription", pa.string()), ("InvoiceIssuerName", pa.string()),
    ("ProviderName", pa.string()), ("PublisherName", pa.string()), ("ServiceCategory", pa.string()),
    ("ServiceName", pa.string()), ("PricingQuantity", pa.float64()), ("PricingUnit", pa.string()),
    ("SubAccountId", pa.string()), ("SubAccountName", pa.string()), ("ServiceSubcategory", pa.string()),
    ("RegionId", pa.string()), ("RegionName", pa.string()), ("ResourceId", pa.string()),
    ("ResourceName", pa.string()), ("ResourceType", pa.string()), ("SkuId", pa.string()),
    ("CommitmentDiscountId", pa.string()), ("Tags", pa.map_(pa.string(), pa.string())),
])


def _write(rows: list[dict], schema: pa.Schema, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    pq.write_table(pa.Table.from_pylist(rows, schema=schema), path)


def company_tables() -> dict[str, list[dict]]:
    """Every table's rows, generated from the fixed seed."""
    rng = np.random.default_rng(SEED)
    llm = llm_rows(rng)
    gpu = gpu_rows(rng)
    billing = billing_rows(rng, llm, gpu)
    return {
        "model_prices": price_rows(),
        "budgets": budget_rows(),
        "gpu_usage": gpu,
        "llm_requests": llm,
        "billing": billing,
    }


SCHEMAS = {
    "model_prices": PRICE_SCHEMA,
    "budgets": BUDGET_SCHEMA,
    "gpu_usage": GPU_SCHEMA,
    "llm_requests": LLM_SCHEMA,
    "billing": BILLING_SCHEMA,
}


def write_other_company(out: Path) -> None:
    """Fjord Fintech's five contract tables as Parquet under out/<table>/<table>.parquet."""
    out = Path(out)
    for name, rows in company_tables().items():
        _write(rows, SCHEMAS[name], out / name / f"{name}.parquet")
