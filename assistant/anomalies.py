"""Anomalies in daily cost series, reported the way AWS Cost Anomaly Detection does.

One guarded query per table reads the daily measures of every combination of
the table's dimensions (billing: service, account, region; llm_requests:
feature, model, team; gpu_usage: deployment, cluster). numpy adds the
combinations up into one series per dimension value and scans every series day
by day (`scan`): the expected value is the median of the same weekday in the
previous four weeks, the noise the MAD of week-over-week changes, and a day is
anomalous when it is off by a robust z of 3.5, by `anomaly_min_pct` percent
and, for dollars, by `anomaly_min_usd`. Anomalous days are replaced by their
expected value in the history, so a step that persists stays anomalous. Runs of
days become spikes, level shifts, creeps, new or removed cost; a slow creep
that no single day shows is caught by comparing the last two weeks with the
four before them. Anomalies of one incident seen through several series (a
feature and its model) are merged, and the combinations' excess names the
root causes.

>>> anomalies_json([], date(2026, 11, 23))
{'as_of': '2026-11-23', 'anomalies': []}
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, replace
from datetime import date, timedelta

import numpy as np
import sqlglot
from sqlglot import exp

from assistant.narrate import money
from assistant.semantic import load_semantic_model
from warehouse.guard import validate_sql

WEEKS = 4  # weeks of same-weekday history behind each expected value
MIN_WEEKS = 2  # a day is judged once this many same weekdays precede it
HISTORY_DAYS = 7 * WEEKS
Z_MIN = 3.5
CREEP_DAYS, CREEP_BASE_DAYS = 14, 28
MAX_COMBOS = 50_000
KINDS = ("spike", "level_shift", "creep", "new", "removed")


@dataclass(frozen=True)
class RootCause:
    dimension: str
    value: str | None
    impact_usd: float


@dataclass(frozen=True)
class Anomaly:
    metric: str
    dimension: str
    value: str | None
    start: date
    end: date  # exclusive
    expected: float  # total over [start, end); for error_rate, the rate over those days
    actual: float
    impact_usd: float
    impact_pct: float  # of expected; 100 for new cost
    score: float  # the largest robust z of its days, capped at 100
    kind: str
    root_causes: tuple[RootCause, ...] = ()


@dataclass(frozen=True)
class _Source:
    """One table's query: its dimensions, additive measures, and the metrics built on them."""

    table: str
    dimensions: tuple[str, ...]
    measures: tuple[str, ...]
    metrics: tuple[str, ...]
    usage_only: bool = False


SOURCES = (
    _Source("billing", ("service", "account", "region"), ("cost",), ("cost",), usage_only=True),
    _Source("llm_requests", ("feature", "model", "team"), ("inference_cost", "requests", "errors"),
            ("inference_cost", "requests", "error_rate")),
    _Source("gpu_usage", ("deployment", "cluster"), ("gpu_cost", "idle_gpu_cost"), ("gpu_cost", "idle_gpu_cost")),
)
NULL_LABELS = {("gpu_usage", "deployment"): "unallocated"}
# metric -> (measure it is scanned on, denominator for a rate, measure its dollars come from)
METRIC_MEASURES = {
    "cost": ("cost", None, "cost"),
    "inference_cost": ("inference_cost", None, "inference_cost"),
    "requests": ("requests", None, "inference_cost"),
    "error_rate": ("errors", "requests", "inference_cost"),
    "gpu_cost": ("gpu_cost", None, "gpu_cost"),
    "idle_gpu_cost": ("idle_gpu_cost", None, "idle_gpu_cost"),
}
_LIST = sqlglot.parse_one("LIST(value ORDER BY day)", read="duckdb")


# ---------------------------------------------------------------- detection core


@dataclass(frozen=True)
class Scan:
    """Per series and day: the expected value, the robust z, and whether the day is anomalous."""

    expected: np.ndarray
    z: np.ndarray
    flagged: np.ndarray


