"""What is open on a day: anomalies, budgets, unit-cost ceilings, idle GPUs and billing gaps, as `Alert`s.

An alert is one incident, identified by its kind, subject, dimension, value and
start day (`Alert.id`); its figure comes first, then its likely cause. What is
open as of `as_of` (exclusive, like every window here):

- `anomaly`: anomalies of the last RECENT_DAYS (`find_anomalies` over LOOKBACK_DAYS
  and still running or ended within RECENT_DAYS), impact = the anomaly's.
- `budget`: monthly budgets of as_of's month that are over, or projected over
  (`budget_outlook`), and in the first CLOSED_DAYS of a month those of the month
  that just closed over budget; impact = projected (or final) spend − budget.
- `ceiling`: cost per request of a team, feature or model over its
  `budgets.max_cost_per_request_usd` on every day of a run that reaches the last
  day of data; impact = the excess over the ceiling, summed over the run.
- `idle_gpu`: a cluster whose idle GPU cost a day (node-days with no deployment
  or under FINOPS_IDLE_GPU_UTIL_PCT, at cost x (1 − utilization)) stays above
  `idle_gpu_min_usd_per_day` in a run that reaches the last day; impact = that cost.
- `reconciliation`: last month's tracked vs billed LLM spend per provider off by
  `reconciliation_min_pct` or more; impact = the gap's size.

Nothing here posts or remembers anything (`state.py` and `plan.py` do).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING

from assistant.analysis.savings import bind
from assistant.present.numbers import money

if TYPE_CHECKING:
    from assistant.alerts.config import AlertsConfig
    from assistant.analysis.detection import Anomaly
    from warehouse.executor import Executor
    from warehouse.scope import Scope
    from warehouse.settings import Settings

LOOKBACK_DAYS = 30  # anomalies are scanned over this many days before as_of
RECENT_DAYS = 7  # an anomaly that ended longer ago than this is closed
CLOSED_DAYS = 7  # a month that closed over budget is alerted this many days into the next
RUN_DAYS = 90  # ceilings and idle GPUs: how far back a run may have started


@dataclass(frozen=True)
class Alert:
    """One open incident: what, where, since when, how much, and in words (figure first, then cause)."""

    kind: str  # one of config.ALERT_KINDS
    subject: str  # the metric (or budget_<metric>)
    dimension: str
    value: str
    start: date
    end: date  # exclusive: the day after the last day it was seen
    impact_usd: float
    figure: str
    cause: str
    question: str  # what the "Ask about it" button asks
    stage: str = "open"  # budget: projected, breached or closed; a change of stage is news
    chart_metric: str | None = None  # a semantic-model metric to draw day by day, filtered to dimension=value

    @property
    def key(self) -> str:
        return f"{self.kind}:{self.subject}:{self.dimension}={self.value}"

    @property
    def id(self) -> str:
        return f"{self.key}:{self.start.isoformat()}"

    @property
    def text(self) -> str:
        return f"{self.figure}\n{self.cause}" if self.cause else self.figure


def open_alerts(executor: Executor, settings: Settings, *, as_of: date, config: AlertsConfig,
                kinds: tuple[str, ...], scope: Scope | None = None) -> list[Alert]:
    """Every open alert of `kinds` the rows of `scope` show, largest impact first."""
    tables = set(executor.schema())
    found: list[Alert] = []
    if "anomaly" in kinds:
        found += anomaly_alerts(executor, settings, as_of=as_of, scope=scope)
    if "budget" in kinds and "budgets" in tables:
        found += budget_alerts(executor, settings, as_of=as_of, scope=scope)
    if "ceiling" in kinds and {"budgets", "llm_requests"} <= tables:
        found += ceiling_alerts(executor, settings, as_of=as_of, scope=scope)
    if "idle_gpu" in kinds and "gpu_usage" in tables:
        found += idle_gpu_alerts(executor, settings, as_of=as_of, scope=scope, min_usd=config.idle_gpu_min_usd_per_day)
    if "reconciliation" in kinds and "llm_requests" in tables:
        found += reconciliation_alerts(executor, settings, as_of=as_of, scope=scope, min_pct=config.reconciliation_min_pct)
    return sorted(found, key=lambda a: (-abs(a.impact_usd), a.id))


def _day(value: date | datetime) -> date:
    return value.date() if isinstance(value, datetime) else value


def _since(start: date, end: date) -> str:
    last = end - timedelta(days=1)
    return f"on {start:%b} {start.day}" if last == start else f"since {start:%b} {start.day}"


# ---------------------------------------------------------------- anomalies


def anomaly_alerts(executor: Executor, settings: Settings, *, as_of: date, scope: Scope | None) -> list[Alert]:
    from assistant.analysis.anomalies import find_anomalies

    found = find_anomalies(executor, settings, as_of=as_of, days=LOOKBACK_DAYS, scope=scope)
    return [anomaly_alert(a) for a in found if a.end > as_of - timedelta(days=RECENT_DAYS)]


def anomaly_alert(a: Anomaly) -> Alert:
    """An anomaly as an alert: '+$367 inference cost of feature contract-review since Sep 28 (+89%)'."""
    from assistant.analysis.anomaly_text import UNIT_FORMATS, cause_words
    from assistant.semantic import load_semantic_model

    metrics = load_semantic_model().metrics
    label = metrics[a.metric].label if a.metric in metrics else a.metric
    when = _since(a.start, a.end)
    kind = a.kind.replace("_", " ")
    figure = (f"*{money(a.impact_usd, compact=True, sign=True)}* {label} of {a.dimension} *{a.value}* {when} "
              f"({kind}, {a.impact_pct:+.0f}%)")
    if a.metric in UNIT_FORMATS:
        figure += ": " + UNIT_FORMATS[a.metric].format(a.actual, a.expected)
    elif a.metric == "error_rate":
        figure += f": {a.actual * 100:.1f}% vs {a.expected * 100:.1f}% expected"
    parts = [f"Likely cause: {cause_words(a)}."] if a.cause else []
    named = [f"{c.dimension} {c.value}" for c in a.root_causes[:3] if (c.dimension, c.value) != (a.dimension, a.value)]
    if named:
        parts.append("Where: " + ", ".join(named) + ".")
    question = f"why did {label} of {a.dimension} {a.value} change {when}?"
    return Alert("anomaly", a.metric, a.dimension, str(a.value), a.start, a.end, a.impact_usd, figure, " ".join(parts),
                 question, chart_metric=a.metric if a.metric in metrics else None)


# ---------------------------------------------------------------- budgets


def budget_alerts(executor: Executor, settings: Settings, *, as_of: date, scope: Scope | None) -> list[Alert]:
    from assistant.analysis.forecast import budget_outlook, month_of

    start, elapsed, _ = month_of(as_of)
    found = [(o, False) for o in budget_outlook(executor, settings, as_of=as_of, scope=scope)]
    if 0 < elapsed <= CLOSED_DAYS:  # the month that just closed
        found += [(o, True) for o in budget_outlook(executor, settings, as_of=start, scope=scope)]
    alerts = []
    for outlook, closed in found:
        if outlook.projected <= outlook.budget and not outlook.over_budget:
            continue
        assert outlook.month_end is not None and outlook.as_of is not None  # budget_outlook sets both
        month = outlook.month_end.replace(day=1)
        stage = "closed" if closed else "breached" if outlook.over_budget else "projected"
        value = outlook.scope_value or "total"
        if stage == "closed":
            figure = (f"*{money(outlook.spent, compact=True)}* spent on the {outlook.name} in {month:%B %Y}, "
                      f"over its {money(outlook.budget, compact=True)} by {money(outlook.spent - outlook.budget, compact=True)}")
        elif stage == "breached":
            figure = (f"*{money(outlook.spent, compact=True)}* spent on the {outlook.name} so far in {month:%B}, "
                      f"over its {money(outlook.budget, compact=True)}; projected {money(outlook.projected, compact=True)}")
        else:
            figure = (f"*{money(outlook.projected, compact=True)}* projected for the {outlook.name} in {month:%B}, "
                      f"over its {money(outlook.budget, compact=True)} ({money(outlook.spent, compact=True)} so far)")
        cause = (f"At this pace it runs out on {outlook.runs_out_on:%b} {outlook.runs_out_on.day}."
                 if outlook.runs_out_on and stage == "projected" else "")
        question = f"why did {outlook.name.removesuffix(' budget')} change in {month:%B %Y}?"
        alerts.append(Alert("budget", f"budget_{outlook.metric}", outlook.scope, value, month, outlook.as_of,
                            max(outlook.projected, outlook.spent) - outlook.budget, figure, cause, question, stage,
                            chart_metric=outlook.metric))
    return alerts


# ---------------------------------------------------------------- unit-cost ceilings and idle GPUs

_CEILING_DAYS = """
WITH ceilings AS (
  SELECT DISTINCT scope, scope_value, max_cost_per_request_usd AS ceiling
  FROM budgets
  WHERE max_cost_per_request_usd IS NOT NULL AND scope IN ('team', 'feature', 'model')
), daily AS (
  SELECT 'team' AS scope, team AS scope_value, CAST(date_trunc('day', ts) AS DATE) AS day, count(*) AS requests,
         sum(cost_usd) AS cost
  FROM llm_requests WHERE ts >= :start AND ts < :end GROUP BY 1, 2, 3
  UNION ALL
  SELECT 'feature', feature, CAST(date_trunc('day', ts) AS DATE), count(*), sum(cost_usd)
  FROM llm_requests WHERE ts >= :start AND ts < :end GROUP BY 1, 2, 3
  UNION ALL
  SELECT 'model', model, CAST(date_trunc('day', ts) AS DATE), count(*), sum(cost_usd)
  FROM llm_requests WHERE ts >= :start AND ts < :end GROUP BY 1, 2, 3
)
SELECT c.scope, c.scope_value, c.ceiling, d.day, d.requests, d.cost
FROM ceilings AS c JOIN daily AS d ON d.scope = c.scope AND d.scope_value = c.scope_value
ORDER BY c.scope, c.scope_value, d.day
"""

_IDLE_DAYS = """
WITH cells AS (
  SELECT cluster, node_id, deployment, CAST(date_trunc('day', hour) AS DATE) AS day,
         sum(cost_usd * (1 - coalesce(gpu_util_pct, 0) / 100)) AS idle_cost,
         sum(gpu_util_pct * cost_usd) / nullif(sum(cost_usd), 0) AS utilization
  FROM gpu_usage WHERE hour >= :start AND hour < :end
  GROUP BY cluster, node_id, deployment, CAST(date_trunc('day', hour) AS DATE)
)
SELECT cluster, day,
       coalesce(sum(idle_cost) FILTER (WHERE deployment IS NULL OR utilization < :idle), 0) AS idle_cost,
       count(DISTINCT node_id) FILTER (WHERE deployment IS NULL OR utilization < :idle) AS nodes
