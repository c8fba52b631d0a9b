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
anomalies are explained; the rest keep `cause=None`. The requests behind all the
inference-cost ones are read in one pass (`drivers.read_segments`) and each split
is done in memory; cloud and GPU costs (small tables) take a query each.

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

from assistant.analysis.drivers import FACTOR_WORDS, Segments, decompose, read_segments
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
    explained = [(i, a, COST_METRIC[a.metric], explained_window(a.start, a.end)) for i, a in enumerate(anomalies[:MAX_EXPLAINED])
                 if a.metric in COST_METRIC and a.value is not None]
    segments = _inference_segments(executor, settings, [w for _, _, m, w in explained if m == "inference_cost"], scope)
    for i, anomaly, metric, window in explained:
        try:
            report = decompose(executor, metric, window, settings=settings, scope=scope,
                               filters=(Filter(anomaly.dimension, (str(anomaly.value),)),), segments=segments)
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


def _inference_segments(executor: Executor, settings: Settings, windows: list[Window],
                        scope: Scope | None) -> Segments | None:
    """The requests of every window to explain, read in one pass (not one query per anomaly)."""
    if len(windows) < 2:
        return None
    starts = [d for w in windows for d in (w.start, w.compare_start) if d is not None]
    ends = [d for w in windows for d in (w.end, w.compare_end) if d is not None]
    try:
        return read_segments(executor, min(starts), max(ends), settings=settings, scope=scope)
    except FinopsError as error:  # a query limit: each anomaly is then read on its own
        log.info("explaining anomalies one by one: %s", error.user_message)
        return None
