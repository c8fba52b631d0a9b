"""Brightmoor Learning: an online-learning company, the fixture of `evals/sets/blind-final.yaml`.

Who: Brightmoor sells courses to schools and adult learners. Its AI features are
`tutor-chat` (Anthropic, team learning-ai), `essay-feedback` (OpenAI, team
learning-ai), `quiz-generator` (a self-hosted Llama plus Vertex Gemini, team
content), `lecture-summarizer` (Vertex Gemini, team content), `course-search`
(OpenAI embeddings, team search), `transcript-translate` (Bedrock Nova, team
localization) and `parent-digest` (OpenAI gpt-4.1-mini, team growth, launched
2026-05-04). Self-hosted models run on three CoreWeave GPU clusters
(`gpu-east-a` H100, `gpu-west-b` A100, `gpu-edge-c` L4). The cloud bill is FOCUS
1.2 from AWS (four accounts, a Compute Savings Plan, an all-upfront RDS
Reserved Instance, an EDP discount, a Snowflake marketplace line, credits,
taxes, corrections), Google Cloud (two projects, Vertex AI), OpenAI, Anthropic
and CoreWeave; `vendor_usage` holds OpenAI's and Anthropic's own daily cost
reports.

What the data covers: 2026-04-01 through 2026-06-17 (78 days), so
`AS_OF = 2026-06-18` (a Thursday). Billing is daily charge lines with monthly
billing periods (April and May invoiced with tax; June still open). Vertex
requests are logged without cost (`cost_usd` NULL) and priced from
`model_prices` at ingest; every other request carries its logged cost.

Stories planted:

1. Prompt growth: `essay-feedback` prompts grow from ~3.8k to ~8.8k input tokens
   per request from 2026-05-25 (a rubric pack was added to the context).
2. Price changes: Vertex `gemini-2.5-flash` output price rises from 2.50 to
   3.50 USD/Mtok on 2026-05-15; OpenAI `o4-mini` is cut on 2026-06-01.
3. Retry storm: on 2026-06-10, 13:00-21:00 UTC, `tutor-chat` calls to
   `claude-sonnet-4` are rate-limited and retried (attempts 2-4).
4. Idle GPUs: node `east-a-04` (deployment `eval-sandbox`, team ml-platform)
   drops to ~3% utilization from 2026-05-20 but stays up; two A100 nodes
   `west-b-02` and `west-b-03` are added unallocated on 2026-06-01 and sit idle.
5. A service spike: Amazon OpenSearch Service runs ~7x its usual daily cost
   2026-06-09..06-12 (a course-search re-index).
6. Commitment waste: the Compute Savings Plan is under-used all along and more
   so after EC2 usage in `bm-prod` falls on 2026-06-01; CloudWatch cost creeps up.
   Budgets: OpenSearch's June budget is already spent; learning-ai and
   essay-feedback inference are on course to overrun June. The request logger
   dropped ~12% of Anthropic calls 2026-05-10..05-12, so Anthropic's own cost
   report (vendor_usage) is above the logged cost for those days.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import pathlib

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

AS_OF = dt.date(2026, 6, 18)
START = dt.date(2026, 4, 1)
DAYS = (AS_OF - START).days  # 78
SEED = 20260618

# (provider, model) -> list of (valid_from, valid_to, input, cached_input, output, tier)
PRICES = {
    ("anthropic", "claude-sonnet-4"): [(START, None, 3.00, 0.30, 15.00, "large")],
    ("anthropic", "claude-haiku-3.5"): [(START, None, 0.80, 0.08, 4.00, "small")],
    ("openai", "gpt-4.1"): [(START, None, 2.00, 0.50, 8.00, "large")],
    ("openai", "gpt-4.1-mini"): [(START, None, 0.40, 0.10, 1.60, "small")],
    ("openai", "o4-mini"): [
        (START, dt.date(2026, 6, 1), 1.10, 0.275, 4.40, "medium"),
        (dt.date(2026, 6, 1), None, 0.80, 0.20, 3.20, "medium"),
    ],
    ("openai", "text-embedding-3-small"): [(START, None, 0.02, None, 0.0, "small")],
    ("vertex", "gemini-2.5-pro"): [(START, None, 1.25, 0.31, 10.00, "large")],
    ("vertex", "gemini-2.5-flash"): [
        (START, dt.date(2026, 5, 15), 0.30, 0.075, 2.50, "small"),
        (dt.date(2026, 5, 15), None, 0.30, 0.075, 3.50, "small"),
    ],
    ("bedrock", "nova-pro"): [(START, None, 0.80, 0.20, 3.20, "medium")],
    ("self-hosted", "llama-3.3-70b"): [(START, None, 0.25, None, 0.75, "medium")],
}

# feature -> team, requests/day, model mix, mean input/output tokens, cached fraction, repeat prob, first day
FEATURES = [
    ("tutor-chat", "learning-ai", 420, [("anthropic", "claude-sonnet-4", "chat", 0.65), ("anthropic", "claude-haiku-3.5", "chat", 0.35)], 3200, 520, 0.45, 0.06, START),
    ("essay-feedback", "learning-ai", 230, [("openai", "gpt-4.1", "chat", 0.8), ("openai", "o4-mini", "chat", 0.2)], 3800, 900, 0.15, 0.02, START),
    ("quiz-generator", "content", 190, [("self-hosted", "llama-3.3-70b", "chat", 0.7), ("vertex", "gemini-2.5-flash", "chat", 0.3)], 1600, 1100, 0.0, 0.30, START),
    ("lecture-summarizer", "content", 110, [("vertex", "gemini-2.5-pro", "chat", 0.5), ("vertex", "gemini-2.5-flash", "chat", 0.5)], 18000, 900, 0.0, 0.04, START),
    ("course-search", "search", 380, [("openai", "text-embedding-3-small", "embeddings", 1.0)], 60, 0, 0.0, 0.40, START),
    ("transcript-translate", "localization", 95, [("bedrock", "nova-pro", "chat", 1.0)], 2200, 1900, 0.0, 0.03, START),
    ("parent-digest", "growth", 75, [("openai", "gpt-4.1-mini", "chat", 1.0)], 2500, 400, 0.10, 0.05, dt.date(2026, 5, 4)),
]

# model -> (base latency ms, ms per output token)
LATENCY = {
    "claude-sonnet-4": (650, 12), "claude-haiku-3.5": (300, 5), "gpt-4.1": (500, 10),
    "gpt-4.1-mini": (280, 4), "o4-mini": (1900, 8), "text-embedding-3-small": (70, 0),
    "gemini-2.5-pro": (900, 9), "gemini-2.5-flash": (350, 3), "nova-pro": (420, 6),
    "llama-3.3-70b": (700, 14),
}

STORM_DAY = dt.date(2026, 6, 10)
PROMPT_GROWTH_DAY = dt.date(2026, 5, 25)
EVAL_IDLE_DAY = dt.date(2026, 5, 20)
WEST_IDLE_DAY = dt.date(2026, 6, 1)
OPENSEARCH_SPIKE = (dt.date(2026, 6, 9), dt.date(2026, 6, 13))
EC2_DROP_DAY = dt.date(2026, 6, 1)
LOG_GAP = (dt.date(2026, 5, 10), dt.date(2026, 5, 13))


def _h(text: str, n: int = 16) -> str:
    return hashlib.md5(text.encode()).hexdigest()[:n]


def _price(provider: str, model: str, day: dt.date):
    for valid_from, valid_to, inp, cached, out, _ in PRICES[(provider, model)]:
        if day >= valid_from and (valid_to is None or day < valid_to):
            return inp, (inp if cached is None else cached), out
    raise KeyError((provider, model, day))


def _ts(day: dt.date) -> np.datetime64:
    return np.datetime64(day.isoformat(), "us")


def _day_factor(day: dt.date) -> float:
    weekday = day.weekday()
    return {5: 0.55, 6: 0.5}.get(weekday, 1.0) * (1 + 0.003 * (day - START).days)


# ----------------------------------------------------------------- llm_requests


def _requests(rng: np.random.Generator):
    users = np.array([f"u-{_h(f'brightmoor-user-{i}', 10)}" for i in range(3000)])
    user_weights = 1.0 / np.arange(1, 3001) ** 0.8
    user_weights /= user_weights.sum()
    cols = {k: [] for k in ("ts", "provider", "model", "operation", "feature", "team", "user_id", "environment",
                            "input_tokens", "cached_input_tokens", "output_tokens", "reasoning_output_tokens",
                            "latency_ms", "status", "attempt", "prompt_hash", "cost_usd")}
    for d in range(DAYS):
        day = START + dt.timedelta(days=d)
        day_start = _ts(day)
        for fname, team, base, mix, inp_mean, out_mean, cached_frac, repeat_p, first_day in FEATURES:
            if day < first_day:
                continue
            n = int(rng.poisson(base * _day_factor(day)))
            if n == 0:
                continue
            which = rng.choice(len(mix), size=n, p=[m[3] for m in mix])
            # seconds into the day: a daytime bump (14:00-22:00 UTC is busiest)
            hour = np.clip(rng.normal(16.5, 4.5, size=n), 0, 23.999)
            secs = (hour * 3600).astype(np.int64)
            ts = day_start + secs.astype("timedelta64[s]") + rng.integers(0, 1_000_000, size=n).astype("timedelta64[us]")
            mean_in = inp_mean
            if fname == "essay-feedback" and day >= PROMPT_GROWTH_DAY:
                mean_in = 8800
            inp = np.maximum(8, rng.lognormal(np.log(mean_in), 0.35, size=n)).astype(np.int64)
            if out_mean:
                out = np.maximum(1, rng.lognormal(np.log(out_mean), 0.45, size=n)).astype(np.int64)
            else:
                out = np.zeros(n, dtype=np.int64)
            cached = (inp * cached_frac * rng.uniform(0.6, 1.2, size=n)).astype(np.int64)
            cached = np.minimum(cached, inp)
            env = rng.choice(np.array(["prod", "staging", "dev"]), size=n, p=[0.86, 0.09, 0.05])
            uid = rng.choice(users, size=n, p=user_weights)
            rep = rng.random(n) < repeat_p
            pool = rng.integers(0, 35, size=n)
            uniq = rng.integers(0, 2**62, size=n)
            phash = np.array([_h(f"{fname}|faq|{p}") if r else _h(f"{fname}|{u}") for r, p, u in zip(rep, pool, uniq)])
            # status of first attempts
            u = rng.random(n)
            status = np.full(n, "ok", dtype=object)
            p_err, p_to, p_rl = 0.006, 0.005, 0.004
            if fname == "quiz-generator":
                p_to = 0.012
            status[u < p_err + p_to + p_rl] = "rate_limited"
            status[u < p_err + p_to] = "timeout"
            status[u < p_err] = "error"
            models = np.array([mix[i][1] for i in which])
            if day == STORM_DAY and fname == "tutor-chat":
                in_storm = (models == "claude-sonnet-4") & (hour >= 13) & (hour < 21)
                storm_u = rng.random(n)
                status[in_storm & (storm_u < 0.42)] = "rate_limited"
            attempt = np.ones(n, dtype=np.int64)
            rows = dict(ts=ts, which=which, inp=inp, out=out, cached=cached, env=env, uid=uid, phash=phash,
                        status=status, attempt=attempt, hour=hour)
            batches = [rows]
            # retries: a failed attempt is retried a few seconds later, up to attempt 4
            current = rows
            for k in range(2, 5):
                failed = np.nonzero(current["status"] != "ok")[0]
                if failed.size == 0:
                    break
                retried = failed[rng.random(failed.size) < 0.8]
                if retried.size == 0:
                    break
                m = retried.size
                nxt = {key: (val[retried] if isinstance(val, np.ndarray) else val) for key, val in current.items()}
                nxt["ts"] = np.minimum(nxt["ts"] + rng.integers(2_000_000, 40_000_000, size=m).astype("timedelta64[us]"),
                                       day_start + np.timedelta64(86_400_000_000 - 1, "us"))
                nxt["attempt"] = np.full(m, k, dtype=np.int64)
                st = np.full(m, "ok", dtype=object)
                storm_rows = (day == STORM_DAY) & (fname == "tutor-chat") & (np.array([mix[i][1] for i in nxt["which"]]) == "claude-sonnet-4") & (nxt["hour"] >= 13) & (nxt["hour"] < 21)
                fail_p = np.where(storm_rows, 0.40, 0.08)
                st[rng.random(m) < fail_p] = "rate_limited"
                nxt["status"] = st
                batches.append(nxt)
                current = nxt
            for b in batches:
                m = b["ts"].size
                prov = np.array([mix[i][0] for i in b["which"]])
                mod = np.array([mix[i][1] for i in b["which"]])
                op = np.array([mix[i][2] for i in b["which"]])
                out_b = np.where(b["status"] == "ok", b["out"], 0)
                base_lat = np.array([LATENCY[x][0] for x in mod], dtype=float)
                per_tok = np.array([LATENCY[x][1] for x in mod], dtype=float)
                lat = (base_lat + per_tok * out_b) * rng.lognormal(0, 0.25, size=m)
                lat = np.where(b["status"] == "timeout", 30000.0 + rng.uniform(0, 500, size=m), lat)
                lat = np.where(b["status"] == "rate_limited", rng.uniform(40, 220, size=m), lat)
                lat = np.where(b["status"] == "error", rng.uniform(100, 900, size=m), lat)
                lat = np.round(lat, 1)
                reasoning = np.where(mod == "o4-mini", (out_b * rng.uniform(0.4, 0.7, size=m)).astype(np.int64), -1)
                cost = np.empty(m, dtype=object)
                for j in range(m):
                    if b["status"][j] == "rate_limited":
                        cost[j] = 0.0
                        continue
                    if prov[j] == "vertex":
                        cost[j] = None  # priced from model_prices at ingest
                        continue
                    pin, pcached, pout = _price(prov[j], mod[j], day)
                    cost[j] = ((int(b["inp"][j]) - int(b["cached"][j])) * pin + int(b["cached"][j]) * pcached + int(out_b[j]) * pout) / 1e6
                cols["ts"].append(b["ts"])
                cols["provider"].append(prov)
                cols["model"].append(mod)
                cols["operation"].append(op)
                cols["feature"].append(np.full(m, fname, dtype=object))
                cols["team"].append(np.full(m, team, dtype=object))
                cols["user_id"].append(b["uid"])
                cols["environment"].append(b["env"])
                cols["input_tokens"].append(b["inp"])
                cols["cached_input_tokens"].append(b["cached"])
                cols["output_tokens"].append(out_b)
                cols["reasoning_output_tokens"].append(reasoning)
                cols["latency_ms"].append(lat)
                cols["status"].append(b["status"])
                cols["attempt"].append(b["attempt"])
                cols["prompt_hash"].append(b["phash"])
                cols["cost_usd"].append(cost)
    data = {k: np.concatenate(v) for k, v in cols.items()}
    order = np.argsort(data["ts"], kind="stable")
    data = {k: v[order] for k, v in data.items()}
    n = data["ts"].size
    ids = [f"bm-{i:07d}-{_h(f'req{i}', 6)}" for i in range(n)]
    reasoning = [None if x < 0 else int(x) for x in data["reasoning_output_tokens"]]
    table = pa.table({
        "request_id": pa.array(ids, pa.string()),
        "ts": pa.array(data["ts"], pa.timestamp("us")),
        "provider": pa.array(data["provider"].tolist(), pa.string()),
        "model": pa.array(data["model"].tolist(), pa.string()),
        "operation": pa.array(data["operation"].tolist(), pa.string()),
        "feature": pa.array(data["feature"].tolist(), pa.string()),
        "team": pa.array(data["team"].tolist(), pa.string()),
        "user_id": pa.array(data["user_id"].tolist(), pa.string()),
        "environment": pa.array(data["environment"].tolist(), pa.string()),
        "input_tokens": pa.array(data["input_tokens"], pa.int64()),
        "cached_input_tokens": pa.array(data["cached_input_tokens"], pa.int64()),
        "output_tokens": pa.array(data["output_tokens"], pa.int64()),
        "reasoning_output_tokens": pa.array(reasoning, pa.int64()),
        "latency_ms": pa.array(data["latency_ms"], pa.float64()),
        "status": pa.array(data["status"].tolist(), pa.string()),
        "attempt": pa.array(data["attempt"], pa.int32()),
        "prompt_hash": pa.array(data["prompt_hash"].tolist(), pa.string()),
        "cost_usd": pa.array(data["cost_usd"].tolist(), pa.float64()),
    })
    return table


def _priced_cost(provider, model, day, inp, cached, out, status):
    if status == "rate_limited":
        return 0.0
    pin, pcached, pout = _price(provider, model, day)
    return ((inp - cached) * pin + cached * pcached + out * pout) / 1e6


# ------------------------------------------------------------------- gpu_usage

# node, cluster, gpu_type, gpu_count, $/node-hour, deployment, team, model, base util, first day
NODES = [
    ("east-a-01", "gpu-east-a", "H100", 4, 19.04, "quiz-llama70b", "content", "llama-3.3-70b", 58, START),
    ("east-a-02", "gpu-east-a", "H100", 4, 19.04, "quiz-llama70b", "content", "llama-3.3-70b", 52, START),
    ("east-a-03", "gpu-east-a", "H100", 4, 19.04, "tutor-rerank", "learning-ai", "bge-reranker-large", 36, START),
    ("east-a-04", "gpu-east-a", "H100", 4, 19.04, "eval-sandbox", "ml-platform", "qwen-2.5-72b", 47, START),
    ("west-b-01", "gpu-west-b", "A100", 4, 8.84, "whisper-captions", "localization", "whisper-large-v3", 61, START),
    ("west-b-02", "gpu-west-b", "A100", 4, 8.84, None, None, None, 1.2, WEST_IDLE_DAY),
    ("west-b-03", "gpu-west-b", "A100", 4, 8.84, None, None, None, 0.8, WEST_IDLE_DAY),
    ("edge-c-01", "gpu-edge-c", "L4", 1, 0.75, "embed-small", "search", "bge-small", 27, START),
    ("edge-c-02", "gpu-edge-c", "L4", 1, 0.75, "embed-small", "search", "bge-small", 22, START),
]
CLUSTER_REGION = {"gpu-east-a": "US-EAST-04", "gpu-west-b": "US-WEST-01", "gpu-edge-c": "US-CENTRAL-02"}


def _gpu(rng: np.random.Generator):
    out = {k: [] for k in ("hour", "cluster", "node_id", "gpu_type", "gpu_count", "deployment", "team", "cost_usd", "gpu_util_pct", "gpu_mem_util_pct", "model")}
    hours = np.arange(24)
    diurnal = np.sin((hours - 10) / 24 * 2 * np.pi)  # peaks around 16:00 UTC
    for d in range(DAYS):
        day = START + dt.timedelta(days=d)
        for node, cluster, gpu_type, count, price, dep, team, model, base, first in NODES:
            if day < first:
                continue
            if dep is None or (node == "east-a-04" and day >= EVAL_IDLE_DAY):
                util = np.clip(rng.normal(3.0 if dep else base, 1.0, size=24), 0, 100)
            else:
                amp = 0.35 * base * (0.6 if day.weekday() >= 5 else 1.0)
                util = np.clip(base * (0.75 if day.weekday() >= 5 else 1.0) + amp * diurnal + rng.normal(0, 4, size=24), 0, 100)
            util = np.round(util, 2)
            mem = np.round(np.clip((18 if dep is None else 45) + 0.5 * util + rng.normal(0, 3, size=24), 0, 100), 2)
            out["hour"].append(_ts(day) + hours.astype("timedelta64[h]"))
            out["cluster"] += [cluster] * 24
            out["node_id"] += [node] * 24
            out["gpu_type"] += [gpu_type] * 24
            out["gpu_count"] += [count] * 24
            out["deployment"] += [dep] * 24
            out["team"] += [team] * 24
            out["cost_usd"] += [price] * 24
            out["gpu_util_pct"].append(util)
            out["gpu_mem_util_pct"].append(mem)
            out["model"] += [model] * 24
    return pa.table({
        "hour": pa.array(np.concatenate(out["hour"]), pa.timestamp("us")),
        "cluster": pa.array(out["cluster"], pa.string()),
        "node_id": pa.array(out["node_id"], pa.string()),
        "gpu_type": pa.array(out["gpu_type"], pa.string()),
        "gpu_count": pa.array(out["gpu_count"], pa.int32()),
        "deployment": pa.array(out["deployment"], pa.string()),
        "team": pa.array(out["team"], pa.string()),
        "cost_usd": pa.array(out["cost_usd"], pa.float64()),
        "gpu_util_pct": pa.array(np.concatenate(out["gpu_util_pct"]), pa.float64()),
        "gpu_mem_util_pct": pa.array(np.concatenate(out["gpu_mem_util_pct"]), pa.float64()),
        "model": pa.array(out["model"], pa.string()),
    })


# ---------------------------------------------------------------------- billing

AWS = dict(ProviderName="AWS", InvoiceIssuerName="Amazon Web Services, Inc.", PublisherName="Amazon Web Services",
           BillingAccountId="411122223333", BillingAccountName="Brightmoor Learning (AWS)")
GCP = dict(ProviderName="Google Cloud", InvoiceIssuerName="Google LLC", PublisherName="Google",
           BillingAccountId="01A2B3-C4D5E6-F7A8B9", BillingAccountName="Brightmoor Learning GCP")
OPENAI = dict(ProviderName="OpenAI", InvoiceIssuerName="OpenAI", PublisherName="OpenAI",
              BillingAccountId="org-brightmoor", BillingAccountName="Brightmoor OpenAI org")
ANTHROPIC = dict(ProviderName="Anthropic", InvoiceIssuerName="Anthropic", PublisherName="Anthropic",
                 BillingAccountId="anthropic-org-7731", BillingAccountName="Brightmoor Anthropic")
COREWEAVE = dict(ProviderName="CoreWeave", InvoiceIssuerName="CoreWeave", PublisherName="CoreWeave",
                 BillingAccountId="cw-brightmoor", BillingAccountName="Brightmoor CoreWeave")
AWS_ACCOUNTS = {"bm-prod": "111100001111", "bm-staging": "111100002222", "bm-data": "111100003333", "bm-ml": "111100004444"}
REGION_NAMES = {"us-east-1": "US East (N. Virginia)", "us-west-2": "US West (Oregon)", "eu-west-1": "Europe (Ireland)",
                "us-central1": "Iowa", "europe-west4": "Netherlands", "global": "Global",
                "US-EAST-04": "US East 04", "US-WEST-01": "US West 01", "US-CENTRAL-02": "US Central 02"}
SP_ID = "arn:aws:savingsplans::411122223333:savingsplan/sp-0bm7c1"
SP_DAILY = 380.0  # commitment per day
SP_RATE = 0.70  # effective cost / list cost under the plan
EDP = 0.94  # AWS negotiated (contracted) price / list price
RI_UPFRONT = 21900.0  # RDS Reserved Instance, 1 year all upfront, bought 2026-04-01
RDS_LIST_DAY = 103.2  # one db.r7g.4xlarge Multi-AZ day at list price

BILLING_COLUMNS = [
    "BilledCost", "EffectiveCost", "ListCost", "ContractedCost", "BillingAccountId", "BillingAccountName",
    "BillingCurrency", "BillingPeriodStart", "BillingPeriodEnd", "ChargePeriodStart", "ChargePeriodEnd",
    "ChargeCategory", "ChargeClass", "ChargeDescription", "InvoiceIssuerName", "ProviderName", "PublisherName",
    "ServiceCategory", "ServiceSubcategory", "ServiceName", "PricingQuantity", "PricingUnit", "SubAccountId",
    "SubAccountName", "RegionId", "RegionName", "AvailabilityZone", "ResourceId", "ResourceName", "ResourceType",
    "SkuId", "SkuPriceId", "SkuMeter", "ConsumedQuantity", "ConsumedUnit", "ListUnitPrice", "ContractedUnitPrice",
    "PricingCategory", "ChargeFrequency", "InvoiceId", "CommitmentDiscountId", "CommitmentDiscountName",
    "CommitmentDiscountCategory", "CommitmentDiscountType", "CommitmentDiscountStatus", "CapacityReservationId", "Tags",
]
MONEY = ("BilledCost", "EffectiveCost", "ListCost", "ContractedCost", "PricingQuantity", "ConsumedQuantity", "ListUnitPrice", "ContractedUnitPrice")
TIMES = ("BillingPeriodStart", "BillingPeriodEnd", "ChargePeriodStart", "ChargePeriodEnd")


def _month_start(day: dt.date) -> dt.date:
    return day.replace(day=1)


def _next_month(day: dt.date) -> dt.date:
    return (day.replace(day=28) + dt.timedelta(days=4)).replace(day=1)


class _Bill:
    def __init__(self):
        self.rows = []

    def add(self, issuer: dict, day: dt.date, *, billed, effective, list_, contracted, service, category, sub=None,
            subcategory=None, region=None, az=None, resource=None, resource_type=None, sku=None, meter=None,
            qty=None, unit=None, charge="Usage", charge_class=None, description="", tags=None, end=None,
            pricing_category="Standard", frequency="Usage-Based", period_start=None, publisher=None, commitment=None):
        account_name, account_id = (sub if sub else (None, None))
        period = period_start or _month_start(day)
        row = dict(issuer)
        if publisher:
            row["PublisherName"] = publisher
        short = {"AWS": "AWS", "Google Cloud": "GCP", "OpenAI": "OAI", "Anthropic": "ANT", "CoreWeave": "CW"}[issuer["ProviderName"]]
        row.update(
            BilledCost=round(billed, 6), EffectiveCost=round(effective, 6), ListCost=round(list_, 6),
            ContractedCost=round(contracted, 6), BillingCurrency="USD",
            BillingPeriodStart=period, BillingPeriodEnd=_next_month(period),
            ChargePeriodStart=day, ChargePeriodEnd=end or (day + dt.timedelta(days=1)),
            ChargeCategory=charge, ChargeClass=charge_class, ChargeDescription=description,
            ServiceCategory=category, ServiceSubcategory=subcategory, ServiceName=service,
            PricingQuantity=qty, PricingUnit=unit, SubAccountId=account_id, SubAccountName=account_name,
            RegionId=region, RegionName=REGION_NAMES.get(region) if region else None, AvailabilityZone=az,
            ResourceId=resource, ResourceName=resource.split("/")[-1] if resource else None, ResourceType=resource_type,
            SkuId=sku, SkuPriceId=f"{sku}-{period:%Y%m}" if sku else None, SkuMeter=meter,
            ConsumedQuantity=qty if charge == "Usage" else None, ConsumedUnit=unit if charge == "Usage" else None,
            ListUnitPrice=round(list_ / qty, 6) if qty else None, ContractedUnitPrice=round(contracted / qty, 6) if qty else None,
            PricingCategory=pricing_category if charge == "Usage" else None, ChargeFrequency=frequency,
            InvoiceId=f"INV-{short}-{period:%Y%m}", CapacityReservationId=None,
            Tags=json.dumps(tags, sort_keys=True) if tags else None,
        )
        for key in ("CommitmentDiscountId", "CommitmentDiscountName", "CommitmentDiscountCategory", "CommitmentDiscountType", "CommitmentDiscountStatus"):
            row[key] = None
        if commitment:
            row.update(commitment)
        self.rows.append(row)

    def aws(self, day, list_cost, **kw):
        self.add(AWS, day, billed=EDP * list_cost, effective=EDP * list_cost, list_=list_cost, contracted=EDP * list_cost, **kw)

    def table(self) -> pa.Table:
        arrays = {}
        for col in BILLING_COLUMNS:
            values = [r.get(col) for r in self.rows]
            if col in MONEY:
                arrays[col] = pa.array(values, pa.float64())
            elif col in TIMES:
                arrays[col] = pa.array([dt.datetime(v.year, v.month, v.day) for v in values], pa.timestamp("us"))
            else:
                arrays[col] = pa.array(values, pa.string())
        return pa.table(arrays)


def _billing(rng: np.random.Generator, requests: pa.Table, gpu: pa.Table) -> pa.Table:
    bill = _Bill()
    acct = lambda name: (name, AWS_ACCOUNTS[name])  # noqa: E731
    sp_commit = dict(CommitmentDiscountId=SP_ID, CommitmentDiscountName="Compute Savings Plan 1yr (bm-prod)",
                     CommitmentDiscountCategory="Spend", CommitmentDiscountType="Savings Plan")
    ri_commit = dict(CommitmentDiscountId="arn:aws:rds:us-east-1:411122223333:ri:bm-core-pg-ri", CommitmentDiscountName="RDS r7g.4xlarge 1yr all upfront",
                     CommitmentDiscountCategory="Usage", CommitmentDiscountType="Reserved Instance")
    bill.add(AWS, START, billed=RI_UPFRONT, effective=0.0, list_=0.0, contracted=0.0, service="Amazon RDS", category="Databases",
             sub=acct("bm-prod"), region="us-east-1", description="Reserved Instance all-upfront fee", charge="Purchase",
             frequency="One-Time", commitment=dict(ri_commit))
    ec2_prod = [("i-0a11prodweb01", "m7i.2xlarge", 0.4032, 9), ("i-0a12prodweb02", "m7i.2xlarge", 0.4032, 9),
                ("i-0a13prodapi01", "c7i.4xlarge", 0.714, 10), ("i-0a14prodwork01", "r7i.2xlarge", 0.5292, 7)]
    llm = _llm_daily(requests)
    gpu_daily = _gpu_daily(gpu)
    for d in range(DAYS):
        day = START + dt.timedelta(days=d)
        f = _day_factor(day)
        noise = lambda s=0.06: float(rng.lognormal(0, s))  # noqa: E731
        # --- EC2 bm-prod under the Savings Plan
        drop = 0.68 if day >= EC2_DROP_DAY else 1.0
        lines = []
        for rid, itype, hourly, n in ec2_prod:
            hours = 24 * n * drop * noise(0.03)
            lines.append((rid, itype, hours, hours * hourly))
        capacity = SP_DAILY / SP_RATE
        remaining = capacity
        used_effective = 0.0
        for rid, itype, hours, lst in lines:
            covered = min(lst, remaining)
            remaining -= covered
            tags = {"team": "platform", "environment": "prod", "feature": "web-app"}
            res = f"arn:aws:ec2:us-east-1:111100001111:instance/{rid}"
            if covered > 0:
                bill.add(AWS, day, billed=0.0, effective=covered * SP_RATE, list_=covered, contracted=covered * EDP,
                         service="Amazon EC2", category="Compute", subcategory="Virtual Machines", sub=acct("bm-prod"),
                         region="us-east-1", az="us-east-1a", resource=res, resource_type="Instance", sku=f"EC2-{itype}",
                         meter="BoxUsage", qty=hours * covered / lst, unit="Hrs", description=f"{itype} Linux covered by Savings Plan",
                         tags=tags, pricing_category="Committed", commitment=dict(sp_commit, CommitmentDiscountStatus="Used"))
                used_effective += covered * SP_RATE
            if lst - covered > 1e-9:
                rest = lst - covered
                bill.aws(day, rest, service="Amazon EC2", category="Compute", subcategory="Virtual Machines", sub=acct("bm-prod"),
                         region="us-east-1", az="us-east-1a", resource=res, resource_type="Instance", sku=f"EC2-{itype}",
                         meter="BoxUsage", qty=hours * rest / lst, unit="Hrs", description=f"{itype} Linux on demand",
                         tags=tags, pricing_category="Standard")
        if SP_DAILY - used_effective > 1e-6:
            unused = SP_DAILY - used_effective
            bill.add(AWS, day, billed=0.0, effective=unused, list_=0.0, contracted=0.0, service="Amazon EC2", category="Compute",
                     subcategory="Virtual Machines", sub=acct("bm-prod"), region="us-east-1", description="Unused Savings Plan commitment",
                     pricing_category="Committed", commitment=dict(sp_commit, CommitmentDiscountStatus="Unused"))
        bill.add(AWS, day, billed=SP_DAILY, effective=0.0, list_=0.0, contracted=0.0, service="Savings Plans for AWS Compute usage",
                 category="Compute", sub=acct("bm-prod"), description="Savings Plan recurring fee", charge="Purchase",
                 frequency="Recurring", commitment=dict(sp_commit))
        # --- other AWS usage
        tag = lambda team, env, feature=None: {k: v for k, v in (("team", team), ("environment", env), ("feature", feature)) if v}  # noqa: E731
        bill.aws(day, 88 * f * noise(), service="Amazon EC2", category="Compute", subcategory="Virtual Machines", sub=acct("bm-staging"),
                 region="us-east-1", az="us-east-1b", resource="arn:aws:ec2:us-east-1:111100002222:instance/i-0b21stg01", resource_type="Instance",
                 sku="EC2-m7i.xlarge", meter="BoxUsage", qty=24 * 4.0, unit="Hrs", description="m7i.xlarge Linux on demand", tags=tag("platform", "staging", "web-app"))
        bill.aws(day, 640 * noise(0.04), service="Amazon EC2", category="Compute", subcategory="Virtual Machines", sub=acct("bm-ml"),
                 region="us-west-2", az="us-west-2a", resource="arn:aws:ec2:us-west-2:111100004444:instance/i-0c31train01", resource_type="Instance",
                 sku="EC2-g6e.12xlarge", meter="BoxUsage", qty=24.0, unit="Hrs", description="g6e.12xlarge training box", tags=tag("ml-platform", "dev"))
        s3 = 118 * (1 + 0.006 * d) * noise(0.02)
        bill.aws(day, s3, service="Amazon S3", category="Storage", subcategory="Object Storage", sub=acct("bm-data"), region="us-east-1",
                 resource="arn:aws:s3:::bm-lecture-media", resource_type="Bucket", sku="S3-StandardStorage", meter="TimedStorage-ByteHrs",
                 qty=s3 / 0.023 / 30 * 30, unit="GB-Mo", description="S3 Standard storage", tags=tag("content", "prod", "lecture-summarizer"))
        bill.aws(day, 27 * noise(), service="Amazon S3", category="Storage", subcategory="Object Storage", sub=acct("bm-prod"), region="eu-west-1",
                 resource="arn:aws:s3:::bm-eu-backups", resource_type="Bucket", sku="S3-StandardIA", meter="TimedStorage-SIA-ByteHrs",
                 qty=27 / 0.0125, unit="GB-Mo", description="S3 Standard-IA storage")
        # RDS: the primary instance under an all-upfront Reserved Instance (amortized), the replica on demand
        rds = dict(service="Amazon RDS", category="Databases", subcategory="Relational Databases", sub=acct("bm-prod"),
                   region="us-east-1", az="us-east-1a", resource_type="DBInstance", sku="RDS-db.r7g.4xlarge", meter="InstanceUsage",
                   unit="Hrs", tags=tag("platform", "prod"))
        bill.add(AWS, day, billed=0.0, effective=RI_UPFRONT / 365, list_=RDS_LIST_DAY, contracted=RDS_LIST_DAY * EDP,
                 resource="arn:aws:rds:us-east-1:111100001111:db:bm-core-pg", qty=24.0, description="PostgreSQL db.r7g.4xlarge covered by Reserved Instance",
                 pricing_category="Committed", commitment=dict(ri_commit, CommitmentDiscountStatus="Used"), **rds)
        bill.aws(day, RDS_LIST_DAY * noise(0.02), resource="arn:aws:rds:us-east-1:111100001111:db:bm-core-pg-replica", qty=24.0,
                 description="PostgreSQL db.r7g.4xlarge read replica on demand", **rds)
        os_cost = 118 * noise(0.05) * (7.2 if OPENSEARCH_SPIKE[0] <= day < OPENSEARCH_SPIKE[1] else 1.0)
        bill.aws(day, os_cost, service="Amazon OpenSearch Service", category="Analytics", subcategory="Search", sub=acct("bm-prod"),
                 region="us-east-1", resource="arn:aws:es:us-east-1:111100001111:domain/bm-course-index", resource_type="Domain",
                 sku="ES-r6g.2xlarge.search", meter="ESInstance", qty=os_cost / 0.838, unit="Hrs", description="OpenSearch r6g.2xlarge.search",
                 tags=tag("search", "prod", "course-search"))
        cf = 58 * f * noise(0.08)
        bill.aws(day, cf, service="Amazon CloudFront", category="Networking", subcategory="Content Delivery", sub=acct("bm-prod"), region="global",
                 resource="arn:aws:cloudfront::111100001111:distribution/E2BMVIDEO", resource_type="Distribution", sku="CF-DataTransfer-Out",
                 meter="DataTransfer-Out-Bytes", qty=cf / 0.085, unit="GB", description="CloudFront data transfer out", tags=tag("content", "prod"))
        dtc = 41 * f * noise(0.1)
        bill.aws(day, dtc, service="AWS Data Transfer", category="Networking", subcategory="Network Connectivity", sub=acct("bm-prod"), region="us-east-1",
                 sku="DT-InterRegion", meter="DataTransfer-Regional-Bytes", qty=dtc / 0.02, unit="GB", description="Inter-region data transfer")
        lam = 23 * f * noise(0.1)
        bill.aws(day, lam, service="AWS Lambda", category="Compute", subcategory="Serverless Compute", sub=acct("bm-prod"), region="us-east-1",
                 resource="arn:aws:lambda:us-east-1:111100001111:function:bm-grade-sync", resource_type="Function", sku="Lambda-GB-Second",
                 meter="Lambda-GB-Second", qty=lam / 0.0000166667, unit="GB-Seconds", description="Lambda compute", tags=tag("platform", "prod"))
        cw = 31 * (1 + 0.012 * d) * noise(0.04)
        bill.aws(day, cw, service="Amazon CloudWatch", category="Management and Governance", subcategory="Observability", sub=acct("bm-prod"),
                 region="us-east-1", sku="CW-LogsIngest", meter="DataProcessing-Bytes", qty=cw / 0.5, unit="GB", description="CloudWatch Logs ingestion")
        ddb = 17 * noise(0.05)
        bill.aws(day, ddb, service="Amazon DynamoDB", category="Databases", subcategory="NoSQL Databases", sub=acct("bm-prod"), region="eu-west-1",
                 resource="arn:aws:dynamodb:eu-west-1:111100001111:table/bm-sessions", resource_type="Table", sku="DDB-ReadRequestUnits",
                 meter="ReadRequestUnits", qty=ddb / 0.000000283, unit="Requests", description="DynamoDB on-demand reads", tags=tag("learning-ai", "prod", "tutor-chat"))
        snow = 150 * (1.35 if day.weekday() == 0 else 1.0) * noise(0.07)
        bill.add(AWS, day, billed=snow, effective=snow, list_=snow, contracted=snow, service="Snowflake Data Cloud", category="Analytics",
                 subcategory="Data Warehouses", sub=acct("bm-data"), region="us-east-1", sku="SNOW-Credits", meter="Credits",
                 qty=snow / 3.0, unit="Credits", description="Snowflake credits via AWS Marketplace", publisher="Snowflake Inc.",
                 tags=tag("data", "prod"))
        # Bedrock: the transcript-translate requests of the day
        for env, (cost, toks) in sorted(llm.get((day, "bedrock", "nova-pro", "transcript-translate"), {}).items()):
            bill.add(AWS, day, billed=cost, effective=cost, list_=cost, contracted=cost, service="Amazon Bedrock",
                     category="AI and Machine Learning", subcategory="Generative AI", sub=acct("bm-prod"), region="us-east-1",
                     sku="Bedrock-nova-pro-tokens", meter="Tokens", qty=toks / 1e6, unit="1M tokens", description="Amazon Nova Pro tokens",
                     tags={"team": "localization", "feature": "transcript-translate", "environment": env, "model": "nova-pro"})
        # --- Google Cloud
        gproj = lambda name: (name, {"bm-vertex-prod": "bm-vertex-prod-4412", "bm-analytics": "bm-analytics-9931"}[name])  # noqa: E731
        for (kday, prov, model, feature), by_env in sorted(llm.items()):
            if kday != day or prov != "vertex":
                continue
            for env, (cost, toks) in sorted(by_env.items()):
                bill.add(GCP, day, billed=cost, effective=cost, list_=cost, contracted=cost, service="Vertex AI", category="AI and Machine Learning",
                         subcategory="Generative AI", sub=gproj("bm-vertex-prod"), region="us-central1", sku=f"VTX-{model}",
                         meter="Tokens", qty=toks / 1e6, unit="1M tokens", description=f"Vertex AI {model} tokens",
                         tags={"team": "content", "feature": feature, "environment": env, "model": model})
        bq = 92 * (2.1 if day.weekday() == 0 else 1.0) * noise(0.1)
        bill.add(GCP, day, billed=bq, effective=bq, list_=bq, contracted=bq, service="BigQuery", category="Analytics", subcategory="Data Warehouses",
                 sub=gproj("bm-analytics"), region="us-central1", sku="BQ-Analysis", meter="Analysis", qty=bq / 6.25, unit="TiB",
                 description="BigQuery on-demand analysis", tags=tag("data", "prod"))
        gcs = 21 * (1 + 0.004 * d) * noise(0.02)
        bill.add(GCP, day, billed=gcs, effective=gcs, list_=gcs, contracted=gcs, service="Cloud Storage", category="Storage", subcategory="Object Storage",
                 sub=gproj("bm-analytics"), region="europe-west4", resource="gs://bm-analytics-eu", resource_type="Bucket", sku="GCS-Standard",
                 meter="Storage", qty=gcs / 0.02 * 30, unit="GiB-Mo", description="Cloud Storage standard")
        gce_list = 84 * noise(0.03)
        bill.add(GCP, day, billed=gce_list * 0.8, effective=gce_list * 0.8, list_=gce_list, contracted=gce_list, service="Compute Engine", category="Compute",
                 subcategory="Virtual Machines", sub=gproj("bm-analytics"), region="us-central1", az="us-central1-b",
                 resource="projects/bm-analytics-9931/instances/airflow-1", resource_type="Instance", sku="GCE-n2-standard-16",
                 meter="Core", qty=24.0, unit="Hrs", description="N2 instance with sustained use discount", tags=tag("data", "prod"))
        if day < dt.date(2026, 5, 11):
            bill.add(GCP, day, billed=-40.0, effective=-40.0, list_=-40.0, contracted=-40.0, service="BigQuery", category="Analytics",
                     sub=gproj("bm-analytics"), region="us-central1", charge="Credit", description="Google for Startups promotional credit",
                     frequency="Usage-Based")
        # --- OpenAI and Anthropic invoices (daily lines from their cost reports)
        projects = {"learning-ai": "proj-learning", "search": "proj-search", "growth": "proj-growth"}
        for (kday, prov, model, feature), by_env in sorted(llm.items()):
            if kday != day or prov not in ("openai", "anthropic"):
                continue
            team = {"tutor-chat": "learning-ai", "essay-feedback": "learning-ai", "course-search": "search", "parent-digest": "growth"}[feature]
            for env, (cost, toks) in sorted(by_env.items()):
                if prov == "openai":
                    p = projects[team]
                    bill.add(OPENAI, day, billed=cost, effective=cost, list_=cost, contracted=cost, service="OpenAI API", category="AI and Machine Learning",
                             subcategory="Generative AI", sub=(p, p), sku=f"OAI-{model}", meter="Tokens", qty=toks / 1e6, unit="1M tokens",
                             description=f"{model} usage", tags={"team": team, "feature": feature, "environment": env, "model": model})
                else:
                    if LOG_GAP[0] <= day < LOG_GAP[1]:  # billed truth includes the calls the logger dropped
                        cost, toks = cost * 1.12, int(round(toks * 1.12))
                    ws = "tutor-prod" if env == "prod" else "tutor-nonprod"
                    bill.add(ANTHROPIC, day, billed=cost, effective=cost, list_=cost, contracted=cost, service="Claude API", category="AI and Machine Learning",
                             subcategory="Generative AI", sub=(ws, f"wrkspc_{ws}"), sku=f"ANT-{model}", meter="Tokens", qty=toks / 1e6, unit="1M tokens",
                             description=f"{model} usage", tags={"team": team, "feature": feature, "environment": env, "model": model})
        # --- CoreWeave: the GPU clusters
        for cluster in sorted(CLUSTER_REGION):
            cost, gpu_hours = gpu_daily.get((day, cluster), (0.0, 0))
            if cost:
                bill.add(COREWEAVE, day, billed=cost, effective=cost, list_=cost * 1.25, contracted=cost, service="CoreWeave GPU Compute",
                         category="Compute", subcategory="Virtual Machines", region=CLUSTER_REGION[cluster], resource=f"cw://{cluster}",
                         resource_type="Cluster", sku=f"CW-{cluster}", meter="GPU-Hours", qty=float(gpu_hours), unit="GPU-Hours",
                         description=f"GPU nodes in {cluster} (reserved pricing)", pricing_category="Committed")
    # --- one-off lines: credits, corrections, taxes
    bill.add(AWS, dt.date(2026, 5, 15), billed=-2500.0, effective=-2500.0, list_=-2500.0, contracted=-2500.0, service="Amazon EC2",
             category="Compute", sub=("bm-prod", AWS_ACCOUNTS["bm-prod"]), charge="Credit", description="AWS Activate promotional credit",
             frequency="One-Time")
    bill.add(AWS, dt.date(2026, 4, 20), billed=-180.0, effective=-180.0, list_=-191.49, contracted=-180.0, service="Amazon S3", category="Storage",
             sub=("bm-data", AWS_ACCOUNTS["bm-data"]), region="us-east-1", resource="arn:aws:s3:::bm-lecture-media", resource_type="Bucket",
             charge="Usage", charge_class="Correction", description="Refund: duplicated S3 storage metering", period_start=dt.date(2026, 5, 1))
    bill.add(AWS, dt.date(2026, 5, 28), billed=64.5, effective=64.5, list_=68.62, contracted=64.5, service="Amazon CloudWatch",
             category="Management and Governance", sub=("bm-prod", AWS_ACCOUNTS["bm-prod"]), region="us-east-1", charge="Usage",
             charge_class="Correction", description="Re-rated CloudWatch Logs ingestion", period_start=dt.date(2026, 6, 1))
    bill.add(OPENAI, dt.date(2026, 5, 3), billed=-15.0, effective=-15.0, list_=-15.0, contracted=-15.0, service="OpenAI API",
             category="AI and Machine Learning", sub=("proj-learning", "proj-learning"), charge="Adjustment",
             description="Goodwill adjustment for an outage", frequency="One-Time")
    table = bill.table()
    # taxes on the closed invoices (April and May), one line per issuer and month
    taxed = {}
    for row in bill.rows:
        if row["ChargeCategory"] in ("Usage", "Purchase") and row["BillingPeriodStart"] < dt.date(2026, 6, 1):
            key = (row["ProviderName"], row["BillingPeriodStart"])
            taxed[key] = taxed.get(key, 0.0) + row["BilledCost"]
    rates = {"AWS": 0.06, "Google Cloud": 0.21, "OpenAI": 0.0825, "Anthropic": 0.0825, "CoreWeave": 0.0}
    issuers = {"AWS": AWS, "Google Cloud": GCP, "OpenAI": OPENAI, "Anthropic": ANTHROPIC, "CoreWeave": COREWEAVE}
    taxes = _Bill()
    for (provider, period), amount in sorted(taxed.items()):
        rate = rates[provider]
        if rate == 0:
            continue
        tax = round(amount * rate, 2)
        taxes.add(issuers[provider], period, billed=tax, effective=tax, list_=tax, contracted=tax, service="Tax",
                  category="Other", charge="Tax", description=f"Sales tax / VAT {period:%B %Y}", end=_next_month(period),
                  frequency="Recurring")
    return pa.concat_tables([table, taxes.table()])


def _llm_daily(requests: pa.Table) -> dict:
    """(day, provider, model, feature) -> env -> (cost, tokens), with the Vertex rows priced like ingest prices them."""
    cols = requests.to_pydict()
    out: dict = {}
    for i in range(requests.num_rows):
        prov = cols["provider"][i]
        if prov == "self-hosted":
            continue
        day = cols["ts"][i].date()
        cost = cols["cost_usd"][i]
        if cost is None:
            cost = _priced_cost(prov, cols["model"][i], day, cols["input_tokens"][i], cols["cached_input_tokens"][i],
                                cols["output_tokens"][i], cols["status"][i])
        key = (day, prov, cols["model"][i], cols["feature"][i])
        env = cols["environment"][i]
        c, t = out.setdefault(key, {}).get(env, (0.0, 0))
        out[key][env] = (c + cost, t + cols["input_tokens"][i] + cols["output_tokens"][i])
    return out


def _gpu_daily(gpu: pa.Table) -> dict:
    cols = gpu.to_pydict()
    out: dict = {}
    for h, cluster, cost, count in zip(cols["hour"], cols["cluster"], cols["cost_usd"], cols["gpu_count"]):
        key = (h.date(), cluster)
        c, g = out.get(key, (0.0, 0))
        out[key] = (c + cost, g + count)
    return out


# --------------------------------------------------------- prices and budgets


def _model_prices() -> pa.Table:
    rows = []
    for (provider, model), versions in PRICES.items():
        for valid_from, valid_to, inp, cached, out, tier in versions:
            rows.append(dict(provider=provider, model=model, input_usd_per_mtok=inp, cached_input_usd_per_mtok=cached,
                             output_usd_per_mtok=out, tier=tier,
                             batch_discount_pct=50.0 if provider in ("openai", "anthropic") else None,
                             valid_from=dt.datetime(valid_from.year, valid_from.month, valid_from.day),
                             valid_to=dt.datetime(valid_to.year, valid_to.month, valid_to.day) if valid_to else None))
    return pa.Table.from_pylist(rows, schema=pa.schema([
        ("provider", pa.string()), ("model", pa.string()), ("input_usd_per_mtok", pa.float64()),
        ("cached_input_usd_per_mtok", pa.float64()), ("output_usd_per_mtok", pa.float64()), ("tier", pa.string()),
        ("batch_discount_pct", pa.float64()), ("valid_from", pa.timestamp("us")), ("valid_to", pa.timestamp("us")),
    ]))


BUDGETS = [
    # scope, scope_value, metric, amount, max cost per request
    ("total", None, "cost", 135000.0, None),
    ("service", "Amazon EC2", "cost", 24000.0, None),
    ("service", "Amazon OpenSearch Service", "cost", 4000.0, None),
    ("service", "Vertex AI", "cost", 100.0, None),
    ("total", None, "inference_cost", 400.0, None),
    ("team", "learning-ai", "inference_cost", 300.0, 0.015),
    ("team", "content", "inference_cost", 120.0, None),
    ("feature", "essay-feedback", "inference_cost", 130.0, 0.02),
    ("feature", "tutor-chat", "inference_cost", 160.0, None),
    ("model", "claude-sonnet-4", "inference_cost", 150.0, 0.02),
    ("team", "ml-platform", "gpu_cost", 14000.0, None),
    ("total", None, "gpu_cost", 70000.0, None),
]


def _budgets() -> pa.Table:
    return pa.Table.from_pylist(
        [dict(scope=s, scope_value=v, metric=m, period="month", amount_usd=a, max_cost_per_request_usd=c) for s, v, m, a, c in BUDGETS],
        schema=pa.schema([("scope", pa.string()), ("scope_value", pa.string()), ("metric", pa.string()), ("period", pa.string()),
                          ("amount_usd", pa.float64()), ("max_cost_per_request_usd", pa.float64())]),
    )


def _vendor_usage(requests: pa.Table) -> pa.Table:
    """OpenAI and Anthropic daily cost reports: one row per day, model and project (what they bill)."""
    cols = requests.to_pydict()
    projects = {"learning-ai": "proj-learning", "search": "proj-search", "growth": "proj-growth"}
    agg: dict = {}
    for i in range(requests.num_rows):
        prov = cols["provider"][i]
        if prov not in ("openai", "anthropic"):
            continue
        day = cols["ts"][i].date()
        if prov == "openai":
            project = projects[cols["team"][i]]
        else:
            project = "wrkspc_tutor-prod" if cols["environment"][i] == "prod" else "wrkspc_tutor-nonprod"
        key = (day, prov, cols["model"][i], project)
        a = agg.setdefault(key, [0, 0, 0, 0, 0.0])
        a[0] += cols["input_tokens"][i]
        a[1] += cols["cached_input_tokens"][i]
        a[2] += cols["output_tokens"][i]
        a[3] += 1
        a[4] += cols["cost_usd"][i]
    rows = []
    for (day, prov, model, project), (inp, cached, out, n, cost) in sorted(agg.items()):
        if prov == "anthropic" and LOG_GAP[0] <= day < LOG_GAP[1]:
            # the request logger dropped ~12% of Anthropic calls: the provider still counted and billed them
            inp, cached, out, n, cost = (
                int(round(inp * 1.12)), int(round(cached * 1.12)), int(round(out * 1.12)), int(round(n * 1.12)), cost * 1.12)
        start = dt.datetime(day.year, day.month, day.day)
        line_item = "embeddings" if model.startswith("text-embedding") else "completions"
        rows.append(dict(period_start=start, period_end=start + dt.timedelta(days=1), provider=prov, model=model, project=project,
                         api_key_id=None, line_item=line_item, input_tokens=inp, cached_input_tokens=cached, cache_write_input_tokens=None,
                         output_tokens=out, requests=n, cost_usd=round(cost, 6),
                         source="openai_costs" if prov == "openai" else "anthropic_cost_report",
                         row_key=_h(f"{prov}|{start:%Y-%m-%d}|{model}|{project}|{line_item}", 24)))
    return pa.Table.from_pylist(rows, schema=pa.schema([
        ("period_start", pa.timestamp("us")), ("period_end", pa.timestamp("us")), ("provider", pa.string()), ("model", pa.string()),
        ("project", pa.string()), ("api_key_id", pa.string()), ("line_item", pa.string()), ("input_tokens", pa.int64()),
        ("cached_input_tokens", pa.int64()), ("cache_write_input_tokens", pa.int64()), ("output_tokens", pa.int64()),
        ("requests", pa.int64()), ("cost_usd", pa.float64()), ("source", pa.string()), ("row_key", pa.string()),
    ]))


def write_company(out_dir: pathlib.Path, *, vendor_usage: bool = True) -> None:
    """Write Brightmoor's contract files under `out_dir` (one folder per table), byte-identical on every run.

    `vendor_usage=False` leaves out the provider cost reports, for an ingest
    that does not load that table yet.
    """
    out_dir = pathlib.Path(out_dir)
    rng = np.random.default_rng(SEED)
    requests = _requests(rng)
    gpu = _gpu(rng)
    billing = _billing(rng, requests, gpu)
    tables = {"llm_requests": requests, "gpu_usage": gpu, "billing": billing, "model_prices": _model_prices(), "budgets": _budgets()}
    if vendor_usage:
        tables["vendor_usage"] = _vendor_usage(requests)
    for name, table in tables.items():
        folder = out_dir / name
        folder.mkdir(parents=True, exist_ok=True)
        pq.write_table(table, folder / f"{name}.parquet", compression="zstd")
