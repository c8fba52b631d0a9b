"""Re-pricing: what a request costs at a `model_prices` row, the one place that formula lives.

The cost of a request at a price row is ingest's (warehouse/pricing.py), token by
token: uncached input at the input price, cached input at the cached price,
cache-write input at the cache-write price (each the input price when NULL),
output at the output price, per million tokens, less the batch discount when
the request is batched:

    cost = ((input - cached - cache_write) * input_price + cached * cached_price
            + cache_write * cache_write_price + output * output_price) / 1e6

A price row applies to a request when it was valid at the request's time
(`valid_from <= ts < valid_to`, `valid_to` NULL meaning still valid). Three
readers share this module, so a finding and the what-if that matches it give the
same figure: the priced metrics of the semantic model (`priced_requests`), the
what-if scenarios (`assistant/analysis/whatif.py`) and the savings finder's
routing and caching findings (`assistant/analysis/savings.py`).

>>> request_cost("r", "p").sql(dialect="duckdb")[:60]
'((r.input_tokens - COALESCE(r.cached_input_tokens, 0) - COAL'
"""

from __future__ import annotations

import sqlglot
from sqlglot import exp

# The price columns a priced request carries (cached and cache-write prices default to the input price,
# the batch discount to 0), and the two per-request figures the priced metrics of model.yaml read.
PRICE_COLUMNS = ("input_usd_per_mtok", "cached_input_usd_per_mtok", "cache_write_usd_per_mtok", "output_usd_per_mtok",
                 "batch_discount_pct")
PRICED_COLUMNS = (*PRICE_COLUMNS, "list_cost_usd", "cache_savings_usd")

_COST = """
((R.input_tokens - coalesce(R.cached_input_tokens, 0) - coalesce(R.cache_write_input_tokens, 0)) * P.input_usd_per_mtok
 + coalesce(R.cached_input_tokens, 0) * coalesce(P.cached_input_usd_per_mtok, P.input_usd_per_mtok)
 + coalesce(R.cache_write_input_tokens, 0) * coalesce(P.cache_write_usd_per_mtok, P.input_usd_per_mtok)
 + R.output_tokens * P.output_usd_per_mtok) / 1e6
"""
# What the prompt cache took off the bill: cached tokens at the input price less the cached price, net of the
# premium paid to write the cache (cache-write tokens at the cache-write price less the input price).
_CACHE_SAVED = """
(coalesce(R.cached_input_tokens, 0) * (P.input_usd_per_mtok - coalesce(P.cached_input_usd_per_mtok, P.input_usd_per_mtok))
 - coalesce(R.cache_write_input_tokens, 0) * (coalesce(P.cache_write_usd_per_mtok, P.input_usd_per_mtok) - P.input_usd_per_mtok)) / 1e6
"""
_VALID_AT = "P.valid_from <= R.ts AND (P.valid_to IS NULL OR R.ts < P.valid_to)"
# A repeat's saving when cached: its uncached input tokens at the input price less the cached price.
_REPEAT_SAVED = """
(R.input_tokens - coalesce(R.cached_input_tokens, 0) - coalesce(R.cache_write_input_tokens, 0))
 * (P.input_usd_per_mtok - coalesce(P.cached_input_usd_per_mtok, P.input_usd_per_mtok)) / 1e6
"""
# A repeat: the prompt_hash was already sent earlier the same UTC day (SEMANTICS.md, repeat_share) ...
_SAME_DAY_REPEAT = """
prompt_hash IS NOT NULL
AND row_number() OVER (PARTITION BY date_trunc('day', ts), prompt_hash ORDER BY ts, request_id) > 1
"""
# ... or, given a time-to-live, within that many seconds of the last time it was sent to the same model (a
# provider's prompt cache is kept per model).
_TTL_REPEAT = """
prompt_hash IS NOT NULL
AND epoch(ts) - epoch(lag(ts) OVER (PARTITION BY model, prompt_hash ORDER BY ts, request_id)) <= :seconds
"""
INPUT_COLUMNS = ("input_tokens", "cached_input_tokens", "cache_write_input_tokens")


