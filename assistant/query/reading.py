"""How a plan reads in words: what every answer shows so a misreading is visible at a glance.

>>> from datetime import date
>>> from assistant.query.plan import Filter, QueryPlan
>>> from assistant.query.window import Window
>>> from assistant.semantic import load_semantic_model
>>> plan = QueryPlan("ranking", ("inference_cost",), Window("last week", date(2026, 11, 16), date(2026, 11, 23)),
...                  dimensions=("feature",), filters=(Filter("environment", ("staging",), negate=True),), limit=3)
>>> reading_of(plan, load_semantic_model())["text"]
'inference cost · by feature · environment is not staging · last week · top 3'
"""

from __future__ import annotations

from typing import Any

from assistant.query.plan import OVER_ONLY_NOTE, Intent, QueryPlan
from assistant.semantic import SemanticModel

_INTENT_WORDS = {
    Intent.WHY_CHANGED: "why it changed", Intent.COMPARISON: "compared", Intent.SHARE: "share",
    Intent.TREND: "trend", Intent.BUDGET: "against budget", Intent.FORECAST: "month-end forecast",
    Intent.ANOMALIES: "anomalies", Intent.SAVINGS: "savings opportunities", Intent.UNIT_COST: "unit cost",
    Intent.RECONCILIATION: "tracked against billed", Intent.WHAT_IF: "what-if (an estimate)",
}


def reading_of(plan: QueryPlan, model: SemanticModel) -> dict[str, Any]:
    """The `reading` of ANSWER-CONTRACT.md: metrics, grouping, filters, window, intent, and one line of words."""
    metrics = [model.metrics[m].label if m in model.metrics else m for m in plan.metrics]
    by = [model.dimensions[d].label if d in model.dimensions else d for d in plan.dimensions]
    filters = [f.describe() for f in plan.filters] + [f"within {f.describe()}" for f in plan.within]
    window = plan.window.label
    if plan.billing_period:
        window = f"billing period {window}"
    if plan.compared and plan.intent in (Intent.WHY_CHANGED, Intent.COMPARISON):
        window += " vs the period before" if plan.window.label != "last week" else " vs the week before"
    joiner = {"share": " as a share of ", "per": " per "}.get(plan.ratio or "", " and ")
    parts = [joiner.join(metrics)]
    if plan.grain:
        parts.append(f"per {plan.grain}")
    if plan.average_per:
        parts.append(f"average per {plan.average_per}")
    if by:
        parts.append("by " + " and ".join(by))
    parts += filters
    parts += [f"{model.metrics[c.metric].label if c.metric in model.metrics else c.metric} {c.op} {c.value:g}" for c in plan.thresholds]
    parts.append(window)
    if plan.limit:
        parts.append(f"{'bottom' if plan.ascending else 'top'} {plan.limit}")
    if plan.scenario is not None:
        parts.append(f"what-if: {plan.scenario.describe()}")
    if plan.intent in _INTENT_WORDS:
        parts.append(_INTENT_WORDS[plan.intent])
    if OVER_ONLY_NOTE in plan.notes:
        parts.append("over budget only")
    return {"metrics": list(plan.metrics), "by": list(plan.dimensions), "filters": filters, "window": plan.window.label,
            "intent": str(plan.intent), "text": " · ".join(parts)}
