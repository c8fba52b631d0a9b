"""The price catalog: prices for models `model_prices` does not list, from the `genai-prices` package.

`genai-prices` (pydantic, MIT) ships its price data inside the package
(`genai_prices/data.py`) and reads only that unless a program starts its
`UpdatePrices` background fetch, which this module never does: lookups work
offline. Each catalog price carries its name and version ("genai-prices 0.2.3")
so a report can say where a price came from; `model_prices` always wins over it.

Prices per million tokens: input, cached input (cache read), cache write, output;
the batch discount when the catalog has a batch variant. Prices that change on a
date become rows with `valid_from`; tiered (long-context) prices use their base tier.

>>> price = catalog_price("claude-sonnet-4-20250514", "anthropic")
>>> price.provider, price.model_id, price.rows[-1].input_usd_per_mtok
('anthropic', 'claude-sonnet-4-0', 3.0)
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from functools import cache
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # genai-prices is imported where a price is looked up (see catalog_price)
    from genai_prices.types import ModelPrice, TieredPrices

CATALOG = "genai-prices"
_EPOCH = datetime(1970, 1, 1)

# contract provider name -> catalog provider id
_CATALOG_PROVIDERS = {"azure-openai": "azure", "bedrock": "aws", "vertex": "google", "xai": "x-ai"}
# Model makers first when a model name alone must say whose it is (resellers list the same names).
_FIRST = ("openai", "anthropic", "google", "mistral", "cohere", "deepseek", "x-ai", "meta")
# catalog provider id -> contract provider name
_CONTRACT_PROVIDERS = {"azure": "azure-openai", "aws": "bedrock", "x-ai": "xai"}


@dataclass(frozen=True)
class CatalogRow:
    valid_from: datetime
    input_usd_per_mtok: float | None
    cached_input_usd_per_mtok: float | None
    cache_write_usd_per_mtok: float | None
    output_usd_per_mtok: float | None


@dataclass(frozen=True)
class CatalogPrice:
    provider: str  # the contract's provider name
    model_id: str  # the catalog's model id
    rows: tuple[CatalogRow, ...]
    batch_discount_pct: float | None

    @property
    def source(self) -> str:
        return f"{catalog_name()}: {self.provider}/{self.model_id}"


@cache
def catalog_name() -> str:
    """`genai-prices X.Y.Z`, or `genai-prices (not installed)`."""
    try:
        from importlib.metadata import version

        return f"{CATALOG} {version('genai-prices')}"
    except Exception:  # noqa: BLE001 - any import trouble means no catalog
        return f"{CATALOG} (not installed)"


def _number(value: Decimal | TieredPrices | None) -> float | None:
    from genai_prices.types import TieredPrices  # only reached once catalog_price has imported genai-prices

    if value is None:
        return None
    base = value.base if isinstance(value, TieredPrices) else value  # TieredPrices: the price below the first tier
    return float(base)


def _row(valid_from: datetime, prices: ModelPrice) -> CatalogRow:
    get = prices.__dict__.get
    # A model with an input price and none for output (embeddings) produces no output tokens to charge.
    output = _number(get("output_mtok"))
    if output is None and get("input_mtok") is not None:
        output = 0.0
    return CatalogRow(valid_from, _number(get("input_mtok")), _number(get("cache_read_mtok")),
                      _number(get("cache_write_mtok")), output)


@cache
def catalog_price(model: str, provider: str | None = None) -> CatalogPrice | None:
    """The catalog's price of `model` (from `provider`'s list when it has one), or None."""
    try:
        from genai_prices import data_snapshot
    except ImportError:
        return None
    snapshot = data_snapshot.get_snapshot()
    attempts: list[str | None] = []
    if provider:
        attempts.append(_CATALOG_PROVIDERS.get(provider, provider))
    attempts.append(None)
    for provider_id in attempts:
        try:
            found_provider, info = snapshot.find_provider_model(model, None, provider_id, None)
        except LookupError:
            if provider_id is not None:
                continue
            # No provider matches the name's pattern (embedding models, say): the first provider listing it.
            ordered = sorted(snapshot.providers, key=lambda p: _FIRST.index(p.id) if p.id in _FIRST else len(_FIRST))
            found = next(((p, m) for p in ordered if (m := p.find_model(model)) is not None), None)
            if found is None:
                continue
            found_provider, info = found
        rows = []
        if isinstance(info.prices, list):
            for conditional in info.prices:
                start = getattr(conditional.constraint, "start_date", None)
                if conditional.constraint is not None and start is None:
                    continue  # time-of-day prices (off-peak): not modelled
                rows.append(_row(datetime(start.year, start.month, start.day) if start else _EPOCH, conditional.prices))
        else:
            rows.append(_row(_EPOCH, info.prices))
        rows.sort(key=lambda r: r.valid_from)
        if not rows or rows[-1].input_usd_per_mtok is None:
            continue
        batch = next((v.prices for v in info.price_variants or () if "batch" in v.when.values()), None)
        discount = None
        batch_input, standard_input = _number(batch.__dict__.get("input_mtok")) if batch is not None else None, rows[-1].input_usd_per_mtok
        if batch_input is not None and standard_input:
            discount = round(100 * (1 - batch_input / standard_input), 4)
        name = _CONTRACT_PROVIDERS.get(found_provider.id, found_provider.id)
        return CatalogPrice(name, info.id, tuple(rows), discount)
    return None