def scan(x: np.ndarray, *, min_abs: float, min_pct: float, weights: np.ndarray | None = None) -> Scan:
    """Judge every day of every row of `x` (series x days; NaN = no data) against its weekly history.

    `weights` (request counts) make `x` a rate whose noise is at least binomial;
    without them a count-like series is floored at 1% of its expected value.

    >>> week = [100, 100, 100, 100, 100, 40, 40]
    >>> s = scan(np.array([week * 4 + [100, 400, 100]], float), min_abs=50, min_pct=25)
    >>> np.flatnonzero(s.flagged[0]).tolist(), float(s.expected[0, 29])
    ([29], 100.0)
    """
    x = np.atleast_2d(np.asarray(x, dtype=float))
    rows, days = x.shape
    clean = x.copy()
    expected = np.full_like(x, np.nan)
    z = np.zeros_like(x)
    flagged = np.zeros(x.shape, dtype=bool)
    state = np.zeros(rows)
    for t in range(7 * MIN_WEEKS, days):
        lags = [t - 7 * k for k in range(1, WEEKS + 1) if t - 7 * k >= 0]
        history = clean[:, lags]
        known = np.isfinite(history).sum(axis=1) >= MIN_WEEKS
        with np.errstate(all="ignore"), warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            e = np.where(known, np.nanmedian(np.where(known[:, None], history, 0.0), axis=1), np.nan)
            lo = max(7, t - HISTORY_DAYS)
            diffs = clean[:, lo:t] - clean[:, lo - 7:t - 7]
            diffs = diffs - np.nanmedian(diffs, axis=1, keepdims=True)
            mad = np.nan_to_num(np.nanmedian(np.abs(diffs), axis=1)) * 1.4826 / np.sqrt(2)
            floor = 0.01 * np.abs(e)
            if weights is not None:
                floor = np.maximum(floor, np.sqrt(np.clip(e * (1 - e), 1e-6, None) / np.maximum(weights[:, t], 1)))
            scale = np.maximum(mad, np.nan_to_num(floor))
            dev = x[:, t] - e
            zt = np.where(scale > 0, np.abs(dev) / scale, np.where(np.abs(dev) > 0, np.inf, 0.0))
            pct = np.where(e != 0, np.abs(dev) / np.abs(e), np.where(np.abs(dev) > 0, np.inf, 0.0)) * 100
        ok = np.isfinite(dev)
        strict = ok & (zt >= Z_MIN) & (pct >= min_pct) & (np.abs(dev) >= min_abs)
        lenient = ok & (state != 0) & (np.sign(dev) == state) & (zt >= Z_MIN / 2) & (pct >= min_pct / 2)
        flag = strict | lenient
        state = np.where(flag, np.sign(np.nan_to_num(dev)), 0.0)
        expected[:, t], z[:, t], flagged[:, t] = e, np.where(ok, zt, 0.0), flag
        clean[flag, t] = e[flag]
    return Scan(expected, z, flagged)


def runs(flags: np.ndarray, signs: np.ndarray) -> list[tuple[int, int]]:
    """[start, end) of each stretch of flagged days whose deviation keeps one sign.

    >>> runs(np.array([0, 1, 1, 0, 1, 1], bool), np.array([1, 1, 1, 1, 1, -1.0]))
    [(1, 3), (4, 5), (5, 6)]
    """
    out: list[tuple[int, int]] = []
    start = None
    for t, flag in enumerate(flags):
        if start is not None and (not flag or signs[t] != signs[start]):
            out.append((start, t))
            start = None
        if flag and start is None:
            start = t
    if start is not None:
        out.append((start, len(flags)))
    return out


def classify(actual: np.ndarray, expected: np.ndarray) -> str:
    """What a run of anomalous days looks like: spike, level_shift, creep, new or removed."""
    total, base = float(np.sum(actual)), float(np.sum(expected))
    if total > base and base <= 0.05 * total:
        return "new"
    if total < base and total <= 0.05 * base:
        return "removed"
    if len(actual) <= 3:
        return "spike"
    if len(actual) >= 7:
        with np.errstate(all="ignore"):
            ratio = actual / np.where(expected > 0, expected, np.nan)
        ok = np.isfinite(ratio)
        if ok.sum() >= 7:
            t = np.flatnonzero(ok).astype(float)
            slope, _ = np.polyfit(t, ratio[ok], 1)
            rise = slope * (t[-1] - t[0])
            level = abs(float(np.mean(ratio[ok])) - 1)
            if np.corrcoef(t, ratio[ok])[0, 1] * np.sign(slope) >= 0.6 and abs(rise) >= level:
                return "creep"
    return "level_shift"


