"""Cobaltline: a blind fixture company for the `blind-ai` question set.

Who: Cobaltline is a ~150-person developer-tools startup. Its product puts AI
into the software workflow: `ide-copilot` (inline code completion, served by a
self-hosted Qwen coder model on L4 GPUs), `pr-reviewer` (a pull-request review
bot on Claude Sonnet 4 and GPT-4.1 mini), `test-writer` (unit-test generation
on GPT-4.1 and a self-hosted Qwen 32B on H100s), `code-search` (semantic search
over customers' repositories with OpenAI embeddings and an OpenSearch vector
index), `incident-digest` (summaries of on-call incidents on Claude) and
`release-notes` (changelog drafts on Amazon Bedrock, weekdays only). Teams:
editor, devex, search, sre-tools, growth; ml-platform runs the GPU clusters,
platform and data own the rest of the cloud.

What: 77 days, 2026-01-01 to 2026-03-18 inclusive; AS_OF is 2026-03-19 (a
Thursday). Tables: llm_requests (~128k calls, prod/staging/dev, self-hosted
rows arrive without cost_usd and are priced from model_prices at ingest),
gpu_usage (three clusters: gke-usc1-infer H100, gke-usc1-edge L4,
eks-euw1-batch A100; allocated and unallocated nodes), billing (FOCUS 1.2 from
AWS and Google Cloud, two accounts each with sub-accounts, several regions,
commitment discounts, monthly credits, team/feature/environment/model tags
with some untagged lines), model_prices (one price change), budgets (total,
team, feature, model and service scopes over the three metrics) and, once the
importer knows the table, vendor_usage (OpenAI and Anthropic daily reports).

Stories planted:
1. Prompt growth: from 2026-02-23 `pr-reviewer` sends the whole diff plus
   surrounding files, so its input tokens per request rise about 2.4x and the
   devex team's inference cost jumps (devex and pr-reviewer budgets are over in
   March).
2. Price cut: OpenAI gpt-4.1 drops from $2.00/$8.00 to $1.50/$6.00 per 1M
   input/output tokens on 2026-02-16 (model_prices has both rows).
3. Cache busting: on 2026-02-09 `test-writer` moves a timestamp to the top of
   its prompt template; its cached input share on gpt-4.1 falls from ~49% to
   ~4%.
4. Retry storm: on 2026-03-10 and 2026-03-11 Anthropic rate-limits
   claude-sonnet-4 during a big outage; `incident-digest` volume triples and
   most calls come back rate_limited and are retried up to six times.
5. Idle GPUs: two H100 nodes (infer-h100-04/05) join gke-usc1-infer on
   2026-03-02 for a launch and never get a deployment (NULL deployment,
   ~1% utilization); the L4 node edge-l4-06 is an unallocated spare all along.
   The spot-priced A100 batch nodes (eks-euw1-batch) run 00-06 UTC only, and
   around the clock on two nodes during the reindex (2026-03-05 to 03-08).
6. Vector-index spike: the code-search reindex brings up a second Amazon
   OpenSearch Service domain on 2026-03-05 that runs next to the old one, so
   that service's daily cost roughly doubles.
Also: an untracked OpenAI project (proj_research) from 2026-02-20 that only
the vendor report sees.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

AS_OF = dt.date(2026, 3, 19)
FIRST_DAY = dt.date(2026, 1, 1)
SEED = 20260319

DAYS = [FIRST_DAY + dt.timedelta(days=i) for i in range((AS_OF - FIRST_DAY).days)]

PROMPT_GROWTH_DAY = dt.date(2026, 2, 23)
PRICE_CUT_DAY = dt.date(2026, 2, 16)
CACHE_BUST_DAY = dt.date(2026, 2, 9)
STORM_START = dt.datetime(2026, 3, 10, 6)
STORM_END = dt.datetime(2026, 3, 11, 22)
IDLE_NODES_DAY = dt.date(2026, 3, 2)
REINDEX_DAY = dt.date(2026, 3, 5)
SHADOW_PROJECT_DAY = dt.date(2026, 2, 20)

# provider, model -> (input, cached input or None, output) USD per 1M tokens, tier
PRICES = {
    ("openai", "gpt-4.1"): (2.00, 0.50, 8.00, "large"),
    ("openai", "gpt-4.1-mini"): (0.40, 0.10, 1.60, "small"),
    ("openai", "text-embedding-3-large"): (0.13, None, 0.0, "small"),
    ("anthropic", "claude-sonnet-4"): (3.00, 0.30, 15.00, "large"),
    ("anthropic", "claude-3-5-haiku"): (0.80, 0.08, 4.00, "small"),
    ("bedrock", "amazon-nova-pro"): (0.80, None, 3.20, "medium"),
    ("self-hosted", "qwen2.5-coder-7b"): (0.06, None, 0.12, "small"),
    ("self-hosted", "qwen2.5-coder-32b"): (0.25, None, 0.75, "medium"),
}
GPT41_NEW = (1.50, 0.375, 6.00)
PRICES_SINCE = dt.datetime(2025, 10, 1)

# feature -> settings. base: prod requests on a weekday; models: (provider, model, share)
FEATURES = {
    "ide-copilot": dict(
        team="editor",
        op="text_completion",
        base=900,
        weekend=0.22,
        growth=0.004,
        models=[("self-hosted", "qwen2.5-coder-7b", 1.0)],
        inp=1500,
        out=48,
        cache=0.0,
        retry=0.0,
        users="dev",
    ),
    "code-search": dict(
        team="search",
        op="embeddings",
        base=420,
        weekend=0.3,
        growth=0.003,
        models=[("openai", "text-embedding-3-large", 1.0)],
        inp=70,
        out=0,
        cache=0.0,
        retry=0.9,
        users="dev",
    ),
    "pr-reviewer": dict(
        team="devex",
        op="chat",
        base=280,
        weekend=0.18,
        growth=0.001,
        models=[("anthropic", "claude-sonnet-4", 0.7), ("openai", "gpt-4.1-mini", 0.3)],
        inp=32000,
        out=1500,
        cache=0.4,
        retry=0.9,
        users="dev",
    ),
    "test-writer": dict(
        team="devex",
        op="chat",
        base=200,
        weekend=0.25,
        growth=0.002,
        models=[("openai", "gpt-4.1", 0.72), ("self-hosted", "qwen2.5-coder-32b", 0.28)],
        inp=16000,
        out=2400,
        cache=0.55,
        retry=0.9,
        users="dev",
    ),
    "incident-digest": dict(
        team="sre-tools",
        op="chat",
        base=60,
        weekend=0.8,
        growth=0.0,
        models=[("anthropic", "claude-sonnet-4", 0.62), ("anthropic", "claude-3-5-haiku", 0.38)],
        inp=24000,
        out=1100,
        cache=0.25,
        retry=0.9,
        users="oncall",
    ),
    "release-notes": dict(
        team="growth",
        op="chat",
        base=28,
        weekend=0.0,
        growth=0.0,
        models=[("bedrock", "amazon-nova-pro", 1.0)],
        inp=4200,
        out=1250,
        cache=0.0,
        retry=0.9,
        users="bot",
    ),
}
ENV_SHARE = (("prod", 0.86), ("staging", 0.09), ("dev", 0.05))

# model -> (base latency ms, ms per output token, ms per 1k input tokens)
LATENCY = {
    "qwen2.5-coder-7b": (55.0, 3.0, 8.0),
    "qwen2.5-coder-32b": (240.0, 9.0, 12.0),
    "gpt-4.1": (480.0, 7.0, 10.0),
    "gpt-4.1-mini": (300.0, 4.0, 5.0),
    "text-embedding-3-large": (45.0, 0.0, 60.0),
    "claude-sonnet-4": (850.0, 11.0, 12.0),
    "claude-3-5-haiku": (380.0, 5.0, 6.0),
    "amazon-nova-pro": (520.0, 6.0, 8.0),
}

# Relative traffic by UTC hour on a weekday (US + EU engineers).
HOUR_WEIGHTS = np.array([2, 1.5, 1, 1, 1, 1.5, 3, 5, 8, 10, 10, 9, 10, 12, 14, 15, 15, 14, 13, 11, 9, 7, 5, 3], dtype=float)
HOUR_WEIGHTS /= HOUR_WEIGHTS.sum()


def _price(provider: str, model: str, day: dt.date) -> tuple[float, float, float]:
    inp, cached, out, _ = PRICES[(provider, model)]
    if (provider, model) == ("openai", "gpt-4.1") and day >= PRICE_CUT_DAY:
        inp, cached, out = GPT41_NEW
    return inp, (inp if cached is None else cached), out


def _hash(*parts: object) -> str:
    return hashlib.sha1("|".join(map(str, parts)).encode()).hexdigest()[:16]


def _weekend(day: dt.date) -> bool:
    return day.weekday() >= 5


# --------------------------------------------------------------------------- llm_requests


def _llm_requests(rng: np.random.Generator) -> dict[str, list]:
    cols: dict[str, list] = {
        k: []
        for k in (
            "request_id",
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
        )
    }
    devs = [f"u-{i:04d}" for i in range(1, 401)]
    dev_weights = 1.0 / np.arange(1, 401) ** 0.6
    dev_weights /= dev_weights.sum()
    oncall = [f"u-{i:04d}" for i in range(3, 400, 11)]  # 37 on-call engineers, also developers
    counter = 0

    for day_index, day in enumerate(DAYS):
        day_start = dt.datetime.combine(day, dt.time())
        for feature, f in FEATURES.items():
            for env, env_share in ENV_SHARE:
                factor = f["weekend"] if _weekend(day) else 1.0
                mean = f["base"] * env_share * factor * (1 + f["growth"] * day_index)
                storm = feature == "incident-digest" and day in (STORM_START.date(), STORM_END.date()) and env == "prod"
                if storm:
                    mean *= 3.0
                n = int(rng.poisson(mean)) if mean > 0 else 0
                if n == 0:
                    continue
                # when
                hours = rng.choice(24, size=n, p=HOUR_WEIGHTS)
                seconds = rng.integers(0, 3600, size=n)
                millis = rng.integers(0, 1000, size=n)
                # which model
                shares = np.array([m[2] for m in f["models"]])
                model_idx = rng.choice(len(f["models"]), size=n, p=shares / shares.sum())
                # who
                if f["users"] == "dev":
                    users = rng.choice(len(devs), size=n, p=dev_weights)
                    user_ids = [devs[u] for u in users]
                elif f["users"] == "oncall":
                    user_ids = [oncall[u] for u in rng.integers(0, len(oncall), size=n)]
                else:
                    user_ids = ["svc-release-bot"] * n
                # tokens
                inp_mean = f["inp"]
                if feature == "pr-reviewer" and day >= PROMPT_GROWTH_DAY:
                    inp_mean = f["inp"] * 2.4
                if env != "prod":
                    inp_mean *= 0.7
                inp = np.maximum(8, rng.lognormal(np.log(inp_mean), 0.45, size=n)).astype(np.int64)
                out = np.maximum(1, rng.lognormal(np.log(f["out"]), 0.4, size=n)).astype(np.int64) if f["out"] else np.zeros(n, dtype=np.int64)
                cache_noise = rng.uniform(0.7, 1.1, size=n)
                pool = rng.random(size=n)
                status_draw = rng.random(size=n)
                latency_noise = rng.lognormal(0.0, 0.28, size=n)
                retry_draw = rng.random(size=(n, 6))
                retry_choice = rng.random(size=(n, 6))
                backoff = rng.integers(1, 20, size=(n, 6))
                for i in range(n):
                    provider, model, _ = f["models"][model_idx[i]]
                    ts = day_start + dt.timedelta(seconds=int(hours[i] * 3600 + seconds[i]), milliseconds=int(millis[i]))
                    cache_frac = f["cache"]
                    if feature == "test-writer" and day >= CACHE_BUST_DAY:
                        cache_frac = 0.04
                    if provider in ("self-hosted", "bedrock") or f["op"] == "embeddings":
                        cache_frac = 0.0
                    if model == "gpt-4.1-mini":
                        cache_frac *= 0.5
                    if feature == "pr-reviewer" and day >= PROMPT_GROWTH_DAY:
                        cache_frac /= 2.4  # the cached system prompt stayed the same size
                    cached = int(inp[i] * min(0.95, cache_frac * cache_noise[i]))
                    # the prompt: code-search queries repeat a lot, the rest seldom
                    if feature == "code-search":
                        prompt = _hash("q", int(rng.zipf(1.35)) % 4000)
                    elif feature == "release-notes" and pool[i] < 0.35:
                        prompt = _hash("rn", day, int(pool[i] * 20))
                    elif pool[i] < 0.04:
                        prompt = _hash(feature, "template", int(pool[i] * 500))
                    else:
                        prompt = _hash(feature, day, env, i, counter)
                    attempt = 1
                    in_storm = storm and model == "claude-sonnet-4" and STORM_START <= ts <= STORM_END
                    while True:
                        if in_storm:
                            p = (0.22, 0.02, 0.45)  # rate_limited, error, timeout
                        elif provider == "self-hosted":
                            p = (0.0, 0.004, 0.002)
                        else:
                            p = (0.002, 0.005, 0.003 if f["out"] else 0.0)
                        draw = status_draw[i] if attempt == 1 else retry_draw[i, attempt - 2]
                        if draw < p[0]:
                            status = "rate_limited"
                        elif draw < p[0] + p[1]:
                            status = "error"
                        elif draw < p[0] + p[1] + p[2]:
                            status = "timeout"
                        else:
                            status = "ok"
                        in_p, cached_p, out_p = _price(provider, model, day)
                        base_ms, per_out, per_kin = LATENCY[model]
                        if status == "ok":
                            o = int(out[i])
                            lat = min(58000.0, (base_ms + per_out * o + per_kin * inp[i] / 1000) * latency_noise[i])
                        elif status == "timeout":
                            o = int(out[i] * 0.4)
                            lat = 60000.0
                        elif status == "rate_limited":
                            o = 0
                            lat = 90.0 + 60 * latency_noise[i]
                        else:
                            o = 0
                            lat = base_ms * 0.6 * latency_noise[i]
                        c = cached if status in ("ok", "timeout") else 0
                        if status in ("ok", "timeout"):
                            cost = ((inp[i] - c) * in_p + c * cached_p + o * out_p) / 1e6
                        else:
                            cost = 0.0
                        counter += 1
                        cols["request_id"].append(f"cl-{_hash('req', counter)}")
                        cols["ts"].append(ts)
                        cols["provider"].append(provider)
                        cols["model"].append(model)
                        cols["operation"].append(f["op"])
                        cols["feature"].append(feature)
                        cols["team"].append(f["team"])
                        cols["user_id"].append(user_ids[i])
                        cols["environment"].append(env)
                        cols["input_tokens"].append(int(inp[i]))
                        cols["cached_input_tokens"].append(int(c))
                        cols["output_tokens"].append(o)
                        cols["latency_ms"].append(round(float(lat), 1))
                        cols["status"].append(status)
                        cols["attempt"].append(attempt)
                        cols["prompt_hash"].append(prompt)
                        # the gateway logs no cost for self-hosted calls: ingest prices them
                        cols["cost_usd"].append(None if provider == "self-hosted" else round(cost, 8))
                        if status == "ok":
                            break
                        if in_storm:
                            if attempt >= 6:
                                break
                        elif attempt >= 4 or retry_choice[i, attempt - 1] >= f["retry"]:
                            break
                        ts = ts + dt.timedelta(seconds=int(backoff[i, attempt - 1] * (2 ** (attempt - 1))))
                        attempt += 1
    return cols


# --------------------------------------------------------------------------- gpu_usage

# node -> (cluster, gpu_type, gpu_count, $/hour, deployment, team, model, from day)
NODES = {
    "infer-h100-01": ("gke-usc1-infer", "H100", 1, 4.90, "coder-32b-prod", "devex", "qwen2.5-coder-32b", FIRST_DAY),
    "infer-h100-02": ("gke-usc1-infer", "H100", 1, 4.90, "coder-32b-prod", "devex", "qwen2.5-coder-32b", FIRST_DAY),
    "infer-h100-03": ("gke-usc1-infer", "H100", 1, 4.90, "coder-32b-staging", "devex", "qwen2.5-coder-32b", FIRST_DAY),
    "infer-h100-04": ("gke-usc1-infer", "H100", 1, 4.90, None, "ml-platform", None, IDLE_NODES_DAY),
    "infer-h100-05": ("gke-usc1-infer", "H100", 1, 4.90, None, "ml-platform", None, IDLE_NODES_DAY),
    "edge-l4-01": ("gke-usc1-edge", "L4", 1, 0.71, "coder-7b-autocomplete", "editor", "qwen2.5-coder-7b", FIRST_DAY),
    "edge-l4-02": ("gke-usc1-edge", "L4", 1, 0.71, "coder-7b-autocomplete", "editor", "qwen2.5-coder-7b", FIRST_DAY),
    "edge-l4-03": ("gke-usc1-edge", "L4", 1, 0.71, "coder-7b-autocomplete", "editor", "qwen2.5-coder-7b", FIRST_DAY),
    "edge-l4-04": ("gke-usc1-edge", "L4", 1, 0.71, "coder-7b-autocomplete", "editor", "qwen2.5-coder-7b", FIRST_DAY),
    "edge-l4-05": ("gke-usc1-edge", "L4", 1, 0.71, "coder-7b-staging", "editor", "qwen2.5-coder-7b", FIRST_DAY),
    "edge-l4-06": ("gke-usc1-edge", "L4", 1, 0.71, None, "editor", None, FIRST_DAY),
    "batch-a100-01": ("eks-euw1-batch", "A100", 8, 19.20, "embed-reindex", "search", "bge-large-en", FIRST_DAY),
    "batch-a100-02": ("eks-euw1-batch", "A100", 8, 19.20, "embed-reindex", "search", "bge-large-en", REINDEX_DAY),
}


def _gpu_usage(rng: np.random.Generator, hourly_copilot: dict, hourly_coder32: dict) -> dict[str, list]:
    cols: dict[str, list] = {
        k: []
        for k in (
            "hour",
            "cluster",
            "node_id",
            "gpu_type",
            "gpu_count",
            "deployment",
            "team",
            "cost_usd",
            "gpu_util_pct",
            "gpu_mem_util_pct",
            "model",
        )
    }
    peak_copilot = max(hourly_copilot.values())
    peak_coder = max(hourly_coder32.values())
    for day in DAYS:
        for h in range(24):
            hour = dt.datetime.combine(day, dt.time(h))
            for node, (cluster, gpu_type, count, rate, deployment, team, model, since) in NODES.items():
                noise = rng.normal(0, 3)
                mem_noise = rng.normal(0, 2)
                spot = float(rng.uniform(0.82, 1.12))
                if day < since:
                    continue
                reindex = REINDEX_DAY <= day < REINDEX_DAY + dt.timedelta(days=4)
                if cluster == "eks-euw1-batch" and not (h < 6 or reindex):
                    continue  # the batch nodes scale to zero outside the nightly job
                if node == "batch-a100-02" and not reindex:
                    continue
                if deployment is None:
                    util = max(0.0, 0.8 + noise * 0.2)
                    mem = max(0.0, 1.5 + mem_noise * 0.3)
                elif deployment == "coder-7b-autocomplete":
                    util = 12 + 78 * hourly_copilot.get(hour, 0) / peak_copilot + noise
                    mem = 78 + mem_noise
                elif deployment == "coder-32b-prod":
                    util = 10 + 70 * hourly_coder32.get(hour, 0) / peak_coder + noise
                    mem = 86 + mem_noise
                elif deployment.endswith("staging"):
                    util = 6 + noise * 0.8
                    mem = 64 + mem_noise
                else:  # nightly embedding reindex 00-06 UTC; weekends lighter
                    util = 88 * (0.6 if _weekend(day) else 1.0) + noise
                    mem = 90 + mem_noise
                    if reindex:
                        util = 93 + noise * 0.5  # the full reindex runs around the clock
                        mem = 94 + mem_noise * 0.5
                cols["hour"].append(hour)
                cols["cluster"].append(cluster)
                cols["node_id"].append(node)
                cols["gpu_type"].append(gpu_type)
                cols["gpu_count"].append(count)
                cols["deployment"].append(deployment)
                cols["team"].append(team)
                cols["cost_usd"].append(round(rate * spot, 4) if cluster == "eks-euw1-batch" else rate)
                cols["gpu_util_pct"].append(round(float(min(100.0, max(0.0, util))), 2))
                cols["gpu_mem_util_pct"].append(round(float(min(100.0, max(0.0, mem))), 2))
                cols["model"].append(model)
    return cols


# --------------------------------------------------------------------------- billing

AWS = dict(ProviderName="AWS", PublisherName="AWS", InvoiceIssuerName="AWS", BillingAccountId="448812907731", BillingAccountName="Cobaltline AWS")
GCP = dict(
    ProviderName="Google Cloud",
    PublisherName="Google Cloud",
    InvoiceIssuerName="Google Cloud",
    BillingAccountId="01C7B2-9E4F10-AA3D52",
    BillingAccountName="Cobaltline GCP",
)

# (cloud, sub account id, sub account name, service, category, region, sku, unit, $/day, list factor, tags, resource)
STATIC_LINES = [
    (
        AWS,
        "510233889012",
        "cl-prod",
        "Amazon EC2",
        "Compute",
        "us-east-1",
        "BoxUsage:m7i.2xlarge",
        "Hours",
        390.0,
        1.38,
        {"team": "platform", "environment": "prod"},
        "asg-api-prod",
    ),
    (
        AWS,
        "510233889012",
        "cl-prod",
        "Amazon RDS",
        "Databases",
        "us-east-1",
        "InstanceUsage:db.r6g.2xlarge",
        "Hours",
        205.0,
        1.0,
        {"team": "platform", "environment": "prod"},
        "db-cobalt-main",
    ),
    (
        AWS,
        "510233889012",
        "cl-prod",
        "Amazon S3",
        "Storage",
        "us-east-1",
        "TimedStorage-ByteHrs",
        "GB-Mo",
        78.0,
        1.0,
        {"team": "platform", "environment": "prod"},
        "cl-artifacts",
    ),
    (
        AWS,
        "510233889012",
        "cl-prod",
        "Amazon CloudWatch",
        "Management and Governance",
        "us-east-1",
        "CW:MetricMonitorUsage",
        "Metrics",
        41.0,
        1.0,
        None,
        "cloudwatch-metrics",
    ),
    (
        AWS,
        "510233889012",
        "cl-prod",
        "AWS Data Transfer",
        "Networking",
        "us-east-1",
        "DataTransfer-Out-Bytes",
        "GB",
        52.0,
        1.0,
        None,
        "transfer-use1",
    ),
    (
        AWS,
        "734401562288",
        "cl-search",
        "Amazon EKS",
        "Compute",
        "eu-west-1",
        "AmazonEKS-Hours:perCluster",
        "Hours",
        2.40,
        1.0,
        {"team": "search", "feature": "code-search", "environment": "prod"},
        "eks-euw1-batch",
    ),
    (
        AWS,
        "734401562288",
        "cl-search",
        "AWS Data Transfer",
        "Networking",
        "eu-west-1",
        "DataTransfer-Regional-Bytes",
        "GB",
        23.0,
        1.0,
        {"team": "search", "environment": "prod"},
        "transfer-euw1",
    ),
    (
        AWS,
        "734401562288",
        "cl-search",
        "Amazon S3",
        "Storage",
        "eu-west-1",
        "TimedStorage-ByteHrs",
        "GB-Mo",
        19.0,
        1.0,
        {"team": "search", "feature": "code-search", "environment": "prod"},
        "cl-code-chunks",
    ),
    (
        GCP,
        "cl-inference-prod",
        "cl-inference-prod",
        "Kubernetes Engine",
        "Compute",
        "us-central1",
        "GKE-Cluster-Mgmt",
        "Hours",
        4.80,
        1.0,
        {"team": "ml-platform", "environment": "prod"},
        "gke-usc1-infer",
    ),
    (
        GCP,
        "cl-inference-prod",
        "cl-inference-prod",
        "Kubernetes Engine",
        "Compute",
        "us-central1",
        "GKE-Cluster-Mgmt",
        "Hours",
        4.80,
        1.0,
        {"team": "ml-platform", "environment": "prod"},
        "gke-usc1-edge",
    ),
    (
        GCP,
        "cl-inference-prod",
        "cl-inference-prod",
        "Cloud Storage",
        "Storage",
        "us-central1",
        "Standard-Storage-US-Central1",
        "GB-Mo",
        36.0,
        1.0,
        {"team": "ml-platform", "environment": "prod"},
        "cl-model-weights",
    ),
    (
        GCP,
        "cl-analytics",
        "cl-analytics",
        "BigQuery",
        "Analytics",
        "US",
        "Analysis-OnDemand",
        "TiB",
        64.0,
        1.0,
        {"team": "data", "environment": "prod"},
        "bq-cobalt-events",
    ),
    (
        GCP,
        "cl-analytics",
        "cl-analytics",
        "Cloud Logging",
        "Management and Governance",
        "us-central1",
        "Log-Volume",
        "GiB",
        27.0,
        1.0,
        None,
        "logging-usc1",
    ),
    (
        GCP,
        "cl-inference-staging",
        "cl-inference-staging",
        "Cloud Storage",
        "Storage",
        "europe-west4",
        "Standard-Storage-Europe-West4",
        "GB-Mo",
        9.5,
        1.0,
        {"team": "ml-platform", "environment": "staging"},
        "cl-model-weights-eu",
    ),
]


def _billing(rng: np.random.Generator, gpu: dict[str, list], bedrock_daily: dict) -> dict[str, list]:
    cols: dict[str, list] = {k: [] for k in BILLING_COLUMNS}
    region_names = {
        "us-east-1": "US East (N. Virginia)",
        "eu-west-1": "Europe (Ireland)",
        "us-central1": "Iowa",
        "europe-west4": "Netherlands",
        "US": "United States (multi-region)",
    }

    def add(
        cloud,
        sub_id,
        sub_name,
        service,
        category,
        region,
        sku,
        unit,
        qty,
        cost,
        list_factor,
        tags,
        resource,
        day,
        charge_category="Usage",
        description=None,
        commitment=None,
        pricing=None,
    ):
        start = dt.datetime.combine(day, dt.time())
        period_start = dt.datetime(day.year, day.month, 1)
        period_end = dt.datetime(day.year + (day.month == 12), day.month % 12 + 1, 1)
        cols["BilledCost"].append(round(cost, 6))
        cols["EffectiveCost"].append(round(cost, 6))
        cols["ListCost"].append(round(cost * list_factor, 6))
        cols["ContractedCost"].append(round(cost, 6))
        cols["BillingAccountId"].append(cloud["BillingAccountId"])
        cols["BillingAccountName"].append(cloud["BillingAccountName"])
        cols["BillingCurrency"].append("USD")
        cols["BillingPeriodStart"].append(period_start)
        cols["BillingPeriodEnd"].append(period_end)
        cols["ChargePeriodStart"].append(start)
        cols["ChargePeriodEnd"].append(start + dt.timedelta(days=1))
        cols["ChargeCategory"].append(charge_category)
        cols["ChargeClass"].append(None)
        cols["ChargeDescription"].append(description or f"{service} {sku}")
        cols["InvoiceIssuerName"].append(cloud["InvoiceIssuerName"])
        cols["ProviderName"].append(cloud["ProviderName"])
        cols["PublisherName"].append(cloud["PublisherName"])
        cols["ServiceCategory"].append(category)
        cols["ServiceSubcategory"].append(None)
        cols["ServiceName"].append(service)
        cols["PricingQuantity"].append(round(qty, 4))
        cols["PricingUnit"].append(unit)
        cols["SubAccountId"].append(sub_id)
        cols["SubAccountName"].append(sub_name)
        cols["RegionId"].append(region)
        cols["RegionName"].append(region_names.get(region) if region else None)
        cols["ResourceId"].append(resource)
        cols["ResourceName"].append(resource)
        cols["SkuId"].append(sku)
        cols["PricingCategory"].append(pricing or ("Committed" if commitment else ("Standard" if charge_category == "Usage" else None)))
        cols["ChargeFrequency"].append("Usage-Based" if charge_category == "Usage" else "One-Time")
        cols["CommitmentDiscountId"].append(commitment)
        cols["CommitmentDiscountType"].append(None if commitment is None else ("Savings Plan" if cloud is AWS else "Committed Use Discount"))
        cols["Tags"].append(None if tags is None else sorted(tags.items()))

    # GPU nodes: one Compute line per node and day, equal to gpu_usage's cost
    node_day: dict[tuple[str, dt.date], float] = {}
    node_hours: dict[tuple[str, dt.date], int] = {}
    for node, hour, cost, count in zip(gpu["node_id"], gpu["hour"], gpu["cost_usd"], gpu["gpu_count"]):
        key = (node, hour.date())
        node_day[key] = node_day.get(key, 0.0) + cost
        node_hours[key] = node_hours.get(key, 0) + count

    for day in DAYS:
        weekday = not _weekend(day)
        index = (day - FIRST_DAY).days
        for cloud, sub_id, sub_name, service, category, region, sku, unit, per_day, list_factor, tags, resource in STATIC_LINES:
            cost = per_day * (1 + 0.0015 * index) * float(rng.uniform(0.93, 1.07))
            if service in ("Amazon EC2", "BigQuery", "AWS Data Transfer") and not weekday:
                cost *= 0.7
            commitment = None
            if list_factor > 1:
                commitment = "arn:aws:savingsplans::448812907731:savingsplan/sp-0c1f7e2a"
            add(
                cloud,
                sub_id,
                sub_name,
                service,
                category,
                region,
                sku,
                unit,
                cost / 0.11,
                cost,
                list_factor,
                tags,
                resource,
                day,
                commitment=commitment,
            )
        # Amazon OpenSearch Service: the code-search vector index; a second domain from the reindex day
        domains = ["cs-vectors-v2"] + (["cs-vectors-v3"] if day >= REINDEX_DAY else [])
        for domain in domains:
            base = 148.0 if domain == "cs-vectors-v2" else 171.0
            cost = base * (1 + 0.002 * index) * float(rng.uniform(0.97, 1.03))
            add(
                AWS,
                "734401562288",
                "cl-search",
                "Amazon OpenSearch Service",
                "Analytics",
                "eu-west-1",
                "ESInstance:r6g.2xlarge.search",
                "Hours",
                24 * 3,
                cost,
                1.0,
                {"team": "search", "feature": "code-search", "environment": "prod"},
                domain,
                day,
            )
        # Amazon Bedrock: release-notes on Nova Pro, as the invoice counts it
        bedrock = bedrock_daily.get(day, 0.0)
        if bedrock > 0:
            add(
                AWS,
                "510233889012",
                "cl-prod",
                "Amazon Bedrock",
                "AI and Machine Learning",
                "us-east-1",
                "USE1-NovaPro-tokens",
                "1K tokens",
                bedrock / 0.002,
                bedrock,
                1.0,
                {"team": "growth", "feature": "release-notes", "environment": "prod", "model": "amazon-nova-pro"},
                "bedrock-nova-pro",
                day,
            )
        # GPU nodes
        for node, (cluster, gpu_type, count, _rate, deployment, team, _model, _since) in NODES.items():
            cost = node_day.get((node, day))
            if cost is None:
                continue
            tags = {"team": team, "environment": "staging" if deployment and deployment.endswith("staging") else "prod"}
            if deployment == "coder-32b-prod":
                tags.update(feature="test-writer", model="qwen2.5-coder-32b")
            elif deployment == "coder-7b-autocomplete":
                tags.update(feature="ide-copilot", model="qwen2.5-coder-7b")
            elif deployment == "embed-reindex":
                tags.update(feature="code-search")
            if cluster == "eks-euw1-batch":
                add(
                    AWS,
                    "734401562288",
                    "cl-search",
                    "Amazon EC2",
                    "Compute",
                    "eu-west-1",
                    "SpotUsage:p4d.24xlarge",
                    "Hours",
                    node_hours[(node, day)] / count,
                    cost,
                    1.6,
                    tags,
                    node,
                    day,
                    pricing="Dynamic",
                )
            else:
                sku = "GPU-H100-80GB-Commit1Y" if gpu_type == "H100" else "GPU-L4-OnDemand"
                commitment = "projects/cl-inference-prod/commitments/h100-1y" if gpu_type == "H100" else None
                add(
                    GCP,
                    "cl-inference-prod",
                    "cl-inference-prod",
                    "Compute Engine",
                    "Compute",
                    "us-central1",
                    sku,
                    "Hours",
                    node_hours[(node, day)],
                    cost,
                    1.55 if commitment else 1.0,
                    tags,
                    node,
                    day,
                    commitment=commitment,
                )
        # monthly credit (GCP) and support (AWS) on the 1st
        if day.day == 1:
            add(
                GCP,
                "cl-inference-prod",
                "cl-inference-prod",
                "Compute Engine",
                "Compute",
                None,
                None,
                None,
                0,
                -750.0,
                1.0,
                None,
                None,
                day,
                charge_category="Credit",
                description="Google for Startups cloud credit",
            )
            add(
                AWS,
                "510233889012",
                "cl-prod",
                "AWS Support (Business)",
                "Management and Governance",
                None,
                "AWSSupportBusiness",
                "Months",
                1,
                640.0,
                1.0,
                None,
                None,
                day,
                charge_category="Purchase",
                description="AWS Support (Business) monthly fee",
            )
    return cols


# --------------------------------------------------------------------------- small tables


def _model_prices() -> dict[str, list]:
    cols: dict[str, list] = {
        k: []
        for k in (
            "provider",
            "model",
            "input_usd_per_mtok",
            "cached_input_usd_per_mtok",
            "output_usd_per_mtok",
            "tier",
            "valid_from",
            "valid_to",
        )
    }

    def add(provider, model, inp, cached, out, tier, since, until):
        cols["provider"].append(provider)
        cols["model"].append(model)
        cols["input_usd_per_mtok"].append(inp)
        cols["cached_input_usd_per_mtok"].append(cached)
        cols["output_usd_per_mtok"].append(out)
        cols["tier"].append(tier)
        cols["valid_from"].append(since)
        cols["valid_to"].append(until)

    cut = dt.datetime.combine(PRICE_CUT_DAY, dt.time())
    for (provider, model), (inp, cached, out, tier) in PRICES.items():
        if (provider, model) == ("openai", "gpt-4.1"):
            add(provider, model, inp, cached, out, tier, PRICES_SINCE, cut)
            add(provider, model, *GPT41_NEW, tier, cut, None)
        else:
            add(provider, model, inp, cached, out, tier, PRICES_SINCE, None)
    return cols


BUDGETS = [
    # scope, scope_value, metric, amount, max cost per request
    ("total", None, "cost", 68000.0, None),
    ("total", None, "inference_cost", 1500.0, None),
    ("total", None, "gpu_cost", 26000.0, None),
    ("team", "devex", "inference_cost", 800.0, 0.06),
    ("team", "sre-tools", "inference_cost", 150.0, None),
    ("team", "search", "cost", 15000.0, None),
    ("team", "ml-platform", "gpu_cost", 2500.0, None),
    ("feature", "pr-reviewer", "inference_cost", 650.0, 0.10),
    ("feature", "code-search", "cost", 14000.0, None),
    ("model", "claude-sonnet-4", "inference_cost", 1100.0, None),
    ("service", "Amazon OpenSearch Service", "cost", 5000.0, None),
]


def _budgets() -> dict[str, list]:
    return {
        "scope": [b[0] for b in BUDGETS],
        "scope_value": [b[1] for b in BUDGETS],
        "metric": [b[2] for b in BUDGETS],
        "period": ["month"] * len(BUDGETS),
        "amount_usd": [b[3] for b in BUDGETS],
        "max_cost_per_request_usd": [b[4] for b in BUDGETS],
    }


def _vendor_usage(llm: dict[str, list], rng_shadow: np.random.Generator) -> dict[str, list]:
    """OpenAI's and Anthropic's daily reports: what reached them, per model and project."""
    projects = {"devex": "proj_devex", "search": "proj_search", "sre-tools": "wrkspc_sre", "growth": "proj_growth"}
    groups: dict[tuple, list] = {}
    for i in range(len(llm["request_id"])):
        provider = llm["provider"][i]
        if provider not in ("openai", "anthropic") or llm["status"][i] == "rate_limited":
            continue
        if provider == "anthropic" and llm["team"][i] == "devex":
            project = "wrkspc_devex"
        else:
            project = projects[llm["team"][i]]
        key = (llm["ts"][i].date(), provider, llm["model"][i], project)
        g = groups.setdefault(key, [0, 0, 0, 0, 0.0])
        g[0] += llm["input_tokens"][i]
        g[1] += llm["cached_input_tokens"][i]
        g[2] += llm["output_tokens"][i]
        g[3] += 1
        g[4] += llm["cost_usd"][i] or 0.0
    for day in DAYS:
        if day >= SHADOW_PROJECT_DAY and not _weekend(day):
            n = int(rng_shadow.poisson(60))
            inp = int(n * rng_shadow.uniform(20000, 30000))
            out = int(n * rng_shadow.uniform(1500, 2500))
            in_p, _, out_p = _price("openai", "gpt-4.1", day)
            groups[(day, "openai", "gpt-4.1", "proj_research")] = [inp, 0, out, n, (inp * in_p + out * out_p) / 1e6]
    cols: dict[str, list] = {
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
    for (day, provider, model, project), (inp, cached, out, n, cost) in sorted(groups.items()):
        start = dt.datetime.combine(day, dt.time())
        cols["period_start"].append(start)
        cols["period_end"].append(start + dt.timedelta(days=1))
        cols["provider"].append(provider)
        cols["model"].append(model)
        cols["project"].append(project)
        cols["api_key_id"].append(f"key_{_hash(project)[:8]}")
        cols["line_item"].append("embeddings" if "embedding" in model else ("completions" if provider == "openai" else "messages"))
        cols["input_tokens"].append(inp)
        cols["cached_input_tokens"].append(cached)
        cols["cache_write_input_tokens"].append(None)
        cols["output_tokens"].append(out)
        cols["requests"].append(n)
        cols["cost_usd"].append(round(cost, 6))
        cols["source"].append("openai_costs_api" if provider == "openai" else "anthropic_cost_report")
        cols["row_key"].append(_hash("vendor", day, provider, model, project, cols["line_item"][-1]))
    return cols


# --------------------------------------------------------------------------- writing

SCHEMAS = {
    "llm_requests": pa.schema(
        [
            ("request_id", pa.string()),
            ("ts", pa.timestamp("us")),
            ("provider", pa.string()),
            ("model", pa.string()),
            ("operation", pa.string()),
            ("feature", pa.string()),
            ("team", pa.string()),
            ("user_id", pa.string()),
            ("environment", pa.string()),
            ("input_tokens", pa.int64()),
            ("cached_input_tokens", pa.int64()),
            ("output_tokens", pa.int64()),
            ("latency_ms", pa.float64()),
            ("status", pa.string()),
            ("attempt", pa.int32()),
            ("prompt_hash", pa.string()),
            ("cost_usd", pa.float64()),
        ]
    ),
    "gpu_usage": pa.schema(
        [
            ("hour", pa.timestamp("us")),
            ("cluster", pa.string()),
            ("node_id", pa.string()),
            ("gpu_type", pa.string()),
            ("gpu_count", pa.int32()),
            ("deployment", pa.string()),
            ("team", pa.string()),
            ("cost_usd", pa.float64()),
            ("gpu_util_pct", pa.float64()),
            ("gpu_mem_util_pct", pa.float64()),
            ("model", pa.string()),
        ]
    ),
    "model_prices": pa.schema(
        [
            ("provider", pa.string()),
            ("model", pa.string()),
            ("input_usd_per_mtok", pa.float64()),
            ("cached_input_usd_per_mtok", pa.float64()),
            ("output_usd_per_mtok", pa.float64()),
            ("tier", pa.string()),
            ("valid_from", pa.timestamp("us")),
            ("valid_to", pa.timestamp("us")),
        ]
    ),
    "budgets": pa.schema(
        [
            ("scope", pa.string()),
            ("scope_value", pa.string()),
            ("metric", pa.string()),
            ("period", pa.string()),
            ("amount_usd", pa.float64()),
            ("max_cost_per_request_usd", pa.float64()),
        ]
    ),
    "vendor_usage": pa.schema(
        [
            ("period_start", pa.timestamp("us")),
            ("period_end", pa.timestamp("us")),
            ("provider", pa.string()),
            ("model", pa.string()),
            ("project", pa.string()),
            ("api_key_id", pa.string()),
            ("line_item", pa.string()),
            ("input_tokens", pa.int64()),
            ("cached_input_tokens", pa.int64()),
            ("cache_write_input_tokens", pa.int64()),
            ("output_tokens", pa.int64()),
            ("requests", pa.int64()),
            ("cost_usd", pa.float64()),
            ("source", pa.string()),
            ("row_key", pa.string()),
        ]
    ),
}


BILLING_COLUMNS = (
    "BilledCost",
    "EffectiveCost",
    "ListCost",
    "ContractedCost",
    "BillingAccountId",
    "BillingAccountName",
    "BillingCurrency",
    "BillingPeriodStart",
    "BillingPeriodEnd",
    "ChargePeriodStart",
    "ChargePeriodEnd",
    "ChargeCategory",
    "ChargeClass",
    "ChargeDescription",
    "InvoiceIssuerName",
    "ProviderName",
    "PublisherName",
    "ServiceCategory",
    "ServiceSubcategory",
    "ServiceName",
    "PricingQuantity",
    "PricingUnit",
    "SubAccountId",
    "SubAccountName",
    "RegionId",
    "RegionName",
    "ResourceId",
    "ResourceName",
    "SkuId",
    "PricingCategory",
    "ChargeFrequency",
    "CommitmentDiscountId",
    "CommitmentDiscountType",
    "Tags",
)


def _billing_schema() -> pa.Schema:
    def type_of(name: str) -> pa.DataType:
        if name in ("BilledCost", "EffectiveCost", "ListCost", "ContractedCost", "PricingQuantity"):
            return pa.float64()
        if name.endswith(("PeriodStart", "PeriodEnd")):
            return pa.timestamp("us")
        if name == "Tags":
            return pa.map_(pa.string(), pa.string())
        return pa.string()

    return pa.schema([pa.field(name, type_of(name)) for name in BILLING_COLUMNS])


def _write(table: pa.Table, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    pq.write_table(table, path, compression="zstd", write_statistics=True)


def _vendor_usage_loadable() -> bool:
    """Whether this checkout's ingest loads vendor_usage (its importer lands separately)."""
    try:
        from warehouse.contract import TABLES
        from warehouse.ingest import LOAD_ORDER
    except ImportError:  # pragma: no cover
        return False
    return "vendor_usage" in TABLES and "vendor_usage" in LOAD_ORDER


