"""Forecast: a month-end projection of a spend metric, with an interval, and budget run-out dates.

The month is the one containing as_of - 1 day (the last complete day); its days
before as_of are the series so far (a day with no rows spent 0). Two methods:

- `weekday` (default): each remaining day is projected at the mean of the same
  weekday so far this month (a weekday not seen yet gets the mean of all days).
  sigma is the standard deviation of the daily residuals from those weekday
  means (degrees of freedom: days - weekdays seen; when fewer than 2 remain, the
  standard deviation of the daily values).
- `run_rate`: spend so far / complete days * days in month (the convention of
  evals/sets/README.md); sigma is the standard deviation of the daily values.

Interval: projected total +/- 1.96 * sigma * sqrt(remaining days), treating the
remaining days as independent draws; the low end is never below the spend so
far when no day so far was negative.

>>> p = project([100.0] * 9, date(2026, 11, 1), 30, "weekday")
>>> p.total, p.low, p.high
(3000.0, 3000.0, 3000.0)
"""

from __future__ import annotations

import calendar
import math
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from typing import TYPE_CHECKING

from sqlglot import exp

from assistant.analysis.budgets import BUDGET_METRICS
from assistant.present.numbers import figure, money
from assistant.query.plan import Filter
from assistant.query.render import is_additive, time_between
from assistant.semantic import load_semantic_model

if TYPE_CHECKING:
    from warehouse.executor import Executor
    from warehouse.scope import Scope
    from warehouse.settings import Settings

# Additive metrics (spend, requests, tokens, hours): a month's total is the sum of its days.
FORECAST_METRICS = tuple(name for name, spec in load_semantic_model().metrics.items() if is_additive(spec.expression))
Z_95 = 1.96
METHODS = {
    "weekday": "weekday mean (each remaining day at the mean of the same weekday so far this month); "
               "interval ±1.96·σ·√(remaining days), σ of the daily residuals from the weekday means",
    "run_rate": "run rate (spend so far ÷ complete days × days in month); "
                "interval ±1.96·σ·√(remaining days), σ of the daily spend",
}
BUDGET_LABELS = {"cost": "cloud cost", "inference_cost": "inference", "gpu_cost": "GPU"}


@dataclass(frozen=True)
class Forecast:
    metric: str
    month_start: date
    as_of: date
    spent_so_far: float
    projected_total: float
    low: float
    high: float
    method: str
    days_elapsed: int
    days_in_month: int

    @property
    def run_rate_total(self) -> float:
        """The plain run rate: spend of the complete days so far over their number, times the month's days."""
        return self.spent_so_far / self.days_elapsed * self.days_in_month if self.days_elapsed else 0.0

    @property
    def month_end(self) -> date:
        """The last day of the month."""
        return self.month_start + timedelta(days=self.days_in_month - 1)


@dataclass(frozen=True)
class BudgetOutlook:
    metric: str
    scope: str
    scope_value: str | None
    budget: float
    spent: float
    projected: float
    low: float
    high: float
    runs_out_on: date | None
    method: str = "weekday"
    as_of: date | None = None
    month_end: date | None = None

    @property
    def projected_pct(self) -> float | None:
        """Projected total as a percentage of the budget."""
        return self.projected / self.budget * 100 if self.budget else None

    @property
    def over_budget(self) -> bool:
        """Spend so far already exceeds the budget."""
        return self.spent > self.budget

    @property
    def name(self) -> str:
        label = BUDGET_LABELS.get(self.metric, self.metric)
        return f"total {label} budget" if self.scope == "total" else f"{self.scope_value} {label} budget"


@dataclass(frozen=True)
class Projection:
    """The remaining days' values and the month total with its interval."""

    remaining: tuple[float, ...]
    total: float
    low: float
    high: float


def _stdev(values: list[float]) -> float:
    if len(values) < 2:
        return 0.0
    mean = sum(values) / len(values)
    return math.sqrt(sum((v - mean) ** 2 for v in values) / (len(values) - 1))