def slow_creep(x: np.ndarray, min_abs: float, min_pct: float) -> tuple[float, float, float] | None:
    """(expected, actual, z) of the last 14 days against the same weekdays of the 28 before, if it crept up.

    >>> rising = 100 * 1.012 ** np.arange(42)
    >>> round(slow_creep(rising, 20, 25)[1] / slow_creep(rising, 20, 25)[0], 2)
    1.28
    """
    if len(x) < CREEP_DAYS + CREEP_BASE_DAYS or not np.all(np.isfinite(x[-CREEP_DAYS - CREEP_BASE_DAYS:])):
        return None
    base = x[-CREEP_DAYS - CREEP_BASE_DAYS:-CREEP_DAYS].reshape(4, 7).mean(axis=0)
    expected, actual = float(np.tile(base, 2).sum()), float(x[-CREEP_DAYS:].sum())
    weekly = x[-CREEP_DAYS - CREEP_BASE_DAYS:].reshape(6, 7).sum(axis=1)
    steady = np.all(np.diff(weekly) > 0) or np.corrcoef(np.arange(6), weekly)[0, 1] >= 0.95
    spread = np.std(x[-CREEP_DAYS - CREEP_BASE_DAYS:-CREEP_DAYS].reshape(4, 7), axis=0).mean() + 0.01 * base.mean()
    z = (actual - expected) / (spread * np.sqrt(CREEP_DAYS))
    if (steady and expected > 0 and actual - expected >= min_abs * CREEP_DAYS
            and (actual / expected - 1) * 100 >= min_pct and z >= Z_MIN):
        return expected, actual, float(z)
    return None


def detect(values, first_day: date, *, min_usd: float, min_pct: float, metric: str = "cost",
           dimension: str = "series", value: str | None = None) -> list[Anomaly]:
    """The anomalies of one daily dollar series starting on `first_day` (no root causes)."""
    x = np.asarray(values, dtype=float)[None, :]
    result = scan(x, min_abs=min_usd, min_pct=min_pct)
    found = _series_anomalies(x[0], result.expected[0], result.z[0], result.flagged[0], min_usd, min_pct)
    return [_anomaly(metric, dimension, value, first_day, run, None, None) for run in found]


def _series_anomalies(x, e, z, flags, min_abs, min_pct, check_creep=True):
    """(start, end, kind, expected, actual, score) of each anomaly of one series."""
    out = []
    for a, b in runs(flags, np.sign(np.nan_to_num(x - e))):
        out.append((a, b, classify(x[a:b], e[a:b]), float(np.sum(e[a:b])), float(np.sum(x[a:b])),
                    float(min(np.max(z[a:b]), 100.0))))
    recent = len(x) - CREEP_DAYS
    if check_creep and not any(b > recent for _, b, *_ in out):
        crept = slow_creep(x, min_abs, min_pct)
        if crept:
            out.append((recent, len(x), "creep", crept[0], crept[1], min(crept[2], 100.0)))
    return out


def _anomaly(metric, dimension, value, first_day, run, dollars_per_unit, roots) -> Anomaly:
    a, b, kind, expected, actual, score = run
    impact = actual - expected
    pct = 100.0 * impact / expected if expected > 0 else 100.0
    impact_usd = impact * dollars_per_unit if dollars_per_unit is not None else impact
    return Anomaly(metric, dimension, value, first_day + timedelta(days=a), first_day + timedelta(days=b),
                   round(expected, 6), round(actual, 6), round(impact_usd, 2), round(pct, 1), round(score, 1),
                   kind, tuple(roots or ()))


# ---------------------------------------------------------------- reading the warehouse


@dataclass(frozen=True)
class _Cube:
    """Daily measures of every dimension combination of one table, over the scanned range."""

    source: _Source
    labels: list[tuple]  # per combination, its value of each dimension
    measures: dict[str, np.ndarray]  # measure -> combinations x days (NaN outside the table's data)


