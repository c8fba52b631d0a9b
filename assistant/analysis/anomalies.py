"""Anomalies in daily cost series, reported the way AWS Cost Anomaly Detection does.

One guarded query per table reads the daily measures of every combination of
its dimensions (billing usage charges: service, account, region, plus the team
and feature tags for root causes; llm_requests: feature, model, team;
gpu_usage: deployment, cluster). numpy adds combinations up into one series per
dimension value and `scan`s every series day by day (`assistant.analysis.detection`):
expected is the median of the same weekday in the previous four weeks, noise the
MAD of week-over-week changes, and a day is anomalous when it is off by a robust
z of 3.5 (5 for requests and error rate), by `anomaly_min_pct` percent and, for
dollars, by `anomaly_min_usd` (three days in a row may share the z). Anomalous
days are replaced by their expected value in the history, so a step that
persists stays anomalous. Runs of days become spikes, level shifts, creeps, new
or removed cost; a creep too slow for any single day is caught by comparing the
last two weeks with the four before them. Series that show one incident (a
feature and its model; cost moving from one deployment to another) merge into
one anomaly, and the excess of the combinations names its root causes.

>>> anomalies_json([], date(2026, 11, 23))
{'as_of': '2026-11-23', 'anomalies': []}
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, timedelta
from typing import TYPE_CHECKING

import numpy as np
import sqlglot
from sqlglot import exp

from assistant.analysis.detection import (  # noqa: F401 - re-exported: `from assistant.analysis.anomalies import detect` etc.
    CREEP_BASE_DAYS,
    CREEP_DAYS,
    GAP_DAYS,
    HISTORY_DAYS,
    KINDS,
    MIN_WEEKS,
    WEEKS,
    Z_MIN,
    Z_MIN_UNPRICED,
    Anomaly,
    RootCause,
    Scan,
    _anomaly,
    classify,
    detect,
    runs,
    scan,
    series_runs,
    slow_creep,
)
from assistant.present.numbers import money
from assistant.query.render import time_between
from assistant.semantic import SemanticModel, load_semantic_model

if TYPE_CHECKING:
    from warehouse.executor import Executor
    from warehouse.scope import Scope
    from warehouse.settings import Settings

MAX_COMBOS = 50_000


@dataclass(frozen=True)
class _Source:
    """One table's query: series dimensions, extra root-cause dimensions, measures and metrics."""

    table: str
    dimensions: tuple[str, ...]
    measures: tuple[str, ...]
    metrics: tuple[str, ...]
    extra: tuple[str, ...] = ()
    usage_only: bool = False  # billing: credits, purchases and tax follow calendars, not usage


SOURCES = (
    _Source("billing", ("service", "account", "region"), ("cost",), ("cost",), ("feature", "team"), True),
    _Source("llm_requests", ("feature", "model", "team"), ("inference_cost", "requests", "errors"),
            ("inference_cost", "requests", "error_rate")),
    _Source("gpu_usage", ("deployment", "cluster"), ("gpu_cost", "idle_gpu_cost"), ("gpu_cost", "idle_gpu_cost")),
)
NULL_LABELS = {("gpu_usage", "deployment"): "unallocated"}
# metric -> (measure scanned, denominator making it a rate, measure its dollars come from)
METRIC_MEASURES = {
    "cost": ("cost", None, "cost"),
    "inference_cost": ("inference_cost", None, "inference_cost"),
    "requests": ("requests", None, "inference_cost"),
    "error_rate": ("errors", "requests", "inference_cost"),
    "gpu_cost": ("gpu_cost", None, "gpu_cost"),
    "idle_gpu_cost": ("idle_gpu_cost", None, "idle_gpu_cost"),
}
_LIST = sqlglot.parse_one("LIST(value ORDER BY day)", read="duckdb")


# ---------------------------------------------------------------- reading the warehouse


@dataclass(frozen=True)
class _Cube:
    """Daily measures of every dimension combination of one table over the scanned range."""

    source: _Source
    labels: list[tuple]  # per combination, its value of each dimension (series ones, then extra)
    measures: dict[str, np.ndarray]  # measure -> combinations x days (NaN outside the table's data)


def _measure_expressions(model: SemanticModel) -> dict[str, exp.Expr]:
    error_rate = model.metrics["error_rate"].expression
    errors = error_rate.this if isinstance(error_rate, exp.Div) else sqlglot.parse_one("COUNT_IF(status <> 'ok')")
    names = ("cost", "inference_cost", "requests", "gpu_cost", "idle_gpu_cost")
    return {**{name: model.metrics[name].expression for name in names}, "errors": errors}


