"""Kestrel Cargo: a blind fixture company for the `blind-shapes` question set.

Who: Kestrel Cargo is a digital freight forwarder (offices in Rotterdam and
Chicago). Its product uses language models in seven features, owned by five
product teams, and self-hosts two open models on its own GPU nodes in AWS.

What the data covers: 2026-02-01 to 2026-04-23 (82 days), so ``AS_OF`` is
2026-04-24, a Friday. ``write_company`` writes one folder per table:

- ``llm_requests`` (~135k calls). Features: quote-builder (team pricing),
  customs-classifier (trade-compliance), email-triage and bol-extractor
  (ops-automation), dispatch-copilot and eta-explainer (dispatch),
  shipment-search (search-platform, embeddings). Providers openai, anthropic,
  mistral, vertex and self-hosted; environments prod, staging, dev. Costs are
  logged, except mistral's, which arrive empty and are priced at ingest.
- ``gpu_usage``: clusters gpu-iad (H100 nodes, us-east-1) and gpu-ams (A100
  and L4 nodes, eu-west-1); deployments qwen-32b-chat, qwen-32b-batch,
  qwen-32b-eu, bge-m3-embed and finetune-sandbox, plus unallocated nodes.
- ``billing`` (FOCUS 1.2, Parquet, tags as JSON text): AWS (Amazon EC2 with a
  Savings Plan, RDS, S3, OpenSearch, CloudWatch, VPC, tax), Microsoft
  (Azure Cosmos DB, Azure Kubernetes Service, Storage Accounts, Azure Monitor)
  and Google Cloud (Vertex AI, Document AI, Cloud Storage, a monthly credit);
  one correction line.
- ``model_prices`` with two price changes, ``budgets`` over every scope and
  metric, and ``vendor_usage`` (openai and anthropic daily usage and cost
  reports: usage rows and cost line items), written only once ingest knows
  that table (``write_company(..., vendor_usage=True)`` forces it).

Stories planted:

1. Prompt growth: from 2026-03-16 quote-builder attaches the whole e-mail
   thread; its input tokens per request jump from ~2.4k to ~6.8k.
2. Price changes: openai gpt-4.1-mini gets cheaper on 2026-04-01 (input
   0.40 -> 0.30 $/Mtok); mistral mistral-small gets dearer on 2026-03-15
   (0.20 -> 0.30 input, 0.60 -> 0.90 output).
3. Retry storm: 2026-04-14 to 2026-04-16 anthropic rate-limits
   customs-classifier (claude-3-5-haiku): volume doubles, a third of calls are
   rate_limited, retries up to attempt 4. The trade-compliance inference budget
   ($16 a month) is breached in April.
4. Model switch: dispatch-copilot moves from openai gpt-4.1 to anthropic
   claude-sonnet-4 on 2026-04-06.
5. Idle GPUs: two H100 nodes (iad-h100-05, iad-h100-06) join gpu-iad on
   2026-03-30 and are never allocated (utilisation ~2%); ams-l4-04 is
   unallocated throughout.
6. Service spike: Azure Cosmos DB costs ~8x its normal day on 2026-04-07 to
   2026-04-09 (a re-index job); its April budget is breached, and so is
   claude-sonnet-4's after the switch. CloudWatch creeps up ~0.6% a day.
7. Self-hosting is dear at this volume: the qwen deployments' GPU cost per
   million tokens served is thousands of dollars, while llm_requests carries an
   internal transfer price of $0.25/$0.50 per Mtok for self-hosted models.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

START = dt.date(2026, 2, 1)
LAST_DAY = dt.date(2026, 4, 23)
AS_OF = dt.date(2026, 4, 24)
DAYS = (LAST_DAY - START).days + 1
SEED = 20260424

_EPOCH = np.datetime64("2026-02-01T00:00:00", "s")

# provider, model, input, cached input, output ($/Mtok), tier, cache write, batch discount, valid_from, valid_to
PRICES = [
    ("openai", "gpt-4.1", 2.00, 0.50, 8.00, "large", None, 50.0, "2025-04-14", None),
    ("openai", "gpt-4.1-mini", 0.40, 0.10, 1.60, "small", None, 50.0, "2025-04-14", "2026-04-01"),
    ("openai", "gpt-4.1-mini", 0.30, 0.075, 1.20, "small", None, 50.0, "2026-04-01", None),
    ("openai", "text-embedding-3-small", 0.02, None, 0.0, "small", None, 50.0, "2024-01-25", None),
    ("anthropic", "claude-sonnet-4", 3.00, 0.30, 15.00, "large", 3.75, 50.0, "2025-05-22", None),
    ("anthropic", "claude-3-5-haiku", 0.80, 0.08, 4.00, "small", 1.00, 50.0, "2024-11-04", None),
    ("mistral", "mistral-small", 0.20, None, 0.60, "small", None, None, "2025-01-30", "2026-03-15"),
    ("mistral", "mistral-small", 0.30, None, 0.90, "small", None, None, "2026-03-15", None),
    ("vertex", "gemini-2.0-flash", 0.15, 0.0375, 0.60, "small", None, 50.0, "2025-02-05", None),
    ("self-hosted", "qwen2.5-32b", 0.25, None, 0.50, "medium", None, None, "2025-10-01", None),
    ("self-hosted", "bge-m3", 0.01, None, 0.0, "small", None, None, "2025-10-01", None),
]

# feature: team, operation, requests per weekday, (input mean, output mean), cached share, repeat share, users
FEATURES = {
    "quote-builder": ("pricing", "chat", 340, (2400, 450), 0.30, 0.04, 140),
    "customs-classifier": ("trade-compliance", "chat", 300, (2600, 120), 0.50, 0.25, 60),
    "email-triage": ("ops-automation", "chat", 360, (900, 60), 0.0, 0.10, 45),
    "bol-extractor": ("ops-automation", "chat", 190, (9000, 900), 0.10, 0.02, 45),
    "dispatch-copilot": ("dispatch", "chat", 150, (8000, 350), 0.20, 0.03, 38),
    "eta-explainer": ("dispatch", "chat", 80, (1200, 200), 0.0, 0.06, 38),
    "shipment-search": ("search-platform", "embeddings", 330, (250, 0), 0.0, 0.15, 160),
}

LATENCY = {  # median ms per model
    "gpt-4.1": 2600,
    "gpt-4.1-mini": 1100,
    "text-embedding-3-small": 140,
    "claude-sonnet-4": 3400,
    "claude-3-5-haiku": 900,
    "mistral-small": 700,
    "gemini-2.0-flash": 1500,
    "qwen2.5-32b": 1800,
    "bge-m3": 60,
}
ERROR_RATE = {  # base share of failed first attempts
    "gpt-4.1": 0.012,
    "gpt-4.1-mini": 0.008,
    "text-embedding-3-small": 0.003,
    "claude-sonnet-4": 0.015,
    "claude-3-5-haiku": 0.010,
    "mistral-small": 0.022,
    "gemini-2.0-flash": 0.018,
    "qwen2.5-32b": 0.030,
    "bge-m3": 0.004,
}
PROVIDER = {
    "gpt-4.1": "openai",
    "gpt-4.1-mini": "openai",
    "text-embedding-3-small": "openai",
    "claude-sonnet-4": "anthropic",
    "claude-3-5-haiku": "anthropic",
    "mistral-small": "mistral",
    "gemini-2.0-flash": "vertex",
    "qwen2.5-32b": "self-hosted",
    "bge-m3": "self-hosted",
}

SWITCH_DAY = dt.date(2026, 4, 6)
PROMPT_GROWTH_DAY = dt.date(2026, 3, 16)
STORM_DAYS = (dt.date(2026, 4, 14), dt.date(2026, 4, 15), dt.date(2026, 4, 16))
IDLE_NODES_FROM = dt.date(2026, 3, 30)
COSMOS_SPIKE = (dt.date(2026, 4, 7), dt.date(2026, 4, 8), dt.date(2026, 4, 9))


def _day(i: int) -> dt.date:
    return START + dt.timedelta(days=i)


def _ts(day: dt.date) -> np.datetime64:
    return np.datetime64(day.isoformat(), "s")


def _hash(text: str) -> str:
    return hashlib.sha1(text.encode()).hexdigest()[:16]


def _models(feature: str, day: dt.date, n: int, rng: np.random.Generator) -> np.ndarray:
    if feature == "quote-builder":
        return rng.choice(["gpt-4.1", "gpt-4.1-mini"], n, p=[0.7, 0.3])
    if feature == "customs-classifier":
        return rng.choice(["claude-3-5-haiku", "claude-sonnet-4"], n, p=[0.85, 0.15])
    if feature == "email-triage":
        return rng.choice(["mistral-small", "qwen2.5-32b"], n, p=[0.6, 0.4])
    if feature == "bol-extractor":
        return np.full(n, "gemini-2.0-flash")
    if feature == "dispatch-copilot":
        return np.full(n, "gpt-4.1" if day < SWITCH_DAY else "claude-sonnet-4")
    if feature == "eta-explainer":
        return np.full(n, "qwen2.5-32b")
    return rng.choice(["text-embedding-3-small", "bge-m3"], n, p=[0.6, 0.4])


def _price(model: str, day: dt.date) -> tuple[float, float, float, float]:
    for _provider, name, pin, pcached, pout, _tier, pwrite, _b, start, end in PRICES:
        if name != model:
            continue
        if dt.date.fromisoformat(start) <= day and (end is None or day < dt.date.fromisoformat(end)):
            return pin, (pin if pcached is None else pcached), pout, (pin if pwrite is None else pwrite)
    raise KeyError(model)


def _requests(rng: np.random.Generator) -> pa.Table:
    cols: dict[str, list] = {
        k: []
        for k in (
            "ts",
            "provider",
            "model",
            "operation",
            "feature",
            "team",
            "user_id",
            "environment",
            "input_tokens",
            "cached_input_tokens",
            "output_tokens",
            "latency_ms",
            "status",
            "attempt",
            "prompt_hash",
            "cost_usd",
            "cache_write_input_tokens",
            "reasoning_output_tokens",
        )
    }
    for i in range(DAYS):
        day = _day(i)
        weekend = day.weekday() >= 5
        for feature, (team, operation, base, (in_mean, out_mean), cached_share, repeat, users) in FEATURES.items():
            rate = base * (0.45 if weekend else 1.0) * (1 + 0.002 * i)
            if feature == "quote-builder" and day >= PROMPT_GROWTH_DAY:
                in_mean = 6800
            storm = feature == "customs-classifier" and day in STORM_DAYS
            if storm:
                rate *= 2.0
            n = int(rng.poisson(rate))
            models = _models(feature, day, n, rng)
            env = rng.choice(["prod", "staging", "dev"], n, p=[0.86, 0.10, 0.04])
            seconds = np.sort(rng.integers(0, 86400, n))
            inp = np.maximum(20, rng.lognormal(np.log(in_mean) - 0.08, 0.4, n)).astype(np.int64)
            out = np.maximum(1, rng.lognormal(np.log(max(out_mean, 1)) - 0.1, 0.45, n)).astype(np.int64)
            if out_mean == 0:
                out = np.zeros(n, dtype=np.int64)
            cached = (inp * cached_share * rng.uniform(0.6, 1.4, n)).astype(np.int64)
            cached = np.minimum(cached, inp)
            pool = rng.integers(0, max(5, int(n * 0.15)), n)
            repeats = rng.random(n) < repeat
            user_ids = rng.integers(0, users, n)
            err_u = rng.random(n)
            kind_u = rng.random(n)
            lat_u = rng.lognormal(0, 0.35, n)
            for j in range(n):
                model = str(models[j])
                hash_key = f"{feature}|{i}|p{pool[j]}" if repeats[j] else f"{feature}|{i}|u{j}"
                prompt = _hash(hash_key)
                user = f"u-{_hash(f'{feature}|{user_ids[j]}')[:10]}"
                attempt = 1
                t = _EPOCH + np.timedelta64(i * 86400 + int(seconds[j]), "s")
                while True:
                    fail_p = ERROR_RATE[model] * (2.5 if env[j] != "prod" else 1.0)
                    if storm and model == "claude-3-5-haiku":
                        fail_p = 0.34
                    failed = err_u[j] < fail_p if attempt == 1 else rng.random() < fail_p
                    if failed:
                        if storm and model == "claude-3-5-haiku":
                            status = "rate_limited"
                        else:
                            k = kind_u[j] if attempt == 1 else rng.random()
                            status = "error" if k < 0.5 else ("timeout" if k < 0.8 else "rate_limited")
                    else:
                        status = "ok"
                    i_tok = int(inp[j])
                    c_tok = int(cached[j])
                    o_tok = int(out[j]) if status == "ok" else 0
                    write_tok = 0
                    reason_tok = 0
                    if PROVIDER[model] == "anthropic":
                        write_tok = int((i_tok - c_tok) * 0.3) if c_tok == 0 or rng.random() < 0.1 else 0
                    if model == "claude-sonnet-4" and o_tok:
                        reason_tok = int(o_tok * 0.4)
                    if status == "timeout":
                        latency = 30000.0
                    elif status == "rate_limited":
                        latency = round(float(40 + 60 * lat_u[j]), 1)
                    else:
                        scale = (i_tok / 2000) ** 0.25 if model not in ("bge-m3", "text-embedding-3-small") else 1.0
                        latency = round(float(LATENCY[model] * lat_u[j] * scale * (1.0 if attempt == 1 else 1.1)), 1)
                    pin, pcached, pout, pwrite = _price(model, day)
                    if status in ("ok", "timeout"):
                        cost = ((i_tok - c_tok - write_tok) * pin + c_tok * pcached + write_tok * pwrite + o_tok * pout) / 1e6
                    else:
                        cost = 0.0
                    if PROVIDER[model] == "mistral":
                        cost = None  # priced from model_prices at ingest
                    else:
                        cost = round(cost, 8)
                    cols["ts"].append(t)
                    cols["provider"].append(PROVIDER[model])
                    cols["model"].append(model)
                    cols["operation"].append(operation)
                    cols["feature"].append(feature)
                    cols["team"].append(team)
                    cols["user_id"].append(user)
                    cols["environment"].append(str(env[j]))
                    cols["input_tokens"].append(i_tok)
                    cols["cached_input_tokens"].append(c_tok)
                    cols["output_tokens"].append(o_tok)
                    cols["latency_ms"].append(latency)
                    cols["status"].append(status)
                    cols["attempt"].append(attempt)
                    cols["prompt_hash"].append(prompt)
                    cols["cost_usd"].append(cost)
                    cols["cache_write_input_tokens"].append(write_tok if PROVIDER[model] == "anthropic" else None)
                    cols["reasoning_output_tokens"].append(reason_tok if model == "claude-sonnet-4" else None)
                    retry_p = 0.9 if storm else 0.6
                    if status == "ok" or attempt >= 4 or rng.random() > retry_p:
                        break
                    attempt += 1
                    t = t + np.timedelta64(int(2**attempt + rng.integers(0, 5)), "s")
    ts = np.array(cols["ts"], dtype="datetime64[s]")
    order = np.argsort(ts, kind="stable")
    table = {
        "request_id": pa.array([f"kc-{k:07d}" for k in range(len(order))]),
        "ts": pa.array(ts[order].astype("datetime64[us]"), pa.timestamp("us")),
    }
    types = {
        "input_tokens": pa.int64(),
        "cached_input_tokens": pa.int64(),
        "output_tokens": pa.int64(),
        "latency_ms": pa.float64(),
        "attempt": pa.int32(),
        "cost_usd": pa.float64(),
        "cache_write_input_tokens": pa.int64(),
        "reasoning_output_tokens": pa.int64(),
    }
    for name, values in cols.items():
        if name == "ts":
            continue
        table[name] = pa.array([values[k] for k in order], types.get(name, pa.string()))
    return pa.table(table)


# cluster, node, gpu type, gpus, $/node-hour, deployment, team, model, first day, util profile
NODES = [
    ("gpu-iad", "iad-h100-01", "H100", 2, 9.8, "qwen-32b-chat", "ml-platform", "qwen2.5-32b", START, "day"),
    ("gpu-iad", "iad-h100-02", "H100", 2, 9.8, "qwen-32b-chat", "ml-platform", "qwen2.5-32b", START, "day"),
    ("gpu-iad", "iad-h100-03", "H100", 2, 9.8, "qwen-32b-batch", "ops-automation", "qwen2.5-32b", START, "night"),
    ("gpu-iad", "iad-h100-04", "H100", 2, 9.8, "finetune-sandbox", "ml-platform", None, START, "bursty"),
    ("gpu-iad", "iad-h100-05", "H100", 2, 9.8, None, None, None, IDLE_NODES_FROM, "idle"),
    ("gpu-iad", "iad-h100-06", "H100", 2, 9.8, None, None, None, IDLE_NODES_FROM, "idle"),
    ("gpu-ams", "ams-a100-01", "A100", 4, 14.0, "qwen-32b-eu", "ml-platform", "qwen2.5-32b", START, "day"),
    ("gpu-ams", "ams-a100-02", "A100", 4, 14.0, "qwen-32b-eu", "ml-platform", "qwen2.5-32b", START, "day"),
    ("gpu-ams", "ams-l4-01", "L4", 1, 0.8, "bge-m3-embed", "search-platform", "bge-m3", START, "steady"),
    ("gpu-ams", "ams-l4-02", "L4", 1, 0.8, "bge-m3-embed", "search-platform", "bge-m3", START, "steady"),
    ("gpu-ams", "ams-l4-03", "L4", 1, 0.8, "bge-m3-embed", "search-platform", "bge-m3", START, "steady"),
    ("gpu-ams", "ams-l4-04", "L4", 1, 0.8, None, None, None, START, "idle"),
]


def _gpu(rng: np.random.Generator) -> pa.Table:
    hours_all = np.arange(DAYS * 24)
    parts = []
    for cluster, node, gpu_type, count, rate, deployment, team, model, first, profile in NODES:
        hours = hours_all[hours_all >= (first - START).days * 24]
        n = len(hours)
        hod = hours % 24
        if profile == "day":
            util = 35 + 40 * np.sin(np.pi * np.clip(hod - 6, 0, 14) / 14) + rng.normal(0, 6, n)
        elif profile == "night":
            util = np.where((hod >= 22) | (hod < 6), 88.0, 22.0) + rng.normal(0, 5, n)
        elif profile == "bursty":
            util = np.where(rng.random(n) < 0.3, 85.0, 6.0) + rng.normal(0, 4, n)
        elif profile == "steady":
            util = 55 + rng.normal(0, 8, n)
        else:
            util = 2 + rng.exponential(1.2, n)
        util = np.round(np.clip(util, 0, 100), 2)
        mem = np.round(np.clip(util * 0.6 + (30 if deployment else 1) + rng.normal(0, 3, n), 0, 100), 2)
        parts.append(
            {
                "hour": (_EPOCH + hours.astype("timedelta64[h]")).astype("datetime64[us]"),
                "cluster": [cluster] * n,
                "node_id": [node] * n,
                "gpu_type": [gpu_type] * n,
                "gpu_count": np.full(n, count, dtype=np.int32),
                "deployment": [deployment] * n,
                "team": [team] * n,
                "cost_usd": np.full(n, rate),
                "gpu_util_pct": util,
                "gpu_mem_util_pct": mem,
                "model": [model] * n,
            }
        )
    merged = {
        k: np.concatenate(
            [np.asarray(p[k], dtype=object if k in ("cluster", "node_id", "gpu_type", "deployment", "team", "model") else None) for p in parts]
        )
        for k in parts[0]
    }
    return pa.table(
        {
            "hour": pa.array(merged["hour"], pa.timestamp("us")),
            "cluster": pa.array(merged["cluster"].tolist(), pa.string()),
            "node_id": pa.array(merged["node_id"].tolist(), pa.string()),
            "gpu_type": pa.array(merged["gpu_type"].tolist(), pa.string()),
            "gpu_count": pa.array(merged["gpu_count"], pa.int32()),
            "deployment": pa.array(merged["deployment"].tolist(), pa.string()),
            "team": pa.array(merged["team"].tolist(), pa.string()),
            "cost_usd": pa.array(merged["cost_usd"], pa.float64()),
            "gpu_util_pct": pa.array(merged["gpu_util_pct"], pa.float64()),
            "gpu_mem_util_pct": pa.array(merged["gpu_mem_util_pct"], pa.float64()),
            "model": pa.array(merged["model"].tolist(), pa.string()),
        }
    )


AWS = ("AWS", "Amazon Web Services, Inc.", "418273645501", "kestrel-payer")
MSFT = ("Microsoft", "Microsoft", "b7e3c1d2-5f4a-4c1e-9a77-kestrel", "Kestrel Cargo BV")
GCP = ("Google Cloud", "Google Cloud", "01A2B3-C4D5E6-F7A8B9", "kestrel-gcp-billing")

# provider, service, category, subcategory, sub account, region, resource, daily $, noise, tags, unit
BILL_LINES = [
    (
        AWS,
        "Amazon EC2",
        "Compute",
        "Virtual Machines",
        "kestrel-prod",
        "us-east-1",
        "i-0a11quoteapi",
        310.0,
        0.08,
        {"team": "pricing", "feature": "quote-builder", "environment": "prod"},
        "Hrs",
    ),
    (
        AWS,
        "Amazon EC2",
        "Compute",
        "Virtual Machines",
        "kestrel-prod",
        "us-east-1",
        "i-0b22dispatch",
        240.0,
        0.08,
        {"team": "dispatch", "feature": "dispatch-copilot", "environment": "prod"},
        "Hrs",
    ),
    (
        AWS,
        "Amazon EC2",
        "Compute",
        "Virtual Machines",
        "kestrel-prod",
        "eu-west-1",
        "i-0c33customs",
        180.0,
        0.08,
        {"team": "trade-compliance", "feature": "customs-classifier", "environment": "prod"},
        "Hrs",
    ),
    (
        AWS,
        "Amazon EC2",
        "Compute",
        "Virtual Machines",
        "kestrel-staging",
        "us-east-1",
        "i-0d44staging",
        120.0,
        0.15,
        {"team": "pricing", "environment": "staging"},
        "Hrs",
    ),
    (AWS, "Amazon EC2", "Compute", "Virtual Machines", "kestrel-staging", "eu-west-1", "i-0e55devbox", 60.0, 0.2, {"environment": "dev"}, "Hrs"),
    (AWS, "Amazon EC2", "Compute", "Virtual Machines", "kestrel-prod", "us-east-1", "i-0f66legacy", 95.0, 0.05, None, "Hrs"),
    (
        AWS,
        "Amazon RDS",
        "Databases",
        "Relational Databases",
        "kestrel-prod",
        "us-east-1",
        "db-kestrel-core",
        420.0,
        0.04,
        {"team": "ops-automation", "environment": "prod"},
        "Hrs",
    ),
    (
        AWS,
        "Amazon RDS",
        "Databases",
        "Relational Databases",
        "kestrel-staging",
        "us-east-1",
        "db-kestrel-stg",
        85.0,
        0.05,
        {"team": "ops-automation", "environment": "staging"},
        "Hrs",
    ),
    (
        AWS,
        "Amazon S3",
        "Storage",
        "Object Storage",
        "kestrel-prod",
        "us-east-1",
        "kestrel-docs-bucket",
        130.0,
        0.03,
        {"team": "ops-automation", "feature": "bol-extractor", "environment": "prod"},
        "GB-Mo",
    ),
    (
        AWS,
        "Amazon S3",
        "Storage",
        "Object Storage",
        "kestrel-ml",
        "us-east-1",
        "kestrel-model-weights",
        45.0,
        0.02,
        {"team": "ml-platform", "environment": "prod"},
        "GB-Mo",
    ),
    (
        AWS,
        "Amazon OpenSearch Service",
        "Analytics",
        "Search",
        "kestrel-prod",
        "eu-west-1",
        "search-shipments",
        275.0,
        0.05,
        {"team": "search-platform", "feature": "shipment-search", "environment": "prod"},
        "Hrs",
    ),
    (AWS, "Amazon CloudWatch", "Management and Governance", "Observability", "kestrel-prod", "us-east-1", None, 70.0, 0.1, None, "GB"),
    (
        AWS,
        "Amazon Virtual Private Cloud",
        "Networking",
        "Network Connectivity",
        "kestrel-prod",
        "us-east-1",
        "nat-0kestrel1",
        95.0,
        0.12,
        {"environment": "prod"},
        "GB",
    ),
    (
        AWS,
        "Amazon Virtual Private Cloud",
        "Networking",
        "Network Connectivity",
        "kestrel-ml",
        "eu-west-1",
        "nat-0kestrel2",
        40.0,
        0.12,
        {"team": "ml-platform", "environment": "prod"},
        "GB",
    ),
    (
        MSFT,
        "Azure Cosmos DB",
        "Databases",
        "NoSQL Databases",
        "kc-prod-weu",
        "westeurope",
        "cosmos-tracking",
        210.0,
        0.05,
        {"team": "dispatch", "feature": "eta-explainer", "environment": "prod"},
        "RU/s",
    ),
    (
        MSFT,
        "Azure Kubernetes Service",
        "Compute",
        "Containers",
        "kc-prod-weu",
        "westeurope",
        "aks-kc-prod",
        330.0,
        0.06,
        {"team": "dispatch", "environment": "prod"},
        "Hrs",
    ),
    (
        MSFT,
        "Azure Kubernetes Service",
        "Compute",
        "Containers",
        "kc-dev-weu",
        "westeurope",
        "aks-kc-dev",
        90.0,
        0.1,
        {"team": "dispatch", "environment": "dev"},
        "Hrs",
    ),
    (MSFT, "Storage Accounts", "Storage", "Object Storage", "kc-prod-weu", "westeurope", "stkcarchive", 55.0, 0.03, None, "GB-Mo"),
    (
        MSFT,
        "Azure Monitor",
        "Management and Governance",
        "Observability",
        "kc-prod-weu",
        "westeurope",
        "log-kc-prod",
        48.0,
        0.1,
        {"team": "dispatch", "environment": "prod"},
        "GB",
    ),
    (
        GCP,
        "Vertex AI",
        "AI and Machine Learning",
        "Generative AI",
        "kc-docai-prod",
        "europe-west4",
        None,
        0.0,
        0.0,
        {"team": "ops-automation", "feature": "bol-extractor", "environment": "prod", "model": "gemini-2.0-flash"},
        "Tokens",
    ),
    (
        GCP,
        "Document AI",
        "AI and Machine Learning",
        "Document Processing",
        "kc-docai-prod",
        "europe-west4",
        "docai-bol-parser",
        65.0,
        0.15,
        {"team": "ops-automation", "feature": "bol-extractor", "environment": "prod"},
        "Pages",
    ),
    (
        GCP,
        "Cloud Storage",
        "Storage",
        "Object Storage",
        "kc-docai-prod",
        "europe-west4",
        "kc-bol-scans",
        22.0,
        0.03,
        {"team": "ops-automation", "feature": "bol-extractor", "environment": "prod"},
        "GB-Mo",
    ),
]


def _billing(rng: np.random.Generator, requests: pa.Table) -> pa.Table:
    rows: list[dict] = []
    vertex = requests.filter(pc.equal(requests["provider"], "vertex"))
    vertex_days = pc.cast(pc.floor_temporal(vertex["ts"], unit="day"), pa.timestamp("us")).to_numpy()
    vertex_cost = vertex["cost_usd"].to_numpy(zero_copy_only=False)
    vertex_by_day = {}
    for d, c in zip(vertex_days.astype("datetime64[D]").astype(str), vertex_cost):
        vertex_by_day[d] = vertex_by_day.get(d, 0.0) + c

    def month_bounds(day: dt.date) -> tuple[dt.datetime, dt.datetime]:
        first = day.replace(day=1)
        nxt = (first + dt.timedelta(days=32)).replace(day=1)
        return dt.datetime.combine(first, dt.time()), dt.datetime.combine(nxt, dt.time())

    def add(
        provider,
        service,
        category,
        subcategory,
        sub,
        region,
        resource,
        day,
        effective,
        list_cost,
        billed,
        tags,
        unit,
        quantity,
        charge_category="Usage",
        description=None,
        commitment=None,
        charge_class=None,
        period_day=None,
        frequency="Usage-Based",
        end_day=None,
    ):
        prov, issuer, account_id, account_name = provider
        bp_start, bp_end = month_bounds(period_day or day)
        start = dt.datetime.combine(day, dt.time())
        rows.append(
            {
                "BilledCost": round(billed, 6),
                "EffectiveCost": round(effective, 6),
                "ListCost": round(list_cost, 6),
                "ContractedCost": round(min(list_cost, billed if commitment is None else effective), 6),
                "BillingAccountId": account_id,
                "BillingAccountName": account_name,
                "BillingCurrency": "USD",
                "BillingPeriodStart": bp_start,
                "BillingPeriodEnd": bp_end,
                "ChargePeriodStart": start,
                "ChargePeriodEnd": dt.datetime.combine(end_day, dt.time()) if end_day else start + dt.timedelta(days=1),
                "ChargeCategory": charge_category,
                "ChargeClass": charge_class,
                "ChargeDescription": description or f"{service} {subcategory or ''} usage".strip(),
                "ChargeFrequency": frequency,
                "InvoiceIssuerName": issuer,
                "ProviderName": prov,
                "PublisherName": issuer,
                "ServiceCategory": category,
                "ServiceName": service,
                "ServiceSubcategory": subcategory,
                "PricingQuantity": round(quantity, 4),
                "PricingUnit": unit,
                "ConsumedQuantity": round(quantity, 4) if charge_category == "Usage" else None,
                "ConsumedUnit": unit if charge_category == "Usage" else None,
                "SubAccountId": _hash(sub)[:12] if sub else None,
                "SubAccountName": sub,
                "RegionId": region,
                "RegionName": {
                    "us-east-1": "US East (N. Virginia)",
                    "eu-west-1": "Europe (Ireland)",
                    "westeurope": "West Europe",
                    "europe-west4": "Netherlands",
                }.get(region),
                "ResourceId": resource,
                "ResourceName": resource,
                "SkuId": f"{service[:3].upper()}-{_hash(service + (unit or ''))[:6]}" if charge_category == "Usage" else None,
                "PricingCategory": ("Committed" if commitment else "Standard") if charge_category == "Usage" else None,
                "CommitmentDiscountId": commitment,
                "CommitmentDiscountName": "kestrel-compute-sp-1y" if commitment else None,
                "CommitmentDiscountCategory": "Spend" if commitment else None,
                "CommitmentDiscountType": "Savings Plan" if commitment else None,
                "CommitmentDiscountStatus": "Used" if commitment and charge_category == "Usage" else None,
                "Tags": json.dumps(tags, sort_keys=True) if tags else None,
            }
        )

    sp = "arn:aws:savingsplans::418273645501:savingsplan/kc-sp-2025"
    for i in range(DAYS):
        day = _day(i)
        weekend = day.weekday() >= 5
        for provider, service, category, sub_cat, sub, region, resource, daily, noise, tags, unit in BILL_LINES:
            if service == "Vertex AI":
                cost = vertex_by_day.get(day.isoformat(), 0.0)
                add(
                    provider,
                    service,
                    category,
                    sub_cat,
                    sub,
                    region,
                    resource,
                    day,
                    cost,
                    cost,
                    cost,
                    tags,
                    unit,
                    cost / 0.3 * 1e3,
                    description="Gemini 2.0 Flash tokens",
                )
                continue
            factor = 1 + rng.normal(0, noise)
            if weekend and category in ("Compute", "Networking", "Analytics"):
                factor *= 0.8
            if service == "Amazon CloudWatch":
                factor *= 1 + 0.006 * i  # log volume creeps up
            if service == "Azure Cosmos DB" and day in COSMOS_SPIKE:
                factor *= 8.0 + rng.normal(0, 0.4)
            cost = daily * max(factor, 0.2)
            add(provider, service, category, sub_cat, sub, region, resource, day, cost, cost, cost, tags, unit, cost / 0.12)
        # GPU nodes: EC2 instances covered by the Savings Plan (billed 0, amortized into EffectiveCost)
        for cluster, node, gpu_type, _count, rate, _deployment, team, model, first, _profile in NODES:
            if day < first:
                continue
            region = "us-east-1" if cluster == "gpu-iad" else "eu-west-1"
            effective = rate * 24
            node_tags = {"environment": "prod"}
            if team:
                node_tags["team"] = team
            if model:
                node_tags["model"] = model
            add(
                AWS,
                "Amazon EC2",
                "Compute",
                "Virtual Machines",
                "kestrel-ml",
                region,
                node,
                day,
                effective,
                effective * 1.45,
                0.0,
                node_tags,
                "Hrs",
                24,
                commitment=sp,
                description=f"{gpu_type} GPU instance hours ({cluster})",
            )
        if day.day == 1:
            month_end = (day + dt.timedelta(days=32)).replace(day=1)
            add(
                AWS,
                "Amazon EC2",
                "Compute",
                "Virtual Machines",
                "kestrel-ml",
                None,
                None,
                day,
                0.0,
                38000.0,
                38000.0,
                None,
                "USD",
                38000.0,
                charge_category="Purchase",
                description="Compute Savings Plan, monthly fee",
                commitment=sp,
                frequency="Recurring",
                end_day=month_end,
            )
            add(
                GCP,
                "Document AI",
                "AI and Machine Learning",
                "Document Processing",
                "kc-docai-prod",
                None,
                None,
                day,
                -150.0,
                -150.0,
                -150.0,
                None,
                "USD",
                1.0,
                charge_category="Credit",
                description="Startup programme credit",
                frequency="One-Time",
                end_day=month_end,
            )
    # Taxes: one line per month and provider, on the last day of the month that has data.
    for month_first in (dt.date(2026, 2, 1), dt.date(2026, 3, 1), dt.date(2026, 4, 1)):
        nxt = (month_first + dt.timedelta(days=32)).replace(day=1)
        last = min(nxt - dt.timedelta(days=1), LAST_DAY)
        for provider, rate in ((AWS, 0.0), (MSFT, 0.21), (GCP, 0.21)):
            if rate == 0.0:
                continue
            base = sum(
                r["BilledCost"]
                for r in rows
                if r["ProviderName"] == provider[0] and r["ChargeCategory"] == "Usage" and month_first <= r["ChargePeriodStart"].date() < nxt
            )
            tax = base * rate
            add(
                provider,
                "Tax",
                "Other",
                None,
                None,
                None,
                None,
                last,
                tax,
                tax,
                tax,
                None,
                "USD",
                1.0,
                charge_category="Tax",
                description="VAT (reverse charge, NL)",
                frequency="One-Time",
            )
    # A correction billed in April for March OpenSearch overcharges.
    add(
        AWS,
        "Amazon OpenSearch Service",
        "Analytics",
        "Search",
        "kestrel-prod",
        "eu-west-1",
        "search-shipments",
        dt.date(2026, 3, 20),
        -412.5,
        -412.5,
        -412.5,
        {"team": "search-platform", "feature": "shipment-search", "environment": "prod"},
        "Hrs",
        -3437.5,
        charge_category="Adjustment",
        description="Refund: OpenSearch UltraWarm double billing",
        charge_class="Correction",
        period_day=dt.date(2026, 4, 1),
        frequency="One-Time",
    )
    names = list(rows[0])
    types = {n: pa.string() for n in names}
    for n in ("BilledCost", "EffectiveCost", "ListCost", "ContractedCost", "PricingQuantity", "ConsumedQuantity"):
        types[n] = pa.float64()
    for n in ("BillingPeriodStart", "BillingPeriodEnd", "ChargePeriodStart", "ChargePeriodEnd"):
        types[n] = pa.timestamp("us")
    return pa.table({n: pa.array([r[n] for r in rows], types[n]) for n in names})


BUDGETS = [
    ("total", None, "cost", "month", 140000.0, None),
    ("total", None, "inference_cost", "month", 200.0, None),
    ("total", None, "gpu_cost", "month", 50000.0, None),
    ("service", "Amazon EC2", "cost", "month", 80000.0, None),
    ("service", "Azure Cosmos DB", "cost", "month", 7500.0, None),
    ("service", "Amazon OpenSearch Service", "cost", "month", 9000.0, None),
    ("team", "pricing", "inference_cost", "month", 90.0, 0.012),
    ("team", "trade-compliance", "inference_cost", "month", 16.0, 0.003),
    ("team", "dispatch", "inference_cost", "month", 80.0, None),
    ("team", "ml-platform", "gpu_cost", "month", 40000.0, None),
    ("feature", "quote-builder", "inference_cost", "month", 85.0, 0.012),
    ("feature", "bol-extractor", "inference_cost", "month", 10.0, 0.002),
    ("model", "claude-sonnet-4", "inference_cost", "month", 60.0, None),
]


def _budgets() -> pa.Table:
    cols = ("scope", "scope_value", "metric", "period", "amount_usd", "max_cost_per_request_usd")
    types = (pa.string(), pa.string(), pa.string(), pa.string(), pa.float64(), pa.float64())
    return pa.table({c: pa.array([b[k] for b in BUDGETS], t) for k, (c, t) in enumerate(zip(cols, types))})


def _prices() -> pa.Table:
    def ts(text):
        return None if text is None else dt.datetime.fromisoformat(text)

    return pa.table(
        {
            "provider": pa.array([p[0] for p in PRICES]),
            "model": pa.array([p[1] for p in PRICES]),
            "input_usd_per_mtok": pa.array([p[2] for p in PRICES], pa.float64()),
            "cached_input_usd_per_mtok": pa.array([p[3] for p in PRICES], pa.float64()),
            "output_usd_per_mtok": pa.array([p[4] for p in PRICES], pa.float64()),
            "tier": pa.array([p[5] for p in PRICES]),
            "cache_write_usd_per_mtok": pa.array([p[6] for p in PRICES], pa.float64()),
            "batch_discount_pct": pa.array([p[7] for p in PRICES], pa.float64()),
            "valid_from": pa.array([ts(p[8]) for p in PRICES], pa.timestamp("us")),
            "valid_to": pa.array([ts(p[9]) for p in PRICES], pa.timestamp("us")),
        }
    )


def _vendor_usage(rng: np.random.Generator, requests: pa.Table) -> pa.Table:
    """Daily openai and anthropic reports per model and project (one per environment).

    Usage rows (line_item NULL, cost NULL) carry the token and request counts, input_tokens including
    cached and cache-write tokens; cost rows carry one line item each (input, cached_input, output).
    The providers count 0.5-3% more than the logs (calls the logs missed).
    """
    import duckdb

    con = duckdb.connect()
    con.register("r", requests)
    agg = con.execute("""
        SELECT date_trunc('day', ts) AS d, provider, model, environment,
               count(*) AS requests, sum(input_tokens) AS input, sum(cached_input_tokens) AS cached,
               sum(coalesce(cache_write_input_tokens, 0)) AS writes, sum(output_tokens) AS output
        FROM r WHERE provider IN ('openai', 'anthropic')
        GROUP BY ALL ORDER BY d, provider, model, environment
    """).fetchall()
    con.close()
    out: dict[str, list] = {
        k: []
        for k in (
            "period_start",
            "period_end",
            "provider",
            "model",
            "project",
            "api_key_id",
            "line_item",
            "input_tokens",
            "cached_input_tokens",
            "cache_write_input_tokens",
            "output_tokens",
            "requests",
            "cost_usd",
            "source",
            "row_key",
        )
    }
    for d, provider, model, env, requests_n, input_n, cached, writes, output in agg:
        extra = 1 + abs(rng.normal(0.015, 0.01))
        n = {k: int(v * extra) for k, v in (("requests", requests_n), ("input", input_n), ("cached", cached), ("writes", writes), ("output", output))}
        project = f"kestrel-{env}"
        key = f"key-{_hash(provider + env)[:8]}"
        source = "openai_costs_api" if provider == "openai" else "anthropic_cost_report"
        pin, pcached, pout, pwrite = _price(model, d.date())
        uncached = n["input"] - n["cached"] - n["writes"]
        lines = [(None, None)]
        lines.append(("input", (uncached * pin + n["writes"] * pwrite) / 1e6))
        if n["cached"]:
            lines.append(("cached_input", n["cached"] * pcached / 1e6))
        if n["output"]:
            lines.append(("output", n["output"] * pout / 1e6))
        for item, cost in lines:
            usage = item is None
            out["period_start"].append(d)
            out["period_end"].append(d + dt.timedelta(days=1))
            out["provider"].append(provider)
            out["model"].append(model)
            out["project"].append(project)
            out["api_key_id"].append(key)
            out["line_item"].append(item)
            out["input_tokens"].append(n["input"] if usage else None)
            out["cached_input_tokens"].append(n["cached"] if usage else None)
            out["cache_write_input_tokens"].append(n["writes"] if usage and provider == "anthropic" else None)
            out["output_tokens"].append(n["output"] if usage else None)
            out["requests"].append(n["requests"] if usage else None)
            out["cost_usd"].append(None if usage else round(cost, 6))
            out["source"].append(source)
            out["row_key"].append(_hash(f"{provider}|{d:%Y-%m-%d}|{model}|{project}|{item or 'usage'}"))
    types = {"period_start": pa.timestamp("us"), "period_end": pa.timestamp("us"), "cost_usd": pa.float64()}
    for k in ("input_tokens", "cached_input_tokens", "cache_write_input_tokens", "output_tokens", "requests"):
        types[k] = pa.int64()
    return pa.table({k: pa.array(v, types.get(k, pa.string())) for k, v in out.items()})


def _write(table: pa.Table, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    pq.write_table(table, path, compression="zstd")


def _ingest_knows_vendor_usage() -> bool:
    """True once both the contract and the ingest's load order have the vendor_usage table."""
    try:
        from warehouse.contract import TABLES
        from warehouse.ingest import LOAD_ORDER
    except ImportError:
        return False
    return "vendor_usage" in TABLES and "vendor_usage" in LOAD_ORDER


def write_company(out_dir: Path, *, vendor_usage: bool | None = None) -> None:
    """Write Kestrel Cargo's files under `out_dir`, one folder per table (byte-identical on every run).

    `vendor_usage` is written when ingest knows that table (None, the default) or when asked.
    """
    out_dir = Path(out_dir)
    rng = np.random.default_rng(SEED)
    requests = _requests(rng)
    gpu = _gpu(rng)
    billing = _billing(rng, requests)
    vendor = _vendor_usage(rng, requests)
    _write(_prices(), out_dir / "model_prices" / "model_prices.parquet")
    _write(_budgets(), out_dir / "budgets" / "budgets.parquet")
    _write(requests, out_dir / "llm_requests" / "llm_requests.parquet")
    _write(gpu, out_dir / "gpu_usage" / "gpu_usage.parquet")
    _write(billing, out_dir / "billing" / "focus_billing.parquet")
    if vendor_usage is None:
        vendor_usage = _ingest_knows_vendor_usage()
    if vendor_usage:
        _write(vendor, out_dir / "vendor_usage" / "vendor_usage.parquet")