def _measure_expressions(model) -> dict[str, exp.Expression]:
    error_rate = model.metrics["error_rate"].expression
    errors = error_rate.this if isinstance(error_rate, exp.Div) else sqlglot.parse_one("COUNT_IF(status <> 'ok')")
    names = ("cost", "inference_cost", "requests", "gpu_cost", "idle_gpu_cost")
    return {**{name: model.metrics[name].expression for name in names}, "errors": errors}


def _cube_sql(source: _Source, model, start: date, end: date) -> str:
    time = exp.column(model.time_column(source.table))
    day = exp.cast(exp.func("date_trunc", exp.Literal.string("day"), time), "DATE")
    dims = []
    for i, name in enumerate(source.dimensions):
        column = model.dimensions[name].columns[source.table].copy()
        label = NULL_LABELS.get((source.table, name))
        dims.append(exp.alias_(exp.func("coalesce", column, exp.Literal.string(label)) if label else column, f"d{i}"))
    expressions = _measure_expressions(model)
    measures = [exp.alias_(expressions[m].copy(), f"m{j}") for j, m in enumerate(source.measures)]
    where = exp.and_(
        exp.GTE(this=time.copy(), expression=exp.cast(exp.Literal.string(start.isoformat()), "TIMESTAMP")),
        exp.LT(this=time.copy(), expression=exp.cast(exp.Literal.string(end.isoformat()), "TIMESTAMP")),
    )
    if source.usage_only:
        where = exp.and_(where, exp.EQ(this=exp.column("ChargeCategory"), expression=exp.Literal.string("Usage")))
    positions = [exp.Literal.number(i + 1) for i in range(len(dims) + 1)]
    daily = exp.select(exp.alias_(day, "day"), *dims, *measures).from_(source.table).where(where).group_by(*positions)

    def listed(name: str) -> exp.Expression:
        out = _LIST.copy()
        out.find(exp.Column).replace(exp.column(name))
        return exp.alias_(out, name)

    names = [f"d{i}" for i in range(len(dims))]
    query = (
        exp.select(*names, listed("day"), *[listed(f"m{j}") for j in range(len(measures))])
        .from_(daily.subquery("daily"))
        .group_by(*names)
        .order_by(exp.Ordered(this=exp.func("sum", exp.column("m0")), desc=True))
    )
    return query.sql(dialect="duckdb")


def _read_cube(executor, settings, source, model, start, end, scope) -> _Cube | None:
    sql = validate_sql(_cube_sql(source, model, start, end), schema=executor.schema(),
                       max_rows=MAX_COMBOS, scope=scope)
    rows = executor.query(sql).rows
    width = (end - start).days
    k = len(source.dimensions)
    if not rows:
        return None
    data = {m: np.zeros((len(rows), width)) for m in source.measures}
    seen = np.zeros(width, dtype=bool)
    for c, row in enumerate(rows):
        index = np.array([(d - start).days for d in row[k]], dtype=int)
        seen[index] = True
        for j, m in enumerate(source.measures):
            data[m][c, index] = np.array([np.nan if v is None else float(v) for v in row[k + 1 + j]])
    have = np.flatnonzero(seen)
    outside = np.ones(width, dtype=bool)
    outside[have[0]:have[-1] + 1] = False
    for m in source.measures:
        data[m] = np.nan_to_num(data[m])
        data[m][:, outside] = np.nan
    return _Cube(source, [tuple(row[:k]) for row in rows], data)


# ---------------------------------------------------------------- from series to incidents


@dataclass(frozen=True)
class _Found:
    anomaly: Anomaly
    row: int  # the series' row in the scan
    a: int
    b: int


