"""Vectorised generation of `llm_requests` rows, one chunk of one day at a time.

A chunk draws user actions (feature, model, environment, user, prompt, time),
expands agent actions into their turns (each turn's context holds the earlier
turns' outputs and tool results), expands failed calls into retry chains
(attempt 2..4), prices every row with the day's prices and returns an Arrow
table sorted by `ts` plus the aggregates the billing lines, budgets and
incident estimates need. About 0.5% of rows log a NULL `cost_usd` (the importer
prices them); the aggregates include their price.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime

import numpy as np
import pyarrow as pa

from warehouse.demo.catalog import (
    ENVIRONMENTS,
    FEATURE_INDEX,
    FEATURES,
    MODELS,
    PROMPT_GROWTH_FEATURE,
    RETRY_STORM_FEATURE,
    STATUSES,
    USER_COUNT,
)
from warehouse.demo.hashing import combine, hex_strings, mix64, unit_floats
from warehouse.demo.schema import TABLES, arrow_schema
from warehouse.demo.traffic import HOUR_CDF, HOUR_KNOTS, MAX_TURNS, TURN_LAMBDA, DayPlan, retry_multiplier

CHUNK_ROWS = 400_000
NULL_COST_SHARE = 0.005
SCHEMA = arrow_schema(TABLES["llm_requests"])
# Chunks carry low-cardinality strings dictionary-encoded, which Parquet stores
# as plain strings: written without the Arrow schema, they read back as SCHEMA.
DICTIONARY_COLUMNS = ("provider", "model", "operation", "feature", "team", "user_id", "environment", "status")
WRITE_SCHEMA = pa.schema([
    pa.field(field.name, pa.dictionary(pa.int32(), pa.string())) if field.name in DICTIONARY_COLUMNS else field
    for field in SCHEMA
])

_F, _M, _E = len(FEATURES), len(MODELS), len(ENVIRONMENTS)
_ENV_CUM = np.cumsum([f.env_shares for f in FEATURES], axis=1)[:, :2]
_IN_SIGMA = np.array([f.input_sigma for f in FEATURES])
_IN_MU = np.log([f.input_mean for f in FEATURES]) - _IN_SIGMA**2 / 2
_OUT_SIGMA = np.array([f.output_sigma for f in FEATURES])
_OUT_MU = np.log([max(f.output_mean, 1.0) for f in FEATURES]) - _OUT_SIGMA**2 / 2
_HAS_OUTPUT = np.array([f.output_mean > 0 for f in FEATURES])
_CACHED = np.array([f.cached_share for f in FEATURES])
_REPEAT = np.array([f.repeat_rate for f in FEATURES])
_HAS_TOOLS = np.array([f.tool_tokens_mean > 0 for f in FEATURES])
_TOOL_SIGMA = np.array([f.tool_tokens_sigma for f in FEATURES])
_TOOL_MU = np.log([max(f.tool_tokens_mean, 1.0) for f in FEATURES]) - _TOOL_SIGMA**2 / 2
_CONTEXT_CACHE = np.array([f.context_cache_rate for f in FEATURES])
# A tool call (file read, SQL query, linter) runs for ~1.5 s, sometimes much longer.
TOOL_MS_SIGMA = 0.9
TOOL_MS_MU = math.log(1500.0) - TOOL_MS_SIGMA**2 / 2
DAY_US = 86_400 * 1_000_000
# Popular prompts per feature and day, as a share of that day's repeat draws.
POOL_FRACTION = 0.2
_FIRST_TOKEN_MS = np.array([m.first_token_ms for m in MODELS])
_MS_PER_TOKEN = np.array([m.ms_per_output_token for m in MODELS])
_PREFILL_MS = np.where([m.operation == "embeddings" for m in MODELS], 0.05, 0.02)
# User activity is heavy-tailed: user k is active in proportion to (k + 10) ** -0.9.
_USER_LOW, _USER_HIGH = 10.0**0.1, (USER_COUNT + 10.0) ** 0.1

_PROVIDERS = pa.array([m.provider for m in MODELS])
_MODEL_NAMES = pa.array([m.name for m in MODELS])
_OPERATIONS = pa.array([m.operation for m in MODELS])
_FEATURE_NAMES = pa.array([f.name for f in FEATURES])
_TEAMS = pa.array([f.team for f in FEATURES])
_ENV_NAMES = pa.array(list(ENVIRONMENTS))
_STATUS_NAMES = pa.array(list(STATUSES))
_GROWTH = FEATURE_INDEX[PROMPT_GROWTH_FEATURE]
_STORM = FEATURE_INDEX[RETRY_STORM_FEATURE]
_EPOCH = datetime(1970, 1, 1)


@dataclass(frozen=True)
class ChunkStats:
    """Aggregates of one chunk; costs include the price of NULL-cost rows."""

    cost: np.ndarray  # feature x model x environment
    requests: np.ndarray  # feature x model x environment
    tokens: np.ndarray  # feature x model x environment, input + output
    retry_cost: np.ndarray  # feature, cost of attempts > 1
    null_cost_rows: int
    prompt_growth_usd: float
    model_switch_usd: float
    retry_storm_usd: float


def chunk_count(plan: DayPlan) -> int:
    """How many chunks the day is generated in, each at most ~CHUNK_ROWS rows (0 for a quiet day)."""
    return math.ceil(plan.actions * plan.rows_per_action / CHUNK_ROWS)


def user_ids(seed: int) -> pa.StringArray:
    """The ~2000 hashed end-user ids of a data set."""
    return hex_strings(combine(seed, 13, np.arange(USER_COUNT)), prefix=b"u_", width=12)


def _draw_users(rng: np.random.Generator, n: int) -> np.ndarray:
    """User indices by inverting the activity CDF, (x + 10) ** 0.1 linear in a uniform."""
    v = rng.random(n) * (_USER_HIGH - _USER_LOW) + _USER_LOW
    v2 = v * v
    v8 = (v2 * v2) ** 2
    return np.minimum(v8 * v2 - 10.0, USER_COUNT - 1).astype(np.int64)


def _normal_from(keys: np.ndarray, salt: int) -> np.ndarray:
    """A standard normal draw that is a pure function of each key (Box-Muller)."""
    u1 = unit_floats(combine(keys, salt))
    u2 = unit_floats(combine(keys, salt + 1))
    return np.sqrt(-2.0 * np.log(u1)) * np.cos(2.0 * np.pi * u2)


def _group_starts(sizes: np.ndarray) -> np.ndarray:
    """For groups of `sizes` consecutive items, the index of each item's group start."""
    return np.repeat(np.cumsum(sizes) - sizes, sizes)


