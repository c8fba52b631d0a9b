"""The providers' own reports in the demo: one `vendor_usage` cost row per day and API model.

What OpenAI's and Anthropic's cost reports would bill for the demo's requests: the
day's cost of each model (NULL-cost rows included, at their price) and its request
count, without a token split (the demo's cubes keep input + output together).
"""

from __future__ import annotations

import hashlib
from datetime import date, datetime, timedelta

import numpy as np
import pyarrow as pa

from warehouse.demo.catalog import MODELS
from warehouse.demo.schema import TABLES, arrow_schema

SCHEMA = arrow_schema(TABLES["vendor_usage"])
_BILLED = ("openai", "anthropic")


def vendor_usage_day(day: date, cost: np.ndarray, requests: np.ndarray) -> pa.Table:
    """Rows of one day from the feature x model x environment cost and request cubes."""
    start = datetime.combine(day, datetime.min.time())
    end = start + timedelta(days=1)
    by_model_cost, by_model_requests = cost.sum(axis=(0, 2)), requests.sum(axis=(0, 2))
    rows = []
    for index, model in enumerate(MODELS):
        if model.provider not in _BILLED or by_model_requests[index] == 0:
            continue
        line_item = f"{model.name} tokens"
        key = hashlib.sha256(f"demo|{start.isoformat()}|{model.provider}|{line_item}".encode()).hexdigest()[:32]
        rows.append({
            "period_start": start, "period_end": end, "provider": model.provider, "source": "demo", "row_key": key,
            "model": model.name, "project": "default", "line_item": line_item,
            "requests": int(by_model_requests[index]), "cost_usd": round(float(by_model_cost[index]), 6),
        })
    return pa.Table.from_pylist(rows, schema=SCHEMA)