def _fragment(text: str, request: str, price: str, input_share: float = 1.0) -> exp.Expr:
    tree = sqlglot.parse_one(text, read="duckdb")

    def qualify(node: exp.Expr) -> exp.Expr:
        if isinstance(node, exp.Column) and node.table in ("R", "P"):
            column = exp.column(node.name, table=request if node.table == "R" else price)
            if node.table == "R" and node.name in INPUT_COLUMNS and input_share != 1.0:
                return exp.paren(exp.Mul(this=column, expression=exp.Literal.number(input_share)))
            return column
        return node

    return tree.transform(qualify)


def request_cost(request: str, price: str, input_share: float = 1.0) -> exp.Expr:
    """The cost in USD of the request aliased `request` at the price row aliased `price`.

    `input_share` scales its input tokens (uncached, cached and cache-write alike): 0.7 is a prompt 30% shorter.
    """
    return _fragment(_COST, request, price, input_share)


def repeat_saved(request: str, price: str) -> exp.Expr:
    """What caching a repeated request would save: its uncached input at the input less the cached price."""
    return _fragment(_REPEAT_SAVED, request, price)


def cache_repeat(ttl_minutes: float | None = None) -> exp.Expr:
    """Whether a request (columns unqualified) repeats a prompt: same UTC day, or within `ttl_minutes`.

    A window expression: evaluate it over all the window's requests before any filter, so a prompt first
    sent by one feature is a repeat for the next.
    """
    if ttl_minutes is None:
        return sqlglot.parse_one(_SAME_DAY_REPEAT, read="duckdb")
    tree = sqlglot.parse_one(_TTL_REPEAT, read="duckdb")
    seconds = exp.Literal.number(ttl_minutes * 60)
    return tree.transform(lambda n: seconds.copy() if isinstance(n, exp.Placeholder) else n)


def cache_saved(request: str, price: str) -> exp.Expr:
    """What the request's cached (and cache-written) tokens saved against paying the input price for them."""
    return _fragment(_CACHE_SAVED, request, price)


def valid_at(price: str, request: str) -> exp.Expr:
    """The price row applies at the request's time."""
    return _fragment(_VALID_AT, request, price)


def same_model(price: str, request: str) -> exp.Expr:
    """The price row is the request's own model's (names compared without case)."""
    return exp.and_(
        exp.EQ(this=exp.func("lower", exp.column("provider", table=price)), expression=exp.func("lower", exp.column("provider", table=request))),
        exp.EQ(this=exp.func("lower", exp.column("model", table=price)), expression=exp.func("lower", exp.column("model", table=request))),
    )


def priced_requests(table: str = "llm_requests") -> exp.Select:
    """Every request with its own model's list prices valid at its time, its list cost and what caching saved.

    A request with no price row keeps NULL prices (its list cost is unknown, never 0). The result keeps the
    request's columns, so a query over it reads like one over `llm_requests`.
    """
    prices = [
        exp.alias_(exp.column("input_usd_per_mtok", table="p"), "input_usd_per_mtok"),
        exp.alias_(exp.func("coalesce", exp.column("cached_input_usd_per_mtok", table="p"), exp.column("input_usd_per_mtok", table="p")),
                   "cached_input_usd_per_mtok"),
        exp.alias_(exp.func("coalesce", exp.column("cache_write_usd_per_mtok", table="p"), exp.column("input_usd_per_mtok", table="p")),
                   "cache_write_usd_per_mtok"),
        exp.alias_(exp.column("output_usd_per_mtok", table="p"), "output_usd_per_mtok"),
        exp.alias_(exp.func("coalesce", exp.column("batch_discount_pct", table="p"), exp.Literal.number(0)), "batch_discount_pct"),
        exp.alias_(request_cost("r", "p"), "list_cost_usd"),
        exp.alias_(cache_saved("r", "p"), "cache_savings_usd"),
    ]
    return (
        exp.select(exp.Column(this=exp.Star(), table=exp.to_identifier("r")), *prices)
        .from_(exp.alias_(exp.to_table(table), "r", table=True))
        .join(exp.alias_(exp.to_table("model_prices"), "p", table=True), on=exp.and_(same_model("p", "r"), valid_at("p", "r")), join_type="left")
    )