def project(values: list[float], month_start: date, days_in_month: int, method: str = "weekday") -> Projection:
    """Project the rest of the month from the daily values so far (the first `len(values)` days)."""
    if method not in METHODS:
        raise ValueError(f"unknown forecast method {method!r}; use one of {', '.join(METHODS)}")
    elapsed, spent = len(values), sum(values)
    days = [month_start + timedelta(days=i) for i in range(days_in_month)]
    mean = spent / elapsed if elapsed else 0.0
    if method == "run_rate":
        remaining = [mean] * (days_in_month - elapsed)
        sigma = _stdev(values)
    else:
        by_weekday: dict[int, list[float]] = {}
        for day, value in zip(days, values):
            by_weekday.setdefault(day.weekday(), []).append(value)
        means = {wd: sum(v) / len(v) for wd, v in by_weekday.items()}
        remaining = [means.get(day.weekday(), mean) for day in days[elapsed:]]
        residuals = [value - means[day.weekday()] for day, value in zip(days, values)]
        dof = elapsed - len(means)
        sigma = math.sqrt(sum(r * r for r in residuals) / dof) if dof >= 2 else _stdev(values)
    total = spent + sum(remaining)
    half = Z_95 * sigma * math.sqrt(len(remaining))
    low = total - half
    if values and min(values) >= 0:
        low = max(low, spent)
    return Projection(tuple(remaining), total, low, total + half)


def month_of(as_of: date) -> tuple[date, int, int]:
    """(first day, days elapsed, days in month) of the month containing as_of - 1 day.

    >>> month_of(date(2026, 11, 23)), month_of(date(2026, 12, 1))[1:]
    ((datetime.date(2026, 11, 1), 22, 30), (30, 30))
    """
    last = as_of - timedelta(days=1)
    start = last.replace(day=1)
    return start, (as_of - start).days, calendar.monthrange(start.year, start.month)[1]


def _daily_query(metric: str, start: date, end: date, filters: Iterable[Filter]) -> exp.Select:
    model = load_semantic_model()
    spec = model.metrics[metric]
    time = exp.column(model.timed_column(spec.table))
    day = exp.func("date_trunc", exp.Literal.string("day"), time)
    conditions = [time_between(time, start, end)]
    for f in filters:
        condition = _dimension_column(f.dimension, metric).isin(*[exp.Literal.string(v) for v in f.values])
        conditions.append(exp.not_(condition) if f.negate else condition)
    return (
        exp.select(exp.alias_(day, "day"), exp.alias_(spec.expression.copy(), "value"))
        .from_(spec.table)
        .where(exp.and_(*conditions))
        .group_by(day.copy())
        .order_by(exp.column("day"))
    )


def _daily_by_query(metric: str, start: date, end: date, wanted: dict[str, tuple[str, ...]]) -> exp.Select:
    """The metric per day and value of each dimension in `wanted` (rows with one of its values), in one pass.

    A row outside one dimension's values may still form a group of that dimension (it passed
    another's filter): such groups are not asked for, and every asked-for group is whole.
    """
    model = load_semantic_model()
    spec = model.metrics[metric]
    time = exp.column(model.timed_column(spec.table))
    day = exp.func("date_trunc", exp.Literal.string("day"), time)
    columns = {d: _dimension_column(d, metric) for d in wanted}
    chosen = exp.or_(*[columns[d].copy().isin(*[exp.Literal.string(v) for v in values]) for d, values in wanted.items()])
    sets = [exp.Tuple(expressions=[day.copy(), column.copy()]) for column in columns.values()]
    return (
        exp.select(exp.alias_(day.copy(), "day"),
                   *[exp.alias_(column.copy(), f"by_{i}") for i, column in enumerate(columns.values())],
                   *[exp.alias_(exp.func("grouping", column.copy()), f"off_{i}") for i, column in enumerate(columns.values())],
                   exp.alias_(spec.expression.copy(), "value"))
        .from_(spec.table)
        .where(exp.and_(time_between(time, start, end), exp.paren(chosen)))
        .group_by(exp.GroupingSets(expressions=sets))
    )