def generate_chunk(plan: DayPlan, chunk: int, chunks: int, seed: int,
                   users: pa.StringArray) -> tuple[pa.Table, ChunkStats]:
    """Rows of chunk `chunk` (of `chunks`) of the plan's day, sorted by ts, in WRITE_SCHEMA."""
    rng = np.random.default_rng([seed, 2, plan.index, chunk])
    n = plan.actions // chunks + (chunk < plan.actions % chunks)

    # User actions: feature, start time, environment, model, user and first prompt.
    f = rng.choice(_F, size=n, p=plan.shares)
    # Sorted uniforms (normalised exponential spacings): attributes do not depend on the
    # start time, so rows come out nearly in time order and the final sort is cheap.
    spacing = np.cumsum(rng.standard_exponential(n + 1))
    quantile = (chunk + spacing[:-1] / spacing[-1]) / chunks
    start_us = (np.interp(quantile, HOUR_CDF, HOUR_KNOTS) * 1e6).astype(np.int64)
    draw = rng.random(n)
    env = (draw > _ENV_CUM[f, 0]).astype(np.int64) + (draw > _ENV_CUM[f, 1])
    model = np.where(rng.random(n) < plan.alt_share[f], plan.alt_model[f], plan.model[f])
    user = _draw_users(rng, n)

    factor = plan.input_factor[f]
    repeat = rng.random(n) < _REPEAT[f]
    pool = np.maximum(8.0, np.ceil(POOL_FRACTION * plan.actions * plan.shares * _REPEAT))
    pool_item = (pool[f] * rng.random(n) ** 3).astype(np.int64)
    prompt = np.where(
        repeat,
        combine(seed, 11, f, pool_item, (factor != 1.0).astype(np.int64)),
        combine(seed, 12, plan.index, chunk, np.arange(n)),
    )
    # The same prompt always has the same size.
    base_input = np.maximum(8.0, np.exp(_IN_MU[f] + _IN_SIGMA[f] * _normal_from(prompt, 1)))
    first_input = np.rint(base_input * factor).astype(np.int64)
    cached_ratio = np.clip(_CACHED[f] + 0.08 * rng.standard_normal(n), 0.0, 0.95) * (_CACHED[f] > 0)
    static_cached = np.floor(first_input * cached_ratio).astype(np.int64)

    # Calls: one per action, or an agent's turns. Each call's output and the result of the
    # tool it asked for join the context of the next call, which may read the earlier
    # context back from the prompt cache.
    turns = 1 + np.minimum(rng.poisson(TURN_LAMBDA[f]), MAX_TURNS - 1)
    action = np.repeat(np.arange(n), turns)
    calls = len(action)
    first_call = _group_starts(turns)
    turn = np.arange(calls) - first_call
    cf = f[action]
    output_tokens = np.where(
        _HAS_OUTPUT[cf], np.rint(np.exp(_OUT_MU[cf] + _OUT_SIGMA[cf] * rng.standard_normal(calls))), 0
    ).astype(np.int64)
    last_turn = turn == turns[action] - 1
    tool_tokens = np.where(
        last_turn | ~_HAS_TOOLS[cf], 0,
        np.rint(np.exp(_TOOL_MU[cf] + _TOOL_SIGMA[cf] * rng.standard_normal(calls))),
    ).astype(np.int64)
    added = output_tokens + tool_tokens
    grown = np.cumsum(added) - added
    grown -= grown[first_call]
    input_tokens = first_input[action] + grown
    previous_input = np.roll(input_tokens, 1)
    context_hit = (turn > 0) & (rng.random(calls) < _CONTEXT_CACHE[cf])
    cached_tokens = np.where(context_hit, previous_input, static_cached[action])
    call_prompt = np.where(turn == 0, prompt[action], combine(seed, 14, plan.index, chunk, np.arange(calls)))

    # Retry chains: every attempt fails with the feature's failure rate p, so the number
    # of failures K is geometric, P(K >= k) = p**k; a chain has min(K + 1, 4) attempts.
    failures = np.floor(np.log(rng.random(calls)) / np.log(plan.fail_rate[cf])).astype(np.int64)
    failures = np.minimum(failures, 4)
    length = np.minimum(failures + 1, 4)
    chain = np.repeat(np.arange(calls), length)
    total = len(chain)
    attempt = (np.arange(total) - _group_starts(length) + 1).astype(np.int32)
    rf = cf[chain]
    failed = np.flatnonzero(attempt <= failures[chain])
    draw = rng.random(len(failed))
    kind_cum = np.cumsum(plan.fail_kinds, axis=1)[rf[failed]]
    kind = 1 + (draw > kind_cum[:, 0]) + (draw > kind_cum[:, 1])
    status = np.zeros(total, dtype=np.int8)
    status[failed] = kind
    errored, timed_out, limited = (failed[kind == k] for k in (1, 2, 3))

    row_action = action[chain]
    rm = model[row_action]
    inp = input_tokens[chain]
    cached = cached_tokens[chain]
    out = output_tokens[chain]
    inp[limited] = 0
    cached[limited] = 0
    out[limited] = 0
    out[errored] = 0
    out[timed_out] = np.floor(out[timed_out] * rng.random(len(timed_out)))

    latency = (_FIRST_TOKEN_MS[rm] * np.exp(0.35 * rng.standard_normal(total))
               + out * _MS_PER_TOKEN[rm] * np.exp(0.1 * rng.standard_normal(total))
               + inp * _PREFILL_MS[rm])
    latency[limited] = 40 + 200 * rng.random(len(limited))
    latency[errored] = 200 + 3000 * rng.random(len(errored))
    latency[timed_out] = 60_000 + 500 * rng.random(len(timed_out))
    latency = np.round(latency, 1)

    # Within an action, a row starts when the previous one ended plus an exponential
    # backoff (before a retry) or the tool's run time (before the agent's next turn).
    retry_next = attempt < length[chain]
    wait_us = np.where(
        retry_next,
        (2.0 ** attempt) * 5e5 * (1 + rng.random(total)),
        np.exp(TOOL_MS_MU + TOOL_MS_SIGMA * rng.standard_normal(total)) * 1000,
    )
    gap = latency * 1000 + wait_us
    rows_per_action = np.bincount(row_action, minlength=n)
    action_start = _group_starts(rows_per_action)
    offset = np.cumsum(gap) - gap
    offset = (offset - offset[action_start]).astype(np.int64)
    # A long agent run that would spill past midnight starts earlier instead.
    last_row = np.cumsum(rows_per_action) - 1
    spill = np.maximum(start_us + offset[last_row] - (DAY_US - 1), 0)
    day_us = int((datetime.combine(plan.day, datetime.min.time()) - _EPOCH).total_seconds()) * 1_000_000
    ts = day_us + (start_us - spill)[row_action] + offset

    prices = plan.prices[rm]
    input_cost = ((inp - cached) * prices[:, 0] + cached * prices[:, 1]) / 1e6
    cost = input_cost + out * prices[:, 2] / 1e6
    null_cost = rng.random(total) < NULL_COST_SHARE

    stats = _chunk_stats(plan, rf, rm, env[row_action], attempt, inp, cached, out, cost, input_cost,
                         int(null_cost.sum()))

    order = np.argsort(ts, kind="stable")
    chain, rf, rm, row_action = chain[order], rf[order], rm[order], row_action[order]
    seed_key = int(mix64(np.uint64(seed % 2**64)))
    row_key = (np.uint64(plan.index) << np.uint64(36)) | (np.uint64(chunk) << np.uint64(28)) | np.arange(
        total, dtype=np.uint64)
    columns = {
        "request_id": hex_strings(mix64(row_key ^ np.uint64(seed_key)), prefix=b"req_"),
        "ts": pa.array(ts[order], type=pa.timestamp("us")),
        "provider": _labels(_PROVIDERS, rm),
        "model": _labels(_MODEL_NAMES, rm),
        "operation": _labels(_OPERATIONS, rm),
        "input_tokens": pa.array(inp[order], type=pa.int64()),
        "output_tokens": pa.array(out[order], type=pa.int64()),
        "feature": _labels(_FEATURE_NAMES, rf),
        "team": _labels(_TEAMS, rf),
        "user_id": _labels(users, user[row_action]),
        "environment": _labels(_ENV_NAMES, env[row_action]),
        "cached_input_tokens": pa.array(cached[order], type=pa.int64()),
        "latency_ms": pa.array(latency[order], type=pa.float64()),
        "status": _labels(_STATUS_NAMES, status[order]),
        "attempt": pa.array(attempt[order], type=pa.int32()),
        "prompt_hash": hex_strings(call_prompt[chain]),
        "cost_usd": pa.array(cost[order], type=pa.float64(), mask=null_cost[order]),
    }
    # Optional contract columns the demo does not model are written as nulls.
    arrays = [columns.get(name) or pa.nulls(total, WRITE_SCHEMA.field(name).type) for name in SCHEMA.names]
    return pa.Table.from_arrays(arrays, schema=WRITE_SCHEMA), stats


