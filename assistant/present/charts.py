"""Every Vega-Lite v5 spec the product draws, chosen by rules, with its data inlined.

time series -> line; breakdown and ranking -> sorted bars; share -> one stacked
bar; change between two windows -> diverging bars; a single figure -> no chart
(`chart_for`); savings findings -> bars in USD per month (`savings_bars`); the
overview's cost by category -> stacked areas (`stacked_area`); tracked against billed LLM spend -> paired bars
(`reconciliation_bars`); an alert's metric day by day, with its start marked -> line (`alert_line`).
Never model-written code.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from assistant.present.jsonable import jsonable
from assistant.query.plan import QueryPlan
from assistant.semantic import Metric, SemanticModel

SCHEMA = "https://vega.github.io/schema/vega-lite/v5.json"
MAX_BARS = 25
FORMATS = {"usd": "$,.2f", "ratio": ".1%", "percent": ".1f", "ms": ",.0f", "tokens": ",.0f", "count": ",.0f", "hours": ",.0f"}
AXIS_FORMATS = {"usd": "$,.2~s", "ratio": ".0%", "percent": ".0f", "ms": ",.2~s", "tokens": ",.2~s", "count": ",.2~s", "hours": ",.2~s"}
BAR_STEP = 28  # pixels per bar: Vega-Lite sizes the chart to its bars, however many there are


def axis_format(unit: str, values: Iterable[object]) -> str:
    """An axis format that reads well at the data's size: SI prefixes only for thousands and up.

    ("$,.2~s" would print 0.05 as "$50m", which reads as millions.)

    >>> axis_format("usd", [0.03, -0.05]), axis_format("usd", [120, 900]), axis_format("usd", [12_000])
    ('$,.2f', '$,.0f', '$,.2~s')
    >>> axis_format("ratio", [0.2])
    '.0%'
    """
    largest = max((abs(v) for v in values if isinstance(v, (int, float))), default=0)
    if unit in ("ratio", "percent"):
        return AXIS_FORMATS[unit]
    prefix = "$" if unit == "usd" else ""
    if largest < 10 and unit == "usd":
        return f"{prefix},.2f"
    if largest < 10_000:
        return f"{prefix},.0f"
    return AXIS_FORMATS[unit]


def chart_for(plan: QueryPlan, columns: tuple[str, ...], rows: list[tuple], model: SemanticModel) -> dict | None:
    if not rows or (not plan.dimensions and plan.intent != "trend"):
        return None
    metric = model.metrics[plan.metric]
    data = [dict(zip(columns, jsonable(list(row)))) for row in rows]
    title = f"{metric.label[0].upper()}{metric.label[1:]}, {plan.window.describe()}"
    y_title = _axis_title(metric)
    value = {"field": plan.metric, "type": "quantitative", "title": y_title,
             "axis": {"format": axis_format(metric.unit, [row.get(plan.metric) for row in data])}}
    tooltip_value = {"field": plan.metric, "type": "quantitative", "title": metric.label, "format": FORMATS[metric.unit]}
    base = {"$schema": SCHEMA, "title": title, "width": "container", "data": {"values": data}}
    if plan.intent == "trend" and plan.grain:
        tooltip = [{"field": plan.grain, "type": "temporal", "title": plan.grain, "format": "%Y-%m-%d %H:%M" if plan.grain == "hour" else "%Y-%m-%d"}, tooltip_value]
        encoding = {
            "x": {"field": plan.grain, "type": "temporal", "title": None, "axis": {"format": "%b %d" if plan.grain != "month" else "%b %Y"}},
            "y": value,
            "tooltip": tooltip,
        }
        if plan.dimensions:
            dimension = plan.dimensions[0]
            encoding["color"] = {"field": dimension, "type": "nominal", "title": model.dimensions[dimension].label}
            tooltip.insert(1, {"field": dimension, "type": "nominal"})
        return {**base, "height": 280, "mark": {"type": "line", "point": len(rows) <= 60, "tooltip": True}, "encoding": encoding}
    dimension = plan.dimensions[0]
    category = {"field": dimension, "type": "nominal", "title": model.dimensions[dimension].label, "sort": "-x", "axis": {"labelLimit": 220}}
    height = {"step": BAR_STEP}
    if plan.intent in ("why_changed", "comparison") and f"{plan.metric}_change" in columns:
        change = f"{plan.metric}_change"
        data = sorted(data, key=lambda r: -abs(r[change] or 0))[:MAX_BARS]
        return {
            **base,
            "title": f"Change in {metric.label}: {plan.window.describe()} vs the period before",
            "data": {"values": data},
            "height": {"step": BAR_STEP},
            "mark": {"type": "bar", "tooltip": True},
            "encoding": {
                "y": {**category, "sort": {"field": change, "order": "descending"}},
                "x": {"field": change, "type": "quantitative", "title": f"change in {y_title}",
                      "axis": {"format": axis_format(metric.unit, [row.get(change) for row in data])}},
                "color": {"condition": {"test": f"datum['{change}'] >= 0", "value": "#d1495b"}, "value": "#2e86ab"},
                "tooltip": [
                    {"field": dimension, "type": "nominal"},
                    {"field": plan.metric, "type": "quantitative", "title": "now", "format": FORMATS[metric.unit]},
                    {"field": f"{plan.metric}_previous", "type": "quantitative", "title": "before", "format": FORMATS[metric.unit]},
                    {"field": change, "type": "quantitative", "title": "change", "format": FORMATS[metric.unit]},
                ],
            },
        }
    if plan.intent == "share" and "share" in columns:
        return {
            **base,
            "height": 90,
            "mark": {"type": "bar", "tooltip": True},
            "encoding": {
                "x": {"field": "share", "type": "quantitative", "stack": "normalize", "title": f"share of {metric.label}", "axis": {"format": ".0%"}},
                "color": {"field": dimension, "type": "nominal", "title": model.dimensions[dimension].label, "sort": {"field": plan.metric, "order": "descending"}},
                "order": {"field": plan.metric, "type": "quantitative", "sort": "descending"},
                "tooltip": [{"field": dimension, "type": "nominal"}, tooltip_value, {"field": "share", "type": "quantitative", "format": ".1%"}],
            },
        }
    return {
        **base,
        "data": {"values": data[:MAX_BARS]},
        "height": height,
        "mark": {"type": "bar", "tooltip": True, "color": "#2e86ab"},
        "encoding": {"y": category, "x": value, "tooltip": [{"field": dimension, "type": "nominal"}, tooltip_value]},
    }


def _axis_title(metric: Metric) -> str:
    units = {"usd": "USD", "ratio": "share", "percent": "%", "ms": "ms", "tokens": "tokens", "count": "", "hours": "GPU hours"}
    unit = units[metric.unit]
    return f"{metric.label} ({unit})" if unit and unit not in metric.label else metric.label


def savings_bars(columns: Sequence[str], rows: Sequence[Sequence[object]], category: str, value: str,
                 title: str) -> dict | None:
    """Horizontal bars of an estimated saving per month, one per finding (at most 25)."""
    if not rows or category not in columns or value not in columns:
        return None
    data = [dict(zip(columns, jsonable(list(r)))) for r in rows]
    for item in data:
        item[category] = item[category] or "(none)"
    return {
        "$schema": SCHEMA, "title": title, "width": "container", "height": max(120, len(data) * 24),
        "data": {"values": data[:MAX_BARS]}, "mark": {"type": "bar", "tooltip": True, "color": "#2e86ab"},
        "encoding": {
            "y": {"field": category, "type": "nominal", "sort": "-x", "title": None, "axis": {"labelLimit": 220}},
            "x": {"field": value, "type": "quantitative", "title": "USD per month", "axis": {"format": "$,.2~s"}},
            "tooltip": [{"field": category, "type": "nominal"}, {"field": "kind", "type": "nominal"},
                        {"field": value, "type": "quantitative", "format": "$,.2f"}],
        },
    }


def stacked_area(chart: dict | None, columns: Sequence[str], rows: Sequence[Sequence[object]], order: list[str],
                 dimension: str) -> dict | None:
    """A trend chart of `chart_for` redrawn as stacked areas, the series in `order`."""
    if chart is None or not rows:
        return None
    encoding = chart["encoding"]
    return {
        **chart,
        "data": {"values": [dict(zip(columns, jsonable(list(row)))) for row in rows]},
        "mark": {"type": "area", "line": True, "tooltip": True},
        "encoding": {
            **encoding,
            "y": {**encoding["y"], "stack": "zero"},
            "color": {**encoding["color"], "scale": {"domain": order}, "legend": {"labelLimit": 280, "orient": "bottom", "columns": 3}},
            "order": {"field": dimension, "sort": "descending"},
        },
    }


def reconciliation_bars(columns: Sequence[str], rows: Sequence[Sequence[object]], when: str) -> dict | None:
    """Tracked against billed USD, a pair of bars per provider (rows with `provider`, `tracked_usd`, `billed_usd`)."""
    if not rows or not {"provider", "tracked_usd", "billed_usd"} <= set(columns):
        return None
    data = []
    for row in rows:
        item = dict(zip(columns, jsonable(list(row))))
        for side, field in (("tracked", "tracked_usd"), ("billed", "billed_usd")):
            if item[field] is not None:
                data.append({"provider": item["provider"], "side": side, "usd": item[field],
                             "billed_source": item.get("billed_source")})
    if not data:
        return None
    return {
        "$schema": SCHEMA, "title": f"Tracked vs billed LLM spend, {when}", "width": "container",
        "height": {"step": BAR_STEP // 2}, "data": {"values": data[:MAX_BARS * 2]},
        "mark": {"type": "bar", "tooltip": True},
        "encoding": {
            "y": {"field": "provider", "type": "nominal", "title": None, "axis": {"labelLimit": 220}},
            "yOffset": {"field": "side", "type": "nominal", "sort": ["tracked", "billed"]},
            "x": {"field": "usd", "type": "quantitative", "title": "USD",
                  "axis": {"format": axis_format("usd", [d["usd"] for d in data])}},
            "color": {"field": "side", "type": "nominal", "title": None, "sort": ["tracked", "billed"],
                      "scale": {"range": ["#2e86ab", "#d1495b"]}},
            "tooltip": [{"field": "provider", "type": "nominal"}, {"field": "side", "type": "nominal"},
                        {"field": "usd", "type": "quantitative", "format": "$,.2f"},
                        {"field": "billed_source", "type": "nominal"}],
        },
    }


def alert_line(points: Sequence[tuple[object, float]], title: str, unit: str, since: str) -> dict | None:
    """An alert's metric day by day (`points`: day, value), with a rule on the day the incident began."""
    if len(points) < 2:
        return None
    data = [{"day": str(day), "value": value} for day, value in jsonable([list(p) for p in points])]
    return {
        "$schema": SCHEMA, "title": title, "width": "container", "height": 220,
        "layer": [
            {"data": {"values": data}, "mark": {"type": "line", "point": True, "tooltip": True, "color": "#2e86ab"},
             "encoding": {
                 "x": {"field": "day", "type": "temporal", "title": None},
                 "y": {"field": "value", "type": "quantitative", "title": None,
                       "axis": {"format": axis_format(unit, [d["value"] for d in data])}},
                 "tooltip": [{"field": "day", "type": "temporal"},
                             {"field": "value", "type": "quantitative", "format": FORMATS.get(unit, ",.2f")}]}},
            {"data": {"values": [{"day": since}]}, "mark": {"type": "rule", "color": "#d1495b", "strokeDash": [4, 3]},
             "encoding": {"x": {"field": "day", "type": "temporal"}}},
        ],
    }
