"""The answer in words: the figure asked for first, then what moved it.

Figures are formatted by `assistant.present.numbers`.
"""

from __future__ import annotations

from assistant.present.numbers import change, figure, money
from assistant.query.plan import QueryPlan
from assistant.query.render import is_additive
from assistant.query.window import Window
from assistant.semantic import Metric, SemanticModel


def narrate(plan: QueryPlan, columns: tuple[str, ...], rows: list[tuple], model: SemanticModel, truncated: bool = False) -> str:
    metric = model.metrics[plan.metric]
    label = metric.label[0].upper() + metric.label[1:]
    if plan.average_per:
        label = f"Average {metric.label} per {plan.average_per}"
    where = "".join(f" for {f.dimension} {'not ' if f.negate else ''}{' or '.join(f.values)}" for f in plan.filters)
    window = window_in_words(plan.window)
    index = {name: i for i, name in enumerate(columns)}
    if not rows or all(v is None for v in rows[0][len(plan.dimensions) :]):
        return f"No {metric.label} found{where} {window}. Try a longer window or check the filters."
    definition = f"\n\n_{metric.definition}._"
    if plan.intent == "share" and not plan.dimensions and "share" in index:
        part = " and ".join(f"{f.dimension} {'not ' if f.negate else ''}{' or '.join(f.values)}" for f in plan.filters)
        whole = "".join(f" for {f.dimension} {'not ' if f.negate else ''}{' or '.join(f.values)}" for f in plan.within)
        value, share = rows[0][index[plan.metric]], rows[0][index["share"]]
        return (
            f"{part[0].upper() + part[1:]} was **{share * 100:.1f}%** of {metric.label}{whole} {window} "
            f"({figure(value, metric.unit)})." + definition
        )
    if plan.average_per and not plan.dimensions and f"{plan.metric}_per_{plan.average_per}" in index:
        row = rows[0]
        average, total, periods = (row[index[c]] for c in (f"{plan.metric}_per_{plan.average_per}", f"{plan.metric}_total", "periods"))
        return (f"Average {metric.label} per {plan.average_per}{where} {window} was **{figure(average, metric.unit)}** "
                f"({figure(total, metric.unit)} over {periods:,.{0 if float(periods).is_integer() else 1}f} {plan.average_per}s to the last with data)." + definition)
    if plan.intent == "total" or not plan.dimensions and plan.intent not in ("trend",):
        value = rows[0][index[plan.metric]]
        text = f"{label}{where} {window} was **{figure(value, metric.unit)}**"
        previous_name = f"{plan.metric}_previous"
        if previous_name in index and plan.window.compare_start:
            previous = rows[0][index[previous_name]]
            moved = change(value, previous, metric.unit)
            if moved:
                text += f", {moved} on {_before(plan)} ({figure(previous, metric.unit)})"
        return text + "." + definition
    if plan.intent == "trend":
        return _trend(plan, columns, rows, metric, label, where, window) + definition
    if plan.intent in ("why_changed", "comparison"):
        return _movers(plan, columns, rows, metric, label, where, window) + definition
    return _ranking(plan, columns, rows, metric, label, where, window, truncated) + definition


def window_in_words(window: Window) -> str:
    """'last week (2026-11-16 to 2026-11-22)', or 'in November 2026 (...)' for names and dates."""
    described = window.describe()
    relative = ("last", "this", "the", "today", "yesterday", "past", "previous", "month to date", "year to date", "week over week", "month over month")
    return described if window.label.lower().startswith(relative) else f"in {described}"


def _before(plan: QueryPlan) -> str:
    label = plan.window.label
    for unit in ("week", "month", "day", "year", "quarter"):
        if label.endswith(f"last {unit}") or label == f"this {unit}" or label == "yesterday" and unit == "day":
            return f"the {unit} before"
    return "the period before"


