"""The unit of a result column: the one decision every channel formats a table cell by.

A metric's column has the metric's unit (the semantic model); a change or
previous-window column has its metric's; other columns are read from their names.

>>> unit_of("inference_cost"), unit_of("inference_cost_change"), unit_of("budget_used"), unit_of("impact_usd"), unit_of("gpu_util_pct")
('usd', 'usd', 'ratio', 'usd', 'percent')
>>> unit_of("feature")
''
"""

from __future__ import annotations

import re
from functools import lru_cache

from assistant.semantic.tags import COVERAGE_PREFIX

MONEY_COLUMNS = frozenset({"budget", "spend", "spent_so_far", "projected_total", "amount_usd", "cost"})
RATIO_COLUMNS = frozenset({"share", "budget_used"})


@lru_cache(maxsize=1)
def _metric_units() -> dict[str, str]:
    from assistant.semantic import load_semantic_model

    return {name: metric.unit for name, metric in load_semantic_model().metrics.items()}


def unit_of(column: str) -> str:
    """usd, ratio (a fraction 0..1), percent (0..100), a metric's own unit, or '' when the name says nothing."""
    name = re.sub(r"_(previous|change)$", "", column.lower())
    if name.startswith(COVERAGE_PREFIX):  # made per tag key of the data, not in the model file
        return "ratio"
    if name in _metric_units():
        return _metric_units()[name]
    if name in RATIO_COLUMNS:
        return "ratio"
    if name in MONEY_COLUMNS or name.endswith(("_usd", "_cost")):
        return "usd"
    if name.endswith("_pct"):
        return "percent"
    return ""
