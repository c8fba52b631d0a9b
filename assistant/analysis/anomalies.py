"""Anomalies in daily cost series, reported the way AWS Cost Anomaly Detection does.

One guarded query per table reads the daily measures of every combination of
its dimensions (billing usage charges: service, account, region, plus the team
and feature tags for root causes; llm_requests: feature, model, team;
gpu_usage: deployment, cluster). numpy adds combinations up into one series per
dimension value and `scan`s every series day by day (`assistant.analysis.detection`):
expected is the median of the same weekday in the previous four weeks, noise the
MAD of week-over-week changes, and a day is anomalous when it is off by a robust
z of 3.5 (5 for requests, error rate and unit costs), by `anomaly_min_pct`
percent and, for dollar totals, by the dollar floor (three days in a row may
share the z). The floor is `anomaly_min_usd` when set, else
`anomaly_min_share_pct` of the median daily total spend (`dollar_floor`). Unit
costs (cost per request, tokens per request, cost per 1M tokens) are rates
judged against their own history whatever the dollars; a run of them is kept
when its whole excess, priced, reaches the floor, and dropped when a dollar
anomaly of the same value and onset already tells it (`one_story`). Anomalous
days are replaced by their expected value in the history, so a step that
persists stays anomalous. Runs of days become spikes, level shifts, creeps, new
or removed cost; a creep too slow for any single day is caught by comparing the
last two weeks with the four before them. Series that show one incident (a
feature and its model; cost moving from one deployment to another) merge into
one anomaly, and the excess of the combinations names its root causes; the
largest are given a likely cause from the drivers' factors (`anomaly_causes`).

Its JSON and Markdown are `assistant.analysis.anomaly_text` (re-exported here).

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

from assistant.analysis.anomaly_text import (  # noqa: F401 - re-exported
    UNIT_FORMATS,
    anomalies_json,
    cause_words,
    narrate_anomalies,
)
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
    _Source("llm_requests", ("feature", "model", "team"), ("inference_cost", "requests", "errors", "tokens",
                                                       "input_tokens"),
            ("inference_cost", "requests", "error_rate", "cost_per_request", "tokens_per_request", "cost_per_mtok")),
    _Source("gpu_usage", ("deployment", "cluster"), ("gpu_cost", "idle_gpu_cost"), ("gpu_cost", "idle_gpu_cost")),
)
NULL_LABELS = {("gpu_usage", "deployment"): "unallocated"}
# metric -> (measure scanned, denominator making it a rate, measure its dollars come from)
METRIC_MEASURES = {
    "cost": ("cost", None, "cost"),
    "inference_cost": ("inference_cost", None, "inference_cost"),
    "requests": ("requests", None, "inference_cost"),
    "error_rate": ("errors", "requests", "inference_cost"),
    "cost_per_request": ("inference_cost", "requests", "inference_cost"),
    "tokens_per_request": ("input_tokens", "requests", "inference_cost"),  # prompt size, as the semantic model
    "cost_per_mtok": ("inference_cost", "tokens", "inference_cost"),
    "gpu_cost": ("gpu_cost", None, "gpu_cost"),
    "idle_gpu_cost": ("idle_gpu_cost", None, "idle_gpu_cost"),
}
# Unit costs: rates judged against their own history, whatever the dollars (the floor applies to a whole run).
UNIT_METRICS = ("cost_per_request", "tokens_per_request", "cost_per_mtok")
RATE_SCALE = {"cost_per_mtok": 1e6}
# A measure that is not dollars -> the measure whose cost per unit prices it (excess input tokens at the
# cost per input token, output included: an upper bound of what they added).
MEASURE_UNITS = {"requests": "requests", "errors": "requests", "tokens": "tokens", "input_tokens": "input_tokens"}
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
    names = ("cost", "inference_cost", "requests", "tokens", "input_tokens", "gpu_cost", "idle_gpu_cost")
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
        # daily.m0, the day's values: Spark reads a bare m0 in ORDER BY as the list the query outputs under that name
        .order_by(exp.Ordered(this=exp.func("sum", exp.column("m0", table="daily")), desc=True))
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


def _unit_cost(cost: np.ndarray, units: np.ndarray, a: int, b: int) -> np.ndarray | float:
    """Dollars per unit (request, token) over the four weeks before day `a` and the days [a, b)."""
    lo = max(0, a - HISTORY_DAYS)
    spent, count = np.nansum(cost[..., lo:b], axis=-1), np.nansum(units[..., lo:b], axis=-1)
    with np.errstate(all="ignore"):
        return np.where(count > 0, spent / np.where(count > 0, count, 1), 0.0)


def _metric_anomalies(data: _Rollup, metric: str, min_usd: float, min_pct: float, first_day: date,
                      window_start: int) -> list[Anomaly]:
    """The anomalies of one metric over a table's series, merged into incidents with root causes.

    Dollar totals must move by `min_usd` a day; rates (error rate, unit costs) only by `min_pct` and
    their noise, and a unit cost's whole run must come to `min_usd`.
    """
    measure, per, priced_by = METRIC_MEASURES[metric]
    scale, unit_of = RATE_SCALE.get(metric, 1.0), MEASURE_UNITS.get(measure)
    total = per is None and unit_of is None  # a dollar total
    min_abs = min_usd if total else 0.0
    scans: dict[str, Scan] = {}
    values: dict[str, np.ndarray] = {}
    for key, table in (("combo", data.combos), ("series", data.rolled)):
        weights = table[per] + data.unknown if per else None
        with np.errstate(all="ignore"):
            values[key] = scale * (table[measure] + data.unknown) / (
                np.where(weights > 0, weights, np.nan) if weights is not None else 1.0)
        scans[key] = scan(values[key], min_abs=min_abs, min_pct=min_pct, z_min=Z_MIN if total else Z_MIN_UNPRICED,
                          weights=weights if metric == "error_rate" else None)
    # Each combination's excess over its own expected value, per day, in the measure's unit.
    excess = np.nan_to_num(data.combos[measure] - scans["combo"].expected / scale * (data.combos[per] if per else 1.0))
    s, found = scans["series"], []
    for r, (name, value, mask) in enumerate(data.series):
        for run in series_runs(values["series"][r], s.expected[r], s.z[r], s.flagged[r], min_abs, min_pct,
                               creep=total):
            a, b = run.a, run.b
            if b <= window_start or (not total and run.kind in ("new", "removed")):
                continue
            usd = 1.0
            if unit_of:  # price the excess at the cost per unit of the combinations it lies in
                cells = np.abs(excess[mask, a:b].sum(axis=1))
                unit = _unit_cost(data.combos[priced_by][mask], data.combos[unit_of][mask], a, b)
                usd = float(cells @ unit / cells.sum()) if cells.sum() else float(np.mean(unit))
            if per:  # a rate: the totals are its rates over the run, the impact is the excess count
                count = float(np.nansum(data.rolled[per][r, a:b]))
                run = replace(run, expected=float(np.nansum(s.expected[r, a:b] * data.rolled[per][r, a:b])) / count,
                              actual=scale * float(np.nansum(data.rolled[measure][r, a:b])) / count)
                usd *= count / scale
            anomaly = _anomaly(metric, name, value, first_day, run, usd)
            if metric in UNIT_METRICS and abs(anomaly.impact_usd) < min_usd:
                continue
            found.append(_Found(anomaly, mask, a, b))
    priced = (data.combos[priced_by], data.combos[unit_of]) if unit_of else None
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
                   scope: Scope | None = None, causes: bool = True) -> list[Anomaly]:
    """Anomalies that overlap [as_of - days, as_of), biggest dollar impact first.

    With `causes`, the largest are named with the drivers' factor that moved them (`anomaly_causes`).
    """
    start = as_of - timedelta(days=days + HISTORY_DAYS)
    tables = executor.schema()
    cubes = [cube for source in SOURCES if source.table in tables
             for cube in [_read_cube(executor, source, start, as_of, scope)] if cube is not None]
    min_usd = dollar_floor(settings, cubes)
    found: list[Anomaly] = []
    for cube in cubes:
        data = _Rollup.of(cube)
        metrics = [_metric_anomalies(data, metric, min_usd, settings.anomaly_min_pct, start, HISTORY_DAYS)
                   for metric in cube.source.metrics]
        found += one_story([a for listed in metrics for a in listed])
    found.sort(key=lambda a: (-abs(a.impact_usd), a.start, a.metric, a.dimension, str(a.value)))
    if causes:
        from assistant.analysis.anomaly_causes import explain_anomalies

        found = explain_anomalies(executor, settings, found, scope=scope)
    return found


def dollar_floor(settings: Settings, cubes: list[_Cube]) -> float:
    """FINOPS_ANOMALY_MIN_USD when set, else FINOPS_ANOMALY_MIN_SHARE_PCT of the median daily total spend.

    The daily total adds up each table's first measure (cloud cost, inference cost, GPU cost) on the
    days it has data, so the floor of a company spending $100 a day is 50 cents, not $50.
    """
    if settings.anomaly_min_usd is not None:
        return settings.anomaly_min_usd
    daily = 0.0
    for cube in cubes:
        per_day = np.nansum(cube.measures[cube.source.measures[0]], axis=0)
        known = ~np.isnan(cube.measures[cube.source.measures[0]]).all(axis=0)
        if known.any():
            daily += float(np.median(per_day[known]))
    return settings.anomaly_min_share_pct / 100 * daily


def one_story(found: list[Anomaly]) -> list[Anomaly]:
    """A table's anomalies without unit-cost ones that retell another anomaly of the same incident.

    A unit cost is dropped when a dollar total, or a unit cost listed before it (cost per request,
    then tokens per request, then cost per 1M tokens), names the same value, overlaps it and began
    within GAP_DAYS of it: the dollar anomaly tells that story, and its cause names the factor.
    """
    order = {m: i for i, m in enumerate(UNIT_METRICS)}
    told = [a for a in found if a.metric not in order and a.metric not in ("requests", "error_rate")]
    kept = [a for a in found if a.metric not in order]
    for a in sorted((a for a in found if a.metric in order), key=lambda a: (order[a.metric], -abs(a.impact_usd))):
        if not any(_retells(a, b) for b in told):
            told.append(a)
            kept.append(a)
    return kept


def _retells(a: Anomaly, b: Anomaly) -> bool:
    named = {(b.dimension, b.value)} | {(c.dimension, c.value) for c in b.root_causes}
    return ((a.dimension, a.value) in named and a.start < b.end and b.start < a.end
            and abs((a.start - b.start).days) <= GAP_DAYS)