def _cube_anomalies(cube: _Cube, settings, first_day: date, window_start: int) -> list[Anomaly]:
    source = cube.source
    combos = len(cube.labels)
    keys: list[tuple[str, str | None]] = []
    member_rows = []
    for i, name in enumerate(source.dimensions):
        for value in sorted({label[i] for label in cube.labels}, key=lambda v: (v is None, str(v))):
            keys.append((name, value))
            member_rows.append(np.array([label[i] == value for label in cube.labels]))
    members = np.vstack([np.eye(combos, dtype=bool), np.array(member_rows)])  # rows: combinations, then series
    stack = {m: members.astype(float) @ np.nan_to_num(v) + np.where(np.isnan(v).any(axis=0), np.nan, 0.0)
             for m, v in cube.measures.items()}
    out: list[Anomaly] = []
    for metric in source.metrics:
        measure, per, money_measure = METRIC_MEASURES[metric]
        dollars = metric in ("cost", "inference_cost", "gpu_cost", "idle_gpu_cost")
        x = stack[measure]
        weights = stack[per] if per else None
        with np.errstate(all="ignore"):
            series = x / np.where(weights > 0, weights, np.nan) if per else x
        result = scan(series, min_abs=settings.anomaly_min_usd if dollars else 0.0,
                      min_pct=settings.anomaly_min_pct, weights=weights)
        # The additive excess of each row and day, in the measure's own unit.
        expected_units = result.expected * weights if per else result.expected
        excess = np.nan_to_num(x - expected_units)
        found = []
        for r in range(combos, len(members)):
            for run in _series_anomalies(series[r], result.expected[r], result.z[r], result.flagged[r],
                                         settings.anomaly_min_usd if dollars else 0.0, settings.anomaly_min_pct,
                                         check_creep=dollars):
                a, b = run[0], run[1]
                if b <= window_start or (not dollars and run[2] in ("new", "removed")):
                    continue
                unit_usd = None if dollars else _unit_cost(stack[money_measure][r], stack["requests"][r], a)
                if per:  # a rate: totals are rates over the run, the impact is the excess count
                    n = np.nansum(weights[r, a:b])
                    run = (a, b, run[2], float(np.nansum(expected_units[r, a:b]) / n),
                           float(np.nansum(x[r, a:b]) / n), run[5])
                    unit_usd = unit_usd * n
                anomaly = _anomaly(metric, *keys[r - combos], first_day, run, unit_usd, None)
                found.append(_Found(anomaly, r, a, b))
        out += _merge(found, members, excess, cube, stack, metric, money_measure, dollars)
    return out


def _unit_cost(cost: np.ndarray, requests: np.ndarray, a: int) -> float:
    """Dollars per request of a series over the four weeks before day `a`."""
    lo = max(0, a - HISTORY_DAYS)
    spent, count = np.nansum(cost[lo:a]), np.nansum(requests[lo:a])
    return float(spent / count) if count else 0.0


def _merge(found: list[_Found], members, excess, cube, stack, metric, money_measure, dollars) -> list[Anomaly]:
    """One anomaly per incident: series whose excess lies in each other's combinations merge."""
    combos = len(cube.labels)
    found = sorted(found, key=lambda f: -abs(f.anomaly.impact_usd))
    taken = [False] * len(found)
    out = []
    for i, lead in enumerate(found):
        if taken[i]:
            continue
        group = [lead]
        taken[i] = True
        for j in range(i + 1, len(found)):
            other = found[j]
            lo, hi = max(lead.a, other.a), min(lead.b, other.b)
            if taken[j] or lo >= hi or other.anomaly.dimension == lead.anomaly.dimension:
                continue
            cells = excess[:combos, lo:hi].sum(axis=1)
            a_mask, b_mask = members[lead.row, :combos], members[other.row, :combos]
            shared = cells[a_mask & b_mask].sum()
            for own in (cells[a_mask].sum(), cells[b_mask].sum()):
                if own and shared / own >= 0.5:
                    group.append(other)
                    taken[j] = True
                    break
        top = max(abs(f.anomaly.impact_usd) for f in group)
        primary = min((f for f in group if abs(f.anomaly.impact_usd) >= 0.8 * top),
                      key=lambda f: members[f.row, :combos].sum())
        mask = np.any([members[f.row, :combos] for f in group], axis=0)
        a, b = primary.a, primary.b
        cells = excess[:combos, a:b].sum(axis=1) * mask
        if not dollars:  # excess requests or errors -> dollars at each combination's unit cost
            cells = cells * np.array([_unit_cost(stack[money_measure][c], stack["requests"][c], a)
                                      for c in range(combos)])
        out.append(_with_roots(primary.anomaly, cube, cells))
    return out