def cube_sql(source: _Source, start: date, end: date) -> str:
    """One row per dimension combination: its days and each measure's daily values, as lists."""
    model = load_semantic_model()
    time = exp.column(model.timed_column(source.table))
    day = exp.cast(exp.func("date_trunc", exp.Literal.string("day"), time), "DATE")
    dims = []
    for i, name in enumerate(source.dimensions + source.extra):
        column = model.dimensions[name].columns[source.table].copy()
        label = NULL_LABELS.get((source.table, name))
        dims.append(exp.alias_(exp.func("coalesce", column, exp.Literal.string(label)) if label else column, f"d{i}"))
    expressions = _measure_expressions(model)
    measures = [exp.alias_(expressions[m].copy(), f"m{j}") for j, m in enumerate(source.measures)]
    where = time_between(time, start, end)
    if source.usage_only:
        where = exp.and_(where, exp.EQ(this=exp.column("ChargeCategory"), expression=exp.Literal.string("Usage")))
    positions = [exp.Literal.number(i + 1) for i in range(len(dims) + 1)]
    daily = exp.select(exp.alias_(day, "day"), *dims, *measures).from_(source.table).where(where).group_by(*positions)

    def listed(name: str) -> exp.Expr:
        out = _LIST.copy()
        column = out.find(exp.Column)
        assert column is not None  # _LIST is parsed from a constant that holds a column
        column.replace(exp.column(name))
        return exp.alias_(out, name)

    names = [f"d{i}" for i in range(len(dims))]
    return (
        exp.select(*names, listed("day"), *[listed(f"m{j}") for j in range(len(measures))])
        .from_(daily.subquery("daily"))
        .group_by(*names)
        .order_by(exp.Ordered(this=exp.func("sum", exp.column("m0")), desc=True))
        .sql(dialect="duckdb")
    )


def _read_cube(executor: Executor, source: _Source, start: date, end: date, scope: Scope | None) -> _Cube | None:
    rows = executor.run_sql(cube_sql(source, start, end), scope=scope, max_rows=MAX_COMBOS).rows  # the largest combinations first, should the result be cut
    if not rows:
        return None
    width, k = (end - start).days, len(source.dimensions + source.extra)
    data = {m: np.zeros((len(rows), width)) for m in source.measures}
    seen = np.zeros(width, dtype=bool)
    for c, row in enumerate(rows):
        index = np.array([(d - start).days for d in row[k]], dtype=int)
        seen[index] = True
        for j, m in enumerate(source.measures):
            data[m][c, index] = [0.0 if v is None else float(v) for v in row[k + 1 + j]]
    have = np.flatnonzero(seen)
    for m in source.measures:  # days before the table's first or after its last data are unknown
        data[m][:, :have[0]] = np.nan
        data[m][:, have[-1] + 1:] = np.nan
    return _Cube(source, [tuple(row[:k]) for row in rows], data)


# ---------------------------------------------------------------- from series to incidents


@dataclass(frozen=True)
class _Found:
    anomaly: Anomaly
    mask: np.ndarray  # the combinations of its series
    a: int
    b: int


@dataclass(frozen=True)
class _Rollup:
    """A cube's combinations and the series of each dimension value, measure by measure."""

    cube: _Cube
    names: tuple[str, ...]  # series dimensions, then extra ones
    codes: list[np.ndarray]  # per dimension, each combination's value as a small integer
    series: list[tuple[str, str | None, np.ndarray]]  # dimension, value, its combinations
    combos: dict[str, np.ndarray]  # measure -> combinations x days (0 where unknown)
    rolled: dict[str, np.ndarray]  # measure -> series x days (NaN on unknown days)
    unknown: np.ndarray  # NaN on days outside the table's data, else 0

    @classmethod
    def of(cls, cube: _Cube) -> _Rollup:
        names = cube.source.dimensions + cube.source.extra
        codes = [np.unique([str(label[i]) for label in cube.labels], return_inverse=True)[1] for i in range(len(names))]
        series = [(name, value, np.array([label[i] == value for label in cube.labels]))
                  for i, name in enumerate(cube.source.dimensions)
                  for value in sorted({label[i] for label in cube.labels}, key=lambda v: (v is None, str(v)))]
        masks = np.array([mask for *_, mask in series], dtype=float)
        unknown = np.where(np.isnan(next(iter(cube.measures.values()))).all(axis=0), np.nan, 0.0)
        combos = {m: np.nan_to_num(v) for m, v in cube.measures.items()}
        return cls(cube, names, codes, series, combos, {m: masks @ v + unknown for m, v in combos.items()}, unknown)


