"""Pricing `llm_requests` rows that arrive without `cost_usd`.

Which price a model gets is decided once per (provider, model) of the file
(`choose_prices`), in this order:

1. its own `model_prices` rows;
2. the rows of its undated id (`claude-sonnet-4-20250514` -> `claude-sonnet-4`);
3. the price catalog (`warehouse.catalog`, genai-prices), named with its version;
4. none: the rows stay unpriced and are reported.

The chosen rows become the temporary table `_prices`; each request is priced at
the row valid at its time (an ASOF join on `valid_from`, then `valid_to` checked).
Cached input tokens are charged at the cached price and cache-write tokens at the
cache-write price, each the input price when it has none:

    cost = ((input - cached - cache_write) * input_price + cached * cached_price
            + cache_write * cache_write_price + output * output_price) / 1e6

>>> undated("claude-sonnet-4-20250514"), undated("gpt-4o-2024-08-06"), undated("gpt-4o")
('claude-sonnet-4', 'gpt-4o', 'gpt-4o')
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

import pyarrow as pa
import sqlglot
import sqlglot.expressions as exp

from warehouse.catalog import catalog_price

if TYPE_CHECKING:
    import duckdb

    from warehouse.settings import Settings

_DATED = re.compile(r"^(.+?)[-@](\d{8}|\d{4}-\d{2}-\d{2})$")
_EPOCH = datetime(1970, 1, 1)

_PRICED = """
SELECT r.* REPLACE (
    coalesce(
        r.cost_usd,
        CASE WHEN p.valid_to IS NULL OR r.ts < p.valid_to THEN
            ((r.input_tokens - coalesce(r.cached_input_tokens, 0) - coalesce(r.cache_write_input_tokens, 0)) * p.input_usd_per_mtok
             + coalesce(r.cached_input_tokens, 0) * coalesce(p.cached_input_usd_per_mtok, p.input_usd_per_mtok)
             + coalesce(r.cache_write_input_tokens, 0) * coalesce(p.cache_write_usd_per_mtok, p.input_usd_per_mtok)
             + r.output_tokens * p.output_usd_per_mtok) / 1e6
        END
    ) AS cost_usd
)
FROM requests AS r
ASOF LEFT JOIN _prices AS p
  ON coalesce(lower(r.provider), '') = p.provider_key AND lower(r.model) = p.model_key AND r.ts >= p.valid_from
"""

_FILLED = """
SELECT b.* REPLACE (coalesce(b.provider, v.provider) AS provider)
FROM requests AS b LEFT JOIN _providers AS v ON lower(b.model) = v.model_key
"""

_PRICE_COLUMNS = ("valid_from", "valid_to", "input_usd_per_mtok", "cached_input_usd_per_mtok",
                  "cache_write_usd_per_mtok", "output_usd_per_mtok")


def undated(model: str) -> str:
    """The model id without a trailing release date."""
    match = _DATED.match(model)
    return match.group(1) if match else model


@dataclass(frozen=True)
class PriceChoice:
    """The price a (provider, model) of the requests gets, and where it comes from."""

    provider: str | None  # the request's provider, else the price entry's
    model: str
    origin: str  # model_prices, catalog or none
    source: str  # "model_prices", "model_prices (as claude-sonnet-4)", "genai-prices 0.2.3: anthropic/claude-3-haiku", "none"
    rows: tuple[tuple, ...] = ()  # (valid_from, valid_to, input, cached, cache_write, output) per million tokens


def _model_prices(con: duckdb.DuckDBPyConnection) -> dict[tuple[str, str], list[tuple]]:
    """(provider, model) lowercased -> its model_prices rows, oldest first."""
    present = {row[0] for row in con.execute("DESCRIBE model_prices").fetchall()}
    # Lake files written before a column existed do not have it.
    columns = [exp.column(name) if name in present else exp.null() for name in _PRICE_COLUMNS]
    query = exp.select(exp.func("lower", exp.column("provider")), exp.func("lower", exp.column("model")), *columns)
    rows = con.execute(query.from_("model_prices").order_by("valid_from").sql("duckdb")).fetchall()
    prices: dict[tuple[str, str], list[tuple]] = {}
    for provider, model, *price in rows:
        prices.setdefault((provider, model), []).append(tuple(price))
    return prices


def _lookup(prices: dict[tuple[str, str], list[tuple]], provider: str | None, model: str) -> tuple[str | None, list[tuple]] | None:
    if provider is not None:
        found = prices.get((provider.lower(), model.lower()))
        return (provider, found) if found else None
    for (known_provider, known_model), found in sorted(prices.items()):
        if known_model == model.lower():
            return known_provider, found
    return None


def choose_prices(con: duckdb.DuckDBPyConnection, pairs: list[tuple[str | None, str | None]]) -> dict[tuple, PriceChoice]:
    """(provider, model) -> PriceChoice, for each pair seen in the requests."""
    prices = _model_prices(con)
    chosen: dict[tuple, PriceChoice] = {}
    for provider, model in pairs:
        if model is None:
            chosen[(provider, model)] = PriceChoice(provider, "", "none", "none")
            continue
        choice = None
        found, label = _lookup(prices, provider, model), "model_prices"
        if found is None and undated(model) != model:
            found, label = _lookup(prices, provider, undated(model)), f"model_prices (as {undated(model)})"
        if found is not None:
            choice = PriceChoice(found[0], model, "model_prices", label, tuple(found[1]))
        if choice is None:
            catalog = catalog_price(model, provider)
            if catalog is not None:
                rows = []
                for index, row in enumerate(catalog.rows):
                    valid_to = catalog.rows[index + 1].valid_from if index + 1 < len(catalog.rows) else None
                    rows.append((row.valid_from, valid_to, row.input_usd_per_mtok, row.cached_input_usd_per_mtok,
                                 row.cache_write_usd_per_mtok, row.output_usd_per_mtok))
                choice = PriceChoice(provider or catalog.provider, model, "catalog", catalog.source, tuple(rows))
        chosen[(provider, model)] = choice or PriceChoice(provider, model, "none", "none")
    return chosen


def register_prices(con: duckdb.DuckDBPyConnection, choices: dict[tuple, PriceChoice]) -> None:
    """The chosen price rows as the temporary table `_prices` that `priced_query` joins."""
    rows = [
        {"provider_key": (c.provider or "").lower(), "model_key": c.model.lower(), **dict(zip(_PRICE_COLUMNS, row))}
        for c in choices.values() for row in c.rows
    ]
    schema = pa.schema([("provider_key", pa.string()), ("model_key", pa.string()), ("valid_from", pa.timestamp("us")),
                        ("valid_to", pa.timestamp("us"))] + [(name, pa.float64()) for name in _PRICE_COLUMNS[2:]])
    con.register("_prices", pa.Table.from_pylist(rows, schema=schema))


def fill_providers(con: duckdb.DuckDBPyConnection, requests: sqlglot.exp.Select, choices: dict[tuple, PriceChoice]) -> sqlglot.exp.Select:
    """`requests` with a NULL provider taken from the model's price entry (model_prices, else the catalog)."""
    rows = [{"model_key": c.model.lower(), "provider": c.provider} for (provider, _), c in choices.items()
            if provider is None and c.provider is not None]
    con.register("_providers", pa.Table.from_pylist(rows, schema=pa.schema([("model_key", pa.string()), ("provider", pa.string())])))
    query = sqlglot.parse_one(_FILLED, read="duckdb")
    assert isinstance(query, exp.Select)
    return query.with_("requests", as_=requests)


