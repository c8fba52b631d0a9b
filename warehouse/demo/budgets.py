"""`budgets`: Acme AI's monthly cost boundaries, set from the generated actuals.

All budgets sit comfortably above every month's run rate (team budgets are at
least MIN_TEAM_BUDGET_USD) except one: docs-ai's
`inference_cost` budget, which the month containing the last day exceeds. When
earlier months stayed clearly below that month, the amount lies between them
(a budget that held until the prompt growth); otherwise it is 90% of the
breaching month's actual and earlier months may exceed it too.

>>> nice_round(1234.5, up=True), nice_round(1234.5, up=False)
(1300.0, 1200.0)
"""

from __future__ import annotations

import math
from collections.abc import Callable
from datetime import date

import pyarrow as pa

from warehouse.demo.catalog import BUDGET_BREACH_TEAM, GPU_TEAM, TEAMS, UNIT_COST_CEILINGS
from warehouse.demo.ledger import Ledger, MonthTotals
from warehouse.demo.schema import TABLES, arrow_schema

SCHEMA = arrow_schema(TABLES["budgets"])
HEADROOM = 1.2
# A team budget is never below this: a small team still gets a round monthly allowance.
MIN_TEAM_BUDGET_USD = 100.0
SERVICE_BUDGETS = ("Amazon CloudWatch", "Amazon OpenSearch Service")


def nice_round(value: float, *, up: bool, digits: int = 2) -> float:
    """`value` rounded up or down to `digits` significant digits."""
    if value <= 0:
        return 0.0
    exponent = math.floor(math.log10(value)) - digits + 1
    steps = (math.ceil if up else math.floor)(value / 10.0**exponent)
    return float(round(steps * 10.0**exponent, max(0, -exponent)))


def _ceiling(months: list[MonthTotals], value: Callable[..., float]) -> float:
    """A budget above the highest monthly run rate of `value(month)`.

    `value` is called with one MonthTotals; it is typed `...` because the callers' lambdas bind
    their loop variable as a default argument (`lambda m, t=team: ...`), which mypy cannot infer
    against `Callable[[MonthTotals], float]`.
    """
    highest = max(month.run_rate(value(month)) for month in months)
    return nice_round(highest * HEADROOM, up=True)


def breach_amount(actual: float, earlier: list[float]) -> float:
    """A budget below `actual`, above the earlier months' actuals when they allow it."""
    if actual <= 0:
        return 0.0
    upper = actual * 0.97
    lower = max(earlier, default=0.0) * 1.02
    if lower < upper:
        for digits in (2, 3, 4, 6):
            amount = nice_round((lower + upper) / 2, up=True, digits=digits)
            if lower < amount < upper:
                return amount
        return round((lower + upper) / 2, 2)
    return nice_round(actual * 0.9, up=False, digits=3)


def budget_rows(ledger: Ledger, budget_month: date) -> tuple[pa.Table, dict[str, float]]:
    """The budgets table and the planted breach (`amount`, `actual`)."""
    months = [ledger.months[key] for key in sorted(ledger.months)]
    rows: list[dict[str, object]] = []

    def add(scope: str, value: str | None, metric: str, amount: float, per_request: float | None = None) -> None:
        rows.append({"scope": scope, "metric": metric, "period": "month", "amount_usd": amount,
                     "scope_value": value, "max_cost_per_request_usd": per_request})

    add("total", None, "cost", _ceiling(months, lambda m: m.cost))
    breach_month = ledger.months[budget_month]
    actual = breach_month.inference_by_team[BUDGET_BREACH_TEAM]
    earlier = [m.inference_by_team[BUDGET_BREACH_TEAM] for m in months if m.month != budget_month]
    breach = {"amount": breach_amount(actual, earlier), "actual": actual}
    for team in TEAMS:
        if team == BUDGET_BREACH_TEAM:
            add("team", team, "inference_cost", breach["amount"])
        elif any(m.inference_by_team[team] > 0 for m in months):
            amount = _ceiling(months, lambda m, t=team: m.inference_by_team[t])
            add("team", team, "inference_cost", max(amount, MIN_TEAM_BUDGET_USD))
    for feature, ceiling in UNIT_COST_CEILINGS.items():
        add("feature", feature, "inference_cost",
            _ceiling(months, lambda m, f=feature: m.inference_by_feature[f]), ceiling)
    add("team", GPU_TEAM, "gpu_cost", _ceiling(months, lambda m: m.gpu_by_team[GPU_TEAM]))
    add("total", None, "gpu_cost", _ceiling(months, lambda m: m.gpu_cost))
    for service in SERVICE_BUDGETS:
        add("service", service, "cost", _ceiling(months, lambda m, s=service: m.cost_by_service[s]))
    return pa.Table.from_pylist(rows, schema=SCHEMA), breach