FROM cells
GROUP BY cluster, day
ORDER BY cluster, day
"""


def _rows(executor: Executor, settings: Settings, scope: Scope | None, template: str, **values: object) -> list[dict]:
    result = executor.run_sql(bind(template, **values), scope=scope, max_rows=max(settings.max_rows, 100_000))
    return [dict(zip(result.columns, row)) for row in result.rows]


def current_run(days: list[tuple[date, bool]], last_day: date) -> tuple[date, date] | None:
    """[start, end) of the days in a row that are over, ending on `last_day`; None when that day is not over.

    >>> d = [(date(2026, 10, n), over) for n, over in ((1, True), (2, False), (3, True), (4, True))]
    >>> current_run(d, date(2026, 10, 4)), current_run(d, date(2026, 10, 5))
    ((datetime.date(2026, 10, 3), datetime.date(2026, 10, 5)), None)
    """
    over = {day for day, flag in days if flag}
    if last_day not in over:
        return None
    start = last_day
    while start - timedelta(days=1) in over:
        start -= timedelta(days=1)
    return start, last_day + timedelta(days=1)


def ceiling_alerts(executor: Executor, settings: Settings, *, as_of: date, scope: Scope | None) -> list[Alert]:
    rows = _rows(executor, settings, scope, _CEILING_DAYS, start=as_of - timedelta(days=RUN_DAYS), end=as_of)
    groups: dict[tuple, list[dict]] = {}
    for row in rows:
        groups.setdefault((row["scope"], row["scope_value"], row["ceiling"]), []).append(row)
    alerts = []
    for (dimension, value, ceiling), days in groups.items():
        last = max(_day(r["day"]) for r in days)
        run = current_run([(_day(r["day"]), (r["cost"] or 0.0) > ceiling * r["requests"]) for r in days], last)
        if run is None or value is None:
            continue
        inside = [r for r in days if run[0] <= _day(r["day"]) < run[1]]
        requests, cost = sum(r["requests"] for r in inside), sum(r["cost"] or 0.0 for r in inside)
        figure = (f"*${cost / requests:,.4f}* per request for {dimension} *{value}* {_since(*run)}, over its "
                  f"${ceiling:,.4f} ceiling ({money(cost - ceiling * requests, compact=True, sign=True)} over "
                  f"{requests:,} requests)")
        question = f"why did cost per request of {dimension} {value} change {_since(*run)}?"
        alerts.append(Alert("ceiling", "cost_per_request", dimension, str(value), run[0], run[1],
                            cost - ceiling * requests, figure, "", question, chart_metric="cost_per_request"))
    return alerts


def idle_gpu_alerts(executor: Executor, settings: Settings, *, as_of: date, scope: Scope | None,
                    min_usd: float) -> list[Alert]:
    rows = _rows(executor, settings, scope, _IDLE_DAYS, start=as_of - timedelta(days=RUN_DAYS), end=as_of,
                 idle=settings.idle_gpu_util_pct)
    groups: dict[str, list[dict]] = {}
    for row in rows:
        groups.setdefault(row["cluster"], []).append(row)
    alerts = []
    for cluster, days in groups.items():
        last = max(_day(r["day"]) for r in days)
        run = current_run([(_day(r["day"]), (r["idle_cost"] or 0.0) > min_usd) for r in days], last)
        if run is None or cluster is None:
            continue
        inside = [r for r in days if run[0] <= _day(r["day"]) < run[1]]
        idle, nodes = sum(r["idle_cost"] or 0.0 for r in inside), max(r["nodes"] for r in inside)
        per_day = idle / len(inside)
        figure = (f"*{money(idle, compact=True)}* of idle GPU capacity in cluster *{cluster}* {_since(*run)} "
                  f"({money(per_day, compact=True)} a day, up to {nodes} node{'s' if nodes != 1 else ''} with no "
                  f"deployment or under {settings.idle_gpu_util_pct:g}% utilization)")
        alerts.append(Alert("idle_gpu", "idle_gpu_cost", "cluster", str(cluster), run[0], run[1], idle, figure,
                            "", f"idle gpu cost by node in cluster {cluster} {_since(*run)}",
                            chart_metric="idle_gpu_cost"))
    return alerts


# ---------------------------------------------------------------- tracked vs billed


def reconciliation_alerts(executor: Executor, settings: Settings, *, as_of: date, scope: Scope | None,
                          min_pct: float) -> list[Alert]:
    from assistant.analysis.reconciliation import last_month, reconcile

    window = last_month(as_of)
    result = reconcile(executor, settings, window, scope=scope)
    alerts = []
    for line in result.compared:
        gap, pct = line.variance_usd, line.variance_pct
        if gap is None or pct is None or abs(pct) < min_pct:
            continue
        figure = (f"*{money(gap, compact=True, sign=True)}* tracked vs billed for *{line.provider}* in "
                  f"{window.start:%B %Y} ({pct:+.1f}%: {money(line.tracked_usd or 0.0, compact=True)} logged, "
                  f"{money(line.billed_usd or 0.0, compact=True)} billed)")
        causes = [c.text for c in result.causes if c.provider == line.provider][:2]
        alerts.append(Alert("reconciliation", "tracked_vs_billed", "provider", line.provider, window.start, window.end,
                            abs(gap), figure, ("Likely: " + " ".join(causes)) if causes else "",
                            f"reconcile {line.provider} spend for {window.start:%B %Y}"))
    return alerts