def _unit_cost(cost: np.ndarray, requests: np.ndarray, a: int, b: int) -> np.ndarray | float:
    """Dollars per request over the four weeks before day `a` and the days [a, b)."""
    lo = max(0, a - HISTORY_DAYS)
    spent, count = np.nansum(cost[..., lo:b], axis=-1), np.nansum(requests[..., lo:b], axis=-1)
    with np.errstate(all="ignore"):
        return np.where(count > 0, spent / np.where(count > 0, count, 1), 0.0)


def _metric_anomalies(data: _Rollup, metric: str, settings: Settings, first_day: date, window_start: int) -> list[Anomaly]:
    """The anomalies of one metric over a table's series, merged into incidents with root causes."""
    measure, per, priced_by = METRIC_MEASURES[metric]
    dollars = priced_by == measure
    min_abs, min_pct = (settings.anomaly_min_usd if dollars else 0.0), settings.anomaly_min_pct
    scans: dict[str, Scan] = {}
    values: dict[str, np.ndarray] = {}
    for key, table in (("combo", data.combos), ("series", data.rolled)):
        weights = table[per] + data.unknown if per else None
        with np.errstate(all="ignore"):
            values[key] = (table[measure] + data.unknown) / (
                np.where(weights > 0, weights, np.nan) if weights is not None else 1.0)
        scans[key] = scan(values[key], min_abs=min_abs, min_pct=min_pct,
                          z_min=Z_MIN if dollars else Z_MIN_UNPRICED, weights=weights)
    # Each combination's excess over its own expected value, per day, in the measure's unit.
    excess = np.nan_to_num(data.combos[measure] - scans["combo"].expected * (data.combos[per] if per else 1.0))
    s, found = scans["series"], []
    for r, (name, value, mask) in enumerate(data.series):
        for run in series_runs(values["series"][r], s.expected[r], s.z[r], s.flagged[r], min_abs, min_pct,
                               creep=dollars):
            a, b = run.a, run.b
            if b <= window_start or (not dollars and run.kind in ("new", "removed")):
                continue
            usd = 1.0
            if not dollars:  # price the excess at the cost per request of the combinations it lies in
                cells = np.abs(excess[mask, a:b].sum(axis=1))
                unit = _unit_cost(data.combos[priced_by][mask], data.combos["requests"][mask], a, b)
                usd = float(cells @ unit / cells.sum()) if cells.sum() else float(np.mean(unit))
            if per:  # a rate: the totals are its rates over the run, the impact is the excess count
                count = float(np.nansum(data.rolled[per][r, a:b]))
                run = replace(run, expected=float(np.nansum(s.expected[r, a:b] * data.rolled[per][r, a:b])) / count,
                              actual=float(np.nansum(data.rolled[measure][r, a:b])) / count)
                usd *= count
            found.append(_Found(_anomaly(metric, name, value, first_day, run, usd), mask, a, b))
    priced = None if dollars else (data.combos[priced_by], data.combos["requests"])
    return [_root_causes(group, data, excess, priced) for group in _incidents(found, excess, data.codes, data.names)]


def _incidents(found: list[_Found], excess: np.ndarray, codes: list[np.ndarray], names: tuple) -> list[list[_Found]]:
    """Groups of anomalies that show one incident, largest impact first; a group never holds two
    anomalies of one dimension going the same way (they are two incidents under a common parent)."""
    found = sorted(found, key=lambda f: -abs(f.anomaly.impact_usd))
    parent = list(range(len(found)))
    kinds = [{(f.anomaly.dimension, f.anomaly.impact_usd > 0)} for f in found]

    def root(i: int) -> int:
        while parent[i] != i:
            i = parent[i]
        return i

    for i, one in enumerate(found):
        for j in range(i + 1, len(found)):
            other, ri, rj = found[j], root(i), root(j)
            lo, hi = max(one.a, other.a), min(one.b, other.b)
            if ri != rj and lo < hi and not kinds[ri] & kinds[rj] and _related(
                    one, other, excess[:, lo:hi].sum(axis=1), codes, names):
                parent[rj] = ri
                kinds[ri] |= kinds[rj]
    groups: dict[int, list[_Found]] = {}
    for i, one in enumerate(found):
        groups.setdefault(root(i), []).append(one)
    return list(groups.values())


