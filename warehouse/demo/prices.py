"""The `model_prices` table and the price matrix valid on a given day.

One real price change happens inside the range: Anthropic cuts claude-haiku-4
(old row closed with `valid_to`, new row opened with `valid_from` the same
instant). Prices change at midnight UTC, so a day has one price per model.
"""

from __future__ import annotations

from datetime import date, datetime

import numpy as np
import pyarrow as pa

from warehouse.demo.catalog import MODELS, PRICE_BEFORE_CUT, PRICE_CUT_MODEL
from warehouse.demo.incidents import IncidentSchedule
from warehouse.demo.schema import TABLES, arrow_schema


def price_matrix(day: date, schedule: IncidentSchedule) -> np.ndarray:
    """Models x (input, cached input, output) USD per million tokens valid on `day`.

    A NULL cached price means "same as input", so the input price fills it here.
    """
    prices = np.empty((len(MODELS), 3), dtype=np.float64)
    for i, model in enumerate(MODELS):
        cached = model.input_usd_per_mtok if model.cached_input_usd_per_mtok is None else model.cached_input_usd_per_mtok
        prices[i] = (model.input_usd_per_mtok, cached, model.output_usd_per_mtok)
        if model.name == PRICE_CUT_MODEL and day < schedule.price_change:
            prices[i] = PRICE_BEFORE_CUT
    return prices


def prices_valid_from(schedule: IncidentSchedule) -> date:
    """When the catalog prices took effect: January 1st of the year before the range."""
    return date(schedule.start.year - 1, 1, 1)


def model_prices_table(schedule: IncidentSchedule) -> pa.Table:
    """Every model's price rows, with the in-range price cut as a closed and an open row."""
    since = datetime.combine(prices_valid_from(schedule), datetime.min.time())
    cut = datetime.combine(schedule.price_change, datetime.min.time())
    rows = []
    for model in MODELS:
        row = {
            "provider": model.provider,
            "model": model.name,
            "input_usd_per_mtok": model.input_usd_per_mtok,
            "output_usd_per_mtok": model.output_usd_per_mtok,
            "valid_from": since,
            "cached_input_usd_per_mtok": model.cached_input_usd_per_mtok,
            "tier": model.tier,
            "valid_to": None,
        }
        if model.name == PRICE_CUT_MODEL:
            old_input, old_cached, old_output = PRICE_BEFORE_CUT
            rows.append(row | {"input_usd_per_mtok": old_input, "cached_input_usd_per_mtok": old_cached,
                               "output_usd_per_mtok": old_output, "valid_to": cut})
            row = row | {"valid_from": cut}
        rows.append(row)
    return pa.Table.from_pylist(rows, schema=arrow_schema(TABLES["model_prices"]))
