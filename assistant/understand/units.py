"""Units of measure a billing question names: "per GB-month", "in GB-hours", "how many TiB", "EC2 hours".

FOCUS lines carry a PricingUnit (what is charged for) and a ConsumedUnit (what the resources used). A question
naming one of the data's own units is read on that unit: its quantity summed (never across units), or the cost
per one of it. Words of consumption ("consume", "consumption") read the consumed unit; any other, the pricing unit.

>>> squash("GB-Month"), _singular(squash("gb months"))
('gbmonth', 'gbmonth')
"""

from __future__ import annotations

import re
from dataclasses import dataclass

CONSUMPTION = re.compile(r"\bconsum\w*")
COUNTING = re.compile(r"\bhow (?:many|much)\b|\bnumber of\b|\bquantity\b")
QUANTITY = {"pricing_unit": "pricing_quantity", "consumed_unit": "consumed_quantity"}
UNIT_PRICE = {"pricing_unit": "cost_per_pricing_unit", "consumed_unit": "cost_per_consumed_unit"}
# Units that are money, not a quantity of anything.
NOT_QUANTITIES = frozenset({"usd", "eur", "gbp"})


def squash(text: str) -> str:
    return re.sub(r"[^a-z0-9]", "", text.lower())


@dataclass(frozen=True)
class UnitMention:
    dimension: str  # pricing_unit or consumed_unit
    values: tuple[str, ...]  # as the data spells it ("GB-Months" and "GB/Month" are one unit)
    positions: tuple[int, ...]
    per: bool  # "cost per GB-month": a unit price is asked
    counted: bool  # "in GB-hours", "how many TiB": its quantity is asked


def find_unit(tokens: tuple[str, ...], text: str, listed: dict[str, list[str]], taken: set[int]) -> UnitMention | None:
    """The first unit of the data the question names (one or two words, plural or not), on the unit its words ask."""
    order = ("consumed_unit", "pricing_unit") if CONSUMPTION.search(text) else ("pricing_unit", "consumed_unit")
    for dimension in order:
        units: dict[str, list[str]] = {}  # the unit squashed, singular -> its spellings in the data
        for v in listed.get(dimension, []):
            if squash(v) and squash(v) not in NOT_QUANTITIES:
                units.setdefault(_singular(squash(v)), []).append(v)
        found: dict[str, list[tuple[int, int]]] = {}  # unit -> (start, width) of each mention
        i = 0
        while i < len(tokens):
            for width in (2, 1):
                words = tokens[i : i + width]
                if len(words) < width or any(i + k in taken for k in range(width)):
                    continue
                said = _singular(squash("".join(words)))
                if said in units:
                    found.setdefault(said, []).append((i, width))
                    i += width - 1
                    break
            i += 1
        if found:
            unit, spots = next(iter(found.items()))  # the first unit named; every mention of it is placed
            positions = tuple(p for start, width in spots for p in range(start, start + width))
            before = [tokens[start - 1] if start > 0 else "" for start, _ in spots]
            per = any(word in ("per", "a", "each", "every") for word in before)
            counted = bool(COUNTING.search(text)) or "in" in before or not per
            return UnitMention(dimension, tuple(sorted(units[unit])), positions, per, counted)
    return None


def _singular(unit: str) -> str:
    return unit[:-1] if unit.endswith("s") and len(unit) > 2 else unit


def unit_metrics(mention: UnitMention, metrics: tuple[str, ...]) -> tuple[str, ...]:
    """What is asked of the unit: its quantity, the cost per one of it, or both ("how many TiB, and the cost per TiB")."""
    priced = mention.per or any(m.startswith("cost_per_") for m in metrics)
    asked = [QUANTITY[mention.dimension]] if mention.counted or not priced else []
    return (*asked, UNIT_PRICE[mention.dimension]) if priced else tuple(asked)