def build(with_vendor_usage: bool | None = None) -> dict[str, pa.Table]:
    """Every table of the company as Arrow tables (deterministic)."""
    rng = np.random.default_rng(SEED)
    llm = _llm_requests(rng)
    hourly_copilot: dict[dt.datetime, int] = {}
    hourly_coder32: dict[dt.datetime, int] = {}
    bedrock_daily: dict[dt.date, float] = {}
    for ts, model, env, provider, cost in zip(llm["ts"], llm["model"], llm["environment"], llm["provider"], llm["cost_usd"]):
        hour = ts.replace(minute=0, second=0, microsecond=0)
        if model == "qwen2.5-coder-7b" and env == "prod":
            hourly_copilot[hour] = hourly_copilot.get(hour, 0) + 1
        elif model == "qwen2.5-coder-32b" and env == "prod":
            hourly_coder32[hour] = hourly_coder32.get(hour, 0) + 1
        elif provider == "bedrock":
            bedrock_daily[ts.date()] = bedrock_daily.get(ts.date(), 0.0) + (cost or 0.0)
    gpu = _gpu_usage(rng, hourly_copilot, hourly_coder32)
    billing = _billing(rng, gpu, bedrock_daily)
    tables = {
        "llm_requests": pa.table(llm, schema=SCHEMAS["llm_requests"]),
        "gpu_usage": pa.table(gpu, schema=SCHEMAS["gpu_usage"]),
        "billing": pa.table(billing, schema=_billing_schema()),
        "model_prices": pa.table(_model_prices(), schema=SCHEMAS["model_prices"]),
        "budgets": pa.table(_budgets(), schema=SCHEMAS["budgets"]),
    }
    if with_vendor_usage is None:
        with_vendor_usage = _vendor_usage_loadable()
    if with_vendor_usage:
        tables["vendor_usage"] = pa.table(_vendor_usage(llm, np.random.default_rng(SEED + 1)), schema=SCHEMAS["vendor_usage"])
    return tables


def write_company(out_dir: Path) -> None:
    """Write one Parquet file per table under `out_dir/<table>/` for `finops ingest out_dir`.

    vendor_usage is written only when the warehouse contract has that table (its importer
    arrives separately); `build(with_vendor_usage=True)` always returns it.
    """
    out_dir = Path(out_dir)
    for name, table in build().items():
        _write(table, out_dir / name / f"{name}.parquet")


if __name__ == "__main__":  # pragma: no cover
    import sys

    write_company(Path(sys.argv[1] if len(sys.argv) > 1 else "blind_ai-data"))
