"""A hand-built warehouse for the unit-economics and what-if tests: every figure can be worked out on paper.

Window: last week as of 2026-11-10 (Monday 2026-11-02 to Sunday 2026-11-08). Prices per 1M tokens:

    openai/big      input 10, cached 5, output 30 (tier large)
    openai/mini     input 2, cached = input, output 4 until 2026-11-05; then input 1, cached 0.5, output 2
    anthropic/claude input 3, cached 0.3, cache-write 3.75, output 15, batch discount 50%
    self-hosted/llama-x all 0

Requests (cost as logged; req2 logged 20% under its list cost of 0.035):

    id  day       feature model  input cached write output status  hash  cost
    1   11-03 10h sum     big    1000  200    0     100    ok      -     0.012
    2   11-06 10h sum     big    2000  0      0     500    ok      -     0.028
    8   11-07 10h sum     big    100   0      0     0      error   -     0.001    (user u2)
    3   11-04 9:00 chat   claude 3000  0      0     50     ok      h1    0.00975
    4   11-04 9:01 chat   claude 3000  1000   0     50     ok      h1    0.00705
    5   11-04 12h chat    claude 3000  0      1000  50     ok      h1    0.0105
    6   11-05 9h  chat    claude 3000  0      0     50     ok      h1    0.00975
    7   11-03 8h  chat    llama-x 600000 0    0     400000 ok      -     0.0
    9   10-20     sum     big    1000  0      0     0      ok      -     0.01     (outside the window)

GPU hours in the window: deployment `llama-x-prod` (gpu_usage.model NULL: the name says llama-x) 10 hours at
$10 and 50% busy; deployment `serve-a` with gpu_usage.model = 'llama-x', 5 hours at $4 and 100% busy; and
deployment `other` (serves nothing we log) 3 hours at $7. Budgets: feature `sum` has a $0.02 per-request ceiling.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from pathlib import Path

from tests.conftest import make_settings
from tests.tiny_data import write_table
from warehouse.demo.schema import TABLES, arrow_schema
from warehouse.executor import Executor
from warehouse.ingest import ingest

AS_OF = date(2026, 11, 10)
OPEN = datetime(2026, 1, 1)
CUT = datetime(2026, 11, 5)


def price(provider, model, input_, cached, output, *, tier=None, write=None, batch=None, valid_from=OPEN, valid_to=None):
    return {"provider": provider, "model": model, "tier": tier, "input_usd_per_mtok": input_,
            "cached_input_usd_per_mtok": cached, "output_usd_per_mtok": output, "cache_write_usd_per_mtok": write,
            "batch_discount_pct": batch, "valid_from": valid_from, "valid_to": valid_to}


PRICES = [
    price("openai", "gpt-big", 10.0, 5.0, 30.0, tier="large"),
    price("openai", "gpt-mini", 2.0, None, 4.0, tier="small", valid_to=CUT),
    price("openai", "gpt-mini", 1.0, 0.5, 2.0, tier="small", valid_from=CUT),
    price("anthropic", "claude-x", 3.0, 0.3, 15.0, tier="medium", write=3.75, batch=50.0),
    price("self-hosted", "llama-x", 0.0, 0.0, 0.0, tier="medium"),
]


def request(n, ts, feature, provider, model, input_tokens, cached, write, output, cost, *, status="ok", user="u1",
            prompt_hash=None):
    return {"request_id": f"r{n}", "ts": ts, "provider": provider, "model": model, "operation": "chat",
            "feature": feature, "team": "apps", "user_id": user, "environment": "prod",
            "input_tokens": input_tokens, "cached_input_tokens": cached, "cache_write_input_tokens": write,
            "output_tokens": output, "latency_ms": 100.0, "status": status, "attempt": 1,
            "prompt_hash": prompt_hash or f"unique-{n}", "cost_usd": cost}


def at(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 11, day, hour, minute)


REQUESTS = [
    request(1, at(3, 10), "summarize", "openai", "gpt-big", 1000, 200, 0, 100, 0.012),
    request(2, at(6, 10), "summarize", "openai", "gpt-big", 2000, 0, 0, 500, 0.028),
    request(8, at(7, 10), "summarize", "openai", "gpt-big", 100, 0, 0, 0, 0.001, status="error", user="u2"),
    request(3, at(4, 9), "support-chat", "anthropic", "claude-x", 3000, 0, 0, 50, 0.00975, prompt_hash="h1"),
    request(4, at(4, 9, 1), "support-chat", "anthropic", "claude-x", 3000, 1000, 0, 50, 0.00705, prompt_hash="h1"),
    request(5, at(4, 12), "support-chat", "anthropic", "claude-x", 3000, 0, 1000, 50, 0.0105, prompt_hash="h1"),
    request(6, at(5, 9), "support-chat", "anthropic", "claude-x", 3000, 0, 0, 50, 0.00975, prompt_hash="h1"),
    request(7, at(3, 8), "support-chat", "self-hosted", "llama-x", 600_000, 0, 0, 400_000, 0.0),
    request(9, datetime(2026, 10, 20), "summarize", "openai", "gpt-big", 1000, 0, 0, 0, 0.01),
]


def gpu_rows() -> list[dict]:
    rows = []
    base = {"cluster": "c1", "gpu_type": "H100", "gpu_count": 8, "team": "platform", "gpu_mem_util_pct": 50.0}
    for hour in range(10):
        rows.append(base | {"hour": at(3, 0) + timedelta(hours=hour), "node_id": "n1", "deployment": "llama-x-prod",
                            "model": None, "cost_usd": 10.0, "gpu_util_pct": 50.0})
    for hour in range(5):
        rows.append(base | {"hour": at(4, 0) + timedelta(hours=hour), "node_id": "n2", "deployment": "serve-a",
                            "model": "llama-x", "cost_usd": 4.0, "gpu_util_pct": 100.0})
    for hour in range(3):
        rows.append(base | {"hour": at(4, 0) + timedelta(hours=hour), "node_id": "n3", "deployment": "other",
                            "model": None, "cost_usd": 7.0, "gpu_util_pct": 10.0})
    return rows


BUDGETS = [{"scope": "feature", "scope_value": "summarize", "metric": "inference_cost", "period": "month",
            "amount_usd": 100.0, "max_cost_per_request_usd": 0.02}]


def load_warehouse(root: Path) -> tuple[Executor, object]:
    """The warehouse above, ingested under `root`."""
    tables = {"model_prices": PRICES, "llm_requests": REQUESTS, "gpu_usage": gpu_rows(), "budgets": BUDGETS}
    for name, rows in tables.items():
        write_table(rows, root / "data" / name / f"{name}.parquet", arrow_schema(TABLES[name]))
    settings = make_settings(root / "home", query_timeout_s=20, max_rows=1000, memory_limit="1GB", threads=2)
    report = ingest([root / "data"], settings)
    assert not report.refused, report.refused
    return Executor(settings), settings