def _with_roots(anomaly: Anomaly, cube: _Cube, cells: np.ndarray) -> Anomaly:
    total = abs(float(cells.sum())) or float(np.abs(cells).sum()) or 1.0
    roots = []
    for i, name in enumerate(cube.source.dimensions):
        by_value: dict = {}
        for label, amount in zip(cube.labels, cells):
            by_value[label[i]] = by_value.get(label[i], 0.0) + float(amount)
        ranked = sorted(by_value.items(), key=lambda kv: -abs(kv[1]))[:3]
        roots += [RootCause(name, value, round(amount, 2)) for value, amount in ranked if abs(amount) >= 0.1 * total]
    roots.sort(key=lambda r: -abs(r.impact_usd))
    return replace(anomaly, root_causes=tuple(roots))


def find_anomalies(executor, settings, *, as_of: date, days: int = 30, scope=None) -> list[Anomaly]:
    """Anomalies that overlap [as_of - days, as_of), biggest dollar impact first."""
    model = load_semantic_model()
    start = as_of - timedelta(days=days + HISTORY_DAYS)
    found: list[Anomaly] = []
    for source in SOURCES:
        if source.table not in executor.schema():
            continue
        cube = _read_cube(executor, settings, source, model, start, as_of, scope)
        if cube is not None:
            found += _cube_anomalies(cube, settings, start, HISTORY_DAYS)
    return sorted(found, key=lambda a: (-abs(a.impact_usd), a.start, a.metric, a.dimension, str(a.value)))


# ---------------------------------------------------------------- output


def anomalies_json(anomalies: list[Anomaly], as_of: date) -> dict:
    """The JSON shape of `finops anomalies --json` and of `Answer.anomalies`."""
    keys = ("metric", "dimension", "value", "expected", "actual", "impact_usd", "impact_pct", "score", "kind")
    return {
        "as_of": as_of.isoformat(),
        "anomalies": [
            {**{k: getattr(a, k) for k in keys}, "start": a.start.isoformat(), "end": a.end.isoformat(),
             "root_causes": [{"dimension": r.dimension, "value": r.value, "impact_usd": r.impact_usd}
                             for r in a.root_causes]}
            for a in anomalies
        ],
    }


_VERBS = {"spike": "spiked", "level_shift": "stepped", "creep": "crept", "new": "appeared", "removed": "stopped"}


def narrate_anomalies(anomalies: list[Anomaly], as_of: date, days: int) -> str:
    """Markdown: how many anomalies, then one line each with dates, dollars, percent and root cause.

    >>> print(narrate_anomalies([], date(2026, 11, 23), 30))
    No anomalies in the last 30 days (2026-10-24 to 2026-11-22).
    """
    start, last = as_of - timedelta(days=days), as_of - timedelta(days=1)
    span = f"the last {days} days ({start.isoformat()} to {last.isoformat()})"
    if not anomalies:
        return f"No anomalies in {span}."
    labels = {name: metric.label for name, metric in load_semantic_model().metrics.items()}
    lines = [f"**{len(anomalies)} anomal{'y' if len(anomalies) == 1 else 'ies'}** in {span}, biggest first:"]
    for a in anomalies:
        end = a.end - timedelta(days=1)
        when = a.start.isoformat() if end == a.start else f"{a.start.isoformat()} to {end.isoformat()}"
        direction = "up" if a.actual >= a.expected else "down"
        verb = _VERBS[a.kind] + (f" {direction}" if a.kind in ("spike", "level_shift", "creep") else "")
        if a.metric == "error_rate":
            figures = f"{a.actual * 100:.1f}% vs {a.expected * 100:.1f}% expected"
        elif a.metric == "requests":
            figures = f"{a.actual:,.0f} vs {a.expected:,.0f} expected ({a.impact_pct:+.0f}%)"
        else:
            figures = f"{money(a.actual, compact=True)} vs {money(a.expected, compact=True)} expected"
            figures += "" if a.kind == "new" else f" ({a.impact_pct:+.0f}%)"
        causes = ", ".join(f"{r.dimension} {r.value} ({money(r.impact_usd, compact=True, sign=True)})"
                           for r in a.root_causes[:3])
        lines.append(
            f"- **{labels.get(a.metric, a.metric)}** of {a.dimension} **{a.value}** {verb}, {when}: "
            f"{money(a.impact_usd, compact=True, sign=True)}; {figures}" + (f"; root cause: {causes}" if causes else "")
        )
    return "\n".join(lines)
