"""Pricing `llm_requests` rows that arrive without `cost_usd`.

The price is the `model_prices` row of the same provider and model valid at the
request time (an ASOF join on `valid_from`, then `valid_to` checked); cached
input tokens are charged at the cached price, or the input price when none.

    cost = ((input - cached) * input_price + cached * cached_price + output * output_price) / 1e6
"""

from __future__ import annotations

import sqlglot

_PRICED = """
SELECT r.* REPLACE (
    coalesce(
        r.cost_usd,
        CASE WHEN p.valid_to IS NULL OR r.ts < p.valid_to THEN
            ((r.input_tokens - coalesce(r.cached_input_tokens, 0)) * p.input_usd_per_mtok
             + coalesce(r.cached_input_tokens, 0) * coalesce(p.cached_input_usd_per_mtok, p.input_usd_per_mtok)
             + r.output_tokens * p.output_usd_per_mtok) / 1e6
        END
    ) AS cost_usd
)
FROM requests AS r
ASOF LEFT JOIN model_prices AS p
  ON lower(r.provider) = lower(p.provider) AND lower(r.model) = lower(p.model) AND r.ts >= p.valid_from
"""


def priced_query(requests: sqlglot.exp.Select) -> sqlglot.exp.Select:
    """`requests` with NULL costs filled from `model_prices` (rows with no valid price stay NULL)."""
    query = sqlglot.parse_one(_PRICED, read="duckdb")
    return query.with_("requests", as_=requests)
