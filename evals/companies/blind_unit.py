"""Quillmark: a blind fixture company for the `blind-unit` question set (AI unit economics and what-if).

Who: Quillmark sells an AI workspace to law firms. Features: `contract-review`
(clause-by-clause review on Claude Sonnet 4 and Claude 3.5 Haiku, long prompts
with a cached playbook), `drafting-assistant` (first drafts on GPT-4o and
GPT-4o mini), `support-bot` (the in-app help chat on GPT-4o mini and Mistral
Small; many end users, a FAQ pool of prompts that repeat), `clause-search`
(OpenAI embeddings of search queries; queries repeat a lot), `doc-summarize`
(summaries of long filings on a self-hosted Llama 3.1 8B on the company's own
L4 GPU nodes) and `nightly-digest` (a scheduled job, 01:00-04:00 UTC, that
writes each firm's overnight digest on GPT-4o: the offline traffic). Teams:
legal-ai (contract-review, clause-search), drafting (drafting-assistant),
support (support-bot), platform-ml (doc-summarize, nightly-digest, the GPUs).

What: 51 days, 2026-06-01 to 2026-07-21 inclusive; AS_OF is 2026-07-22 (a
Wednesday). Tables: llm_requests (~9k calls, prod/staging/dev, every row has
cost_usd as logged = its tokens at the price valid at its time; self-hosted rows
carry the internal charge-back price of model_prices), model_prices (cached-input
prices, batch_discount_pct for openai and anthropic, a gpt-4o price cut on
2026-07-01), gpu_usage (cluster gke-inference: two L4 nodes serving
llama-3.1-8b-instruct in prod, one in staging, an unallocated spare from
2026-07-01; the optional `model` column), budgets (inference_cost and gpu_cost,
with max_cost_per_request_usd on some scopes). No billing table.

Logging rules (what a row means):
- cost_usd = ((input - cached) * input price + cached * cached price + output *
  output price) / 1e6, prices valid at ts (cached price NULL: the input price).
- rate_limited rows carry 0 tokens and cost 0; error and timeout rows consumed the
  prompt and part of the output, so they cost money.
- A failed attempt is retried (attempt 2, 3, 4) with a new request_id, the same
  prompt_hash, user and feature, a few seconds later.

Stories planted:
1. Price cut: openai gpt-4o from $2.50/$1.25/$10.00 (input/cached/output per 1M)
   to $2.00/$1.00/$8.00 on 2026-07-01.
2. Rate-limit storm: anthropic rate-limits contract-review on 2026-07-14 from
   13:00 to 18:00 UTC; most calls are retried up to four times.
3. Prompt growth: from 2026-07-06 drafting-assistant adds the firm's style guide
   to every prompt (input tokens ~1.8x, mostly uncached).
4. Idle GPUs: the Llama nodes sit mostly idle at night and on weekends; the spare
   node l4-spare-01 (no deployment) joins on 2026-07-01 at ~1% utilization.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

AS_OF = dt.date(2026, 7, 22)
FIRST_DAY = dt.date(2026, 6, 1)
SEED = 20260722

DAYS = [FIRST_DAY + dt.timedelta(days=i) for i in range((AS_OF - FIRST_DAY).days)]

PRICE_CUT = dt.datetime(2026, 7, 1)
STORM_DAY = dt.date(2026, 7, 14)
STORM_HOURS = range(13, 18)
PROMPT_GROWTH_DAY = dt.date(2026, 7, 6)
SPARE_NODE_DAY = dt.date(2026, 7, 1)
PRICES_SINCE = dt.datetime(2026, 1, 1)

SELF_HOSTED = "llama-3.1-8b-instruct"

# (provider, model) -> input, cached input (None: same as input), output USD per 1M, tier, batch discount %
PRICES = {
    ("openai", "gpt-4o"): (2.50, 1.25, 10.00, "large", 50.0),
    ("openai", "gpt-4o-mini"): (0.15, 0.075, 0.60, "small", 50.0),
    ("openai", "text-embedding-3-small"): (0.02, None, 0.0, "small", 50.0),
    ("anthropic", "claude-sonnet-4"): (3.00, 0.30, 15.00, "large", 50.0),
    ("anthropic", "claude-3-5-haiku"): (0.80, 0.08, 4.00, "small", 50.0),
    ("mistral", "mistral-small"): (0.20, None, 0.60, "small", None),
    ("self-hosted", SELF_HOSTED): (0.10, None, 0.20, "small", None),
}
GPT4O_AFTER_CUT = (2.00, 1.00, 8.00)

# feature -> team, operation, weekday volume (prod), weekend factor, models (provider, model, share),
# mean input tokens, cached share of input, mean output tokens, users, environments
FEATURES: dict[str, dict] = {
    "contract-review": dict(
        team="legal-ai",
        op="chat",
        base=30,
        weekend=0.15,
        models=[("anthropic", "claude-sonnet-4", 0.75), ("anthropic", "claude-3-5-haiku", 0.25)],
        inp=18000,
        cache=0.55,
        out=900,
        users=("lawyer", 120),
        envs=(("prod", 0.85), ("staging", 0.10), ("dev", 0.05)),
        repeat=0.03,
    ),
    "drafting-assistant": dict(
        team="drafting",
        op="chat",
        base=26,
        weekend=0.2,
        models=[("openai", "gpt-4o", 0.6), ("openai", "gpt-4o-mini", 0.4)],
        inp=6000,
        cache=0.3,
        out=1200,
        users=("lawyer", 120),
        envs=(("prod", 0.88), ("staging", 0.07), ("dev", 0.05)),
        repeat=0.02,
    ),
    "support-bot": dict(
        team="support",
        op="chat",
        base=55,
        weekend=0.45,
        models=[("openai", "gpt-4o-mini", 0.7), ("mistral", "mistral-small", 0.3)],
        inp=2500,
        cache=0.45,
        out=300,
        users=("customer", 900),
        envs=(("prod", 0.92), ("staging", 0.08)),
        repeat=0.5,
    ),
    "clause-search": dict(
        team="legal-ai",
        op="embeddings",
        base=40,
        weekend=0.15,
        models=[("openai", "text-embedding-3-small", 1.0)],
        inp=60,
        cache=0.0,
        out=0,
        users=("lawyer", 120),
        envs=(("prod", 0.9), ("staging", 0.1)),
        repeat=0.5,
    ),
    "doc-summarize": dict(
        team="platform-ml",
        op="text_completion",
        base=70,
        weekend=0.25,
        models=[("self-hosted", SELF_HOSTED, 1.0)],
        inp=40000,
        cache=0.0,
        out=700,
        users=("lawyer", 120),
        envs=(("prod", 0.9), ("staging", 0.1)),
        repeat=0.02,
    ),
    "nightly-digest": dict(
        team="platform-ml",
        op="text_completion",
        base=22,
        weekend=1.0,
        models=[("openai", "gpt-4o", 1.0)],
        inp=8000,
        cache=0.1,
        out=1500,
        users=("service", 1),
        envs=(("prod", 1.0),),
        repeat=0.0,
    ),
}

# model -> base latency ms, ms per output token, ms per 1k input tokens
LATENCY = {
    "gpt-4o": (450.0, 9.0, 12.0),
    "gpt-4o-mini": (300.0, 5.0, 6.0),
    "text-embedding-3-small": (40.0, 0.0, 50.0),
    "claude-sonnet-4": (800.0, 12.0, 14.0),
    "claude-3-5-haiku": (350.0, 6.0, 7.0),
    "mistral-small": (280.0, 5.0, 6.0),
    SELF_HOSTED: (120.0, 14.0, 9.0),
}

# Relative traffic by UTC hour on a workday (US and EU law firms).
HOUR_WEIGHTS = np.array([1, 1, 1, 1, 1, 2, 4, 7, 10, 12, 12, 11, 11, 13, 15, 15, 14, 12, 9, 6, 4, 3, 2, 1], dtype=float)
HOUR_WEIGHTS /= HOUR_WEIGHTS.sum()


def price_at(provider: str, model: str, ts: dt.datetime) -> tuple[float, float, float]:
    """Input, cached input and output USD per 1M tokens valid at `ts`."""
    inp, cached, out, _, _ = PRICES[(provider, model)]
    if model == "gpt-4o" and ts >= PRICE_CUT:
        inp, cached, out = GPT4O_AFTER_CUT
    return inp, (inp if cached is None else cached), out


def _hash(*parts: object) -> str:
    return hashlib.sha1("|".join(map(str, parts)).encode()).hexdigest()[:16]


def _llm_requests(rng: np.random.Generator) -> dict[str, list]:
    names = (
        "request_id ts provider model operation feature team user_id environment input_tokens "
        "cached_input_tokens output_tokens latency_ms status attempt prompt_hash cost_usd"
    ).split()
    cols: dict[str, list] = {k: [] for k in names}
    pools = {
        "lawyer": [f"atty-{i:03d}" for i in range(1, 121)],
        "customer": [f"cust-{i:04d}" for i in range(1, 901)],
        "service": ["svc-digest"],
    }
    counter = 0
    for day in DAYS:
        weekend = day.weekday() >= 5
        day_start = dt.datetime.combine(day, dt.time())
        for feature, f in FEATURES.items():
            for env, env_share in f["envs"]:
                mean = f["base"] * env_share * (f["weekend"] if weekend else 1.0)
                n = int(rng.poisson(mean))
                if n == 0:
                    continue
                if feature == "nightly-digest":
                    seconds = rng.integers(3600, 4 * 3600, size=n)
                else:
                    seconds = rng.choice(24, size=n, p=HOUR_WEIGHTS) * 3600 + rng.integers(0, 3600, size=n)
                shares = np.array([m[2] for m in f["models"]])
                model_idx = rng.choice(len(f["models"]), size=n, p=shares / shares.sum())
                pool_name, pool_size = f["users"]
                pool = pools[pool_name]
                weights = 1.0 / np.arange(1, pool_size + 1) ** 0.7
                users = rng.choice(pool_size, size=n, p=weights / weights.sum())
                inp_mean = f["inp"] * (0.6 if env != "prod" else 1.0)
                if feature == "drafting-assistant" and day >= PROMPT_GROWTH_DAY:
                    inp_mean *= 1.8
                inp = np.maximum(8, rng.lognormal(np.log(inp_mean), 0.5, size=n)).astype(np.int64)
                out = (
                    np.maximum(1, rng.lognormal(np.log(max(f["out"], 1)), 0.45, size=n)).astype(np.int64) if f["out"] else np.zeros(n, dtype=np.int64)
                )
                cache_noise = rng.uniform(0.6, 1.2, size=n)
                repeat_draw = rng.random(size=n)
                faq = rng.zipf(1.6, size=n) % 15
                status_draw = rng.random(size=(n, 4))
                retry_draw = rng.random(size=(n, 4))
                backoff = rng.integers(2, 15, size=(n, 4))
                lat_noise = rng.lognormal(0.0, 0.3, size=n)
                for i in range(n):
                    provider, model, _ = f["models"][model_idx[i]]
                    counter += 1
                    ts = day_start + dt.timedelta(seconds=int(seconds[i]), milliseconds=int(counter % 1000))
                    if repeat_draw[i] < f["repeat"]:
                        prompt = _hash(feature, "faq", int(faq[i]))
                        tokens_in = int(max(8, f["inp"] * (0.5 + (int(faq[i]) % 7) / 7)))
                    else:
                        prompt = _hash(feature, day, env, counter)
                        tokens_in = int(inp[i])
                    cache_frac = 0.0 if provider in ("self-hosted", "mistral") or f["op"] == "embeddings" else f["cache"]
                    if feature == "drafting-assistant" and day >= PROMPT_GROWTH_DAY:
                        cache_frac /= 1.8  # the cached system prompt stayed the same size
                    cached_full = int(tokens_in * min(0.95, cache_frac * cache_noise[i]))
                    attempt = 1
                    storm = provider == "anthropic" and feature == "contract-review" and day == STORM_DAY
                    while True:
                        in_storm = storm and ts.hour in STORM_HOURS
                        if in_storm:
                            p_rate, p_err, p_timeout = 0.45, 0.03, 0.12
                        elif provider == "self-hosted":
                            p_rate, p_err, p_timeout = 0.0, 0.006, 0.004
                        else:
                            p_rate, p_err, p_timeout = 0.012, 0.006, 0.006 if f["out"] else 0.0
                        draw = status_draw[i, attempt - 1]
                        if draw < p_rate:
                            status = "rate_limited"
                        elif draw < p_rate + p_err:
                            status = "error"
                        elif draw < p_rate + p_err + p_timeout:
                            status = "timeout"
                        else:
                            status = "ok"
                        base_ms, per_out, per_kin = LATENCY[model]
                        if status == "rate_limited":
                            t_in, t_cached, t_out, lat = 0, 0, 0, 90.0 * lat_noise[i]
                        elif status == "error":
                            t_in, t_cached, t_out = tokens_in, cached_full, int(out[i] * 0.1)
                            lat = (base_ms + per_kin * tokens_in / 1000) * lat_noise[i]
                        elif status == "timeout":
                            t_in, t_cached, t_out, lat = tokens_in, cached_full, int(out[i] * 0.5), 60000.0
                        else:
                            t_in, t_cached, t_out = tokens_in, cached_full, int(out[i])
                            lat = min(59000.0, (base_ms + per_out * t_out + per_kin * tokens_in / 1000) * lat_noise[i])
                        in_p, cached_p, out_p = price_at(provider, model, ts)
                        cost = ((t_in - t_cached) * in_p + t_cached * cached_p + t_out * out_p) / 1e6
                        cols["request_id"].append(f"req-{_hash('r', counter, attempt)}")
                        cols["ts"].append(ts)
                        cols["provider"].append(provider)
                        cols["model"].append(model)
                        cols["operation"].append(f["op"])
                        cols["feature"].append(feature)
                        cols["team"].append(f["team"])
                        cols["user_id"].append(pool[int(users[i])])
                        cols["environment"].append(env)
                        cols["input_tokens"].append(t_in)
                        cols["cached_input_tokens"].append(t_cached)
                        cols["output_tokens"].append(t_out)
                        cols["latency_ms"].append(round(float(lat), 1))
                        cols["status"].append(status)
                        cols["attempt"].append(attempt)
                        cols["prompt_hash"].append(prompt)
                        cols["cost_usd"].append(round(cost, 9))
                        if status == "ok" or attempt >= 4 or retry_draw[i, attempt - 1] > 0.92:
                            break
                        ts = ts + dt.timedelta(seconds=int(backoff[i, attempt - 1] * 2 ** (attempt - 1)))
                        attempt += 1
    return cols


# node -> (gpu_type, gpu_count, $/hour, deployment, model, team, from day)
NODES = {
    "l4-llama-01": ("L4", 1, 0.85, "llama8b-prod", SELF_HOSTED, "platform-ml", FIRST_DAY),
    "l4-llama-02": ("L4", 1, 0.85, "llama8b-prod", SELF_HOSTED, "platform-ml", FIRST_DAY),
    "l4-llama-stg": ("L4", 1, 0.85, "llama8b-staging", SELF_HOSTED, "platform-ml", FIRST_DAY),
    "l4-spare-01": ("L4", 1, 0.85, None, None, "platform-ml", SPARE_NODE_DAY),
}


def _gpu_usage(rng: np.random.Generator, llm: dict[str, list]) -> dict[str, list]:
    load: dict[tuple[dt.datetime, str], int] = {}
    for ts, model, env, tin, tout in zip(llm["ts"], llm["model"], llm["environment"], llm["input_tokens"], llm["output_tokens"]):
        if model == SELF_HOSTED:
            key = (ts.replace(minute=0, second=0, microsecond=0), env)
            load[key] = load.get(key, 0) + tin + tout
    peak = max(v for (_, env), v in load.items() if env == "prod")
    names = "hour cluster node_id gpu_type gpu_count deployment team cost_usd gpu_util_pct gpu_mem_util_pct model".split()
    cols: dict[str, list] = {k: [] for k in names}
    for day in DAYS:
        for h in range(24):
            hour = dt.datetime.combine(day, dt.time(h))
            for node, (gpu_type, count, rate, deployment, model, team, since) in NODES.items():
                noise = float(rng.normal(0, 2))
                if day < since:
                    continue
                if deployment is None:
                    util, mem = max(0.0, 1.0 + noise * 0.2), max(0.0, 2.0 + noise * 0.3)
                elif deployment == "llama8b-prod":
                    util = 4 + 80 * load.get((hour, "prod"), 0) / 2 / (peak / 2) + noise
                    mem = 82 + noise
                else:
                    util = 3 + 40 * min(1.0, load.get((hour, "staging"), 0) / (peak / 4)) + noise
                    mem = 70 + noise
                cols["hour"].append(hour)
                cols["cluster"].append("gke-inference")
                cols["node_id"].append(node)
                cols["gpu_type"].append(gpu_type)
                cols["gpu_count"].append(count)
                cols["deployment"].append(deployment)
                cols["team"].append(team)
                cols["cost_usd"].append(rate)
                cols["gpu_util_pct"].append(round(min(100.0, max(0.0, util)), 2))
                cols["gpu_mem_util_pct"].append(round(min(100.0, max(0.0, mem)), 2))
                cols["model"].append(model)
    return cols


def _model_prices() -> dict[str, list]:
    rows = []
    for (provider, model), (inp, cached, out, tier, batch) in PRICES.items():
        if model == "gpt-4o":
            rows.append((provider, model, inp, cached, out, tier, batch, PRICES_SINCE, PRICE_CUT))
            rows.append((provider, model, *GPT4O_AFTER_CUT, tier, batch, PRICE_CUT, None))
        else:
            rows.append((provider, model, inp, cached, out, tier, batch, PRICES_SINCE, None))
    names = "provider model input_usd_per_mtok cached_input_usd_per_mtok output_usd_per_mtok tier batch_discount_pct valid_from valid_to".split()
    return {name: [row[i] for row in rows] for i, name in enumerate(names)}


# scope, scope_value, metric, monthly amount, max cost per request
BUDGETS = [
    ("total", None, "inference_cost", 80.0, None),
    ("team", "legal-ai", "inference_cost", 28.0, None),
    ("team", "drafting", "inference_cost", 12.0, 0.05),
    ("team", "support", "inference_cost", 1.0, None),
    ("feature", "contract-review", "inference_cost", 26.0, 0.06),
    ("feature", "support-bot", "inference_cost", 0.9, 0.001),
    ("model", "gpt-4o", "inference_cost", 35.0, 0.04),
    ("total", None, "gpu_cost", 2000.0, None),
]


def _budgets() -> dict[str, list]:
    names = "scope scope_value metric amount_usd max_cost_per_request_usd".split()
    cols = {name: [b[i] for b in BUDGETS] for i, name in enumerate(names)}
    cols["period"] = ["month"] * len(BUDGETS)
    return cols


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
            ("batch_discount_pct", pa.float64()),
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
}


def build() -> dict[str, pa.Table]:
    """Every table of the company as Arrow tables (deterministic)."""
    rng = np.random.default_rng(SEED)
    llm = _llm_requests(rng)
    return {
        "llm_requests": pa.table(llm, schema=SCHEMAS["llm_requests"]),
        "gpu_usage": pa.table(_gpu_usage(rng, llm), schema=SCHEMAS["gpu_usage"]),
        "model_prices": pa.table(_model_prices(), schema=SCHEMAS["model_prices"]),
        "budgets": pa.table(_budgets(), schema=SCHEMAS["budgets"]),
    }


def write_company(out_dir: Path) -> None:
    """Write one Parquet file per table under `out_dir/<table>/` for `finops ingest out_dir`."""
    out_dir = Path(out_dir)
    for name, table in build().items():
        path = out_dir / name / f"{name}.parquet"
        path.parent.mkdir(parents=True, exist_ok=True)
        pq.write_table(table, path, compression="zstd", write_statistics=True)


if __name__ == "__main__":  # pragma: no cover
    import sys

    write_company(Path(sys.argv[1] if len(sys.argv) > 1 else "blind_unit-data"))