def _labels(dictionary: pa.StringArray, indices: np.ndarray) -> pa.DictionaryArray:
    return pa.DictionaryArray.from_arrays(pa.array(indices.astype(np.int32, copy=False)), dictionary)


def _chunk_stats(plan: DayPlan, rf: np.ndarray, rm: np.ndarray, env: np.ndarray, attempt: np.ndarray,
                 inp: np.ndarray, cached: np.ndarray, out: np.ndarray, cost: np.ndarray,
                 input_cost: np.ndarray, null_rows: int) -> ChunkStats:
    """Aggregate one chunk, with counterfactual costs of the incidents active that day."""
    key = (rf * _M + rm) * _E + env
    cost_cube = np.bincount(key, weights=cost, minlength=_F * _M * _E).reshape(_F, _M, _E)
    requests = np.bincount(key, minlength=_F * _M * _E).reshape(_F, _M, _E)
    retry = attempt > 1
    retry_cost = np.bincount(rf[retry], weights=cost[retry], minlength=_F)

    growth = plan.input_factor[_GROWTH]
    growth_rows = rf == _GROWTH
    prompt_growth = float(input_cost[growth_rows].sum() * (1 - 1 / growth)) if growth != 1.0 else 0.0

    switched = (plan.model[rf] != plan.baseline_model[rf]) & (rm == plan.model[rf])
    model_switch = 0.0
    if switched.any():
        old = plan.prices[plan.baseline_model[rf[switched]]]
        old_cost = ((inp[switched] - cached[switched]) * old[:, 0] + cached[switched] * old[:, 1]
                    + out[switched] * old[:, 2]) / 1e6
        model_switch = float(cost[switched].sum() - old_cost.sum())

    baseline_fail = FEATURES[_STORM].fail_rate
    storm_fail = plan.fail_rate[_STORM]
    retry_storm = 0.0
    if storm_fail != baseline_fail:
        excess = 1 - (retry_multiplier(baseline_fail) - 1) / (retry_multiplier(storm_fail) - 1)
        retry_storm = float(retry_cost[_STORM] * excess)

    return ChunkStats(
        cost=cost_cube, requests=requests, retry_cost=retry_cost,
        tokens=np.bincount(key, weights=inp + out, minlength=_F * _M * _E).reshape(_F, _M, _E),
        null_cost_rows=null_rows, prompt_growth_usd=prompt_growth,
        model_switch_usd=model_switch, retry_storm_usd=retry_storm,
    )
