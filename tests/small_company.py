"""Pico Legal: a small company (under $2k of LLM spend a month) with one small-dollar incident.

Ten weeks of `llm_requests`, Monday 2026-08-03 through Sunday 2026-10-11 (the
default as_of is 2026-10-12). Four features, each on its own model and team,
with weekday/weekend traffic, Poisson request counts and log-normal prompt
sizes, all drawn from one seeded generator (the same rows on every run):

- contract-review (legal, claude-opus-4): about 500 requests a weekday whose
  prompts (~3,000 input tokens) grow 2.4x from Monday GROWTH_DAY and stay there:
  about +$32 a weekday (+$13 a weekend day), never $50 a day, while the company
  spends ~$50 a weekday.
- intake-chat (ops, claude-sonnet-4), clause-search (legal,
  text-embedding-3-small) and email-summary (ops, gpt-4.1): steady.

Costs are tokens times the list prices in PRICES (dollars per 1M tokens), so a
test can compute what the incident added without the code under test.
`budgets` caps each team's monthly inference cost: legal's cap is above its
September spend and below what the growth makes it spend in October (projected
to breach); ops is over its cap every month (September closed over budget).
contract-review's cost per request ceiling ($0.10) sits between before (~$0.07)
and after (~$0.14) the growth.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

START = date(2026, 8, 3)  # a Monday
DAYS = 70
GROWTH_DAY = date(2026, 9, 28)  # a Monday: contract-review's prompts grow 2.4x from here on
GROWTH = 2.4
AS_OF = START + timedelta(days=DAYS)
# feature -> (team, provider, model, weekday requests, input tokens, output tokens)
FEATURES = {
    "contract-review": ("legal", "anthropic", "claude-opus-4", 500, 3000, 300),
    "intake-chat": ("ops", "anthropic", "claude-sonnet-4", 600, 4000, 500),
    "clause-search": ("legal", "openai", "text-embedding-3-small", 300, 600, 0),
    "email-summary": ("ops", "openai", "gpt-4.1", 400, 3000, 300),
}
PRICES = {  # dollars per 1M input tokens, per 1M output tokens
    "claude-opus-4": (15.0, 75.0), "claude-sonnet-4": (3.0, 15.0), "text-embedding-3-small": (0.02, 0.0),
    "gpt-4.1": (2.0, 8.0),
}
BUDGETS = {"legal": 1200.0, "ops": 300.0}  # monthly inference_cost per team
CEILINGS = {"contract-review": 0.10}  # max_cost_per_request_usd per feature


def requests_table(seed: int = 11) -> pa.Table:
    """Every request, as the llm_requests contract has it."""
    rng = np.random.default_rng(seed)
    columns: dict[str, list] = {name: [] for name in (
        "request_id", "ts", "provider", "model", "operation", "feature", "team", "user_id", "environment",
        "input_tokens", "cached_input_tokens", "output_tokens", "latency_ms", "status", "attempt", "prompt_hash",
        "cost_usd")}
    for d in range(DAYS):
        day = START + timedelta(days=d)
        for feature, (team, provider, model, weekday, tokens_in, tokens_out) in FEATURES.items():
            n = int(rng.poisson(weekday * (0.4 if day.weekday() >= 5 else 1.0)))
            grown = GROWTH if feature == "contract-review" and day >= GROWTH_DAY else 1.0
            inputs = np.maximum(1, rng.lognormal(np.log(tokens_in * grown), 0.3, n)).astype(int)
            outputs = np.maximum(0, rng.lognormal(np.log(max(tokens_out, 1)), 0.3, n)).astype(int) if tokens_out else \
                np.zeros(n, dtype=int)
            price_in, price_out = PRICES[model]
            seconds = np.sort(rng.integers(0, 86_400, n))
            errors = rng.random(n) < 0.01
            columns["request_id"] += [f"{feature}-{d}-{i}" for i in range(n)]
            columns["ts"] += [datetime(day.year, day.month, day.day) + timedelta(seconds=int(s)) for s in seconds]
            for name, value in (("provider", provider), ("model", model), ("feature", feature), ("team", team),
                                ("environment", "prod")):
                columns[name] += [value] * n
            columns["operation"] += ["embedding" if tokens_out == 0 else "chat"] * n
            columns["user_id"] += [f"u{k}" for k in rng.integers(0, 40, n)]
            columns["input_tokens"] += inputs.tolist()
            columns["cached_input_tokens"] += [0] * n
            columns["output_tokens"] += outputs.tolist()
            columns["latency_ms"] += rng.uniform(200, 2000, n).round(1).tolist()
            columns["status"] += ["error" if e else "ok" for e in errors]
            columns["attempt"] += [1] * n
            columns["prompt_hash"] += [f"h{feature}{d}{i}" for i in range(n)]
            columns["cost_usd"] += ((inputs * price_in + outputs * price_out) / 1e6).tolist()
    return pa.table(columns)


def budget_table() -> pa.Table:
    rows = [{"scope": "team", "scope_value": team, "metric": "inference_cost", "period": "month", "amount_usd": amount,
             "max_cost_per_request_usd": None} for team, amount in BUDGETS.items()]
    rows += [{"scope": "feature", "scope_value": feature, "metric": "inference_cost", "period": "month",
              "amount_usd": 10_000.0, "max_cost_per_request_usd": ceiling} for feature, ceiling in CEILINGS.items()]
    return pa.Table.from_pylist(rows)


def write_small_company(root: Path, seed: int = 11) -> Path:
    """The company's Parquet files under `root` (returned), ready for `ingest`."""
    (root / "llm_requests").mkdir(parents=True, exist_ok=True)
    (root / "budgets").mkdir(parents=True, exist_ok=True)
    pq.write_table(requests_table(seed), root / "llm_requests" / "llm_requests.parquet")
    pq.write_table(budget_table(), root / "budgets" / "budgets.parquet")
    return root
