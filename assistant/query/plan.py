"""`QueryPlan`: what a question asks, typed, before any SQL exists.

>>> from datetime import date
>>> from assistant.query.window import Window
>>> plan = QueryPlan("ranking", ("inference_cost",), Window("last week", date(2026, 11, 16), date(2026, 11, 23)), dimensions=("feature",), limit=5)
>>> plan.describe()
'ranking: inference_cost by feature, last week (2026-11-16 to 2026-11-22), top 5'
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from enum import StrEnum

from assistant.query.window import Window
from warehouse.errors import ErrorKind


class Intent(StrEnum):
    """What a plan asks for; compares equal to its text, so plans read from YAML or JSON need no mapping."""

    TOTAL = "total"
    BREAKDOWN = "breakdown"
    RANKING = "ranking"
    TREND = "trend"
    COMPARISON = "comparison"
    SHARE = "share"
    UNIT_COST = "unit_cost"
    WHY_CHANGED = "why_changed"
    ANOMALIES = "anomalies"
    BUDGET = "budget"
    SAVINGS = "savings"
    FORECAST = "forecast"
    RECONCILIATION = "reconciliation"
    WHAT_IF = "what_if"


INTENTS = tuple(Intent)
# Intents answered by an analysis of their own rather than by one query.
ANALYSIS_INTENTS = (Intent.ANOMALIES, Intent.SAVINGS, Intent.FORECAST, Intent.RECONCILIATION, Intent.WHAT_IF)
SCENARIOS = ("reprice", "cache", "batch", "shorter", "ceiling", "self_hosted")
# Dimensions whose values are ids of things (a resource, a SKU, a user, an invoice, a commitment): a row without one
# is not a thing, so a ranking of them leaves it out ("our 5 most expensive resources" are resources).
ID_DIMENSIONS = frozenset({"resource", "sku", "user", "invoice", "sku_price", "commitment_id", "capacity_reservation", "commitment"})
GRAINS = ("hour", "day", "week", "month")


@dataclass(frozen=True)
class Filter:
    """dimension IN values (or NOT IN when negate)."""

    dimension: str
    values: tuple[str, ...]
    negate: bool = False

    def describe(self) -> str:
        joined = " or ".join(self.values)
        return f"{self.dimension} {'is not' if self.negate else 'is'} {joined}"


@dataclass(frozen=True)
class Threshold:
    """metric op value, kept per group (HAVING): 'more than $50', 'above 2%' (a fraction: 0.02)."""

    metric: str
    op: str  # >, >=, <, <=
    value: float

    def describe(self) -> str:
        return f"{self.metric} {self.op} {self.value:g}"


@dataclass(frozen=True)
class Scenario:
    """A what-if: the change priced against the window's actual traffic (assistant/analysis/whatif.py).

    reprice: the traffic at `model`'s prices; cache: repeated prompts (within `ttl_minutes`, else the same day)
    at the cached-input price; batch: at the batch discount (`percent` when said); shorter: prompts `percent`
    shorter; ceiling: no request above `ceiling_usd` (else the budgets' ceilings); self_hosted: the self-hosted
    models' GPU cost per 1M tokens beside the API models' prices for the same traffic (`model`: the one named).
    """

    kind: str
    model: str | None = None
    percent: float | None = None
    ttl_minutes: float | None = None
    ceiling_usd: float | None = None
    per_month: bool = False
    basis: str | None = None  # self_hosted: "busy" (busy GPU time only) or "idle" (idle included) when only one is asked
    with_api: bool = True  # self_hosted: beside the API models' prices (else our models alone)

    def __post_init__(self) -> None:
        if self.kind not in SCENARIOS:
            raise ValueError(f"unknown scenario {self.kind!r}")

    def describe(self) -> str:
        said = {"model": self.model, "percent": self.percent, "ttl_minutes": self.ttl_minutes, "ceiling_usd": self.ceiling_usd,
                "basis": self.basis}
        return ", ".join([self.kind] + [f"{k}={v:g}" if isinstance(v, float) else f"{k}={v}" for k, v in said.items() if v is not None])


# A budget plan's note: only the budgets over their limit ("which teams went over their budget").
OVER_ONLY_NOTE = "over_only"
# A ranking by change's note: the biggest changes either way ("biggest movers"), ranked by their size.
BOTH_WAYS_NOTE = "both_ways"


@dataclass(frozen=True)
class QueryPlan:
    intent: Intent
    metrics: tuple[str, ...]
    window: Window
    dimensions: tuple[str, ...] = ()
    filters: tuple[Filter, ...] = ()
    grain: str | None = None
    limit: int | None = None
    ascending: bool = False
    notes: tuple[str, ...] = field(default=(), compare=False)
    ratio: str | None = None  # "share" (X as a share of Y) or "per" (X per Y): metrics[0] over metrics[1]
    billing_period: bool = False  # "the October invoice": billing rows by BillingPeriodStart, not the charge period
    thresholds: tuple[Threshold, ...] = ()  # groups kept: "features that spent more than $50"
    scenario: Scenario | None = None  # what_if: the change to price
    within: tuple[Filter, ...] = ()  # a share's whole, when narrower than all: "what share of claude-sonnet-4 spend failed"
    average_per: str | None = None  # a grain: "average daily cost", the total over the periods of the window

    def __post_init__(self) -> None:
        if self.intent not in INTENTS:
            raise ValueError(f"unknown intent {self.intent!r}")
        object.__setattr__(self, "intent", Intent(self.intent))
        if self.grain is not None and self.grain not in GRAINS:
            raise ValueError(f"unknown grain {self.grain!r}")
        if self.average_per is not None and self.average_per not in GRAINS:
            raise ValueError(f"unknown grain {self.average_per!r}")
        if not self.metrics:
            raise ValueError("a plan needs a metric")

    @property
    def metric(self) -> str:
        return self.metrics[0]

    @property
    def compared(self) -> bool:
        return self.window.compare_start is not None

    def edit(self, **changes) -> QueryPlan:
        return replace(self, **changes)

    def describe(self) -> str:
        text = f"{self.intent}: {', '.join(self.metrics)}"
        if self.dimensions:
            text += f" by {', '.join(self.dimensions)}"
        if self.grain:
            text += f" per {self.grain}"
        text += f", {self.window.describe()}"
        if self.compared:
            text += f" vs {self.window.compare_start} to {self.window.compare_end}"
        for f in self.filters:
            text += f", {f.describe()}"
        for threshold in self.thresholds:
            text += f", {threshold.describe()}"
        if self.ratio:
            text += f", {self.ratio}"
        if self.scenario:
            text += f", what if {self.scenario.describe()}"
        if self.limit:
            text += f", {'bottom' if self.ascending else 'top'} {self.limit}"
        return text


@dataclass(frozen=True)
class Clarification:
    """The planner cannot place the question: why, and what it can answer instead."""

    kind: ErrorKind  # unknown_question, partly_understood, ambiguous, not_found, not_supported, unsafe
    message: str
    suggestions: tuple[str, ...] = ()
    unplaced: tuple[str, ...] = ()  # partly_understood: the words no part of the reading used
    reading: QueryPlan | None = None  # partly_understood: what was understood (for the model route)
