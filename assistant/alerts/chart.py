"""An alert's chart: its metric day by day for the CHART_DAYS before it began and since, filtered to its value.

>>> chart_range(date(2026, 9, 28), date(2026, 10, 12))
(datetime.date(2026, 8, 31), datetime.date(2026, 10, 12))
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING

from assistant.analysis.forecast import _daily_query
from assistant.present.charts import alert_line
from assistant.query.plan import Filter
from assistant.semantic import load_semantic_model

if TYPE_CHECKING:
    from assistant.alerts.find import Alert
    from warehouse.executor import Executor
    from warehouse.scope import Scope
    from warehouse.settings import Settings

CHART_DAYS = 28


def chart_range(start: date, end: date) -> tuple[date, date]:
    return start - timedelta(days=CHART_DAYS), end


def alert_chart(executor: Executor, settings: Settings, alert: Alert, scope: Scope | None = None) -> dict | None:
    """A Vega-Lite line of the alert's `chart_metric`, or None (no metric, no rows, a value it cannot filter by)."""
    if alert.chart_metric is None:
        return None
    model = load_semantic_model()
    metric = model.metrics.get(alert.chart_metric)
    if metric is None:
        return None
    filters = () if alert.dimension in ("total", "scope") or alert.value == "total" else (
        Filter(alert.dimension, (alert.value,)),)
    start, end = chart_range(alert.start, alert.end)
    try:
        sql = _daily_query(alert.chart_metric, start, end, filters).sql(dialect="duckdb")
    except ValueError:  # a dimension the metric's table lacks
        return None
    rows = executor.run_sql(sql, scope=scope, max_rows=settings.max_rows).rows
    points = [((d.date() if isinstance(d, datetime) else d), float(v)) for d, v in rows if v is not None]
    where = "" if not filters else f" of {alert.dimension} {alert.value}"
    return alert_line(points, f"{metric.label.capitalize()}{where}, by day", metric.unit, alert.start.isoformat())