def _dimension_column(dimension: str, metric: str) -> exp.Expr:
    model = load_semantic_model()
    spec = model.metrics[metric]
    column = model.dimensions[dimension].columns.get(spec.table) if dimension in model.dimensions else None
    if column is None:
        raise ValueError(f"{spec.label} cannot be filtered by {dimension}")
    return column.copy()


def daily_values(executor: Executor, settings: Settings, metric: str, *, as_of: date, scope: Scope | None = None,
                 filters: Iterable[Filter] = ()) -> list[float]:
    """The metric per day from the first of the month to as_of (exclusive), 0 for days with no rows."""
    if metric not in FORECAST_METRICS:
        raise ValueError(f"{metric} is not an additive metric; forecast one of {', '.join(FORECAST_METRICS)}")
    start, elapsed, _ = month_of(as_of)
    sql = _daily_query(metric, start, as_of, filters).sql(dialect="duckdb")
    result = executor.run_sql(sql, scope=scope, max_rows=settings.max_rows)
    by_day = {(d.date() if hasattr(d, "date") else d): (v or 0.0) for d, v in result.rows}
    return [float(by_day.get(start + timedelta(days=i), 0.0)) for i in range(elapsed)]


def daily_values_by(executor: Executor, settings: Settings, metric: str, wanted: dict[str, tuple[str, ...]], *,
                    as_of: date, scope: Scope | None = None) -> dict[tuple[str, str], list[float]]:
    """`daily_values` of each value of each dimension in `wanted` (filtered to it), all from one query."""
    start, elapsed, _ = month_of(as_of)
    sql = _daily_by_query(metric, start, as_of, wanted).sql(dialect="duckdb")
    limit = sum(len(values) for values in wanted.values()) * 31
    result = executor.run_sql(sql, scope=scope, max_rows=max(settings.max_rows, limit))
    dimensions = list(wanted)
    by_day: dict[tuple, float] = {}
    for row in result.rows:
        day, value = row[0], row[-1]
        i = next(k for k in range(len(dimensions)) if not row[1 + len(dimensions) + k])
        key = (dimensions[i], str(row[1 + i]), day.date() if hasattr(day, "date") else day)
        by_day[key] = by_day.get(key, 0.0) + (value or 0.0)
    return {(d, v): [float(by_day.get((d, v, start + timedelta(days=i)), 0.0)) for i in range(elapsed)]
            for d, values in wanted.items() for v in values}


def forecast_month(executor: Executor, settings: Settings, metric: str, *, as_of: date, scope: Scope | None = None,
                   filters: Iterable[Filter] = (), method: str = "weekday") -> Forecast:
    """Month-end projection of `metric` (cost, inference_cost, gpu_cost, ...) from the days so far."""
    values = daily_values(executor, settings, metric, as_of=as_of, scope=scope, filters=filters)
    start, elapsed, days_in_month = month_of(as_of)
    p = project(values, start, days_in_month, method)
    return Forecast(metric, start, as_of, sum(values), p.total, p.low, p.high, method, elapsed, days_in_month)


def runs_out_on(values: list[float], remaining: tuple[float, ...], month_start: date, budget: float) -> date | None:
    """The first day cumulative spend (actual, then projected) reaches the budget; None if not this month.

    >>> runs_out_on([100.0] * 9, (100.0,) * 21, date(2026, 11, 1), 2000.0)
    datetime.date(2026, 11, 20)
    """
    total = 0.0
    for i, value in enumerate(list(values) + list(remaining)):
        total += value
        if total >= budget:
            return month_start + timedelta(days=i)
    return None


_BUDGETS = "SELECT metric, scope, scope_value, amount_usd FROM budgets WHERE period = 'month' ORDER BY metric, scope, scope_value"


