"""Why an anomaly happened: the drivers' factor that moved its value's cost, from `decompose`.

Each anomaly of a dimension value (feature, model, team, service, cluster, ...)
is compared with as many days before it began (at most its last BASELINE_DAYS,
against the same weekdays before it began): its table's cost metric
(inference cost, cloud cost, GPU cost) restricted to that value is split into
the drivers' factors (`assistant.analysis.drivers`). The cause is the factor
that moved most in the anomaly's direction; for a unit cost (cost per request,
tokens per request, cost per 1M tokens) request volume cannot be the cause, so
it is left out. Retries (the change in cost of attempts after the first) are
the cause when they moved more than any factor. Only the MAX_EXPLAINED largest
anomalies are explained (one query each); the rest keep `cause=None`.

>>> pick_cause({"volume": 90.0, "tokens_per_request": 40.0, "price": -5.0}, 0.0, unit=True, up=True)
'tokens_per_request'
>>> pick_cause({"volume": 90.0, "tokens_per_request": 40.0}, 0.0, unit=False, up=True)
'volume'
"""

from __future__ import annotations

import logging
import math
from dataclasses import replace
from datetime import date, timedelta
from typing import TYPE_CHECKING

from assistant.analysis.drivers import FACTOR_WORDS, decompose
from assistant.query.plan import Filter
from assistant.query.window import Window
from warehouse.errors import FinopsError

if TYPE_CHECKING:
    from assistant.analysis.detection import Anomaly
    from warehouse.executor import Executor
    from warehouse.scope import Scope
    from warehouse.settings import Settings

log = logging.getLogger("finops")
BASELINE_DAYS = 14
MAX_EXPLAINED = 20
# An anomaly's metric -> the cost metric `decompose` splits for its table.
COST_METRIC = {
    "inference_cost": "inference_cost", "requests": "inference_cost", "error_rate": "inference_cost",
    "cost_per_request": "inference_cost", "tokens_per_request": "inference_cost", "cost_per_mtok": "inference_cost",
    "cost": "cost", "gpu_cost": "gpu_cost", "idle_gpu_cost": "gpu_cost",
}
UNIT_METRICS = ("cost_per_request", "tokens_per_request", "cost_per_mtok")
NOT_UNIT_CAUSES = ("volume", "new", "removed")
CAUSE_WORDS = {**FACTOR_WORDS, "retries": "retries"}


def pick_cause(factors: dict[str, float], retries: float, *, unit: bool, up: bool, errors: bool = False) -> str | None:
    """The factor that moved most in the anomaly's direction (volume never, for a unit cost), or retries
    (for error rate and request counts, already when they moved half as much as that factor).

    >>> pick_cause({"volume": 19.3, "tokens_per_request": -13.2}, 12.0, unit=False, up=True, errors=True)
    'retries'
    """
    sign = 1.0 if up else -1.0
    candidates = {f: v * sign for f, v in factors.items() if not (unit and f in NOT_UNIT_CAUSES) and v * sign > 0}
    if retries * sign > max(candidates.values(), default=0.0) * (0.5 if errors else 1.0):
        return "retries"
    return max(candidates, key=lambda f: candidates[f]) if candidates else None


def explained_window(start: date, end: date) -> Window:
    """The anomaly's last days (BASELINE_DAYS at most) and as many days before it began, on the same weekdays.

    >>> w = explained_window(date(2026, 10, 14), date(2026, 10, 16))
    >>> [d.isoformat() for d in (w.start, w.end, w.compare_start, w.compare_end)]
    ['2026-10-14', '2026-10-16', '2026-10-07', '2026-10-09']
    >>> w = explained_window(date(2026, 9, 22), date(2026, 11, 23))
    >>> [d.isoformat() for d in (w.start, w.end, w.compare_start, w.compare_end)]
    ['2026-11-09', '2026-11-23', '2026-09-07', '2026-09-21']
    """
    length = (end - start).days
    days, shift = min(length, BASELINE_DAYS), timedelta(days=7 * math.ceil(length / 7))
    first = end - timedelta(days=days)
    return Window("anomaly", first, end, first - shift, end - shift)


def explain_anomalies(executor: Executor, settings: Settings, anomalies: list[Anomaly], *,
                      scope: Scope | None = None) -> list[Anomaly]:
    """`anomalies` in the same order, the MAX_EXPLAINED largest with `cause` and `factors` filled in."""
    out = list(anomalies)
    for i, anomaly in enumerate(anomalies[:MAX_EXPLAINED]):
        metric = COST_METRIC.get(anomaly.metric)
        if metric is None or anomaly.value is None:
            continue
        window = explained_window(anomaly.start, anomaly.end)
        try:
            report = decompose(executor, metric, window, settings=settings, scope=scope,
                               filters=(Filter(anomaly.dimension, (str(anomaly.value),)),))
        except FinopsError as error:  # a dimension the table's split cannot filter by, a query limit
            log.info("no cause for the %s anomaly of %s %s: %s", anomaly.metric, anomaly.dimension, anomaly.value,
                     error.user_message)
            continue
        factors = {f.factor: f.impact_usd for f in report.factors}
        retries = next((f.impact_usd for f in report.informational if f.factor == "retries"), 0.0)
        cause = pick_cause(factors, retries, unit=anomaly.metric in UNIT_METRICS, up=anomaly.impact_usd >= 0,
                           errors=anomaly.metric in ("error_rate", "requests"))
        listed = sorted(factors.items(), key=lambda kv: -abs(kv[1])) + ([("retries", retries)] if retries else [])
        out[i] = replace(anomaly, cause=cause, factors=tuple((f, round(v, 2)) for f, v in listed))
    return out
