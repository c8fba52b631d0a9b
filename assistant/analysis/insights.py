"""Answers from the analysis: savings, forecasts, budget outlooks, anomalies and cost drivers.

`ask()` routes a plan here by its intent; each function returns the `Answer`
(text first, then the table, chart where one helps, and the analysis lists the
Answer contract names: `drivers`, `anomalies`).
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from typing import TYPE_CHECKING

from assistant.answer import Answer, AnswerError, AskContext, Route
from assistant.present.charts import savings_bars
from assistant.query.plan import QueryPlan
from warehouse.errors import ErrorKind

if TYPE_CHECKING:
    from warehouse.executor import Executor

SPEND_METRICS = {"cost", "inference_cost", "gpu_cost", "billed_cost", "list_cost", "retry_cost", "idle_gpu_cost"}


def answer_savings(question: str, plan: QueryPlan, context: AskContext, executor: Executor, as_of: date) -> Answer:
    from assistant.analysis.savings import find_savings, narrate_savings, savings_table

    savings = find_savings(executor, context.settings, as_of=as_of, scope=context.scope)
    columns, rows = savings_table(savings)
    return Answer(
        question, Route.PLANNER, text=narrate_savings(savings), window=plan.window, columns=tuple(columns),
        rows=[tuple(r) for r in rows], plan=plan, chart=savings_bars(columns, rows, "value", "monthly_usd", "Estimated saving per month"),
        suggestions=["Idle GPU cost by deployment last week", "Retry cost by feature last 30 days", "Are we over budget this month?"],
    )


def answer_forecast(question: str, plan: QueryPlan, context: AskContext, executor: Executor, as_of: date) -> Answer:
    from assistant.analysis.forecast import forecast_month, narrate_forecast

    metric = plan.metric  # the planner forecasts additive metrics only (FORECAST_METRICS)
    forecast = forecast_month(executor, context.settings, metric, as_of=as_of, scope=context.scope, filters=plan.filters)
    columns = ("metric", "month_start", "spent_so_far", "projected_total", "low", "high", "method", "run_rate_total")
    row = (metric, forecast.month_start, forecast.spent_so_far, forecast.projected_total, forecast.low, forecast.high,
           forecast.method, forecast.run_rate_total)
    return Answer(
        question, Route.PLANNER, text=narrate_forecast(forecast), window=plan.window, columns=columns, rows=[row], plan=plan,
        suggestions=["Are we over budget this month?", f"Daily {metric.replace('_', ' ')} this month"],
    )


def explain_change(answer: Answer, plan: QueryPlan, context: AskContext, executor: Executor) -> Answer:
    """A why-changed answer: the exact driver decomposition leads, the per-dimension table stays."""
    from assistant.analysis.drivers import decompose, narrate_drivers

    if plan.metric not in ("inference_cost", "cost", "gpu_cost"):
        return answer
    report = decompose(executor, plan.metric, plan.window, settings=context.settings, scope=context.scope, filters=plan.filters)
    return replace(answer, text=narrate_drivers(report), drivers=report.drivers_json())


def answer_budget_outlook(answer: Answer, plan: QueryPlan, context: AskContext, executor: Executor, as_of: date) -> Answer:
    """The budget table as it is, with the month-end outlook and run-out dates added to the text."""
    from assistant.analysis.forecast import budget_outlook, narrate_outlook

    if plan.window.label not in ("this month", "month to date"):
        return answer
    outlooks = budget_outlook(executor, context.settings, as_of=as_of, scope=context.scope)
    keep = {(o.metric, o.scope, o.scope_value) for o in outlooks}
    at = {name: i for i, name in enumerate(answer.columns)}
    shown = {(r[at["metric"]], r[at["scope"]], r[at["scope_value"]]) for r in answer.rows} if "metric" in at else keep
    relevant = [o for o in outlooks if (o.metric, o.scope, o.scope_value) in shown]
    if not relevant:
        return answer
    return replace(answer, text=answer.text + "\n\n" + narrate_outlook(relevant))


def answer_anomalies(question: str, plan: QueryPlan, context: AskContext, executor: Executor, as_of: date) -> Answer:
    from assistant.analysis.anomalies import anomalies_json, find_anomalies, narrate_anomalies

    days = max(7, plan.window.days) if plan.window else 30
    found = find_anomalies(executor, context.settings, as_of=as_of, days=days, scope=context.scope)
    listed = anomalies_json(found, as_of)["anomalies"]
    columns = ("metric", "dimension", "value", "start", "end", "expected", "actual", "impact_usd", "impact_pct", "kind")
    rows = [tuple(item.get(c) for c in columns) for item in listed]
    return Answer(
        question, Route.PLANNER, text=narrate_anomalies(found, as_of, days), window=plan.window, columns=columns,
        rows=rows, anomalies=listed, plan=plan,
        suggestions=["Why did inference cost jump last week?", "Where are we wasting money?", "Are we over budget this month?"],
    )


def not_ready(question: str, plan: QueryPlan, what: str) -> Answer:
    return Answer(
        question, Route.NONE, window=plan.window, plan=plan,
        error=AnswerError(ErrorKind.NOT_SUPPORTED, f"{what} are not answered yet; ask for a figure, a breakdown or a trend."),
    )