def budget_outlook(executor: Executor, settings: Settings, *, as_of: date, scope: Scope | None = None,
                   method: str = "weekday") -> list[BudgetOutlook]:
    """Every monthly budget: spent so far, projected total and interval, run-out date; highest % first."""
    rows = executor.run_sql(_BUDGETS, scope=scope, max_rows=settings.max_rows).rows
    model = load_semantic_model()
    start, _, days_in_month = month_of(as_of)
    measured = []
    for metric, budget_scope, value, amount in rows:
        if metric not in BUDGET_METRICS or amount is None:
            continue
        table = model.metrics[metric].table
        if budget_scope == "total" or (budget_scope in model.dimensions and table in model.dimensions[budget_scope].columns):
            measured.append((metric, budget_scope, value, amount))
        # else: a budget on a dimension its metric's table lacks cannot be measured
    # Per metric one query for its total and one for all its budgeted values (not one per budget).
    series: dict[tuple, list[float]] = {}
    for metric in dict.fromkeys(m for m, _, _, _ in measured):
        if any(m == metric and s == "total" for m, s, _, _ in measured):
            series[(metric, "total", None)] = daily_values(executor, settings, metric, as_of=as_of, scope=scope)
        wanted: dict[str, tuple[str, ...]] = {}
        for m, s, v, _ in measured:
            if m == metric and s != "total":
                wanted[s] = tuple(dict.fromkeys((*wanted.get(s, ()), str(v))))
        if wanted:
            by_value = daily_values_by(executor, settings, metric, wanted, as_of=as_of, scope=scope)
            series |= {(metric, s, v): days for (s, v), days in by_value.items()}
    outlooks = []
    for metric, budget_scope, value, amount in measured:
        values = series[(metric, budget_scope, None if budget_scope == "total" else str(value))]
        p = project(values, start, days_in_month, method)
        outlooks.append(BudgetOutlook(
            metric, budget_scope, value, amount, sum(values), p.total, p.low, p.high,
            runs_out_on(values, p.remaining, start, amount), method, as_of,
            start + timedelta(days=days_in_month - 1),
        ))
    return sorted(outlooks, key=lambda o: -(o.projected_pct or 0.0))


def _day(d: date) -> str:
    return f"{d:%b} {d.day}"


def _interval(projected: float, low: float, high: float) -> str:
    return f"±{money(max(high - projected, projected - low), compact=True)}"


def narrate_outlook(outlooks: list[BudgetOutlook]) -> str:
    """One line per budget: when it runs out (or that it holds), projected total and share of budget."""
    if not outlooks:
        return "No monthly budgets to project. Budgets live in the budgets table (`finops ingest`)."
    lines = []
    for o in outlooks:
        end = _day(o.month_end) if o.month_end else "month end"
        tail = (f"projected {money(o.projected, compact=True)} ({_interval(o.projected, o.low, o.high)}) by {end}, "
                f"{o.projected_pct:.0f}% of budget.")
        head = f"{o.name} ({money(o.budget, compact=True)})"
        if o.runs_out_on is not None and o.as_of is not None and o.runs_out_on < o.as_of:
            lines.append(f"- **{head} ran out on {_day(o.runs_out_on)}**: {money(o.spent, compact=True)} spent so far, "
                         f"over budget; {tail}")
        elif o.runs_out_on is not None:
            lines.append(f"- **{head} will run out on {_day(o.runs_out_on)}** at the current pace; {tail}")
        else:
            lines.append(f"- {head} holds: {money(o.spent, compact=True)} spent so far; {tail}")
    lines.append(f"Method: {METHODS[outlooks[0].method]}.")
    return "\n".join(lines)


def narrate_forecast(forecast: Forecast) -> str:
    """'Projected November 2026 cost: $X (±$Y) ...' with the method."""
    spec = load_semantic_model().metrics[forecast.metric]

    def amount(value: float) -> str:
        return money(value, compact=True) if spec.unit == "usd" else figure(value, spec.unit)

    return (
        f"**Projected {forecast.month_start:%B %Y} {spec.label}: {amount(forecast.projected_total)}** "
        f"(±{amount(max(forecast.high - forecast.projected_total, forecast.projected_total - forecast.low))}; "
        f"{amount(forecast.low)} to {amount(forecast.high)}), "
        f"from {amount(forecast.spent_so_far)} over the first {forecast.days_elapsed} of "
        f"{forecast.days_in_month} days. Method: {METHODS[forecast.method]}. "
        f"At the plain run rate of those days it would be {amount(forecast.run_rate_total)}."
    )