def priced_query(requests: sqlglot.exp.Select) -> sqlglot.exp.Select:
    """`requests` with NULL costs filled from `_prices` (rows with no valid price stay NULL)."""
    query = sqlglot.parse_one(_PRICED, read="duckdb")
    assert isinstance(query, exp.Select)
    return query.with_("requests", as_=requests)


@dataclass(frozen=True)
class ModelPriceUse:
    """For `finops prices`: one model of llm_requests, the price it gets and where that price comes from."""

    provider: str | None
    model: str | None
    requests: int
    with_cost: int  # requests with a cost, as logged or priced at ingest
    unpriced: int  # requests with no cost at all
    origin: str  # model_prices, catalog or none
    source: str  # "model_prices", "model_prices (as claude-sonnet-4)", "genai-prices 0.2.3: anthropic/claude-3-haiku", "none"
    input_usd_per_mtok: float | None
    cached_input_usd_per_mtok: float | None
    cache_write_usd_per_mtok: float | None
    output_usd_per_mtok: float | None
    batch_discount_pct: float | None = None  # the catalog's batch price against its standard one

    def to_json(self) -> dict:
        return dict(self.__dict__)


def price_list(settings: Settings) -> list[ModelPriceUse]:
    """Each (provider, model) seen in llm_requests, busiest first, with the price ingest gives it now.

    The price is the latest row of the chosen source (model_prices, its undated id,
    the catalog with name and version, or none); requests that arrived with a cost
    kept it. Only an ingest prices: a price loaded later applies to requests loaded after it.
    """
    import duckdb

    from warehouse.errors import WarehouseError
    from warehouse.lake import Lake, create_views

    lake = Lake(settings.home)
    if not lake.exists():
        raise WarehouseError(f"No warehouse at {settings.home}. Load data with `finops ingest PATH` or build the demo with `make demo`.")
    con = duckdb.connect()
    try:
        con.execute("SET TimeZone = 'UTC'")
        create_views(con, lake.manifest())
        seen = con.execute(
            "SELECT provider, model, count(*), count(cost_usd), count_if(cost_usd IS NULL) "
            "FROM llm_requests GROUP BY ALL ORDER BY 3 DESC, 1, 2"
        ).fetchall()
        choices = choose_prices(con, [(p, m) for p, m, *_ in seen])
    finally:
        con.close()
    listed = []
    for provider, model, requests, with_cost, without_cost in seen:
        choice = choices[(provider, model)]
        latest = choice.rows[-1] if choice.rows else (None,) * 6
        catalog = catalog_price(model, provider) if choice.origin == "catalog" else None
        listed.append(ModelPriceUse(
            provider, model, requests, with_cost, without_cost, choice.origin, choice.source,
            input_usd_per_mtok=latest[2], cached_input_usd_per_mtok=latest[3], cache_write_usd_per_mtok=latest[4],
            output_usd_per_mtok=latest[5], batch_discount_pct=catalog.batch_discount_pct if catalog else None,
        ))
    return listed