def _related(one: _Found, other: _Found, cells: np.ndarray, codes: list[np.ndarray], names: tuple) -> bool:
    """A parent and its child (most of one's excess lies in both), or cost moving between siblings."""
    own = (cells[one.mask].sum(), cells[other.mask].sum())
    if one.anomaly.dimension != other.anomaly.dimension:
        shared = cells[one.mask & other.mask].sum()
        return any(total and shared / total >= 0.5 for total in own)
    if abs(one.a - other.a) > 1 or own[0] * own[1] >= 0 or abs(own[0] + own[1]) > 0.5 * max(map(abs, own)):
        return False
    return any(_home(cells, one.mask, code) == _home(cells, other.mask, code) != -1
               for name, code in zip(names, codes) if name != one.anomaly.dimension)


def _home(cells: np.ndarray, mask: np.ndarray, code: np.ndarray) -> int:
    """The value (as its code) of a dimension that holds most of the excess of `mask`'s combinations, or -1."""
    by_value = np.bincount(code, weights=cells * mask)
    total = by_value.sum()
    best = int(np.argmax(by_value * np.sign(total)))
    return best if total and by_value[best] / total >= 0.5 else -1


def _root_causes(group: list[_Found], data: _Rollup, excess: np.ndarray,
                 unit: tuple[np.ndarray, np.ndarray] | None) -> Anomaly:
    """The group's most specific anomaly near its largest, with the dimension values that explain it."""
    top = abs(group[0].anomaly.impact_usd)
    primary = min((f for f in group if abs(f.anomaly.impact_usd) >= 0.8 * top),
                  key=lambda f: (f.mask.sum(), f.anomaly.impact_usd < 0))
    # Its own combinations, its children's and its siblings'; a parent would bring in other incidents.
    mask = np.any([f.mask for f in group if not np.all(f.mask >= primary.mask) or f is primary], axis=0)
    cells = excess[:, primary.a:primary.b].sum(axis=1) * mask
    if unit is not None:  # excess requests or errors, priced at each combination's cost per request
        cells = cells * _unit_cost(*unit, primary.a, primary.b)
    floor = 0.1 * max(abs(primary.anomaly.impact_usd), 1e-9)
    causes = []
    for i, name in enumerate(data.names):
        net: dict = {}
        gross: dict = {}
        for label, amount in zip(data.cube.labels, cells):
            net[label[i]] = net.get(label[i], 0.0) + float(amount)
            gross[label[i]] = gross.get(label[i], 0.0) + abs(float(amount))
        own = primary.anomaly.value if name == primary.anomaly.dimension else None
        named = [v for v in sorted(net, key=lambda v: -abs(net[v]))[:3]
                 if abs(net[v]) >= floor and (v is not None or name == primary.anomaly.dimension and own is None)]
        if not named:  # cost that moved inside one value (a cluster) nets out: still say where
            named = [v for v in sorted(gross, key=lambda v: -gross[v])[:1] if v is not None and gross[v] >= floor]
        causes += [RootCause(name, v, round(net[v], 2)) for v in named]
    causes.sort(key=lambda c: -abs(c.impact_usd))
    return replace(primary.anomaly, root_causes=tuple(causes))


def find_anomalies(executor: Executor, settings: Settings, *, as_of: date, days: int = 30,
                   scope: Scope | None = None) -> list[Anomaly]:
    """Anomalies that overlap [as_of - days, as_of), biggest dollar impact first."""
    start = as_of - timedelta(days=days + HISTORY_DAYS)
    found: list[Anomaly] = []
    tables = executor.schema()
    for source in SOURCES:
        if source.table in tables:
            cube = _read_cube(executor, source, start, as_of, scope)
            if cube is not None:
                data = _Rollup.of(cube)
                for metric in source.metrics:
                    found += _metric_anomalies(data, metric, settings, start, HISTORY_DAYS)
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
        verb = _VERBS[a.kind]
        if a.kind in ("spike", "level_shift", "creep"):
            verb += " up" if a.actual >= a.expected else " down"
        if a.metric == "error_rate":
            figures = f"{a.actual * 100:.1f}% vs {a.expected * 100:.1f}% expected"
        elif a.metric == "requests":
            figures = f"{a.actual:,.0f} requests vs {a.expected:,.0f} expected ({a.impact_pct:+.0f}%)"
        else:
            figures = f"{money(a.actual, compact=True)} vs {money(a.expected, compact=True)} expected"
            figures += "" if a.kind == "new" else f" ({a.impact_pct:+.0f}%)"
        causes = ", ".join(f"{c.dimension} {c.value} ({money(c.impact_usd, compact=True, sign=True)})"
                           for c in a.root_causes[:3])
        lines.append(
            f"- **{labels.get(a.metric, a.metric)}** of {a.dimension} **{a.value}** {verb}, {when}: "
            f"{money(a.impact_usd, compact=True, sign=True)}; {figures}"
            + (f"; root causes: {causes}" if causes else "")
        )
    return "\n".join(lines)