def _ranking(plan: QueryPlan, columns: tuple[str, ...], rows: list[tuple], metric: Metric, label: str, where: str,
             window: str, truncated: bool) -> str:
    grouped = plan.dimensions[0] if plan.dimensions else None
    name = (grouped or plan.grain or "value").replace("_", " ")
    value_at = columns.index(plan.metric if plan.metric in columns else f"{plan.metric}_per_{plan.average_per}")
    ranked = [(row[0], row[value_at]) for row in rows]
    top = ranked[0]
    text = f"{label}{where} {window}, by {name}: **{_name(top[0], grouped)}** {'came last' if plan.ascending else 'led'} with **{figure(top[1], metric.unit)}**"
    if metric.unit == "usd" and "share" not in columns and is_additive(metric.expression):  # a price per unit has no share
        total = sum(v for _, v in ranked if v is not None)
        if total and len(ranked) > 1:
            text += f" ({top[1] / total * 100:.1f}% of the {len(ranked)} shown)"
    if "share" in columns:
        text += f" ({rows[0][columns.index('share')] * 100:.1f}% of the total)"
    others = [f"{_name(v, grouped)} ({figure(x, metric.unit)})" for v, x in ranked[1:4]]
    if others:
        text += ", then " + ", ".join(others)
    text += "."
    if truncated:
        text += f" Only the first {len(rows)} {name} values are shown."
    return text


def _movers(plan: QueryPlan, columns: tuple[str, ...], rows: list[tuple], metric: Metric, label: str, where: str,
            window: str) -> str:
    now_at, before_at, change_at = (columns.index(f"{plan.metric}{s}") for s in ("", "_previous", "_change"))
    current = sum(r[now_at] or 0 for r in rows)
    previous = sum(r[before_at] or 0 for r in rows)
    moved = change(current, previous, metric.unit) if metric.unit not in ("ratio", "percent", "ms") else ""
    dimension = plan.dimensions[0] if plan.dimensions else None

    def said(row: tuple) -> str:
        amount = money(row[change_at], compact=True, sign=True) if metric.unit == "usd" else f"{row[change_at]:+,.0f}"
        return f"{_name(row[0], dimension)} {amount}"

    if plan.limit is not None and dimension and metric.unit in ("usd", "count", "tokens", "hours"):
        # the rows are the groups ranked by their change, not all of them: no total, the changes in their order
        largest = "the largest change" if len(rows) == 1 else "the largest changes"
        return (f"{label}{where} {window} against {_before(plan)}, {largest} by {dimension.replace('_', ' ')}: "
                + ", ".join(said(r) for r in rows[:5]) + ".")
    text = f"{label}{where} {window} was **{figure(current, metric.unit)}**"
    if moved:
        text += f", {moved} on {_before(plan)} ({figure(previous, metric.unit)})"
    text += "."
    if metric.unit in ("usd", "count", "tokens", "hours"):
        movers = sorted(rows, key=lambda r: -abs(r[change_at] or 0))[:3]
        parts = [said(r) for r in movers if r[change_at]]
        if parts:
            text += f" Biggest movers by {(dimension or '').replace('_', ' ')}: " + ", ".join(parts) + "."
    return text


def _trend(plan: QueryPlan, columns: tuple[str, ...], rows: list[tuple], metric: Metric, label: str, where: str,
           window: str) -> str:
    value_at = columns.index(plan.metric)
    if plan.dimensions:
        series: dict[object, float] = {}
        for row in rows:
            series[row[1]] = series.get(row[1], 0) + (row[value_at] or 0)
        leader = max(series, key=lambda name: series[name])
        return (
            f"{label}{where} per {plan.grain} {window}, by {plan.dimensions[0].replace('_', ' ')}: "
            f"{len(series)} series; **{_name(leader, plan.dimensions[0] if plan.dimensions else None)}** is the largest with {figure(series[leader], metric.unit)} in all."
        )
    points = [(row[0], row[value_at]) for row in rows if row[value_at] is not None]
    first, last = points[0], points[-1]
    peak = max(points, key=lambda p: p[1])
    text = (
        f"{label}{where} per {plan.grain} {window}: from {figure(first[1], metric.unit)} on {_when(first[0])} "
        f"to {figure(last[1], metric.unit)} on {_when(last[0])}, peaking at **{figure(peak[1], metric.unit)}** on {_when(peak[0])}"
    )
    if metric.unit in ("usd", "count", "tokens", "hours"):
        text += f"; {figure(sum(p[1] for p in points), metric.unit)} in all"
    return text + "."


def _when(value: object) -> str:
    return value.strftime("%b %-d") if hasattr(value, "strftime") else str(value)


# Groups read from tags (on the bill) or attribution (on requests): a row without one is untagged spend.
TAGGED_DIMENSIONS = frozenset({"team", "feature", "model", "environment"})


def _name(value: object, dimension: str | None) -> str:
    """A group's name in words: a missing tag is '(untagged)', any other missing value '(none)'."""
    if value is not None:
        return str(value)
    return "(untagged)" if dimension in TAGGED_DIMENSIONS or (dimension or "").startswith("tag_") else "(none)"
